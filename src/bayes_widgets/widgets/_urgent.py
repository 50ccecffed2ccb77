"""Early handling of urgent front-end commands (cancel, pause, ...) while a cell runs.

    install_urgent_route(widget)   # True where the kernel offers a hook for it

Every command reaches its widget through the ordinary route: the host hands the page's
message to the widget when the kernel is free. A cell that blocks on a fit
(``monitor.wait()``) holds that route until it ends. Where the kernel hands comm messages
to a thread of its own before queueing them for the cells (ipykernel 7's shell-channel
thread asks ``Comm._reply_subshell_for``), the widget's urgent types are handled there as
well. This is an acceleration only: whatever the hook does is passed through untouched,
a failure here never stops the message from taking its ordinary route, and each command
carries a ``cmd_id``, so one handled early is not handled again.
"""

from __future__ import annotations

from typing import Any


def install_urgent_route(widget: Any) -> bool:
    """Handles the widget's ``urgent_types`` (with ``widget.handle_message(content)``) as
    soon as they reach the kernel, where the kernel offers that; returns whether it does."""
    comm = getattr(widget, "comm", None)
    # private of ipykernel: the shell-channel thread's question where a comm message goes
    route = getattr(comm, "_reply_subshell_for", None)
    urgent = widget.urgent_types
    if not urgent or comm is None or not callable(route):
        return False

    def early(*args, **kwargs):
        try:
            data = args[0] if args else kwargs.get("data")
            content = data.get("content") if isinstance(data, dict) else None
            if isinstance(content, dict) and content.get("type") in urgent:
                widget.handle_message(content)
        except Exception:
            pass
        return route(*args, **kwargs)

    comm._reply_subshell_for = early  # private of ipykernel: wrapped, never replaced in kind
    return True

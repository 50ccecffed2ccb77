"""Early handling of urgent front-end commands (cancel, pause, ...) while a cell runs.

Every command reaches its widget through the ordinary route: the host hands the page's
message to the widget when the kernel is free (at once when no cell runs, since the fit
samples in a thread). That route is what the widgets rely on, in every host.

A cell that blocks on a fit (``monitor.wait()``) holds that route until it ends. Where the
kernel hands comm messages to a thread of its own before queueing them for the cells
(ipykernel 7 routes them through ``Comm._reply_subshell_for`` in its shell-channel
thread), urgent types are handled there as well, so Cancel and Pause act during such a
cell too. This is an acceleration only: the hook is looked up on the comm and used only
if present, whatever it does is passed through untouched, and a failure here never stops
the message from taking its ordinary route (each command carries a ``cmd_id``, so one
handled early is not handled again). marimo's comms have no such hook: there the
commands wait for the kernel to be free, and an interrupt cancels a blocked ``wait()``.
"""

from __future__ import annotations

from typing import Any


def install_urgent_route(widget: Any) -> bool:
    """Handles the widget's ``_urgent`` message types as soon as they reach the kernel,
    where the kernel offers that; returns whether it does."""
    comm = getattr(widget, "comm", None)
    route = getattr(comm, "_reply_subshell_for", None)
    if not widget._urgent or comm is None or not callable(route):
        return False

    def early(*args, **kwargs):
        try:
            data = args[0] if args else kwargs.get("data")
            content = data.get("content") if isinstance(data, dict) else None
            if isinstance(content, dict) and content.get("type") in widget._urgent:
                widget._dispatch(widget, content, [])
        except Exception:
            pass
        return route(*args, **kwargs)

    comm._reply_subshell_for = early
    return True

"""Early handling of urgent front-end commands (cancel, pause, ...) while a cell runs."""

from __future__ import annotations

from typing import Any


def install_urgent_route(widget: Any) -> None:
    """Handle the widget's ``_urgent`` message types as soon as they reach the kernel.

    ipykernel's shell-channel thread routes comm messages through
    ``Comm._reply_subshell_for``; where that hook exists, urgent types are dispatched
    there, before the running cell finishes. Elsewhere they wait for the kernel to be idle
    like every other message.
    """
    comm = widget.comm
    route = getattr(comm, "_reply_subshell_for", None)
    if not widget._urgent or comm is None or not callable(route):
        return

    def early(data, default):
        content = data.get("content") if isinstance(data, dict) else None
        if isinstance(content, dict) and content.get("type") in widget._urgent:
            widget._dispatch(widget, content, [])
        return route(data, default)

    comm._reply_subshell_for = early

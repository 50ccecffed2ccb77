"""The early route for urgent commands is an acceleration where the kernel offers a hook,
never a condition: without it commands take the ordinary route, and a hook that changes
or fails never stops a message."""

from __future__ import annotations

import pytest

from bayes_widgets.widgets._urgent import install_urgent_route


class Widget:
    """The part of a widget the route uses: its urgent types, its comm and ``handle_message``."""

    urgent_types = frozenset({"cancel", "pause"})

    def __init__(self, comm, fail: bool = False):
        self.comm = comm
        self.fail = fail
        self.handled: list[str] = []

    def handle_message(self, content):
        if self.fail:
            raise RuntimeError("handler broke")
        self.handled.append(content["type"])


class HookedComm:
    """ipykernel 7's shape: the shell-channel thread asks the comm where a message goes."""

    def __init__(self):
        self.asked: list[tuple] = []

    def _reply_subshell_for(self, data, default):
        self.asked.append((data, default))
        return "subshell-7"


class PlainComm:
    """A comm with no such hook (marimo's, or an older ipykernel's)."""


def message(kind):
    return {"content": {"type": kind, "cmd_id": "c1"}}


def test_without_a_hook_nothing_is_installed_and_the_comm_is_untouched():
    comm = PlainComm()
    widget = Widget(comm)
    assert install_urgent_route(widget) is False
    assert not hasattr(comm, "_reply_subshell_for")
    assert widget.handled == []


def test_urgent_types_are_handled_early_and_the_kernel_s_answer_passes_through():
    comm = HookedComm()
    widget = Widget(comm)
    assert install_urgent_route(widget) is True
    assert comm._reply_subshell_for(message("cancel"), None) == "subshell-7"
    assert comm._reply_subshell_for(message("optimise"), "s1") == "subshell-7"
    assert widget.handled == ["cancel"]  # only urgent types, each once
    assert [default for _, default in comm.asked] == [None, "s1"]  # the kernel saw every call


@pytest.mark.parametrize(
    "call",
    [
        lambda route: route(data=message("pause"), default=None),  # called by keyword
        lambda route: route(message("pause"), None, "extra"),  # a new argument
    ],
)
def test_a_changed_hook_signature_still_reaches_the_kernel(call):
    seen = []

    class Changed:
        def _reply_subshell_for(self, *args, **kwargs):
            seen.append((args, kwargs))
            return "routed"

    widget = Widget(Changed())
    install_urgent_route(widget)
    assert call(widget.comm._reply_subshell_for) == "routed"
    assert len(seen) == 1
    assert widget.handled == ["pause"]


def test_a_failing_handler_never_stops_the_message():
    comm = HookedComm()
    widget = Widget(comm, fail=True)
    install_urgent_route(widget)
    assert comm._reply_subshell_for(message("cancel"), None) == "subshell-7"
    assert len(comm.asked) == 1


def test_odd_messages_pass_through_untouched():
    comm = HookedComm()
    widget = Widget(comm)
    install_urgent_route(widget)
    for data in (None, "text", {"content": "text"}, {"content": {"no": "type"}}, {}):
        assert comm._reply_subshell_for(data, None) == "subshell-7"
    assert widget.handled == []

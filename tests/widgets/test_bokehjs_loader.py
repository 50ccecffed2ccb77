"""The kernel's side of a page's request for BokehJS (``{"type": "bokehjs", ...}``): the
bundle travels once per page as one binary buffer, and a bad request gets a clear error."""

from __future__ import annotations

import gzip

import pytest

import bayes_widgets as bw
from bayes_widgets.core.priors import PriorDist
from bayes_widgets.widgets._base import (
    BOKEHJS_SERVER,
    STATIC,
    BayesWidget,
    BokehJSServer,
    BokehLibrary,
    bokehjs_bundle,
    bokehjs_gzip,
)


class Wire:
    """Replaces a widget's ``send``: keeps (content, buffers) as the comm would send them."""

    def __init__(self):
        self.sent: list[tuple[dict, list]] = []

    def __call__(self, content, buffers=None):
        self.sent.append((content, list(buffers or [])))


@pytest.fixture
def editor():
    widget = bw.PriorEditor(PriorDist.create("Normal", mu=0.0, sigma=1.0))
    widget.send = Wire()
    yield widget
    widget.close()


def ask(widget, page, request, **extra):
    version = extra.pop("version", bokehjs_bundle()[0])
    accept = extra.pop("accept", ["gzip"])
    widget.handle_message(
        {
            "type": "bokehjs",
            "cmd_id": request,
            "page": page,
            "request": request,
            "version": version,
            "accept": accept,
            **extra,
        }
    )


def test_the_bundle_is_the_built_file_and_names_its_version():
    version, data = bokehjs_bundle()
    assert data == (STATIC / "bokehjs.js").read_bytes()
    assert gzip.decompress(bokehjs_gzip()) == data
    assert len(bokehjs_gzip()) < len(data) / 3
    assert len(data) > 1_000_000
    assert b"models/tools/gestures/tap_tool" in data
    package = STATIC.parents[2] / "node_modules/@bokeh/bokehjs/package.json"
    if package.exists():
        import json

        assert version == json.loads(package.read_text())["version"]


def test_a_page_gets_the_bundle_once_as_a_buffer(editor):
    other = bw.PriorEditor(PriorDist.create("Gamma", alpha=2.0, beta=1.0))
    other.send = Wire()
    try:
        ask(editor, "page-a", "r1")
        [(content, buffers)] = editor.send.sent
        assert (
            content["status"] == "sent"
            and content["request"] == "r1"
            and content["page"] == "page-a"
        )
        assert content["encoding"] == "gzip" and buffers == [bokehjs_gzip()]
        assert content["bytes"] == len(buffers[0])
        # the same request again (e.g. handled early and then in turn): no second answer
        ask(editor, "page-a", "r1")
        assert len(editor.send.sent) == 1
        # another widget of the same page: told the bundle went out, without it
        ask(other, "page-a", "r2")
        [(content, buffers)] = other.send.sent
        assert content["status"] == "sent-before" and content["served_by"] == "r1" and buffers == []
        # a page that lost it asks with force, and gets it again
        ask(other, "page-a", "r3", force=True)
        content, buffers = other.send.sent[-1]
        assert content["status"] == "sent" and buffers == [bokehjs_gzip()]
        # another page is served on its own
        ask(other, "page-b", "r1")
        content, buffers = other.send.sent[-1]
        assert (content["status"], content["page"], len(buffers)) == ("sent", "page-b", 1)
        assert BOKEHJS_SERVER.served_pages()["page-a"] == "r3"
    finally:
        other.close()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"page": ""}, "'page'"),
        ({"page": None}, "'page'"),
        ({"request": 7}, "'request'"),
        ({"request": "x" * 500}, "'request'"),
        ({"force": "yes"}, "'force'"),
        ({"accept": "gzip"}, "'accept'"),
    ],
)
def test_bad_requests_are_answered_with_an_error_naming_the_field(editor, change, field):
    content = {
        "type": "bokehjs",
        "page": "page-bad",
        "request": "rb",
        "version": bokehjs_bundle()[0],
        **change,
    }
    editor._dispatch(editor, content, [])
    [(reply, buffers)] = editor.send.sent
    assert reply["type"] == "bokehjs" and buffers == []
    assert "bad BokehJS request" in reply["error"] and field in reply["error"]
    assert editor.error == ""  # the widget keeps its state; the page shows the reason in the plot


def test_a_page_that_cannot_unpack_gzip_gets_the_bundle_as_it_is(editor):
    ask(editor, "page-plain", "rp", accept=[])
    [(content, buffers)] = editor.send.sent
    assert (content["status"], content["encoding"]) == ("sent", "identity")
    assert buffers == [bokehjs_bundle()[1]]


def test_a_page_built_for_another_bokehjs_is_told_why(editor):
    ask(editor, "page-old", "rv", version="2.4.3")
    [(reply, buffers)] = editor.send.sent
    assert buffers == []
    assert "'2.4.3'" in reply["error"] and bokehjs_bundle()[0] in reply["error"]
    assert "restart the kernel" in reply["error"]
    # refused requests do not count as served: the right version is still answered
    ask(editor, "page-old", "rv2")
    assert editor.send.sent[-1][0]["status"] == "sent"


def test_a_widget_without_a_comm_answers_nothing_and_records_nothing():
    server = BokehJSServer()
    version = bokehjs_bundle()[0]
    request = {"type": "bokehjs", "page": "p", "request": "r", "version": version}
    assert server.answer(request, deliverable=False) is None
    assert server.served_pages() == {}
    reply, buffers = server.answer(request)
    assert reply["status"] == "sent" and len(buffers) == 1


def test_bokehjs_requests_are_urgent_in_every_widget(editor):
    assert "bokehjs" in editor.urgent_types


def test_a_widgets_own_urgent_types_stay_urgent_beside_bokehjs():
    class Urgent(BayesWidget):
        _urgent = frozenset({"cancel"})

    widget = Urgent()
    try:
        assert widget.urgent_types == {"cancel", "bokehjs"}
    finally:
        widget.close()


def test_handle_message_takes_the_ordinary_route_once(editor):
    """``handle_message`` (the early route's way in) handles a message as the comm would,
    and a message it handled is not handled again when it arrives the ordinary way."""
    version = bokehjs_bundle()[0]
    message = {"type": "bokehjs", "cmd_id": "c1", "page": "p-early", "request": "r-early"}
    editor.handle_message({**message, "version": version})
    editor.handle_message({**message, "version": version})
    assert [content["status"] for content, _ in editor.send.sent] == ["sent"]


def test_the_carrier_holds_the_bundle_once_and_a_small_module(editor):
    other = bw.PriorEditor(PriorDist.create("Normal", mu=1.0, sigma=1.0))
    try:
        assert editor._bokeh is other._bokeh
        carrier = editor._bokeh
        assert isinstance(carrier, BokehLibrary)
        assert gzip.decompress(carrier.bundle) == bokehjs_bundle()[1]
        assert len(carrier._esm) < 20_000
        assert "models/tools/gestures/tap_tool" not in editor._esm
        assert "models/tools/gestures/tap_tool" not in carrier._esm
    finally:
        other.close()

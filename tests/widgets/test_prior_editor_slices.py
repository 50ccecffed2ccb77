"""PriorEditor slices, Python side: the views at a slider's positions are the views an
edit there shows, they come in parts, and a slice still right is not computed again."""

from __future__ import annotations

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.widgets import prior_editor_slices
from bayes_widgets.widgets.prior_editor_slices import positions

from .test_prior_editor import regression_model, send, series_model


@pytest.fixture(autouse=True)
def slices_whole(monkeypatch):
    """What a slice holds is tested whatever the machine's speed: the time budget that
    cuts a slice short (its own tests pass one) is out of reach here."""
    monkeypatch.setattr(prior_editor_slices, "SLICE_BUDGET_S", 600.0)


class Capture:
    """Replaces a widget's ``send``: keeps each custom message with its buffers decoded
    (what the page's ``unpack`` does)."""

    def __init__(self):
        self.messages: list[dict] = []

    def __call__(self, content, buffers=None):
        self.messages.append(_unpack(content, buffers or []))

    def last(self, kind: str = "slice") -> dict:
        return [m for m in self.messages if m.get("type") == kind][-1]


def _unpack(obj, buffers):
    if isinstance(obj, list):
        return [_unpack(v, buffers) for v in obj]
    if isinstance(obj, dict):
        if "$f" in obj:
            dtype = np.float32 if obj["t"] == "f4" else np.float64
            return np.frombuffer(buffers[obj["$f"]], dtype=dtype).astype(float).tolist()
        return {k: _unpack(v, buffers) for k, v in obj.items()}
    return obj


def views_of(msg: dict) -> list[dict | None]:
    """The message's views with the parts common to all of them put back."""
    common = msg["common"].get("predictive") or {}
    out = []
    for view in msg["summaries"]:
        if view is not None and "predictive" in view:
            view = {**view, "predictive": {**common, **view["predictive"]}}
        out.append(view)
    return out


def close(a, b, rel=1e-6):
    a = np.array([np.nan if v is None else v for v in a], dtype=float)
    b = np.array([np.nan if v is None else v for v in b], dtype=float)
    return np.allclose(a, b, rtol=rel, atol=1e-12, equal_nan=True)


def test_each_position_of_a_slice_shows_what_an_edit_there_shows():
    ed = bw.PriorEditor(series_model(), draws=200, seed=4, lower=0, upper=30)
    ed.send = capture = Capture()
    send(ed, type="select", variable="sigma", seq=1)
    before, updates = ed.prior_dists["sigma"], ed.updates
    send(ed, type="slice", param="sigma", lo=0.5, hi=6.0, n=10, request="r1")
    msg = capture.last()
    views = views_of(msg)
    assert msg["request"] == "r1" and msg["variable"] == "sigma" and msg["done"] is True
    assert msg["values"] == pytest.approx(positions(0.5, 6.0, 10))
    assert msg["basis"]["context"] == ed.context and msg["basis"]["variable"] == "sigma"
    # the slice left the editor as it was
    assert ed.prior_dists["sigma"] == before and ed.updates == updates
    for k in (0, 3, 10):
        send(ed, type="edit", values={"sigma": msg["values"][k]}, seq=10 + k)
        view = views[k]
        assert view["values"] == ed.values and view["summary"] == ed.summary
        assert close(view["curves"]["pdf"], ed.curves["pdf"])
        p = ed.predictive
        for q, band in p["bands"].items():
            assert close(view["predictive"]["bands"][q], band), q
        assert view["predictive"]["outside"] == p["outside"]
        assert view["predictive"]["observed"] == p["observed"] and view["predictive"]["x"] == p["x"]


def test_a_slice_comes_in_parts_and_is_not_computed_again_while_it_holds(monkeypatch):
    model, _, _ = regression_model()
    ed = bw.PriorEditor(model, draws=100, seed=2)
    ed.send = capture = Capture()
    send(ed, type="select", variable="sigma", seq=1)
    grid, views, _, done = ed.slice_views("sigma", 0.0, 4.0, 40, budget_s=0.0)
    assert sum(v is not None for v in views) == 1 and not done  # one position, then the budget
    nearest = int(np.argmin(np.abs(np.array(grid) - ed.values["sigma"])))
    assert views[nearest] is not None  # nearest the current value first
    # the whole slice through the page's protocol: a part, then the rest given what it
    # holds (a budget that lets one position through per part)
    monkeypatch.setattr(prior_editor_slices, "SLICE_BUDGET_S", 0.0)
    send(ed, type="slice", param="sigma", lo=0.0, hi=4.0, n=40, request="a")
    msg = capture.last()
    held = {k for k, v in enumerate(msg["summaries"]) if v is not None} | set(msg["refused"])
    refused = set(msg["refused"])
    while not msg["done"]:
        send(ed, type="slice", param="sigma", lo=0.0, hi=4.0, n=40, request="b",
             have=msg["basis"], skip=sorted(held))  # fmt: skip
        msg = capture.last()
        new = {k for k, v in enumerate(msg["summaries"]) if v is not None}
        assert not new & held
        held |= new | set(msg["refused"])
        refused |= set(msg["refused"])
    assert held == set(range(41)) and refused == {0}  # sigma = 0 is refused, never drawn
    assert len([m for m in capture.messages if m["type"] == "slice"]) == 41  # one per part
    basis = msg["basis"]
    # an edit of the sliced parameter itself leaves the slice right: answered "same"
    send(ed, type="edit", values={"sigma": 2.5}, seq=2)
    send(ed, type="slice", param="sigma", lo=0.0, hi=4.0, n=40, request="c",
         have=basis, skip=sorted(held))  # fmt: skip
    assert capture.last()["same"] is True
    # another prior changed: the slice is computed again, from the start
    send(ed, type="select", variable="intercept", seq=3)
    send(ed, type="edit", values={"sigma": 3.0}, seq=4)
    send(ed, type="select", variable="sigma", seq=5)
    assert ed.context != basis["context"]
    send(ed, type="slice", param="sigma", lo=0.0, hi=4.0, n=40, request="d",
         have=basis, skip=sorted(held))  # fmt: skip
    msg = capture.last()
    assert "same" not in msg and any(v is not None for v in msg["summaries"])
    # so does a plausible range, and the model's own data changing
    context = ed.context
    send(ed, type="range", lower=-5.0, upper=20.0, seq=6)
    assert ed.context != context


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"param": "sigma", "lo": 2.0, "hi": 1.0}, "hi"),
        ({"param": "sigma", "lo": 0.0, "hi": "x"}, "hi"),
        ({"param": "sigma", "lo": 0.0, "hi": 1.0, "n": 1}, "n"),
        ({"param": "sigma", "lo": 0.0, "hi": 1.0, "n": 5000}, "n"),
        ({"param": "mu", "lo": 0.0, "hi": 1.0}, "param"),
    ],
)
def test_a_bad_slice_request_is_answered_with_its_field(request_, field):
    ed = bw.PriorEditor(series_model(), draws=50, seed=1)
    ed.send = capture = Capture()
    send(ed, type="select", variable="sigma", seq=1)
    send(ed, type="slice", request="x", **request_)
    msg = capture.last()
    assert msg["values"] == [] and msg["error"].startswith(f"{field}:"), msg
    assert ed.error == ""  # the page falls back to round trips; nothing is wrong with the editor


def test_a_single_prior_slices_its_density_and_summary():
    ed = bw.PriorEditor("Gamma")
    ed.send = capture = Capture()
    send(ed, type="slice", param="alpha", lo=0.5, hi=5.0, n=9, request="g")
    views = views_of(capture.last())
    assert all(v is not None for v in views) and "predictive" not in views[0]
    send(ed, type="edit", values={"alpha": capture.last()["values"][4]}, seq=2)
    assert views[4]["summary"] == ed.summary and views[4]["values"] == ed.values


def test_the_users_set_data_makes_a_held_slice_stale():
    import pymc as pm

    model, X, _ = regression_model()
    ed = bw.PriorEditor(model, draws=100, seed=2)
    ed.send = capture = Capture()
    send(ed, type="select", variable="sigma", seq=1)
    send(ed, type="slice", param="sigma", lo=0.5, hi=3.0, n=4, request="a")
    held = capture.last()
    assert held["done"]
    with model:  # the user's own change, outside the editor
        pm.set_data({"X": X[:20]}, coords={"obs": np.arange(20)})
    send(ed, type="slice", param="sigma", lo=0.5, hi=3.0, n=4, request="b",
         have=held["basis"], skip=list(range(5)))  # fmt: skip
    msg = capture.last()
    assert "same" not in msg and msg["basis"]["context"] != held["basis"]["context"]
    view = views_of(msg)[2]
    assert "X: 60 → 20 rows" in view["predictive"]["note"]

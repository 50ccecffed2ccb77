"""FitMonitor, Python side: traits, messages and commands, without a browser."""

from __future__ import annotations

import gzip
import itertools
import json
import time

import numpy as np
import pymc as pm
import pytest

import bayes_widgets as bw
from bayes_widgets.widgets._base import BokehLibrary
from bayes_widgets.widgets.fit_monitor import STREAM_POINTS
from tests.polling import wait_for


def monitor(model, outbox, **kwargs):
    kwargs.setdefault("draws", 150)
    kwargs.setdefault("tune", 150)
    kwargs.setdefault("chains", 2)
    kwargs.setdefault("seed", 1)
    mon = bw.FitMonitor(model, autostart=False, **kwargs)
    mon.send = outbox
    mon.session.start()
    return mon


@pytest.mark.parametrize("backend", ["pymc", "nutpie"])
def test_final_state_lands_in_traits(small_model, outbox, backend):
    mon = monitor(small_model, outbox, backend=backend)
    result = mon.wait()
    assert result.status == "finished"
    assert mon.wait_rendered(timeout=30)
    assert mon.status == "finished"
    assert mon.backend == backend
    assert mon.progress["draws_done"] == mon.progress["total"] == 2 * 300
    assert [c["draws_done"] for c in mon.chains] == [300, 300]
    assert {c["phase"] for c in mon.chains} == {"done"}
    assert mon.diagnostics["draws_per_chain"] == 150
    assert mon.diagnostics["backend"] == backend
    assert {p["name"] for p in mon.diagnostics["parameters"]} == {"mu", "sigma"}
    assert all(p["r_hat"] is not None for p in mon.diagnostics["parameters"])
    # the saved figure carries the draws, so a reload or an export shows them
    item = json.loads(mon.trace_figure)
    text = json.dumps(item)
    for name in ("trace-0", "trace-1", "div-0", "rank-0", "rank-1"):
        assert f'"{name}"' in text
    assert len(mon.ranks) == 2 and len(mon.ranks[0]) == 2
    assert sum(mon.ranks[0][0]) == 150


def test_trace_streams_in_order_and_covers_every_draw(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc")
    mon.wait()
    traces = outbox.of_type("trace")
    assert traces, "no trace message was sent"
    seqs = [m["seq"] for m in traces]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    per_chain = {0: [], 1: []}
    for m in traces:
        for chunk in m["chunks"]:
            # the warm-up and the draws after tuning travel apart (their own sources)
            assert all(x < 150 for x in chunk["warm"]["x"]) and all(
                x >= 150 for x in chunk["trace"]["x"]
            )
            assert len(chunk["warm"]["x"]) + len(chunk["trace"]["x"]) <= STREAM_POINTS
            per_chain[chunk["chain"]].extend(chunk["warm"]["x"] + chunk["trace"]["x"])
    for xs in per_chain.values():
        # thinned to a plot's worth per update, in order, from the first draw on
        assert xs[0] == 0
        assert all(a < b for a, b in itertools.pairwise(xs))
    # the final figure carries the whole chains, up to the last draw
    assert mon.wait_rendered(timeout=30)
    item = json.loads(mon.trace_figure)
    sources = _named_sources(item)
    assert sources["warm-0"]["x"][0] == sources["warm-1"]["x"][0] == 0
    assert sources["warm-0"]["x"][-1] == 149 and sources["trace-0"]["x"][0] == 150
    assert sources["trace-0"]["x"][-1] == sources["trace-1"]["x"][-1] == 299
    # values stream in the constrained space: sigma is positive
    sigmas = [v for m in traces for c in m["chunks"] for v in c["warm"]["v1"] + c["trace"]["v1"]]
    assert min(sigmas) > 0


def _models(node, out=None) -> list[dict]:
    """Every model definition (``{"type": "object", "name": ..., "id": ...}``) in a json_item."""
    out = [] if out is None else out
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node:
            out.append(node)
        for v in node.values():
            _models(v, out)
    elif isinstance(node, list):
        for v in node:
            _models(v, out)
    return out


def _layout(figure_json: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """(plots by title, models by id) of a monitor's trace/rank figure."""
    models = _models(json.loads(figure_json))
    by_id = {m["id"]: m for m in models}
    plots = {}
    for m in models:
        title = (m.get("attributes") or {}).get("title")
        if m.get("name") == "Figure" and isinstance(title, dict):
            text = (by_id.get(title["id"], title).get("attributes") or {}).get("text")
            plots[text] = m
    return plots, by_id


def _ref_names(refs, by_id) -> list[str]:
    return [
        (by_id[r["id"]].get("attributes") or {}).get("name") or by_id[r["id"]]["name"]
        for r in refs or []
    ]


def test_trace_figure_legend_outside_the_data_and_y_range_after_tuning(outbox):
    """The chains' legend sits beside the first rank plot, in no plot's data area; once a
    chain has draws after tuning, each trace plot's y range spans only those, so a
    warm-up from far away (sigma starting near 50) does not flatten the posterior."""
    with pm.Model() as model:
        sigma = pm.HalfNormal("sigma", 50)
        pm.Normal("y", 0, sigma, observed=np.random.default_rng(2).normal(0, 3, size=40))
    mon = monitor(model, outbox, backend="pymc", draws=100, tune=100)
    mon.wait()
    assert mon.wait_rendered(timeout=30)
    plots, by_id = _layout(mon.trace_figure)
    assert set(plots) == {"sigma", "sigma ranks"}
    legends = {
        title: [
            side
            for side in ("center", "above", "below", "left", "right")
            for ref in (p["attributes"].get(side) or [])
            if by_id[ref["id"]]["name"] == "Legend"
        ]
        for title, p in plots.items()
    }
    assert legends == {"sigma": [], "sigma ranks": ["right"]}, legends
    # the y range of the trace follows the post-tuning lines only
    trace = plots["sigma"]["attributes"]
    y_range = by_id[trace["y_range"]["id"]]
    assert y_range["attributes"]["name"] == "trace-y-0"
    assert sorted(_ref_names(y_range["attributes"]["renderers"], by_id)) == ["post-0-0", "post-0-1"]
    # before any draw after tuning, the range spans whatever is drawn (the warm-up)
    from bayes_widgets.core.figures.fit import trace_rank_figure

    plots, by_id = _layout(trace_rank_figure(["sigma"], 2, 100))
    y_range = by_id[plots["sigma"]["attributes"]["y_range"]["id"]]
    assert not y_range["attributes"].get("renderers")


def test_messages_are_batched_at_the_session_rate(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc", draws=400, tune=400, rate_hz=10)
    t0 = time.perf_counter()
    mon.wait()
    elapsed = time.perf_counter() - t0
    # one batched trace message per tick (10 Hz) at most, plus the final flush
    assert len(outbox.of_type("trace")) <= elapsed * 10 + 3


def test_sync_replies_with_everything_so_far(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc")
    mon.wait()
    mon._dispatch(mon, {"type": "sync", "request": "r1"}, [])
    (reset,) = outbox.of_type("reset")
    assert reset["request"] == "r1"
    assert reset["seq"] == max(m["seq"] for m in outbox.of_type("trace"))
    assert sorted(c["chain"] for c in reset["chunks"]) == [0, 1]
    assert all(len(c["warm"]["x"]) == 150 and len(c["trace"]["x"]) == 150 for c in reset["chunks"])


def test_cancel_message_keeps_partial_draws(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc", draws=100_000, tune=100)
    assert wait_for(lambda: mon.progress.get("draws_done", 0) > 2 * 300)
    mon._dispatch(mon, {"type": "cancel"}, [])
    result = mon.wait(timeout=10)
    assert result is not None and result.status == "cancelled" and result.partial
    assert wait_for(lambda: mon.status == "cancelled", 5)
    kept = result.idata["posterior"].sizes["draw"]
    assert kept > 0
    assert mon.diagnostics["partial"] is True
    assert mon.diagnostics["draws_per_chain"] == kept
    assert f"{kept} of 100000" in mon.message


def test_pause_and_resume_messages(small_model, outbox):
    mon = monitor(small_model, outbox, backend="nutpie", draws=200_000, tune=100)
    assert wait_for(lambda: mon.progress.get("draws_done", 0) > 500)
    mon._dispatch(mon, {"type": "pause"}, [])
    assert mon.status == "paused"
    time.sleep(0.3)
    before = mon.session.snapshot().draws_done
    time.sleep(0.5)
    assert mon.session.snapshot().draws_done == before
    mon._dispatch(mon, {"type": "resume"}, [])
    assert mon.status == "sampling"
    assert wait_for(lambda: mon.session.snapshot().draws_done > before, 10)
    mon.cancel()
    assert mon.wait(timeout=10).status == "cancelled"


def _no_free_vars():
    with pm.Model() as m:
        pm.Normal("y", 0, 1, observed=np.zeros(3))
    return m


def _nan_observed():
    with pm.Model() as m:
        mu = pm.Normal("mu")
        pm.Normal("y", mu, 1, observed=np.array([1.0, np.nan, 2.0]))
    return m


@pytest.mark.parametrize(
    ("make", "kwargs", "field", "words"),
    [
        (_no_free_vars, {}, "model", "no free variables"),
        (_nan_observed, {}, "model", "NaN"),
        (None, {"draws": 0}, "draws", "> 0"),
        (None, {"chains": -2}, "chains", "> 0"),
        (None, {"backend": "stan"}, "backend", "unknown backend"),
        (None, {"var_names": ["mu", "nope"]}, "var_names", "'nope'"),
    ],
)
def test_bad_input_is_shown_inline(small_model, make, kwargs, field, words):
    model = make() if make else small_model
    mon = bw.FitMonitor(model, **kwargs)
    assert mon.status == "error"
    assert mon.error.startswith(f"{field}:")
    assert words in mon.error
    assert mon.session is None
    with pytest.raises(bw.FitInputError, match=field):
        mon.wait()


def test_unknown_fit_option_is_shown_inline(small_model):
    mon = bw.FitMonitor(small_model, colour="red")
    assert mon.status == "error" and "colour" in mon.error


def test_unknown_message_is_reported_and_state_kept(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc")
    mon.wait()
    assert mon.wait_rendered(timeout=30)
    before = (mon.status, dict(mon.progress))
    mon._dispatch(mon, {"type": "explode"}, [])
    assert "explode" in mon.error
    assert (mon.status, mon.progress) == before


def test_figure_json_is_a_deprecated_name_of_trace_figure(small_model):
    mon = bw.FitMonitor(small_model, autostart=False)
    assert mon.trace_figure
    with pytest.warns(DeprecationWarning, match="trace_figure"):
        assert mon.figure_json == mon.trace_figure


def test_bokehjs_travels_once(small_model, outbox):
    a = bw.FitMonitor(small_model, autostart=False)
    b = bw.FitMonitor(small_model, autostart=False)
    assert a._bokeh is b._bokeh
    assert isinstance(a._bokeh, BokehLibrary)
    bundle = gzip.decompress(a._bokeh.bundle).decode()  # BokehJS, once, compressed
    assert len(bundle) > 1_000_000 and len(a._bokeh.bundle) < len(bundle) / 2
    assert len(a._esm) < 100_000
    assert "models/tools/gestures/tap_tool" in bundle
    assert "models/tools/gestures/tap_tool" not in a._esm


def test_cell_end_waits_for_the_final_view(small_model, outbox):
    """What IPython runs after each cell: every ended fit shows its final state."""
    from bayes_widgets.widgets.fit_monitor import finish_pending_views

    mon = monitor(small_model, outbox, backend="nutpie")
    mon.wait()
    finish_pending_views()
    assert mon.status == "finished"
    assert mon.diagnostics["draws_per_chain"] == 150
    assert '"rank-0"' in mon.trace_figure


def test_cell_end_does_not_wait_for_a_running_fit(small_model, outbox):
    from bayes_widgets.widgets.fit_monitor import finish_pending_views

    mon = monitor(small_model, outbox, backend="pymc", draws=100_000, tune=100)
    assert wait_for(lambda: mon.progress.get("draws_done", 0) > 0)
    t0 = time.perf_counter()
    finish_pending_views(timeout=30)
    assert time.perf_counter() - t0 < 1.0
    mon.cancel()
    mon.wait(timeout=10)


def test_running_rhat_and_ess_while_sampling(small_model, outbox):
    mon = monitor(small_model, outbox, backend="pymc", draws=100_000, tune=100)
    assert wait_for(lambda: any(r.get("r_hat") is not None for r in mon.running), timeout=60)
    assert [r["name"] for r in mon.running] == ["mu", "sigma"]
    assert mon.status == "sampling"
    assert len(mon.ranks) == 2
    mon.cancel()
    mon.wait(timeout=10)


def _named_sources(node, out=None) -> dict:
    """Data of the named ColumnDataSources in a Bokeh json_item."""
    out = {} if out is None else out
    if isinstance(node, dict):
        attrs = node.get("attributes")
        if node.get("name") == "ColumnDataSource" and isinstance(attrs, dict) and "data" in attrs:
            out[attrs["name"]] = dict(attrs["data"]["entries"])
        for v in node.values():
            _named_sources(v, out)
    elif isinstance(node, list):
        for v in node:
            _named_sources(v, out)
    return out


# -- NumPyro: NUTS in the same view, SVI in its own mode ---------------------------------


def _eight_schools_args():
    from tests.numpyro_models import eight_schools_data

    sigma, y = eight_schools_data()
    return {"model_args": (sigma,), "model_kwargs": {"y": y}}


def test_numpyro_nuts_final_state_lands_in_traits(outbox):
    pytest.importorskip("numpyro")
    from tests.numpyro_models import eight_schools

    mon = monitor(eight_schools, outbox, backend="numpyro", **_eight_schools_args())
    assert mon.wait().status == "finished"
    assert mon.wait_rendered(timeout=30)
    assert (mon.status, mon.method, mon.backend) == ("finished", "mcmc", "numpyro")
    assert mon.trace_names == ["mu", "tau", *(f"theta_trans[{i}]" for i in range(6))]
    assert mon.progress["draws_done"] == mon.progress["total"] == 600
    for row in mon.chains:
        assert row["phase"] == "done" and row["step_size"] > 0 and row["tree_depth"] >= 1
    assert mon.diagnostics["backend"] == "numpyro" and mon.diagnostics["draws_per_chain"] == 150
    names = {p["name"] for p in mon.diagnostics["parameters"]}
    assert {"mu", "tau", "theta_trans[0]", "theta[7]"} <= names
    sources = _named_sources(json.loads(mon.trace_figure))
    assert sources["trace-0"]["x"][-1] == sources["trace-1"]["x"][-1] == 299
    assert len(mon.ranks) == len(mon.trace_names) and sum(mon.ranks[0][0]) == 150


def _regression_args(n):
    from tests.numpyro_models import regression_data

    x, y = regression_data(n=n)
    return {"model_args": (x,), "model_kwargs": {"y": y}}


def test_svi_mode_streams_the_loss_and_saves_the_final_state(outbox):
    pytest.importorskip("numpyro")
    from tests.numpyro_models import regression

    mon = bw.FitMonitor(
        regression,
        backend="numpyro-svi",
        autostart=False,
        steps=3000,
        seed=0,
        rate_hz=20,
        sampler_kwargs={"convergence": None, "chunk": 100},
        **_regression_args(20_000),
    )
    mon.send = outbox
    assert (mon.method, mon.status, mon.loss_stride) == ("svi", "created", 3)
    assert '"loss"' in mon.trace_figure
    mon.session.start()
    result = mon.wait(timeout=300)
    assert result.status == "finished" and result.steps == 3000
    assert mon.wait_rendered(timeout=30)
    assert mon.status == "finished" and mon.error == ""
    assert mon.progress["steps_done"] == mon.progress["draws_done"] == mon.progress["total"] == 3000
    assert mon.progress["steps_per_s"] > 0 and mon.progress["converged"] is False
    assert mon.message.startswith("Finished: 3000 steps")
    # streamed: binned points, in order, at most one message per tick
    xs = [x for m in outbox.of_type("trace") for c in m["chunks"] for x in c["loss"]["x"]]
    assert xs, "no loss was streamed"
    assert all(a < b for a, b in itertools.pairwise(xs)) and xs[0] == 1.0  # centre of steps 0-2
    # the saved figure holds the whole curve (3000 steps in bins of 3), and a y range from the data
    item = json.loads(mon.trace_figure)
    loss = _named_sources(item)["loss"]
    assert len(loss["x"]) == 1000 and loss["x"][-1] == 2998.0
    np.testing.assert_allclose(loss["y"][-1], result.losses[-3:].mean(), rtol=1e-5)
    assert loss["s"][-1] is not None
    assert mon.diagnostics["svi"]["steps"] == 3000 and mon.diagnostics["method"] == "svi"
    assert {row["name"] for row in mon.svi_params} == {"alpha", "beta", "sigma"}
    # a view that renders late gets everything streamed so far
    mon._dispatch(mon, {"type": "sync", "request": "r2"}, [])
    (reset,) = outbox.of_type("reset")
    assert reset["chunks"][0]["loss"]["x"] == xs


def test_svi_cancel_message_keeps_the_parameters(outbox):
    pytest.importorskip("numpyro")
    from tests.numpyro_models import regression

    mon = bw.FitMonitor(
        regression,
        backend="numpyro-svi",
        autostart=False,
        steps=10_000_000,
        seed=1,
        sampler_kwargs={"convergence": None},
        **_regression_args(2000),
    )
    mon.send = outbox
    mon.session.start()
    assert wait_for(lambda: mon.progress.get("steps_done", 0) > 1000, 120)
    mon._dispatch(mon, {"type": "cancel"}, [])
    result = mon.wait(timeout=30)
    assert result.status == "cancelled" and result.params
    assert mon.wait_rendered(timeout=30)
    assert mon.status == "cancelled"
    assert mon.message.startswith(f"Cancelled at step {result.steps} of 10000000")
    assert mon.diagnostics["partial"] is True


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"guide": "AutoNope"}, "guide"), ({"steps": 0}, "steps"), ({"tune": 10}, "tune")],
)
def test_svi_bad_input_is_shown_inline(kwargs, field):
    pytest.importorskip("numpyro")
    from tests.numpyro_models import regression

    mon = bw.FitMonitor(regression, backend="numpyro-svi", **_regression_args(50), **kwargs)
    assert mon.status == "error" and mon.error.startswith(f"{field}:")


# -- a hand-written model: labels, deterministics on one line, problems named, warnings --------
def _regression(n: int = 60):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(20, 5, n), rng.normal(3, 1, n), rng.integers(0, 2, n)])
    y = 10 + X @ np.array([0.5, -2.0, 3.0]) + rng.normal(0, 1, n)
    with pm.Model(coords={"obs": np.arange(n), "feature": ["temp", "price", "weekend"]}) as model:
        Xd = pm.Data("X", X, dims=("obs", "feature"))
        intercept = pm.Normal("intercept", 0, 10)
        beta = pm.Normal("beta", 0, 5, dims="feature")
        sigma = pm.HalfNormal("sigma", 2)
        mu = pm.Deterministic("mu", intercept + pm.math.dot(Xd, beta), dims="obs")
        pm.Normal("y", mu, sigma, observed=y, dims="obs")
    return model


@pytest.mark.parametrize("backend", ["pymc", "nutpie"])
def test_hand_written_regression_reads_like_a_report(outbox, backend):
    model = _regression()
    mon = monitor(model, outbox, backend=backend, draws=60, tune=60)
    # every element of the 3-vector traced, with its coordinate label
    assert mon.trace_names == ["intercept", "beta[temp]", "beta[price]", "beta[weekend]", "sigma"]
    result = mon.wait()
    assert mon.wait_rendered(timeout=30)
    figure = mon.trace_figure
    for label in ("beta[temp]", "beta[price]", "beta[weekend]"):
        assert f'"{label}"' in figure  # a plot title per element
    # free parameters first, all of them; the deterministic on one line
    names = [p["name"] for p in mon.diagnostics["parameters"]]
    assert names[:5] == ["intercept", "beta[temp]", "beta[price]", "beta[weekend]", "sigma"]
    assert [(g["variable"], g["kind"], g["size"]) for g in mon.groups] == [
        ("intercept", "free", 1),
        ("beta", "free", 3),
        ("sigma", "free", 1),
        ("mu", "deterministic", 60),
    ]
    # 60 draws of 2 chains: ESS below 200 somewhere, named the same as in the result
    assert mon.problems == result.diagnostics.problems
    assert any(p.startswith("ESS bulk below 200") for p in mon.problems)
    assert mon.progress["draws_per_s"] > 0 and mon.progress["eta_s"] is None
    assert mon.diagnostics["draws_per_s"] == pytest.approx(240 / mon.diagnostics["sampling_time_s"])
    assert mon.log == result.log  # the sampler's log lines, kept with the fit


def test_warnings_raised_inside_the_fit_are_counted_in_the_widget(outbox):
    import warnings

    import pytensor.tensor as pt
    from pytensor.compile.ops import as_op

    @as_op(itypes=[pt.dscalar], otypes=[pt.dscalar])
    def noisy(x):
        warnings.warn("noisy deterministic evaluated", UserWarning, stacklevel=1)
        return np.asarray(x * 2.0)

    with pm.Model() as model:
        m = pm.Normal("m", 0, 1)
        pm.Deterministic("twice", noisy(m))
        pm.Normal("y", m, 1, observed=np.array([0.1, -0.3, 0.2]))
    mon = monitor(model, outbox, backend="pymc", draws=20, tune=20, chains=1)
    result = mon.wait()
    assert mon.wait_rendered(timeout=30)
    messages = [w["message"] for w in mon.warnings]
    assert messages.count("noisy deterministic evaluated") == 1  # once, with a count
    assert mon.warnings == result.warnings


def test_a_fit_keeping_many_draws_shows_its_end_before_its_summary(
    small_model, outbox, monkeypatch
):
    """Summarising every draw of a long fit takes seconds: its status and message reach the
    page first, the figure and the parameter table follow."""
    import bayes_widgets.widgets.fit_views as fm

    monkeypatch.setattr(fm, "SUMMARY_FIRST_VALUES", 0)
    mon = monitor(small_model, outbox, backend="nutpie")
    order = []
    mon.observe(
        lambda change: order.append((change["name"], change["new"])),
        names=["status", "diagnostics", "trace_figure"],
    )
    assert mon.wait_rendered(timeout=60)
    assert mon.status == "finished" and mon.diagnostics.get("parameters")
    names = [name for name, _ in order]
    ended = order.index(("status", "finished"))
    summarised = names.index("diagnostics")
    assert ended < summarised and ended < len(names) - 1 - names[::-1].index("trace_figure"), names

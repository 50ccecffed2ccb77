"""FitSession end to end on a tiny model, for every backend."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from tests.events import Recorder

BACKENDS = ["pymc", "nutpie"]
CHAINS, TUNE, DRAWS = 2, 150, 200
TERMINAL = (ev.Finished, ev.Cancelled, ev.Failed)


@pytest.fixture(scope="module")
def finished(request, tiny_model):
    """One complete fit per backend (warmup kept), with its recorded events."""
    out = {}
    for backend in BACKENDS:
        session = FitSession(
            tiny_model,
            backend=backend,
            draws=DRAWS,
            tune=TUNE,
            chains=CHAINS,
            cores=1,
            seed=11,
            keep_warmup=True,
            rate_hz=20,
        )
        rec = Recorder()
        session.subscribe(rec)
        result = session.start().wait(timeout=120)
        out[backend] = (session, rec, result)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_finished_fit_result(finished, backend):
    session, _, r = finished[backend]
    assert r is session.final_result
    assert r.status == "finished" and session.status == "finished" and session.done
    assert r.partial is False and r.error is None
    assert r.backend == backend
    assert r.draws_completed == (TUNE + DRAWS,) * CHAINS
    post = r.idata["posterior"].to_dataset()
    assert dict(post.sizes) == {"chain": CHAINS, "draw": DRAWS}
    assert post["mu"].shape == (CHAINS, DRAWS) and post["sigma"].shape == (CHAINS, DRAWS)
    assert not np.isnan(post["mu"].values).any()
    assert (post["sigma"].values > 0).all()
    stats = r.idata["sample_stats"].to_dataset()
    assert stats.sizes["draw"] == DRAWS and "diverging" in stats and "energy" in stats
    # keep_warmup=True: the tuning draws are there as well
    assert r.idata["warmup_posterior"].to_dataset().sizes["draw"] == TUNE
    assert "warmup_sample_stats" in r.idata.children
    d = r.diagnostics
    assert d.backend == backend and d.chains == CHAINS and d.draws_per_chain == DRAWS
    assert d.tune == TUNE and not d.partial
    assert [p["name"] for p in d.parameters] == ["mu", "sigma"]
    assert d.parameters[0]["mean"] == pytest.approx(post["mu"].values.mean())


@pytest.mark.parametrize("backend", BACKENDS)
def test_warmup_dropped_by_default(tiny_model, backend):
    r = bw.fit(tiny_model, backend=backend, draws=100, tune=100, chains=2, cores=1, seed=3)
    assert r.status == "finished"
    groups = set(r.idata.children)
    assert {"posterior", "sample_stats"} <= groups
    assert not [g for g in groups if g.startswith("warmup_")]
    assert r.idata["posterior"].to_dataset().sizes["draw"] == 100


@pytest.mark.parametrize("backend", BACKENDS)
def test_events_arrive_in_order(finished, backend):
    session, rec, r = finished[backend]
    events = rec.events
    assert all(e.session_id == session.id for e in events)
    assert isinstance(events[0], ev.Started)
    started = events[0]
    assert (started.backend, started.chains) == (backend, CHAINS)
    assert (started.draws, started.tune) == (DRAWS, TUNE)
    assert started.trace_names == ("mu", "sigma") == session.trace_names
    kinds = [type(e) for e in events]
    assert kinds.count(ev.Started) == 1
    assert kinds.count(ev.Compiled) == 1
    i_compiled = kinds.index(ev.Compiled)
    assert events[i_compiled].seconds >= 0
    # nothing about draws comes before Compiled (an all-zero progress report may)
    for e in events[:i_compiled]:
        assert not isinstance(e, ev.TraceChunk)
        if isinstance(e, ev.ChainProgress):
            assert all(c.draws_done == 0 for c in e.chains)
    later = events[i_compiled + 1 : -1]
    assert any(isinstance(e, ev.ChainProgress) for e in later)
    assert any(isinstance(e, ev.TraceChunk) for e in later)
    assert {type(e) for e in later} <= {ev.ChainProgress, ev.TraceChunk}
    # exactly one terminal event, the last one, carrying the result
    assert sum(isinstance(e, TERMINAL) for e in events) == 1
    assert isinstance(events[-1], ev.Finished)
    assert events[-1].result is r
    final_progress = [e for e in events if isinstance(e, ev.ChainProgress)][-1]
    for c in final_progress.chains:
        assert c.draws_done == c.total == TUNE + DRAWS
        assert c.phase == "done"


@pytest.mark.parametrize("backend", BACKENDS)
def test_trace_chunks_add_up_to_every_draw(finished, backend):
    session, rec, r = finished[backend]
    chunks = rec.of(ev.TraceChunk)
    k = len(session.trace_names)
    for chain in range(CHAINS):
        mine = [c for c in chunks if c.chain == chain]
        expected_start = 0
        for c in mine:  # contiguous, in order
            assert c.start == expected_start
            assert c.values.shape == (len(c.tuning), k) == (len(c.diverging), k)
            expected_start += len(c.values)
        values = np.concatenate([c.values for c in mine])
        tuning = np.concatenate([c.tuning for c in mine])
        assert values.shape == (TUNE + DRAWS, k)
        assert tuning[:TUNE].all() and not tuning[TUNE:].any()
        # the state's buffer holds the same draws as the chunks
        buffered = session.state.trace_arrays()[chain]
        np.testing.assert_array_equal(buffered.values, values)
        # ... and they are the sampler's draws, tuning draws first
        for j, name in enumerate(session.trace_names):
            post = r.idata["posterior"][name].values[chain]
            warm = r.idata["warmup_posterior"][name].values[chain]
            np.testing.assert_allclose(values[TUNE:, j], post, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(values[:TUNE, j], warm, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshot_reaches_total(finished, backend):
    session, _, _ = finished[backend]
    snap = session.snapshot()
    assert snap.status == "finished"
    assert snap.total == CHAINS * (TUNE + DRAWS)
    assert snap.draws_done == snap.total
    assert snap.fraction == 1.0
    assert snap.elapsed_s > 0 and snap.error is None
    assert "Finished" in snap.message
    rows = session.running_diagnostics()
    assert [row["name"] for row in rows] == ["mu", "sigma"]
    assert all(row["draws"] == DRAWS and row["r_hat"] is not None for row in rows)


def test_diagnostics_same_schema_for_every_backend(finished):
    dicts = {}
    for backend in BACKENDS:
        _session, _, r = finished[backend]
        d = r.diagnostics.to_dict()
        json.dumps(d, allow_nan=False)
        assert d["backend"] == backend
        assert d["draws_per_s"] > 0 and d["wall_time_s"] > 0 and d["sampling_time_s"] > 0
        assert d["sampling_time_s"] <= d["wall_time_s"]
        # the stats are found under each backend's own names
        assert len(d["ebfmi"]) == CHAINS and all(e is not None and e > 0 for e in d["ebfmi"])
        stats = r.idata["sample_stats"].to_dataset()
        depth_name = {"pymc": "reached_max_treedepth", "nutpie": "maxdepth_reached"}[backend]
        assert d["max_treedepth_hits"] == int(stats[depth_name].values.sum())
        assert d["divergences"] == int(stats["diverging"].values.sum())
        for key in ("rhat_max", "ess_bulk_min", "ess_tail_min", "ebfmi_min"):
            assert isinstance(d[key], float), key
        dicts[backend] = d
    pymc, nutpie = dicts["pymc"], dicts["nutpie"]
    assert set(pymc) == set(nutpie)
    assert [set(p) for p in pymc["parameters"]] == [set(p) for p in nutpie["parameters"]]
    assert [p["name"] for p in pymc["parameters"]] == [p["name"] for p in nutpie["parameters"]]
    # the same tiny posterior, whichever sampler drew it
    for p, q in zip(pymc["parameters"], nutpie["parameters"], strict=True):
        assert p["mean"] == pytest.approx(q["mean"], abs=4 * max(p["sd"], q["sd"]) / np.sqrt(DRAWS))


@pytest.mark.parametrize("backend", BACKENDS)
def test_wait_returns_after_final_event_was_delivered(tiny_model, backend):
    delivered = threading.Event()

    def slow_listener(event):
        if isinstance(event, TERMINAL):
            time.sleep(0.5)  # a slow subscriber
            delivered.set()

    session = FitSession(tiny_model, backend=backend, draws=50, tune=50, chains=1, cores=1, seed=5)
    session.subscribe(slow_listener)
    result = session.start().wait(timeout=120)
    assert delivered.is_set()
    assert result.status == "finished"


def test_fit_without_blocking_returns_the_running_session(tiny_model):
    delivered = threading.Event()

    class Sub:
        def __call__(self, event):
            if isinstance(event, TERMINAL):
                time.sleep(0.3)
                delivered.set()

    session = bw.fit(tiny_model, backend="pymc", block=False, draws=50, tune=50, chains=1, cores=1)
    assert isinstance(session, FitSession)
    session.subscribe(Sub())  # may miss early events, never the final one
    result = session.wait(timeout=120)
    assert delivered.is_set() and result.status == "finished"


@pytest.mark.parametrize(("backend", "draws"), [("pymc", 3_000), ("nutpie", 50_000)])
def test_pause_and_resume(tiny_model, backend, draws, wait_until):
    session = FitSession(
        tiny_model, backend=backend, draws=draws, tune=100, chains=2, cores=1, seed=2
    )
    assert session.supports_pause
    rec = Recorder()
    session.subscribe(rec)
    session.start()
    wait_until(lambda: session.snapshot().draws_done > 150, what="draws before pausing")
    session.pause()
    assert session.status == "paused"
    time.sleep(0.3)  # the draw under way when pausing may still land
    before = session.snapshot().draws_done
    time.sleep(0.5)
    snap = session.snapshot()
    assert snap.status == "paused"
    assert snap.draws_done == before, "draws were made while paused"
    assert before < snap.total
    assert rec.of(ev.Paused)
    session.resume()
    assert session.status == "sampling"
    wait_until(
        lambda: session.snapshot().draws_done > before, timeout=30, what="draws after resuming"
    )
    result = session.wait(timeout=120)
    assert result.status == "finished" and not result.partial
    assert result.idata["posterior"].to_dataset().sizes["draw"] == draws
    assert len(rec.of(ev.Paused)) == 1 and len(rec.of(ev.Resumed)) == 1
    kinds = [type(e) for e in rec.events]
    assert kinds.index(ev.Paused) < kinds.index(ev.Resumed) < kinds.index(ev.Finished)
    assert isinstance(rec.events[-1], ev.Finished)
    # the 0.8 s spent paused is not counted as sampling time
    d = result.diagnostics
    assert d.wall_time_s - d.sampling_time_s > 0.6


def test_session_cannot_start_twice(tiny_model):
    session = FitSession(tiny_model, backend="pymc", draws=30, tune=30, chains=1, cores=1)
    session.start()
    with pytest.raises(RuntimeError, match="already started"):
        session.start()
    assert session.wait(timeout=120).status == "finished"
    with pytest.raises(RuntimeError, match="already started"):
        session.start()


def test_unsubscribe_stops_delivery(tiny_model):
    kept, dropped = Recorder(), Recorder()
    session = FitSession(tiny_model, backend="pymc", draws=50, tune=50, chains=1, cores=1)
    session.subscribe(kept)
    unsubscribe = session.subscribe(dropped)
    unsubscribe()
    unsubscribe()  # twice is harmless
    session.start().wait(timeout=120)
    assert dropped.events == []
    assert isinstance(kept.events[-1], ev.Finished)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_listener_does_not_stop_the_fit(tiny_model, backend, capsys):
    calls = []

    def broken(event):
        calls.append(type(event))
        raise RuntimeError("listener is broken")

    rec = Recorder()
    session = FitSession(
        tiny_model, backend=backend, draws=100, tune=100, chains=2, cores=1, seed=4
    )
    session.subscribe(broken)
    session.subscribe(rec)  # subscribed after the broken one: still served
    result = session.start().wait(timeout=120)
    assert result.status == "finished" and not result.partial
    assert result.idata["posterior"].to_dataset().sizes["draw"] == 100
    assert calls[0] is ev.Started and calls[-1] is ev.Finished  # called for every event
    assert [type(e) for e in rec.events] == calls
    assert "listener is broken" in capsys.readouterr().err  # reported, not swallowed


@pytest.mark.parametrize(
    ("backend", "sampler_kwargs", "fragment"),
    [
        ("pymc", {"init": "no-such-init"}, "no-such-init"),
        ("nutpie", {"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_sampler_error_gives_failed_result(tiny_model, backend, sampler_kwargs, fragment):
    rec = Recorder()
    session = FitSession(
        tiny_model,
        backend=backend,
        draws=20,
        tune=20,
        chains=1,
        cores=1,
        sampler_kwargs=sampler_kwargs,
    )
    session.subscribe(rec)
    result = session.start().wait(timeout=120)
    assert result.status == "failed" and session.status == "failed"
    assert result.partial and result.idata is None
    assert fragment in result.error
    assert "Traceback" in result.message
    assert session.snapshot().error == result.error
    failed = rec.of(ev.Failed)
    assert len(failed) == 1 and rec.events[-1] is failed[0]
    assert failed[0].error == result.error
    assert not rec.of(ev.Finished) and not rec.of(ev.Cancelled)
    json.dumps(result.to_dict(), allow_nan=False)

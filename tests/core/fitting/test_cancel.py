"""cancel() in every phase of a fit: prompt, keeps what was drawn, leaves nothing running."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import psutil
import pytest

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from tests.events import Recorder

BACKENDS = ["pymc", "nutpie"]
CANCEL_LIMIT_S = 2.0
TERMINAL = (ev.Finished, ev.Cancelled, ev.Failed)
pytestmark = pytest.mark.usefixtures("warm_diagnostics")


def _live_children(exclude: set[int]) -> list[psutil.Process]:
    out = []
    for p in psutil.Process().children(recursive=True):
        if p.pid in exclude:
            continue
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _session_threads(session) -> list[threading.Thread]:
    names = {f"bw-fit-{session.id}", f"bw-pump-{session.id}"}
    return [t for t in threading.enumerate() if t.name in names and t.is_alive()]


@pytest.fixture
def no_leftovers():
    """Call ``check(session)`` at the end of a test: no new child process and none of the
    session's threads may outlive the cancel by more than ``settle`` seconds."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}

    def check(session, settle: float = 3.0) -> None:
        deadline = time.monotonic() + settle
        while _live_children(before) or _session_threads(session):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not _live_children(before), f"child processes left: {_live_children(before)}"
        assert not _session_threads(session), f"threads left: {_session_threads(session)}"

    return check


def _start(model, backend, rec, **kwargs) -> FitSession:
    session = FitSession(model, backend=backend, chains=2, cores=2, seed=7, **kwargs)
    session.subscribe(rec)
    return session.start()


def _timed_cancel(session):
    t0 = time.perf_counter()
    result = session.cancel()
    return result, time.perf_counter() - t0


def _check_terminal(session, rec, result):
    assert result is session.final_result
    assert session.status == "cancelled" and session.snapshot().status == "cancelled"
    assert result.status == "cancelled" and result.partial is True and result.error is None
    assert session.wait(timeout=5) is result
    json.dumps(result.to_dict(), allow_nan=False)
    # the pump delivers the final event shortly after cancel() returns
    deadline = time.monotonic() + 5
    while not any(isinstance(e, TERMINAL) for e in rec.events) and time.monotonic() < deadline:
        time.sleep(0.01)
    terminal = [e for e in rec.events if isinstance(e, TERMINAL)]
    assert len(terminal) == 1 and isinstance(terminal[0], ev.Cancelled)
    assert terminal[0].result is result
    assert rec.events[-1] is terminal[0]


def _posterior_checks(result):
    post = result.idata["posterior"].to_dataset()
    n = post.sizes["draw"]
    assert n > 0, result.message
    for name, da in post.data_vars.items():
        assert not np.isnan(da.values).any(), name
    assert result.idata["sample_stats"].to_dataset().sizes["draw"] == n
    assert result.diagnostics.draws_per_chain == n and result.diagnostics.partial
    assert f"{n} of" in result.message
    return n


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_while_compiling(make_tiny_model, backend, no_leftovers):
    rec = Recorder()
    session = FitSession(
        make_tiny_model(), backend=backend, chains=2, cores=2, seed=7, draws=100, tune=100
    )  # fresh model: compiles
    # a warm compile cache can make PyMC's preparation of a tiny model instant: hold it
    # for a second so that the cancel surely lands while compiling
    prepare = session.backend.prepare

    def slow_prepare(control):
        time.sleep(1.0)
        prepare(control)

    session.backend.prepare = slow_prepare
    session.subscribe(rec)
    session.start()
    assert session.status == "compiling"
    result, seconds = _timed_cancel(session)
    assert seconds < CANCEL_LIMIT_S
    _check_terminal(session, rec, result)
    assert result.idata is None
    assert "compiling" in result.message
    assert result.draws_completed == (0, 0)
    assert result.diagnostics.draws_per_chain == 0
    assert not any(isinstance(e, ev.TraceChunk) for e in rec.events)
    # the compiler cannot be interrupted: its thread ends when compiling does
    no_leftovers(session, settle=60)


def test_no_event_after_cancelled_while_compiling(make_tiny_model, wait_until):
    """The compile going on after a cancel must not emit Compiled after Cancelled.

    nutpie: compiling a fresh model takes over a second, so the order is deterministic.
    """
    rec = Recorder()
    session = _start(make_tiny_model(), "nutpie", rec, draws=100, tune=100)
    result = session.cancel()
    assert result.status == "cancelled" and "compiling" in result.message
    wait_until(lambda: not _session_threads(session), timeout=60, what="the compile to end")
    assert session.status == "cancelled"
    kinds = [type(e).__name__ for e in rec.events]
    assert kinds.count("Cancelled") == 1
    assert kinds[-1] == "Cancelled", f"events after the terminal one: {kinds}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_while_tuning(tiny_model, backend, wait_until, no_leftovers):
    rec = Recorder()
    session = _start(tiny_model, backend, rec, draws=100, tune=100_000)

    def tuning_everywhere():
        chains = session.snapshot().chains
        return all(c.draws_done >= 5 and c.tuning for c in chains)

    wait_until(tuning_everywhere, what="tuning draws in every chain")
    result, seconds = _timed_cancel(session)
    assert seconds < CANCEL_LIMIT_S
    _check_terminal(session, rec, result)
    idata = result.idata
    if "posterior" in idata.children:
        assert idata["posterior"].to_dataset().sizes.get("draw", 0) == 0
    warm = idata["warmup_posterior"].to_dataset()
    assert warm.sizes["draw"] > 0
    assert not np.isnan(warm["mu"].values).any()
    assert warm.sizes["draw"] < 100_000
    assert "tuning" in result.message
    assert "warmup_posterior" in result.message
    # the message counts what the result holds, per chain
    assert (
        f"{warm.sizes['draw']} of 100000 tuning draws per chain kept in 'warmup_posterior'"
        in result.message
    )
    assert result.diagnostics.draws_per_chain == 0
    # every chain row says it was cancelled, and nothing promises an end
    snap = session.snapshot()
    assert [c.phase for c in snap.chains] == ["cancelled"] * 2
    assert all(c.eta_s is None for c in snap.chains) and snap.eta_s is None
    no_leftovers(session)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_while_sampling(tiny_model, backend, wait_until, no_leftovers):
    rec = Recorder()
    session = _start(tiny_model, backend, rec, draws=100_000, tune=50)

    def sampling_everywhere():
        return all(c.draws_done > 50 + 20 and not c.tuning for c in session.snapshot().chains)

    wait_until(sampling_everywhere, what="post-tuning draws in every chain")
    result, seconds = _timed_cancel(session)
    assert seconds < CANCEL_LIMIT_S
    _check_terminal(session, rec, result)
    n = _posterior_checks(result)
    assert n < 100_000
    assert "Cancelled" in result.message and "partial" in result.message
    no_leftovers(session)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_while_paused(tiny_model, backend, wait_until, no_leftovers):
    rec = Recorder()
    session = _start(tiny_model, backend, rec, draws=100_000, tune=50)
    wait_until(
        lambda: all(c.draws_done > 70 and not c.tuning for c in session.snapshot().chains),
        what="post-tuning draws in every chain",
    )
    session.pause()
    time.sleep(0.2)  # let the pause take hold
    at_pause = session.snapshot().chains
    time.sleep(0.6)
    assert session.status == "paused"
    result, seconds = _timed_cancel(session)
    assert seconds < CANCEL_LIMIT_S
    _check_terminal(session, rec, result)
    n = _posterior_checks(result)
    # nothing was drawn while paused: had sampling gone on for those 0.6 s, the chains would
    # hold more draws than counted at the pause plus a quarter of a second's worth
    kept = 50 + n  # per chain: the kept chains are cut to the shortest of them
    bounds = sorted(
        (c.draws_done + 0.25 * (c.draws_per_s or 0.0) + 5 for c in at_pause), reverse=True
    )
    n_kept = result.idata["posterior"].sizes["chain"]  # PyMC may drop the shorter chains
    assert kept <= bounds[n_kept - 1], ([c.draws_done for c in at_pause], kept)
    kinds = [type(e) for e in rec.events]
    assert kinds.index(ev.Paused) < kinds.index(ev.Cancelled)
    no_leftovers(session)


def test_draws_completed_counts_the_kept_draws(tiny_model, wait_until):
    """After a cancel, the draw counts (result and snapshot) cover the draws that were kept.

    PyMC only: with nutpie the counts come from its progress callback (every 50 ms) and
    can lag the kept trace by hundreds of draws; reported separately, not tested here
    because whether the last callback lands in time is a race.
    """
    rec = Recorder()
    session = _start(tiny_model, "pymc", rec, draws=100_000, tune=50)
    wait_until(
        lambda: all(c.draws_done > 70 and not c.tuning for c in session.snapshot().chains),
        what="post-tuning draws in every chain",
    )
    result = session.cancel()
    idata = result.idata
    # cancelled after tuning: the warmup groups are dropped (keep_warmup=False), all 50
    # tuning draws were made
    assert "warmup_posterior" not in idata.children
    kept = 50 + idata["posterior"].sizes["draw"]
    # PyMC itself may drop the shorter chains of an interrupted fit; those kept are the longest
    n_kept = idata["posterior"].sizes["chain"]
    longest = sorted(result.draws_completed)[-n_kept:]
    assert all(done >= kept for done in longest), (result.draws_completed, kept)
    snap_done = sorted(c.draws_done for c in session.snapshot().chains)[-n_kept:]
    assert all(done >= kept for done in snap_done), (snap_done, kept)


def test_cancel_before_start(tiny_model):
    rec = Recorder()
    session = FitSession(tiny_model, backend="pymc", draws=50, tune=50, chains=1, cores=1)
    session.subscribe(rec)
    result = session.cancel()
    assert result.status == "cancelled" and result.idata is None and result.partial
    assert session.status == "cancelled"
    assert [type(e) for e in rec.events] == [ev.Cancelled]


def test_start_after_cancel_does_not_revive_the_session(tiny_model, wait_until):
    session = FitSession(tiny_model, backend="pymc", draws=50, tune=50, chains=1, cores=1)
    result = session.cancel()
    try:
        session.start()
    except RuntimeError:
        pass  # refusing to start is fine too
    wait_until(lambda: not _session_threads(session), timeout=30, what="session threads to end")
    assert session.final_result is result
    assert session.status == "cancelled"
    assert session.snapshot().status == "cancelled"


def test_cancel_after_finish_keeps_the_result(tiny_model):
    rec = Recorder()
    session = FitSession(tiny_model, backend="pymc", draws=50, tune=50, chains=1, cores=1)
    session.subscribe(rec)
    finished = session.start().wait(timeout=120)
    t0 = time.perf_counter()
    again = session.cancel()
    assert time.perf_counter() - t0 < 0.5
    assert again is finished and again.status == "finished" and not again.partial
    assert session.status == "finished"
    assert isinstance(rec.events[-1], ev.Finished)
    assert sum(isinstance(e, TERMINAL) for e in rec.events) == 1


def test_cancel_without_waiting(tiny_model, wait_until, no_leftovers):
    rec = Recorder()
    session = _start(tiny_model, "pymc", rec, draws=100_000, tune=50)
    wait_until(lambda: all(c.draws_done > 70 for c in session.snapshot().chains), what="draws")
    t0 = time.perf_counter()
    assert session.cancel(wait=False) is None
    assert time.perf_counter() - t0 < 0.1
    result = session.wait(timeout=10)
    assert result.status == "cancelled"
    _check_terminal(session, rec, result)
    no_leftovers(session)

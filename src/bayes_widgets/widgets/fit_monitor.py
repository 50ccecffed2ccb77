"""FitMonitor: watch a fit live — chains, divergences, trace and rank plots, R-hat/ESS.

    monitor = FitMonitor(model, backend="nutpie", draws=1000)   # starts at once
    monitor                                                     # shows it
    result = monitor.wait()                                     # or keep working

    FitMonitor(numpyro_model, backend="numpyro", model_args=(x,), model_kwargs={"y": y})
    FitMonitor(numpyro_model, backend="numpyro-svi", guide="AutoNormal", steps=20_000,
               model_args=(x,), model_kwargs={"y": y})           # SVI mode

In SVI mode (backend 'numpyro-svi') it shows the loss curve instead of chains and
traces: per-step losses binned and smoothed (BokehJS, streamed), steps/s, ETA, the
current parameters of the main sites (median and 90% interval from the guide), and
whether the fit converged or was cancelled.

The fit runs in the session's worker thread, so the kernel stays free; the
buttons act on the session through the core API. Live numbers are traits updated
at the session's rate (10 Hz); new draws stream as messages; when the fit ends
its final state (figure with data, diagnostics) is written into traits, so a
saved notebook or a reloaded page shows it.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from typing import Any

import numpy as np
import traitlets

from bayes_widgets.core.figures.fit import MAX_POINTS, trace_columns, trace_rank_figure
from bayes_widgets.core.figures.svi import LossBinner, loss_figure, loss_stride
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.diagnostics import (
    fit_problems,
    group_parameters,
    rank_histograms,
    running_diagnostics,
)
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.widgets._base import BayesWidget, static_text

RUNNING_EVERY_S = 2.0
RUNNING_SHARE = 0.05
"""Running R-hat/ESS take at most this share of the time (they slow down for long fits)."""
RUNNING_MAX_S = 10.0
STREAM_POINTS = 100
"""Points per chain per update at most: fast samplers make far more draws than a plot shows."""
RANK_BINS = 20
RANK_DRAWS = 5000
MIN_RUNNING_DRAWS = 20
YIELD_S = 0.005
LIVE_POINTS = 2000
"""Points per chain a view keeps while streaming (older ones roll off)."""
MAX_GROUP_ROWS = 100
"""Rows per deterministic variable kept in the widget's state (all are in the result)."""


SUMMARY_FIRST_VALUES = 2_000_000
"""A fit keeping more posterior values than this (draws × chains × traced values) shows
its end before the figure and the table summarising every draw are ready."""


class FitMonitor(BayesWidget):
    """Live view of a :class:`~bayes_widgets.core.fitting.session.FitSession`.

    Pass a ``model`` (a PyMC model, or a NumPyro model function with ``model_args`` /
    ``model_kwargs``) and the session's keyword arguments (``backend``, ``draws``,
    ``tune``, ``chains``, ``cores``, ``seed``, ``target_accept``, ``var_names``; for
    ``backend="numpyro-svi"`` ``guide``, ``steps``, ``optimizer``, ``loss``, ...), or a
    ready ``session``. Bad input is shown inline (``error``) instead of raising;
    :meth:`wait` raises it.
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _urgent = frozenset({"cancel", "pause", "resume", "sync"})

    status = traitlets.Unicode("created").tag(sync=True)
    """created, compiling, sampling, paused, finished, cancelled, failed, or error (bad input)."""
    message = traitlets.Unicode("").tag(sync=True)
    """What happened, e.g. how many draws a cancelled fit kept."""
    backend = traitlets.Unicode("").tag(sync=True)
    trace_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Scalars shown in the trace and rank plots, with coordinate labels (``beta[price]``)."""
    problems = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Every problem of the fit, named (the rules of ``result.diagnostics``): while sampling
    from the running R-hat/ESS and the divergences, at the end from the final diagnostics."""
    groups = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Final: one line per variable (size, max R-hat, min ESS, problems); free ones first."""
    warnings = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Warnings raised inside the fit, each once: category, message, count."""
    log = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The sampler's log lines (kept here instead of printed in other cells)."""
    chains = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Per chain: draws_done, total, phase, divergences, step_size, tree_depth/n_steps, draws_per_s, eta_s."""
    progress = traitlets.Dict().tag(sync=True)
    """Overall: draws_done, total, fraction, draws_per_s, elapsed_s, eta_s, divergences."""
    running = traitlets.List(traitlets.Dict()).tag(sync=True)
    """R-hat and ESS of the traced scalars so far (about once a second)."""
    diagnostics = traitlets.Dict().tag(sync=True)
    """Final diagnostics (the core's one schema) once the fit has ended."""
    figure_json = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of the trace/rank figure; rewritten with the draws when the fit ends."""
    ranks = traitlets.List().tag(sync=True)
    """Rank-plot counts per traced scalar: [k][chain][bin]."""
    can_pause = traitlets.Bool(False).tag(sync=True)
    tune = traitlets.Int(0).tag(sync=True)
    live_points = traitlets.Int(LIVE_POINTS).tag(sync=True)
    method = traitlets.Unicode("mcmc").tag(sync=True)
    """'mcmc' (chains and traces) or 'svi' (loss curve and parameters)."""
    svi_params = traitlets.List(traitlets.Dict()).tag(sync=True)
    """SVI: current parameters of the main sites: name, shape, value, lo, hi, kind."""
    loss_stride = traitlets.Int(1).tag(sync=True)
    """SVI: steps averaged into one point of the loss curve."""

    def __init__(
        self,
        model=None,
        *,
        session: FitSession | None = None,
        autostart: bool = True,
        **fit_kwargs: Any,
    ):
        # The fit starts first, so building the widget overlaps with sampling; events that
        # arrive before the widget is ready wait in the relay and are replayed in order.
        relay = _Relay()
        exception: Exception | None = None
        try:
            if session is None:
                if model is None:
                    raise FitInputError("model", "pass a model (PyMC or NumPyro) or session=...")
                session = FitSession(model, **fit_kwargs)
            elif fit_kwargs or model is not None:
                raise FitInputError("session", "pass either a session or a model with its options")
            session.subscribe(relay)
            if autostart and session.status == "created":
                session.start()
        except (FitInputError, TypeError, ImportError) as exc:
            exception, session = exc, None
        super().__init__(_esm=static_text("fit_monitor.js"))
        self.session: FitSession | None = session
        self.exception = exception
        self._seq = 0
        self._send_lock = threading.Lock()
        self._pending: list[ev.TraceChunk] = []
        self._last_running = 0.0
        self._rendered = threading.Event()
        self._running_every = RUNNING_EVERY_S
        self._binner: LossBinner | None = None
        self._capture_version = -1
        self._running_rows: list[dict] = []
        self._running_chains = 0
        self._loss_sent: dict[str, list] = {"x": [], "y": [], "s": []}
        if session is None:
            self.status = "error"
            self.error = str(exception)
            return
        with self.hold_sync():
            self.backend = session.backend_name
            self.method = session.method
            self.trace_names = list(getattr(session, "trace_labels", session.trace_names))
            self.can_pause = session.supports_pause
            self.tune = session.config.tune
            if session.method == "svi":
                self.loss_stride = loss_stride(session.config.steps)
                self._binner = LossBinner(self.loss_stride)
                self.figure_json = loss_figure(session.config.steps)
                self._publish_svi(session.state.status(0.0), ())
            else:
                self.figure_json = trace_rank_figure(
                    self.trace_names, session.config.chains, session.config.tune, bins=RANK_BINS
                )
                self._publish_progress(session.state.chain_statuses())
        _PENDING.add(self)
        _wait_for_views_at_cell_end()
        relay.attach(self._on_event)

    # -- Python API ----------------------------------------------------------------
    def wait(self, timeout: float | None = None):
        """Blocks until the fit ends; returns its :class:`FitResult`. Interrupt = cancel.

        The result comes back as soon as sampling has ended; the widget's final view
        (diagnostics table, figure with the draws) is written just after, off this
        thread — :meth:`wait_rendered` waits for it, and in IPython every cell waits
        for it before it ends, so a saved notebook always holds the final state.
        """
        if self.session is None:
            raise self.exception  # type: ignore[misc]
        return self.session.wait(timeout)

    result = wait

    def wait_rendered(self, timeout: float | None = None) -> bool:
        """Waits until the final state of an ended fit is in the traits; False on timeout."""
        if self.session is None:
            return True
        self.session.wait(timeout)
        return self._rendered.wait(timeout)

    def cancel(self):
        if self.session is not None:
            return self.session.cancel()
        return None

    def pause(self) -> None:
        if self.session is not None:
            self.session.pause()
            self.status = self.session.status

    def resume(self) -> None:
        if self.session is not None:
            self.session.resume()
            self.status = self.session.status

    # -- messages from the front end -------------------------------------------------
    def _on_cancel(self, _msg) -> None:
        self.session.cancel(wait=False)

    def _on_pause(self, _msg) -> None:
        self.pause()

    def _on_resume(self, _msg) -> None:
        self.resume()

    def _on_sync(self, msg) -> None:
        """A view asks for everything drawn so far (after a page reload or a late render)."""
        if self.session is None:
            return
        if self.method == "svi":
            with self._send_lock:
                self.send_message(
                    "reset",
                    request=msg.get("request"),
                    seq=self._seq,
                    chunks=[{"loss": _copy_columns(self._loss_sent)}],
                )
            return
        with self._send_lock:
            chunks = []
            for d in self.session.state.trace_arrays():
                warm, trace, divs = trace_columns(
                    self.trace_names, d.values, d.tuning, d.diverging, d.start, thin_to=LIVE_POINTS
                )
                chunks.append({"chain": d.chain, "warm": warm, "trace": trace, "div": divs})
            self.send_message("reset", request=msg.get("request"), seq=self._seq, chunks=chunks)

    # -- events from the session (pump thread) -------------------------------------
    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.LossChunk):
            self._stream_losses(event.losses)
            self._publish_svi(event.status, event.params)
        elif isinstance(event, ev.TraceChunk):
            self._pending.append(event)
        elif isinstance(event, ev.ChainProgress):
            self._flush_trace()
            self._publish_progress(event.chains)
            now = time.perf_counter()
            due = now - self._last_running >= self._running_every and not self.session.done
            if due and self._publish_running():
                self._last_running = time.perf_counter()
                cost = self._last_running - now
                self._running_every = min(max(RUNNING_EVERY_S, cost / RUNNING_SHARE), RUNNING_MAX_S)
        elif isinstance(event, ev.Paused | ev.Resumed | ev.Compiled):
            self.status = self.session.status
        elif isinstance(event, ev.Finished | ev.Cancelled | ev.Failed):
            # the result is handed back at once; the final view is drawn off the pump
            threading.Thread(
                target=self._publish_final, name="bw-monitor-final", daemon=True
            ).start()

    def _flush_trace(self) -> None:
        """Sends the draws that came in since the last update, one batched message."""
        pending, self._pending = self._pending, []
        if not pending or self.session.done:  # the final view carries every draw
            return
        with self._send_lock:
            self._seq += 1
            chunks = []
            for e in pending:
                warm, trace, divs = trace_columns(
                    self.trace_names,
                    e.values,
                    e.tuning,
                    e.diverging,
                    e.start,
                    thin_to=STREAM_POINTS,
                )
                chunks.append({"chain": e.chain, "warm": warm, "trace": trace, "div": divs})
            self.send_message("trace", seq=self._seq, chunks=chunks)

    def _stream_losses(self, losses) -> None:
        """Bins the new losses and sends the completed bins, one message per update."""
        if self.session.done or not len(losses):
            return
        with self._send_lock:
            data = self._binner.add(losses)
            if not data["x"]:
                return
            for k, v in data.items():
                self._loss_sent[k].extend(v)
            self._seq += 1
            self.send_message("trace", seq=self._seq, chunks=[{"loss": data}])

    def _publish_svi(self, status: ev.SVIStatus, params) -> None:
        snap_status = self.session.status if self.session else "error"
        with self.hold_sync():
            self.progress = {
                **status.to_dict(),
                "draws_done": status.steps_done,
                "elapsed_s": self.session.elapsed_s if self.session else 0.0,
            }
            if params:
                self.svi_params = [dict(row) for row in params]
            if snap_status not in ("finished", "cancelled", "failed"):
                self.status = snap_status

    def _publish_progress(self, chains) -> None:
        snap_status = self.session.status if self.session else "error"
        rows = [c.to_dict() for c in chains]
        elapsed = self.session.elapsed_s if self.session else 0.0
        overall = self.session.state.overall(chains) if self.session else {}
        ended = snap_status in ("finished", "cancelled", "failed")
        with self.hold_sync():
            self.chains = rows
            self.progress = {
                **overall,
                "elapsed_s": elapsed,
                "eta_s": None if ended else overall.get("eta_s"),
            }
            if not ended:
                self.status = snap_status
                self._publish_live_problems(chains)
            self._publish_capture()

    def _publish_live_problems(self, chains) -> None:
        """Problems while sampling: divergences after tuning, and the traced scalars' running
        R-hat/ESS, by the rules of the final diagnostics."""
        divergences = [c.divergences for c in chains]
        self.problems = fit_problems(
            self._running_rows,
            chains=self._running_chains or len(chains),
            divergences=sum(divergences),
            divergences_by_chain=divergences,
        )

    def _publish_capture(self) -> None:
        capture = self.session.capture if self.session else None
        if capture is None or capture.version == self._capture_version:
            return
        self._capture_version = capture.version
        self.warnings = capture.warnings
        self.log = capture.log

    def _publish_running(self) -> bool:
        """Publishes running R-hat/ESS and rank counts; False when there is nothing yet."""
        # chains that run one after another: the chains with draws so far
        state = self.session.state
        used = state.posterior_chains(MIN_RUNNING_DRAWS)
        draws = state.posterior_draws(min_draws=MIN_RUNNING_DRAWS)
        if draws.shape[1] < MIN_RUNNING_DRAWS or not used:
            return False
        running = running_diagnostics(draws, self.trace_names)
        ranks = np.zeros((draws.shape[2], self.session.config.chains, RANK_BINS))
        ranks[:, used] = _rank_counts(draws)
        self._running_rows = running
        self._running_chains = len(used)
        with self.hold_sync():
            self.running = running
            self.ranks = ranks.tolist()
            if not self.session.done:
                self._publish_live_problems(self.session.state.chain_statuses())
        return True

    def _publish_final(self) -> None:
        # Let whoever waits on the fit take the interpreter first: the result is theirs
        # at once, the final view follows a few milliseconds later.
        self.session.wait(timeout=5.0)
        time.sleep(YIELD_S)
        try:
            with self.session.capture.thread():  # warnings of the final summary are the fit's
                self._publish_final_state()
        except Exception as exc:  # shown inline, and the cell-end wait is released
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._rendered.set()

    def _publish_final_state(self) -> None:
        if self.method == "svi":
            self._publish_final_svi()
            return
        s = self.session
        r = s.final_result
        self._publish_progress(s.state.chain_statuses())
        draws = s.state.posterior_draws()
        if draws.size > SUMMARY_FIRST_VALUES:
            # many draws (a long fit, cancelled or not): its end is shown at once, and the
            # figure and the parameter table, which summarise every draw, follow
            with self.hold_sync():
                self._publish_terminal(r, s)
        traces = {}
        for d in s.state.trace_arrays():
            traces[d.chain] = trace_columns(
                self.trace_names, d.values, d.tuning, d.diverging, d.start, thin_to=MAX_POINTS
            )
        ranks = _rank_counts(draws) if draws.shape[1] else None
        figure = trace_rank_figure(
            self.trace_names,
            s.config.chains,
            s.config.tune,
            traces=traces,
            ranks=ranks,
            bins=RANK_BINS,
        )
        diagnostics = r.diagnostics.to_dict() if r is not None else {}
        with self.hold_sync():
            self.ranks = ranks.tolist() if ranks is not None else []
            self.figure_json = figure
            self.diagnostics = _for_display(diagnostics)
            self.groups = _groups(diagnostics)
            self.problems = list(diagnostics.get("problems") or [])
            self._publish_terminal(r, s)

    def _publish_terminal(self, r, s) -> None:
        """The fit's end: its warnings and log, message or error, and status."""
        self._publish_capture()
        self.message = r.message if r is not None and r.status != "failed" else ""
        if r is not None and r.status == "failed":
            self.error = r.error or "the fit failed"
        self.status = r.status if r is not None else s.status

    def _publish_final_svi(self) -> None:
        s = self.session
        r = s.final_result
        state = s.state
        binner = LossBinner(self.loss_stride)
        data = binner.add(state.losses())
        tail = binner.flush()
        for k in data:
            data[k].extend(tail[k])
        figure = loss_figure(
            max(state.steps_done, 1) if r is not None and r.converged else s.config.steps, data
        )
        status = state.status(s.elapsed_s)
        with self.hold_sync():
            self._publish_svi(status, state.params())
            self.figure_json = figure
            self.diagnostics = _for_display(r.diagnostics.to_dict()) if r is not None else {}
            self.message = r.message if r is not None and r.status != "failed" else ""
            if r is not None and r.status == "failed":
                self.error = r.error or "the fit failed"
            self.status = r.status if r is not None else s.status


def _copy_columns(data: dict[str, list]) -> dict[str, list]:
    return {k: list(v) for k, v in data.items()}


class _Relay:
    """A session listener that holds events until its target is attached, then replays
    them in order and forwards the rest."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: list[ev.Event] = []
        self._target = None

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            if self._target is None:
                self._held.append(event)
                return
            target = self._target
        target(event)

    def attach(self, target) -> None:
        with self._lock:
            for event in self._held:  # under the lock: later events wait their turn
                target(event)
            self._held = []
            self._target = target


def _rank_counts(draws):
    """Rank-plot counts of (chain, draw, k) draws. A rank plot is a picture: evenly
    thinned draws give the same shape at a fraction of the cost of ranking them all."""
    thin = max(1, draws.shape[1] // RANK_DRAWS)
    return rank_histograms(draws[:, ::thin], RANK_BINS)


_PENDING: weakref.WeakSet[FitMonitor] = weakref.WeakSet()
"""Monitors whose final view may still be on its way (waited for at the end of a cell)."""


def finish_pending_views(timeout: float = 30.0) -> None:
    """Waits for the final view of every ended fit (IPython calls this after each cell)."""
    for monitor in list(_PENDING):
        session = monitor.session
        if session is None or not session.done:
            continue
        if monitor._rendered.wait(timeout):
            _PENDING.discard(monitor)


# a script that ends right after wait() lets the final views finish, not die mid-way
atexit.register(finish_pending_views, 10.0)


def _wait_for_views_at_cell_end() -> None:
    """In IPython, a cell ends only once the monitors it finished show their final state."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_bayes_widgets_cell_hook", False):
        return
    shell.events.register("post_run_cell", lambda _result: finish_pending_views())
    shell._bayes_widgets_cell_hook = True


def _for_display(diagnostics: dict) -> dict:
    """Keeps the saved state small: every free parameter's row, and at most
    ``MAX_GROUP_ROWS`` rows of each deterministic variable (its line in ``groups`` sums
    up all of them)."""
    params = diagnostics.get("parameters") or []
    kept, seen = [], {}
    for p in params:
        if p.get("kind", "free") != "free":
            seen[p["variable"]] = seen.get(p["variable"], 0) + 1
            if seen[p["variable"]] > MAX_GROUP_ROWS:
                continue
        kept.append(p)
    if len(kept) < len(params):
        diagnostics = {
            **diagnostics,
            "parameters": kept,
            "parameters_omitted": len(params) - len(kept),
        }
    return diagnostics


def _groups(diagnostics: dict) -> list[dict]:
    """One line per variable, without its rows (the view takes them from ``diagnostics``)."""
    out = []
    for g in group_parameters(diagnostics.get("parameters") or []):
        g = {k: v for k, v in g.items() if k != "rows"}
        g.pop("omitted", None)
        out.append(g)
    return out

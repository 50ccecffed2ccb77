"""What a :class:`~bayes_widgets.widgets.fit_monitor.FitMonitor` shows, per fit method:
chains, traces, rank plots and running R-hat/ESS (:class:`TraceView`), or the loss curve
and the guide's parameters (:class:`LossView`). The monitor picks one by the session's
``fit_method.view`` and hands it the session's events.

    view = VIEWS[session.fit_method.view](monitor, session)
    view.publish_start(); view.on_event(event); view.publish_final()
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.fit import MAX_POINTS, trace_columns, trace_rank_figure
from bayes_widgets.core.figures.svi import LossBinner, loss_figure, loss_stride
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.diagnostics import (
    fit_problems,
    group_parameters,
    rank_histograms,
    running_diagnostics,
)
from bayes_widgets.core.fitting.state import FitState, LossState

if TYPE_CHECKING:  # pragma: no cover
    from bayes_widgets.core.fitting.session import FitSession
    from bayes_widgets.widgets.fit_monitor import FitMonitor

RUNNING_EVERY_S = 2.0
RUNNING_SHARE = 0.05
"""Running R-hat/ESS take at most this share of the time (they slow down for long fits)."""
RUNNING_MAX_S = 10.0
STREAM_POINTS = 100
"""Points per chain per update at most: fast samplers make far more draws than a plot shows."""
RANK_BINS = 20
RANK_DRAWS = 5000
MIN_RUNNING_DRAWS = 20
LIVE_POINTS = 2000
"""Points per chain a view keeps while streaming (older ones roll off)."""
MAX_GROUP_ROWS = 100
"""Rows per deterministic variable kept in the widget's state (all are in the result)."""
SUMMARY_FIRST_VALUES = 2_000_000
"""A fit keeping more posterior values than this (draws × chains × traced values) shows
its end before the figure and the table summarizing every draw are ready."""
ENDED = ("finished", "cancelled", "failed")


def figure_text(figure: Any) -> str:
    """A figure builder's result as the JSON a page embeds."""
    return figure if isinstance(figure, str) else to_json(figure)


class MonitorView:
    """The part of the monitor that depends on the fit method; see the module docstring."""

    def __init__(self, monitor: FitMonitor, session: FitSession):
        self.monitor = monitor
        self.session = session
        self.seq = 0
        self.send_lock = threading.Lock()
        self.capture_version = -1

    def publish_start(self) -> None:
        raise NotImplementedError

    def on_event(self, event: ev.Event) -> None:
        """A progress event (the monitor handles status changes and the end itself)."""
        raise NotImplementedError

    def sync(self, request) -> None:
        """Sends a view everything drawn so far (after a page reload or a late render)."""
        raise NotImplementedError

    def publish_final(self) -> None:
        raise NotImplementedError

    def send_chunks(self, kind: str, chunks: list[dict], **extra: Any) -> None:
        """One message of streamed chunks, numbered (a ``reset`` keeps the number)."""
        with self.send_lock:
            if kind == "trace":
                self.seq += 1
            self.monitor.send_message(kind, seq=self.seq, chunks=chunks, **extra)

    def publish_capture(self) -> None:
        """The fit's warnings and log lines, when they changed."""
        capture = self.session.capture
        if capture.version == self.capture_version:
            return
        self.capture_version = capture.version
        self.monitor.warnings = capture.warnings
        self.monitor.log = capture.log

    def publish_terminal(self) -> None:
        """The fit's end: its warnings and log, message or error, and status."""
        m, s = self.monitor, self.session
        r = s.final_result
        self.publish_capture()
        m.message = r.message if r is not None and r.status != "failed" else ""
        if r is not None and r.status == "failed":
            m.error = r.error or "the fit failed"
        m.status = r.status if r is not None else s.status


class TraceView(MonitorView):
    """Chains of draws: the chains table, trace and rank plots, running R-hat/ESS."""

    def __init__(self, monitor: FitMonitor, session: FitSession):
        super().__init__(monitor, session)
        self.state = cast(FitState, session.state)
        self.pending: list[ev.TraceChunk] = []
        self.last_running = 0.0
        self.running_every = RUNNING_EVERY_S
        self.running_rows: list[dict] = []
        self.running_chains = 0

    def publish_start(self) -> None:
        m, s = self.monitor, self.session
        m.trace_figure = figure_text(
            trace_rank_figure(m.trace_names, s.config.chains, s.config.tune, bins=RANK_BINS)
        )
        self.publish_progress(self.state.chain_statuses())

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.TraceChunk):
            self.pending.append(event)
        elif isinstance(event, ev.ChainProgress):
            self.flush_trace()
            self.publish_progress(event.chains)
            now = time.perf_counter()
            due = now - self.last_running >= self.running_every and not self.session.done
            if due and self.publish_running():
                self.last_running = time.perf_counter()
                cost = self.last_running - now
                self.running_every = min(max(RUNNING_EVERY_S, cost / RUNNING_SHARE), RUNNING_MAX_S)

    def sync(self, request) -> None:
        chunks = [
            self._chunk(d.chain, d.values, d.tuning, d.diverging, d.start, LIVE_POINTS)
            for d in self.state.trace_arrays()
        ]
        with self.send_lock:
            self.monitor.send_message("reset", request=request, seq=self.seq, chunks=chunks)

    def _chunk(self, chain, values, tuning, diverging, start, thin_to) -> dict:
        warm, trace, divs = trace_columns(
            self.monitor.trace_names, values, tuning, diverging, start, thin_to=thin_to
        )
        return {"chain": chain, "warm": warm, "trace": trace, "div": divs}

    def flush_trace(self) -> None:
        """Sends the draws that came in since the last update, one batched message."""
        pending, self.pending = self.pending, []
        if not pending or self.session.done:  # the final view carries every draw
            return
        chunks = [
            self._chunk(e.chain, e.values, e.tuning, e.diverging, e.start, STREAM_POINTS)
            for e in pending
        ]
        self.send_chunks("trace", chunks)

    def publish_progress(self, chains) -> None:
        m, s = self.monitor, self.session
        overall = self.state.overall(chains)
        ended = s.status in ENDED
        with m.hold_sync():
            m.chains = [c.to_dict() for c in chains]
            m.progress = {
                **overall,
                "elapsed_s": s.elapsed_s,
                "eta_s": None if ended else overall.get("eta_s"),
            }
            if not ended:
                m.status = s.status
                self.publish_live_problems(chains)
            self.publish_capture()

    def publish_live_problems(self, chains) -> None:
        """Problems while sampling: divergences after tuning, and the traced scalars' running
        R-hat/ESS, by the rules of the final diagnostics."""
        divergences = [c.divergences for c in chains]
        self.monitor.problems = fit_problems(
            self.running_rows,
            chains=self.running_chains or len(chains),
            divergences=sum(divergences),
            divergences_by_chain=divergences,
        )

    def publish_running(self) -> bool:
        """Publishes running R-hat/ESS and rank counts; False when there is nothing yet."""
        m, state = self.monitor, self.state
        # chains that run one after another: the chains with draws so far
        used = state.posterior_chains(MIN_RUNNING_DRAWS)
        draws = state.posterior_draws(min_draws=MIN_RUNNING_DRAWS)
        if draws.shape[1] < MIN_RUNNING_DRAWS or not used:
            return False
        running = running_diagnostics(draws, m.trace_names)
        ranks = np.zeros((draws.shape[2], self.session.config.chains, RANK_BINS))
        ranks[:, used] = rank_counts(draws)
        self.running_rows = running
        self.running_chains = len(used)
        with m.hold_sync():
            m.running = running
            m.ranks = ranks.tolist()
            if not self.session.done:
                self.publish_live_problems(state.chain_statuses())
        return True

    def publish_final(self) -> None:
        m, s = self.monitor, self.session
        r = s.final_result
        self.publish_progress(self.state.chain_statuses())
        draws = self.state.posterior_draws()
        if draws.size > SUMMARY_FIRST_VALUES:
            # many draws (a long fit, cancelled or not): its end is shown at once, and the
            # figure and the parameter table, which summarize every draw, follow
            with m.hold_sync():
                self.publish_terminal()
        traces = {
            d.chain: trace_columns(
                m.trace_names, d.values, d.tuning, d.diverging, d.start, thin_to=MAX_POINTS
            )
            for d in self.state.trace_arrays()
        }
        ranks = rank_counts(draws) if draws.shape[1] else None
        figure = trace_rank_figure(
            m.trace_names,
            s.config.chains,
            s.config.tune,
            traces=traces,
            ranks=ranks,
            bins=RANK_BINS,
        )
        diagnostics = r.diagnostics.to_dict() if r is not None else {}
        with m.hold_sync():
            m.ranks = ranks.tolist() if ranks is not None else []
            m.trace_figure = figure_text(figure)
            m.diagnostics = for_display(diagnostics)
            m.groups = variable_lines(diagnostics)
            m.problems = list(diagnostics.get("problems") or [])
            self.publish_terminal()


class LossView(MonitorView):
    """An optimization: the streamed loss curve, steps/s, ETA and the current parameters."""

    def __init__(self, monitor: FitMonitor, session: FitSession):
        super().__init__(monitor, session)
        self.state = cast(LossState, session.state)
        self.stride = loss_stride(session.config.steps or 1)
        self.binner = LossBinner(self.stride)
        self.sent: dict[str, list] = {"x": [], "y": [], "s": []}

    def publish_start(self) -> None:
        m, s = self.monitor, self.session
        m.loss_stride = self.stride
        m.trace_figure = figure_text(loss_figure(s.config.steps or 1))
        self.publish_status(self.state.status(0.0), ())

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.LossChunk):
            self.stream_losses(event.losses)
            self.publish_status(event.status, event.params)

    def sync(self, request) -> None:
        with self.send_lock:
            chunks = [{"loss": {k: list(v) for k, v in self.sent.items()}}]
            self.monitor.send_message("reset", request=request, seq=self.seq, chunks=chunks)

    def stream_losses(self, losses) -> None:
        """Bins the new losses and sends the completed bins, one message per update."""
        if self.session.done or not len(losses):
            return
        with self.send_lock:
            data = self.binner.add(losses)
            if not data["x"]:
                return
            for k, v in data.items():
                self.sent[k].extend(v)
            self.seq += 1
            self.monitor.send_message("trace", seq=self.seq, chunks=[{"loss": data}])

    def publish_status(self, status: ev.SVIStatus, params) -> None:
        m, s = self.monitor, self.session
        with m.hold_sync():
            m.progress = {
                **status.to_dict(),
                "draws_done": status.steps_done,
                "elapsed_s": s.elapsed_s,
            }
            if params:
                m.svi_params = [dict(row) for row in params]
            if s.status not in ENDED:
                m.status = s.status

    def publish_final(self) -> None:
        m, s = self.monitor, self.session
        r = s.final_result
        state = self.state
        binner = LossBinner(self.stride)
        data = binner.add(state.losses())
        tail = binner.flush()
        for k in data:
            data[k].extend(tail[k])
        converged = r is not None and r.converged
        figure = loss_figure(max(state.steps_done, 1) if converged else s.config.steps or 1, data)
        with m.hold_sync():
            self.publish_status(state.status(s.elapsed_s), state.params())
            m.trace_figure = figure_text(figure)
            m.diagnostics = for_display(r.diagnostics.to_dict()) if r is not None else {}
            self.publish_terminal()


VIEWS: dict[str, type[MonitorView]] = {"trace": TraceView, "loss": LossView}
"""The monitor's view for each kind a fit method names (``fit_method.view``)."""


def rank_counts(draws):
    """Rank-plot counts of (chain, draw, k) draws. A rank plot is a picture: evenly
    thinned draws give the same shape at a fraction of the cost of ranking them all."""
    thin = max(1, draws.shape[1] // RANK_DRAWS)
    return rank_histograms(draws[:, ::thin], RANK_BINS)


def for_display(diagnostics: dict) -> dict:
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


def variable_lines(diagnostics: dict) -> list[dict]:
    """One line per variable, without its rows (the view takes them from ``diagnostics``)."""
    out = []
    for g in group_parameters(diagnostics.get("parameters") or []):
        g = {k: v for k, v in g.items() if k != "rows"}
        g.pop("omitted", None)
        out.append(g)
    return out

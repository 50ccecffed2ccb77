"""Thread-safe record of a running fit: chain progress and the traced draws.

The sampler side writes (cheaply: the PyMC callback runs once per draw and must
not slow sampling) and readers take copies. Raw draws that need converting to
the constrained space are queued and converted in batches by whoever reads
next, off the sampler's thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.events import ChainStatus
from bayes_widgets.core.fitting.loss_state import LossState, PauseClock
from bayes_widgets.core.fitting.timing import schedule_eta, union_length

_GROW = 256


class _Buffer:
    """Growable per-chain arrays of traced values and per-draw flags."""

    def __init__(self, width: int):
        self.values = np.empty((_GROW, width))
        self.tuning = np.empty(_GROW, dtype=bool)
        self.diverging = np.empty(_GROW, dtype=bool)
        self.n = 0

    def extend(self, values: np.ndarray, tuning: np.ndarray, diverging: np.ndarray) -> None:
        m = len(values)
        if self.n + m > len(self.values):
            cap = max(2 * len(self.values), self.n + m)
            for name in ("values", "tuning", "diverging"):
                old = getattr(self, name)
                new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.values[self.n : self.n + m] = values
        self.tuning[self.n : self.n + m] = tuning
        self.diverging[self.n : self.n + m] = diverging
        self.n += m


@dataclass
class _Chain:
    total: int
    draws_done: int = 0
    tuning: bool = True
    divergences: int = 0
    divergences_tuning: int = 0
    step_size: float | None = None
    tree_depth: int | None = None
    n_steps: int | None = None
    started_at: float | None = None
    """When the chain was first seen with draws."""
    first_draws: int = 0
    """Draws done when it was first seen (their time is not known)."""
    last_at: float | None = None
    """When its draw count last grew."""
    paused_first: float = 0.0
    paused_last: float = 0.0
    """The fit's paused seconds at ``started_at`` and ``last_at``."""
    runtime_s: float | None = None
    """Running time reported by the backend itself, pauses excluded, when it has one."""
    runtime_resolution_s: float = 0.0
    """The step of ``runtime_s`` (nutpie counts whole milliseconds: 0.001)."""
    pending_tuning: list = field(default_factory=list)
    pending_diverging: list = field(default_factory=list)
    pending_points: list = field(default_factory=list)
    """Draws counted but not yet converted (see :meth:`FitState.flush`)."""

    def seen(self, draws_done: int, when: float, paused: float) -> None:
        if self.started_at is None and draws_done > 0:
            self.started_at, self.first_draws, self.paused_first = when, draws_done, paused
        if draws_done > self.draws_done or (self.last_at is None and draws_done > 0):
            self.last_at, self.paused_last = when, paused

    def own_time(
        self, paused_now: float, sampler_start: tuple[float, float] | None = None
    ) -> tuple[float | None, int]:
        """(seconds, draws) of the chain's own running, pauses excluded, the best known:

        1. with ``sampler_start`` (when the sampler started and the fit's paused seconds
           then; given for a chain that starts with the sampler): the time from then to
           its latest draw seen here, all its draws;
        2. the running time the backend reports, when it is exact (NumPyro's);
        3. the time between its first and latest draw seen here, the draws seen before
           counted at the same rate;
        4. the backend's running time however coarse (nutpie's whole milliseconds, which
           also leave out time the chain waited for the processor): a chain over
           within one report, that did not start with the sampler.
        """
        if sampler_start is not None and self.last_at is not None and self.draws_done > 0:
            t0, paused0 = sampler_start
            seconds = (self.last_at - t0) - (self.paused_last - paused0)
            if seconds > 0:
                return seconds, self.draws_done
        if self.runtime_s and not self.runtime_resolution_s:
            return self.runtime_s, self.draws_done
        if (
            self.started_at is not None
            and self.last_at is not None
            and self.last_at > self.started_at
        ):
            seconds = (self.last_at - self.started_at) - (self.paused_last - self.paused_first)
            seen = self.draws_done - self.first_draws
            if seconds > 0 and seen > 0:
                return seconds * self.draws_done / seen, self.draws_done
        if self.runtime_s:
            return self.runtime_s, self.draws_done
        return None, 0


@dataclass(frozen=True)
class TraceDelta:
    chain: int
    start: int
    values: np.ndarray
    tuning: np.ndarray
    diverging: np.ndarray


class FitState:
    """Progress and traced draws of one fit, safe to share between threads."""

    def __init__(
        self,
        chains: int,
        tune: int,
        draws: int,
        trace_names: Sequence[str],
        cores: int | None = None,
    ):
        self.trace_names = tuple(trace_names)
        self.tune = tune
        self.draws = draws
        self.cores = cores or chains
        """Chains that can run at once (more chains wait for a free core)."""
        self.cancelled = False
        """Set when the fit is cancelled: chains not done show 'cancelled' and no ETA."""
        self._lock = threading.Lock()
        self._chains = [_Chain(total=tune + draws) for _ in range(chains)]
        self._buffers = [_Buffer(len(self.trace_names)) for _ in range(chains)]
        self._converter: Callable[[list], np.ndarray] | None = None
        self._inbox: deque = deque()
        self._flush_lock = threading.Lock()
        """Held by one reader converting at a time, so draws reach the buffers in order."""
        self._pause = PauseClock()
        self._sampler_start: tuple[float, float] | None = None
        self.version = 0

    # -- writers (sampler side) ---------------------------------------------------
    def mark_sampler_started(self, when: float | None = None) -> None:
        """The sampler started its chains now (or at ``when``, a ``perf_counter`` time).

        For a backend whose chains all start together (up to ``cores`` of them), such as
        nutpie's: their running time is then measured on this clock from this moment to
        their latest draw, whatever the sampler reports, and the fit's sampling time
        from here to the last chain's end."""
        when = time.perf_counter() if when is None else when
        with self._lock:
            self._sampler_start = (when, self.paused_seconds())

    def _start_of(self, chain: int) -> tuple[float, float] | None:
        """The sampler's start, for a chain that starts with it (one of the first ``cores``)."""
        return self._sampler_start if chain < self.cores else None

    def set_converter(self, fn: Callable[[list], np.ndarray]) -> None:
        """``fn(points) -> (n, k)`` turns queued raw points into traced values."""
        self._converter = fn

    def record_draw(
        self, chain: int, draw_idx: int, tuning: bool, stats: dict, point: object
    ) -> None:
        """One draw from a per-draw backend (PyMC's callback), as cheaply as possible.

        ``stats`` is the sampler's stats dict of the draw. Nothing is computed here:
        the draw is queued (a thread-safe deque append) and counted, converted and
        stored by the next :meth:`flush`, off the sampler's thread.
        """
        self._inbox.append((chain, draw_idx, tuning, stats, point, time.perf_counter()))

    def record_progress(
        self,
        chain: int,
        *,
        draws_done: int,
        tuning: bool,
        divergences: int,
        divergences_tuning: int,
        step_size: float | None,
        n_steps: int | None,
        runtime_s: float | None,
        tree_depth: int | None = None,
        runtime_resolution_s: float = 0.0,
    ) -> None:
        """Counters from a backend that reports progress on its own (nutpie, NumPyro);
        ``runtime_resolution_s`` is the step of its ``runtime_s`` (0: exact)."""
        c = self._chains[chain]
        now = time.perf_counter()
        paused = self.paused_seconds()
        with self._lock:
            c.seen(draws_done, now, paused)
            c.draws_done = draws_done
            c.tuning = tuning
            c.divergences = divergences
            c.divergences_tuning = divergences_tuning
            c.step_size = step_size
            c.n_steps = n_steps
            c.tree_depth = tree_depth
            c.runtime_s = runtime_s
            c.runtime_resolution_s = runtime_resolution_s
            self.version += 1

    def append_trace(
        self, chain: int, values: np.ndarray, tuning: np.ndarray, diverging: np.ndarray
    ) -> None:
        """Already converted draws for one chain (backends that deliver batches)."""
        with self._lock:
            self._buffers[chain].extend(values, tuning, diverging)
            self.version += 1

    def set_paused(self, paused: bool) -> None:
        self._pause.set(paused)

    # -- readers --------------------------------------------------------------------
    def _drain_inbox(self) -> None:
        """Counts queued draws into the chains; their points wait, unconverted, until
        :meth:`flush`. Per chain, only its first and latest draw of the batch move its
        clock and counters (draws of a chain arrive in order)."""
        inbox = self._inbox
        n = len(inbox)
        if not n:
            return
        by_chain: dict[int, list] = {}
        for _ in range(n):
            item = inbox.popleft()
            items = by_chain.get(item[0])
            if items is None:
                by_chain[item[0]] = [item]
            else:
                items.append(item)
        paused = self.paused_seconds()
        with self._lock:
            for chain, items in by_chain.items():
                c = self._chains[chain]
                first, last = items[0], items[-1]
                if c.started_at is None:
                    c.seen(first[1] + 1, first[5], paused)
                c.seen(last[1] + 1, last[5], paused)
                c.draws_done = last[1] + 1
                c.tuning = last[2]
                tuning = [item[2] for item in items]
                diverging = [bool(item[3].get("diverging", False)) for item in items]
                if any(diverging):
                    n_tuning = sum(1 for d, t in zip(diverging, tuning) if d and t)
                    c.divergences_tuning += n_tuning
                    c.divergences += sum(diverging) - n_tuning
                stats = last[3]
                c.step_size = stats.get("step_size")
                c.tree_depth = stats.get("depth", stats.get("tree_depth"))
                c.n_steps = stats.get("tree_size")
                c.pending_tuning.extend(tuning)
                c.pending_diverging.extend(diverging)
                c.pending_points.extend(item[4] for item in items)
            self.version += 1

    def flush(self) -> None:
        """Counts queued draws and converts their points into traced values: every
        chain's new draws in one call of the converter.

        Call it off the sampler's thread (readers do).
        """
        with self._flush_lock:
            self._drain_inbox()
            with self._lock:
                batches = []
                for i, c in enumerate(self._chains):
                    if c.pending_points:
                        batches.append((i, c.pending_tuning, c.pending_diverging, c.pending_points))
                        c.pending_tuning, c.pending_diverging, c.pending_points = [], [], []
            if not batches:
                return
            k = len(self.trace_names)
            points = [p for *_, pts in batches for p in pts]
            if self._converter is None or not k:
                values = np.empty((len(points), k))
            else:
                values = self._converter(points)
            with self._lock:
                at = 0
                for i, tuning, diverging, pts in batches:
                    m = len(pts)
                    self._buffers[i].extend(
                        values[at : at + m],
                        np.array(tuning, dtype=bool),
                        np.array(diverging, dtype=bool),
                    )
                    at += m

    def lengths(self) -> list[int]:
        with self._lock:
            return [b.n for b in self._buffers]

    def trace_since(self, cursor: Sequence[int]) -> list[TraceDelta]:
        """Draws added after ``cursor`` (one draw count per chain), as copies."""
        self.flush()
        out = []
        with self._lock:
            for i, b in enumerate(self._buffers):
                start = cursor[i] if i < len(cursor) else 0
                if b.n > start:
                    out.append(
                        TraceDelta(
                            i,
                            start,
                            b.values[start : b.n].copy(),
                            b.tuning[start : b.n].copy(),
                            b.diverging[start : b.n].copy(),
                        )
                    )
        return out

    def trace_arrays(self) -> list[TraceDelta]:
        """Everything traced so far."""
        return self.trace_since([0] * len(self._buffers))

    def posterior_draws(self, min_draws: int | None = None) -> np.ndarray:
        """Post-tuning traced draws as (chain, draw, k), trimmed to the shortest chain.

        With ``min_draws``, only the chains with at least that many draws (see
        :meth:`posterior_chains`): chains that run one after another have running
        diagnostics before the last chain starts."""
        self.flush()
        with self._lock:
            parts = [b.values[: b.n][~b.tuning[: b.n]] for b in self._buffers]
        if min_draws is not None:
            parts = [p for p in parts if len(p) >= min_draws] or parts
        n = min((len(p) for p in parts), default=0)
        if n == 0:
            return np.empty((len(parts), 0, len(self.trace_names)))
        return np.stack([p[:n] for p in parts])

    def posterior_chains(self, min_draws: int) -> list[int]:
        """The chains with at least ``min_draws`` post-tuning draws so far."""
        self.flush()
        with self._lock:
            return [
                i for i, b in enumerate(self._buffers) if int((~b.tuning[: b.n]).sum()) >= min_draws
            ]

    def paused_seconds(self) -> float:
        return self._pause.seconds()

    def chain_statuses(self) -> tuple[ChainStatus, ...]:
        """Per chain: counters, its own draws/s and an ETA that counts the chains still
        waiting for a core (see :func:`schedule_eta`)."""
        self._drain_inbox()
        paused = self.paused_seconds()
        with self._lock:
            chains = list(self._chains)
            timing = [c.own_time(paused, self._start_of(i)) for i, c in enumerate(chains)]
            snapshot = [
                (
                    c.draws_done,
                    c.total,
                    c.tuning,
                    c.divergences,
                    c.divergences_tuning,
                    c.step_size,
                    c.tree_depth,
                    c.n_steps,
                )
                for c in chains
            ]
        rates = [draws / seconds if seconds and draws > 0 else None for seconds, draws in timing]
        cancelled = self.cancelled
        etas = (
            [None] * len(chains)
            if cancelled
            else schedule_eta([(s[0], s[1]) for s in snapshot], rates, self.cores)
        )
        out = []
        for i, (done, total, tuning, divs, divs_tune, step, depth, steps) in enumerate(snapshot):
            out.append(
                ChainStatus(
                    chain=i,
                    draws_done=done,
                    total=total,
                    tuning=tuning,
                    divergences=divs,
                    divergences_tuning=divs_tune,
                    step_size=step,
                    tree_depth=depth,
                    n_steps=steps,
                    draws_per_s=rates[i],
                    eta_s=etas[i],
                    cancelled=cancelled and done < total,
                    running_s=timing[i][0],
                )
            )
        return tuple(out)

    def overall(self, chains: Sequence[ChainStatus] | None = None) -> dict[str, Any]:
        """Draws done and requested, draws/s of the whole fit (all draws over the time from
        the first chain's start to now or the last chain's end, pauses excluded) and the ETA
        of the last chain."""
        chains = self.chain_statuses() if chains is None else chains
        done = sum(c.draws_done for c in chains)
        total = sum(c.total for c in chains)
        seconds = self.sampling_seconds()
        etas = [c.eta_s for c in chains if c.eta_s is not None and c.draws_done < c.total]
        return {
            "draws_done": done,
            "total": total,
            "fraction": done / total if total else 0.0,
            "draws_per_s": done / seconds if seconds and done else None,
            "eta_s": None if self.cancelled or not etas else max(etas),
            "divergences": sum(c.divergences for c in chains),
        }

    def sampling_seconds(self) -> float | None:
        """Time from the first chain's start to the latest draw seen (the last chain's end
        once all are done), pauses excluded; None before the first draws. With the
        sampler's start marked (:meth:`mark_sampler_started`) the time runs from then."""
        self._drain_inbox()
        paused = self.paused_seconds()
        now = time.perf_counter()
        with self._lock:
            spans = []
            for i, c in enumerate(self._chains):
                seconds, _draws = c.own_time(paused, self._start_of(i))
                if c.started_at is None:
                    continue
                ended = c.draws_done >= c.total or c.runtime_s
                end = c.last_at if ended and c.last_at is not None else now
                sampler_start = self._start_of(i)
                if sampler_start is not None:
                    start = sampler_start[0]
                elif seconds:  # its own running time, the draws before it was seen included
                    start = end - seconds
                else:
                    start = c.started_at
                if self._sampler_start is not None:  # no chain starts before the sampler
                    start = max(start, self._sampler_start[0])
                spans.append((start, end))
            if self._sampler_start is not None:
                paused_from = self._sampler_start[1]
            else:
                paused_from = min(
                    (c.paused_first for c in self._chains if c.started_at is not None), default=0.0
                )
        if not spans:
            return None
        return max(union_length(spans) - max(paused - paused_from, 0.0), 1e-9)


__all__ = ["FitState", "LossState", "PauseClock", "TraceDelta", "schedule_eta"]

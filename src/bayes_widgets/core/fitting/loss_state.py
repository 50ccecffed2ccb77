"""Thread-safe record of a running variational fit (SVI): per-step losses, speed and the
guide's latest parameters, and the clock of its pauses.

    state = LossState(total=5000)
    state.record_chunk(losses, steps_per_s=900.0, converged=False, params=raw)
    state.status(elapsed_s=3.2).loss_smoothed
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.events import SVIStatus


class PauseClock:
    """Seconds spent paused, counting a pause still going on; safe to share between threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._since: float | None = None
        self._total = 0.0

    def set(self, paused: bool) -> None:
        with self._lock:
            now = time.perf_counter()
            if paused and self._since is None:
                self._since = now
            elif not paused and self._since is not None:
                self._total += now - self._since
                self._since = None

    def seconds(self) -> float:
        with self._lock:
            return self._total + (
                time.perf_counter() - self._since if self._since is not None else 0.0
            )


class LossState:
    """Progress of a variational fit (SVI), safe to share between threads.

    The optimiser's thread appends each chunk's per-step losses; readers take
    copies. ``version`` changes with every write, so a reader can tell whether
    anything is new.
    """

    def __init__(self, total: int):
        self.total = total
        self._lock = threading.Lock()
        self._losses = np.empty(1024)
        self._n = 0
        self._steps_per_s: float | None = None
        self._converged = False
        self._raw_params: dict | None = None
        self._raw_version = 0
        self._rows: tuple[tuple[dict[str, Any], ...], int] = ((), 0)
        self._summarizer: Callable[[dict], Sequence[dict[str, Any]]] | None = None
        self._rows_lock = threading.Lock()
        self._started_at: float | None = None
        self._pause = PauseClock()
        self.version = 0
        self.cancelled = False
        """Set when the fit is cancelled."""

    # -- writers (the optimiser's thread) -----------------------------------------
    def record_chunk(
        self,
        losses: np.ndarray,
        *,
        steps_per_s: float | None,
        converged: bool,
        params: dict | None = None,
    ) -> None:
        """One chunk of per-step losses, in order, with the optimiser's own speed.

        ``params`` are the guide's current (raw) parameters; they are summarised
        only when read (:meth:`params`), off the optimiser's thread."""
        losses = np.asarray(losses, dtype=float).ravel()
        with self._lock:
            if self._started_at is None:
                self._started_at = time.perf_counter()
            m = len(losses)
            if self._n + m > len(self._losses):
                grown = np.empty(max(2 * len(self._losses), self._n + m))
                grown[: self._n] = self._losses[: self._n]
                self._losses = grown
            self._losses[self._n : self._n + m] = losses
            self._n += m
            if steps_per_s is not None and math.isfinite(steps_per_s) and steps_per_s > 0:
                self._steps_per_s = float(steps_per_s)
            self._converged = self._converged or bool(converged)
            if params is not None:
                self._raw_params = params
                self._raw_version += 1
            self.version += 1

    def set_param_summarizer(self, fn: Callable[[dict], Sequence[dict[str, Any]]]) -> None:
        """``fn(raw params) -> rows`` (name, shape, value, lo, hi, kind) for :meth:`params`."""
        self._summarizer = fn

    def set_paused(self, paused: bool) -> None:
        self._pause.set(paused)

    # -- readers ---------------------------------------------------------------------
    @property
    def steps_done(self) -> int:
        with self._lock:
            return self._n

    def losses_since(self, start: int) -> np.ndarray:
        """Per-step losses from step index ``start`` on (a copy)."""
        with self._lock:
            return self._losses[start : self._n].copy()

    def losses(self) -> np.ndarray:
        return self.losses_since(0)

    def params(self) -> tuple[dict[str, Any], ...]:
        """Summary rows of the latest parameters (computed here, once per new parameters)."""
        with self._rows_lock:
            with self._lock:
                raw, version = self._raw_params, self._raw_version
            rows, seen = self._rows
            if version == seen or raw is None or self._summarizer is None:
                return rows
            try:
                rows = tuple(self._summarizer(raw))
            except Exception:
                rows = ()
            self._rows = (rows, version)
            return rows

    def paused_seconds(self) -> float:
        return self._pause.seconds()

    def status(self, elapsed_s: float = 0.0) -> SVIStatus:
        with self._lock:
            n, rate = self._n, self._steps_per_s
            last = float(self._losses[n - 1]) if n else None
            tail = self._losses[max(0, n - max(10, n // 20)) : n]
            smoothed = float(np.mean(tail)) if n else None
            converged = self._converged
        eta = max(self.total - n, 0) / rate if rate else None
        return SVIStatus(
            steps_done=n,
            total=self.total,
            loss=last,
            loss_smoothed=smoothed,
            steps_per_s=rate,
            eta_s=None if converged else eta,
            converged=converged,
            elapsed_s=elapsed_s,
        )

    def sampling_seconds(self) -> float | None:
        """None: the session measures an optimization's time itself."""
        return None

"""Typed events a fit session emits, in order, to its subscribers, and the progress types
they carry.

    session.subscribe(lambda e: print(type(e).__name__))   # Started, Compiled, ChainProgress, ...

Events are immutable and cheap to create. Progress and trace events come from the
session's pump thread at its rate (10 Hz by default), ``Compiled`` from the worker,
``Started``/``Paused``/``Resumed`` from the caller's thread; the last progress and
trace events and the terminal event usually come from the worker as it ends the fit
(never two threads at once). A subscriber may be called from several threads and
must return quickly (copy what it needs, hand heavy work to its own thread). The
terminal event (``Finished``, ``Cancelled`` or ``Failed``) comes last, exactly once.

MCMC backends (PyMC, nutpie, NumPyro NUTS) report ``ChainProgress`` and
``TraceChunk``; a variational fit (NumPyro SVI) reports ``LossChunk`` instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from bayes_widgets.core.fitting.result import FitResult


@dataclass(frozen=True)
class ChainStatus:
    """Progress of one chain, with the same fields for every backend."""

    chain: int
    draws_done: int
    """Draws finished so far, tuning included."""
    total: int
    """Tuning plus sampling draws requested."""
    tuning: bool
    divergences: int
    """Divergent transitions after tuning."""
    divergences_tuning: int
    step_size: float | None
    tree_depth: int | None
    """Tree depth of the latest draw (PyMC); None where the backend reports steps."""
    n_steps: int | None
    """Leapfrog steps of the latest draw."""
    draws_per_s: float | None
    """Draws per second of the chain's own running time (pauses excluded)."""
    eta_s: float | None
    """Seconds until the chain ends, counting the wait for a free core; None once cancelled."""
    cancelled: bool = False
    """The fit was cancelled before this chain ended."""
    running_s: float | None = None
    """The chain's own running time so far (pauses excluded)."""

    @property
    def phase(self) -> str:
        """'waiting' (no draw yet), 'tune', 'sample', 'done' or 'cancelled'."""
        if self.draws_done >= self.total:
            return "done"
        if self.cancelled:
            return "cancelled"
        if self.draws_done == 0:
            return "waiting"
        return "tune" if self.tuning else "sample"

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["phase"] = self.phase
        return out


@dataclass(frozen=True)
class SVIStatus:
    """Progress of a variational fit."""

    steps_done: int
    total: int
    """Steps requested (the fit may stop earlier when it converges)."""
    loss: float | None
    """Loss (negative ELBO) of the latest step."""
    loss_smoothed: float | None
    """Mean loss over the latest 5% of the steps (at least 10)."""
    steps_per_s: float | None
    eta_s: float | None
    converged: bool
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.steps_done / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["fraction"] = self.fraction
        return out


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a fit session's progress (``session.snapshot()``)."""

    status: str
    """'created', 'compiling', 'sampling', 'paused', 'finished', 'cancelled' or 'failed'."""
    chains: tuple[ChainStatus, ...]
    """Per chain (empty for SVI)."""
    draws_done: int
    """Draws made, all chains (SVI: optimization steps done)."""
    total: int
    elapsed_s: float
    message: str
    error: str | None
    method: str = "mcmc"
    svi: SVIStatus | None = None
    """Loss, speed and ETA of a variational fit."""
    draws_per_s: float | None = None
    """All chains' draws per second of sampling so far (pauses excluded)."""
    eta_s: float | None = None
    """Seconds until the last chain ends (chains waiting for a core counted); None once cancelled."""
    warnings: tuple[dict[str, Any], ...] = ()
    """Warnings raised inside the fit, deduplicated, with counts."""
    log: tuple[str, ...] = ()
    """The sampler's log lines."""

    @property
    def fraction(self) -> float:
        return self.draws_done / self.total if self.total else 0.0


@dataclass(frozen=True)
class Event:
    session_id: str
    time: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class Started(Event):
    backend: str
    chains: int
    draws: int
    tune: int
    trace_names: tuple[str, ...]
    trace_labels: tuple[str, ...] = ()
    """The traced scalars as shown (coordinate labels, ``beta[price]``)."""


@dataclass(frozen=True)
class Compiled(Event):
    seconds: float


@dataclass(frozen=True)
class ChainProgress(Event):
    chains: tuple[ChainStatus, ...]


@dataclass(frozen=True)
class TraceChunk(Event):
    """New draws of the traced scalars for one chain, starting at draw index ``start``."""

    chain: int
    start: int
    values: np.ndarray
    """Shape (n, len(trace_names))."""
    tuning: np.ndarray
    diverging: np.ndarray


@dataclass(frozen=True)
class LossChunk(Event):
    """New per-step losses of a variational fit, starting at step index ``start``."""

    start: int
    losses: np.ndarray
    status: SVIStatus
    params: tuple[dict[str, Any], ...]
    """Summary rows of the current parameters: name, shape, mean, sd, min, max."""


@dataclass(frozen=True)
class Paused(Event):
    pass


@dataclass(frozen=True)
class Resumed(Event):
    pass


@dataclass(frozen=True)
class Finished(Event):
    result: FitResult


@dataclass(frozen=True)
class Cancelled(Event):
    result: FitResult


@dataclass(frozen=True)
class Failed(Event):
    error: str
    traceback: str

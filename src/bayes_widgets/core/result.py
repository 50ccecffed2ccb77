"""What a fit session returns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bayes_widgets.core.diagnostics import Diagnostics

Status = Literal["finished", "cancelled", "failed"]


@dataclass(eq=False)
class FitResult:
    """The draws of a fit (``idata``, an ``xarray.DataTree``) and their diagnostics.

    ``partial`` is true when the fit was cancelled before every draw was made;
    ``message`` then says what was kept (for a cancel during tuning, the tuning
    draws are in the ``warmup_posterior`` group and there is no ``posterior``).
    """

    status: Status
    idata: Any
    summarize: Callable[[], Diagnostics] = field(repr=False)
    """Computes the diagnostics; called once, on first use of ``diagnostics``."""
    backend: str
    partial: bool
    message: str
    draws_completed: tuple[int, ...]
    """Draws finished per chain, tuning included."""
    error: str | None = None
    _diagnostics: Diagnostics | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def diagnostics(self) -> Diagnostics:
        """Convergence and cost (one schema for every backend); computed on first use,
        so a cancelled fit hands its draws back without waiting for ArviZ."""
        with self._lock:
            if self._diagnostics is None:
                self._diagnostics = self.summarize()
            return self._diagnostics

    @property
    def posterior(self):
        if self.idata is None or "posterior" not in self.idata.children:
            return None
        return self.idata["posterior"].to_dataset()

    def summary(self):
        """Per-parameter table (pandas) of mean, sd, HDI, ESS and R-hat."""
        return self.diagnostics.table()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "backend": self.backend,
            "partial": self.partial,
            "message": self.message,
            "draws_completed": list(self.draws_completed),
            "error": self.error,
            "diagnostics": self.diagnostics.to_dict(),
        }

    def __repr__(self) -> str:
        d = self.diagnostics
        return (
            f"FitResult(status={self.status!r}, backend={self.backend!r}, partial={self.partial}, "
            f"draws_per_chain={d.draws_per_chain}, divergences={d.divergences}, "
            f"rhat_max={d.rhat_max:.3f}, ess_bulk_min={d.ess_bulk_min:.0f})"
        )

"""What a fit session returns: the draws, their diagnostics and, for SVI, the guide.

result = bw.fit(model)
result.idata, result.summary(), result.problems, result.to_dict()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bayes_widgets.core.fitting.diagnostics import Diagnostics

Status = Literal["finished", "cancelled", "failed"]


@dataclass(eq=False)
class FitResult:
    """The draws of a fit (``idata``, an ``xarray.DataTree``) and their diagnostics.

    ``partial`` is true when the fit was cancelled before every draw was made;
    ``message`` then says what was kept (for a cancel during tuning, the tuning
    draws are in the ``warmup_posterior`` group and there is no ``posterior``).

    A variational fit (its ``method`` is ``"svi"``) also holds the fitted guide's ``params``,
    the per-step ``losses``, the ``steps`` done, whether it ``converged``, and the
    optimiser's ``svi_state`` to continue from; its ``idata`` posterior holds draws
    sampled from the guide (one chain), so summaries and explorers work as for MCMC.
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
    method: str = "mcmc"
    """'mcmc' or 'svi'."""
    params: dict[str, Any] | None = None
    """SVI: the guide's parameters (constrained), by name."""
    losses: Any = None
    """SVI: loss (negative ELBO) per step, a NumPy array."""
    steps: int = 0
    """SVI: optimisation steps done."""
    converged: bool | None = None
    """SVI: the loss stopped changing (the run ended early)."""
    svi_state: Any = field(default=None, repr=False)
    """SVI: the optimiser's state, to continue with ``sampler_kwargs={"init_state": ...}``."""
    warnings: list[dict[str, Any]] = field(default_factory=list, repr=False)
    """Warnings raised inside the fit (category, message, count, filename, lineno), each
    once, in the order first seen; they are kept here instead of printed."""
    log: list[str] = field(default_factory=list, repr=False)
    """The sampler's log lines (e.g. PyMC's "Initializing NUTS…"), kept instead of printed."""
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
        """Per-parameter table (pandas) of mean, sd, HDI, ESS, R-hat and problems, indexed
        by coordinate labels (``beta[price]``), free parameters first."""
        return self.diagnostics.table()

    @property
    def problems(self) -> list[str]:
        """Every convergence problem of the fit, one sentence each (empty when all is well)."""
        return self.diagnostics.problems

    def to_dict(self) -> dict[str, Any]:
        out = {
            "status": self.status,
            "backend": self.backend,
            "method": self.method,
            "partial": self.partial,
            "message": self.message,
            "draws_completed": list(self.draws_completed),
            "error": self.error,
            "diagnostics": self.diagnostics.to_dict(),
            "warnings": [dict(w) for w in self.warnings],
        }
        out.update(self.fit_method.result_fields(self))
        return out

    def __repr__(self) -> str:
        return self.fit_method.describe(self)

    @property
    def fit_method(self):
        """The :class:`~bayes_widgets.core.fitting.methods.FitMethod` that made this result."""
        from bayes_widgets.core.fitting.methods import fit_method

        return fit_method(self.method)

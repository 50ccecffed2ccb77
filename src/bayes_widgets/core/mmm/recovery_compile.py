"""Refits of one MMM on many simulated targets, compiled once.

    shared = SharedTarget(MMMModel(df, **config).build())   # once per worker: one compile
    refit = MMMModel(simulated_df, **config)
    result = shared.fit(refit, seed=1, draws=500)           # this target, the same compile

A recovery refits the same model (the same spend, controls and configuration) on each
simulated target. pymc-marketing's MMM keeps the target and its scale as data
(``target_data``, ``target_scale``) and its likelihood observes their ratio, so one
sampling model serves every simulation: all its other data are frozen into constants
(as :func:`~bayes_widgets.core.mmm.fitting.sampling_model` freezes them all), these two
stay shared, and each refit sets them to the values a fresh build of the refit computes
(its target, and the scale pymc-marketing derives from it). nutpie compiles that model
once per process (:func:`~bayes_widgets.core.fitting.backends.nutpie_backend.compile_model`
keeps the compiled model of a model object); each refit sets its two values on the model
(``pm.set_data``), and the fit engine hands the model's current data to the compiled
model (nutpie's ``with_data``) before it samples. The refit's own build carries
the draws afterwards (summaries, contributions, scores), as after :meth:`MMMModel.fit`.

Only nutpie fits reuse the compile (PyMC and NumPyro compile in every fit), and only a
refit whose other data and variables are the shared model's: lift tests add likelihood
terms whose values (the simulated lifts, in the scaled target's units) are constants of
the graph, so a refit with lift tests is built and compiled on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SWAPPED = ("target_data", "target_scale")
"""The data that differ from one simulated target to the next."""


def data_values(model) -> dict[str, np.ndarray]:
    """The values of a ``pm.Model``'s data still shared (not frozen), by name."""
    return {v.name: np.asarray(v.get_value()) for v in model.data_vars if hasattr(v, "get_value")}


class SharedTarget:
    """A sampling model of ``mmm`` (a built pymc-marketing MMM) whose target and target
    scale are shared data: refits of the same configuration and spend on other targets
    sample it, compiled once (nutpie)."""

    def __init__(self, mmm):
        from pymc.model.transform.optimization import freeze_dims_and_data

        self.reference = data_values(mmm.model)
        self.variables = set(mmm.model.named_vars)
        frozen = [name for name in self.reference if name not in SWAPPED]
        self.model = freeze_dims_and_data(mmm.model, data=frozen)

    def accepts(self, mmm, backend: str) -> bool:
        """Whether a refit built as ``mmm`` can sample this model: a nutpie fit of the
        same variables and the same data but its target and target scale."""
        if backend != "nutpie" or set(mmm.model.named_vars) != self.variables:
            return False
        values = data_values(mmm.model)
        if set(values) != set(self.reference):
            return False
        return all(
            values[name].shape == ref.shape
            and (name in SWAPPED or np.array_equal(values[name], ref, equal_nan=True))
            for name, ref in self.reference.items()
        )

    def load(self, mmm) -> None:
        """Sets the shared target and scale to those of ``mmm`` (a refit's build); the fit
        engine hands the model's current data to its compiled form."""
        import pymc as pm

        shared = data_values(mmm.model)
        values = {name: shared[name] for name in SWAPPED}
        pm.set_data(values, model=self.model)

    def fit(
        self,
        refit,
        *,
        backend: str | None = None,
        draws: int | None = None,
        tune: int | None = None,
        chains: int | None = None,
        seed: int | None = None,
        progress=None,
        **fit_kwargs: Any,
    ):
        """Fits ``refit`` (an :class:`MMMModel` of the shared model's configuration and
        spend) as :meth:`MMMModel.fit` does, on this model when it :meth:`accepts` the
        refit, else on its own; returns the :class:`FitResult`, the draws attached to
        ``refit.mmm``."""
        from bayes_widgets.core.mmm.fitting import DEFAULT_BACKEND

        backend = backend or DEFAULT_BACKEND
        options = {"draws": draws, "tune": tune, "chains": chains, "seed": seed, **fit_kwargs}
        mmm = refit.build()
        if not self.accepts(mmm, backend):
            return refit.fit(backend=backend, progress=progress, **options)
        self.load(mmm)
        return fit_built(refit, mmm, self.model, backend, progress, options)


@dataclass
class SharedRefit:
    """``refit`` fitted on ``shared`` (:meth:`SharedTarget.fit`), where a model is asked
    for (e.g. :func:`~bayes_widgets.core.mmm.run_tasks.fit_run`)."""

    shared: SharedTarget
    refit: Any

    def fit(self, **options: Any):
        return self.shared.fit(self.refit, **options)


def fit_built(refit, mmm, model, backend: str, progress, options: dict[str, Any]):
    """Samples ``model`` (the sampling model of ``mmm``, a build of ``refit``) with
    :meth:`MMMModel.fit`'s defaults and attaches the draws to ``mmm`` as ``refit.mmm``."""
    from bayes_widgets.core.mmm.fitting import fit_session

    return (
        fit_session(refit, mmm, model, backend=backend, progress=progress, **options).start().wait()
    )


__all__ = [
    "SWAPPED",
    "SharedRefit",
    "SharedTarget",
    "data_values",
    "fit_built",
]

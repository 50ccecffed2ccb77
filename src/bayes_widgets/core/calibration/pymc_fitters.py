"""Fits of a PyMC model to one simulated data set, compiled once per worker process.

The model's observed variables are re-observed on shared variables
(``pm.observe(model, {name: shared})``), so one compiled model serves every simulation:
nutpie's compiled model takes each data set with ``with_data``; PyMC's NUTS step keeps
its compiled log-density and its gradient, and each simulation sets the shared values.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.fit_output import FitOutput
from bayes_widgets.core.logs import quiet_logger


def _observed_value(model: Any, name: str) -> np.ndarray:
    value = model.rvs_to_values[model[name]]
    if hasattr(value, "get_value"):
        return np.asarray(value.get_value())
    return np.asarray(getattr(value, "data", value))


def observe_on_shared(model: Any, observed: list[str]) -> tuple[Any, dict[str, Any]]:
    """``(model with each observed variable on a shared variable, {observed name: shared})``."""
    import pymc as pm
    import pytensor

    shared: dict[Any, Any] = {
        name: pytensor.shared(_observed_value(model, name), name=f"bw_observed_{name}")
        for name in observed
    }
    return pm.observe(model, shared), shared


def _stats(tree: Any) -> dict[str, Any]:
    stats = tree["sample_stats"] if "sample_stats" in tree.children else None
    out: dict[str, Any] = {}
    if stats is None:
        return out
    if "diverging" in stats:
        out["divergences"] = int(np.asarray(stats["diverging"]).sum())
    if "step_size" in stats:
        out["step_size"] = float(np.nanmean(np.asarray(stats["step_size"])))
    for name in ("depth", "tree_depth"):
        if name in stats:
            out["tree_depth_max"] = int(np.asarray(stats[name]).max())
    return out


def _draws(tree: Any, names: list[str]) -> dict[str, np.ndarray]:
    posterior = tree["posterior"]
    return {name: np.asarray(posterior[name].values) for name in names}


class NutpieFitter:
    """nutpie: the model compiled once; each simulation swaps the observed data."""

    def __init__(self, model: Any, observed: list[str], variables: list[str], settings: dict):
        import nutpie

        fit_model, self.shared = observe_on_shared(model, observed)
        self.compiled = nutpie.compile_pymc_model(fit_model)
        self.variables = variables
        self.settings = settings

    def fit(self, data: dict[str, np.ndarray], seed: int) -> FitOutput:
        import nutpie

        compiled = self.compiled.with_data(  # pyright: ignore[reportAttributeAccessIssue]
            **{self.shared[name].name: np.asarray(value) for name, value in data.items()}
        )
        s = self.settings
        tree = nutpie.sample(
            compiled,
            draws=s["draws"],
            tune=s["tune"],
            chains=s["chains"],
            cores=s["cores"],
            seed=seed,
            progress_bar=False,
        )
        return FitOutput(_draws(tree, self.variables), _stats(tree))


class PymcFitter:
    """PyMC's NUTS: the step (its compiled log-density and gradient) built once."""

    def __init__(self, model: Any, observed: list[str], variables: list[str], settings: dict):
        import pymc as pm

        self.model, self.shared = observe_on_shared(model, observed)
        with self.model:
            self.step = pm.NUTS()
        self.variables = variables
        self.settings = settings

    def fit(self, data: dict[str, np.ndarray], seed: int) -> FitOutput:
        import pymc as pm

        for name, value in data.items():
            self.shared[name].set_value(np.asarray(value, dtype=self.shared[name].dtype))
        s = self.settings
        with quiet_logger("pymc", logging.ERROR), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = pm.sample(
                draws=s["draws"],
                tune=s["tune"],
                chains=s["chains"],
                cores=1,
                step=self.step,
                model=self.model,
                random_seed=seed,
                progressbar=False,
                compute_convergence_checks=False,
                nuts_sampler="pymc",
            )
        return FitOutput(_draws(tree, self.variables), _stats(tree))


__all__ = ["NutpieFitter", "PymcFitter", "observe_on_shared"]

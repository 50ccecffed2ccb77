"""One simulation of a calibration, where a fleet worker runs it.

:class:`SimulationTask` is the fleet task: it carries the model as bytes (cloudpickle),
so a worker on another machine needs nothing from the submitting one. Each worker process
keeps its compiled fitters in a small cache keyed by the model's bytes and the fit
settings: the model is compiled once per worker, not once per simulation.

A simulation's parameters are ``{"index", "seed", "truth": {scalar: value}, "data":
{observed: array}}``; its metrics are the ranks, the true values, the fit's diagnostics
and, for SVI, the VSBC probabilities (the share of approximate-posterior draws below
each true value). A plan with its own fitter (:mod:`~bayes_widgets.core.calibration.extension`)
is fitted by it, and its metrics join the run's, the calibration's then under
``"calibration"``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.extension import NESTED, SimulationFit, SimulationFitter
from bayes_widgets.core.calibration.ranks import (
    max_rank_for,
    ranks_of,
    scalar_draws,
    split_name,
    thin_step,
)

CACHE_SIZE = 4
"""Compiled fitters kept per worker process (the most recently used)."""
_FITTERS: OrderedDict[str, Any] = OrderedDict()
COMPILES: list[str] = []
"""Keys of the fitters this process compiled, in order (the tests read it)."""


def _build(payload: bytes, settings: dict[str, Any]) -> Any:
    import cloudpickle

    spec = cloudpickle.loads(payload)
    if "fitter" in spec:  # a use of the machinery with its own fit
        return spec["fitter"](spec["spec"], settings)
    variables = sorted({split_name(p)[0] for p in settings["params"]})
    backend = settings["backend"]
    if backend == "nutpie":
        from bayes_widgets.core.calibration.pymc_fitters import NutpieFitter

        return NutpieFitter(spec["model"], settings["observed"], variables, settings)
    if backend == "pymc":
        from bayes_widgets.core.calibration.pymc_fitters import PymcFitter

        return PymcFitter(spec["model"], settings["observed"], variables, settings)
    from bayes_widgets.core.calibration.numpyro_fitters import NumpyroFitter, SviFitter

    cls = SviFitter if settings["method"] == "svi" else NumpyroFitter
    return cls(spec, settings["observed"], variables, settings)


def fitter_for(payload: bytes, settings: dict[str, Any]) -> Any:
    """The compiled fitter for this model and settings, built on first use in this process."""
    key = hashlib.sha1(payload + repr(sorted(settings.items())).encode()).hexdigest()
    fitter = _FITTERS.get(key)
    if fitter is None:
        fitter = _build(payload, settings)
        COMPILES.append(key)
        _FITTERS[key] = fitter
        while len(_FITTERS) > CACHE_SIZE:
            _FITTERS.popitem(last=False)
    _FITTERS.move_to_end(key)
    return fitter


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _convergence(values: np.ndarray) -> dict[str, Any]:
    """R-hat and ESS of ``(parameter, chain, draw)`` draws (NaN-free JSON values)."""
    from arviz_stats.base import array_stats

    if values.shape[2] < 4:
        return {}
    rhat = np.asarray(array_stats.rhat(values), dtype=float)
    bulk = np.asarray(array_stats.ess(values, method="bulk"), dtype=float)
    return {
        "rhat_max": _finite(np.nanmax(rhat)) if values.shape[1] > 1 else None,
        "ess_bulk_min": _finite(np.nanmin(bulk)),
        "rhat": [_finite(v) for v in rhat] if values.shape[1] > 1 else None,
        "ess_bulk": [_finite(v) for v in bulk],
    }


@dataclass
class SimulationTask:
    """The fleet task of a calibration: fits one simulated data set, returns its ranks."""

    payload: bytes
    settings: dict[str, Any] = field(default_factory=dict)

    def __call__(self, params: dict[str, Any], run_dir: str) -> dict[str, Any]:
        s = self.settings
        t0 = time.perf_counter()
        compiles = len(COMPILES)
        fitter = fitter_for(self.payload, s)
        t1 = time.perf_counter()
        if isinstance(fitter, SimulationFitter):
            out = fitter.fit(params, run_dir)
        else:
            out = fitter.fit(params["data"], int(params["seed"]))
        t2 = time.perf_counter()
        names: list[str] = s["params"]
        truth = np.array([params["truth"][p] for p in names], dtype=float)
        values = scalar_draws(out.draws, names)
        svi = s["method"] == "svi"
        chains = 1 if svi else s["chains"]
        max_rank = max_rank_for(chains, s["draws"], s["thin"])
        step, ess_min = (s["thin"] or 1, float("nan")) if svi else thin_step(values, s["thin"])
        rng = np.random.default_rng([int(params["seed"]), 7])
        ranks, kept = ranks_of(truth, values, step, max_rank, s["thin"], rng)
        metrics: dict[str, Any] = {
            "index": int(params["index"]),
            "ranks": [int(r) for r in ranks],
            "truth": [float(v) for v in truth],
            "max_rank": max_rank,
            "thin": step,
            "kept_draws": kept,
            "compiled": len(COMPILES) > compiles,
            "compile_s": t1 - t0 if len(COMPILES) > compiles else 0.0,
            "fit_s": t2 - t1,
            "wall_s": time.perf_counter() - t0,
            "posterior_mean": [_finite(v) for v in values.reshape(len(names), -1).mean(axis=1)],
            "posterior_sd": [_finite(v) for v in values.reshape(len(names), -1).std(axis=1)],
            **out.stats,
        }
        if svi:
            flat = values.reshape(len(names), -1)
            metrics["vsbc_p"] = [float(v) for v in (flat < truth[:, None]).mean(axis=1)]
        else:
            metrics.update(_convergence(values))
            metrics["ess_min"] = _finite(ess_min)
        if isinstance(out, SimulationFit):
            return {**out.metrics, NESTED: metrics}
        return metrics


__all__ = ["COMPILES", "SimulationTask", "fitter_for"]

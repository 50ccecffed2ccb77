"""Uses of the calibration machinery with their own fit and their own metrics.

A calibration plans its simulations (prior draws and simulated data, see
:mod:`~bayes_widgets.core.calibration.simulate`), fits each one in a fleet worker
(:class:`~bayes_widgets.core.calibration.worker.SimulationTask`) and ranks the true
values among the posterior draws. Another use (a domain's recovery runs, say) keeps all of
that and brings its own fit:

    class MyFitter(SimulationFitter):
        def __init__(self, spec, settings): ...          # once per worker process
        def fit(self, simulation, run_dir):               # once per simulation
            ...
            return SimulationFit(draws, stats, metrics={"error": 0.1})

    plan = with_fitter(plan_pymc(model, ...), MyFitter, spec={"data": df})

``spec`` is whatever the fitter needs (data, a configuration); it travels to the workers
with the plan as bytes, and the worker builds ``MyFitter(spec, settings)`` once per
process (the compiled-fitter cache of :func:`~bayes_widgets.core.calibration.worker.fitter_for`).
``fit`` gets the simulation's parameters (:func:`simulation_params`: ``index``, ``seed``,
``truth``, ``data``, ``carried`` and anything the submitter added) and the run's scratch
directory (files written there land in the run store). Its draws must be in the units of
the plan's true values. The ``metrics`` of a :class:`SimulationFit` are the use's own
metrics of the simulation: the run records them at the top level of its metrics, and the
calibration's (ranks, true values, diagnostics) under ``"calibration"``, where
:class:`~bayes_widgets.core.calibration.session.Calibration` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bayes_widgets.core.calibration.fit_output import FitOutput
from bayes_widgets.core.calibration.simulate import CalibrationError, Plan

NESTED = "calibration"
"""The key of a use's run metrics that holds the calibration's own metrics."""


@dataclass
class SimulationFit(FitOutput):
    metrics: dict[str, Any] = field(default_factory=dict)
    """The use's own metrics of this simulation (JSON values)."""


class SimulationFitter:
    """Base of a use's own fitter: built as ``cls(spec, settings)`` once per worker process;
    :meth:`fit` fits one simulation."""

    def __init__(self, spec: Any, settings: dict[str, Any]):
        self.spec = spec
        self.settings = settings

    def fit(self, simulation: dict[str, Any], run_dir: str) -> FitOutput:
        """Fits one simulation's data; draws ``(chain, draw, ...)`` of every ranked variable."""
        raise NotImplementedError


def with_fitter(plan: Plan, fitter: type[SimulationFitter], spec: Any) -> Plan:
    """``plan`` whose simulations are fitted by ``fitter(spec, settings)`` (a
    :class:`SimulationFitter` subclass) instead of the model's own sampler."""
    import cloudpickle

    if not (isinstance(fitter, type) and issubclass(fitter, SimulationFitter)):
        raise CalibrationError("fitter", f"expected a SimulationFitter subclass, got {fitter!r}")
    return replace(plan, payload=cloudpickle.dumps({"fitter": fitter, "spec": spec}))


def simulation_params(plan: Plan, index: int, seed: int) -> dict[str, Any]:
    """What a worker gets for simulation ``index`` of ``plan``: ``index``, ``seed``,
    ``truth`` (scalar → value), ``data`` (observed → array) and ``carried`` (variable →
    array: the draws of the variables the plan carries, when it carries some)."""
    params: dict[str, Any] = {
        "index": int(index),
        "seed": int(seed),
        "truth": dict(zip(plan.parameters, map(float, plan.truth[index]), strict=True)),
        "data": plan.data[index],
    }
    if plan.carried:
        params["carried"] = plan.carried[index]
    return params


def calibration_metrics(metrics: Any) -> dict[str, Any]:
    """The calibration's metrics of a run's ``metrics`` (nested under ``"calibration"`` by a
    use with its own metrics)."""
    if not isinstance(metrics, dict):
        return {}
    inner = metrics.get(NESTED)
    return inner if isinstance(inner, dict) else metrics


__all__ = [
    "NESTED",
    "SimulationFit",
    "SimulationFitter",
    "calibration_metrics",
    "simulation_params",
    "with_fitter",
]

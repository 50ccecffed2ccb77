"""The recovery fleet's simulations, planned and run by the calibration machinery.

    plan, settings = plan_recovery(model, runs=5, seed=0, fit={"draws": 500, ...})
    specs = recovery_specs(plan, seed=0, fit=fit)        # "recovery-s0", "recovery-s1", ...
    task = RecoveryTask(plan.payload, task_settings(plan, settings))

A recovery is a simulation-based calibration with the MMM's own fit and scores. The
calibration planner (:func:`~bayes_widgets.core.calibration.simulate.plan_pymc`) draws each
simulation's truth and its simulated target from the built model's ``pm.Model``, one prior
draw per seed (``seed``, ``seed + 1``, ...), carrying the channel contributions and the
saturation's parameters the scores need. Each run goes through the calibration worker
(:class:`~bayes_widgets.core.calibration.worker.SimulationTask`) with
:class:`RecoveryFitter`, which refits a fresh :class:`MMMModel` on the simulated target
(the target scale changes, so the draws of parameters in scaled target units are rescaled
to the truth's units) and scores it as :func:`.recovery.score_recovery` does
(``recovery.csv``, coverage, errors, shares, ROAS; lift tests simulated from the truth in
the "with lift tests" arm). The calibration adds ranks of the recovered scalar parameters
(:data:`.recovery.RECOVERED`), so a recovery fleet has a calibration view too.

A worker keeps from one simulation to the next the fitter, the model the truths were
drawn from (built once, for simulating lift tests) and, per thread, one sampling model
whose target and target scale are shared data (:class:`.recovery_compile.SharedTarget`):
nutpie compiles it once, and each refit of the "without lift tests" arm loads its
simulated target (and the scale a fresh build derives from it) and samples it again. The
"with lift tests" arm's refits are built and compiled each on their own: the simulated
lifts are constants of their likelihood.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.extension import (
    SimulationFit,
    SimulationFitter,
    simulation_params,
    with_fitter,
)
from bayes_widgets.core.calibration.ranks import split_name
from bayes_widgets.core.calibration.simulate import Plan, plan_pymc
from bayes_widgets.core.calibration.worker import SimulationTask
from bayes_widgets.core.mmm.recovery import RECOVERED, TARGET_SCALED, score_recovery, truth_task
from bayes_widgets.core.mmm.recovery_lift import simulate_lift_tests, with_lift_tests
from bayes_widgets.core.mmm.run_tasks import fit_run


def run_id(seed: int) -> str:
    """The run id of the recovery simulated from the prior draw of ``seed``."""
    return f"recovery-s{seed}"


class RecoveryFitter(SimulationFitter):
    """Refits a fresh :class:`MMMModel` on each simulated target and scores it (built once
    per worker process from the plan's ``spec``: the real data, the configuration, the fit
    options and the target scale of the model the truths were drawn from); the refits
    sample one compiled model per thread where they can (see the module's text)."""

    def __init__(self, spec: dict[str, Any], settings: dict[str, Any]):
        super().__init__(spec, settings)
        self.variables = sorted({split_name(p)[0] for p in settings["params"]})
        self.base_mmm: Any = None
        self.local = threading.local()

    def base(self) -> Any:
        """The model the truths were drawn from, built on the real data (once per worker)."""
        from bayes_widgets.core.mmm.model import MMMModel

        if self.base_mmm is None:
            self.base_mmm = MMMModel(self.spec["data"].copy(), **self.spec["config"]).build()
        return self.base_mmm

    def shared(self) -> Any:
        """This thread's sampling model with a shared target (compiled on its first fit):
        concurrent refits in one process each sample their own."""
        from bayes_widgets.core.mmm.recovery_compile import SharedTarget

        shared = getattr(self.local, "shared", None)
        if shared is None:
            shared = self.local.shared = SharedTarget(self.base())
        return shared

    def fit(self, simulation: dict[str, Any], run_dir: str) -> SimulationFit:
        from bayes_widgets.core.mmm.fitting import target_scale
        from bayes_widgets.core.mmm.model import MMMModel
        from bayes_widgets.core.mmm.recovery_compile import SharedRefit

        spec = self.spec
        s0, seed, truth = (
            float(spec["target_scale"]),
            int(simulation["seed"]),
            simulation["carried"],
        )
        simulated = spec["data"].copy()
        simulated[spec["config"]["target"]] = np.asarray(simulation["data"]["y"]) * s0
        refit = MMMModel(simulated, **spec["config"])
        lift = simulation.get("lift_tests")
        if lift is not None:
            lift = simulate_lift_tests(lift, self.base(), truth, s0, seed)
            with_lift_tests(refit, lift)
        fitted = SharedRefit(self.shared(), refit)  # refits with lift tests: on their own
        result = fit_run(fitted, {"fit": {**spec["fit"], "seed": seed}}, run_dir)
        ratio = target_scale(refit.mmm) / s0  # the refit's scaled units into the truth's
        posterior = refit.mmm.idata["posterior"]
        draws = {
            name: np.asarray(posterior[name].values, dtype=float)
            * (ratio if name in TARGET_SCALED else 1.0)
            for name in self.variables
        }
        divergences = result.diagnostics.divergences
        stats = {} if divergences is None else {"divergences": int(divergences)}
        metrics = score_recovery(refit, result, truth, s0, lift, seed, run_dir)
        return SimulationFit(draws, stats, metrics)


@dataclass
class RecoveryTask(SimulationTask):
    """A recovery fleet's task: a simulation through the calibration worker, or the truth
    run (data with a known truth, not simulated: a plain fit, see :func:`.truth_task`)."""

    def __call__(self, params: dict[str, Any], run_dir: str) -> dict[str, Any]:
        if "truth_shares" in params:
            return truth_task(params, run_dir)
        return super().__call__(params, run_dir)


def fit_settings(model, fit: dict[str, Any]) -> dict[str, Any]:
    """The calibration settings of a recovery's refits (``fit``: the fleet's fit options)."""
    from bayes_widgets.core.mmm.fitting import (
        DEFAULT_BACKEND,
        DEFAULT_CHAINS,
        default_draws,
        default_tune,
    )

    return {
        "backend": str(fit.get("backend") or DEFAULT_BACKEND),
        "method": "nuts",
        "draws": int(fit.get("draws") or default_draws(model.dims)),
        "tune": int(fit.get("tune", default_tune(model.dims))),
        "chains": int(fit.get("chains") or DEFAULT_CHAINS),
        "cores": 1,
        "thin": None,
        "seed": None,
    }


def plan_recovery(
    model, *, runs: int, seed: int, fit: dict[str, Any]
) -> tuple[Plan, dict[str, Any]]:
    """``(plan, settings)`` of ``runs`` recoveries of ``model`` (an :class:`MMMModel`), the
    ``i``-th from the prior draw of seed ``seed + i``; its own lift tests left out (each
    arm says whether it has lift tests)."""
    from bayes_widgets.core.mmm.fitting import target_scale
    from bayes_widgets.core.mmm.model import MMMModel

    config = {k: v for k, v in model.config().items() if k != "lift_tests"}
    mmm = MMMModel(model.data.copy(), **config).build()
    free = {rv.name for rv in mmm.model.free_RVs}
    ranked = [name for name in RECOVERED if name in free]
    carry = [*ranked, *mmm.saturation.variable_mapping.values(), "channel_contribution"]
    seeds = [seed + i for i in range(runs)]
    plan = plan_pymc(mmm.model, runs, ranked, ["y"], seed, {}, seeds=seeds, carry=carry)
    spec = {
        "data": model.data.copy(),
        "config": config,
        "fit": dict(fit),
        "target_scale": target_scale(mmm),
    }
    settings = {**fit_settings(model, fit), "seed": int(seed)}
    return with_fitter(plan, RecoveryFitter, spec), settings


def task_settings(plan: Plan, settings: dict[str, Any]) -> dict[str, Any]:
    """What the calibration worker needs of a plan's settings."""
    return {**settings, "params": list(plan.parameters), "observed": list(plan.observed)}


def recovery_specs(plan: Plan, seed: int, fit: dict[str, Any]) -> list[Any]:
    """One run per simulation of ``plan``: ``recovery-s<seed + i>``, fitted with seed
    ``seed + i`` (its ``fit`` options shown with the run)."""
    from bayes_widgets.core.fleet import RunSpec

    return [
        RunSpec(
            run_id(seed + i),
            {**simulation_params(plan, i, seed + i), "fit": {**fit, "seed": seed + i}},
        )
        for i in range(len(plan.data))
    ]


__all__ = [
    "RecoveryFitter",
    "RecoveryTask",
    "fit_settings",
    "plan_recovery",
    "recovery_specs",
    "run_id",
    "task_settings",
]

"""The submitting side of a calibration: which model, which parameters, and the simulations.

    plan = plan_pymc(model, simulations=100, params=None, observed=None, seed=0)
    plan = plan_numpyro(model, model_args, simulations=100, params=None, observed=None, seed=0)

Prior draws come from the model itself (``pm.sample_prior_predictive`` or NumPyro's
``Predictive``): the true parameters of each simulation and its simulated observations.
They travel to the workers as values in each simulation's parameters.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.ranks import scalar_names
from bayes_widgets.core.errors import InputError
from bayes_widgets.core.logs import quiet_logger


class CalibrationError(InputError):
    """A bad input to a calibration; ``field`` names it."""


@dataclass
class Plan:
    kind: str
    """"pymc" or "numpyro"."""
    parameters: list[str]
    """Scalar parameter names, in rank order."""
    observed: list[str]
    truth: np.ndarray
    """``(simulation, parameter)`` true values."""
    data: list[dict[str, np.ndarray]]
    """Per simulation, the simulated value of each observed variable."""
    payload: bytes
    """The model (and guide and model arguments), pickled to travel to workers."""
    carried: list[dict[str, np.ndarray]] = field(default_factory=list)
    """Per simulation, the draws of the variables carried beside the ranked ones (e.g. a
    deterministic a use of the plan scores its fit against); empty when none."""


def _names(field: str, given: Any, allowed: list[str], default: list[str], what: str) -> list[str]:
    if given is None:
        return list(default)
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, list | tuple) or not all(isinstance(g, str) for g in given):
        raise CalibrationError(field, f"expected a list of variable names, got {given!r}")
    if not given:
        raise CalibrationError(field, "names no variable")
    unknown = [g for g in given if g not in allowed]
    if unknown:
        raise CalibrationError(
            field, f"{', '.join(map(repr, unknown))} is not {what}; choose from {allowed}"
        )
    return list(dict.fromkeys(given))


def _scalars(draws: dict[str, np.ndarray], params: list[str]) -> tuple[list[str], np.ndarray]:
    names: list[str] = []
    columns = []
    for p in params:
        values = np.asarray(draws[p], dtype=float)
        shape = values.shape[1:]
        names += scalar_names(p, shape)
        columns.append(values.reshape(values.shape[0], -1))
    return names, np.concatenate(columns, axis=1)


def _prior_draws(model: Any, names: list[str], simulations: int, seed: int, seeds: Any):
    """``{name: (simulation, ...)}`` prior draws: ``simulations`` draws from ``seed``, or one
    draw per seed of ``seeds`` (a simulation's draw then depends on its own seed only)."""
    import pymc as pm

    with quiet_logger("pymc", logging.ERROR), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trees = [
            pm.sample_prior_predictive(draws=n, model=model, random_seed=s, var_names=names)
            for n, s in ([(simulations, seed)] if seeds is None else [(1, s) for s in seeds])
        ]
    draws = {}
    for name in names:
        group = "prior" if name in trees[0]["prior"].data_vars else "prior_predictive"
        draws[name] = np.concatenate([np.asarray(t[group][name].values)[0] for t in trees])
    return draws


def plan_pymc(
    model: Any,
    simulations: int,
    params: Any,
    observed: Any,
    seed: int,
    model_args: dict,
    *,
    seeds: Sequence[int] | None = None,
    carry: Sequence[str] = (),
) -> Plan:
    """The simulations of a PyMC model. ``seeds``: one prior draw per seed instead of
    ``simulations`` draws from ``seed``; ``carry``: more variables whose draws travel with
    each simulation (:attr:`Plan.carried`) without being ranked."""
    import cloudpickle

    if model_args:
        raise CalibrationError(
            next(iter(model_args)),
            "is not an option of calibrate(); keyword arguments go to NumPyro models only",
        )
    free = [rv.name for rv in model.free_RVs]
    ranked = free + [d.name for d in model.deterministics]
    obs_all = [rv.name for rv in model.observed_RVs]
    if not obs_all:
        raise CalibrationError("model", "has no observed variable: there is nothing to simulate")
    observed = _names("observed", observed, obs_all, obs_all, "an observed variable")
    params = _names("params", params, ranked, free, "a free variable or deterministic")
    if seeds is not None and len(seeds) != simulations:
        raise CalibrationError("seeds", f"expected {simulations} seeds, got {len(seeds)}")
    carried = [c for c in dict.fromkeys(carry) if c not in params + observed]
    draws = _prior_draws(model, params + observed + carried, simulations, seed, seeds)
    names, truth = _scalars(draws, params)
    data = [{o: draws[o][i] for o in observed} for i in range(simulations)]
    payload = cloudpickle.dumps({"model": model})
    kept = [{c: draws[c][i] for c in dict.fromkeys(carry)} for i in range(simulations)]
    return Plan("pymc", names, observed, truth, data, payload, kept if carry else [])


def _numpyro_sites(model: Any, model_args: dict) -> dict[str, Any]:
    from jax import random
    from numpyro import handlers

    try:
        tr = handlers.trace(handlers.seed(model, random.PRNGKey(0))).get_trace(**model_args)
    except TypeError as exc:
        raise CalibrationError(
            "model_args", f"the model cannot be called with them: {exc}"
        ) from exc
    return {name: site for name, site in tr.items() if site["type"] == "sample"}


def plan_numpyro(
    model: Any,
    simulations: int,
    params: Any,
    observed: Any,
    seed: int,
    model_args: dict,
    guide: Any = None,
) -> Plan:
    import cloudpickle
    from jax import random
    from numpyro.infer import Predictive

    sites = _numpyro_sites(model, model_args)
    arguments = set(inspect.signature(model).parameters)
    free = [n for n, s in sites.items() if not s.get("is_observed", False)]
    takes = [n for n in free if n in arguments and n not in model_args]
    observed = _names("observed", observed, free, takes, "a sample site of the model")
    if not observed:
        raise CalibrationError(
            "observed",
            "no sample site takes its data through a model argument of the same name "
            "(e.g. def model(x, y=None): numpyro.sample('y', ..., obs=y)); name them",
        )
    outside = [o for o in observed if o not in arguments]
    if outside:
        raise CalibrationError(
            "observed", f"{outside[0]!r} has no model argument of the same name to take its data"
        )
    latent = [n for n in free if n not in observed]
    params = _names("params", params, latent, latent, "a latent sample site of the model")
    prior = Predictive(model, num_samples=simulations)(random.PRNGKey(seed), **model_args)
    draws = {name: np.asarray(prior[name]) for name in params + observed}
    names, truth = _scalars(draws, params)
    data = [{o: draws[o][i] for o in observed} for i in range(simulations)]
    payload = cloudpickle.dumps({"model": model, "guide": guide, "model_args": model_args})
    return Plan("numpyro", names, observed, truth, data, payload)


__all__ = ["CalibrationError", "Plan", "plan_numpyro", "plan_pymc"]

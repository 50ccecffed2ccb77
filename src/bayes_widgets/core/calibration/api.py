"""``calibrate``: simulation-based calibration of a PyMC or NumPyro model.

    cal = calibrate(model, simulations=100)                   # PyMC: nutpie if installed
    cal = calibrate(model, 100, backend="pymc", out="runs/sbc")
    cal = calibrate(numpyro_model, 100, x=x)                  # NumPyro NUTS; x is a model argument
    cal = calibrate(numpyro_model, 100, method="svi", guide=AutoNormal(numpyro_model), x=x)
    cal.verdicts(), cal.ranks(), cal.simulations(), cal.result()

Each simulation draws the parameters from the prior and data from the model given them,
fits the model to those data, and ranks each true value among the posterior draws; when
the fit is calibrated the ranks are uniform. See
:mod:`~bayes_widgets.core.calibration.ranks` (thinning) and
:mod:`~bayes_widgets.core.calibration.verdicts` (the tests and the directions of a miss).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.session import Calibration
from bayes_widgets.core.calibration.simulate import CalibrationError, Plan, plan_numpyro, plan_pymc
from bayes_widgets.core.checks import check_positive_int, check_seed

BACKENDS = ("nutpie", "pymc", "numpyro")
METHODS = ("nuts", "svi")
MANIFEST = "_calibration.json"


def _kind(model: Any) -> str:
    try:
        import pymc as pm

        if isinstance(model, pm.Model):
            return "pymc"
    except ImportError:
        pass
    if callable(model):
        return "numpyro"
    raise CalibrationError(
        "model", f"expected a pm.Model or a NumPyro model function, got {type(model).__name__}"
    )


def _backend(kind: str, backend: Any, method: str) -> str:
    if backend is None:
        if kind == "numpyro":
            return "numpyro"
        try:
            import nutpie  # noqa: F401

            return "nutpie"
        except ImportError:
            return "pymc"
    if backend not in BACKENDS:
        raise CalibrationError("backend", f"unknown backend {backend!r}; choose from {BACKENDS}")
    if (kind == "pymc") != (backend in ("nutpie", "pymc")):
        fits = "'nutpie' or 'pymc'" if kind == "pymc" else "'numpyro'"
        raise CalibrationError("backend", f"{backend!r} cannot fit this model; use {fits}")
    return backend


def _settings(kind: str, **given: Any) -> dict[str, Any]:
    method = given["method"]
    if method not in METHODS:
        raise CalibrationError("method", f"must be one of {METHODS}, got {method!r}")
    if method == "svi" and kind != "numpyro":
        raise CalibrationError("method", "'svi' is for NumPyro models")
    if given["guide"] is not None and method != "svi":
        raise CalibrationError("guide", "is used only with method='svi'")
    draws = check_positive_int("draws", given["draws"], error=CalibrationError)
    tune = check_positive_int("tune", given["tune"], allow_zero=True, error=CalibrationError)
    chains = check_positive_int("chains", given["chains"], error=CalibrationError)
    thin = given["thin"]
    if thin is not None:
        thin = check_positive_int("thin", thin, error=CalibrationError)
        if thin > draws:
            raise CalibrationError("thin", f"must be at most draws ({draws}), got {thin}")
    return {
        "backend": _backend(kind, given["backend"], method),
        "method": method,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "cores": 1,
        "thin": thin,
        "seed": given["seed"],
    }


def _check_executor(executor: Any) -> None:
    import concurrent.futures as cf

    if executor is None or isinstance(executor, cf.Executor) or hasattr(executor, "submit"):
        return
    raise CalibrationError(
        "executor",
        f"expected a concurrent.futures.Executor or a Dask Client, got {type(executor).__name__}",
    )


def _manifest(plan: Plan, settings: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha1(np.ascontiguousarray(plan.truth, dtype=float).tobytes()).hexdigest()
    return {
        "settings": {k: settings[k] for k in sorted(settings) if k != "cores"},
        "parameters": plan.parameters,
        "observed": plan.observed,
        "simulations": len(plan.data),
        "truth_sha1": digest,
    }


def _claim_store(out: str, plan: Plan, settings: dict[str, Any]) -> None:
    """Writes the calibration's manifest in ``out``, or checks that the one there matches
    (a store holds the simulations of one calibration)."""
    from bayes_widgets.core.fleet import RunStore

    store = RunStore(out)
    path = f"{store.path.rstrip('/')}/{MANIFEST}"
    mine = _manifest(plan, settings)
    if store.fs.exists(path):
        with store.fs.open(path, "rb") as f:
            found = json.loads(f.read())
        if found != json.loads(json.dumps(mine)):
            differ = [k for k in mine if json.loads(json.dumps(mine[k])) != found.get(k)]
            raise CalibrationError(
                "out",
                f"{out} holds another calibration (its {', '.join(differ)} differ); "
                "use a new out, or the same model and settings to resume it",
            )
        return
    with store.fs.open(path, "wb") as f:
        f.write(json.dumps(mine, indent=1).encode())


def calibrate(
    model: Any,
    simulations: int = 100,
    *,
    backend: str | None = None,
    method: str = "nuts",
    guide: Any = None,
    draws: int = 500,
    tune: int = 500,
    chains: int = 4,
    params: list[str] | None = None,
    observed: list[str] | None = None,
    thin: int | None = None,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    executor: Any = None,
    wait: bool = True,
    **model_args: Any,
) -> Calibration:
    """Simulation-based calibration of ``model``; returns a :class:`Calibration`.

    ``model``: a ``pm.Model`` (fitted with ``backend`` "nutpie", the default when it is
    installed, or "pymc") or a NumPyro model function (``backend="numpyro"``, NUTS, or
    ``method="svi"`` with ``guide``, an AutoNormal by default; ``tune`` is then the number
    of optimisation steps (Adam, step size 0.02) and ``draws`` the draws from the fitted
    guide). ``model_args`` are the NumPyro model's keyword arguments; its observed sites take
    their simulated data through the argument of the same name (``def model(x, y=None)``).
    ``params``: variables whose scalars are ranked (default: every free variable; PyMC
    deterministics may be named). ``observed``: the observed variables to simulate (default:
    all). ``thin``: keep every ``thin``-th draw of each chain (ranks ``0..chains *
    ceil(draws / thin)``); None thins each simulation by its effective sample size (ranks on
    ``0..99``). ``out``: the run store (a path or fsspec URL; a temporary directory when
    None); a calibration on an ``out`` that holds this calibration's simulations does only
    the rest. ``executor``: None (local processes, one per core) or a Dask ``Client`` or any
    ``concurrent.futures.Executor``. ``wait=False`` returns at once while the simulations run
    in a background thread.
    """
    kind = _kind(model)
    simulations = check_positive_int("simulations", simulations, error=CalibrationError)
    seed_value = check_seed("seed", seed, allow_none=False, error=CalibrationError)
    assert seed_value is not None
    settings = _settings(
        kind,
        method=method,
        guide=guide,
        draws=draws,
        tune=tune,
        chains=chains,
        thin=thin,
        backend=backend,
        seed=seed_value,
    )
    if not isinstance(wait, bool):
        raise CalibrationError("wait", f"must be True or False, got {wait!r}")
    _check_executor(executor)
    if out is not None and not isinstance(out, str | os.PathLike):
        raise CalibrationError("out", f"expected a path or a URL, got {out!r}")
    if kind == "pymc":
        plan = plan_pymc(model, simulations, params, observed, seed_value, model_args)
    else:
        plan = plan_numpyro(model, simulations, params, observed, seed_value, model_args, guide)
    if out is None:
        out = tempfile.mkdtemp(prefix="bw-calibration-")
    _claim_store(os.fspath(out), plan, settings)
    seeds = np.random.default_rng([seed_value, 1]).integers(0, 2**31 - 1, size=simulations)
    calibration = Calibration(plan, settings, os.fspath(out), executor, seeds)
    calibration.start()
    if wait:
        try:
            calibration.wait()
        except KeyboardInterrupt:
            calibration.cancel()
            calibration.wait()
            raise
    return calibration


__all__ = ["BACKENDS", "METHODS", "calibrate"]

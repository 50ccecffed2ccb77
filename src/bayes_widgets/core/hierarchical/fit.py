"""Fit a hierarchical GLM: by SVI (large panels, minibatched groups) or by NUTS (small ones).

    fit = fit_svi(data, batch_size=100, steps=3000)     # a HierarchicalFit
    fit = fit_nuts(radon_data(), likelihood="normal", varying=[])
    live = fit_svi(data, monitor=True)                   # a live FitMonitor; live.wait()

Both run in the project's fit engine (:mod:`bayes_widgets.core.fitting`): SVI through
:func:`~bayes_widgets.core.fitting.svi.run_svi`, NUTS through its NumPyro backend, so both
get its diagnostics and, with ``monitor=True``, its live monitor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from bayes_widgets.core.checks import (
    check_positive_int,
    check_probability,
    check_seed,
)
from bayes_widgets.core.hierarchical.build import build_model
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.live import (
    HierarchicalGuide,
    LiveHierarchicalFit,
    fit_of_result,
)
from bayes_widgets.core.hierarchical.model import GROUP_PLATE, HierarchicalGLM, Priors
from bayes_widgets.core.hierarchical.optimizer import default_optimizer, optimizer_for
from bayes_widgets.core.hierarchical.results import HierarchicalFit
from bayes_widgets.core.hierarchical.start import initial_params

__all__ = ["HierarchicalFit", "LiveHierarchicalFit", "default_optimizer", "fit_nuts", "fit_svi"]


@dataclass(frozen=True)
class SVISetup:
    """What an SVI fit of a panel runs: the model spec, its arrays, the optimizer, the
    group minibatch (None: full batch) and the guide's start (None: its defaults)."""

    spec: HierarchicalGLM
    arrays: dict
    optimizer: Any
    minibatch: Any
    init_params: dict | None


def svi_setup(
    data: PanelData,
    *,
    spec: HierarchicalGLM | None,
    model_options: dict[str, Any],
    learning_rate: object,
    optimizer: Any,
    init: bool,
    seed: object,
) -> SVISetup:
    """The :class:`SVISetup` of a fit of ``data``: ``spec``, or one built by
    :func:`build_model` with ``model_options``."""
    from bayes_widgets.core.fitting.svi import Minibatch

    seed = check_seed("seed", seed, allow_none=False, error=HierarchicalInputError) or 0
    if spec is None:
        spec = build_model(data, **model_options)
    arrays = spec.arrays(data)
    if optimizer is None:
        optimizer = optimizer_for(learning_rate)
    minibatch = (
        Minibatch(spec.batch_size or spec.n_groups, spec.n_groups, plate=GROUP_PLATE)
        if spec.subsampled
        else None
    )
    init_params = initial_params(spec, data, seed=seed) if init else None
    return SVISetup(spec, arrays, optimizer, minibatch, init_params)


@overload
def fit_svi(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    steps: int = 3000,
    batch_size: int | None = 100,
    learning_rate: float = 0.05,
    chunk: int = 200,
    seed: int = 0,
    convergence: float | None = None,
    window: int = 200,
    on_chunk: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer=None,
    init: bool = True,
    spec: HierarchicalGLM | None = None,
    monitor: Literal[False] = False,
    draws: int = 100,
) -> HierarchicalFit: ...


@overload
def fit_svi(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    steps: int = 3000,
    batch_size: int | None = 100,
    learning_rate: float = 0.05,
    chunk: int = 200,
    seed: int = 0,
    convergence: float | None = None,
    window: int = 200,
    on_chunk: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer=None,
    init: bool = True,
    spec: HierarchicalGLM | None = None,
    monitor: Literal[True],
    draws: int = 100,
) -> LiveHierarchicalFit: ...


def fit_svi(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    steps: int = 3000,
    batch_size: int | None = 100,
    learning_rate: float = 0.05,
    chunk: int = 200,
    seed: int = 0,
    convergence: float | None = None,
    window: int = 200,
    on_chunk: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer=None,
    init: bool = True,
    spec: HierarchicalGLM | None = None,
    monitor: bool = False,
    draws: int = 100,
) -> HierarchicalFit | LiveHierarchicalFit:
    """Fit a hierarchical GLM to ``data`` by SVI, ``batch_size`` groups per step.

    The guide is :meth:`HierarchicalGLM.guide` (mean field), started from
    :func:`initial_params` (``init=False``: the intercept at its prior location, the rest
    at zero, AutoNormal-like scales). The default optimizer is Adam with a step size
    decaying from ``learning_rate`` towards a tenth of it (:func:`default_optimizer`).
    ``on_chunk``, ``should_stop``, ``convergence`` and ``window`` go to
    :func:`bayes_widgets.core.fitting.svi.run_svi`. Pass ``spec`` to use a model built by
    :func:`build_model`; fits of equal specs and shapes share one compiled chunk.

    ``monitor=True`` runs the same optimisation in a fit session and returns at once a
    :class:`LiveHierarchicalFit`: displayed, a live :class:`~bayes_widgets.FitMonitor`
    (loss curve, steps/s, ETA, parameters; Cancel keeps the parameters);
    ``.wait()`` gives the :class:`HierarchicalFit`. ``draws`` samples of the global sites
    are then drawn from the guide for the monitor's result.
    """
    if monitor and (on_chunk is not None or should_stop is not None):
        raise HierarchicalInputError(
            "monitor",
            "on_chunk and should_stop are for monitor=False; "
            "the monitor reports progress and cancels itself",
        )
    t0 = time.perf_counter()
    model_options = {
        "likelihood": likelihood,
        "varying": varying,
        "intercept": intercept,
        "priors": priors,
        "batch_size": batch_size,
    }
    setup = svi_setup(
        data,
        spec=spec,
        model_options=model_options,
        learning_rate=learning_rate,
        optimizer=optimizer,
        init=init,
        seed=seed,
    )
    options = {"chunk": chunk, "convergence": convergence, "window": window}
    if monitor:
        return _watch_svi(setup, data, steps=steps, seed=seed, draws=draws, options=options)
    callbacks = {"on_chunk": on_chunk, "should_stop": should_stop}
    return _run_svi(setup, data, steps=steps, seed=seed, options={**options, **callbacks}, t0=t0)


def _run_svi(
    setup: SVISetup, data: PanelData, *, steps, seed, options: dict[str, Any], t0: float
) -> HierarchicalFit:
    """The SVI fit of ``setup``, run here by ``run_svi`` with its ``options``."""
    from bayes_widgets.core.fitting.svi import run_svi

    res = run_svi(
        setup.spec.model,
        setup.spec.guide,
        steps=steps,
        optimizer=setup.optimizer,
        seed=seed,
        model_args=(setup.arrays,),
        minibatch=setup.minibatch,
        init_params=setup.init_params,
        **options,
    )
    return HierarchicalFit(
        spec=setup.spec,
        data=data,
        method="svi",
        params=res.params,
        svi_result=res,
        elapsed_s=time.perf_counter() - t0,
    )


def _watch_svi(
    setup: SVISetup, data: PanelData, *, steps, seed, draws, options: dict[str, Any]
) -> LiveHierarchicalFit:
    """The SVI fit of ``setup`` started in a fit session under a live monitor."""
    from bayes_widgets.core.views import open_view

    sampler_kwargs = {
        **options,
        "minibatch": setup.minibatch,
        "init_params": setup.init_params,
    }
    live = open_view(
        "fit_monitor",
        setup.spec.model,
        backend="numpyro-svi",
        guide=HierarchicalGuide(setup.spec),
        model_args=(setup.arrays,),
        steps=steps,
        optimizer=setup.optimizer,
        seed=seed,
        draws=draws,
        var_names=list(setup.spec.global_sites()),
        sampler_kwargs={k: v for k, v in sampler_kwargs.items() if v is not None},
    )
    if live.session is None:
        raise live.exception
    return LiveHierarchicalFit(setup.spec, data, live, "svi")


@overload
def fit_nuts(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    target_accept: float = 0.9,
    monitor: Literal[False] = False,
) -> HierarchicalFit: ...


@overload
def fit_nuts(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    target_accept: float = 0.9,
    monitor: Literal[True],
) -> LiveHierarchicalFit: ...


def fit_nuts(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    target_accept: float = 0.9,
    monitor: bool = False,
) -> HierarchicalFit | LiveHierarchicalFit:
    """Sample the model with NUTS in the project's NumPyro backend (for small models: every
    step sees every group).

    The chains run side by side (one thread each, up to one per core). The result's
    ``samples`` hold each latent site's draws, chains stacked; ``result`` is the fit
    engine's :class:`~bayes_widgets.core.fitting.result.FitResult` (``diagnostics``,
    ``summary()``, ``problems``, ``idata``) and ``info["divergences"]`` counts divergent
    transitions after tuning.

    ``monitor=True`` starts the fit in a fit session and returns at once a
    :class:`LiveHierarchicalFit`: displayed, a live :class:`~bayes_widgets.FitMonitor`
    (the chains' progress and traces of the global sites, R-hat and ESS as it runs;
    Cancel keeps the draws made so far); ``.wait()`` gives the :class:`HierarchicalFit`.
    """
    options = {
        "draws": check_positive_int("draws", draws, error=HierarchicalInputError),
        "tune": check_positive_int("tune", tune, error=HierarchicalInputError),
        "chains": check_positive_int("chains", chains, error=HierarchicalInputError),
        "seed": check_seed("seed", seed, allow_none=False, error=HierarchicalInputError),
        "target_accept": check_probability(
            "target_accept", target_accept, error=HierarchicalInputError
        ),
    }
    t0 = time.perf_counter()
    spec = build_model(
        data, likelihood=likelihood, varying=varying, intercept=intercept, priors=priors
    )
    run = {
        "backend": "numpyro",
        "model_args": (spec.arrays(data),),
        "var_names": list(spec.global_sites()),
        **options,
    }
    if monitor:
        from bayes_widgets.core.views import open_view

        live = open_view("fit_monitor", spec.model, **run)
        if live.session is None:
            raise live.exception
        return LiveHierarchicalFit(spec, data, live, "nuts")
    from bayes_widgets.core.fitting.session import fit

    result = fit(spec.model, **run)
    return fit_of_result(result, spec, data, "nuts", elapsed_s=time.perf_counter() - t0)

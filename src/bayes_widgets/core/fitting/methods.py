"""What differs between fitting by MCMC (chains of draws) and by SVI (an optimized guide),
carried by one object per method: the session, the result, the diagnostics and the
live views ask it instead of testing the method's name.

    method = fit_method(get_backend("numpyro-svi").method)   # SviMethod()
    config = method.config(FitOptions(draws=500), "numpyro-svi")
    state = method.new_state(config, trace_names=())          # a LossState

A method says which options apply (:meth:`FitMethod.config`), what progress means
(its state and the events of its :meth:`~FitMethod.feed`), what the result holds
(:meth:`~FitMethod.result`), which diagnostics apply (:meth:`~FitMethod.problems`)
and what a live view is told (``name``, ``view``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.backends.base import Backend, FitConfig
from bayes_widgets.core.fitting.feeds import DrawFeed, Feed, LossFeed
from bayes_widgets.core.fitting.options import FitOptions
from bayes_widgets.core.fitting.state import FitState, LossState
from bayes_widgets.core.fitting.svi_options import DEFAULT_STEPS
from bayes_widgets.core.fitting.validation import (
    FitInputError,
    check_positive_int,
    check_probability,
)

DEFAULT_TUNE = 1000
DEFAULT_CHAINS = 2


@dataclass(frozen=True)
class FitEnd:
    """What a method needs to build the result of a fit that ended."""

    config: FitConfig
    backend: Backend
    model: Any
    state: FitState | LossState
    wall_s: float
    sampling_s: float
    warnings: list[dict[str, Any]]
    log: list[str]


class FitMethod:
    """The behaviour a fit method brings; see the module docstring."""

    name: ClassVar[str]
    """'mcmc' or 'svi': what results, diagnostics and pages call the method."""
    view: ClassVar[str]
    """What a live view shows: 'trace' (chains, trace and rank plots) or 'loss' (the loss curve)."""
    paces_pump: ClassVar[bool] = True
    """Subscribers' work slows the pump (their work holds the GIL the sampler needs)."""

    # -- options -------------------------------------------------------------------------
    def config(self, options: FitOptions, backend: str) -> FitConfig:
        """The checked configuration a backend runs with; a bad option raises a
        :class:`FitInputError` naming it."""
        draws = check_positive_int("draws", options.draws)
        inputs = options.inputs
        if not isinstance(inputs.model_args, tuple | list):
            raise FitInputError(
                "model_args", f"must be a tuple, got {type(inputs.model_args).__name__}"
            )
        for name in ("model_kwargs", "sampler_kwargs"):
            value = getattr(inputs if name == "model_kwargs" else options, name)
            if value is not None and not isinstance(value, dict):
                raise FitInputError(name, f"must be a dict, got {type(value).__name__}")
        tune, chains, steps = self.schedule(options, backend)
        mcmc = options.mcmc
        cores = mcmc.cores if mcmc.cores is not None else min(chains, os.cpu_count() or 1)
        seed = options.seed
        return FitConfig(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=check_positive_int("cores", cores),
            seed=None if seed is None else check_positive_int("seed", seed, allow_zero=True),
            target_accept=None
            if mcmc.target_accept is None
            else check_probability("target_accept", mcmc.target_accept),
            sampler_kwargs=dict(options.sampler_kwargs or {}),
            model_args=tuple(inputs.model_args),
            model_kwargs=dict(inputs.model_kwargs or {}),
            steps=steps,
            guide=options.svi.guide,
            optimizer=options.svi.optimizer,
            loss=options.svi.loss,
            keep_warmup=mcmc.keep_warmup,
        )

    def schedule(self, options: FitOptions, backend: str) -> tuple[int, int, int | None]:
        """(tune, chains, steps), checked; options of the other method are refused."""
        raise NotImplementedError

    # -- progress ------------------------------------------------------------------------
    def new_state(self, config: FitConfig, trace_names: Sequence[str]) -> FitState | LossState:
        raise NotImplementedError

    def feed(self, state, session_id: str) -> Feed:
        """Turns what is new in ``state`` into events, one tick at a time."""
        raise NotImplementedError

    def snapshot(
        self, state, *, status: str, message: str, error: str | None, elapsed_s: float, capture
    ) -> ev.Snapshot:
        raise NotImplementedError

    def running_diagnostics(self, state, labels: Sequence[str]) -> list[dict[str, Any]]:
        """R-hat and ESS of the traced scalars so far (none for methods without chains)."""
        return []

    def draws_so_far(self, state) -> tuple[int, ...]:
        raise NotImplementedError

    # -- results and diagnostics ---------------------------------------------------------
    def result(self, idata, end: FitEnd, *, cancelled: bool):
        """The :class:`~bayes_widgets.core.fitting.result.FitResult` of an ended fit."""
        raise NotImplementedError

    def result_without_draws(
        self,
        end: FitEnd,
        status: str,
        message: str,
        draws: tuple[int, ...],
        *,
        error: str | None = None,
    ):
        """The result of a fit that failed, or was cancelled before its first draw."""
        from bayes_widgets.core.fitting.diagnostics import summarize
        from bayes_widgets.core.fitting.result import FitResult

        return FitResult(
            status="failed" if status == "failed" else "cancelled",
            idata=None,
            summarize=partial(
                summarize,
                None,
                backend=end.backend.name,
                tune=end.config.tune,
                wall_time_s=end.wall_s,
                sampling_time_s=end.sampling_s,
                partial=True,
                chains=end.config.chains,
            ),
            backend=end.backend.name,
            method=self.name,
            partial=True,
            message=message,
            draws_completed=draws,
            error=error,
            warnings=end.warnings,
            log=end.log,
        )

    def result_fields(self, result) -> dict[str, Any]:
        """What ``result.to_dict()`` adds for this method."""
        return {}

    def describe(self, result) -> str:
        """``repr(result)``."""
        raise NotImplementedError

    def problems(self, diagnostics) -> list[str]:
        """Every problem of a fit by the rules that apply to the method."""
        return []

    def converged(self, diagnostics) -> bool:
        raise NotImplementedError

    def draws_per_s(self, draws_made: int, seconds: float) -> float:
        """Draws per second of sampling, where the method makes draws while it runs."""
        return draws_made / seconds if seconds > 0 else float("nan")


class McmcMethod(FitMethod):
    """Chains of draws (PyMC, nutpie, NumPyro NUTS): per-chain progress and traced draws,
    R-hat/ESS, divergences and the other MCMC rules."""

    name: ClassVar[str] = "mcmc"
    view: ClassVar[str] = "trace"
    paces_pump: ClassVar[bool] = True

    def schedule(self, options: FitOptions, backend: str) -> tuple[int, int, int | None]:
        for key in options.svi.given():
            raise FitInputError(key, f"is only used by backend 'numpyro-svi', not {backend!r}")
        mcmc = options.mcmc
        tune = check_positive_int(
            "tune", DEFAULT_TUNE if mcmc.tune is None else mcmc.tune, allow_zero=True
        )
        chains = check_positive_int(
            "chains", DEFAULT_CHAINS if mcmc.chains is None else mcmc.chains
        )
        return tune, chains, None

    def new_state(self, config: FitConfig, trace_names: Sequence[str]) -> FitState:
        return FitState(config.chains, config.tune, config.draws, trace_names, cores=config.cores)

    def feed(self, state, session_id: str) -> Feed:
        return DrawFeed(state, session_id)

    def snapshot(self, state, *, status, message, error, elapsed_s, capture) -> ev.Snapshot:
        chains = state.chain_statuses()
        overall = state.overall(chains)
        return ev.Snapshot(
            status=status,
            chains=chains,
            draws_done=overall["draws_done"],
            total=overall["total"],
            elapsed_s=elapsed_s,
            message=message,
            error=error,
            method=self.name,
            draws_per_s=overall["draws_per_s"],
            eta_s=None if status in ("finished", "cancelled", "failed") else overall["eta_s"],
            warnings=tuple(capture.warnings),
            log=tuple(capture.log),
        )

    def running_diagnostics(self, state, labels):
        from bayes_widgets.core.fitting.diagnostics import running_diagnostics

        return running_diagnostics(state.posterior_draws(), labels)

    def draws_so_far(self, state) -> tuple[int, ...]:
        return tuple(c.draws_done for c in state.chain_statuses())

    def result(self, idata, end: FitEnd, *, cancelled: bool):
        from bayes_widgets.core.fitting.diagnostics import summarize
        from bayes_widgets.core.fitting.mcmc_result import mcmc_draws, variable_kinds_of
        from bayes_widgets.core.fitting.result import FitResult

        cfg = end.config
        made = self.draws_so_far(end.state)
        idata, message, done = mcmc_draws(
            idata,
            cfg,
            end.model,
            made,
            cancelled=cancelled,
            draws_completed=end.backend.draws_completed,
        )
        kinds = variable_kinds_of(idata, end.backend.deterministic_names())
        return FitResult(
            status="cancelled" if cancelled else "finished",
            idata=idata,
            summarize=partial(
                summarize,
                idata,
                backend=end.backend.name,
                tune=cfg.tune,
                wall_time_s=end.wall_s,
                sampling_time_s=end.sampling_s,
                partial=cancelled,
                chains=cfg.chains,
                kinds=kinds,
                draws_made=sum(made) or None,
            ),
            backend=end.backend.name,
            partial=cancelled,
            message=message
            or f"Finished: {cfg.draws} draws per chain after {cfg.tune} tuning draws.",
            draws_completed=done,
            warnings=end.warnings,
            log=end.log,
        )

    def describe(self, result) -> str:
        d = result.diagnostics
        return (
            f"FitResult(status={result.status!r}, backend={result.backend!r}, "
            f"partial={result.partial}, draws_per_chain={d.draws_per_chain}, "
            f"divergences={d.divergences}, rhat_max={d.rhat_max:.3f}, "
            f"ess_bulk_min={d.ess_bulk_min:.0f})"
        )

    def problems(self, diagnostics) -> list[str]:
        from bayes_widgets.core.fitting.rules import fit_problems

        if diagnostics.draws_per_chain == 0:
            return []
        return fit_problems(
            diagnostics.parameters,
            chains=diagnostics.chains,
            divergences=diagnostics.divergences,
            treedepth_hits=diagnostics.max_treedepth_hits,
            ebfmi=diagnostics.ebfmi,
            divergences_by_chain=diagnostics.divergences_by_chain,
        )

    def converged(self, diagnostics) -> bool:
        """None of the problems of the rules."""
        return diagnostics.draws_per_chain > 0 and not self.problems(diagnostics)


class SviMethod(FitMethod):
    """An optimized guide (NumPyro SVI): per-step losses, speed and the current
    parameters; its result holds the guide's parameters and draws sampled from it."""

    name: ClassVar[str] = "svi"
    view: ClassVar[str] = "loss"
    paces_pump: ClassVar[bool] = False
    """The optimizer runs compiled chunks, not draw by draw."""

    def schedule(self, options: FitOptions, backend: str) -> tuple[int, int, int | None]:
        mcmc = options.mcmc
        for key in ("tune", "target_accept"):
            if getattr(mcmc, key) is not None:
                raise FitInputError(
                    key,
                    f"is not used by SVI (backend {backend!r}); set steps= for the optimization",
                )
        if mcmc.chains not in (None, 1):
            raise FitInputError("chains", f"SVI fits one guide (chains=1), got {mcmc.chains!r}")
        steps = options.svi.steps
        return 0, 1, check_positive_int("steps", DEFAULT_STEPS if steps is None else steps)

    def new_state(self, config: FitConfig, trace_names: Sequence[str]) -> LossState:
        return LossState(config.steps or DEFAULT_STEPS)

    def feed(self, state, session_id: str) -> Feed:
        return LossFeed(state, session_id)

    def snapshot(self, state, *, status, message, error, elapsed_s, capture) -> ev.Snapshot:
        svi = state.status(elapsed_s)
        return ev.Snapshot(
            status=status,
            chains=(),
            draws_done=svi.steps_done,
            total=svi.total,
            elapsed_s=elapsed_s,
            message=message,
            error=error,
            method=self.name,
            svi=svi,
        )

    def draws_so_far(self, state) -> tuple[int, ...]:
        return (0,)

    def result(self, idata, end: FitEnd, *, cancelled: bool):
        from bayes_widgets.core.fitting.diagnostics import summarize
        from bayes_widgets.core.fitting.result import FitResult

        extras = dict(end.backend.result_extras())
        cancelled = bool(extras.get("cancelled"))  # a cancel after the last chunk changes nothing
        n_draws = (
            idata["posterior"].sizes["draw"]
            if idata is not None and "posterior" in idata.children
            else 0
        )
        svi_info = {
            "steps": extras.get("steps", 0),
            "steps_requested": end.config.steps,
            "converged": bool(extras.get("converged", False)),
            "final_loss": extras.get("final_loss"),
            "steps_per_s": extras.get("steps_per_s"),
            "compile_s": extras.get("compile_s"),
            "guide": extras.get("guide_name"),
        }
        return FitResult(
            status="cancelled" if cancelled else "finished",
            idata=idata,
            summarize=partial(
                summarize,
                idata,
                backend=end.backend.name,
                tune=0,
                wall_time_s=end.wall_s,
                sampling_time_s=end.sampling_s,
                partial=cancelled,
                chains=1,
                method=self.name,
                svi=svi_info,
            ),
            backend=end.backend.name,
            partial=cancelled,
            message=extras.get("message", ""),
            draws_completed=(int(n_draws),),
            method=self.name,
            params=extras.get("params"),
            losses=extras.get("losses"),
            steps=int(extras.get("steps", 0)),
            converged=bool(extras.get("converged", False)),
            svi_state=extras.get("state"),
            warnings=end.warnings,
            log=end.log,
        )

    def result_fields(self, result) -> dict[str, Any]:
        from bayes_widgets.core.checks import finite_or_none

        losses = [] if result.losses is None else result.losses
        final = finite_or_none(losses[-1]) if len(losses) else None
        return {"steps": result.steps, "converged": bool(result.converged), "final_loss": final}

    def describe(self, result) -> str:
        losses = [] if result.losses is None else result.losses
        final = f"{float(losses[-1]):.6g}" if len(losses) else "None"
        draws = result.draws_completed[0] if result.draws_completed else 0
        return (
            f"FitResult(status={result.status!r}, backend={result.backend!r}, method='svi', "
            f"steps={result.steps}, converged={result.converged}, final_loss={final}, "
            f"draws={draws})"
        )

    def converged(self, diagnostics) -> bool:
        """The loss stopped changing before the last step."""
        return bool(diagnostics.svi and diagnostics.svi.get("converged"))

    def draws_per_s(self, draws_made: int, seconds: float) -> float:
        """None: the draws come from the guide after the optimization."""
        return float("nan")


METHODS: dict[str, FitMethod] = {m.name: m for m in (McmcMethod(), SviMethod())}
"""Every fit method, by name."""


def fit_method(name: str) -> FitMethod:
    """The method called ``name`` ('mcmc' or 'svi'), as a backend's ``method`` names it."""
    try:
        return METHODS[name]
    except KeyError:
        raise FitInputError(
            "method", f"unknown fit method {name!r}; choose from {', '.join(METHODS)}"
        ) from None


__all__ = [
    "METHODS",
    "FitEnd",
    "FitMethod",
    "McmcMethod",
    "SviMethod",
    "fit_method",
]

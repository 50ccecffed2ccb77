"""The contract between a fit session and a sampler backend."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from bayes_widgets.core.fitting.state import FitState, LossState


@dataclass(frozen=True)
class FitConfig:
    draws: int
    """MCMC: draws per chain after tuning. SVI: draws sampled from the fitted guide."""
    tune: int
    chains: int
    cores: int
    seed: int | None
    target_accept: float | None
    sampler_kwargs: dict[str, Any] = field(default_factory=dict)
    model_args: tuple = ()
    """Positional arguments of a NumPyro model (and guide)."""
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of a NumPyro model (and guide)."""
    steps: int | None = None
    """SVI: optimisation steps (at most; a converged fit stops earlier)."""
    guide: Any = None
    """SVI: a NumPyro guide, or the name of an autoguide (``"AutoNormal"``, ...)."""
    optimizer: Any = None
    """SVI: a ``numpyro.optim`` optimiser."""
    loss: Any = None
    """SVI: an ELBO (``numpyro.infer.Trace_ELBO()`` by default)."""
    keep_warmup: bool = False
    """MCMC: the result keeps the tuning draws (``warmup_*`` groups). A backend may leave
    them out of a result that has draws after tuning when this is False."""

    def sampler_options(self) -> dict[str, Any]:
        """The user's extra sampler options, with ``target_accept`` when it was set."""
        options = dict(self.sampler_kwargs)
        if self.target_accept is not None:
            options.setdefault("target_accept", self.target_accept)
        return options


class Control:
    """What a backend sees of its session: flags to obey and the state to report into."""

    def __init__(self, state: FitState | LossState):
        self.state = state
        self.cancel_requested = threading.Event()
        self.pause_requested = threading.Event()
        self.on_compiled: Callable[[], object] | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel_requested.is_set()

    @property
    def draws(self) -> FitState:
        """The state of an MCMC fit, where its backend reports chains and draws."""
        return cast(FitState, self.state)

    @property
    def losses(self) -> LossState:
        """The state of an SVI fit, where its backend reports losses and parameters."""
        return cast(LossState, self.state)

    def compiled(self) -> None:
        """Backends that compile inside ``run`` call this once the first step is done."""
        if self.on_compiled is not None:
            self.on_compiled()


class Backend:
    """A sampler. ``prepare`` compiles (cancellable only between steps); ``run`` samples.

    ``run`` returns the draws made (an ``xarray.DataTree``, tuning draws kept in
    the ``warmup_*`` groups, except where ``config.keep_warmup`` is False and there are
    draws after tuning) whether sampling finished or was cancelled, and ``None`` if
    nothing was drawn. A backend that leaves the tuning draws out sets
    ``draws_completed`` (draws per chain, tuning included) after ``run``.

    The constructor checks the model and resolves the traced scalars
    (``trace_names``); both raise :class:`~bayes_widgets.core.fitting.validation.FitInputError`
    naming the field to fix. The defaults here are those of PyMC models.
    """

    name: ClassVar[str]
    supports_pause: ClassVar[bool] = False
    stat_names: ClassVar[dict[str, str]] = {}
    method: ClassVar[str] = "mcmc"
    """'mcmc' (chains of draws) or 'svi' (an optimised guide)."""
    compiles_in_run: ClassVar[bool] = False
    """True when compiling happens inside ``run``, which then calls ``control.compiled()``."""

    def __init__(
        self,
        model,
        config: FitConfig,
        var_names: Sequence[str] | None = None,
        *,
        allow_missing: bool = False,
    ):
        self.model = model
        self.config = config
        self.draws_completed: tuple[int, ...] | None = None
        """Draws per chain, tuning included, of the trace ``run`` returned, where the
        trace alone cannot tell (it leaves the tuning draws out); else None."""
        self.check_model(allow_missing=allow_missing)
        self.trace_names: tuple[str, ...] = tuple(self.resolve_trace_names(var_names))
        self.trace_labels: tuple[str, ...] = tuple(self.label_trace_names(self.trace_names))
        """The traced names as shown: with coordinate labels (``beta[price]``) where the
        model has them."""

    def check_model(self, *, allow_missing: bool) -> None:
        from bayes_widgets.core.fitting.validation import FitInputError, check_pymc_model

        for name in ("model_args", "model_kwargs"):
            if getattr(self.config, name):
                raise FitInputError(
                    name,
                    f"only NumPyro models take arguments (backend {self.name!r} fits a pymc.Model)",
                )
        check_pymc_model(self.model, allow_missing=allow_missing)

    def resolve_trace_names(self, var_names: Sequence[str] | None) -> tuple[str, ...]:
        from bayes_widgets.core.model_info import resolve_trace_names

        return resolve_trace_names(self.model, var_names)

    def label_trace_names(self, names: Sequence[str]) -> tuple[str, ...]:
        """Display labels of traced names (PyMC: from the model's coords and dims)."""
        from bayes_widgets.core.model_info import trace_labels

        return trace_labels(self.model, names)

    def deterministic_names(self) -> list[str] | None:
        """The model's deterministic variables (None when the backend cannot tell: the
        diagnostics then guess from the draws' dims)."""
        dets = getattr(self.model, "deterministics", None)
        return None if dets is None else [d.name for d in dets]

    def result_extras(self) -> dict[str, Any]:
        """Extra fields of the :class:`~bayes_widgets.core.fitting.result.FitResult` (SVI: params, losses)."""
        return {}

    def _draws_completed(self, trace) -> tuple[int, ...] | None:
        """Draws per chain, tuning included, of an MCMC trace converted without its tuning
        draws (every chain kept is past tuning: it made ``tune`` of them); None for a trace
        that has its tuning draws, or none after tuning."""
        from bayes_widgets.core.fitting.trim import chain_lengths

        if (
            trace is None
            or "warmup_sample_stats" in trace.children
            or "sample_stats" not in trace.children
        ):
            return None
        lengths = chain_lengths(trace["sample_stats"].to_dataset())
        if lengths is None or len(lengths) != self.config.chains or not lengths.any():
            return None
        return tuple(self.config.tune + int(n) for n in lengths)

    def prepare(self, control: Control) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, control: Control):  # pragma: no cover - interface
        raise NotImplementedError

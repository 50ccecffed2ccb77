"""The option groups of an SVI run and its defaults: how :func:`~bayes_widgets.core.fitting.svi.run_svi`
runs (:class:`SviOptions`), what it calls back (:class:`SviHooks`), minibatches
(:class:`Minibatch`), and the default optimizer and loss.

    options = SviOptions(chunk=500, convergence=None, minibatch=Minibatch(100, 5000, plate="groups"))
    run_svi(model, guide, steps=3000, options=options)
    run_svi(model, guide, steps=3000, chunk=500, convergence=None)   # the same, by keyword
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from bayes_widgets.core.fitting.validation import FitInputError, check_positive_int

DEFAULT_LEARNING_RATE = 0.01
"""Step size of the default optimizer."""
DEFAULT_STEPS = 5000
"""Optimization steps of a fit session's SVI fit (at most: a converged fit stops earlier)."""


@functools.lru_cache(maxsize=32)
def default_optimizer(
    learning_rate: float = DEFAULT_LEARNING_RATE,
    decay_steps: float | None = None,
    final_fraction: float = 0.1,
):
    """Adam at ``learning_rate``; with ``decay_steps``, its step size decays towards
    ``final_fraction`` of it: ``lr * (f + (1 - f) * exp(-step / decay_steps))``.

    Cached (same settings, same object), so runs of the same shapes share one compiled
    chunk whatever their length."""
    import numpyro

    if decay_steps is None:
        return numpyro.optim.Adam(float(learning_rate))
    import jax.numpy as jnp

    lr, f, tau = float(learning_rate), float(final_fraction), float(decay_steps)

    def schedule(i):
        return lr * (f + (1.0 - f) * jnp.exp(-i / tau))

    return numpyro.optim.Adam(schedule)


@functools.cache
def default_loss():
    """The default ELBO, ``Trace_ELBO()``, one shared instance (for the compiled-chunk cache)."""
    from numpyro.infer import Trace_ELBO

    return Trace_ELBO()


@dataclass(frozen=True)
class Minibatch:
    """Subsample ``size`` of ``total`` indices per step, inside the compiled chunk.

    Exactly one of ``plate`` (the name of a ``numpyro.plate(name, total,
    subsample_size=size)`` in the model and the guide, whose indices are substituted) and
    ``kwarg`` (the keyword argument of model and guide that receives the index array)
    must be given. Indices are drawn epoch by epoch: a permutation of ``range(total)``
    cut into ``total // size`` batches, keyed by the seed and the optimizer's step.
    """

    size: int
    total: int
    plate: str | None = None
    kwarg: str | None = None

    def __post_init__(self) -> None:
        check_positive_int("minibatch.size", self.size)
        check_positive_int("minibatch.total", self.total)
        if self.size > self.total:
            raise FitInputError(
                "minibatch.size", f"{self.size} is larger than minibatch.total ({self.total})"
            )
        if (self.plate is None) == (self.kwarg is None):
            raise FitInputError(
                "minibatch",
                "give exactly one of plate= (a plate name) or kwarg= (an argument name)",
            )
        for name in ("plate", "kwarg"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.isidentifier()):
                raise FitInputError(f"minibatch.{name}", f"must be a name, got {value!r}")

    def indices(self, key, step):
        """The batch of step ``step`` (a traced int): a slice of this epoch's permutation."""
        import jax
        import jax.numpy as jnp

        per_epoch = self.total // self.size
        epoch = step // per_epoch
        pos = (step % per_epoch) * self.size
        perm = jax.random.permutation(jax.random.fold_in(key, epoch), self.total)
        return jax.lax.dynamic_slice(perm, (pos,), (self.size,)).astype(jnp.int32)

    @classmethod
    def of(cls, value) -> Minibatch | None:
        """``value`` as a Minibatch: one already, a dict of its fields, or None."""
        if value is None or isinstance(value, Minibatch):
            return value
        if isinstance(value, Mapping):
            try:
                return cls(**value)
            except TypeError as exc:
                raise FitInputError("minibatch", str(exc)) from None
        raise FitInputError(
            "minibatch", f"expected a Minibatch or a dict, got {type(value).__name__}"
        )


@dataclass(frozen=True)
class SviOptions:
    """How an SVI run goes; each field is checked on creation, naming itself.

    The same names are the ``sampler_kwargs`` of a fit session with backend 'numpyro-svi'.
    """

    chunk: int = 200
    """Steps per compiled chunk (the host sees progress every ``chunk`` steps)."""
    convergence: float | None = 1e-4
    """Stop once the relative change of the ``window``-step mean loss is below this
    (``|m1 - m0| / max(|m0|, 1)``, needs ``2 * window`` steps); None never stops early."""
    window: int = 200
    minibatch: Minibatch | None = None
    """Subsample inside the chunk (a :class:`Minibatch`, or a dict of its fields)."""
    init_params: Mapping[str, Any] | None = None
    """Initial values of the guide's parameters (constrained), by name; ignored with ``init_state``."""
    init_state: Any = None
    """An ``SVIState`` (``result.state``) to continue from; the optimizer's moments are kept."""
    check_sites: bool = True
    """Trace model and guide once and raise when their latent sites differ."""
    progress_params: bool | None = None
    """Hand the current parameters to ``on_chunk``: True, False, or None (when they hold
    at most :data:`PARAMS_IN_PROGRESS_MAX` numbers)."""

    def __post_init__(self) -> None:
        check_positive_int("chunk", self.chunk)
        check_positive_int("window", self.window)
        object.__setattr__(self, "convergence", _tolerance(self.convergence))
        object.__setattr__(self, "minibatch", Minibatch.of(self.minibatch))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, options: SviOptions | None, kwargs: dict[str, Any]) -> SviOptions:
        """``options`` (or the defaults) with the fields named in ``kwargs`` replaced."""
        base = options if options is not None else cls()
        if not kwargs:
            return base
        return cls(**{**{n: getattr(base, n) for n in cls.names()}, **kwargs})


PARAMS_IN_PROGRESS_MAX = 2_000_000
"""Parameters are handed to ``on_chunk`` when they hold at most this many numbers
(``progress_params=None``); a transfer of 2M float32 costs a few ms per chunk."""


@dataclass(frozen=True)
class SviHooks:
    """What an SVI run calls, on its own thread; exceptions raised by them propagate."""

    on_chunk: Callable[[Any], Any] | None = None
    """Called with an ``SVIProgress`` after every chunk."""
    should_stop: Callable[[], bool] | None = None
    """Called before every chunk; true ends the run (``cancelled=True``) with the
    parameters of the last finished chunk."""
    on_compiled: Callable[[float], Any] | None = None
    """Called once before the first chunk with the seconds spent compiling (0.0 on a
    cache hit)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            fn = getattr(self, f.name)
            if fn is not None and not callable(fn):
                raise FitInputError(f.name, f"must be callable or None, got {type(fn).__name__}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def split_run_kwargs(
    kwargs: dict[str, Any], options: SviOptions | None, hooks: SviHooks | None
) -> tuple[SviOptions, SviHooks]:
    """Folds ``run_svi``'s keyword options into its two groups; an unknown name is a TypeError."""
    known_options, known_hooks = SviOptions.names(), SviHooks.names()
    unknown = sorted(set(kwargs) - set(known_options) - set(known_hooks))
    if unknown:
        raise TypeError(
            f"run_svi() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"options: {', '.join(known_options + known_hooks)}"
        )
    opts = SviOptions.of(options, {k: v for k, v in kwargs.items() if k in known_options})
    hook_kwargs = {k: v for k, v in kwargs.items() if k in known_hooks}
    if hooks is not None:
        hook_kwargs = {**{n: getattr(hooks, n) for n in known_hooks}, **hook_kwargs}
    return opts, SviHooks(**hook_kwargs)


def _tolerance(convergence) -> float | None:
    if convergence is None:
        return None
    try:
        value = float(convergence)
    except (TypeError, ValueError):
        raise FitInputError(
            "convergence", f"must be a number or None, got {convergence!r}"
        ) from None
    if not value > 0 or not math.isfinite(value):
        raise FitInputError("convergence", f"must be > 0 (or None to disable), got {value}")
    return value

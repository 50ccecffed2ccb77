"""Stochastic variational inference (NumPyro SVI) in compiled chunks, with progress,
cancel and early stop between chunks.

    result = run_svi(model, guide, steps=5000, model_args=(x,), model_kwargs={"y": y},
                     on_chunk=print, convergence=1e-4)
    result.params, result.losses, result.converged
    run_svi(model, guide, steps=2000, init_state=result.state)   # continue

Each chunk is one jitted ``lax.scan`` over ``chunk`` SVI updates
(:mod:`~bayes_widgets.core.fitting.svi_compile`), so the host sees the run once per chunk
without slowing the steps. Arrays in ``model_args`` / ``model_kwargs`` are arguments of
the compiled function, other leaves are static: pass data through them, not a closure.
A chunk with a non-finite loss or parameter ends the run with the state before it. The
options are :class:`~bayes_widgets.core.fitting.svi_options.SviOptions` and
:class:`~bayes_widgets.core.fitting.svi_options.SviHooks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.backends.numpyro_common import join_args, split_args
from bayes_widgets.core.fitting.svi_compile import (
    CompiledChunk,
    clear_cache,
    compiled_chunk,
    with_indices,
)
from bayes_widgets.core.fitting.svi_options import (
    DEFAULT_LEARNING_RATE,
    PARAMS_IN_PROGRESS_MAX,
    Minibatch,
    SviHooks,
    SviOptions,
    default_loss,
    default_optimizer,
    split_run_kwargs,
)
from bayes_widgets.core.fitting.svi_sites import check_guide_sites
from bayes_widgets.core.fitting.validation import FitInputError, check_positive_int

__all__ = [
    "DEFAULT_LEARNING_RATE",
    "Minibatch",
    "SVIProgress",
    "SVIRunResult",
    "SviHooks",
    "SviOptions",
    "check_guide_sites",
    "clear_cache",
    "default_loss",
    "default_optimizer",
    "run_svi",
]


@dataclass
class SVIProgress:
    """What ``on_chunk`` gets after every chunk."""

    step: int
    """Steps done so far in this run."""
    total: int
    """Steps requested."""
    losses: np.ndarray
    """This chunk's per-step losses (ELBO loss, lower is better), float64."""
    elapsed_s: float
    """Seconds since the run started (compilation included)."""
    steps_per_s: float
    """Steps per second over this run's chunks, compilation excluded."""
    params: dict[str, np.ndarray] | None
    """Current constrained parameters, or ``None`` when not cheap (see ``progress_params``)."""
    converged: bool
    """The convergence test passed at this chunk (the run stops after it)."""


@dataclass
class SVIRunResult:
    """The outcome of :func:`run_svi`."""

    params: dict[str, np.ndarray]
    """Constrained parameters (``svi.get_params``)."""
    losses: np.ndarray
    """All per-step losses of this run, float64."""
    steps: int
    """Steps done (≤ requested)."""
    converged: bool
    cancelled: bool
    elapsed_s: float
    compile_s: float
    """Seconds spent tracing and compiling the chunk function (0 when it came from the cache)."""
    state: Any
    """The ``SVIState`` to continue from (``run_svi(..., init_state=result.state)``)."""
    message: str
    traces: int = 0
    """How many times this run traced the chunk function (1, or 0 on a cache hit)."""
    total_steps: int = 0
    """The optimiser's step count after the run, counting steps of earlier runs continued from."""


def run_svi(
    model: Callable,
    guide: Callable,
    *,
    steps: int,
    optimizer=None,
    loss=None,
    seed: int = 0,
    model_args: tuple = (),
    model_kwargs: Mapping[str, Any] | None = None,
    options: SviOptions | None = None,
    hooks: SviHooks | None = None,
    **kwargs: Any,
) -> SVIRunResult:
    """Fit ``guide`` to ``model`` by SVI in compiled chunks; see the module docstring.

    Parameters
    ----------
    model, guide
        NumPyro model and guide, called as ``f(*model_args, **model_kwargs)``.
    steps
        Number of SVI steps to run (this run; a continued run adds to ``init_state``).
    optimizer, loss
        A ``numpyro.optim`` optimizer (default :func:`default_optimizer`, Adam(0.01)) and
        an ELBO (default ``Trace_ELBO()``).
    seed
        Seeds the initial state (unless ``init_state``) and the minibatch indices.
    options, hooks
        An :class:`SviOptions` (``chunk``, ``convergence``, ``window``, ``minibatch``,
        ``init_params``, ``init_state``, ``check_sites``, ``progress_params``) and an
        :class:`SviHooks` (``on_chunk``, ``should_stop``, ``on_compiled``); their fields
        may also be given as keywords, which replace those of ``options`` and ``hooks``.
    """
    import jax

    options, hooks = split_run_kwargs(kwargs, options, hooks)
    steps, seed, model_args, model_kwargs = _check_run(
        model, guide, steps, seed, model_args, model_kwargs, options.minibatch
    )
    optimizer = optimizer if optimizer is not None else default_optimizer()
    loss = loss if loss is not None else default_loss()
    t0 = time.perf_counter()
    treedef, mask, dynamic, static = split_args(model_args, model_kwargs)
    if options.check_sites:
        args, kw = join_args(treedef, mask, dynamic, static)
        check_guide_sites(model, guide, *args, **with_indices(kw, options.minibatch))
    init_params = options.init_params
    if init_params is not None:
        init_params = {k: jax.numpy.asarray(v) for k, v in init_params.items()}
    batch_key = jax.random.fold_in(jax.random.PRNGKey(seed), 0x5EED)
    compiled, state, compile_s, traces_before = compiled_chunk(
        model,
        guide,
        optimizer,
        loss,
        options.chunk,
        options.minibatch,
        (treedef, mask, dynamic, static),
        jax.random.PRNGKey(seed),
        batch_key,
        (options.init_state, init_params),
    )
    if hooks.on_compiled is not None:
        hooks.on_compiled(compile_s)
    loop = _ChunkLoop(compiled, dynamic, batch_key, steps, options, hooks, t0)
    state = loop.run(state)
    return SVIRunResult(
        params=_to_numpy(compiled.get_params(state)),
        losses=np.concatenate(loop.losses) if loop.losses else np.zeros(0),
        steps=loop.done,
        converged=loop.converged,
        cancelled=loop.cancelled,
        elapsed_s=time.perf_counter() - t0,
        compile_s=compile_s,
        state=state,
        message=loop.message or f"finished {loop.done} steps",
        traces=compiled.traces[0] - traces_before,
        total_steps=int(state.optim_state[0]),
    )


def _check_run(model, guide, steps, seed, model_args, model_kwargs, minibatch):
    """The run's inputs checked, each failing with the field's name."""
    if not callable(model):
        raise FitInputError(
            "model", f"must be callable (a NumPyro model), got {type(model).__name__}"
        )
    if not callable(guide):
        raise FitInputError(
            "guide", f"must be callable (a NumPyro guide), got {type(guide).__name__}"
        )
    steps = check_positive_int("steps", steps)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise FitInputError("seed", f"must be an integer, got {seed!r}")
    if not isinstance(model_args, tuple | list):
        raise FitInputError("model_args", f"must be a tuple, got {type(model_args).__name__}")
    if model_kwargs is not None and not isinstance(model_kwargs, Mapping):
        raise FitInputError("model_kwargs", f"must be a dict, got {type(model_kwargs).__name__}")
    model_kwargs = dict(model_kwargs or {})
    if minibatch is not None and minibatch.kwarg is not None and minibatch.kwarg in model_kwargs:
        raise FitInputError(
            "model_kwargs",
            f"{minibatch.kwarg!r} is set by the minibatch; leave it out of model_kwargs",
        )
    return steps, int(seed), tuple(model_args), model_kwargs


class _ChunkLoop:
    """Runs the compiled chunks until ``steps`` are done, the loss converges, a hook asks
    to stop or a chunk goes non-finite; keeps the losses and says why it ended."""

    def __init__(self, compiled: CompiledChunk, dynamic, batch_key, steps, options, hooks, t0):
        self.compiled, self.dynamic, self.batch_key = compiled, dynamic, batch_key
        self.steps, self.options, self.hooks, self.t0 = steps, options, hooks, t0
        self.losses: list[np.ndarray] = []
        self.done = 0
        self.converged = self.cancelled = False
        self.message = ""
        self.run_s = 0.0
        self.want_params = options.progress_params

    def run(self, state):
        import jax.numpy as jnp

        steps, should_stop = self.steps, self.hooks.should_stop
        while self.done < steps:
            if should_stop is not None and should_stop():
                self.cancelled = True
                self.message = f"cancelled at step {self.done} of {steps}"
                break
            n = min(self.options.chunk, steps - self.done)
            tc = time.perf_counter()
            new_state, chunk_losses, finite = self.compiled.fn(
                state, jnp.asarray(n, jnp.int32), self.dynamic, self.batch_key
            )
            chunk_losses = np.asarray(chunk_losses, dtype=np.float64)[:n]
            self.run_s += time.perf_counter() - tc
            if not np.all(np.isfinite(chunk_losses)) or not bool(finite):
                self.message = self._non_finite(chunk_losses, n)
                break
            state = new_state
            self.done += n
            self.losses.append(chunk_losses)
            self._after_chunk(state, chunk_losses)
            if self.converged:
                self.message = (
                    f"converged at step {self.done} (relative change of the "
                    f"{self.options.window}-step mean loss < {self.options.convergence:g})"
                )
                break
        return state

    def _non_finite(self, chunk_losses: np.ndarray, n: int) -> str:
        done = self.done
        if not np.all(np.isfinite(chunk_losses)):
            where = (
                f"non-finite loss at step {done + int(np.argmin(np.isfinite(chunk_losses))) + 1}"
            )
        else:
            where = f"non-finite parameters after step {done + n}"
        return f"stopped: {where}; parameters are those after step {done}"

    def _after_chunk(self, state, chunk_losses: np.ndarray) -> None:
        tol = self.options.convergence
        if tol is not None and _converged(np.concatenate(self.losses), self.options.window, tol):
            self.converged = True
        on_chunk = self.hooks.on_chunk
        if on_chunk is None:
            return
        params = None
        if self.want_params is None:
            self.want_params = _n_numbers(state) <= PARAMS_IN_PROGRESS_MAX
        if self.want_params:
            params = _to_numpy(self.compiled.get_params(state))
        on_chunk(
            SVIProgress(
                step=self.done,
                total=self.steps,
                losses=chunk_losses,
                elapsed_s=time.perf_counter() - self.t0,
                steps_per_s=self.done / self.run_s if self.run_s > 0 else float("nan"),
                params=params,
                converged=self.converged,
            )
        )


def _converged(losses: np.ndarray, window: int, tol: float) -> bool:
    if losses.size < 2 * window:
        return False
    m1 = float(np.mean(losses[-window:]))
    m0 = float(np.mean(losses[-2 * window : -window]))
    return abs(m1 - m0) / max(abs(m0), 1.0) < tol


def _n_numbers(state) -> int:
    import jax

    return sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(state.optim_state))


def _to_numpy(params) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in params.items()}

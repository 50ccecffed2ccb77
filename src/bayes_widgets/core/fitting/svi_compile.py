"""Compiled SVI chunks: one jitted ``lax.scan`` over ``chunk`` calls of ``svi.update``,
compiled ahead of time once and kept in a small cache.

The number of active steps of a chunk is a traced argument (every step runs
``lax.cond(i < n_active, update, keep)``), so a last, partial chunk runs the same
executable. The cache is keyed by model, guide, optimizer, loss, chunk length, minibatch and
the shapes and dtypes of the array arguments (model and guide by identity).

    compiled, compile_s = compiled_chunk(model, guide, optimizer, loss, chunk, minibatch, ...)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bayes_widgets.core.fitting.backends.numpyro_common import join_args


@dataclass
class CompiledChunk:
    svi: Any
    cell: dict
    fn: Any  # compiled chunk: (state, n_active, dynamic leaves, batch key) -> (state, losses, finite)
    get_params: Any  # compiled: state -> constrained params
    init: Any  # jitted: (key, dynamic leaves, init_params) -> initial state
    traces: list[int] = field(default_factory=lambda: [0])
    """How many times the chunk function was traced (a Python side effect while tracing)."""


_CACHE: OrderedDict[Any, CompiledChunk] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the compiled chunk functions (they hold references to models and guides)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cache_key(model, guide, optimizer, loss, chunk, minibatch, treedef, mask, static, dynamic):
    sig = tuple(
        (tuple(x.shape), str(x.dtype), bool(getattr(x, "weak_type", False))) for x in dynamic
    )
    key = (model, guide, optimizer, loss, chunk, minibatch, treedef, mask, static, sig)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _make_svi(model, guide, optimizer, loss, minibatch):
    """An SVI object; with a plate minibatch, model and guide read the plate's indices
    from a cell that the step sets while tracing."""
    from numpyro import handlers
    from numpyro.infer import SVI

    cell: dict[str, Any] = {}
    if minibatch is not None and minibatch.plate is not None:
        name = minibatch.plate

        def sub(fn):
            def wrapped(*a, **k):
                return handlers.substitute(fn, data={name: cell["idx"]})(*a, **k)

            return wrapped

        return SVI(sub(model), sub(guide), optimizer, loss), cell
    return SVI(model, guide, optimizer, loss), cell


def _make_init(svi, cell, minibatch, treedef, mask, static):
    """``svi.init`` jitted: one compilation instead of one per operation of model and guide
    (also sets ``svi.constrain_fn``, which ``get_params`` needs, while tracing)."""
    import jax
    import jax.numpy as jnp

    def init(key, dynamic, init_params):
        args, kwargs = join_args(treedef, mask, dynamic, static)
        if minibatch is not None:
            idx = jnp.arange(minibatch.size, dtype=jnp.int32)
            if minibatch.plate is not None:
                cell["idx"] = idx
            else:
                kwargs = {**kwargs, minibatch.kwarg: idx}
        if init_params is not None:
            return svi.init(key, *args, init_params=init_params, **kwargs)
        return svi.init(key, *args, **kwargs)

    return jax.jit(init)


def _build(
    svi, cell, chunk, minibatch, treedef, mask, static, dynamic, state, batch_key, init
) -> CompiledChunk:
    import jax
    import jax.numpy as jnp

    traces = [0]

    def one_step(state, args, kwargs, batch_key):
        if minibatch is None:
            return svi.update(state, *args, **kwargs)
        idx = minibatch.indices(batch_key, state.optim_state[0])
        if minibatch.plate is not None:
            cell["idx"] = idx
            return svi.update(state, *args, **kwargs)
        return svi.update(state, *args, **{**kwargs, minibatch.kwarg: idx})

    def chunk_fn(state, n_active, dynamic, batch_key):
        traces[0] += 1  # Python side effect: runs only while tracing
        args, kwargs = join_args(treedef, mask, dynamic, static)

        def body(state, i):
            def step(s):
                new, loss_val = one_step(s, args, kwargs, batch_key)
                return new, jnp.asarray(loss_val, jnp.float32)

            def keep(s):
                return s, jnp.asarray(jnp.nan, jnp.float32)

            return jax.lax.cond(i < n_active, step, keep, state)

        state, losses = jax.lax.scan(body, state, jnp.arange(chunk))
        finite = jnp.all(
            jnp.stack(
                [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(state.optim_state)]
            )
        )
        return state, losses, finite

    n_active = jnp.asarray(chunk, jnp.int32)
    fn = jax.jit(chunk_fn).lower(state, n_active, dynamic, batch_key).compile()
    get_params = jax.jit(svi.get_params).lower(state).compile()
    return CompiledChunk(svi=svi, cell=cell, fn=fn, get_params=get_params, init=init, traces=traces)


def compiled_chunk(
    model, guide, optimizer, loss, chunk: int, minibatch, parts, init_key, batch_key, start
):
    """The compiled chunk for these settings (from the cache, or built now) and the state
    to start from: ``start`` (an ``SVIState`` to continue from) or a fresh one made with
    ``init_key`` (``start`` is then ``(None, init_params)``).

    ``parts`` is :func:`~bayes_widgets.core.fitting.backends.numpyro_common.split_args`'s
    result with the dynamic leaves as JAX arrays. Returns ``(compiled, state,
    compile_s, traces_before)``."""
    import time

    from bayes_widgets.core.fitting.svi_sites import setup_autoguide

    treedef, mask, dynamic, static = parts
    init_state, init_params = start
    key = _cache_key(
        model, guide, optimizer, loss, chunk, minibatch, treedef, mask, static, dynamic
    )
    with _CACHE_LOCK:
        compiled = _CACHE.get(key) if key is not None else None
        if compiled is not None:
            _CACHE.move_to_end(key)
    if compiled is not None:
        if init_state is None:
            init_state = compiled.init(init_key, dynamic, init_params)
        return compiled, init_state, 0.0, compiled.traces[0]
    tc = time.perf_counter()
    args, kwargs = join_args(treedef, mask, dynamic, static)
    setup_autoguide(guide, args, with_indices(kwargs, minibatch))
    svi, cell = _make_svi(model, guide, optimizer, loss, minibatch)
    init = _make_init(svi, cell, minibatch, treedef, mask, static)
    # the initial state is needed to lower the chunk, and svi.init sets the constrain
    # function that get_params needs, so it runs even when continuing from init_state
    fresh = init(init_key, dynamic, init_params)
    if init_state is None:
        init_state = fresh
    compiled = _build(
        svi, cell, chunk, minibatch, treedef, mask, static, dynamic, init_state, batch_key, init
    )
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = compiled
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return compiled, init_state, time.perf_counter() - tc, 0


def with_indices(kwargs: dict, minibatch) -> dict:
    """``kwargs`` plus a first batch of indices when the minibatch passes them by keyword."""
    if minibatch is None or minibatch.kwarg is None:
        return kwargs
    import jax.numpy as jnp

    return {**kwargs, minibatch.kwarg: jnp.arange(minibatch.size, dtype=jnp.int32)}

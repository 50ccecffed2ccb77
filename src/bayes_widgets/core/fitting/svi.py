"""Chunked stochastic variational inference (NumPyro SVI) with progress, cancel and early stop.

:func:`run_svi` runs ``steps`` SVI updates in *chunks*: each chunk is one jitted
``jax.lax.scan`` over ``chunk`` calls of ``svi.update``, so the host sees the process
once per chunk (one transfer of the chunk's losses, optionally the current parameters)
and can report progress, test for convergence or stop between chunks, without slowing
the steps themselves (a Python loop of single jitted steps is ~2.4x slower).

Compile once
    The chunk function is traced and compiled ahead of time (``jit(...).lower(...).compile()``)
    once and reused for every chunk: an AOT-compiled executable cannot retrace, it would
    raise on arguments of another structure. The number of active steps of a chunk is a
    *traced* argument: every step of the scan runs ``lax.cond(i < n_active, update, keep)``,
    so the last, partial chunk runs the same executable with the extra steps skipped (no
    padding updates, no recompile; a skipped step costs a branch, its NaN loss is dropped).
    ``svi.init`` runs jitted too (one compilation instead of one per operation of model and
    guide) and the model–guide site check traces abstractly (nothing compiled).

    Compiled chunks are kept in a small cache keyed by model, guide, optimiser, loss,
    chunk length, minibatch and the shapes and dtypes of the array arguments (model and
    guide by identity: a fresh closure per call defeats it), so a run that continues from
    ``init_state``, or fits new values of the same shapes, does not compile again. The
    defaults (``Adam(0.01)``, ``Trace_ELBO()``) are shared instances for that reason.
    :attr:`SVIRunResult.traces` counts the traces a run caused (1, or 0 on a cache hit).

    Arrays in ``model_args`` / ``model_kwargs`` are passed to the compiled function as
    arguments (not baked in as constants); every other leaf (Python numbers, strings,
    ``None``) is static. Pass data through them, not through a closure, or it is copied
    into the program as a constant.

Minibatching
    ``minibatch=Minibatch(size, total, plate=...)`` or ``Minibatch(size, total, kwarg=...)``:
    each step draws ``size`` distinct indices out of ``range(total)`` *inside* the scan, with
    a key derived from ``seed`` and the optimiser's step counter (so a continued run goes on
    with fresh batches, and runs are reproducible). Indices are drawn epoch by epoch: a
    random permutation of ``range(total)`` is cut into ``total // size`` batches, so every
    group is visited equally often. With ``plate="groups"`` the indices are substituted
    into the model's and the guide's ``numpyro.plate("groups", total, subsample_size=size)``
    (NumPyro then scales the log densities inside it by ``total / size``; works with
    ``AutoNormal``). With ``kwarg="batch"`` they are passed as ``batch=indices`` to the model
    and the guide, which gather and scale themselves.

Convergence
    With ``convergence=tol`` (default ``1e-4``) the run stops after the first chunk at
    which ``|m1 - m0| / max(|m0|, 1)`` < ``tol`` where ``m1`` is the mean loss over the
    last ``window`` steps and ``m0`` the mean over the ``window`` steps before them (a
    smoothed relative change; needs ``2 * window`` steps). Minibatched losses are noisy: the
    window smooths them, and a tolerance below the noise never triggers, which only means
    the run uses all its steps. ``convergence=None`` disables it.

Non-finite losses
    A chunk with a NaN or infinite loss (or that leaves a parameter or optimiser moment
    non-finite) ends the run; the state and parameters returned are those before that
    chunk and :attr:`SVIRunResult.message` says at which step it happened.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.validation import FitInputError, check_positive_int

__all__ = [
    "Minibatch",
    "SVIProgress",
    "SVIRunResult",
    "check_guide_sites",
    "clear_cache",
    "run_svi",
]

DEFAULT_LEARNING_RATE = 0.01
PARAMS_IN_PROGRESS_MAX = 2_000_000
"""Parameters are handed to ``on_chunk`` when they hold at most this many numbers
(``progress_params=None``); a transfer of 2M float32 costs a few ms per chunk."""


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


@dataclass(frozen=True)
class Minibatch:
    """Subsample ``size`` of ``total`` indices per step, inside the compiled chunk.

    Exactly one of ``plate`` (the name of a ``numpyro.plate(name, total,
    subsample_size=size)`` in the model and the guide, whose indices are substituted) and
    ``kwarg`` (the keyword argument of model and guide that receives the index array)
    must be given.
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


def _as_minibatch(value) -> Minibatch | None:
    if value is None or isinstance(value, Minibatch):
        return value
    if isinstance(value, Mapping):
        try:
            return Minibatch(**value)
        except TypeError as exc:
            raise FitInputError("minibatch", str(exc)) from None
    raise FitInputError("minibatch", f"expected a Minibatch or a dict, got {type(value).__name__}")


# ----------------------------------------------------------------- site checks


def _site_summary(site) -> dict[str, Any]:
    return {
        "type": site["type"],
        "is_observed": bool(site.get("is_observed", False)),
        "is_auxiliary": bool((site.get("infer") or {}).get("is_auxiliary", False)),
    }


def _latent_sites(trace) -> dict[str, Any]:
    return {
        name: site
        for name, site in trace.items()
        if site["type"] == "sample"
        and not site.get("is_observed", False)
        and not site.get("is_auxiliary", False)
    }


def check_guide_sites(model, guide, *args, **kwargs) -> None:
    """Raise :class:`FitInputError` unless the guide samples exactly the model's latent sites.

    NumPyro links model and guide by the names of sample sites only: a site the guide
    names differently (a typo) is silently drawn from its prior in the model and ignored
    in the guide. This traces both once (on the host, with a fixed seed) and names the
    first site that is in one but not the other. Sites whose value the model computes
    (``numpyro.deterministic``, ``obs=...``, ``numpyro.factor``) are not latent.
    """
    import jax
    from numpyro import handlers

    _setup_autoguide(guide, args, kwargs)
    treedef, mask, dynamic, static = _split_args(args, kwargs)
    traces: dict[str, Any] = {}

    def record(dynamic):
        a, k = _join_args(treedef, mask, dynamic, static)
        key_g, key_m = jax.random.split(jax.random.PRNGKey(0))
        guide_trace = handlers.trace(handlers.seed(guide, key_g)).get_trace(*a, **k)
        model_trace = handlers.trace(
            handlers.replay(handlers.seed(model, key_m), guide_trace)
        ).get_trace(*a, **k)
        traces["guide"] = {n: _site_summary(s) for n, s in guide_trace.items()}
        traces["model"] = {n: _site_summary(s) for n, s in model_trace.items()}
        return 0

    # traced abstractly: nothing is computed or compiled, only the site names are kept
    jax.make_jaxpr(record)(dynamic)
    guide_trace, model_trace = traces["guide"], traces["model"]
    in_guide = set(_latent_sites(guide_trace))
    in_model = set(_latent_sites(model_trace))
    # a guide site the model observes is a mismatch too
    observed_in_model = {
        n for n, s in model_trace.items() if s["type"] == "sample" and s.get("is_observed", False)
    }
    for name in sorted(in_guide - in_model):
        hint = " (the model observes it)" if name in observed_in_model else ""
        close = _closest(name, in_model - in_guide)
        raise FitInputError(
            f"guide.{name}",
            f"the guide samples {name!r} but the model has no latent site of that name{hint}"
            + (f"; did you mean {close!r}?" if close else ""),
        )
    for name in sorted(in_model - in_guide):
        close = _closest(name, in_guide - in_model)
        raise FitInputError(
            f"model.{name}",
            f"latent site {name!r} of the model is not sampled by the guide"
            + (f"; did you mean {close!r}?" if close else ""),
        )


def _setup_autoguide(guide, args, kwargs) -> None:
    """An AutoGuide builds its prototype on its first call by running the model: do that
    eagerly, outside any trace, so that no tracer is stored in the guide."""
    if getattr(guide, "prototype_trace", False) is None:
        import jax
        from numpyro import handlers

        handlers.seed(guide, jax.random.PRNGKey(0))(*args, **kwargs)


def _closest(name: str, candidates: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


# ------------------------------------------------------------ compiled chunks


@dataclass
class _Compiled:
    svi: Any
    cell: dict
    fn: Any  # compiled chunk: (state, n_active, dynamic leaves, batch key) -> (state, losses, finite)
    get_params: Any  # compiled: state -> constrained params
    init: Any  # jitted: (key, dynamic leaves, init_params) -> initial state
    traces: list[int] = field(default_factory=lambda: [0])


_CACHE: OrderedDict[Any, _Compiled] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the compiled chunk functions (they hold references to models and guides)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _is_array(leaf) -> bool:
    import jax

    return isinstance(leaf, (np.ndarray, jax.Array, np.generic))


def _split_args(model_args, model_kwargs):
    import jax

    leaves, treedef = jax.tree_util.tree_flatten((tuple(model_args), dict(model_kwargs)))
    mask = tuple(_is_array(leaf) for leaf in leaves)
    dynamic = [leaf for leaf, is_dyn in zip(leaves, mask, strict=True) if is_dyn]
    static = tuple(leaf for leaf, is_dyn in zip(leaves, mask, strict=True) if not is_dyn)
    return treedef, mask, dynamic, static


def _join_args(treedef, mask, dynamic, static):
    import jax

    dyn, sta = iter(dynamic), iter(static)
    leaves = [next(dyn) if is_dyn else next(sta) for is_dyn in mask]
    return jax.tree_util.tree_unflatten(treedef, leaves)


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
        args, kwargs = _join_args(treedef, mask, dynamic, static)
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
) -> _Compiled:
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
        args, kwargs = _join_args(treedef, mask, dynamic, static)

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
    return _Compiled(svi=svi, cell=cell, fn=fn, get_params=get_params, init=init, traces=traces)


# ---------------------------------------------------------------- the engine


def run_svi(
    model: Callable,
    guide: Callable,
    *,
    steps: int,
    optimizer=None,
    loss=None,
    seed: int = 0,
    chunk: int = 200,
    model_args: tuple = (),
    model_kwargs: Mapping[str, Any] | None = None,
    init_state=None,
    on_chunk: Callable[[SVIProgress], Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
    convergence: float | None = 1e-4,
    window: int = 200,
    minibatch: Minibatch | Mapping | None = None,
    init_params: Mapping[str, Any] | None = None,
    check_sites: bool = True,
    progress_params: bool | None = None,
    on_compiled: Callable[[float], Any] | None = None,
) -> SVIRunResult:
    """Fit ``guide`` to ``model`` by SVI in compiled chunks; see the module docstring.

    Parameters
    ----------
    model, guide
        NumPyro model and guide, called as ``f(*model_args, **model_kwargs)``.
    steps
        Number of SVI steps to run (this run; a continued run adds to ``init_state``).
    optimizer
        A ``numpyro.optim`` optimiser; default ``numpyro.optim.Adam(0.01)``.
    loss
        An ELBO; default ``numpyro.infer.Trace_ELBO()``.
    seed
        Seeds the initial state (unless ``init_state``) and the minibatch indices.
    chunk
        Steps per compiled chunk (the host sees progress every ``chunk`` steps).
    init_state
        An ``SVIState`` (``result.state``) to continue from; the optimiser's moments are kept.
    on_chunk
        Called with an :class:`SVIProgress` after every chunk, on the calling thread.
    should_stop
        Called before every chunk (so also once compilation is done); when it returns
        true the run ends with ``cancelled=True`` and the parameters of the last finished
        chunk (the initial ones if none ran).
    convergence, window
        Early stop on the relative change of the windowed mean loss (module docstring).
    minibatch
        A :class:`Minibatch` (or a dict of its fields) to subsample inside the chunk.
    init_params
        Initial values of guide parameters, as the guide's ``numpyro.param`` sites take
        them (constrained), by parameter name (passed to ``svi.init``; ignored with
        ``init_state``).
    check_sites
        Trace model and guide once and raise when their latent sites differ
        (:func:`check_guide_sites`).
    progress_params
        Hand the current parameters to ``on_chunk``: ``True``, ``False``, or ``None`` (when
        they hold at most 2M numbers).
    on_compiled
        Called once before the first chunk with the seconds spent compiling (0.0 when the
        compiled chunk came from the cache): a live view can leave its "compiling" state.

    Exceptions raised by ``on_chunk``, ``should_stop`` or ``on_compiled`` propagate.
    """
    import jax
    import jax.numpy as jnp

    if not callable(model):
        raise FitInputError(
            "model", f"must be callable (a NumPyro model), got {type(model).__name__}"
        )
    if not callable(guide):
        raise FitInputError(
            "guide", f"must be callable (a NumPyro guide), got {type(guide).__name__}"
        )
    steps = check_positive_int("steps", steps)
    chunk = check_positive_int("chunk", chunk)
    window = check_positive_int("window", window)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise FitInputError("seed", f"must be an integer, got {seed!r}")
    if convergence is not None:
        try:
            convergence = float(convergence)
        except (TypeError, ValueError):
            raise FitInputError(
                "convergence", f"must be a number or None, got {convergence!r}"
            ) from None
        if not convergence > 0 or not math.isfinite(convergence):
            raise FitInputError(
                "convergence", f"must be > 0 (or None to disable), got {convergence}"
            )
    for name, fn in (
        ("on_chunk", on_chunk),
        ("should_stop", should_stop),
        ("on_compiled", on_compiled),
    ):
        if fn is not None and not callable(fn):
            raise FitInputError(name, f"must be callable or None, got {type(fn).__name__}")
    if not isinstance(model_args, (tuple, list)):
        raise FitInputError("model_args", f"must be a tuple, got {type(model_args).__name__}")
    if model_kwargs is not None and not isinstance(model_kwargs, Mapping):
        raise FitInputError("model_kwargs", f"must be a dict, got {type(model_kwargs).__name__}")
    model_kwargs = dict(model_kwargs or {})
    minibatch = _as_minibatch(minibatch)
    if minibatch is not None and minibatch.kwarg is not None and minibatch.kwarg in model_kwargs:
        raise FitInputError(
            "model_kwargs",
            f"{minibatch.kwarg!r} is set by the minibatch; leave it out of model_kwargs",
        )
    optimizer = optimizer if optimizer is not None else _defaults()[0]
    loss = loss if loss is not None else _defaults()[1]
    seed = int(seed)

    t0 = time.perf_counter()
    treedef, mask, dynamic, static = _split_args(model_args, model_kwargs)
    dynamic = [jax.numpy.asarray(x) for x in dynamic]
    args, kwargs = _join_args(treedef, mask, dynamic, static)

    if check_sites:
        check_guide_sites(model, guide, *args, **_with_indices(kwargs, minibatch))

    key = _cache_key(
        model, guide, optimizer, loss, chunk, minibatch, treedef, mask, static, dynamic
    )
    with _CACHE_LOCK:
        compiled = _CACHE.get(key) if key is not None else None
        if compiled is not None:
            _CACHE.move_to_end(key)
    traces_before = compiled.traces[0] if compiled is not None else 0
    batch_key = jax.random.fold_in(jax.random.PRNGKey(seed), 0x5EED)
    init_key = jax.random.PRNGKey(seed)

    if init_params is not None:
        init_params = {k: jnp.asarray(v) for k, v in init_params.items()}
    compile_s = 0.0
    if compiled is None:
        tc = time.perf_counter()
        _setup_autoguide(guide, args, _with_indices(kwargs, minibatch))
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
        compile_s = time.perf_counter() - tc
        if key is not None:
            with _CACHE_LOCK:
                _CACHE[key] = compiled
                while len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
    elif init_state is None:
        init_state = compiled.init(init_key, dynamic, init_params)

    state = init_state
    want_params = progress_params
    losses: list[np.ndarray] = []
    done = 0
    converged = cancelled = False
    message = ""
    run_s = 0.0

    if on_compiled is not None:
        on_compiled(compile_s)
    while done < steps:
        if should_stop is not None and should_stop():
            cancelled = True
            message = f"cancelled at step {done} of {steps}"
            break
        n = min(chunk, steps - done)
        tc = time.perf_counter()
        new_state, chunk_losses, finite = compiled.fn(
            state, jnp.asarray(n, jnp.int32), dynamic, batch_key
        )
        chunk_losses = np.asarray(chunk_losses, dtype=np.float64)[:n]
        run_s += time.perf_counter() - tc
        if not np.all(np.isfinite(chunk_losses)) or not bool(finite):
            where = (
                f"non-finite loss at step {done + int(np.argmin(np.isfinite(chunk_losses))) + 1}"
                if not np.all(np.isfinite(chunk_losses))
                else f"non-finite parameters after step {done + n}"
            )
            message = f"stopped: {where}; parameters are those after step {done}"
            break
        state = new_state
        done += n
        losses.append(chunk_losses)
        all_losses = np.concatenate(losses)
        if convergence is not None and _converged(all_losses, window, convergence):
            converged = True
        if on_chunk is not None:
            params = None
            if want_params is None:
                want_params = _n_numbers(state) <= PARAMS_IN_PROGRESS_MAX
            if want_params:
                params = _to_numpy(compiled.get_params(state))
            on_chunk(
                SVIProgress(
                    step=done,
                    total=steps,
                    losses=chunk_losses,
                    elapsed_s=time.perf_counter() - t0,
                    steps_per_s=done / run_s if run_s > 0 else float("nan"),
                    params=params,
                    converged=converged,
                )
            )
        if converged:
            message = f"converged at step {done} (relative change of the {window}-step mean loss < {convergence:g})"
            break
    if not message:
        message = f"finished {done} steps"
    all_losses = np.concatenate(losses) if losses else np.zeros(0)
    return SVIRunResult(
        params=_to_numpy(compiled.get_params(state)),
        losses=all_losses,
        steps=done,
        converged=converged,
        cancelled=cancelled,
        elapsed_s=time.perf_counter() - t0,
        compile_s=compile_s,
        state=state,
        message=message,
        traces=compiled.traces[0] - traces_before,
        total_steps=int(state.optim_state[0]),
    )


@functools.cache
def _defaults():
    """One shared default optimiser and loss, so the compiled-chunk cache hits across runs."""
    import numpyro
    from numpyro.infer import Trace_ELBO

    return numpyro.optim.Adam(DEFAULT_LEARNING_RATE), Trace_ELBO()


def _with_indices(kwargs: dict, minibatch: Minibatch | None) -> dict:
    """``kwargs`` plus a first batch of indices when the minibatch passes them by keyword."""
    if minibatch is None or minibatch.kwarg is None:
        return kwargs
    import jax.numpy as jnp

    return {**kwargs, minibatch.kwarg: jnp.arange(minibatch.size, dtype=jnp.int32)}


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

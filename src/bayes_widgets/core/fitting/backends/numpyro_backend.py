"""NumPyro NUTS, sampled in compiled chunks with live progress from inside the kernel.

    bw.fit(model, backend="numpyro", model_args=(sigma,), model_kwargs={"y": y})

``model`` is a NumPyro model function; ``model_args`` / ``model_kwargs`` are what
it is called with (a ``functools.partial`` works as well). ``sampler_kwargs`` go
to ``numpyro.infer.NUTS`` (``max_tree_depth``, ``dense_mass``, ``init_strategy``,
...), plus ``chain_method``: ``"threads"`` (default) or ``"vectorized"``.

How it samples
    One function is traced and compiled ahead of time (``jit(...).lower(...).compile()``)
    and called again and again, each call a *chunk* of ``n`` NUTS transitions:
    ``n`` and the reporting interval ``every`` are traced arguments, so chunks of any
    length reuse the one executable (``traces`` counts how often it was traced: once).
    Inside, an outer ``fori_loop`` runs blocks of ``every`` transitions (an inner
    ``fori_loop`` over the kernel's ``sample`` step, writing each draw, constrained,
    into buffers) and after each block calls ``jax.debug.callback`` with the block's
    traced scalars, divergences, step size and tree size: the session sees per-chain
    progress and the live trace *while* the chunk runs. Between chunks the host obeys
    cancel and pause, keeping every draw made so far.

    A callback in the loop that runs the NUTS step itself (even one that never fires,
    inside ``lax.cond``) made that loop ~3-4x slower on eight schools; a callback
    in an outer loop over blocks costs only its call (~0.3 ms). The host sizes chunks to
    ~0.25 s and blocks to ~0.1 s from the measured speed of the previous chunk.

Chains
    ``chain_method="threads"``: one Python thread per chain (up to ``cores`` at once),
    each calling the same compiled single-chain function; JAX releases the GIL while
    it runs, so two chains use two cores. ``"vectorized"``: one call advances all
    chains in lock step (``vmap``; every step waits for the longest tree of any chain).
    On eight schools (2 chains, 2 cores) threads sampled ~9x faster and compiled ~2.7x
    faster (1.4 s vs 3.8 s); see ``benchmarks/bench_numpyro_progress.py``.

Models
    Any model NumPyro's own ``MCMC(NUTS(model))`` accepts: improper priors
    (``dist.ImproperUniform``) are inspected and started from ``init_to_uniform`` (or
    the ``init_strategy`` given), never sampled; arguments may be arrays or pytrees of
    them (dicts, tuples, NamedTuples). A plate with ``subsample_size`` is refused,
    naming the plate: NUTS needs the log density of all the data (use SVI).

Arrays in ``model_args`` / ``model_kwargs`` are passed to the compiled function as
arguments, not baked in as constants; other leaves (numbers, strings, None) are
static. A model that needs an array's *values* at trace time (e.g. as a shape) is
compiled with every argument static instead.
"""

from __future__ import annotations

import inspect
import math
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from bayes_widgets.core.fitting.backends.base import Backend, Control, FitConfig
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.core.model_info import expand_trace_names, parse_trace_name

CHUNK_S = 0.25
"""Target seconds per compiled chunk: cancel and pause act between chunks."""
REPORT_S = 0.1
"""Target seconds between in-kernel progress callbacks."""
FIRST_CHUNK = 8
"""Transitions in the first chunk (early warmup can be slow: deep trees)."""
MAX_GROWTH = 4.0
BUFFER_BYTES = 32 * 2**20
"""Memory for one chunk's draws; bounds the chunk length of large models."""
MAX_CHUNK = 16384
MIN_CAPACITY = 16
CHAIN_METHODS = ("threads", "vectorized")
OWN_OPTIONS = {"chain_method"}
_NOT_OPTIONS = {"self", "model", "potential_fn", "kinetic_fn"}


def import_numpyro():
    try:
        import jax
        import numpyro
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the NumPyro backends need numpyro and jax: pip install 'bayes_widgets[numpyro]'"
        ) from exc
    return jax, numpyro


# -- model arguments ---------------------------------------------------------------


def check_model_args(config: FitConfig) -> None:
    if not isinstance(config.model_args, tuple | list):
        raise FitInputError(
            "model_args", f"must be a tuple, got {type(config.model_args).__name__}"
        )
    if not isinstance(config.model_kwargs, Mapping):
        raise FitInputError(
            "model_kwargs", f"must be a dict, got {type(config.model_kwargs).__name__}"
        )


def check_numpyro_model(model, name: str = "model") -> None:
    if type(model).__module__.split(".")[0] == "pymc":
        raise FitInputError(name, "this is a pymc.Model: use backend='pymc' or 'nutpie' for it")
    if not callable(model):
        raise FitInputError(
            name, f"expected a NumPyro model (a function), got {type(model).__name__}"
        )


def split_args(model_args, model_kwargs):
    """(treedef, mask, dynamic, static): array leaves become arguments of the compiled
    function, other leaves stay Python values."""
    import jax

    leaves, treedef = jax.tree_util.tree_flatten((tuple(model_args), dict(model_kwargs)))
    mask = tuple(isinstance(x, np.ndarray | np.generic | jax.Array) for x in leaves)
    dynamic = [jax.numpy.asarray(x) for x, d in zip(leaves, mask, strict=True) if d]
    static = tuple(x for x, d in zip(leaves, mask, strict=True) if not d)
    return treedef, mask, dynamic, static


def join_args(treedef, mask, dynamic, static):
    import jax

    dyn, sta = iter(dynamic), iter(static)
    args, kwargs = jax.tree_util.tree_unflatten(
        treedef, [next(dyn) if d else next(sta) for d in mask]
    )
    return args, kwargs


# -- what the model contains -------------------------------------------------------


@dataclass
class ModelInfo:
    """Sites of a NumPyro model, from one run of it with a fixed seed."""

    latent: dict[str, tuple[int, ...]]
    deterministic: dict[str, tuple[int, ...]]
    observed: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Dimension names per site (plate names where a plate covers the axis)."""
    improper: tuple[str, ...] = ()
    """Latent sites whose distribution cannot be sampled (``dist.ImproperUniform``)."""
    subsampled: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Plates with ``subsample_size`` below their size: ``{plate: (size, subsample_size)}``."""

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {**self.latent, **self.deterministic}


def inspect_model(
    model,
    model_args=(),
    model_kwargs=None,
    *,
    field_name: str = "model",
    init_strategy=None,
) -> ModelInfo:
    """Runs ``model`` once (seeded) and records its latent, deterministic and observed sites.

    Latent values come from ``init_strategy`` (default ``init_to_uniform``, as NumPyro's
    NUTS starts), not from the priors, so a model with an improper prior such as
    ``dist.ImproperUniform``, which cannot be sampled, is inspected as NumPyro's own
    ``MCMC`` would initialise it."""
    import_numpyro()
    from numpyro import handlers
    from numpyro.infer import init_to_uniform

    strategy = init_strategy if init_strategy is not None else init_to_uniform
    try:
        seeded = handlers.substitute(handlers.seed(model, rng_seed=0), substitute_fn=strategy)
        trace = handlers.trace(seeded).get_trace(*model_args, **dict(model_kwargs or {}))
    except Exception as exc:
        raise FitInputError(
            field_name,
            f"calling the model with model_args/model_kwargs failed: {type(exc).__name__}: {exc}",
        ) from exc
    latent, deterministic, observed, frames, improper, subsampled = {}, {}, {}, {}, [], {}
    for name, site in trace.items():
        if site["type"] == "plate":
            size, sub = ((*tuple(site.get("args", ())), None, None))[:2]
            if sub is not None and size is not None and int(sub) < int(size):
                subsampled[name] = (int(size), int(sub))
            continue
        if site["type"] == "sample":
            if site.get("is_observed", False):
                observed[name] = np.asarray(site["value"])
            elif not site.get("infer", {}).get("is_auxiliary", False):
                latent[name] = tuple(np.shape(site["value"]))
                if not _can_sample(site):
                    improper.append(name)
            else:
                continue
        elif site["type"] == "deterministic":
            deterministic[name] = tuple(np.shape(site["value"]))
        else:
            continue
        fn = site.get("fn")
        event_dim = int(getattr(fn, "event_dim", 0) or 0) if fn is not None else 0
        frames[name] = (
            event_dim,
            [(f.name, f.dim, f.size) for f in site.get("cond_indep_stack", ())],
        )
    if not latent:
        raise FitInputError(field_name, "has no latent sample sites to infer")
    names = set(latent) | set(deterministic) | set(observed)
    dims = {}
    for name, shape in {
        **latent,
        **deterministic,
        **{k: v.shape for k, v in observed.items()},
    }.items():
        event_dim, plates = frames[name]
        dims[name] = _site_dims(name, shape, event_dim, plates, names)
    return ModelInfo(
        latent=latent,
        deterministic=deterministic,
        observed=observed,
        dims=dims,
        improper=tuple(improper),
        subsampled=subsampled,
    )


def _can_sample(site) -> bool:
    """Whether the site's distribution can draw a value (an improper one raises
    ``NotImplementedError``); traced abstractly, nothing is computed."""
    import jax

    fn = site["fn"]
    shape = tuple((site.get("kwargs") or {}).get("sample_shape") or ())
    try:
        jax.eval_shape(lambda key: fn.sample(key, shape), jax.random.PRNGKey(0))
    except NotImplementedError:
        return False
    except Exception:
        return True
    return True


def refuse_subsampling(info: ModelInfo, method: str = "NUTS") -> None:
    """Subsampled plates make every gradient a noisy estimate: MCMC needs the full data."""
    if info.subsampled:
        plate, (size, sub) = next(iter(info.subsampled.items()))
        raise FitInputError(
            "model",
            f"plate {plate!r} subsamples {sub} of {size} rows (subsample_size={sub}), which {method} "
            "cannot use: it needs the log density of all the data. Fit it with SVI "
            "(backend='numpyro-svi'), or remove subsample_size for MCMC",
        )


def _site_dims(name, shape, event_dim, plates, site_names) -> tuple[str, ...]:
    dims = [f"{name}_dim_{i}" for i in range(len(shape))]
    batch_ndim = len(shape) - event_dim
    for plate, dim, size in plates:
        if dim is None:
            continue
        axis = batch_ndim + dim
        if 0 <= axis < len(shape) and shape[axis] == size:
            dims[axis] = plate if plate not in site_names else f"{plate}_dim"
    return tuple(dims)


def resolve_numpyro_trace_names(info: ModelInfo, var_names) -> tuple[str, ...]:
    """Like :func:`bayes_widgets.core.model_info.resolve_trace_names`, for NumPyro sites."""
    return expand_trace_names(
        var_names,
        info.shapes,
        list(info.latent),
        "a latent or deterministic site",
        whole_vectors=True,
    )


def traced_columns(trace_names, shapes) -> list[tuple[str, int]]:
    """(site, flat index) of each traced scalar."""
    cols = []
    for name in trace_names:
        base, index = parse_trace_name(name)
        shape = shapes[base]
        cols.append((base, int(np.ravel_multi_index(index, shape)) if index is not None else 0))
    return cols


# -- sampler options ---------------------------------------------------------------


def nuts_options(config: FitConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """Splits ``sampler_kwargs`` into NUTS arguments and this backend's own options;
    an unknown name raises ``FitInputError('sampler_kwargs', ...)``."""
    from numpyro.infer import NUTS

    allowed = set(inspect.signature(NUTS.__init__).parameters) - _NOT_OPTIONS
    nuts, own = {}, {}
    for key, value in config.sampler_options().items():
        if key == "target_accept":
            nuts["target_accept_prob"] = value
        elif key in OWN_OPTIONS:
            own[key] = value
        elif key in allowed:
            nuts[key] = value
        else:
            raise FitInputError(
                "sampler_kwargs",
                f"unknown NumPyro NUTS option {key!r}; choose from "
                f"{', '.join(sorted(allowed | OWN_OPTIONS))}",
            )
    method = own.setdefault("chain_method", "threads")
    if method not in CHAIN_METHODS:
        raise FitInputError(
            "sampler_kwargs",
            f"chain_method must be one of {', '.join(CHAIN_METHODS)}, got {method!r}",
        )
    return nuts, own


# -- the backend -------------------------------------------------------------------

_STATS = ("diverging", "num_steps", "accept_prob", "potential_energy", "energy", "step_size")


@dataclass
class _ChainLog:
    """Host-side record of one chain: chunks of draws and what was reported."""

    chunks: list = field(default_factory=list)
    delivered: int = 0
    """Draws whose traced values reached the session's state."""
    divergences: int = 0
    divergences_tuning: int = 0
    t0: float | None = None
    paused_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class NumPyroBackend(Backend):
    """NumPyro's NUTS with live per-chain progress; see the module docstring."""

    name: ClassVar[str] = "numpyro"
    supports_pause: ClassVar[bool] = True

    live: bool = True
    """False (benchmarks only): no in-kernel callbacks, to measure what live progress costs."""
    single_chunk: bool = False
    """True (benchmarks only): the whole run in one call per chain (no cancel, no pause)."""

    def __init__(self, model, config: FitConfig, var_names=None, *, allow_missing: bool = False):
        self.traces = [0]
        """How many times the chunk function was traced (1 per fit: compiled once)."""
        self.chunks_run = 0
        self.compile_s = 0.0
        super().__init__(model, config, var_names, allow_missing=allow_missing)

    # -- checks --------------------------------------------------------------------
    def check_model(self, *, allow_missing: bool) -> None:
        check_numpyro_model(self.model)
        check_model_args(self.config)
        import_numpyro()
        self.nuts_kwargs, self.own_options = nuts_options(self.config)
        self.info = inspect_model(
            self.model,
            self.config.model_args,
            self.config.model_kwargs,
            init_strategy=self.nuts_kwargs.get("init_strategy"),
        )
        refuse_subsampling(self.info)

    def resolve_trace_names(self, var_names) -> tuple[str, ...]:
        return resolve_numpyro_trace_names(self.info, var_names)

    @property
    def chain_method(self) -> str:
        return self.own_options["chain_method"]

    # -- compile -------------------------------------------------------------------
    def prepare(self, control: Control) -> None:
        import jax
        from numpyro.infer import NUTS

        cfg = self.config
        seed = cfg.seed if cfg.seed is not None else int(np.random.default_rng().integers(2**31))
        keys = jax.random.split(jax.random.PRNGKey(seed), cfg.chains)
        self._max_depth = self.nuts_kwargs.get("max_tree_depth", 10)
        t0 = time.perf_counter()
        for all_static in (False, True):
            kernel = NUTS(self.model, **self.nuts_kwargs)
            if all_static:
                treedef, mask, dynamic, static = split_args((), {})
                fixed = (tuple(cfg.model_args), dict(cfg.model_kwargs))
            else:
                treedef, mask, dynamic, static = split_args(cfg.model_args, cfg.model_kwargs)
                fixed = None
            args, kwargs = fixed or join_args(treedef, mask, dynamic, static)
            if self.chain_method == "vectorized":
                states = [kernel.init(keys, cfg.tune, model_args=args, model_kwargs=kwargs)]
            else:
                states = [
                    kernel.init(keys[c], cfg.tune, model_args=args, model_kwargs=kwargs)
                    for c in range(cfg.chains)
                ]
            if control.cancelled:
                return
            fn = self._chunk_function(kernel, treedef, mask, static, fixed)
            example = (states[0], self._chain_arg(0), _i32(0), _i32(1), _i32(1), dynamic)
            try:
                self._compiled = jax.jit(fn).lower(*example).compile()
                break
            except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
                if all_static:
                    raise
                # the model needs the values of an array argument at trace time
                self.traces[0] = 0
        self._states = states
        self._dynamic = dynamic
        self.compile_s = time.perf_counter() - t0

    def _chain_arg(self, chain: int):
        if self.chain_method == "vectorized":
            return np.arange(self.config.chains, dtype=np.int32)
        return _i32(chain)

    def _chunk_function(self, kernel, treedef, mask, static, fixed):
        import jax
        import jax.numpy as jnp
        from jax import lax

        vectorized = self.chain_method == "vectorized"
        columns = traced_columns(self.trace_names, self.info.shapes)
        shapes = self.info.shapes
        chains = self.config.chains
        report = self._report
        traces = self.traces
        dtype_bytes = 8 if jax.config.jax_enable_x64 else 4
        per_draw = dtype_bytes * (
            sum(math.prod(s) for s in shapes.values()) + len(columns) + len(_STATS) + 2
        )
        per_draw *= chains if vectorized else 1
        self.capacity = cap = int(
            min(MAX_CHUNK, max(MIN_CAPACITY, BUFFER_BYTES // max(per_draw, 1)))
        )
        if self.single_chunk:
            self.capacity = cap = self.config.tune + self.config.draws
        live = self.live

        def chunk(state, chain, offset, n, every, dynamic):
            traces[0] += 1  # Python side effect: runs only while tracing
            args, kwargs = fixed or join_args(treedef, mask, dynamic, static)
            constrain = kernel.postprocess_fn(args, kwargs)
            if vectorized:
                constrain = jax.vmap(constrain)

            def traced(z):
                if not columns:
                    lead = (chains,) if vectorized else ()
                    return jnp.zeros((*lead, 0), jnp.float32)
                cols = []
                for base, flat in columns:
                    v = jnp.asarray(z[base])
                    v = v.reshape((chains, -1) if vectorized else (-1,))[..., flat]
                    cols.append(v.astype(jnp.float32))
                return jnp.stack(cols, axis=-1)

            def stats(st):
                return {
                    "diverging": st.diverging,
                    "num_steps": st.num_steps,
                    "accept_prob": st.accept_prob,
                    "potential_energy": st.potential_energy,
                    "energy": st.energy,
                    "step_size": st.adapt_state.step_size,
                }

            z0 = constrain(state.z)
            rows = {"z": z0, "stats": stats(state), "traced": traced(z0)}
            buffers = jax.tree.map(
                lambda x: jnp.zeros((cap, *jnp.shape(x)), jnp.result_type(x)), rows
            )

            def step(j, carry):
                st, buf = carry
                st = kernel.sample(st, args, kwargs)
                z = constrain(st.z)
                row = {"z": z, "stats": stats(st), "traced": traced(z)}
                buf = jax.tree.map(lambda b, v: b.at[j].set(v), buf, row)
                return st, buf

            def block(b, carry):
                lo = b * every
                hi = jnp.minimum(lo + every, n)
                st, buf = lax.fori_loop(lo, hi, step, carry)
                if live:
                    jax.debug.callback(
                        report,
                        chain,
                        offset,
                        hi,
                        buf["traced"],
                        buf["stats"]["diverging"],
                        st.adapt_state.step_size,
                        st.num_steps,
                    )
                return st, buf

            n_blocks = (n + every - 1) // every
            return lax.fori_loop(0, n_blocks, block, (state, buffers))

        return chunk

    # -- sample --------------------------------------------------------------------
    def run(self, control: Control):
        cfg = self.config
        self._control = control
        self._logs = [_ChainLog() for _ in range(cfg.chains)]
        self._error: BaseException | None = None
        if self.chain_method == "vectorized":
            self._run_chains(control, list(range(cfg.chains)), self._states[0])
        else:
            workers = max(1, min(cfg.cores, cfg.chains))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bw-numpyro") as pool:
                futures = [
                    pool.submit(self._run_chains, control, [c], self._states[c])
                    for c in range(cfg.chains)
                ]
                errors = [f.exception() for f in futures]
            first = next((e for e in errors if e is not None), None)
            if first is not None:
                raise first
        if self._error is not None:
            raise self._error
        return self._to_datatree()

    def _run_chains(self, control: Control, chains: list[int], state) -> None:
        """The host loop of one chain (threads) or of all chains (vectorized)."""
        import jax

        cfg = self.config
        total = cfg.tune + cfg.draws
        chain_arg = self._chain_arg(chains[0])
        logs = [self._logs[c] for c in chains]
        now = time.perf_counter()
        for log in logs:
            log.t0 = now
        done, n, rate = 0, min(total if self.single_chunk else FIRST_CHUNK, self.capacity), None
        while done < total:
            if control.cancelled or self._error is not None:
                break
            if control.pause_requested.is_set():
                t_pause = time.perf_counter()
                control.state.set_paused(True)
                while control.pause_requested.is_set() and not control.cancelled:
                    time.sleep(0.02)
                control.state.set_paused(False)
                for log in logs:
                    log.paused_s += time.perf_counter() - t_pause
                continue
            m = min(n, total - done, self.capacity)
            every = max(1, min(m, round(rate * REPORT_S))) if rate else max(1, m // 2)
            t = time.perf_counter()
            state, buffers = self._compiled(
                state, chain_arg, _i32(done), _i32(m), _i32(every), self._dynamic
            )
            host = jax.device_get(buffers)
            dt = max(time.perf_counter() - t, 1e-6)
            self.chunks_run += 1
            rows = jax.tree.map(lambda x, m=m: x[:m], host)
            for i, c in enumerate(chains):
                mine = (
                    rows
                    if len(chains) == 1 and self.chain_method != "vectorized"
                    else jax.tree.map(lambda x, i=i: x[:, i], rows)
                )
                self._logs[c].chunks.append(mine)
                # whatever the callbacks did not deliver (normally nothing)
                self._deliver(
                    c,
                    done,
                    m,
                    mine["traced"],
                    mine["stats"]["diverging"],
                    float(mine["stats"]["step_size"][-1]),
                    int(mine["stats"]["num_steps"][-1]),
                )
            done += m
            rate = m / dt
            n = int(min(self.capacity, max(1, m * MAX_GROWTH), max(1, rate * CHUNK_S)))

    def _report(self, chain, offset, hi, traced, diverging, step_size, num_steps) -> None:
        """The in-kernel callback (runs on the host while a chunk is computing)."""
        try:
            chain = np.atleast_1d(np.asarray(chain))
            offset, hi = int(offset), int(hi)
            traced = np.asarray(traced)
            diverging = np.asarray(diverging)
            step_size = np.atleast_1d(np.asarray(step_size))
            num_steps = np.atleast_1d(np.asarray(num_steps))
            if self.chain_method != "vectorized":
                traced, diverging = traced[:, None], diverging[:, None]
            for i, c in enumerate(chain):
                self._deliver(
                    int(c),
                    offset,
                    hi,
                    traced[:, i],
                    diverging[:, i],
                    float(step_size[i]),
                    int(num_steps[i]),
                )
        except Exception as exc:
            traceback.print_exc()
            self._error = exc

    def _deliver(self, chain, offset, hi, traced, diverging, step_size, num_steps) -> None:
        """Hands rows ``[delivered - offset, hi)`` of a chunk to the session's state."""
        log = self._logs[chain]
        state = self._control.state
        tune = self.config.tune
        with log.lock:
            start = max(log.delivered - offset, 0)
            if hi <= start:
                return
            index = offset + np.arange(start, hi)
            tuning = index < tune
            div = np.asarray(diverging[start:hi], dtype=bool)
            state.append_trace(chain, np.asarray(traced[start:hi], dtype=float), tuning, div)
            log.divergences_tuning += int(div[tuning].sum())
            log.divergences += int(div[~tuning].sum())
            log.delivered = offset + hi
            runtime = time.perf_counter() - log.t0 - log.paused_s if log.t0 is not None else None
            state.record_progress(
                chain,
                draws_done=log.delivered,
                tuning=log.delivered < tune,
                divergences=log.divergences,
                divergences_tuning=log.divergences_tuning,
                step_size=step_size,
                n_steps=num_steps,
                tree_depth=_tree_depth(num_steps),
                runtime_s=runtime,
            )

    # -- result ----------------------------------------------------------------------
    def _to_datatree(self):
        import xarray as xr

        tune = self.config.tune
        per_chain = []
        for log in self._logs:
            if log.chunks:
                z = {
                    k: np.concatenate([ch["z"][k] for ch in log.chunks]) for k in log.chunks[0]["z"]
                }
                st = {k: np.concatenate([ch["stats"][k] for ch in log.chunks]) for k in _STATS}
            else:
                z, st = {}, {}
            per_chain.append((z, st))
        lengths = [len(st["step_size"]) if st else 0 for _, st in per_chain]
        if max(lengths, default=0) == 0:
            return None
        children = {}
        for draws_group, stats_group, lo, hi in (
            ("warmup_posterior", "warmup_sample_stats", 0, tune),
            ("posterior", "sample_stats", tune, None),
        ):
            counts = [len(range(*slice(lo, hi).indices(n))) for n in lengths]
            if max(counts) == 0:
                continue
            post = {}
            for name in self.info.shapes:
                parts = [z[name][lo:hi] if z else None for z, _ in per_chain]
                post[name] = (
                    ("chain", "draw", *self.info.dims[name]),
                    _stack(parts, counts, self.info.shapes[name]),
                )
            stats = {}
            for key in _STATS:
                parts = [st[key][lo:hi] if st else None for _, st in per_chain]
                stats[key] = _stack(parts, counts, ())
            children[draws_group] = xr.DataTree(_dataset(post, counts))
            children[stats_group] = xr.DataTree(_dataset(self._sample_stats(stats, lo), counts))
        if self.info.observed:
            observed = {name: (self.info.dims[name], v) for name, v in self.info.observed.items()}
            children["observed_data"] = xr.DataTree(xr.Dataset(observed))
        return xr.DataTree(children=children)

    def _sample_stats(self, stats: dict, lo: int) -> dict:
        """ArviZ's names for NumPyro's statistics (as ``arviz.from_numpyro``)."""
        num_steps = stats["num_steps"]
        with np.errstate(all="ignore"):
            depth = np.floor(np.log2(np.maximum(np.asarray(num_steps, dtype=float), 1.0))) + 1
        if num_steps.dtype.kind in "iu":
            depth = depth.astype(int)
        max_depth = self._max_depth
        if isinstance(max_depth, tuple):  # (warmup, sampling)
            max_depth = max_depth[0] if lo == 0 else max_depth[1]
        out = {
            "diverging": stats["diverging"],
            "n_steps": num_steps,
            "tree_depth": depth,
            "reached_max_tree_depth": depth >= max_depth,
            "acceptance_rate": stats["accept_prob"],
            "lp": -stats["potential_energy"],
            "energy": stats["energy"],
            "step_size": stats["step_size"],
        }
        return {k: (("chain", "draw"), v) for k, v in out.items()}


def _tree_depth(num_steps: int) -> int:
    return math.floor(math.log2(num_steps)) + 1 if num_steps > 0 else 0


def _i32(x: int):
    return np.asarray(x, dtype=np.int32)


def _stack(parts: Sequence[np.ndarray | None], counts: Sequence[int], shape: tuple) -> np.ndarray:
    """(chain, draw, *shape): chains of different lengths are padded with NaN."""
    n = max(counts)
    if all(c == n for c in counts) and all(p is not None for p in parts):
        return np.stack(parts)
    out = np.full((len(parts), n, *shape), np.nan)
    for i, (p, c) in enumerate(zip(parts, counts, strict=True)):
        if p is not None and c:
            out[i, :c] = p
    return out


def _dataset(variables: dict, counts: Sequence[int]):
    import xarray as xr

    n = max(counts)
    return xr.Dataset(
        variables,
        coords={"chain": np.arange(len(counts)), "draw": np.arange(n)},
        attrs={"inference_library": "numpyro", "sampler": "NUTS (bayes_widgets chunks)"},
    )

"""What both NumPyro backends (NUTS and SVI) share: the import, checks of the model and
its arguments, splitting arguments into traced arrays and static values, and one seeded
run of the model that records its sites.

    info = inspect_model(model, (x,), {"y": y})
    info.latent            # {"mu": (), "theta": (8,)}
    treedef, mask, dynamic, static = split_args((x,), {"y": y})
    args, kwargs = join_args(treedef, mask, dynamic, static)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from bayes_widgets.core.fitting.backends.base import FitConfig
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.core.model_info import expand_trace_names, parse_trace_name


def import_numpyro():
    """jax and numpyro, or an ImportError naming the extra to install."""
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


def is_array(leaf) -> bool:
    """An array leaf (NumPy or JAX): passed to compiled functions as an argument."""
    import jax

    return isinstance(leaf, np.ndarray | np.generic | jax.Array)


def split_args(model_args, model_kwargs):
    """(treedef, mask, dynamic, static): array leaves (as JAX arrays) become arguments of
    the compiled function, other leaves (numbers, strings, None) stay Python values."""
    import jax

    leaves, treedef = jax.tree_util.tree_flatten((tuple(model_args), dict(model_kwargs or {})))
    mask = tuple(is_array(x) for x in leaves)
    dynamic = [jax.numpy.asarray(x) for x, d in zip(leaves, mask, strict=True) if d]
    static = tuple(x for x, d in zip(leaves, mask, strict=True) if not d)
    return treedef, mask, dynamic, static


def join_args(treedef, mask, dynamic, static):
    """``(args, kwargs)`` again from the parts :func:`split_args` made."""
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


def _is_factor(site: dict) -> bool:
    """True for the sample site ``numpyro.factor`` makes (a ``Unit`` distribution)."""
    fn = site.get("fn")
    while fn is not None and type(fn).__name__ != "Unit":
        fn = getattr(fn, "base_dist", None)
    return fn is not None


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
                if _is_factor(site):  # numpyro.factor: a log-density term, no data
                    continue
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

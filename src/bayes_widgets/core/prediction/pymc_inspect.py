"""What a PyMC model offers to predictions: its row dim, inputs and predicted variables.

    clone = clone_model(model)
    dims = {k: tuple(v or ()) for k, v in clone.named_vars_to_dims.items()}
    row_dim = find_row_dim(clone, dims, containers, observed_data, None)   # e.g. "obs"
    targets = find_targets(model, clone, dims, row_dim, None)             # mu, y, ...

Used by :class:`~bayes_widgets.core.prediction.pymc_models.ModelPredictor`; each
function reads the model and raises :class:`PredictionInputError` naming what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.prediction.errors import PredictionInputError
from bayes_widgets.core.prediction.rows import Input, Target


def observed_containers(clone: Any, containers: dict[str, Any]) -> set[str]:
    """The containers holding the observed values (``y_obs``)."""
    from pytensor.graph.traversal import ancestors

    values = [clone.rvs_to_values[rv] for rv in clone.observed_RVs]
    return {v.name for v in ancestors(values) if v.name in containers and v in containers.values()}


def find_row_dim(
    clone: Any,
    dims: Mapping[str, tuple[str, ...]],
    containers: dict[str, Any],
    observed_data: set[str],
    row_dim: str | None,
) -> str:
    """The dim along which rows go: ``row_dim`` if given (checked), else the one dim
    shared by the observed variables and the input containers."""
    known = set(clone.coords) | {d for ds in dims.values() for d in ds}
    if row_dim is not None:
        if row_dim not in known:
            raise PredictionInputError(
                "row_dim", f"the model has no dim {row_dim!r}; its dims are {sorted(known)}"
            )
        return row_dim
    shared: set[str] | None = None
    for rv in clone.observed_RVs:
        rv_dims = set(dims.get(rv.name, ()))
        if not rv_dims:  # dims of the observed data's container, if it has them
            value = clone.rvs_to_values[rv]
            rv_dims = set(dims.get(getattr(value, "name", None) or "", ()))
        shared = rv_dims if shared is None else shared & rv_dims
    input_dims = {d for n in containers if n not in observed_data for d in dims.get(n, ())}
    candidates = sorted((shared or set()) & input_dims)
    if len(candidates) == 1:
        return candidates[0]
    observed = [rv.name for rv in clone.observed_RVs]
    if not candidates:
        raise PredictionInputError(
            "row_dim",
            f"no dim is shared by the observed variable(s) {observed} and the input "
            "containers: give both the row dim (e.g. dims='obs' on the likelihood and "
            "pm.Data(..., dims='obs')) or pass row_dim=",
        )
    raise PredictionInputError(
        "row_dim",
        f"the observed variables and inputs share the dims {candidates}; pass row_dim=",
    )


def container_inputs(clone: Any, name: str, cdims: tuple[str, ...], row_dim: str) -> list[Input]:
    """The columns a container on the row dim takes: its name for a vector, one per
    coordinate of its other dim for a matrix."""
    if len(cdims) == 1:
        return [Input(name, name)]
    if len(cdims) == 2:
        other = cdims[1] if cdims[0] == row_dim else cdims[0]
        size = clone[name].get_value().shape[cdims.index(other)]
        labels = clone.coords.get(other)
        if labels is not None and len(labels) == size:
            return [Input(str(lab), name, k) for k, lab in enumerate(labels)]
        return [Input(f"{name}[{k}]", name, k) for k in range(size)]
    raise PredictionInputError(
        name,
        f"the container has dims {cdims}; new rows can fill vectors and matrices on the "
        f"row dim {row_dim!r} only",
    )


def find_targets(
    model: Any,
    clone: Any,
    dims: Mapping[str, tuple[str, ...]],
    row_dim: str,
    var_names: Sequence[str] | str | None,
) -> list[Target]:
    """The deterministic and observed variables on the row dim (``var_names`` of them)."""
    candidates = [
        *[(v.name, "deterministic") for v in model.deterministics],
        *[(v.name, "observed") for v in model.observed_RVs],
    ]
    on_rows = [(n, k) for n, k in candidates if row_dim in dims.get(n, ())]
    if var_names is not None:
        if isinstance(var_names, str):
            var_names = [var_names]
        allowed = dict(on_rows)
        bad = [n for n in var_names if n not in allowed]
        if bad:
            raise PredictionInputError(
                "var_names",
                f"{bad} are not deterministic or observed variables on the row dim "
                f"{row_dim!r}; those are {list(allowed)}",
            )
        on_rows = [(n, allowed[n]) for n in dict.fromkeys(var_names)]
    if not on_rows:
        raise PredictionInputError(
            "model",
            f"has no deterministic or observed variable with the row dim {row_dim!r} "
            "(give them dims=..., e.g. pm.Deterministic('mu', ..., dims='obs'))",
        )
    targets = []
    for name, kind in on_rows:
        others = [d for d in dims[name] if d != row_dim]
        labels: list[str] = []
        if others:
            shapes = [
                len(clone.coords[d]) if clone.coords.get(d) is not None else None for d in others
            ]
            if None in shapes:
                raise PredictionInputError(
                    "var_names",
                    f"{name!r} has dims {others} without coordinates; give them coords",
                )
            grids = np.meshgrid(*[[str(c) for c in clone.coords[d]] for d in others], indexing="ij")
            labels = [",".join(parts) for parts in zip(*[g.ravel() for g in grids], strict=True)]
        targets.append(Target(name, kind, tuple(labels)))
    return targets


def find_index_bounds(
    clone: Any,
    dims: Mapping[str, tuple[str, ...]],
    targets: Sequence[Target],
    containers: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[int, str]]:
    """Integer inputs that index a variable along a named dim (``a[group_idx]``): new
    values must be indices of that dim (compiled indexing does not check bounds)."""
    from pytensor.graph.traversal import ancestors, applys_between
    from pytensor.tensor.subtensor import AdvancedSubtensor

    outputs = [clone[t.name] for t in targets]
    integer = {n: clone[n] for n in containers if clone[n].type.dtype.startswith(("int", "uint"))}
    bounds: dict[str, tuple[int, str]] = {}
    if not integer:
        return bounds
    for node in applys_between(list(clone.free_RVs) + list(clone.data_vars), outputs):
        if not isinstance(node.op, AdvancedSubtensor):
            continue
        indexed = node.inputs[0]
        for axis, entry in enumerate(node.op.idx_list):
            if not isinstance(entry, int):
                continue
            index = node.inputs[1 + entry]
            for name, shared in integer.items():
                if shared not in ancestors([index]):
                    continue
                named = dims.get(getattr(indexed, "name", None) or "", ())
                size, what = indexed.type.shape[axis], f"{indexed.name or 'a variable'}"
                if axis < len(named) and clone.coords.get(named[axis]) is not None:
                    labels = list(map(str, clone.coords[named[axis]]))
                    size = len(labels)
                    what = f"{indexed.name}'s dim {named[axis]!r} ({', '.join(labels[:8])}"
                    what += ", ...)" if len(labels) > 8 else ")"
                if size is not None and (name not in bounds or size < bounds[name][0]):
                    bounds[name] = (int(size), what)
    return bounds


__all__ = [
    "container_inputs",
    "find_index_bounds",
    "find_row_dim",
    "find_targets",
    "observed_containers",
]

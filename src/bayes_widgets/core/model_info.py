"""What a PyMC model is made of: its variables as rows, and the scalars the live views trace.

    model_rows(model)   # [{"name": "mu", "kind": "free", "distribution": "Normal", ...}, ...]
    resolve_trace_names(model, ["beta"])   # ("beta[0]", "beta[1]")

Each row of :func:`model_rows` gives a variable's name, its kind (free, observed,
deterministic or data), its distribution as the user wrote it, its dims and shape, and
the variables it depends on.

A traced name is either a scalar variable (``mu``) or one element of an array
variable (``theta[2]``; ``beta[1, 0]``); it is shown with the model's coordinate labels
(``beta[price]``), and ``var_names`` accepts either form. By default a PyMC fit traces
the free variables in the model's order, each scalar and every element of a vector
that fits within ``MAX_DEFAULT_TRACES`` traces, topped up with the first elements of
larger arrays.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.validation import FitInputError

MAX_DEFAULT = 4
"""Default traces of :func:`expand_trace_names` without ``whole_vectors``."""
MAX_DEFAULT_TRACES = 8
"""Default traces of a PyMC fit (whole small vectors: a 3-vector ``beta`` gets all three)."""
_DRAW = "__draw__"
MAX_TRACED = 16
_ELEMENT = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>[\d,\s]+)\]$")
_LABELLED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<labels>[^\[\]]+)\]$")


_SHAPES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shape_signature(model) -> tuple:
    """Changes when variables are added or a dimension is resized (pm.set_data)."""
    dims = []
    for name, length in model.dim_lengths.items():
        value = (
            length.get_value() if hasattr(length, "get_value") else getattr(length, "data", None)
        )
        dims.append((name, None if value is None else int(value)))
    return tuple(v.name for v in (*model.free_RVs, *model.deterministics)), tuple(dims)


def variable_shapes(model) -> dict[str, tuple[int, ...]]:
    """Shapes of the free variables and deterministics (cached per model and signature)."""
    signature = _shape_signature(model)
    hit = _SHAPES.get(model)
    if hit is not None and hit[0] == signature:
        return dict(hit[1])
    shapes = _variable_shapes(model)
    _SHAPES[model] = (signature, shapes)
    return dict(shapes)


def _variable_shapes(model) -> dict[str, tuple[int, ...]]:
    """Shapes of the free variables and deterministics, in the model's order.

    Evaluated at the initial point as functions of the value variables, so nothing
    is drawn at random (a ``Flat`` prior has no random generator).
    """
    import pytensor

    variables = [*model.free_RVs, *model.deterministics]
    static = [v.type.shape for v in variables]
    if all(None not in shape for shape in static):  # known without evaluating anything
        return {
            v.name: tuple(int(n) for n in shape) for v, shape in zip(variables, static, strict=True)
        }
    outs = model.replace_rvs_by_values(variables)
    fn = pytensor.function(model.value_vars, outs, on_unused_input="ignore", mode="FAST_COMPILE")
    point = model.initial_point()
    values = fn(*[point[v.name] for v in model.value_vars])
    values = values if isinstance(values, list | tuple) else [values]
    return {var.name: tuple(np.shape(v)) for var, v in zip(variables, values, strict=True)}


def _element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    if shape == ():
        return [name]
    return [f"{name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(*shape)]


def parse_trace_name(name: str) -> tuple[str, tuple[int, ...] | None]:
    m = _ELEMENT.match(name.strip())
    if m:
        return m["name"].strip(), tuple(int(i) for i in m["index"].split(","))
    return name.strip(), None


def variable_coords(model) -> dict[str, list[list[str]]]:
    """Per free variable and deterministic: the coordinate labels of each of its dims
    (from ``pm.Model(coords=...)`` and ``dims=``); empty for a variable without dims."""
    out: dict[str, list[list[str]]] = {}
    dims_of = getattr(model, "named_vars_to_dims", {}) or {}
    coords = getattr(model, "coords", {}) or {}
    for v in (*model.free_RVs, *model.deterministics):
        dims = dims_of.get(v.name) or ()
        labels = []
        for d in dims:
            values = coords.get(d) if d is not None else None
            labels.append([str(x) for x in values] if values is not None else None)
        if labels:
            out[v.name] = labels
    return out


def label_of(name: str, coords: dict[str, list] | None) -> str:
    """``beta[1]`` → ``beta[price]`` with the variable's coordinate labels (where a dim has
    them and the index is in range; positions otherwise)."""
    base, index = parse_trace_name(name)
    labels = (coords or {}).get(base)
    if index is None or not labels or len(labels) != len(index):
        return name
    parts = []
    for i, dim_labels in zip(index, labels, strict=True):
        parts.append(dim_labels[i] if dim_labels is not None and i < len(dim_labels) else str(i))
    return f"{base}[{', '.join(parts)}]"


def trace_labels(model, trace_names: Sequence[str]) -> tuple[str, ...]:
    """Display labels of traced names of a PyMC model (``beta[price]``)."""
    try:
        coords = variable_coords(model)
    except AttributeError:  # not a PyMC model
        return tuple(trace_names)
    return tuple(label_of(n, coords) for n in trace_names)


def resolve_trace_names(
    model, var_names: Sequence[str] | None, shapes: dict[str, tuple[int, ...]] | None = None
) -> tuple[str, ...]:
    """Expands ``var_names`` into traced scalar names (positions), or picks defaults."""
    shapes = shapes if shapes is not None else variable_shapes(model)
    free = [rv.name for rv in model.free_RVs]
    return expand_trace_names(
        var_names,
        shapes,
        free,
        "a free variable or deterministic",
        coords=variable_coords(model),
        whole_vectors=True,
    )


def default_trace_names(
    shapes: dict[str, tuple[int, ...]], free: Sequence[str], budget: int = MAX_DEFAULT_TRACES
) -> list[str]:
    """Free variables in order: scalars and whole arrays while they fit in ``budget``
    traces; what is left is filled with the first elements of the larger arrays."""
    picked: list[str] = []
    larger = []
    for n in free:
        names = _element_names(n, shapes[n])
        if len(picked) + len(names) <= budget:
            picked.extend(names)
        else:
            larger.append(names)
    for names in larger:
        picked.extend(names[: budget - len(picked)])
    return picked


def _index_of_labels(raw: str, base: str, labels: str, shape, coords) -> tuple[int, ...] | None:
    """``beta[price]`` → ``(1,)`` through the variable's coordinate labels; None if not labels."""
    dim_labels = (coords or {}).get(base)
    parts = [p.strip() for p in labels.split(",")]
    if not dim_labels or len(parts) != len(dim_labels):
        return None
    index = []
    for part, known in zip(parts, dim_labels, strict=True):
        if known is not None and part in known:
            index.append(known.index(part))
        elif part.isdigit():
            index.append(int(part))
        else:
            choices = ", ".join(known) if known else "positions"
            raise FitInputError(
                "var_names", f"{raw!r}: {part!r} is not a coordinate of {base!r} ({choices})"
            )
    return tuple(index)


def expand_trace_names(
    var_names: Sequence[str] | str | None,
    shapes: dict[str, tuple[int, ...]],
    defaults_from: Sequence[str],
    kind: str,
    *,
    coords: dict[str, list] | None = None,
    whole_vectors: bool = False,
) -> tuple[str, ...]:
    """Traced scalar names for any model: ``shapes`` maps every traceable variable to its
    shape; without ``var_names``, the scalars of ``defaults_from`` (in order) are picked,
    topped up with first elements of its arrays (``whole_vectors``: see
    :func:`default_trace_names`); ``kind`` names what a variable is in errors. ``coords``
    (per variable, labels per dim) lets ``var_names`` name elements by label."""
    if var_names is None:
        if whole_vectors:
            return tuple(default_trace_names(shapes, defaults_from))
        picked = [n for n in defaults_from if shapes[n] == ()][:MAX_DEFAULT]
        for n in defaults_from:
            if len(picked) >= MAX_DEFAULT:
                break
            if shapes[n] != ():
                picked.extend(_element_names(n, shapes[n])[: MAX_DEFAULT - len(picked)])
        return tuple(picked)
    if isinstance(var_names, str):
        var_names = [var_names]
    out: list[str] = []
    for raw in var_names:
        base, index = parse_trace_name(str(raw))
        if index is None and base not in shapes:
            m = _LABELLED.match(str(raw).strip())
            if m and m["name"].strip() in shapes:
                base = m["name"].strip()
                index = _index_of_labels(str(raw), base, m["labels"], shapes[base], coords)
                if index is None:
                    raise FitInputError(
                        "var_names", f"{raw!r}: {base!r} has no coordinate labels to match"
                    )
        if base not in shapes:
            raise FitInputError(
                "var_names",
                f"{raw!r} is not {kind} of the model (choose from {', '.join(shapes)})",
            )
        shape = shapes[base]
        if index is None:
            out.extend(_element_names(base, shape))
        else:
            if len(index) != len(shape) or any(i >= s for i, s in zip(index, shape, strict=False)):
                raise FitInputError(
                    "var_names", f"{raw!r} is out of range: {base!r} has shape {shape}"
                )
            out.append(f"{base}[{', '.join(map(str, index))}]")
    if len(out) > MAX_TRACED:
        raise FitInputError(
            "var_names",
            f"{len(out)} scalars to trace; at most {MAX_TRACED} can be plotted live "
            "(pick elements such as 'theta[0]')",
        )
    return tuple(dict.fromkeys(out))


def extract_traced(dataset, trace_names: Sequence[str]) -> np.ndarray:
    """(chain, draw, k) array of traced scalars from a posterior-like dataset."""
    cols = []
    for name in trace_names:
        base, index = parse_trace_name(name)
        arr = np.asarray(dataset[base].values)
        if index is not None:
            shape = arr.shape[2:]
            flat = arr.reshape(arr.shape[0], arr.shape[1], math.prod(shape))  # draws may be 0
            arr = flat[:, :, np.ravel_multi_index(index, shape)]
        cols.append(arr)
    if not cols:
        return np.empty((0, 0, 0))
    return np.stack(cols, axis=-1)


def point_converter(model, trace_names: Sequence[str]):
    """Returns ``f(points) -> (n, k)``: raw sampler points (value space) to traced scalars.

    The conversion graph is vectorised over draws and compiled once, so a batch of
    hundreds of draws costs one call.
    """
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.replace import vectorize_graph
    from pytensor.graph.traversal import ancestors
    from pytensor.xtensor.type import XTensorType
    from pytensor.xtensor.vectorization import vectorize_graph as vectorize_xgraph

    bases = list(dict.fromkeys(parse_trace_name(n)[0] for n in trace_names))
    outs = model.replace_rvs_by_values([model[b] for b in bases])
    used = set(ancestors(outs))
    value_vars = [v for v in model.value_vars if v in used]
    batched = {
        v: pt.tensor(dtype=v.dtype, shape=(None, *v.type.shape), name=v.name) for v in value_vars
    }
    if any(isinstance(o.type, XTensorType) for o in outs):
        # named-dimension graphs (pymc-marketing): PyTensor's dimension-aware vectoriser,
        # the new leading dimension named, then back to plain arrays, draws first
        import pytensor.xtensor as px

        replace = {
            v: px.as_xtensor(t, dims=(_DRAW, *v.type.dims))
            if isinstance(v.type, XTensorType)
            else t
            for v, t in batched.items()
        }
        plain = any(not isinstance(v.type, XTensorType) for v in batched)
        batched_outs = vectorize_xgraph(
            outs, replace=replace, new_tensor_dims=[_DRAW] if plain else ()
        )
        batched_outs = [
            o.transpose(_DRAW, ...).values if isinstance(o.type, XTensorType) else o
            for o in _as_list(batched_outs)
        ]
    else:
        batched_outs = vectorize_graph(outs, replace=batched)
    fn = pytensor.function(list(batched.values()), batched_outs, on_unused_input="ignore")
    names = [v.name for v in value_vars]
    columns = []
    for name in trace_names:
        base, index = parse_trace_name(name)
        columns.append((bases.index(base), index))

    def convert(points: list) -> np.ndarray:
        inputs = [np.array([p[n] for p in points]) for n in names]
        results = _as_list(fn(*inputs))
        n = len(points)
        out = np.empty((n, len(columns)))
        for j, (b, index) in enumerate(columns):
            r = np.asarray(results[b]).reshape(n, -1)
            if index is None:
                out[:, j] = r[:, 0]
            else:
                shape = np.shape(results[b])[1:]
                out[:, j] = r[:, np.ravel_multi_index(index, shape)]
        return out

    return convert


def _as_list(outputs) -> list:
    """A compiled function's or a graph rewrite's outputs as a list (one output may come
    back bare)."""
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def model_rows(model) -> list[dict[str, Any]]:
    """The card's table: name, kind, distribution, dims, shape, parents."""
    from pymc.model_graph import ModelGraph

    parents = ModelGraph(model).make_compute_graph()
    dims = model.named_vars_to_dims
    shapes = {}
    try:
        shapes = {k: [int(s) for s in v] for k, v in model.eval_rv_shapes().items()}
    except Exception:
        pass
    rows = []

    def add(var, kind: str, distribution: str = "") -> None:
        name = var.name
        shape = shapes.get(name)
        if shape is None:
            try:
                shape = [int(s) for s in var.shape.eval()]
            except Exception:
                shape = None
        rows.append(
            {
                "name": name,
                "kind": kind,
                "distribution": distribution,
                "dims": list(dims.get(name, ()) or ()),
                "shape": shape,
                "parents": sorted(parents.get(name, ())),
            }
        )

    for v in model.free_RVs:
        add(v, "free", distribution_name(v))
    for v in model.observed_RVs:
        add(v, "observed", distribution_name(v))
    for v in model.deterministics:
        add(v, "deterministic")
    for v in getattr(model, "data_vars", []):
        add(v, "data")
    return rows


_OP_NAMES = {"NegBinomial": "NegativeBinomial", "MultivariateNormal": "MvNormal"}
"""Ops whose class name differs from the PyMC distribution a user writes."""


def distribution_name(var) -> str:
    """The distribution's name as the user wrote it (``HalfFlat``, ``StudentT``,
    ``ZeroSumNormal``, ``CustomDist``), read from the class of the variable's op."""
    op = var.owner.op if var.owner is not None else None
    if op is None:
        return ""
    name = type(op).__name__.lstrip("_")
    if name.startswith("CustomDist"):
        return "CustomDist"
    name = name.removesuffix("RV")
    return _OP_NAMES.get(name, name)

"""Scenarios: joint samples of the uncertain quantities, one leading scenario axis.

Every source becomes a :class:`Scenarios` (name -> ndarray of shape ``(S, ...)``):

* a dict of arrays (each with the same first length ``S``),
* a pandas DataFrame (one quantity per column),
* an xarray Dataset or DataTree (group ``predictions`` if present — what
  ``pm.sample_posterior_predictive(..., predictions=True)`` writes for new inputs —, else
  ``posterior_predictive``, else ``posterior``; ``chain`` and ``draw`` are flattened into one scenario axis),
* a :class:`~bayes_widgets.core.fitting.result.FitResult` (its ``idata``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError

SAMPLE_DIMS = ("chain", "draw")


class Scenarios(Mapping[str, np.ndarray]):
    """Read-only mapping name -> array with a common leading scenario axis of length ``n``."""

    def __init__(self, data: Mapping[str, Any], *, field: str = "scenarios"):
        if not isinstance(data, Mapping) or not data:
            raise DecisionInputError(field, "no uncertain quantities given")
        arrays: dict[str, np.ndarray] = {}
        for name, values in data.items():
            arrays[str(name)] = _numeric_array(f"{field}.{name}", values)
        lengths = {name: a.shape[0] for name, a in arrays.items()}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k} has {v}" for k, v in lengths.items())
            raise DecisionInputError(
                field, f"quantities have different numbers of scenarios: {listed}"
            )
        self._arrays = arrays
        self._n = next(iter(lengths.values()))
        if self._n == 0:
            raise DecisionInputError(field, "contains no scenarios")

    @property
    def n(self) -> int:
        """Number of scenarios ``S``."""
        return self._n

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-scenario shape of each quantity (without the scenario axis)."""
        return {k: v.shape[1:] for k, v in self._arrays.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def take(self, index: np.ndarray | Sequence[int] | slice) -> Scenarios:
        """The scenarios at ``index`` (positions along the scenario axis)."""
        return Scenarios({k: v[index] for k, v in self._arrays.items()})

    def mean(self) -> Scenarios:
        """One scenario: each quantity replaced by its mean over scenarios."""
        return Scenarios({k: v.mean(axis=0, keepdims=True) for k, v in self._arrays.items()})

    def split(self, fraction: float, seed: int | None = None) -> tuple[Scenarios, Scenarios]:
        """Random disjoint parts ``(rest, heldout)`` with ``fraction`` of scenarios held out."""
        if not 0.0 < fraction < 1.0:
            raise DecisionInputError("split", f"must be in (0, 1), got {fraction}")
        n_out = round(self._n * fraction)
        if n_out < 1 or n_out >= self._n:
            raise DecisionInputError(
                "split", f"cannot hold out {fraction:g} of {self._n} scenarios"
            )
        order = np.random.default_rng(seed).permutation(self._n)
        return self.take(np.sort(order[n_out:])), self.take(np.sort(order[:n_out]))

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}{tuple(v.shape[1:]) or ''}" for k, v in self._arrays.items())
        return f"Scenarios(n={self._n}: {parts})"


def _numeric_array(field: str, values: Any) -> np.ndarray:
    try:
        a = np.asarray(values)
    except Exception as exc:
        raise DecisionInputError(field, f"cannot be read as an array ({exc})") from None
    if a.dtype == bool:
        a = a.astype(float)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DecisionInputError(field, f"must be numeric, got dtype {a.dtype}")
    if a.ndim == 0:
        raise DecisionInputError(field, "needs a leading scenario axis, got a single number")
    if np.issubdtype(a.dtype, np.floating):
        bad = ~np.isfinite(a)
        if bad.any():
            n_nan = int(np.isnan(a).sum())
            n_inf = int(bad.sum()) - n_nan
            raise DecisionInputError(
                field, f"contains non-finite values ({n_nan} NaN, {n_inf} inf of {a.size})"
            )
    return a


def as_scenarios(
    source: Any,
    *,
    group: str | None = None,
    var_names: Sequence[str] | None = None,
    field: str = "scenarios",
) -> Scenarios:
    """Scenarios from any supported source (see the module docstring)."""
    if isinstance(source, Scenarios):
        data: Mapping[str, Any] = source
    elif hasattr(source, "idata") and hasattr(source, "status"):
        if source.idata is None:
            raise DecisionInputError(field, f"the fit holds no draws (status {source.status!r})")
        return as_scenarios(source.idata, group=group, var_names=var_names, field=field)
    elif _is_datatree(source):
        data = _from_datatree(source, group, field)
    elif _is_dataset(source):
        data = _from_dataset(source, field)
    elif _is_dataframe(source):
        data = {str(c): source[c].to_numpy() for c in source.columns}
    elif isinstance(source, Mapping):
        data = source
    else:
        raise DecisionInputError(
            field,
            "expected a dict of arrays, a pandas DataFrame, an xarray Dataset/DataTree or a "
            f"FitResult, got {type(source).__name__}",
        )
    if var_names is not None:
        missing = [v for v in var_names if v not in data]
        if missing:
            raise DecisionInputError(field, f"no quantities named {missing}; have {sorted(data)}")
        data = {v: data[v] for v in var_names}
    return Scenarios(data, field=field)


def _is_datatree(obj: Any) -> bool:
    return type(obj).__name__ == "DataTree" and hasattr(obj, "children")


def _is_dataset(obj: Any) -> bool:
    return type(obj).__name__ == "Dataset" and hasattr(obj, "data_vars")


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")


def _from_datatree(tree: Any, group: str | None, field: str) -> dict[str, np.ndarray]:
    children = tree.children
    if group is None:
        group = next(
            (g for g in ("predictions", "posterior_predictive", "posterior") if g in children),
            None,
        )
        if group is None:
            raise DecisionInputError(
                field,
                "the DataTree has no predictions, posterior_predictive or posterior group "
                f"(has {sorted(children)})",
            )
    elif group not in children:
        raise DecisionInputError(
            "group", f"the DataTree has no group {group!r} (has {sorted(children)})"
        )
    return _from_dataset(tree[group].to_dataset(), field)


def _from_dataset(ds: Any, field: str) -> dict[str, np.ndarray]:
    out = {}
    for name, da in ds.data_vars.items():
        dims = tuple(da.dims)
        sample = [d for d in SAMPLE_DIMS if d in dims]
        if sample:
            rest = [d for d in dims if d not in sample]
            values = da.transpose(*sample, *rest).to_numpy()
            out[str(name)] = values.reshape((-1, *values.shape[len(sample) :]))
        else:
            out[str(name)] = da.to_numpy()
    if not out:
        raise DecisionInputError(field, "the dataset has no variables")
    return out

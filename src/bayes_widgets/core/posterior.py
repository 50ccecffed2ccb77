"""A fitted posterior, ready to explore: its quantities, a summary table, selected draws.

    post = PosteriorData(result)                 # FitResult, DataTree or InferenceData
    post.variables                               # name, dims, coordinate labels, size
    post.quantities("theta")                     # ["theta[0]", "theta[1]", ...]
    post.summary()                               # mean, sd, HDI, ESS, R-hat; problems named
    post.problems()                              # every problem of the fit, one sentence each
    post.groups()                                # one line per variable (free ones first)
    post.draws(["mu", "theta[0]"])               # (chain, draw) arrays of scalar quantities

A *quantity* is one scalar of a variable, named like ``theta[0]`` or, with coordinate
labels, ``beta[trend]``; a scalar variable is its own quantity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.fitting.diagnostics import (
    ESS_PER_CHAIN,
    RHAT_LIMIT,
    Diagnostics,
    element_labels,
    group_parameters,
    summarize,
    variable_kinds,
)

__all__ = ["ESS_PER_CHAIN", "RHAT_LIMIT", "PosteriorData", "PosteriorError", "as_tree"]


class PosteriorError(InputError):
    """Bad input to the posterior tools; ``field`` names what was wrong."""


@dataclass(frozen=True)
class Quantity:
    name: str
    variable: str
    index: tuple[int, ...]


def posterior_dataset(
    posterior: Any,
    error: type[ValueError] = PosteriorError,
    absent: str = "no posterior given: pass the result of a fit (posterior=...)",
):
    """The posterior group of a FitResult, DataTree, InferenceData or Dataset, as a Dataset
    with ``chain`` and ``draw`` dimensions. Every problem raises ``error("posterior", ...)``;
    ``absent`` is the message when ``posterior`` is None."""
    if posterior is None:
        raise error("posterior", absent)
    if getattr(posterior, "idata", posterior) is None:
        status = getattr(posterior, "status", "")
        raise error("posterior", f"the fit holds no draws (status {status!r})")
    try:
        tree = as_tree(posterior)
    except PosteriorError as exc:
        raise error("posterior", exc.message) from None
    if "posterior" not in tree.children:
        raise error("posterior", "has no posterior group (was the fit cancelled during tuning?)")
    post = tree["posterior"].to_dataset()
    for dim in ("chain", "draw"):
        if dim not in post.dims:
            raise error("posterior", f"has no {dim!r} dimension")
    return post


def as_tree(source: Any):
    """The ``xarray.DataTree`` of a FitResult, DataTree or ArviZ InferenceData."""
    import xarray as xr

    tree = getattr(source, "idata", source)
    if isinstance(tree, xr.DataTree):
        return tree
    if hasattr(tree, "groups") and hasattr(tree, "posterior"):  # legacy InferenceData
        return xr.DataTree.from_dict({f"/{g}": getattr(tree, g) for g in tree.groups()})
    if isinstance(tree, xr.Dataset):
        return xr.DataTree.from_dict({"/posterior": tree})
    raise PosteriorError(
        "source",
        f"expected a FitResult, DataTree, InferenceData or Dataset, got {type(source).__name__}",
    )


class PosteriorData:
    """The posterior of a fit, flattened into named scalar quantities."""

    def __init__(self, source: Any, *, var_names: Sequence[str] | None = None):
        self.tree = as_tree(source)
        if "posterior" not in self.tree.children:
            raise PosteriorError(
                "source", "has no posterior group (was the fit cancelled during tuning?)"
            )
        post = self.tree["posterior"].to_dataset()
        numeric = [str(n) for n, da in post.data_vars.items() if np.issubdtype(da.dtype, np.number)]
        if var_names is not None:
            unknown = [n for n in var_names if n not in post.data_vars]
            if unknown:
                raise PosteriorError(
                    "var_names", f"unknown variables {unknown}; the posterior has {numeric}"
                )
            numeric = [n for n in var_names if n in numeric]
        if not numeric:
            raise PosteriorError("source", "the posterior holds no numeric variable")
        for dim in ("chain", "draw"):
            if dim not in post.dims:
                raise PosteriorError("source", f"the posterior has no {dim!r} dimension")
        self.kinds = variable_kinds(self.tree)
        numeric = sorted(numeric, key=lambda n: self.kinds.get(n, "free") != "free")  # free first
        self.posterior = post[numeric].transpose("chain", "draw", ...)
        self.chains = int(self.posterior.sizes["chain"])
        self.draws_per_chain = int(self.posterior.sizes["draw"])
        self._quantities: dict[str, Quantity] = {}
        self.variables: list[dict[str, Any]] = []
        self._diagnostics: Diagnostics | None = None
        for name in numeric:
            da = self.posterior[name]
            dims = [d for d in da.dims if d not in ("chain", "draw")]
            labels = [
                [str(v) for v in da[d].values]
                if d in da.coords
                else [str(i) for i in range(da.sizes[d])]
                for d in dims
            ]
            names = element_labels(da)
            for q, idx in zip(names, np.ndindex(*[da.sizes[d] for d in dims]), strict=True):
                self._quantities[q] = Quantity(q, name, tuple(idx))
            self.variables.append(
                {
                    "name": name,
                    "dims": dims,
                    "coords": labels,
                    "size": len(names),
                    "quantities": names,
                    "kind": self.kinds.get(name, "free"),
                }
            )

    # -- quantities -------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._quantities)

    def quantities(self, variable: str | None = None) -> list[str]:
        if variable is None:
            return self.names
        for v in self.variables:
            if v["name"] == variable:
                return list(v["quantities"])
        raise PosteriorError(
            "variable",
            f"unknown variable {variable!r}; known: {[v['name'] for v in self.variables]}",
        )

    def check(self, names: Sequence[str], field: str = "quantities") -> list[str]:
        if isinstance(names, str):
            names = [names]
        out = []
        for n in names:
            if n in self._quantities:
                out.append(n)
            elif any(v["name"] == n for v in self.variables):
                out.extend(self.quantities(n))
            else:
                close = [q for q in self._quantities if q.split("[")[0] == n.split("[")[0]][:5]
                raise PosteriorError(
                    field, f"unknown quantity {n!r}" + (f"; e.g. {close}" if close else "")
                )
        return out

    def draws(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """``(chain, draw)`` arrays of the named quantities (or whole variables)."""
        out = {}
        for n in self.check(names):
            q = self._quantities[n]
            arr = np.asarray(self.posterior[q.variable].values, dtype=float)
            out[n] = arr[(slice(None), slice(None), *q.index)]
        return out

    # -- summary ----------------------------------------------------------------------------
    @property
    def diagnostics(self) -> Diagnostics:
        """The fit's diagnostics by the one rule set of :mod:`bayes_widgets.core.fitting.diagnostics`
        (the same as ``result.diagnostics``), computed once."""
        if self._diagnostics is None:
            tree = self.tree
            if set(self.posterior.data_vars) != set(tree["posterior"].to_dataset().data_vars):
                import xarray as xr

                children = dict(tree.children)
                children["posterior"] = xr.DataTree(self.posterior)
                tree = xr.DataTree(tree.to_dataset(), children=children)
            self._diagnostics = summarize(
                tree, backend="", tune=0, wall_time_s=0.0, sampling_time_s=0.0, kinds=self.kinds
            )
        return self._diagnostics

    def summary(self) -> list[dict[str, Any]]:
        """One row per quantity (free parameters first): mean, sd, 94% HDI, bulk/tail ESS,
        R-hat, ``variable``, ``kind`` and ``problems`` (each named, e.g. ``"ESS bulk 188 <
        400"``; empty when fine)."""
        rows = []
        for row in self.diagnostics.parameters:
            row = dict(row)
            row["problems"] = list(row["problems"])
            for k, v in list(row.items()):
                if isinstance(v, float) and not math.isfinite(v):
                    row[k] = None
            rows.append(row)
        return rows

    def problems(self) -> list[str]:
        """Every problem of the fit, one sentence each: divergences after tuning, tree-depth
        hits, low E-BFMI, R-hat, bulk and tail ESS (the rules of ``result.diagnostics``)."""
        return self.diagnostics.problems

    def groups(self, max_rows: int | None = None) -> list[dict[str, Any]]:
        """One line per variable: size, max R-hat, min ESS, its problems and its rows."""
        return group_parameters(self.summary(), max_rows=max_rows)

    # -- predictive -------------------------------------------------------------------------
    def predictive(self) -> tuple[str, np.ndarray, np.ndarray] | None:
        """``(name, observed (n,), predictive (chain, draw, n))`` of the first observed
        variable with posterior predictive draws; None when the fit has none."""
        if (
            "posterior_predictive" not in self.tree.children
            or "observed_data" not in self.tree.children
        ):
            return None
        pp = self.tree["posterior_predictive"].to_dataset()
        obs = self.tree["observed_data"].to_dataset()
        for name in obs.data_vars:
            if name in pp.data_vars:
                y = np.asarray(obs[name].values, dtype=float).ravel()
                draws = pp[name].transpose("chain", "draw", ...).values
                return (
                    str(name),
                    y,
                    np.asarray(draws, dtype=float).reshape(draws.shape[0], draws.shape[1], -1),
                )
        return None

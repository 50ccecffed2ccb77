"""Geo (panel) media-mix models: the dimension, its default priors and its summaries.

A geo model's data are long: one row per date and geo, with a ``geo`` column (any one
column can be the panel dimension, e.g. ``dims=("country",)``). pymc-marketing's ``MMM``
with ``dims=("geo",)`` gives every parameter a value per geo by default; here the
*shape* of each channel's response (its adstock and the saturation curve's shape) is
shared across geos and its *size* (the saturation's effect size), the intercept, the
controls, the seasonality and the noise are per geo. Shape parameters are hard to learn
geo by geo from a few years of weekly data, and the shared ones let small geos borrow
from large ones. A prior with ``dims=("geo", "channel")`` makes one per geo again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.mmm.validation import MMMDataError

TOTAL = "total"
"""The label of the sum over every geo in tables that give geos and their total."""

RESERVED_DIMS = ("date", "channel", "control", "fourier_mode")
"""Dimension names pymc-marketing keeps for itself."""

# saturation parameters that set the size of a channel's effect (kept per geo); every
# other adstock and saturation parameter sets a shape (shared across geos)
EFFECT_SIZE_PRIORS = ("saturation_beta", "saturation_alpha", "saturation_b")


def check_dims(dims: Any) -> tuple[str, ...]:
    """``()`` (a national model) or one panel dimension, e.g. ``("geo",)``; a list (as
    read from TOML) is accepted too."""
    if dims is None:
        return ()
    if isinstance(dims, str):
        raise MMMDataError(
            "dims",
            f"expected a tuple of dimension names, got the text {dims!r}; write dims=({dims!r},)",
        )
    if not isinstance(dims, Sequence):
        raise MMMDataError("dims", f"expected a tuple of dimension names, got {dims!r}")
    out = tuple(dims)
    bad = [d for d in out if not isinstance(d, str) or not d]
    if bad:
        raise MMMDataError("dims", f"dimension names must be text, got {bad[0]!r}")
    reserved = [d for d in out if d in RESERVED_DIMS]
    if reserved:
        raise MMMDataError(
            "dims", f"{reserved[0]!r} is reserved by the model; name the column e.g. 'geo'"
        )
    if len(out) > 1:
        raise MMMDataError("dims", f"one panel dimension is supported (e.g. ('geo',)), got {out!r}")
    return out


def check_labels(data: pd.DataFrame, dims: tuple[str, ...]) -> list[Any]:
    """The labels of the panel dimension, in the data's (sorted) order; ``[]`` if none."""
    if not dims:
        return []
    labels = list(pd.unique(data[dims[0]].to_numpy()))
    if any(str(label) == TOTAL for label in labels):
        raise MMMDataError(dims[0], f"{TOTAL!r} cannot be a {dims[0]} label (it names the sum)")
    return labels


def _with_dims(prior, dims: tuple[str, ...]):
    from pymc_extras.prior import Prior

    spec = prior.to_dict()
    spec["dims"] = dims
    return Prior.from_dict(spec)


def shared_shape_priors(priors: dict[str, Any], dims: tuple[str, ...]) -> dict[str, Any]:
    """pymc-marketing's default priors of a panel model with the adstock and saturation
    shape parameters shared across the panel (see the module docstring)."""
    out = dict(priors)
    for key, prior in priors.items():
        if not key.startswith(("adstock_", "saturation_")) or key in EFFECT_SIZE_PRIORS:
            continue
        if hasattr(prior, "to_dict") and hasattr(prior, "dims"):
            kept = tuple(d for d in prior.dims if d not in dims)
            if kept != tuple(prior.dims):
                out[key] = _with_dims(prior, kept)
    return out


def _prior_dims(prior) -> list[tuple[str, ...]]:
    found = []
    if hasattr(prior, "dims") and hasattr(prior, "parameters"):
        found.append(tuple(prior.dims or ()))
        for value in prior.parameters.values():
            found.extend(_prior_dims(value))
    return found


def check_prior_dims(key: str, prior: Any, dims: tuple[str, ...]) -> None:
    """A prior may use the model's own dimensions only (``geo`` on a geo model)."""
    allowed = {*RESERVED_DIMS, *dims}
    for found in _prior_dims(prior):
        unknown = [d for d in found if d not in allowed]
        if unknown:
            have = ", ".join(sorted(allowed - {"date", "fourier_mode", "control"}))
            raise MMMDataError(
                key,
                f"dims {found!r} name {unknown[0]!r}, not a dimension of this model "
                f"(dims: {have}); a geo model is MMMModel(..., dims=('geo',))",
            )


def geo_selection(geo: Any, labels: list[Any], dim: str) -> list[Any] | None:
    """The labels ``geo`` asks for (one, a list, or :data:`TOTAL`); None means every geo
    and the total."""
    if geo is None:
        return None
    wanted = list(geo) if isinstance(geo, list | tuple) else [geo]
    known = {str(label): label for label in labels} | {TOTAL: TOTAL}
    out = []
    for value in wanted:
        if str(value) not in known:
            raise MMMDataError(
                "geo",
                f"unknown {dim} {value!r} (the model's: {', '.join(map(str, labels))}, "
                f"or {TOTAL!r})",
            )
        out.append(known[str(value)])
    return out


def with_total(da, dim: str):
    """``da`` with one more label on ``dim``: :data:`TOTAL`, the sum over the others."""
    import xarray as xr

    total = da.sum(dim).expand_dims({dim: [TOTAL]})
    labels = [str(v) if not isinstance(v, str) else v for v in da[dim].values]
    da = da.assign_coords({dim: np.asarray(labels, dtype=object)})
    return xr.concat([da, total.assign_coords({dim: np.asarray([TOTAL], dtype=object)})], dim)


def select(table: pd.DataFrame, dim: str, wanted: list[Any] | None) -> pd.DataFrame:
    """Rows of ``table`` for the ``wanted`` labels of ``dim`` (all when None)."""
    if wanted is None:
        return table.reset_index(drop=True)
    keep = [str(w) for w in wanted]
    return pd.DataFrame(table.loc[table[dim].astype(str).isin(keep).to_numpy()]).reset_index(
        drop=True
    )


def summarize_panel_variable(mmm, name: str, hdi_prob: float, scale: float) -> dict[str, Any]:
    """Posterior mean and HDI of a variable over several dimensions (e.g. geo × channel),
    one row per combination of labels, times ``scale`` (its unit's factor)."""
    import arviz_stats as azs

    da = mmm.idata["posterior"].to_dataset()[name]
    extra = list(da.dims[2:])
    values = np.asarray(da.values, dtype=float) * scale
    flat = values.reshape(values.shape[0] * values.shape[1], -1)
    hdi = azs.hdi(flat.T, prob=hdi_prob)
    grid = pd.MultiIndex.from_product([[str(v) for v in da[d].values] for d in extra])
    rows = [
        {
            "label": ", ".join(labels),
            **dict(zip(extra, labels, strict=True)),
            "coef": float(flat[:, j].mean()),
            "ci_low": float(hdi[j, 0]),
            "ci_up": float(hdi[j, 1]),
        }
        for j, labels in enumerate(grid)
    ]
    return {"variable": name, "scale": scale, "hdi_prob": hdi_prob, "by": extra, "rows": rows}


__all__ = [
    "EFFECT_SIZE_PRIORS",
    "RESERVED_DIMS",
    "TOTAL",
    "check_dims",
    "check_labels",
    "check_prior_dims",
    "geo_selection",
    "select",
    "shared_shape_priors",
    "summarize_panel_variable",
    "with_total",
]

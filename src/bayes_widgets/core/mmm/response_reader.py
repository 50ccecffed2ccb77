"""What a fitted pymc-marketing MMM's media response is made of, read into numpy arrays.

    parts = read_media(mmm, draws=None, seed=None)   # keyword arguments of MMMResponse

The response's *columns* are the model's channels, or, for a model with dims (a geo
model: ``dims=("geo",)``), every channel in every geo, labelled ``"tv[geo_a]"`` and
ordered channel by channel. Each column has its own adstock kernel, saturation
parameters, channel scale and target scale per draw (a parameter shared across geos is
repeated), so a geo model's response is the sum of its columns like a national one's.
"""

from __future__ import annotations

import itertools
import numbers
from typing import Any

import numpy as np

from bayes_widgets.core.checks import check_positive_int
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.mmm.model import MMMModel
from bayes_widgets.core.mmm.transforms import ADSTOCK_KERNELS, HALFLIFE_TO_ALPHA, SATURATION_CURVES


def pymc_mmm(mmm: Any):
    """The fitted pymc-marketing MMM behind ``mmm`` (an MMMModel or such an MMM)."""
    wrapped = isinstance(mmm, MMMModel)
    inner = mmm.mmm if wrapped else mmm
    if inner is None or (wrapped and not getattr(inner, "is_fitted_", False)):
        raise DecisionInputError("mmm", "the model has not been fitted yet: call fit() first")
    if not (hasattr(inner, "channel_columns") and hasattr(inner, "adstock")):
        raise DecisionInputError(
            "mmm", f"expected a fitted MMMModel or pymc-marketing MMM, got {type(mmm).__name__}"
        )
    idata = getattr(inner, "idata", None)
    if idata is None or not getattr(inner, "is_fitted_", True) or "posterior" not in _groups(idata):
        raise DecisionInputError("mmm", "the model has not been fitted yet: call fit() first")
    return inner


def _groups(idata: Any) -> set[str]:
    children = getattr(idata, "children", None)
    if children is not None:
        return set(children)
    return set(getattr(idata, "groups", list)())


def _posterior(idata: Any):
    post = idata["posterior"] if "posterior" in _groups(idata) else idata.posterior
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def check_supported(mmm: Any) -> None:
    """Refuses, naming the option, what the numpy response does not reproduce."""
    link = str(getattr(getattr(mmm, "link", None), "value", getattr(mmm, "link", "identity")))
    if link not in ("identity", "None"):
        raise DecisionInputError("mmm.link", f"only the identity link is supported, got {link!r}")
    if getattr(mmm, "time_varying_media", False):
        raise DecisionInputError(
            "mmm.time_varying_media",
            "time-varying media effects are not supported: their future multiplier is unknown",
        )
    adstock = type(mmm.adstock).__name__
    if adstock not in ADSTOCK_KERNELS:
        raise DecisionInputError(
            "mmm.adstock", f"{adstock} is not supported (supported: {', '.join(ADSTOCK_KERNELS)})"
        )
    if str(getattr(mmm.adstock, "mode", "After")) not in ("After", "ConvMode.After"):
        raise DecisionInputError(
            "mmm.adstock", f"only ConvMode.After is supported, got {mmm.adstock.mode!s}"
        )
    saturation = type(mmm.saturation).__name__
    if saturation not in SATURATION_CURVES:
        raise DecisionInputError(
            "mmm.saturation",
            f"{saturation} is not supported (supported: {', '.join(SATURATION_CURVES)})",
        )


class Columns:
    """The response's columns: channel by channel, every combination of the model's dims."""

    def __init__(self, channels: list[str], dims: tuple[str, ...], coords: dict[str, list[Any]]):
        self.channels = channels
        self.dims = dims
        self.coords = coords
        combos = list(itertools.product(*(coords[d] for d in dims)))
        self.column_channel = tuple(c for c in channels for _ in combos)
        self.column_coords = tuple(
            tuple(str(v) for v in combo) for _ in channels for combo in combos
        )
        self.labels = tuple(
            f"{c}[{', '.join(k)}]" if dims else c
            for c, k in zip(self.column_channel, self.column_coords)
        )

    @property
    def order(self) -> tuple[str, ...]:
        return ("channel", *self.dims)

    def flat(self, da: Any, leading: tuple[str, ...], field: str) -> np.ndarray:
        """``da`` broadcast to the columns: ``(*leading sizes, columns)`` floats. Its dims
        must be among ``leading``, ``channel`` and the model's dims."""
        import xarray as xr

        allowed = {*leading, *self.order}
        extra = [d for d in da.dims if d not in allowed]
        if extra:
            raise DecisionInputError(
                field, f"has dims {extra} besides {', '.join(sorted(allowed))}: not supported"
            )
        template = xr.DataArray(
            np.zeros([len(self.channels), *(len(self.coords[d]) for d in self.dims)]),
            dims=self.order,
            coords={"channel": self.channels, **self.coords},
        )
        if "channel" in da.dims:
            da = da.sel(channel=self.channels)
        full = (da + template).transpose(*leading, *self.order)
        sizes = [full.sizes[d] for d in leading]
        return np.asarray(full.to_numpy(), dtype=float).reshape(*sizes, len(self.labels))


def _parameters(transformation: Any, post: Any, cols: Columns, index: np.ndarray) -> dict:
    """Each parameter of a pymc-marketing transformation as ``(S, columns)`` draws."""
    out = {}
    for param, var in transformation.variable_mapping.items():
        if var in post:
            values = cols.flat(post[var], ("chain", "draw"), f"mmm.{var}")
            out[param] = values.reshape(-1, len(cols.labels))[index]
        else:
            prior = transformation.function_priors.get(param)
            if not isinstance(prior, numbers.Real):
                raise DecisionInputError(f"mmm.{var}", "is not in the posterior")
            out[param] = np.full((len(index), len(cols.labels)), float(prior))
    return out


def draw_index(total: int, draws: Any, seed: int | None) -> np.ndarray:
    """Positions of ``draws`` draws picked at random among ``total`` (all when None)."""
    if draws is None:
        return np.arange(total)
    draws = check_positive_int("draws", draws, error=DecisionInputError)
    if draws >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=int(draws), replace=False))


def read_media(mmm: Any, draws: int | None = None, seed: int | None = None) -> dict[str, Any]:
    """The keyword arguments of :class:`~bayes_widgets.core.mmm.response.MMMResponse` for
    a fitted model (an :class:`MMMModel` or a pymc-marketing ``MMM``)."""
    inner = pymc_mmm(mmm)
    check_supported(inner)
    channels = [str(c) for c in inner.channel_columns]
    dims = tuple(str(d) for d in (getattr(inner, "dims", ()) or ()))
    data = inner.xarray_dataset
    coords = {d: list(data[d].values) for d in dims}
    cols = Columns(channels, dims, coords)
    post = _posterior(inner.idata)
    index = draw_index(int(post.sizes["chain"] * post.sizes["draw"]), draws, seed)

    adstock = inner.adstock
    name = type(adstock).__name__
    fn, normalizable = ADSTOCK_KERNELS[name]
    params = _parameters(adstock, post, cols, index)
    if "halflife" in params:
        params["alpha"] = HALFLIFE_TO_ALPHA[name](params.pop("halflife"))
    lags = np.arange(adstock.l_max, dtype=float)
    kernel = np.broadcast_to(
        fn(lags, adstock.l_max, **params), (len(index), len(cols.labels), adstock.l_max)
    ).astype(float)
    if normalizable and adstock.normalize:
        kernel = kernel / kernel.sum(axis=-1, keepdims=True)

    scales = inner.get_scales_as_xarray()
    spend = data["_channel"]
    if "date" not in spend.dims:
        raise DecisionInputError("mmm", "the model's channel data has no date dim")
    return {
        "channels": cols.labels,
        "kernel": np.ascontiguousarray(kernel),
        "saturation": type(inner.saturation).__name__,
        "saturation_params": _parameters(inner.saturation, post, cols, index),
        "channel_scale": cols.flat(scales["channel_scale"], (), "mmm.channel_scale"),
        "target_scale": cols.flat(scales["target_scale"], (), "mmm.target_scale"),
        "adstock_first": bool(getattr(inner, "adstock_first", True)),
        "spend": cols.flat(spend, ("date",), "mmm.channel_data"),
        "draw_index": index,
        "dims": dims,
        "column_channel": cols.column_channel,
        "column_coords": cols.column_coords,
    }


__all__ = ["Columns", "check_supported", "draw_index", "pymc_mmm", "read_media"]

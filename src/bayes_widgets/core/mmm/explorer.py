"""A fitted media-mix model read back for its one-pager, in the target's original units.

    draws = explorer_draws(model)                    # a fitted MMMModel (or pymc-marketing MMM)
    draws.parts["x1"]                                # (S, N, G) x1's contribution per draw
    pager = OnePager(draws)                          # the tables of the one-pager
    pager.channels(geo=None)                         # shares, ROAS, marginal ROAS (all geos)

:func:`explorer_draws` takes a subset of the posterior draws (``draws``, evenly spaced)
and keeps, per draw, date and geo (``G = 1`` for a national model): the fitted mean
``mu``, the posterior predictive of the target, and the parts of the mean (baseline,
each control, seasonality, each channel, and anything else the model adds as
``other``), for the dates it was fitted on and, when the model's data go on after them
(a model fitted on its first rows), for those later dates (the test period), predicted
with the adstock carried over from the training weeks. Also the adstock weights over lags
and the saturation curve's parameters per draw, geo and channel. The tables are in
:mod:`bayes_widgets.core.mmm.explorer_views`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_positive_int
from bayes_widgets.core.logs import quiet_logger
from bayes_widgets.core.mmm.transforms import ADSTOCK_KERNELS, HALFLIFE_TO_ALPHA, SATURATION_CURVES
from bayes_widgets.core.mmm.validation import MMMDataError

DEFAULT_DRAWS = 200
"""Posterior draws the one-pager keeps, unless told."""
COMPONENTS = (
    "intercept_contribution",
    "control_contribution",
    "yearly_seasonality_contribution",
    "channel_contribution",
)
"""The posterior's parts of the mean the one-pager names (anything else is ``other``)."""


@dataclass(frozen=True, eq=False)
class ExplorerDraws:
    """What the one-pager shows, per posterior draw (see the module docstring)."""

    dates: np.ndarray
    """Every date shown ``(N,)``: the training dates, then those of the test period."""
    n_train: int
    """How many of ``dates`` the model was fitted on (the rest are the test period)."""
    geos: tuple[str, ...]
    """The labels of the model's one extra dimension (``()`` for a national model)."""
    geo_dim: str | None
    channels: tuple[str, ...]
    controls: tuple[str, ...]
    actual: np.ndarray = field(repr=False)
    """The target per date and geo ``(N, G)``."""
    mu: np.ndarray = field(repr=False)
    """The fitted mean per draw ``(S, N, G)``."""
    predictive: np.ndarray = field(repr=False)
    """Posterior predictive draws of the target ``(S, N, G)``."""
    parts: dict[str, np.ndarray] = field(repr=False)
    """Each part of the mean ``(S, N, G)``, in order: baseline, controls, seasonality,
    channels, other; they sum to ``mu``."""
    kinds: dict[str, str] = field(repr=False)
    """The kind of each part: baseline, control, seasonality, channel or other."""
    spend: np.ndarray = field(repr=False)
    """Spend per date, geo and channel ``(N, G, C)``."""
    kernel: np.ndarray = field(repr=False)
    """Adstock weights per draw, geo, channel and lag ``(S, G, C, L)``."""
    saturation: str
    saturation_params: dict[str, np.ndarray] = field(repr=False)
    """The saturation curve's parameters per draw, geo and channel, each ``(S, G, C)``."""
    channel_scale: np.ndarray = field(repr=False)
    """What each geo's channel spend is divided by ``(G, C)``."""
    target_scale: np.ndarray = field(repr=False)
    """What turns each geo's scaled target into original units ``(G,)``."""
    draw_index: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, int))
    """Positions of the kept draws among the posterior's chain-major ``chain x draw`` draws."""
    adstock_first: bool = True

    @property
    def n_draws(self) -> int:
        return self.mu.shape[0]

    @property
    def l_max(self) -> int:
        return self.kernel.shape[-1]

    def geo_index(self, geo: str | None) -> int | None:
        """The position of ``geo`` (None: every geo together)."""
        if geo is None:
            return None
        if geo not in self.geos:
            known = ", ".join(self.geos) if self.geos else "none: the model is national"
            raise MMMDataError("geo", f"unknown geo {geo!r} (geos: {known})")
        return self.geos.index(geo)

    def steady_response(self, spend: np.ndarray, channel: int, g: int) -> np.ndarray:
        """Contribution per period of spending ``spend`` (any shape ``(...,)``) every period on
        ``channel`` in geo ``g``, once the adstock has settled: ``(S, ...)`` draws."""
        x = np.asarray(spend, dtype=float)
        scale = self.channel_scale[g, channel]
        u = x / scale if scale > 0 else np.zeros_like(x)
        total_weight = self.kernel[:, g, channel, :].sum(axis=-1)  # (S,)
        fn = SATURATION_CURVES[self.saturation]
        params = {
            k: v[:, g, channel].reshape((-1,) + (1,) * x.ndim)
            for k, v in self.saturation_params.items()
        }
        w = total_weight.reshape((-1,) + (1,) * x.ndim)
        y = fn(u[None] * w, **params) if self.adstock_first else fn(u[None], **params) * w
        return y * self.target_scale[g]


def fitted_mmm(model: Any) -> Any:
    """The fitted pymc-marketing MMM of ``model`` (an MMMModel or such an MMM)."""
    inner = getattr(model, "mmm", None) if hasattr(model, "channels") else model
    if inner is None or not hasattr(inner, "channel_columns"):
        if hasattr(model, "channels"):
            raise MMMDataError("model", "the model has not been fitted yet: call fit() first")
        raise MMMDataError(
            "model",
            f"expected a fitted MMMModel or pymc-marketing MMM, got {type(model).__name__}",
        )
    idata = getattr(inner, "idata", None)
    if (
        not getattr(inner, "is_fitted_", False)
        or idata is None
        or "posterior" not in set(getattr(idata, "children", ()))
    ):
        raise MMMDataError("model", "the model has not been fitted yet: call fit() first")
    return inner


def _geo_dim(mmm: Any) -> str | None:
    dims = tuple(getattr(mmm, "dims", ()) or ())
    if len(dims) > 1:
        raise MMMDataError(
            "dims", f"the one-pager shows models with at most one extra dimension, got {dims}"
        )
    return dims[0] if dims else None


def as_array(da: Any, sample: str, geo_dim: str | None, geos: tuple, extra: str | None = None):
    """``da``'s values as ``(S, N, G[, E])`` (``(S, G[, E])`` without a date dim) with the
    geos in the order of ``geos``, its missing dims broadcast; ``sample`` is the draw
    dimension."""
    order = [sample]
    if "date" in da.dims:
        order.append("date")
    if geo_dim is not None:
        if geo_dim not in da.dims:
            da = da.expand_dims({geo_dim: len(geos)})
        else:
            labels = [str(g) for g in da[geo_dim].values]
            da = da.isel({geo_dim: [labels.index(g) for g in geos]})
        order.append(geo_dim)
    if extra is not None:
        order.append(extra)
    values = np.asarray(da.transpose(*order).values, dtype=float)
    if geo_dim is None:
        values = np.expand_dims(values, axis=len(order) - (extra is not None))
    return values


def _training_frame(mmm: Any, geo_dim: str | None, geos: tuple[str, ...]):
    data = mmm.xarray_dataset
    order = ["date", *([geo_dim] if geo_dim else [])]
    dates = np.asarray(data["date"].values)
    actual = np.asarray(data["_target"].transpose(*order).values, dtype=float)
    spend = np.asarray(
        data["_channel"].transpose(*order, "channel").values, dtype=float
    )  # (N, [G,] C)
    if geo_dim is None:
        actual, spend = actual[:, None], spend[:, None, :]
    return dates, actual, spend


def _test_rows(model: Any, mmm: Any, last_train: Any) -> pd.DataFrame | None:
    """The model's rows after the training dates (None when there are none)."""
    data = getattr(model, "data", None)
    if data is None or model is mmm:
        return None
    dates = pd.to_datetime(data[mmm.date_column])
    later = data[(dates > pd.Timestamp(last_train)).to_numpy()]
    return later.reset_index(drop=True) if len(later) else None


def _thinned(post: Any, draws: int) -> Any:
    stacked = post.stack(sample=("chain", "draw"))
    total = stacked.sizes["sample"]
    index = np.unique(np.linspace(0, total - 1, min(draws, total)).round().astype(int))
    return stacked.isel(sample=index), index


def _predictive(mmm: Any, X: pd.DataFrame, index: np.ndarray, names: list[str], after: bool):
    """pymc-marketing's posterior predictive of ``names`` for rows ``X`` over the kept draws."""
    full = mmm.idata
    thin = full.copy()
    post = full["posterior"].to_dataset()
    stacked = post.stack(sample=("chain", "draw")).isel(sample=index)
    thin["posterior"] = (
        stacked.drop_vars(["sample", "chain", "draw"]).rename(sample="draw").expand_dims(chain=1)
    )
    mmm.idata = thin
    try:
        with quiet_logger("pymc"):  # not "Sampling: [y]" under the widget
            return mmm.sample_posterior_predictive(
                X,
                extend_idata=False,
                include_last_observations=after,
                random_seed=0,
                progressbar=False,
                var_names=names,
            )
    finally:
        mmm.idata = full


def explorer_draws(model: Any, *, draws: int = DEFAULT_DRAWS) -> ExplorerDraws:
    """The one-pager's draws of a fitted model (see the module docstring)."""
    draws = check_positive_int("draws", draws, error=MMMDataError)
    mmm = fitted_mmm(model)
    geo_dim = _geo_dim(mmm)
    post_all = mmm.idata["posterior"].to_dataset()
    geos = tuple(str(g) for g in post_all[geo_dim].values) if geo_dim else ()
    post, index = _thinned(post_all, draws)
    dates, actual, spend = _training_frame(mmm, geo_dim, geos)
    channels = tuple(str(c) for c in mmm.channel_columns)
    controls = tuple(str(c) for c in (mmm.control_columns or ()))
    target_scale, channel_scale = _scales(mmm, geo_dim, geos, channels)
    names = [n for n in ("mu", *COMPONENTS) if n in post]
    rows = _long_frame(mmm, mmm.xarray_dataset)
    n_train = len(dates)
    test = _test_rows(model, mmm, dates[-1])
    if test is not None:
        rows = pd.concat([rows, test.loc[:, list(rows.columns)]], ignore_index=True)
        test_dates, test_actual, test_spend = _frame_of(test, mmm, geo_dim, geos, channels)
        dates = np.concatenate([dates, test_dates])
        actual = np.concatenate([actual, test_actual])
        spend = np.concatenate([spend, test_spend])
    # one pass over every date from a cold start, as the fit did: the training dates get
    # the fitted mean exactly, the test dates the adstock their training weeks leave
    pp = _predictive(mmm, rows, index, ["y", *names], after=False)
    train = {n: as_array(pp[n], "sample", geo_dim, geos, _extra(pp[n])) for n in ["y", *names]}
    scale = target_scale[None, None, :]
    parts, kinds = _parts(post, train, geo_dim, len(dates), scale, channels, controls)
    kernel, sat = _transforms(mmm, post, geo_dim, geos, channels)
    return ExplorerDraws(
        dates=dates,
        n_train=n_train,
        geos=geos,
        geo_dim=geo_dim,
        channels=channels,
        controls=controls,
        actual=actual,
        mu=train["mu"] * scale,
        predictive=train["y"] * scale,
        parts=parts,
        kinds=kinds,
        spend=spend,
        kernel=kernel,
        saturation=type(mmm.saturation).__name__,
        saturation_params=sat,
        channel_scale=channel_scale,
        target_scale=target_scale,
        draw_index=index,
        adstock_first=bool(getattr(mmm, "adstock_first", True)),
    )


def _extra(da: Any) -> str | None:
    for dim in ("channel", "control"):
        if dim in da.dims:
            return dim
    return None


def _long_frame(mmm: Any, X: Any) -> pd.DataFrame:
    """The training rows as the long data frame pymc-marketing takes."""
    frame = X[["_channel", *(["_control"] if "_control" in X else [])]]
    wide = []
    for var, labels in (("_channel", mmm.channel_columns), ("_control", mmm.control_columns)):
        if var in frame:
            table = frame[var].to_dataframe(name="v")["v"].unstack(var[1:])
            wide.append(table[list(labels)])
    out = pd.concat(wide, axis=1).reset_index()
    return out.rename(columns={"date": mmm.date_column})


def _frame_of(rows: pd.DataFrame, mmm: Any, geo_dim: str | None, geos, channels):
    """Dates, target ``(N, G)`` and spend ``(N, G, C)`` of long test rows."""
    date_col = mmm.date_column
    rows = rows.assign(**{date_col: pd.to_datetime(rows[date_col])})
    dates = np.asarray(sorted(rows[date_col].unique()), dtype="datetime64[ns]")
    if geo_dim is None:
        ordered = rows.sort_values(date_col)
        actual = ordered[mmm.target_column].to_numpy(dtype=float)[:, None]
        spend = ordered[list(channels)].to_numpy(dtype=float)[:, None, :]
        return dates, actual, spend
    idx = pd.MultiIndex.from_product([dates, list(geos)], names=[date_col, geo_dim])
    keyed = rows.assign(**{geo_dim: rows[geo_dim].astype(str)}).set_index([date_col, geo_dim])
    keyed = keyed.reindex(idx)
    actual = keyed[mmm.target_column].to_numpy(dtype=float).reshape(len(dates), len(geos))
    spend = keyed[list(channels)].to_numpy(dtype=float).reshape(len(dates), len(geos), -1)
    return dates, actual, spend


def _scales(mmm: Any, geo_dim: str | None, geos, channels) -> tuple[np.ndarray, np.ndarray]:
    scales = mmm.get_scales_as_xarray()
    G = max(1, len(geos))
    target = scales["target_scale"]
    if geo_dim and geo_dim in target.dims:
        target_values = np.asarray(target.sel({geo_dim: list(geos)}).values, dtype=float)
    else:
        target_values = np.full(G, float(np.asarray(target.values, dtype=float).squeeze()))
    channel = scales["channel_scale"]
    if "channel" not in channel.dims:
        channel = channel.expand_dims(channel=list(channels))
    channel = channel.sel(channel=list(channels))
    if geo_dim and geo_dim in channel.dims:
        values = channel.sel({geo_dim: list(geos)}).transpose(geo_dim, "channel").values
    else:
        values = np.broadcast_to(np.asarray(channel.values), (G, len(channels)))
    return target_values, np.asarray(values, dtype=float).copy()


def _parts(post, arrays, geo_dim, n_dates, scale, channels, controls):
    """The parts of the mean in original units, ``(S, N, G)`` each, in display order."""
    parts: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    S, G = arrays["mu"].shape[0], arrays["mu"].shape[2]

    def over_dates(values: np.ndarray) -> np.ndarray:
        return values if values.ndim == 3 else np.broadcast_to(values[:, None, :], (S, n_dates, G))

    if "intercept_contribution" in arrays:
        parts["baseline"] = over_dates(arrays["intercept_contribution"]) * scale
        kinds["baseline"] = "baseline"
    if "control_contribution" in arrays:
        for k, name in enumerate(controls):
            parts[name] = arrays["control_contribution"][..., k] * scale
            kinds[name] = "control"
    if "yearly_seasonality_contribution" in arrays:
        parts["seasonality"] = arrays["yearly_seasonality_contribution"] * scale
        kinds["seasonality"] = "seasonality"
    for c, name in enumerate(channels):
        parts[name] = arrays["channel_contribution"][..., c] * scale
        kinds[name] = "channel"
    other = arrays["mu"] * scale - sum(parts.values())
    if np.abs(other).max() > 1e-9 * max(1.0, float(np.abs(arrays["mu"] * scale).max())):
        parts["other"] = other
        kinds["other"] = "other"
    return parts, kinds


def _param_draws(transformation, post, geo_dim, geos, channels) -> dict[str, np.ndarray]:
    """Each parameter of a pymc-marketing transformation as ``(S, G, C)`` draws."""
    S = post.sizes["sample"]
    G = max(1, len(geos))
    out = {}
    for param, var in transformation.variable_mapping.items():
        if var in post:
            da = post[var]
            if "channel" not in da.dims:
                da = da.expand_dims(channel=list(channels))
            da = da.sel(channel=list(channels))
            out[param] = as_array(da, "sample", geo_dim, geos, "channel")
        else:
            prior = transformation.function_priors.get(param)
            if not isinstance(prior, int | float):
                raise MMMDataError(f"model.{var}", "is not in the posterior")
            out[param] = np.full((S, G, len(channels)), float(prior))
    return out


def _transforms(mmm, post, geo_dim, geos, channels):
    adstock = mmm.adstock
    name = type(adstock).__name__
    if name not in ADSTOCK_KERNELS:
        raise MMMDataError("model.adstock", f"{name} is not supported by the one-pager")
    saturation = type(mmm.saturation).__name__
    if saturation not in SATURATION_CURVES:
        raise MMMDataError("model.saturation", f"{saturation} is not supported by the one-pager")
    fn, normalizable = ADSTOCK_KERNELS[name]
    params = _param_draws(adstock, post, geo_dim, geos, channels)
    G = max(1, len(geos))
    if "halflife" in params:
        params["alpha"] = HALFLIFE_TO_ALPHA[name](params.pop("halflife"))
    lags = np.arange(adstock.l_max, dtype=float)
    S = post.sizes["sample"]
    kernel = np.broadcast_to(
        fn(lags, adstock.l_max, **params), (S, G, len(channels), adstock.l_max)
    ).astype(float)
    if normalizable and getattr(adstock, "normalize", False):
        kernel = kernel / kernel.sum(axis=-1, keepdims=True)
    return kernel, _param_draws(mmm.saturation, post, geo_dim, geos, channels)


__all__ = ["DEFAULT_DRAWS", "ExplorerDraws", "as_array", "explorer_draws", "fitted_mmm"]

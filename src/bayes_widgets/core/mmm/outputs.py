"""What a fitted :class:`~bayes_widgets.core.mmm.model.MMMModel` reports: predictions for
new rows, channel contributions and ROAS, per geo and in total for a geo model.

A national model's contributions and ROAS are pymc-marketing's own summary tables. A geo
model's tables have the same columns (``mean``, ``median``, ``abs_error_<p>_lower`` and
``_upper`` for the HDI) with a ``geo`` column whose labels are the geos and
:data:`~bayes_widgets.core.mmm.geo.TOTAL`, summarised per draw (the total's interval is
that of the sum over geos, not a sum of intervals).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.logs import quiet_logger
from bayes_widgets.core.mmm.geo import TOTAL, geo_selection, select, with_total
from bayes_widgets.core.mmm.validation import MMMDataError, validate_mmm_data

COMPONENTS = {"channel": "channel_contribution", "control": "control_contribution"}


def _no_geo(model, geo: Any) -> None:
    if geo is not None and not model.dims:
        raise MMMDataError("geo", "this model has no geo dimension (it is national)")


def predictive_draws(model, X: pd.DataFrame, *, after_training: bool, seed: int | None = None):
    """Posterior-predictive draws of the target for the rows of ``X`` in original units,
    ``(samples, len(X))``: one column per row of ``X`` (per date, and per geo in a geo
    model). ``after_training``: the rows follow the training data, so adstock carries over
    from its last weeks."""
    from bayes_widgets.core.mmm.fitting import target_scale

    mmm = model.fitted_mmm()
    with quiet_logger("pymc"):  # not "Sampling: [y]" under every table
        pp = mmm.sample_posterior_predictive(
            X,
            extend_idata=False,
            include_last_observations=after_training,
            random_seed=seed,
            progressbar=False,
        )
    y = pp["y"] * target_scale(mmm)
    if not model.dims:
        return np.asarray(y.transpose("sample", "date").values, dtype=float)
    dim = model.dims[0]
    arr = y.transpose("sample", "date", dim)
    at_date = pd.DatetimeIndex(arr["date"].values).get_indexer(
        pd.DatetimeIndex(X[model.date_column].to_numpy())
    )
    at_geo = pd.Index([str(v) for v in arr[dim].values]).get_indexer(X[dim].astype(str).to_numpy())
    return np.asarray(arr.values, dtype=float)[:, at_date, at_geo]


def check_new_rows(model, new_X: pd.DataFrame) -> pd.DataFrame:
    """New rows (spend and controls, no target) checked like the training data; a geo
    model's rows cover the model's geos, each on every date."""
    X = validate_mmm_data(
        new_X,
        date_column=model.date_column,
        target=None,
        channels=model.channels,
        controls=model.controls,
        min_train_rows=1,
        dims=model.dims,
    )
    if model.dims:
        dim = model.dims[0]
        given = {str(v) for v in X[dim].unique()}
        known = [str(v) for v in model.geos]
        unknown = sorted(given - set(known))
        if unknown:
            raise MMMDataError(
                dim, f"unknown {dim} {unknown[0]!r} (the model's: {', '.join(known)})"
            )
        missing = [g for g in known if g not in given]
        if missing:
            raise MMMDataError(dim, f"the new rows have no {dim} {missing[0]!r}; give every {dim}")
    return X.loc[:, [model.date_column, *model.dims, *model.channels, *model.controls]]


def _interval(draws: np.ndarray, hdi_prob: float) -> dict[str, np.ndarray]:
    import arviz_stats as azs

    hdi = azs.hdi(draws, prob=hdi_prob)
    return {
        "mean": draws.mean(axis=1),
        f"hdi_{hdi_prob:g}_low": hdi[:, 0],
        f"hdi_{hdi_prob:g}_high": hdi[:, 1],
    }


def predict(
    model, new_X: pd.DataFrame, *, hdi_prob: float, seed: int | None, geo: Any = None
) -> pd.DataFrame:
    """Posterior predictive of the target for new rows in original units: one row per
    date (and per geo, with the geos' total, for a geo model) with the mean and HDI."""
    _no_geo(model, geo)
    X = check_new_rows(model, new_X)
    draws = predictive_draws(model, X, after_training=True, seed=seed).T
    if not model.dims:
        return pd.DataFrame(
            {model.date_column: X[model.date_column].to_numpy(), **_interval(draws, hdi_prob)}
        )
    dim = model.dims[0]
    wanted = geo_selection(geo, model.geos, dim)
    dates = X[model.date_column].to_numpy()
    per_row = pd.DataFrame(
        {model.date_column: dates, dim: X[dim].to_numpy(), **_interval(draws, hdi_prob)}
    )
    codes, uniques = pd.factorize(X[model.date_column])
    totals = np.zeros((len(uniques), draws.shape[1]))
    np.add.at(totals, codes, draws)
    total = pd.DataFrame({model.date_column: uniques, dim: TOTAL, **_interval(totals, hdi_prob)})
    table = pd.concat([per_row, total], ignore_index=True)
    order = {label: i for i, label in enumerate([*map(str, model.geos), TOTAL])}
    table = table.sort_values(
        [model.date_column, dim], key=lambda s: s.astype(str).map(order) if s.name == dim else s
    )
    return select(table, dim, wanted)


def _panel_draws(model, name: str):
    from bayes_widgets.core.mmm.fitting import target_scale

    mmm = model.fitted_mmm()
    posterior = mmm.idata["posterior"]
    if name not in posterior:
        raise MMMDataError("component", f"this model has no {name}")
    return posterior[name] * target_scale(mmm)


def contributions(
    model,
    geo: Any = None,
    *,
    hdi_prob: float | None = None,
    component: str = "channel",
    **kwargs,
) -> pd.DataFrame:
    """Contributions over time with credible intervals: pymc-marketing's table for a
    national model (``kwargs`` go to ``mmm.summary.contributions``); per date, geo and
    channel (or control) with the geos' total for a geo model."""
    from pymc_marketing.mmm.summary.helpers import compute_summary_stats_with_hdi

    _no_geo(model, geo)
    if not model.dims:
        if hdi_prob is not None:
            kwargs["hdi_probs"] = [_check_prob(hdi_prob)]
        return model.fitted_mmm().summary.contributions(component=component, **kwargs)
    _no_options(kwargs)
    if component not in COMPONENTS:
        raise MMMDataError("component", f"choose from {', '.join(COMPONENTS)}, got {component!r}")
    hdi_prob = _check_prob(0.94 if hdi_prob is None else hdi_prob)
    dim = model.dims[0]
    wanted = geo_selection(geo, model.geos, dim)
    da = with_total(_panel_draws(model, COMPONENTS[component]), dim)
    if wanted is not None:
        da = da.sel({dim: [str(w) if w != TOTAL else TOTAL for w in wanted]})
    other = "channel" if component == "channel" else "control"
    da = da.transpose("chain", "draw", "date", dim, other)
    return compute_summary_stats_with_hdi(da, [hdi_prob])


def roas(model, geo: Any = None, *, hdi_prob: float | None = None, **kwargs) -> pd.DataFrame:
    """Return on ad spend per channel with credible intervals: pymc-marketing's table for
    a national model (``kwargs`` go to ``mmm.summary.roas``); for a geo model, per geo and
    in total over the fitted weeks (each draw's contributions summed over the weeks,
    divided by the spend summed over them)."""
    from pymc_marketing.mmm.summary.helpers import compute_summary_stats_with_hdi

    _no_geo(model, geo)
    if not model.dims:
        if hdi_prob is not None:
            kwargs["hdi_probs"] = [_check_prob(hdi_prob)]
        return model.fitted_mmm().summary.roas(**kwargs)
    _no_options(kwargs)
    hdi_prob = _check_prob(0.94 if hdi_prob is None else hdi_prob)
    dim = model.dims[0]
    wanted = geo_selection(geo, model.geos, dim)
    mmm = model.fitted_mmm()
    contribution = with_total(_panel_draws(model, "channel_contribution").sum("date"), dim)
    spend = with_total(mmm.idata["constant_data"]["channel_data"].sum("date"), dim)
    ratio = (contribution / spend.where(spend > 0)).transpose("chain", "draw", dim, "channel")
    if wanted is not None:
        ratio = ratio.sel({dim: [str(w) if w != TOTAL else TOTAL for w in wanted]})
    return compute_summary_stats_with_hdi(ratio, [hdi_prob])


def _no_options(kwargs: dict[str, Any]) -> None:
    if kwargs:
        name = next(iter(kwargs))
        raise MMMDataError(
            name, "not an option of a geo model's table (options: geo, hdi_prob, component)"
        )


def _check_prob(hdi_prob: Any) -> float:
    if not isinstance(hdi_prob, float | int) or isinstance(hdi_prob, bool) or not 0 < hdi_prob < 1:
        raise MMMDataError("hdi_prob", f"must be in (0, 1), got {hdi_prob!r}")
    return float(hdi_prob)


__all__ = ["check_new_rows", "contributions", "predict", "predictive_draws", "roas"]

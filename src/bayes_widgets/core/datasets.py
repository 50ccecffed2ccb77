"""Small models on real data, for examples, tests and benchmarks.

The posteriordb models reproduce their Stan programs (stan-dev/posteriordb), so
fits can be checked against the published reference posteriors.
"""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np


def _posteriordb(name: str) -> dict:
    return json.loads(
        files("bayes_widgets.data").joinpath("posteriordb", f"{name}.json").read_text()
    )


def eight_schools_noncentered():
    """posteriordb ``eight_schools-eight_schools_noncentered`` (Rubin 1981)."""
    import pymc as pm

    d = _posteriordb("eight_schools")
    coords = {"school": np.arange(d["J"])}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        theta_trans = pm.Normal("theta_trans", 0, 1, dims="school")
        theta = pm.Deterministic("theta", mu + tau * theta_trans, dims="school")
        pm.Normal(
            "y",
            theta,
            np.asarray(d["sigma"], float),
            observed=np.asarray(d["y"], float),
            dims="school",
        )
    return model


def kidiq_momhsiq():
    """posteriordb ``kidiq-kidscore_momhsiq``: kid's test score on mother's high-school
    completion and IQ (Gelman & Hill 2006), flat priors on the coefficients."""
    import pymc as pm

    d = _posteriordb("kidiq")
    x = np.column_stack([np.ones(d["N"]), d["mom_hs"], d["mom_iq"]])
    with pm.Model(coords={"coef": ["intercept", "mom_hs", "mom_iq"]}) as model:
        beta = pm.Flat("beta", dims="coef")
        sigma = pm.HalfCauchy("sigma", 2.5)
        pm.Normal(
            "kid_score", pm.math.dot(x, beta), sigma, observed=np.asarray(d["kid_score"], float)
        )
    return model


def linear_regression(n_rows: int = 1000, n_features: int = 49, seed: int = 0):
    """Simulated Gaussian linear regression: intercept, ``n_features`` slopes and sigma."""
    import pymc as pm

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, n_features))
    beta_true = rng.normal(0, 1, size=n_features)
    y = 1.5 + x @ beta_true + rng.normal(0, 0.7, size=n_rows)
    with pm.Model(coords={"feature": np.arange(n_features)}) as model:
        intercept = pm.Normal("intercept", 0, 5)
        beta = pm.Normal("beta", 0, 2, dims="feature")
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", intercept + pm.math.dot(x, beta), sigma, observed=y)
    return model


def _mmm_csv(name: str, date_column: str):
    import pandas as pd

    with files("bayes_widgets.data").joinpath("mmm", name).open() as f:
        return pd.read_csv(f, parse_dates=[date_column])


def mmm_example():
    """pymc-marketing's simulated MMM data: 179 weeks, channels x1 and x2, two event
    controls, target y (geometric adstock, logistic saturation; known ground truth)."""
    return _mmm_csv("mmm_example.csv", "date_week")


MMM_EXAMPLE_PARAMETERS = {
    "l_max": 8,
    "adstock_alpha": {"x1": 0.4, "x2": 0.2},
    "saturation_lam": {"x1": 4.0, "x2": 3.0},
    "beta": {"x1": 3.0, "x2": 2.0},
}
"""The media parameters ``mmm_example`` was simulated with (pymc-marketing's MMM example:
normalised geometric adstock, then logistic saturation, times beta)."""


def mmm_example_truth() -> dict:
    """Ground truth of :func:`mmm_example`: its simulation parameters, each channel's true
    media contribution per week (in the simulation's units) and each channel's share of the
    total media contribution (x1 about 0.81)."""
    import numpy as np

    df = mmm_example()
    p = MMM_EXAMPLE_PARAMETERS
    contributions = {}
    for channel in ("x1", "x2"):
        weights = p["adstock_alpha"][channel] ** np.arange(p["l_max"])
        adstocked = np.convolve(df[channel].to_numpy(dtype=float), weights / weights.sum())[
            : len(df)
        ]
        lam = p["saturation_lam"][channel]
        saturated = (1 - np.exp(-lam * adstocked)) / (1 + np.exp(-lam * adstocked))
        contributions[channel] = p["beta"][channel] * saturated
    totals = {c: float(v.sum()) for c, v in contributions.items()}
    shares = {c: t / sum(totals.values()) for c, t in totals.items()}
    return {"parameters": p, "contributions": contributions, "shares": shares}


def mmm_case_study(weeks: int | None = 161):
    """Real weekly sales with 10 media spend channels (``mdsp_*``) and macro controls
    (``me_ics_all``, ``me_gas_dpg``); the first ``weeks`` rows (None: all 209)."""
    df = _mmm_csv("case_study_data.csv", "wk_strt_dt")
    return df if weeks is None else df.iloc[:weeks].reset_index(drop=True)


MMM_GEO_CHANNELS = [f"Channel{i}_spend" for i in range(5)]
MMM_GEO_CONTROLS = ["competitor_sales_control", "sentiment_score_control"]


def mmm_geo(n_geos: int | None = None, weeks: int | None = None):
    """Meridian's simulated geo data: weekly rows per geo, in long form (one row per
    ``time`` × ``geo``); see ``data/mmm/PROVENANCE.md``.

    Target ``revenue`` (``conversions`` × ``revenue_per_conversion``, the KPI in money, so
    ROAS reads as revenue per unit of spend; ``conversions`` is there too). Channels, the
    spend columns: ``Channel0_spend`` … ``Channel4_spend`` (:data:`MMM_GEO_CHANNELS`).
    Controls: ``competitor_sales_control``, ``sentiment_score_control``
    (:data:`MMM_GEO_CONTROLS`); also ``Promo`` and ``population``. Date column: ``time``.

    ``n_geos``: the first ``n_geos`` geos (``Geo0``, ``Geo1``, … in numeric order; None: all
    40); ``weeks``: the first ``weeks`` weeks (None: all 156). Rows are sorted by geo, then
    time. ``mmm_geo()`` is the whole simulation: 40 geos × 156 weeks × 5 channels.
    """
    import pandas as pd

    from bayes_widgets.core.checks import check_int

    with (
        files("bayes_widgets.data")
        .joinpath("mmm", "meridian_geo_all_channels.csv.gz")
        .open("rb") as f
    ):
        df = pd.read_csv(f, compression="gzip", parse_dates=["time"])
    order = sorted(set(df["geo"]), key=lambda g: int(str(g).removeprefix("Geo")))
    if n_geos is not None:
        order = order[: check_int("n_geos", n_geos, low=1, high=len(order))]
    keep = np.array(df["geo"].isin(order).to_numpy(), dtype=bool)
    if weeks is not None:
        dates = sorted(set(df["time"]))
        kept = dates[: check_int("weeks", weeks, low=1, high=len(dates))]
        keep &= df["time"].isin(kept).to_numpy()
    df = pd.DataFrame(df.loc[keep])
    df = df.assign(
        geo=pd.Categorical(df["geo"], categories=order, ordered=True),
        revenue=df["conversions"] * df["revenue_per_conversion"],
    )
    df = df.sort_values(["geo", "time"]).reset_index(drop=True)
    return df.assign(geo=df["geo"].astype(str))


def mmm_multidimensional():
    """pymc-marketing's simulated geo example: 159 weeks × 2 geos (``geo_a``, ``geo_b``) in
    long form (one row per ``date`` × ``geo``). Target ``y``; channels (spend) ``x1``,
    ``x2``; controls ``event_1``, ``event_2``; date column ``date``."""
    return _mmm_csv("mmm_multidimensional_example.csv", "date")


def radon():
    """Minnesota radon measurements (one row per house: county, floor, log radon), the
    classic small hierarchical example; see ``data/radon/PROVENANCE.md``."""
    import pandas as pd

    with files("bayes_widgets.data").joinpath("radon", "radon_mn.csv").open() as f:
        return pd.read_csv(f)


def supplier_yields():
    """The 52 observed batch yields of the supply-chain example: a DataFrame with columns
    ``supplier`` (0, 1, 2), ``obs`` (batch number) and ``yield`` (fraction of working
    engines); see ``data/supply_chain/PROVENANCE.md``."""
    import pandas as pd

    with (
        files("bayes_widgets.data")
        .joinpath("supply_chain", "supplier_yield_observations.csv")
        .open() as f
    ):
        return pd.read_csv(f)


def synthetic_demand(n_stores: int = 1000, n_days: int = 942, seed: int = 0):
    """Synthetic daily store sales with known truth, shaped like the Rossmann setup
    (23 features, closed days as NaN); see :func:`bayes_widgets.core.hierarchical.make_demand`."""
    from bayes_widgets.core.hierarchical import make_demand

    return make_demand(n_stores, n_days, seed=seed)


__all__ = [
    "MMM_GEO_CHANNELS",
    "MMM_GEO_CONTROLS",
    "eight_schools_noncentered",
    "kidiq_momhsiq",
    "linear_regression",
    "mmm_case_study",
    "mmm_example",
    "mmm_example_truth",
    "mmm_geo",
    "mmm_multidimensional",
    "radon",
    "supplier_yields",
    "synthetic_demand",
]

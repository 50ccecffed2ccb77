"""Latency of a prior change on a real MMM's prior predictive.

The MMM of the case study data (161 weeks, 10 media spend channels, 2 controls,
geometric adstock with l_max 8, logistic saturation, yearly seasonality with 2 modes) is
built with pymc-marketing; its priors go into ``ModelPriors`` with 500 draws. One prior
parameter (the noise sigma, then a channel's saturation) is changed 50 times; each
time is measured from the change to the display data ready to send (500 draws of the
161-week series, the 5/25/50/75/95 % bands, a histogram and the shares outside a
plausible range). Last line: JSON with ``p95_ms`` and ``compiles``.

    .venv/bin/python benchmarks/bench_prior_latency.py
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np

CHANGES = 50
DRAWS = 500


def build_mmm():
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from bayes_widgets.datasets import mmm_case_study

    df = mmm_case_study(161).rename(columns={"wk_strt_dt": "date"})
    channels = [c for c in df.columns if c.startswith("mdsp_")]
    controls = ["me_ics_all", "me_gas_dpg"]
    mmm = MMM(
        date_column="date",
        channel_columns=channels,
        control_columns=controls,
        target_column="sales",
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    mmm.build_model(df[["date", *channels, *controls]], df["sales"])
    return mmm, df


def main() -> None:
    warnings.filterwarnings("ignore")
    from bayes_widgets.core.priors.model import ModelPriors
    from bayes_widgets.core.priors.predictive import predictive_summary

    t0 = time.perf_counter()
    mmm, df = build_mmm()
    t_build = time.perf_counter() - t0
    mp = ModelPriors(mmm.model, draws=DRAWS, seed=1)
    t1 = time.perf_counter()
    first = mp.prior_predictive()["y"]
    t_first = time.perf_counter() - t1
    observed_max = float(np.abs(first).max())
    times = []
    for i in range(CHANGES):
        t = time.perf_counter()
        if i % 2 == 0:
            mp.set("y_sigma", mp.priors["y_sigma"].updated(sigma=0.5 + 0.02 * i))
        else:
            mp.set(
                "saturation_lam", mp.priors["saturation_lam"].with_element(3, alpha=1.0 + 0.1 * i)
            )
        draws = mp.prior_predictive()["y"]
        predictive_summary(draws, lower=0.0, upper=10 * observed_max)
        times.append((time.perf_counter() - t) * 1000)
    times_arr = np.array(times)
    print(
        f"MMM: {len(df)} weeks, {len(mmm.channel_columns)} channels, draws {DRAWS}; "
        f"build {t_build:.1f} s, first prior predictive (compiles) {t_first:.1f} s"
    )
    print(
        f"{CHANGES} changes: median {np.median(times_arr):.1f} ms, p95 {np.percentile(times_arr, 95):.1f} ms, "
        f"max {times_arr.max():.1f} ms; compilations: {mp.compiles}"
    )
    print(
        json.dumps(
            {
                "p95_ms": round(float(np.percentile(times_arr, 95)), 2),
                "median_ms": round(float(np.median(times_arr)), 2),
                "max_ms": round(float(times_arr.max()), 2),
                "compiles": mp.compiles,
                "changes": CHANGES,
                "draws": DRAWS,
                "weeks": len(df),
                "first_call_s": round(t_first, 2),
                "target_p95_ms": 150,
            }
        )
    )


if __name__ == "__main__":
    main()

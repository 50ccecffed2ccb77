"""Our default MMM fit against pymc-marketing's own default ``MMM.fit()``, side by side.

The case study's last 161 weeks, 10 media spend channels, 2 controls, geometric adstock
(l_max 8), logistic saturation, yearly seasonality: fitted once by ``MMMModel.fit()``
(our defaults, picked for ESS per second: nutpie with its mass matrix adapted from the
draws' variances, on the model with its data frozen into constants) and once by
``pymc_marketing.mmm.MMM.fit()`` with its defaults (``pm.sample``, which runs nutpie with
its default adaptation on the frozen model), same draws and tuning per chain. Each
runs its default number of chains: ours 4, pm.sample's max(2, cores) = 2 on 2 cores. Reported: minimum bulk ESS per second of wall time for each,
their ratio (ours / theirs) and the worst R-hat; then the same with time-varying media.

    .venv/bin/python benchmarks/bench_mmm_fit.py [--draws 1000] [--tune 1000]

Last line: JSON with ``ess_per_s_ratio``, ``rhat_max``, ``tvp_ess_per_s_ratio``, ``tvp_rhat_max``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings


def case_study():
    from bayes_widgets.datasets import mmm_case_study

    df = mmm_case_study(None).iloc[-161:].reset_index(drop=True)
    channels = [c for c in df.columns if c.startswith("mdsp_")]
    return df, channels, ["me_ics_all", "me_gas_dpg"]


def min_ess_and_rhat(idata) -> tuple[float, float]:
    from bayes_widgets.core.fitting.diagnostics import summarize

    d = summarize(idata, backend="-", tune=0, wall_time_s=1.0, sampling_time_s=1.0)
    return d.ess_bulk_min, d.rhat_max


def ours(df, channels, controls, tvp: bool, draws: int, tune: int, seed: int):
    from bayes_widgets.core.mmm import MMMModel

    model = MMMModel(
        df,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=controls,
        lag_max=8,
        adstock="geometric",
        saturation="logistic",
        time_varying_media=tvp,
        yearly_seasonality=2,
    )
    t0 = time.perf_counter()
    result = model.fit(draws=draws, tune=tune, seed=seed)
    wall = time.perf_counter() - t0
    ess, rhat = min_ess_and_rhat(result.idata)
    return {
        "backend": model.backend,
        "chains": result.diagnostics.chains,
        "wall_s": wall,
        "ess_bulk_min": ess,
        "rhat_max": rhat,
    }


def theirs(df, channels, controls, tvp: bool, draws: int, tune: int, seed: int):
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    mmm = MMM(
        date_column="wk_strt_dt",
        channel_columns=channels,
        control_columns=controls,
        target_column="sales",
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
        time_varying_media=tvp,
    )
    X = df[["wk_strt_dt", *channels, *controls]]
    t0 = time.perf_counter()
    idata = mmm.fit(X, df["sales"], draws=draws, tune=tune, random_seed=seed, progressbar=False)
    wall = time.perf_counter() - t0
    ess, rhat = min_ess_and_rhat(idata)
    return {
        "backend": "pymc-marketing default",
        "chains": int(idata["posterior"].sizes["chain"]),
        "wall_s": wall,
        "ess_bulk_min": ess,
        "rhat_max": rhat,
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    df, channels, controls = case_study()
    out: dict = {}
    for tvp in (False, True):
        a = ours(df, channels, controls, tvp, args.draws, args.tune, args.seed)
        b = theirs(df, channels, controls, tvp, args.draws, args.tune, args.seed)
        ratio = (a["ess_bulk_min"] / a["wall_s"]) / (b["ess_bulk_min"] / b["wall_s"])
        label = "time-varying media" if tvp else "plain"
        for name, r in (("ours", a), ("theirs", b)):
            print(
                f"{label:20s} {name:6s} {r['backend']:24s} {r['chains']} chains  wall {r['wall_s']:7.1f} s  "
                f"min ESS bulk {r['ess_bulk_min']:7.0f}  ESS/s {r['ess_bulk_min'] / r['wall_s']:7.1f}  "
                f"R-hat max {r['rhat_max']:.3f}",
                flush=True,
            )
        prefix = "tvp_" if tvp else ""
        out[f"{prefix}ess_per_s_ratio"] = round(float(ratio), 3)
        out[f"{prefix}rhat_max"] = round(float(a["rhat_max"]), 4)
        out[f"{prefix}theirs_rhat_max"] = round(float(b["rhat_max"]), 4)
        out[f"{prefix}ours"] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in a.items()
        }
        out[f"{prefix}theirs"] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in b.items()
        }
    out.update(
        {
            "draws": args.draws,
            "tune": args.tune,
            "weeks": len(df),
            "channels": len(channels),
            "targets": {"ess_per_s_ratio": 2.0, "tvp_ess_per_s_ratio": 1.5, "rhat_max": 1.01},
        }
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()

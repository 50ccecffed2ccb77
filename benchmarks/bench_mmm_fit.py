"""Our default MMM fit against pymc-marketing's own default ``MMM.fit()``, side by side.

The case study's last 161 weeks, 10 media spend channels, 2 controls, geometric adstock
(l_max 8), logistic saturation, yearly seasonality: fitted once by ``MMMModel.fit()``
(our defaults, picked for ESS per second at R-hat ≤ 1.01: nutpie with its mass matrix
adapted from the draws' variances, on the model with its data frozen into constants) and
once by ``pymc_marketing.mmm.MMM.fit()`` with its defaults (``pm.sample``, which runs
nutpie with its default adaptation on the frozen model), each with its own default
draws, tuning and chains (pm.sample's chains: max(2, cores) = 2 on 2 cores) unless
``--draws``/``--tune`` set both. Reported: minimum bulk ESS per second of wall time
(building and compiling included) for each, their ratio (ours / theirs) and the worst
R-hat (the model is compiled once before either side is timed, so both find the compiled
functions cached); then the same with time-varying media (part ``tvp``), then the geo model (part
``geo``: pymc-marketing's multidimensional MMM on the Meridian geo data, 40 geos x 156
weeks x 5 channels, 2 controls, ``MMMModel``'s geo priors: adstock and saturation shape
shared across geos; pymc-marketing samples the very model ``MMMModel.build()`` makes).

    nice -n 10 .venv/bin/python benchmarks/bench_mmm_fit.py [--only plain,tvp,geo]
        [--skip geo] [--draws N] [--tune N] [--seed 1] [--geos N]

Last line: JSON with ``ess_per_s_ratio``, ``rhat_max``, ``tvp_ess_per_s_ratio``,
``tvp_rhat_max``, ``geo_ess_per_s_ratio``, ``geo_rhat_max`` (for the parts run), each
side's numbers and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

from bench_mmm_convergence import case_study, fit_ours, our_model


def warm_up(part: str, geos: int | None) -> float:
    """Compiles the part's model once, untimed, so that neither side's wall time pays for
    the first compilation (the compiled functions are cached for the same graph: whichever
    side ran first would pay for both). Returns the seconds it took."""
    import nutpie

    from bayes_widgets.core.mmm.fitting import sampling_model

    t0 = time.perf_counter()
    nutpie.compile_pymc_model(sampling_model(our_model(part, geos).build()))
    return time.perf_counter() - t0


def given(draws: int | None, tune: int | None) -> dict[str, int]:
    """Draws and tuning per chain where set (otherwise each side's own default)."""
    return {k: v for k, v in (("draws", draws), ("tune", tune)) if v is not None}


def min_ess_and_rhat(idata) -> tuple[float, float]:
    from bayes_widgets.core.fitting.diagnostics import summarize

    d = summarize(idata, backend="-", tune=0, wall_time_s=1.0, sampling_time_s=1.0)
    return d.ess_bulk_min, d.rhat_max


def ours(df, channels, controls, tvp: bool, draws: int | None, tune: int | None, seed: int):
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
    result = model.fit(seed=seed, **given(draws, tune))
    wall = time.perf_counter() - t0
    ess, rhat = min_ess_and_rhat(result.idata)
    return {
        "backend": model.backend,
        "chains": result.diagnostics.chains,
        "wall_s": wall,
        "ess_bulk_min": ess,
        "rhat_max": rhat,
    }


def theirs(df, channels, controls, tvp: bool, draws: int | None, tune: int | None, seed: int):
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
    idata = mmm.fit(X, df["sales"], random_seed=seed, progressbar=False, **given(draws, tune))
    wall = time.perf_counter() - t0
    ess, rhat = min_ess_and_rhat(idata)
    return {
        "backend": "pymc-marketing default",
        "chains": int(idata["posterior"].sizes["chain"]),
        "wall_s": wall,
        "ess_bulk_min": ess,
        "rhat_max": rhat,
    }


def geo_theirs(draws: int | None, tune: int | None, seed: int, geos: int | None):
    """pymc-marketing's default ``fit()`` of the same geo model (same data and priors)."""
    model = our_model("geo", geos)
    t0 = time.perf_counter()
    mmm = model.build()
    idata = mmm.fit(model.X(), model.y(), random_seed=seed, progressbar=False, **given(draws, tune))
    wall = time.perf_counter() - t0
    ess, rhat = min_ess_and_rhat(idata)
    return {
        "backend": "pymc-marketing default",
        "chains": int(idata["posterior"].sizes["chain"]),
        "wall_s": wall,
        "ess_bulk_min": ess,
        "rhat_max": rhat,
    }


def geo_ours(draws: int | None, tune: int | None, seed: int, geos: int | None):
    r = fit_ours("geo", seed=seed, geos=geos, **given(draws, tune))
    return {
        "backend": "nutpie",
        "chains": r["chains"],
        "wall_s": r["wall_s"],
        "ess_bulk_min": r["ess_bulk_min"],
        "rhat_max": r["rhat_max"],
    }


def geo_shape(geos: int | None) -> dict[str, int]:
    model = our_model("geo", geos)
    return {
        "geos": len(model.geos),
        "geo_weeks": int(model.data[model.date_column].nunique()),
        "geo_channels": len(model.channels),
    }


PARTS = ("plain", "tvp", "geo")
PREFIX = {"plain": "", "tvp": "tvp_", "geo": "geo_"}
LABEL = {"plain": "plain", "tvp": "time-varying media", "geo": "geo"}


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=None, help="per chain; default: each side's")
    parser.add_argument("--tune", type=int, default=None, help="per chain; default: each side's")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default=None, help="comma-separated parts: plain,tvp,geo")
    parser.add_argument("--skip", default=None, help="comma-separated parts to leave out")
    parser.add_argument("--geos", type=int, default=None, help="geo part: first N geos only")
    args = parser.parse_args()
    parts = [p for p in (args.only or ",".join(PARTS)).split(",") if p]
    skip = [p for p in (args.skip or "").split(",") if p]
    for p in (*parts, *skip):
        if p not in PARTS:
            parser.error(f"unknown part {p!r} (parts: {', '.join(PARTS)})")
    parts = [p for p in parts if p not in skip]
    df, channels, controls = case_study()
    out: dict = {"load_before": os.getloadavg()[0]}
    for part in parts:
        out[f"{PREFIX[part]}warm_up_s"] = round(warm_up(part, args.geos), 1)
        if part == "geo":
            a = geo_ours(args.draws, args.tune, args.seed, args.geos)
            b = geo_theirs(args.draws, args.tune, args.seed, args.geos)
        else:
            tvp = part == "tvp"
            a = ours(df, channels, controls, tvp, args.draws, args.tune, args.seed)
            b = theirs(df, channels, controls, tvp, args.draws, args.tune, args.seed)
        ratio = (a["ess_bulk_min"] / a["wall_s"]) / (b["ess_bulk_min"] / b["wall_s"])
        label = LABEL[part]
        for name, r in (("ours", a), ("theirs", b)):
            print(
                f"{label:20s} {name:6s} {r['backend']:24s} {r['chains']} chains  wall {r['wall_s']:7.1f} s  "
                f"min ESS bulk {r['ess_bulk_min']:7.0f}  ESS/s {r['ess_bulk_min'] / r['wall_s']:7.1f}  "
                f"R-hat max {r['rhat_max']:.3f}",
                flush=True,
            )
        prefix = PREFIX[part]
        out[f"{prefix}ess_per_s_ratio"] = round(float(ratio), 3)
        out[f"{prefix}rhat_max"] = round(float(a["rhat_max"]), 4)
        out[f"{prefix}theirs_rhat_max"] = round(float(b["rhat_max"]), 4)
        out[f"{prefix}ours"] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in a.items()
        }
        out[f"{prefix}theirs"] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in b.items()
        }
        out[f"{prefix}load"] = os.getloadavg()[0]
    out.update(
        {
            "draws": args.draws,
            "tune": args.tune,
            "weeks": len(df),
            "channels": len(channels),
            **(geo_shape(args.geos) if "geo" in parts else {}),
            "targets": {
                "ess_per_s_ratio": 4.0,
                "tvp_ess_per_s_ratio": 4.0,
                "geo_ess_per_s_ratio": 2.0,
                "rhat_max": 1.01,
            },
        }
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()

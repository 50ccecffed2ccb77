"""How reliably the default MMM fit converges: the largest R-hat over seeds, per model.

Fits each model once per seed with ``MMMModel.fit()``'s defaults (or the sampler options
given with ``--sampler-kwargs`` over them, and other draws, tuning or chains, to
compare candidates) and reports, per seed, the
largest R-hat over every posterior quantity (deterministics included) and the quantity
that has it, the smallest bulk ESS, the wall time and the bulk ESS per second.

Models: ``plain`` and ``tvp`` (the case study of ``bench_mmm_fit.py``, without and with
time-varying media) and ``geo`` (the Meridian geo data: 40 geos x 156 weeks x 5 channels).

    nice -n 10 .venv/bin/python benchmarks/bench_mmm_convergence.py \
        [--models plain,tvp,geo] [--seeds 1,2,3,4,5] [--draws N] [--tune N] [--chains N] \
        [--geos N] [--sampler-kwargs '{"target_accept": 0.9}']

Last line: JSON with, per model, ``rhat_max`` (one per seed), ``ess_bulk_min``,
``wall_s``, ``ess_per_s`` and ``worst`` (the quantity with the largest R-hat), and
``passed`` (every seed's R-hat ≤ 1.01).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from typing import Any

RHAT_TARGET = 1.01


def case_study():
    from bayes_widgets.datasets import mmm_case_study

    df = mmm_case_study(None).iloc[-161:].reset_index(drop=True)
    channels = [c for c in df.columns if c.startswith("mdsp_")]
    return df, channels, ["me_ics_all", "me_gas_dpg"]


def our_model(kind: str, geos: int | None = None):
    """The ``MMMModel`` for ``kind``: ``plain``, ``tvp`` (time-varying media) or ``geo``
    (the first ``geos`` geos of the Meridian data, all 40 by default)."""
    from bayes_widgets.core.mmm import MMMModel

    common = {"lag_max": 8, "adstock": "geometric", "saturation": "logistic"}
    if kind == "geo":
        from bayes_widgets.core.datasets import MMM_GEO_CHANNELS, MMM_GEO_CONTROLS, mmm_geo

        return MMMModel(
            mmm_geo(geos),
            target="revenue",
            date_column="time",
            channels=MMM_GEO_CHANNELS,
            controls=MMM_GEO_CONTROLS,
            yearly_seasonality=2,
            dims=("geo",),
            **common,
        )
    if kind not in ("plain", "tvp"):
        raise SystemExit(f"unknown model {kind!r} (models: plain, tvp, geo)")
    df, channels, controls = case_study()
    return MMMModel(
        df,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=controls,
        time_varying_media=kind == "tvp",
        yearly_seasonality=2,
        **common,
    )


def fit_ours(
    kind: str,
    *,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    seed: int,
    sampler_kwargs: dict[str, Any] | None = None,
    geos: int | None = None,
    first: int | None = None,
) -> dict[str, Any]:
    """One fit with ``MMMModel.fit``'s defaults; the options given replace them
    (``sampler_kwargs`` are merged over the default sampler options). With ``first``,
    also the R-hat and ESS of each chain's first ``first`` draws (the same run, shorter)."""
    given = {"draws": draws, "tune": tune, "chains": chains}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    model = our_model(kind, geos)
    t0 = time.perf_counter()
    result = model.fit(seed=seed, sampler_kwargs=sampler_kwargs, **options)
    wall = time.perf_counter() - t0
    out = measured(result.diagnostics, wall)
    if first is not None and first < result.diagnostics.draws_per_chain:
        out["first"] = first
        out.update({f"first_{k}": v for k, v in prefix_measures(result.idata, first).items()})
    return out


def prefix_measures(idata, first: int) -> dict[str, Any]:
    """Largest R-hat and smallest bulk ESS over each chain's first ``first`` draws."""
    import xarray as xr

    from bayes_widgets.core.fitting.diagnostics import summarize, variable_kinds

    posterior = idata["posterior"].to_dataset().isel(draw=slice(0, first))
    d = summarize(
        xr.DataTree.from_dict({"posterior": posterior}),
        backend="-",
        tune=0,
        wall_time_s=1.0,
        sampling_time_s=1.0,
        kinds=variable_kinds(idata),
    )
    return {"rhat_max": round(float(d.rhat_max), 4), "ess_bulk_min": round(d.ess_bulk_min, 1)}


def measured(diagnostics, wall: float) -> dict[str, Any]:
    worst = max(
        (p for p in diagnostics.parameters if p["r_hat"] == p["r_hat"]),
        key=lambda p: p["r_hat"],
        default=None,
    )
    ess = float(diagnostics.ess_bulk_min)
    return {
        "chains": diagnostics.chains,
        "wall_s": round(wall, 1),
        "rhat_max": round(float(diagnostics.rhat_max), 4),
        "ess_bulk_min": round(ess, 1),
        "ess_per_s": round(ess / wall, 2),
        "divergences": int(diagnostics.divergences),
        "worst": None if worst is None else worst["name"],
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="plain,tvp,geo")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--draws", type=int, default=None, help="default: MMMModel.fit's")
    parser.add_argument("--tune", type=int, default=None, help="default: MMMModel.fit's")
    parser.add_argument("--chains", type=int, default=None, help="default: MMMModel.fit's")
    parser.add_argument("--geos", type=int, default=None, help="first N geos only")
    parser.add_argument(
        "--first", type=int, default=None, help="also measure each chain's first N draws"
    )
    parser.add_argument(
        "--sampler-kwargs", default=None, help="JSON: sampler options instead of the defaults"
    )
    args = parser.parse_args()
    from bayes_widgets.core.mmm.fitting import DEFAULT_BACKEND, default_sampler_kwargs

    sampler_kwargs = None if args.sampler_kwargs is None else json.loads(args.sampler_kwargs)
    seeds = [int(s) for s in args.seeds.split(",")]
    out: dict[str, Any] = {
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "sampler_kwargs": {**default_sampler_kwargs(DEFAULT_BACKEND), **(sampler_kwargs or {})},
        "load_before": os.getloadavg()[0],
    }
    for kind in args.models.split(","):
        runs = []
        for seed in seeds:
            r = fit_ours(
                kind,
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                seed=seed,
                sampler_kwargs=sampler_kwargs,
                geos=args.geos,
                first=args.first,
            )
            r["load"] = round(os.getloadavg()[0], 2)
            runs.append(r)
            print(kind, f"seed {seed}", json.dumps(r), flush=True)
        out[kind] = {key: [r[key] for r in runs] for key in runs[0]}
        out[kind]["passed"] = all(r["rhat_max"] <= RHAT_TARGET for r in runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

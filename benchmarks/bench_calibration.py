"""Simulation-based calibration throughput: ours against simuk's ``SBC``, side by side.

    .venv/bin/python benchmarks/bench_calibration.py                  # 100 simulations each
    .venv/bin/python benchmarks/bench_calibration.py --simulations 10

Eight schools (non-centred), 4 chains x (500 tuning + 500 draws) per simulation, on
both sides. Ours runs with its defaults (nutpie, one worker process per core, the model
compiled once per worker); simuk 0.3.0 runs ``SBC(model, num_simulations=...,
sample_kwargs=...)`` with its defaults (``pm.sample`` per simulation). Each side's time
includes its prior draws and compilation. Prints one JSON line last:
``sims_per_min_ratio`` (ours over simuk), ``ours_sims_per_min``, ``simuk_sims_per_min``,
the seconds of each, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
import warnings

import numpy as np

SCHOOLS_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOLS_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
DRAWS, TUNE, CHAINS = 500, 500, 4


def eight_schools():
    """Eight schools, non-centred, with named dims."""
    import pymc as pm

    with pm.Model(coords={"school": np.arange(8)}) as model:
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        z = pm.Normal("z", mu=0.0, sigma=1.0, dims="school")
        theta = pm.Deterministic("theta", mu + tau * z, dims="school")
        pm.Normal("y", mu=theta, sigma=SCHOOLS_SIGMA, observed=SCHOOLS_Y, dims="school")
    return model


def run_ours(simulations: int) -> dict:
    from bayes_widgets.core.calibration import calibrate

    t0 = time.perf_counter()
    cal = calibrate(
        eight_schools(),
        simulations,
        draws=DRAWS,
        tune=TUNE,
        chains=CHAINS,
        seed=1,
        out=tempfile.mkdtemp(prefix="bw-bench-calibration-"),
    )
    seconds = time.perf_counter() - t0
    table = cal.simulations()
    verdicts = cal.verdicts()
    return {
        "seconds": seconds,
        "done": int((table["status"] == "done").sum()),
        "backend": cal.settings["backend"],
        "failed_parameters": sorted(n for n, v in verdicts.items() if not v.passed),
    }


def run_simuk(simulations: int) -> dict:
    import simuk

    for name in ("pymc", "pytensor", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sbc = simuk.SBC(
            eight_schools(),
            num_simulations=simulations,
            sample_kwargs={"draws": DRAWS, "tune": TUNE, "chains": CHAINS},
            seed=1,
            progress_bar=False,
        )
        sbc.run_simulations()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "done": int(sbc._simulations_complete)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=100)
    args = parser.parse_args()
    if args.simulations < 1:
        parser.error("--simulations: must be at least 1")
    load_before = os.getloadavg()
    ours = run_ours(args.simulations)
    print(f"ours: {ours}", flush=True)
    simuk = run_simuk(args.simulations)
    print(f"simuk: {simuk}", flush=True)
    ours_rate = 60.0 * ours["done"] / ours["seconds"]
    simuk_rate = 60.0 * simuk["done"] / simuk["seconds"]
    result = {
        "simulations": args.simulations,
        "draws": DRAWS,
        "tune": TUNE,
        "chains": CHAINS,
        "ours_backend": ours["backend"],
        "ours_seconds": round(ours["seconds"], 2),
        "ours_done": ours["done"],
        "ours_failed_parameters": ours["failed_parameters"],
        "simuk_seconds": round(simuk["seconds"], 2),
        "simuk_done": simuk["done"],
        "ours_sims_per_min": round(ours_rate, 2),
        "simuk_sims_per_min": round(simuk_rate, 2),
        "sims_per_min_ratio": round(ours_rate / simuk_rate, 2) if simuk_rate > 0 else None,
        "cpu_count": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

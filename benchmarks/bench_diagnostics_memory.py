"""Diagnostics of a geo MMM's posterior: what the per-scalar table costs in memory.

A synthetic posterior the size of the 40-geo MMM's (4 chains × 1000 draws; free
parameters per geo and channel, and two deterministics over date × geo × channel, 156 ×
40 × 5 = 31,200 scalars each: ~62,600 scalars, 2.0 GB of float64 draws) is summarised
two ways, each in a fresh process:

* ``before``: every scalar stacked into one (chain, draw, K) array and each ArviZ
  function run once on all of it (how the table was computed before it was blocked);
* ``after``: :func:`bayes_widgets.core.fitting.diagnostics.summarize`, whose table runs
  on blocks of at most ``BLOCK_BYTES`` of draws, with ArviZ's R-hat and ESS estimators
  vectorised over each block.

Reported per side: the process's peak RSS (``ru_maxrss``), its RSS once the posterior is
built, the difference (``extra_gb``: what the table's computation added), the wall
time and the CPU time (the machine may be shared); ``extra_ratio`` is before's extra
over after's, and ``same_numbers`` says whether the two sides' R-hat maxima and ESS
minima agree (to 1e-9).

    nice -n 10 .venv/bin/python benchmarks/bench_diagnostics_memory.py   # 15-30 min, 2 cores
    .venv/bin/python benchmarks/bench_diagnostics_memory.py --weeks 16   # ~2 min

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import last_line, quiet, table

GB = 1e9


def _rss_gb() -> float:
    """The process's resident memory now (Linux ``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / GB


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB


def _posterior(chains: int, draws: int, weeks: int, geos: int, channels: int):
    """Draws shaped like the geo MMM's posterior (free parameters first)."""
    import xarray as xr

    rng = np.random.default_rng(0)
    coords = {
        "date": np.arange(weeks),
        "geo": [f"geo_{g}" for g in range(geos)],
        "channel": [f"channel_{c}" for c in range(channels)],
    }
    cd = ("chain", "draw")
    variables = {
        "intercept": ((*cd, "geo"), rng.normal(size=(chains, draws, geos))),
        "adstock_alpha": ((*cd, "channel"), rng.beta(2, 5, size=(chains, draws, channels))),
        "saturation_beta": (
            (*cd, "geo", "channel"),
            rng.gamma(2.0, size=(chains, draws, geos, channels)),
        ),
        "y_sigma": (cd, rng.gamma(2.0, size=(chains, draws))),
    }
    det = (*cd, "date", "geo", "channel")
    shape = (chains, draws, weeks, geos, channels)
    for name in ("channel_contribution", "channel_contribution_original_scale"):
        variables[name] = (det, rng.standard_normal(size=shape))
    return xr.Dataset(variables, coords=coords)


def _before(posterior, kinds):
    """The table as it was: every scalar stacked, one ArviZ call per statistic."""
    import arviz_stats as azs

    order = sorted(posterior.data_vars, key=lambda n: kinds.get(n, "free") != "free")
    arrays = []
    for name in order:
        v = np.asarray(posterior[name].transpose("chain", "draw", ...).values, dtype=float)
        arrays.append(v.reshape(v.shape[0], v.shape[1], -1))
    flat = np.concatenate(arrays, axis=2)
    k = flat.shape[2]
    rhat = azs.rhat(flat)
    bulk = azs.ess(flat, method="bulk")
    azs.ess(flat, method="tail", prob=(0.05, 0.95))
    azs.hdi(flat.reshape(-1, k).T, prob=0.94)
    return float(np.nanmax(rhat)), float(np.nanmin(bulk))


def _after(posterior, kinds):
    import xarray as xr

    from bayes_widgets.core.fitting.diagnostics import summarize

    tree = xr.DataTree(children={"posterior": xr.DataTree(posterior)})
    d = summarize(tree, backend="-", tune=0, wall_time_s=1, sampling_time_s=1, kinds=kinds)
    return float(d.rhat_max), float(d.ess_bulk_min)


def side(name: str, args) -> dict:
    """One side, in this process: build the posterior, then time the table."""
    quiet()
    import arviz_stats  # noqa: F401  (imported before the posterior is measured)

    posterior = _posterior(args.chains, args.draws, args.weeks, args.geos, args.channels)
    kinds = {n: "deterministic" for n in posterior.data_vars if "contribution" in n}
    base = _rss_gb()
    t, cpu = time.perf_counter(), time.process_time()
    rhat_max, ess_min = (_before if name == "before" else _after)(posterior, kinds)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = _peak_gb()
    return {
        "side": name,
        "scalars": int(sum(np.prod(v.shape[2:]) for v in posterior.data_vars.values())),
        "draws_gb": round(sum(v.nbytes for v in posterior.data_vars.values()) / GB, 3),
        "rss_posterior_gb": round(base, 3),
        "peak_gb": round(peak, 3),
        "extra_gb": round(peak - base, 3),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "rhat_max": rhat_max,
        "ess_bulk_min": ess_min,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--geos", type=int, default=40)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--side", choices=["before", "after"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(side(args.side, args)))
        return
    results = {}
    for name in ("before", "after"):
        cmd = [sys.executable, __file__, "--side", name, *sys.argv[1:]]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    b, a = results["before"], results["after"]
    headers = [
        "side",
        "scalars",
        "draws GB",
        "RSS posterior GB",
        "peak GB",
        "extra GB",
        "wall s",
        "CPU s",
    ]
    keys = [
        "side",
        "scalars",
        "draws_gb",
        "rss_posterior_gb",
        "peak_gb",
        "extra_gb",
        "wall_s",
        "cpu_s",
    ]
    print(table([[r[k] for k in keys] for r in (b, a)], headers))
    from bayes_widgets.core.fitting.parameter_table import BLOCK_BYTES

    last_line(
        {
            "extra_ratio": round(b["extra_gb"] / max(a["extra_gb"], 1e-3), 1),
            "peak_ratio": round(b["peak_gb"] / a["peak_gb"], 2),
            "before_extra_gb": b["extra_gb"],
            "after_extra_gb": a["extra_gb"],
            "before_peak_gb": b["peak_gb"],
            "after_peak_gb": a["peak_gb"],
            "before_wall_s": b["wall_s"],
            "after_wall_s": a["wall_s"],
            "before_cpu_s": b["cpu_s"],
            "after_cpu_s": a["cpu_s"],
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "same_numbers": bool(
                np.isclose(b["rhat_max"], a["rhat_max"], rtol=1e-9)
                and np.isclose(b["ess_bulk_min"], a["ess_bulk_min"], rtol=1e-9)
            ),
            "scalars": a["scalars"],
            "draws_gb": a["draws_gb"],
            "block_mib": BLOCK_BYTES / 2**20,
            "settings": {k: getattr(args, k) for k in ("chains", "draws", "weeks", "geos")},
        }
    )


if __name__ == "__main__":
    main()

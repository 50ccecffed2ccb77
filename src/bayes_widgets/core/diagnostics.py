"""One diagnostics schema for every backend, computed with ArviZ.

Sampler statistics have different names per backend (PyMC ``reached_max_treedepth``,
nutpie ``maxdepth_reached``, NumPyro/ArviZ ``reached_max_tree_depth``); they are read
through one table of aliases. A variational fit (SVI) has the same fields (no
divergences or tree depths, R-hat of its single chain of guide draws is NaN) plus
``svi``: steps, convergence, final loss and speed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

_MAXDEPTH = ("reached_max_treedepth", "maxdepth_reached", "reached_max_tree_depth")
_DIVERGING = ("diverging",)
_ENERGY = ("energy",)


@dataclass(frozen=True)
class Diagnostics:
    """Convergence and cost of one fit. NaN where it cannot be computed (too few draws)."""

    backend: str
    chains: int
    draws_per_chain: int
    """Post-tuning draws kept per chain (the shortest chain, for partial fits)."""
    tune: int
    divergences: int
    max_treedepth_hits: int
    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    ebfmi: list[float]
    ebfmi_min: float
    wall_time_s: float
    sampling_time_s: float
    draws_per_s: float
    """Post-tuning draws of all chains per second of sampling time."""
    partial: bool = False
    parameters: list[dict[str, Any]] = field(default_factory=list)
    """Per scalar parameter: name, mean, sd, hdi bounds, ess_bulk, ess_tail, r_hat."""
    method: str = "mcmc"
    svi: dict[str, Any] | None = None
    """SVI only: steps, steps_requested, converged, final_loss, steps_per_s, compile_s, guide."""

    @property
    def converged(self) -> bool:
        """MCMC: R-hat ≤ 1.01, bulk and tail ESS ≥ 100 per chain, and no divergences.
        SVI: the loss stopped changing before the last step."""
        if self.method == "svi":
            return bool(self.svi and self.svi.get("converged"))
        return (
            self.rhat_max <= 1.01
            and self.ess_bulk_min >= 100 * self.chains
            and self.ess_tail_min >= 100 * self.chains
            and self.divergences == 0
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None)."""
        return _clean(asdict(self))

    def table(self):
        """The per-parameter summary as a pandas DataFrame indexed by name."""
        import pandas as pd

        return pd.DataFrame(self.parameters).set_index("name") if self.parameters else pd.DataFrame()


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _stat(stats, names) -> np.ndarray | None:
    for n in names:
        if stats is not None and n in stats:
            return np.asarray(stats[n].values)
    return None


def _group(tree, name):
    try:
        node = tree[name]
    except KeyError:
        return None
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def summarize(
    idata,
    *,
    backend: str,
    tune: int,
    wall_time_s: float,
    sampling_time_s: float,
    partial: bool = False,
    chains: int | None = None,
    method: str = "mcmc",
    svi: dict[str, Any] | None = None,
) -> Diagnostics:
    """Diagnostics of a finished or partial fit (``idata``: DataTree or None)."""
    posterior = _group(idata, "posterior") if idata is not None else None
    stats = _group(idata, "sample_stats") if idata is not None else None
    if posterior is None or posterior.sizes.get("draw", 0) == 0:
        return Diagnostics(
            backend=backend, chains=chains or 0, draws_per_chain=0, tune=tune,
            divergences=0, max_treedepth_hits=0, rhat_max=math.nan, ess_bulk_min=math.nan,
            ess_tail_min=math.nan, ebfmi=[], ebfmi_min=math.nan, wall_time_s=wall_time_s,
            sampling_time_s=sampling_time_s, draws_per_s=0.0, partial=partial,
            method=method, svi=svi,
        )
    n_chain = int(posterior.sizes["chain"])
    n_draw = int(posterior.sizes["draw"])
    diverging = _stat(stats, _DIVERGING)
    maxdepth = _stat(stats, _MAXDEPTH)
    energy = _stat(stats, _ENERGY)
    params = _parameter_table(posterior)
    rhat = [p["r_hat"] for p in params]
    bulk = [p["ess_bulk"] for p in params]
    tail = [p["ess_tail"] for p in params]
    ebfmi = _ebfmi(energy) if energy is not None and n_draw > 2 else []
    total = n_chain * n_draw
    return Diagnostics(
        backend=backend,
        chains=n_chain,
        draws_per_chain=n_draw,
        tune=tune,
        divergences=int(diverging.sum()) if diverging is not None else 0,
        max_treedepth_hits=int(maxdepth.sum()) if maxdepth is not None else 0,
        rhat_max=_nanmax(rhat),
        ess_bulk_min=_nanmin(bulk),
        ess_tail_min=_nanmin(tail),
        ebfmi=[float(e) for e in ebfmi],
        ebfmi_min=_nanmin(ebfmi),
        wall_time_s=float(wall_time_s),
        sampling_time_s=float(sampling_time_s),
        draws_per_s=total / sampling_time_s if sampling_time_s > 0 and method == "mcmc" else math.nan,
        partial=partial,
        parameters=params,
        method=method,
        svi=svi,
    )


def _nanmax(xs) -> float:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return max(xs) if xs else math.nan


def _nanmin(xs) -> float:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return min(xs) if xs else math.nan


def _ebfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain: mean squared energy change over energy variance."""
    diff = np.diff(energy, axis=1)
    var = np.var(energy, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(diff**2, axis=1) / var


def _parameter_table(posterior) -> list[dict[str, Any]]:
    """Per scalar component: mean, sd, 94% HDI, bulk/tail ESS and rank R-hat.

    All scalars are stacked into one (chain, draw, K) array so each ArviZ function
    runs once, vectorised, rather than once per variable.
    """
    import arviz_stats as azs

    labels: list[str] = []
    blocks = []
    for name, da in posterior.data_vars.items():
        if not np.issubdtype(da.dtype, np.number):
            continue
        arr = np.asarray(da.transpose("chain", "draw", ...).values, dtype=float)
        shape = arr.shape[2:]
        blocks.append(arr.reshape(arr.shape[0], arr.shape[1], math.prod(shape)))
        if shape == ():
            labels.append(name)
        else:
            labels.extend(f"{name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(*shape))
    if not blocks:
        return []
    flat = np.concatenate(blocks, axis=2)
    n_chain, n_draw, k = flat.shape
    nan = np.full(k, np.nan)
    enough = n_draw >= 4
    with np.errstate(all="ignore"):
        rhat = azs.rhat(flat) if enough and n_chain > 1 else nan
        bulk = azs.ess(flat, method="bulk") if enough else nan
        tail = azs.ess(flat, method="tail", prob=(0.05, 0.95)) if enough else nan
        hdi = azs.hdi(flat.reshape(-1, k).T, prob=0.94) if enough else np.full((k, 2), np.nan)
        mean = flat.mean(axis=(0, 1))
        sd = flat.reshape(-1, k).std(axis=0, ddof=1) if n_chain * n_draw > 1 else nan
    return [
        {
            "name": label,
            "mean": float(mean[j]),
            "sd": float(sd[j]),
            "hdi_3%": float(hdi[j, 0]),
            "hdi_97%": float(hdi[j, 1]),
            "ess_bulk": float(np.atleast_1d(bulk)[j]),
            "ess_tail": float(np.atleast_1d(tail)[j]),
            "r_hat": float(np.atleast_1d(rhat)[j]),
        }
        for j, label in enumerate(labels)
    ]


RUNNING_MAX_DRAWS = 5000
"""Draws per chain above which running diagnostics are estimated from subsets."""


def running_diagnostics(draws: np.ndarray, names, max_draws: int = RUNNING_MAX_DRAWS) -> list[dict[str, Any]]:
    """R-hat and ESS of traced scalars while sampling; ``draws`` is (chain, draw, k).

    Up to ``max_draws`` draws per chain they are computed on every draw. Beyond that
    (fast samplers make hundreds of thousands of draws, and ranking them all several
    times a minute would take a core), R-hat is computed on ``max_draws`` evenly spaced
    draws of each chain (still spanning the whole chains), and ESS on the last
    ``max_draws`` consecutive draws, scaled to the chain length (ESS/draw estimated on
    a contiguous window, which keeps the autocorrelation that thinning would hide).
    The final diagnostics always use every draw.
    """
    import arviz_stats as azs

    n_chain, n_draw, k = draws.shape
    out = []
    if n_draw < 20:
        return [{"name": n, "r_hat": None, "ess_bulk": None, "ess_tail": None, "draws": n_draw} for n in names]
    spread, recent, scale = draws, draws, 1.0
    if max_draws and n_draw > max_draws:
        spread = draws[:, np.linspace(0, n_draw - 1, max_draws).astype(int)]
        recent = draws[:, n_draw - max_draws :]
        scale = n_draw / max_draws
    with np.errstate(all="ignore"):
        rhat = azs.rhat(spread) if n_chain > 1 else np.full(k, np.nan)
        bulk = np.atleast_1d(azs.ess(recent, method="bulk")) * scale
        tail = np.atleast_1d(azs.ess(recent, method="tail", prob=(0.05, 0.95))) * scale
    for j, n in enumerate(names):
        out.append(
            _clean(
                {
                    "name": n,
                    "r_hat": float(np.atleast_1d(rhat)[j]),
                    "ess_bulk": float(bulk[j]),
                    "ess_tail": float(tail[j]),
                    "draws": int(n_draw),
                }
            )
        )
    return out


def rank_histograms(draws: np.ndarray, bins: int = 20) -> np.ndarray:
    """Rank-plot counts: ``draws`` (chain, draw, k) -> (k, chain, bins).

    Ranks are taken over all chains pooled; well-mixed chains give flat histograms.
    """
    from scipy.stats import rankdata

    n_chain, n_draw, k = draws.shape
    out = np.zeros((k, n_chain, bins))
    if n_draw == 0:
        return out
    for j in range(k):
        ranks = rankdata(draws[:, :, j].ravel()).reshape(n_chain, n_draw)
        edges = np.linspace(0.5, n_chain * n_draw + 0.5, bins + 1)
        for c in range(n_chain):
            out[j, c], _ = np.histogram(ranks[c], bins=edges)
    return out

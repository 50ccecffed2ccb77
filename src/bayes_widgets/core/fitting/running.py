"""Diagnostics while a fit runs: R-hat and ESS of the traced scalars so far, and rank-plot
counts.

    running_diagnostics(draws, ["mu", "tau"])   # draws: (chain, draw, k)
    rank_histograms(draws, bins=20)             # (k, chain, bins)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_widgets.core.fitting.rules import parameter_problems
from bayes_widgets.core.jsonable import jsonable

RUNNING_MAX_DRAWS = 5000
"""Draws per chain above which running diagnostics are estimated from subsets."""


def running_diagnostics(
    draws: np.ndarray, names, max_draws: int = RUNNING_MAX_DRAWS
) -> list[dict[str, Any]]:
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
        return [
            {
                "name": n,
                "r_hat": None,
                "ess_bulk": None,
                "ess_tail": None,
                "draws": n_draw,
                "problems": [],
            }
            for n in names
        ]
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
        row = {
            "name": n,
            "r_hat": float(np.atleast_1d(rhat)[j]),
            "ess_bulk": float(bulk[j]),
            "ess_tail": float(tail[j]),
            "draws": int(n_draw),
        }
        row["problems"] = parameter_problems(row, n_chain)
        out.append(jsonable(row))
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

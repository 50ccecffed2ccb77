"""The per-scalar table of a posterior, computed in blocks of bounded memory.

    rows = parameter_table(posterior, kinds={"mu": "deterministic"})
    rows[0]   # {"name": "beta[price]", "variable": "beta", "kind": "free", "mean": ...,
              #  "sd": ..., "hdi_3%": ..., "hdi_97%": ..., "ess_bulk": ..., "ess_tail": ...,
              #  "r_hat": ..., "problems": [...]}

Every scalar of every numeric variable gets its row (free parameters first, then
deterministics, each in model order), so the largest R-hat and the smallest ESS are over
every quantity and a problem can say how many values of a variable it touches. The
statistics run on a block of scalars at a time, holding at most :data:`BLOCK_BYTES` of
draws, so a geo MMM whose deterministics run over date × geo × channel (tens of
thousands of scalars, 4 × 1000 draws each) never holds all its draws twice, let alone
the copies ranking them makes. R-hat and the ESS are ArviZ's estimators computed on the
whole block at once (:func:`~bayes_widgets.core.fitting.fast_diagnostics.rank_diagnostics`;
ArviZ itself where a draw is not finite). Each scalar's numbers do not depend on the
block it falls in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.fast_diagnostics import TAIL_PROB, rank_diagnostics
from bayes_widgets.core.fitting.rules import parameter_problems

BLOCK_BYTES = 4 * 2**20
"""Draws (float64) of one block of scalars: 4 MiB, 131 scalars of 4 chains × 1000 draws.
Ranking, splitting and folding them takes about 12 times that at the peak."""


def element_labels(da) -> list[str]:
    """Names of the scalars of a (chain, draw, ...) DataArray, in C order: ``beta[price]``
    from coordinates, ``theta[0]`` by position where a dimension has none."""
    name = str(da.name)
    dims = [d for d in da.dims if d not in ("chain", "draw")]
    if not dims:
        return [name]
    labels = [
        [str(v) for v in da[d].values] if d in da.coords else [str(i) for i in range(da.sizes[d])]
        for d in dims
    ]
    return [
        f"{name}[{', '.join(labels[k][i] for k, i in enumerate(idx))}]"
        for idx in np.ndindex(*[da.sizes[d] for d in dims])
    ]


def block_size(n_chain: int, n_draw: int, block_bytes: int = BLOCK_BYTES) -> int:
    """Scalars per block: as many as fit ``block_bytes`` of float64 draws (at least one)."""
    return max(1, int(block_bytes) // max(1, 8 * n_chain * n_draw))


def parameter_table(
    posterior, kinds: dict[str, str] | None = None, *, block_bytes: int = BLOCK_BYTES
) -> list[dict[str, Any]]:
    """Per scalar component: mean, sd, 94% HDI, bulk/tail ESS, rank R-hat and the
    problems of :mod:`~bayes_widgets.core.fitting.rules`; free parameters first, then
    deterministics. ``block_bytes`` bounds the draws handed to ArviZ at once (the numbers
    are the same for any value)."""
    kinds = kinds or {}
    numeric = [n for n, da in posterior.data_vars.items() if np.issubdtype(da.dtype, np.number)]
    order = sorted(numeric, key=lambda n: kinds.get(n, "free") != "free")  # stable
    if not order:
        return []
    n_chain, n_draw = int(posterior.sizes["chain"]), int(posterior.sizes["draw"])
    block = block_size(n_chain, n_draw, block_bytes)
    rows: list[dict[str, Any]] = []
    for name in order:
        da = posterior[name].transpose("chain", "draw", ...)
        labels = element_labels(da)
        kind = kinds.get(name, "free")
        for start, stats in _blocks(da, block):
            for j in range(len(stats["mean"])):
                row = {"name": labels[start + j], "variable": name, "kind": kind}
                row.update({key: float(values[j]) for key, values in stats.items()})
                row["problems"] = parameter_problems(row, n_chain) if n_draw >= 4 else []
                rows.append(row)
    return rows


def _blocks(da, block: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """``(first scalar, its block's statistics)`` over one variable's scalars, ``block``
    at a time. The variable's draws are viewed, not copied; only a block is copied."""
    values = np.asarray(da.values)
    n_chain, n_draw = values.shape[:2]
    flat = values.reshape(n_chain, n_draw, math.prod(values.shape[2:]))
    for start in range(0, flat.shape[2], block):
        chunk = np.array(flat[:, :, start : start + block], dtype=float)
        yield start, block_statistics(chunk)


def block_statistics(draws: np.ndarray) -> dict[str, np.ndarray]:
    """The table's numbers of (chain, draw, k) draws, one value per scalar: ``mean``,
    ``sd``, ``hdi_3%``, ``hdi_97%``, ``ess_bulk``, ``ess_tail``, ``r_hat`` (NaN where too
    few draws or chains)."""
    import arviz_stats as azs

    n_chain, n_draw, k = draws.shape
    nan = np.full(k, np.nan)
    enough = n_draw >= 4
    with np.errstate(all="ignore"):
        if enough and np.isfinite(draws).all():
            rhat, bulk, tail = rank_diagnostics(draws)  # ArviZ's numbers, all scalars at once
        else:
            rhat = azs.rhat(draws) if enough and n_chain > 1 else nan
            bulk = azs.ess(draws, method="bulk") if enough else nan
            tail = azs.ess(draws, method="tail", prob=TAIL_PROB) if enough else nan
        pooled = draws.reshape(-1, k)
        hdi = azs.hdi(pooled.T, prob=0.94) if enough else np.full((k, 2), np.nan)
        mean = pooled.mean(axis=0)
        sd = pooled.std(axis=0, ddof=1) if n_chain * n_draw > 1 else nan
    hdi = np.asarray(hdi).reshape(k, 2)
    return {
        "mean": np.asarray(mean),
        "sd": np.asarray(sd),
        "hdi_3%": hdi[:, 0],
        "hdi_97%": hdi[:, 1],
        "ess_bulk": np.atleast_1d(bulk),
        "ess_tail": np.atleast_1d(tail),
        "r_hat": np.atleast_1d(rhat),
    }


__all__ = ["BLOCK_BYTES", "block_size", "block_statistics", "element_labels", "parameter_table"]

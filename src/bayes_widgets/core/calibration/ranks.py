"""Ranks of true values among posterior draws, thinned to near-independent draws.

    names = scalar_names("theta", (8,))            # ["theta[0]", ..., "theta[7]"]
    step = thin_step(draws, thin=None)              # from the smallest effective sample size
    rank = rank_of(truth, draws, step, max_rank, rng)

The rank of a true value is the number of kept posterior draws below it. With a fixed
``thin`` every ``thin``-th draw of each chain is kept and the ranks run over
``0..chains * ceil(draws / thin)`` exactly. With ``thin=None`` the step is chosen per
simulation from the effective sample size (the total draws over the smallest bulk or tail
ESS of the ranked parameters, at least 1), so the kept draws are near-independent; their
number then varies between simulations, and each rank ``r`` among ``n`` kept draws is put
on the common scale ``0..AUTO_MAX_RANK`` as ``floor((r + u) * (L + 1) / (n + 1))`` with
``u`` uniform on (0, 1): a uniform rank stays exactly uniform on the common scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

AUTO_MAX_RANK = 99
"""The rank scale (``0..99``, one hundred values) when the thinning follows the ESS."""


def scalar_names(name: str, shape: Sequence[int]) -> list[str]:
    """The scalar parameters of a variable: ``mu``; ``theta[0]``; ``beta[1,2]``."""
    if len(shape) == 0:
        return [name]
    return [f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape)]


def split_name(scalar: str) -> tuple[str, tuple[int, ...]]:
    """``"beta[1,2]"`` → ``("beta", (1, 2))``; ``"mu"`` → ``("mu", ())``."""
    if not scalar.endswith("]") or "[" not in scalar:
        return scalar, ()
    base, _, rest = scalar.partition("[")
    return base, tuple(int(i) for i in rest[:-1].split(","))


def scalar_draws(draws: dict[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """``(parameter, chain, draw)`` array of the named scalars from ``{var: (chain, draw, ...)}``."""
    out = []
    for scalar in names:
        base, idx = split_name(scalar)
        values = np.asarray(draws[base])
        out.append(values[(slice(None), slice(None), *idx)])
    return np.asarray(out, dtype=float)


def max_rank_for(chains: int, draws: int, thin: int | None) -> int:
    """The largest rank ``L`` (ranks are ``0..L``)."""
    if thin is None:
        return AUTO_MAX_RANK
    return chains * math.ceil(draws / thin)


def thin_step(values: np.ndarray, thin: int | None) -> tuple[int, float]:
    """``(step, smallest ESS)`` for ``values`` shaped ``(parameter, chain, draw)``."""
    from arviz_stats.base import array_stats

    total = values.shape[1] * values.shape[2]
    if values.shape[2] < 4:
        return (thin or 1), float("nan")
    bulk = np.asarray(array_stats.ess(values, method="bulk"), dtype=float)
    tail = np.asarray(array_stats.ess(values, method="tail", prob=(0.05, 0.95)), dtype=float)
    ess = np.concatenate([bulk.ravel(), tail.ravel()])
    ess = ess[np.isfinite(ess)]
    smallest = float(ess.min()) if ess.size else float("nan")
    if thin is not None:
        return thin, smallest
    if not math.isfinite(smallest) or smallest <= 0:
        return max(1, values.shape[2]), smallest
    return max(1, min(values.shape[2], math.floor(total / smallest))), smallest


def ranks_of(
    truth: np.ndarray,
    values: np.ndarray,
    step: int,
    max_rank: int,
    thin: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Ranks of ``truth`` (one per parameter) among every ``step``-th draw of each chain of
    ``values`` ``(parameter, chain, draw)``, on the scale ``0..max_rank``; and the number of
    draws kept."""
    kept = values[:, :, ::step].reshape(values.shape[0], -1)
    n = kept.shape[1]
    raw = (kept < np.asarray(truth, dtype=float)[:, None]).sum(axis=1)
    if thin is not None:
        return raw.astype(int), n
    u = rng.uniform(size=raw.shape)
    scaled = np.floor((raw + u) * (max_rank + 1) / (n + 1)).astype(int)
    return np.clip(scaled, 0, max_rank), n


__all__ = [
    "AUTO_MAX_RANK",
    "max_rank_for",
    "ranks_of",
    "scalar_draws",
    "scalar_names",
    "split_name",
    "thin_step",
]

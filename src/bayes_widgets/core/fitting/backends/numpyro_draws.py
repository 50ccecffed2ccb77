"""NumPyro NUTS draws, as the chunks of each chain left them, turned into a ``DataTree``
with ArviZ's group and statistic names (as ``arviz.from_numpyro``).

    tree = draws_to_datatree(logs, info, tune=1000, max_depth=10)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bayes_widgets.core.fitting.backends.numpyro_common import ModelInfo

STATS = ("diverging", "num_steps", "accept_prob", "potential_energy", "energy", "step_size")
"""NUTS statistics kept per draw."""


@dataclass
class ChainLog:
    """Host-side record of one chain: chunks of draws and what was reported."""

    chunks: list = field(default_factory=list)
    delivered: int = 0
    """Draws whose traced values reached the session's state."""
    divergences: int = 0
    divergences_tuning: int = 0
    t0: float | None = None
    paused_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def draws_to_datatree(logs: Sequence[ChainLog], info: ModelInfo, *, tune: int, max_depth):
    """The chains' draws as a DataTree (``warmup_*`` groups for the tuning draws), or None
    when no chain has a draw. ``max_depth`` is NUTS' tree-depth limit, or a pair
    (tuning, sampling)."""
    import xarray as xr

    per_chain = [_concatenated(log) for log in logs]
    lengths = [len(st["step_size"]) if st else 0 for _, st in per_chain]
    if max(lengths, default=0) == 0:
        return None
    children = {}
    for draws_group, stats_group, lo, hi in (
        ("warmup_posterior", "warmup_sample_stats", 0, tune),
        ("posterior", "sample_stats", tune, None),
    ):
        counts = [len(range(*slice(lo, hi).indices(n))) for n in lengths]
        if max(counts) == 0:
            continue
        post = {}
        for name in info.shapes:
            parts = [z[name][lo:hi] if z else None for z, _ in per_chain]
            post[name] = (
                ("chain", "draw", *info.dims[name]),
                _stack(parts, counts, info.shapes[name]),
            )
        stats = {}
        for key in STATS:
            parts = [st[key][lo:hi] if st else None for _, st in per_chain]
            stats[key] = _stack(parts, counts, ())
        depth_limit = max_depth
        if isinstance(depth_limit, tuple):  # (warmup, sampling)
            depth_limit = depth_limit[0] if lo == 0 else depth_limit[1]
        children[draws_group] = xr.DataTree(_dataset(post, counts))
        children[stats_group] = xr.DataTree(_dataset(_sample_stats(stats, depth_limit), counts))
    if info.observed:
        observed = {name: (info.dims[name], v) for name, v in info.observed.items()}
        children["observed_data"] = xr.DataTree(xr.Dataset(observed))
    return xr.DataTree(children=children)


def _concatenated(log: ChainLog) -> tuple[dict, dict]:
    if not log.chunks:
        return {}, {}
    z = {k: np.concatenate([ch["z"][k] for ch in log.chunks]) for k in log.chunks[0]["z"]}
    st = {k: np.concatenate([ch["stats"][k] for ch in log.chunks]) for k in STATS}
    return z, st


def _sample_stats(stats: dict, max_depth: int) -> dict:
    """ArviZ's names for NumPyro's statistics (as ``arviz.from_numpyro``)."""
    num_steps = stats["num_steps"]
    with np.errstate(all="ignore"):
        depth = np.floor(np.log2(np.maximum(np.asarray(num_steps, dtype=float), 1.0))) + 1
    if num_steps.dtype.kind in "iu":
        depth = depth.astype(int)
    out = {
        "diverging": stats["diverging"],
        "n_steps": num_steps,
        "tree_depth": depth,
        "reached_max_tree_depth": depth >= max_depth,
        "acceptance_rate": stats["accept_prob"],
        "lp": -stats["potential_energy"],
        "energy": stats["energy"],
        "step_size": stats["step_size"],
    }
    return {k: (("chain", "draw"), v) for k, v in out.items()}


def _stack(parts: Sequence[np.ndarray | None], counts: Sequence[int], shape: tuple) -> np.ndarray:
    """(chain, draw, *shape): chains of different lengths are padded with NaN."""
    n = max(counts)
    full = [p for p in parts if p is not None]
    if all(c == n for c in counts) and len(full) == len(parts):
        return np.stack(full)
    out = np.full((len(parts), n, *shape), np.nan)
    for i, (p, c) in enumerate(zip(parts, counts, strict=True)):
        if p is not None and c:
            out[i, :c] = p
    return out


def _dataset(variables: dict, counts: Sequence[int]):
    import xarray as xr

    n = max(counts)
    return xr.Dataset(
        variables,
        coords={"chain": np.arange(len(counts)), "draw": np.arange(n)},
        attrs={"inference_library": "numpyro", "sampler": "NUTS (bayes_widgets chunks)"},
    )

"""Makes a partial trace rectangular: chains cut to a common length, empty chains dropped."""

from __future__ import annotations

import numpy as np

_PAIRS = (("posterior", "sample_stats"), ("warmup_posterior", "warmup_sample_stats"))


def chain_lengths(stats) -> np.ndarray | None:
    """Draws per chain in a sample-stats group, NaN padding not counted."""
    for name in ("step_size", "energy", "lp", "logp"):
        if name in stats:
            values = np.asarray(stats[name].values, dtype=float)
            return np.isfinite(values).sum(axis=1)
    return None


def trim_partial(tree):
    """Returns ``tree`` with NaN padding removed; reports what was cut.

    A chain with no draws in the posterior is dropped when another has some; the
    others are cut to the shortest. Returns ``(tree, dropped_chains)``.
    """
    import xarray as xr

    if tree is None:
        return None, []
    dropped: list[int] = []
    children = dict(tree.children)
    for draws_group, stats_group in _PAIRS:
        if draws_group not in children or stats_group not in children:
            continue
        stats = children[stats_group].to_dataset()
        lengths = chain_lengths(stats)
        if lengths is None:
            continue
        keep = np.flatnonzero(lengths > 0)
        if len(keep) == 0:
            continue
        n = int(lengths[keep].min())
        if draws_group == "posterior":
            dropped = [int(c) for c in np.flatnonzero(lengths == 0)]
        for g in (draws_group, stats_group):
            ds = children[g].to_dataset()
            ds = ds.isel(chain=keep, draw=slice(0, n))
            children[g] = xr.DataTree(ds)
    out = xr.DataTree(tree.to_dataset(), children=children)
    return out, dropped

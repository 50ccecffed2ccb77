"""What the prior-predictive view shows: bands over time, or a histogram, and how many
draws fall outside a plausible range."""

from __future__ import annotations

from typing import Any

import numpy as np

BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)


def predictive_summary(draws: np.ndarray, *, lower: float | None = None, upper: float | None = None,
                       bins: int = 40) -> dict[str, Any]:
    """Summary of prior-predictive ``draws`` of shape (draws, ...) for display.

    A series (one axis after the draws) gets per-step quantile bands (5/25/50/75/95 %);
    anything gets a histogram of all values. ``lower``/``upper`` set the plausible
    range: the shares of values and of whole draws outside it are reported.
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim < 1 or draws.shape[0] == 0:
        raise ValueError("draws: expected an array with draws along the first axis")
    if lower is not None and upper is not None and lower >= upper:
        raise ValueError(f"lower: must be < upper (lower={lower:g}, upper={upper:g})")
    flat = draws.reshape(draws.shape[0], -1)
    out: dict[str, Any] = {"draws": int(draws.shape[0])}
    if draws.ndim == 2:
        q = np.quantile(draws, BANDS, axis=0)
        out["bands"] = {f"{p:g}": q[i].tolist() for i, p in enumerate(BANDS)}
    finite = flat[np.isfinite(flat)]
    counts, edges = np.histogram(finite, bins=bins) if finite.size else (np.zeros(bins), np.linspace(0, 1, bins + 1))
    out["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
    below = flat < lower if lower is not None else np.zeros_like(flat, dtype=bool)
    above = flat > upper if upper is not None else np.zeros_like(flat, dtype=bool)
    outside = below | above
    out["outside"] = {
        "lower": lower,
        "upper": upper,
        "share_below": float(below.mean()),
        "share_above": float(above.mean()),
        "share_values": float(outside.mean()),
        "share_draws": float(outside.any(axis=1).mean()),
    }
    return out

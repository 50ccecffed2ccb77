"""What the prior-predictive view shows, and how many draws fall outside a plausible range.

    predictive_summary(draws, lower=0, upper=100)          # bands (a series) and a histogram
    predictive_view(draws, observed, series=True)          # the view: bands over time ...
    predictive_view(draws, observed, series=False)         # ... or densities of values

A series (an observed variable over time) is drawn as quantile bands over its time axis
with the observed line; anything else (a regression over observations, a grid) as the
density of the prior-predictive values against the density of the observed values:
bands over an observation index would order rows that have no order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_widgets.core.checks import is_number
from bayes_widgets.core.priors.errors import PriorError
from bayes_widgets.core.priors.families import format_value

BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)
SHOWN = (0.005, 0.995)
"""Quantiles of the prior-predictive values that bound the density view (with the
observed values): a few extreme draws do not squash the rest into one bin."""


def predictive_summary(
    draws: np.ndarray, *, lower: float | None = None, upper: float | None = None, bins: int = 40
) -> dict[str, Any]:
    """Summary of prior-predictive ``draws`` of shape (draws, ...) for display.

    A series (one axis after the draws) gets per-step quantile bands (5/25/50/75/95 %);
    anything gets a histogram of all values. ``lower``/``upper`` set the plausible
    range: the shares of values and of whole draws outside it are reported.
    """
    draws = _check_draws(draws)
    lower, upper, bins = _check_range(lower, upper, bins)
    flat = draws.reshape(draws.shape[0], -1)
    out: dict[str, Any] = {"draws": int(draws.shape[0])}
    if draws.ndim == 2:
        q = np.quantile(draws, BANDS, axis=0)
        out["bands"] = {f"{p:g}": q[i].tolist() for i, p in enumerate(BANDS)}
    finite = flat[np.isfinite(flat)]
    counts, edges = (
        np.histogram(finite, bins=bins)
        if finite.size
        else (np.zeros(bins), np.linspace(0, 1, bins + 1))
    )
    out["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
    out["outside"] = _outside(flat, lower, upper)
    return out


def _check_draws(draws) -> np.ndarray:
    try:
        out = np.asarray(draws, dtype=float)
    except (TypeError, ValueError):
        raise PriorError(
            "draws", f"expected an array of numbers, got {type(draws).__name__}"
        ) from None
    if out.ndim < 1 or out.shape[0] == 0:
        raise PriorError("draws", "expected an array with draws along the first axis")
    return out


def _check_range(lower, upper, bins) -> tuple[float | None, float | None, int]:
    """The plausible range's bounds (None or finite numbers, lower < upper) and the bins."""
    for name, value in (("lower", lower), ("upper", upper)):
        if value is not None and (not is_number(value) or not np.isfinite(float(value))):
            raise PriorError(name, f"must be a finite number or None, got {value!r}")
    lower = None if lower is None else float(lower)
    upper = None if upper is None else float(upper)
    if lower is not None and upper is not None and lower >= upper:
        raise PriorError(
            "lower", f"must be < upper (lower={format_value(lower)}, upper={format_value(upper)})"
        )
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise PriorError("bins", f"must be a positive whole number, got {bins!r}")
    return lower, upper, int(bins)


def _outside(flat: np.ndarray, lower: float | None, upper: float | None) -> dict[str, Any]:
    below = flat < lower if lower is not None else np.zeros_like(flat, dtype=bool)
    above = flat > upper if upper is not None else np.zeros_like(flat, dtype=bool)
    outside = below | above
    return {
        "lower": lower,
        "upper": upper,
        "share_below": float(below.mean()),
        "share_above": float(above.mean()),
        "share_values": float(outside.mean()),
        "share_draws": float(outside.any(axis=1).mean()),
    }


def _density(values: np.ndarray, edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(values, bins=edges)
    total = values.size * np.diff(edges)
    return (counts / np.where(total > 0, total, 1.0)).tolist()


def predictive_view(
    draws: np.ndarray,
    observed: np.ndarray | None = None,
    *,
    series: bool,
    lower: float | None = None,
    upper: float | None = None,
    bins: int = 40,
) -> dict[str, Any]:
    """What the prior-predictive figure shows (see the module docstring).

    ``draws`` has shape (draws, ...), ``observed`` the shape of one draw (or ``None``).
    Returns ``mode`` (``"series"`` or ``"values"``), the bands or the two densities on
    common ``edges``, the shares outside ``lower``/``upper``, and ``note``: a sentence
    when the observed values cannot be drawn beside the draws (their shapes differ, as
    after ``pm.set_data`` of new inputs without new observations), else ``""``.
    """
    draws = _check_draws(draws)
    lower, upper, bins = _check_range(lower, upper, bins)
    flat = draws.reshape(draws.shape[0], -1)
    note = ""
    if observed is not None:
        observed = np.asarray(observed, dtype=float)
        if observed.shape != draws.shape[1:]:
            note = (
                f"the observed values ({_shape_words(observed.shape)}) do not match the prior "
                f"predictive ({_shape_words(draws.shape[1:])}), so they are not drawn"
            )
            observed = None
    out: dict[str, Any] = {
        "draws": int(draws.shape[0]),
        "note": note,
        "outside": _outside(flat, lower, upper),
    }
    if series and draws.ndim == 2:
        q = np.quantile(draws, BANDS, axis=0)
        out["mode"] = "series"
        out["bands"] = {f"{p:g}": q[i].tolist() for i, p in enumerate(BANDS)}
        out["x"] = list(range(draws.shape[1]))
        out["observed"] = (
            None if observed is None else [float(v) if np.isfinite(v) else None for v in observed]
        )
        return out
    values = flat[np.isfinite(flat)]
    seen = observed[np.isfinite(observed)].ravel() if observed is not None else np.empty(0)
    lo_hi = np.quantile(values, SHOWN) if values.size else np.array([0.0, 1.0])
    lo = min(lo_hi[0], seen.min()) if seen.size else lo_hi[0]
    hi = max(lo_hi[1], seen.max()) if seen.size else lo_hi[1]
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    shown = values[(values >= lo) & (values <= hi)]
    out["mode"] = "values"
    out["histogram"] = {
        "edges": edges.tolist(),
        "density": _density(shown, edges),
        "share_shown": float(shown.size / values.size) if values.size else 0.0,
    }
    out["observed_histogram"] = (
        {"edges": edges.tolist(), "density": _density(seen, edges)} if seen.size else None
    )
    return out


def _shape_words(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"{shape[0]} values"
    return "shape " + " × ".join(str(s) for s in shape) if shape else "a scalar"

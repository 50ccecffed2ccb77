"""The loss curve of a variational fit (SVI): a template the page streams losses into.

Per-step losses are averaged in bins of ``stride`` steps (the stride is fixed per
fit, so a run of any length is at most ~``LOSS_POINTS`` points), and smoothed by a
moving median over ``SMOOTH_BINS`` bins: trailing while the fit streams, centred in
the final figure (no lag). A median, unlike a mean or an exponential average, is not
dragged by the huge losses of the first steps. The source is named ``loss`` (columns
``x`` = step at the bin's centre, ``y`` = bin mean, ``s`` = smoothed); the y range is
a ``Range1d`` named ``loss-y`` that the browser sets from the data, ignoring the
early transient by default (the first steps' losses are often orders of magnitude
above the rest and would flatten the curve)::

    binner = LossBinner(loss_stride(20_000))
    text = loss_figure(20_000, binner.add(losses))  # json_item string
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections import deque

import numpy as np

from bayes_widgets.core.deprecation import deprecated_alias
from bayes_widgets.core.figures.base import fill_sources, fresh_ids, json_column, set_range, to_json
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import LINE_LIGHT, LINE_SMOOTH

LOSS_POINTS = 1000
"""Bins in a whole run's loss curve."""
SMOOTH_BINS = 11
"""Bins in the moving median of the smoothed curve (about 1% of a whole run)."""
TRANSIENT = 0.1
"""Share of the steps so far that the robust y range ignores."""
LOSS_COLOR = LINE_LIGHT
SMOOTH_COLOR = LINE_SMOOTH


def loss_stride(total_steps: int, points: int = LOSS_POINTS) -> int:
    return max(1, math.ceil(total_steps / points))


class LossBinner:
    """Turns a stream of per-step losses into bins of ``stride`` steps, with smoothing.

    ``add(losses)`` returns the columns of the bins completed by these losses;
    ``flush()`` returns the last, partial bin (call it once, at the end).
    """

    def __init__(self, stride: int, window: int = SMOOTH_BINS):
        self.stride = stride
        self._recent: deque[float] = deque(maxlen=window)
        self._pending = np.zeros(0)
        self._start = 0
        """Step index of the first pending loss."""

    def add(self, losses: np.ndarray) -> dict[str, list]:
        data = np.concatenate([self._pending, np.asarray(losses, dtype=float)])
        n_full = len(data) // self.stride
        out = self._bins(data[: n_full * self.stride].reshape(n_full, self.stride), self._start)
        self._start += n_full * self.stride
        self._pending = data[n_full * self.stride :]
        return out

    def flush(self) -> dict[str, list]:
        if not len(self._pending):
            return {"x": [], "y": [], "s": []}
        out = self._bins(self._pending[None, :], self._start)
        self._start += len(self._pending)
        self._pending = np.zeros(0)
        return out

    def _bins(self, blocks: np.ndarray, start: int) -> dict[str, list]:
        if not len(blocks):
            return {"x": [], "y": [], "s": []}
        width = blocks.shape[1]
        with np.errstate(all="ignore"):
            means = np.nanmean(np.where(np.isfinite(blocks), blocks, np.nan), axis=1)
        xs = start + width * np.arange(len(blocks)) + (width - 1) / 2
        smooth = np.empty(len(means))
        for i, m in enumerate(means):
            if np.isfinite(m):
                self._recent.append(float(m))
            smooth[i] = float(np.median(self._recent)) if self._recent else np.nan
        return {
            "x": [round(float(x), 1) for x in xs],
            "y": json_column(_round(means)),
            "s": json_column(_round(smooth)),
        }


def _round(a: np.ndarray) -> np.ndarray:
    out = np.asarray(a, dtype=float).copy()
    finite = np.isfinite(out)
    out[finite] = [float(f"{v:.6g}") for v in out[finite]]
    return out


def centered_smooth(ys, window: int = SMOOTH_BINS) -> list:
    """Moving median of ``ys`` over ``window`` points centred on each (the window shrinks,
    still centred, at the ends)."""
    y = np.asarray([np.nan if v is None else v for v in ys], dtype=float)
    n = len(y)
    out = np.full(n, np.nan)
    for i in range(n):
        half = min(window // 2, i, n - 1 - i)
        part = y[i - half : i + half + 1]
        part = part[np.isfinite(part)]
        if len(part):
            out[i] = np.median(part)
    return json_column(_round(out))


centred_smooth = deprecated_alias(centered_smooth, "centred_smooth")


def robust_range(ys, xs, *, transient: float = TRANSIENT) -> tuple[float, float] | None:
    """(start, end) of the y axis: the data after the first ``transient`` share of the
    steps, padded by 5% (all the data when that leaves fewer than 5 points)."""
    ys = np.asarray([np.nan if v is None else v for v in ys], dtype=float)
    xs = np.asarray(xs, dtype=float)
    if not len(ys):
        return None
    keep = xs >= transient * xs.max()
    if keep.sum() < 5:
        keep = np.ones(len(ys), dtype=bool)
    v = ys[keep & np.isfinite(ys)]
    if not len(v):
        return None
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 1e-9)
    return lo - pad, hi + pad


def loss_figure(total_steps: int, data: dict[str, list] | None = None) -> str:
    """The loss curve as a json_item string, empty or holding ``data`` (x, y, s columns)."""
    text = fresh_ids(_empty_loss_figure(int(total_steps)), uuid.uuid4().hex[:8])
    if not data or not data.get("x"):
        return text
    item = json.loads(text)
    data = {**data, "s": centered_smooth(data["y"])}
    fill_sources(item, {"loss": data})
    rng = robust_range(data["y"], data["x"])
    if rng is not None:
        set_range(item, "loss-y", rng)
    return json.dumps(item)


@functools.lru_cache(maxsize=16)
def _empty_loss_figure(total_steps: int, width: int = 560, height: int = 230) -> str:
    from bokeh.models import ColumnDataSource, Range1d
    from bokeh.plotting import figure

    source = ColumnDataSource({"x": [], "y": [], "s": []}, name="loss")
    f = figure(
        width=width,
        height=height,
        title="loss (negative ELBO)",
        toolbar_location="right",
        tools="pan,box_zoom,wheel_zoom,reset",
        x_range=Range1d(start=0, end=max(total_steps, 1), name="loss-x"),
        y_range=Range1d(start=0, end=1, name="loss-y"),
    )
    f.line("x", "y", source=source, color=LOSS_COLOR, line_width=1, legend_label="mean per bin")
    f.line("x", "s", source=source, color=SMOOTH_COLOR, line_width=2, legend_label="smoothed")
    f.xaxis.axis_label = "step"
    f.legend.location = "top_right"
    f.legend.label_text_font_size = "8pt"
    f.legend.background_fill_alpha = 0.5
    # bokeh's stubs type a legend splat's padding as Padding only
    f.legend.padding = 2  # pyright: ignore[reportAttributeAccessIssue]
    f.legend.spacing = 0
    readable_ticks(f)
    return to_json(f)

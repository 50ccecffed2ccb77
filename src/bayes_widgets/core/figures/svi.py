"""The loss curve of a variational fit (SVI), built in Python and streamed by BokehJS.

Per-step losses are averaged in bins of ``stride`` steps (the stride is fixed per
fit, so a run of any length is at most ~``LOSS_POINTS`` points), and smoothed by a
moving median over ``SMOOTH_BINS`` bins: trailing while the fit streams, centred in
the final figure (no lag). A median, unlike a mean or an exponential average, is not
dragged by the huge losses of the first steps. The source is named ``loss`` (columns
``x`` = step at the bin's centre, ``y`` = bin mean, ``s`` = smoothed); the y range is
a ``Range1d`` named ``loss-y`` that the browser sets from the data, ignoring the
early transient by default (the first steps' losses are often orders of magnitude
above the rest and would flatten the curve).
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections import deque

import numpy as np

from bayes_widgets.core.figures.fit import _fill_sources, _fresh_ids, _json_column
from bayes_widgets.core.figures.format import readable_ticks

LOSS_POINTS = 1000
"""Bins in a whole run's loss curve."""
SMOOTH_BINS = 11
"""Bins in the moving median of the smoothed curve (about 1% of a whole run)."""
TRANSIENT = 0.1
"""Share of the steps so far that the robust y range ignores."""
LOSS_COLOR = "#9ab6d8"
SMOOTH_COLOR = "#1f4e8c"


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
            "y": _json_column(_round(means)),
            "s": _json_column(_round(smooth)),
        }


def _round(a: np.ndarray) -> np.ndarray:
    out = np.asarray(a, dtype=float).copy()
    finite = np.isfinite(out)
    out[finite] = [float(f"{v:.6g}") for v in out[finite]]
    return out


def centred_smooth(ys, window: int = SMOOTH_BINS) -> list:
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
    return _json_column(_round(out))


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
    text = _fresh_ids(_empty_loss_figure(int(total_steps)), uuid.uuid4().hex[:8])
    if not data or not data.get("x"):
        return text
    item = json.loads(text)
    data = {**data, "s": centred_smooth(data["y"])}
    _fill_sources(item, {"loss": data})
    rng = robust_range(data["y"], data["x"])
    if rng is not None:
        _set_range(item, "loss-y", rng)
    return json.dumps(item)


def _set_range(node, name: str, rng: tuple[float, float]) -> bool:
    if isinstance(node, dict):
        attrs = node.get("attributes")
        if node.get("name") == "Range1d" and isinstance(attrs, dict) and attrs.get("name") == name:
            attrs["start"], attrs["end"] = rng
            return True
        return any(_set_range(v, name, rng) for v in node.values())
    if isinstance(node, list):
        return any(_set_range(v, name, rng) for v in node)
    return False


@functools.lru_cache(maxsize=16)
def _empty_loss_figure(total_steps: int, width: int = 560, height: int = 230) -> str:
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource, Range1d
    from bokeh.plotting import figure

    source = ColumnDataSource({"x": [], "y": [], "s": []}, name="loss")
    f = figure(
        width=width,
        height=height,
        title="loss (negative ELBO)",
        toolbar_location="right",
        tools="pan,box_zoom,wheel_zoom,reset",
        x_range=Range1d(0, max(total_steps, 1), name="loss-x"),
        y_range=Range1d(0, 1, name="loss-y"),
    )
    f.line("x", "y", source=source, color=LOSS_COLOR, line_width=1, legend_label="mean per bin")
    f.line("x", "s", source=source, color=SMOOTH_COLOR, line_width=2, legend_label="smoothed")
    f.xaxis.axis_label = "step"
    f.legend.location = "top_right"
    f.legend.label_text_font_size = "8pt"
    f.legend.background_fill_alpha = 0.5
    f.legend.padding = 2
    f.legend.spacing = 0
    readable_ticks(f)
    return json.dumps(json_item(f))

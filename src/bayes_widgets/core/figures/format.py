"""Readable numbers on figures and in tables: plain or SI form, never ``4.000e−3``.

    readable_ticks(fig)                 # every linear axis of a Bokeh figure
    format_number(0.004)                # '0.004'
    format_number(2_340_000)            # '2.34M'
    format_number(5.68e-10, resolution=1e-6)   # '0' (below what the variable resolves)

The tick formatter runs in the browser (a ``CustomJSTickFormatter``): it looks at the
spacing of the ticks of the current view, so zooming keeps labels exact and short.
"""

from __future__ import annotations

import math

SI_PREFIXES = (
    (1e12, "T"),
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
)
"""SI prefixes used for numbers too large or too small for plain form."""

PLAIN_RANGE = (1e-3, 1e5)
"""Magnitudes written in plain form (``0.004``, ``12,500`` → ``12500``); others in SI form."""

# The same rules as format_number, in the browser. ``ticks`` holds every tick of the axis:
# the decimals come from their spacing, the prefix from the largest magnitude.
_TICK_JS = """
const finite = ticks.filter((t) => Number.isFinite(t));
let step = Infinity;
for (let i = 1; i < finite.length; i++) {
  const d = Math.abs(finite[i] - finite[i - 1]);
  if (d > 0 && d < step) step = d;
}
const big = finite.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
if (!Number.isFinite(step)) step = big || 1;
const prefixes = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"]];
let scale = 1, suffix = "";
if (big >= 1e5 || (big > 0 && big < 1e-3)) {
  for (const [s, p] of prefixes) { if (big >= s) { scale = s; suffix = p; break; } }
  if (big < 1e-9) { scale = 1e-9; suffix = "n"; }
}
const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(step / scale) + 1e-9)));
if (Math.abs(tick) < step * 1e-9) return "0";
let text = (tick / scale).toFixed(decimals);
if (text.indexOf(".") >= 0 && suffix) text = text.replace(/0+$/, "").replace(/\\.$/, "");
return text.replace("-", "\\u2212") + suffix;
"""


def tick_formatter():
    """A Bokeh tick formatter writing ticks in plain or SI form (see the module docstring)."""
    from bokeh.models import CustomJSTickFormatter

    return CustomJSTickFormatter(code=_TICK_JS)


def readable_ticks(fig, axes: str = "xy"):
    """Gives the linear axes of ``fig`` (``"x"``, ``"y"`` or ``"xy"``) the readable tick
    formatter; categorical, datetime and log axes keep theirs. Returns ``fig``."""
    from bokeh.models import LinearAxis

    for side in axes:
        for axis in getattr(fig, f"{side}axis", []):
            if type(axis) is LinearAxis:
                # bokeh's stubs narrow a LinearAxis's formatter to BasicTickFormatter
                axis.formatter = tick_formatter()  # pyright: ignore[reportAttributeAccessIssue]
    return fig


def tick_count(fig, count: int, axes: str = "y"):
    """Asks for about ``count`` ticks on the linear axes of ``fig`` (a short plot wants
    few, so labels do not crowd). Returns ``fig``."""
    from bokeh.models import ContinuousTicker

    for side in axes:
        for axis in getattr(fig, f"{side}axis", []):
            if isinstance(axis.ticker, ContinuousTicker):
                axis.ticker.desired_num_ticks = count
    return fig


def format_number(x: float | None, *, digits: int = 3, resolution: float | None = None) -> str:
    """``x`` with ``digits`` significant digits, in plain form for magnitudes in
    :data:`PLAIN_RANGE` and SI form otherwise; ``0`` when ``|x|`` is below ``resolution``
    (the smallest difference that means anything for this variable); ``–`` for none/NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or (resolution is not None and abs(x) < resolution):
        return "0"
    a = abs(x)
    if PLAIN_RANGE[0] <= a < PLAIN_RANGE[1]:
        if a >= 10**digits:
            text = str(round(x))
        else:
            text = f"{x:.{digits}g}"
            if "e" in text:  # .3g of e.g. 0.00123 stays plain, but guard anyway
                text = f"{x:.{max(0, digits - 1 - math.floor(math.log10(a)))}f}"
    else:
        scale, suffix = next(((s, p) for s, p in SI_PREFIXES if a >= s), SI_PREFIXES[-1])
        text = f"{x / scale:.{digits}g}" + suffix
    return text


__all__ = [
    "PLAIN_RANGE",
    "SI_PREFIXES",
    "format_number",
    "readable_ticks",
    "tick_count",
    "tick_formatter",
]

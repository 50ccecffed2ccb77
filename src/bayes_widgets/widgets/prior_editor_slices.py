"""A prior editor's slices: what the page shows at every position of one slider.

When the pointer comes to a parameter's slider, the page asks for its slice: the kernel
computes, at ``n + 1`` evenly spaced positions of the slider's range, everything a reply
to an edit there would show (the parameters, the summary table, the density, the prior
predictive and, for an adstock or saturation prior, the transform curves), nearest
positions first, within a time budget. The slider then moves on those positions, and a
drag paints each of them from the slice without a round trip to the kernel; the position
let go of is sent, and its reply is the same view (the prior predictive draws from the
same random numbers every time).

Long numeric columns travel as binary buffers (``{"$f": i}`` stands for buffer ``i``:
float32, or float64 where float32 would lose digits); columns that are the same at every
position travel once, in ``common``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.core.priors import PriorError
from bayes_widgets.widgets.prior_editor_inputs import number, parameterization_arg

SLICE_POSITIONS = 100
"""Default intervals of a slider's range: 101 positions, 1 % of the range apart."""
MAX_POSITIONS = 200
SLICE_BUDGET_S = 0.4
"""Kernel time one part of a slice may take: the page asks for the next part when one
arrives, and an edit sent meanwhile waits for one part at most."""
PACK_MIN = 16
"""Shortest numeric column sent as a buffer."""


def slice_grid(msg: dict[str, Any]) -> tuple[float, float, int]:
    """The range and intervals a page asks a slice for; errors name the field."""
    lo, hi = number(msg, "lo"), number(msg, "hi")
    if not hi > lo:
        raise PriorError("hi", f"must be > lo (lo={lo:g}, hi={hi:g})")
    n = msg.get("n", SLICE_POSITIONS)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_POSITIONS:
        raise PriorError("n", f"must be a whole number from 2 to {MAX_POSITIONS}, got {n!r}")
    return lo, hi, n


def positions(lo: float, hi: float, n: int) -> list[float]:
    """The slider's positions: ``lo + k (hi - lo) / n``, k = 0..n (what the browser gives
    a range input with that min, max and step)."""
    step = (hi - lo) / n
    return [lo + k * step for k in range(n)] + [hi]


def nearest_first(grid: list[float], value: float) -> list[int]:
    return sorted(range(len(grid)), key=lambda k: abs(grid[k] - value))


def compute_slice(
    grid: list[float],
    current: float,
    view_at: Callable[[float], dict[str, Any] | None],
    *,
    skip: set[int] | frozenset[int] = frozenset(),
    budget_s: float = SLICE_BUDGET_S,
) -> tuple[list[dict[str, Any] | None], list[int]]:
    """``view_at(value)`` at each position not in ``skip``, nearest ``current`` first,
    until the budget is spent. Returns the views (None where not computed or refused) and
    the positions visited."""
    views: list[dict[str, Any] | None] = [None] * len(grid)
    start = time.perf_counter()
    visited: list[int] = []
    for k in nearest_first(grid, current):
        if k in skip:
            continue
        if visited and time.perf_counter() - start > budget_s:
            break
        views[k] = view_at(grid[k])
        visited.append(k)
    return views, visited


def factor_common(views: list[dict[str, Any] | None], part: str) -> dict[str, Any]:
    """Removes from each view's ``part`` the keys whose values are the same in every view,
    and returns them."""
    present = [v[part] for v in views if v is not None and isinstance(v.get(part), dict)]
    if len(present) < 2:
        return {}
    common = {
        k: present[0][k]
        for k in present[0]
        if all(k in other and other[k] == present[0][k] for other in present[1:])
    }
    for v in views:
        if v is not None and isinstance(v.get(part), dict):
            v[part] = {k: x for k, x in v[part].items() if k not in common}
    return common


def _numeric(values: list) -> bool:
    """Numbers, None for missing ones; at least one number (a list of Nones, such as a part
    of a slice with no view, stays a list)."""
    numbers = sum(1 for v in values if type(v) in (int, float))
    return numbers > 0 and all(v is None or type(v) in (int, float) for v in values)


def pack(obj: Any, buffers: list[bytes]) -> Any:
    """``obj`` with each long numeric list replaced by ``{"$f": i, "t": "f4"|"f8"}``, its
    numbers (None as NaN) appended to ``buffers``."""
    if isinstance(obj, dict):
        return {k: pack(v, buffers) for k, v in obj.items()}
    if isinstance(obj, list):
        if len(obj) >= PACK_MIN and _numeric(obj):
            arr = np.array([np.nan if v is None else v for v in obj], dtype=np.float64)
            finite = arr[np.isfinite(arr)]
            narrow = arr.astype(np.float32)
            # float32 keeps ~7 digits: enough to draw, not for large numbers such as dates
            lossless = not finite.size or np.max(np.abs(finite)) < 1e7
            data, kind = (narrow, "f4") if lossless else (arr, "f8")
            buffers.append(data.tobytes())
            return {"$f": len(buffers) - 1, "t": kind}
        return [pack(v, buffers) for v in obj]
    return obj


class SlicedEditor:
    """The slice side of :class:`~bayes_widgets.widgets.prior_editor.PriorEditor`: its
    ``context`` and its answers to the page's ``slice`` messages (``self`` is the editor:
    its traits and helpers)."""

    def _update_context(self: Any) -> None:
        """Sets :attr:`context`: a digest of everything the shown element's views depend
        on other than its own parameters."""
        import hashlib

        shown = {}
        for name, prior in self.prior_dists.items():
            params = {}
            for k, v in prior.params.items():
                arr = np.array(v, dtype=float, copy=True).ravel()
                if name == self.variable:
                    arr[min(self.element, arr.size - 1)] = np.nan  # the shown element
                params[k] = arr.tolist()
            shown[name] = [prior.family, params]
        mp = self.model_priors
        state = {
            "priors": shown,
            "plausible": self.plausible,
            "quantiles": list(self.quantiles),
            "channel": self.channel,
            "geo": self.geo,
            "data": "" if mp is None else repr(sorted(mp.data_changes().items())),
            "fitted": bool(self.transform_panel and self.transform_panel.fitted()),
        }
        text = json.dumps(state, sort_keys=True, default=str)
        self.context = hashlib.sha1(text.encode()).hexdigest()[:16]

    def _basis(self: Any) -> dict[str, Any]:
        """What a slice was computed from (the page keys it by this)."""
        return {
            "context": self.context,
            "variable": self.variable,
            "element": self.element,
            "family": self.family,
            "parameterization": self.parameterization,
            "values": dict(self.values),
        }

    def slice_views(
        self: Any,
        param: str,
        lo: float,
        hi: float,
        n: int,
        *,
        skip: Iterable[int] = (),
        budget_s: float | None = None,
    ) -> tuple[list[float], list[dict[str, Any] | None], list[int], bool]:
        """The views at the ``n + 1`` positions of parameter ``param`` of the shown element
        between ``lo`` and ``hi``, nearest the current value first, within ``budget_s``
        (default :data:`SLICE_BUDGET_S`; positions in ``skip`` are left out). Returns the positions, the views (None where
        not computed), the positions whose value is refused (e.g. a scale of 0) and whether
        every position not skipped was done. The priors are left as they were."""
        if param not in self.values:
            raise PriorError(
                "param", f"{param!r} is not a parameter here ({', '.join(self.values)})"
            )
        name, current = self.variable, self.prior_dists[self.variable]
        panel, mp = self.transform_panel, self.model_priors
        transforms = panel if panel is not None and mp is not None and name in panel.names else None
        pz = parameterization_arg(self.parameterization)

        def view_at(value: float) -> dict[str, Any] | None:
            try:
                new = current.with_element(self.element, parameterization=pz, **{param: value})
            except PriorError:
                return None
            self._put(name, new)
            view = self._element_view(new)
            if mp is not None:
                predictive, failure = self._predictive_now()
                if failure is not None:
                    return None
                view["predictive"] = predictive
            if transforms is not None and mp is not None:
                try:
                    view["transforms"] = transforms.view(mp.priors)
                except MMMDataError:
                    return None
            return view

        grid = positions(lo, hi, n)
        try:
            budget = SLICE_BUDGET_S if budget_s is None else budget_s
            views, visited = compute_slice(
                grid, float(self.values[param]), view_at, skip=set(skip), budget_s=budget
            )
        finally:
            self._put(name, current)
        refused = [k for k in visited if views[k] is None]
        left = len(grid) - len(set(skip)) - len(visited)
        return grid, views, refused, left <= 0

    def _on_slice(self: Any, msg) -> None:
        """The page asks for a slider's slice, or the next part of it (see
        ``prior_editor_slices``). ``have`` is the basis of the slice the page holds and
        ``skip`` the positions it has (or knows refused): on the same basis only the
        others are computed, and a complete slice is answered ``same``."""
        request, param = msg.get("request"), str(msg.get("param", ""))
        self._update_context()  # the model's data may have changed since the last edit
        basis = self._basis()
        try:
            lo, hi, n = slice_grid(msg)
            have = msg.get("have")
            same = isinstance(have, dict) and _same_basis(have, basis, param, (lo, hi, n))
            skip = _indices(msg.get("skip"), n) if same else set()
            if same and len(skip) == n + 1:
                self.send_message("slice", request=request, variable=param, same=True)
                return
            grid, views, refused, done = self.slice_views(param, lo, hi, n, skip=skip)
        except PriorError as exc:  # the page falls back to round trips
            self.send_message("slice", request=request, variable=param, values=[], error=str(exc))
            return
        common = {"predictive": factor_common(views, "predictive")}
        buffers: list[bytes] = []
        content = {
            "type": "slice",
            "request": request,
            "variable": param,
            "values": grid,
            "summaries": pack(views, buffers),
            "common": common,  # sent once: exact numbers
            "refused": refused,
            "done": done,
            "basis": {**basis, "lo": lo, "hi": hi, "n": n},
        }
        self.send(content, buffers=buffers or None)


def _same_basis(
    have: dict[str, Any], basis: dict[str, Any], param: str, grid: tuple[float, float, int]
) -> bool:
    """Whether a slice of ``param`` made on basis ``have`` is still right: the same
    everything and the same positions, except ``param``'s own value."""
    others = {k: v for k, v in basis["values"].items() if k != param}
    held = {k: v for k, v in (have.get("values") or {}).items() if k != param}
    keys = ("context", "variable", "element", "family", "parameterization")
    same_grid = (have.get("lo"), have.get("hi"), have.get("n")) == grid
    return same_grid and others == held and all(have.get(k) == basis[k] for k in keys)


def _indices(value: Any, n: int) -> set[int]:
    """Positions 0..n named in a page's ``skip``; anything else is ignored."""
    if not isinstance(value, list):
        return set()
    return {k for k in value if isinstance(k, int) and not isinstance(k, bool) and 0 <= k <= n}


__all__ = [
    "MAX_POSITIONS",
    "SLICE_BUDGET_S",
    "SLICE_POSITIONS",
    "SlicedEditor",
    "compute_slice",
    "factor_common",
    "nearest_first",
    "pack",
    "positions",
    "slice_grid",
]

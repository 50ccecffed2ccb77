"""What a budget's variables are, over a fitted MMM's response columns.

    layout = budget_layout(response, allocate="channel", last=8)
    layout.names              # ("tv", "radio"): one variable per channel
    layout.columns(X)         # (K, C) spend per channel × geo column of plans X (K, V)
    layout.spend              # (N, V) each variable's spend per period in the data

A national model's columns are its channels, and so are the variables. A geo model
(``dims=("geo",)``) has one column per channel × geo; by default (``allocate="channel"``)
the budget still has one variable per channel, its spend split across the geos in
proportion to each geo's recent spend on that channel (``split`` sets other weights),
while the response is computed per geo from the posterior. ``allocate="geo"`` makes every
channel × geo column a variable of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.checks import check_number
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.mmm.response import MMMResponse

Allocate = Literal["channel", "geo"]


@dataclass(frozen=True, eq=False)
class BudgetLayout:
    """The variables of a budget and how their spend reaches the response's columns."""

    allocate: Allocate
    names: tuple[str, ...]
    """The variables: channels, or channel × geo columns (``"tv[geo_a]"``)."""
    to_columns: np.ndarray | None
    """``(V, C)``: the share of each variable's spend going to each column; None when
    the variables are the columns."""
    spend: np.ndarray
    """``(N, V)``: each variable's spend per period in the training data."""
    column_group: tuple[str, ...]
    """Each column's geo (its coordinates joined by ", "); empty for a national model."""

    @property
    def groups(self) -> tuple[str, ...]:
        """The geos, in the data's order (none for a national model)."""
        return tuple(dict.fromkeys(self.column_group))

    def columns(self, X: np.ndarray) -> np.ndarray:
        """Plans over the variables ``(K, V)`` (or ``(V,)``) as plans over the columns."""
        return X if self.to_columns is None else X @ self.to_columns

    def from_columns(self, values: np.ndarray) -> np.ndarray:
        """Per-column values ``(..., C)`` summed into the variables ``(..., V)``."""
        if self.to_columns is None:
            return values
        return values @ (self.to_columns > 0).T.astype(float)

    def marginals(self, by_column: np.ndarray) -> np.ndarray:
        """Per-variable marginals ``(S, V)`` from per-column ones ``(S, C)``: one more unit
        of a channel goes to its geos by its split."""
        return by_column if self.to_columns is None else by_column @ self.to_columns.T


def budget_layout(response: MMMResponse, allocate: Any, split: Any, last: int) -> BudgetLayout:
    """The layout of a budget over ``response`` (see the module docstring)."""
    geo = bool(response.dims)
    groups = tuple(", ".join(c) for c in response.column_coords) if geo else ()
    if allocate not in (None, "channel", "geo"):
        raise DecisionInputError("allocate", f"must be 'channel' or 'geo', got {allocate!r}")
    if not geo or allocate == "geo":
        if split is not None:
            raise DecisionInputError(
                "split", "applies to a geo model allocated per channel (allocate='channel')"
            )
        kind: Allocate = "geo" if geo else "channel"
        return BudgetLayout(kind, tuple(response.channels), None, response.spend, groups)
    channels = tuple(dict.fromkeys(response.column_channel))
    owner = np.array([channels.index(c) for c in response.column_channel])
    to_columns = np.zeros((len(channels), len(response.channels)))
    given = _check_split(split, channels, groups, owner)
    for i, channel in enumerate(channels):
        cols = np.flatnonzero(owner == i)
        to_columns[i, cols] = _shares(
            response.spend[:, cols], last, given.get(channel), groups, cols
        )
    member = np.zeros_like(to_columns)
    member[owner, np.arange(len(owner))] = 1.0
    return BudgetLayout("channel", channels, to_columns, response.spend @ member.T, groups)


def _shares(spend: np.ndarray, last: int, given: Mapping[str, float] | None, groups, cols):
    """One channel's split across its geo columns: the given weights, else its recent
    spend per geo (its spend over all periods if it spent nothing lately; evenly if none)."""
    if given is not None:
        weights = np.array([given.get(groups[j], 0.0) for j in cols])
    else:
        weights = spend[-last:].mean(axis=0)
        if weights.sum() <= 0:
            weights = spend.mean(axis=0)
    if weights.sum() <= 0:
        weights = np.ones(len(cols))
    return weights / weights.sum()


def _check_split(split: Any, channels, groups, owner) -> dict[str, dict[str, float]]:
    """``{channel: {geo: weight}}``: known channels and geos, weights ≥ 0, some > 0."""
    if split is None:
        return {}
    if not isinstance(split, Mapping):
        raise DecisionInputError(
            "split", f"expected {{channel: {{geo: weight}}}}, got {type(split).__name__}"
        )
    out: dict[str, dict[str, float]] = {}
    for channel, weights in split.items():
        if channel not in channels:
            raise DecisionInputError(
                "split", f"unknown channel {channel!r}; channels: {', '.join(channels)}"
            )
        field = f"split.{channel}"
        if not isinstance(weights, Mapping):
            raise DecisionInputError(field, f"expected {{geo: weight}}, got {weights!r}")
        known = {groups[j] for j in np.flatnonzero(owner == channels.index(channel))}
        checked = {}
        for geo, w in weights.items():
            if geo not in known:
                raise DecisionInputError(
                    field, f"unknown geo {geo!r}; geos: {', '.join(sorted(known))}"
                )
            checked[str(geo)] = check_number(
                f"{field}.{geo}", w, low=0.0, low_open=False, error=DecisionInputError
            )
        if not sum(checked.values()) > 0:
            raise DecisionInputError(field, "needs a positive weight for at least one geo")
        out[str(channel)] = checked
    return out


__all__ = ["Allocate", "BudgetLayout", "budget_layout"]

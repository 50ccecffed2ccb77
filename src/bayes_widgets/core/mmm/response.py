"""A fitted media-mix model's response to a spend plan, per posterior draw, in numpy.

    response = mmm_response(model)                   # a fitted MMMModel (or pymc-marketing MMM)
    response.response({"x1": 0.4, "x2": 0.3})        # (S,) incremental response, original units
    response.response(plans, horizon=13)             # (K, S) for K plans at once
    response.marginal_roas({"x1": 0.4, "x2": 0.3})   # (S, C) response per extra unit of spend
    current = current_plan(model, last=8)            # recent average spend per period

Supported: pymc-marketing's ``MMM`` with geometric, delayed, binomial, Weibull (PDF and
CDF) or no adstock in ``ConvMode.After``, and logistic, inverse-scaled logistic,
Michaelis-Menten, Hill, Hill sigmoid, tanh (plain or baselined), root, log or no
saturation; identity link, no time-varying media; national or with panel dims (a geo
model's plan has one spend per channel and geo, labelled ``"tv[geo_a]"``, and its
response is summed over the geos). Anything else
raises :class:`~bayes_widgets.core.decision.errors.DecisionInputError` naming it. Effects
added with ``add_mu_effect`` that read the channel data are not seen. Spends are in the
units of the model's channel data (money, unless the model was given a ``cost_per_unit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.checks import check_int, check_positive_int
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.mmm.response_reader import read_media
from bayes_widgets.core.mmm.transforms import SATURATION_CURVES, convolve

DEFAULT_HORIZON = 8
"""Periods a plan runs for, unless told (8 weeks on weekly data)."""
DEFAULT_LAST = 8
"""Periods averaged into the current plan, unless told."""
CHUNK_ELEMENTS = 100_000
"""Most saturation evaluations per vectorised block: bounds the memory of a batch, and
blocks that stay in the processor's cache are several times faster per evaluation."""
MARGINAL_STEP = 1e-4
"""Step of the marginal ROAS's central differences, relative to each column's largest
spend per period."""


@dataclass(frozen=True, eq=False)
class MMMResponse:
    """A fitted MMM's media response as numpy arrays over ``S`` posterior draws.

    Built by :func:`mmm_response`; spends are in the model's channel units (its own
    spend data), responses in the target's original units.

    A plan spends ``x_c`` per period on each channel ``c`` for ``horizon`` periods; from
    then on nothing. Its response is, per posterior draw, the sum over the horizon and the
    ``l_max - 1`` periods after it (the last ones its adstock reaches) of every channel's
    contribution::

        u_{c,t} = sum_l w_{c,l} x_{c,t-l} / s_c          (adstock of the scaled spend)
        response = T * sum_{c,t} f_c(u_{c,t})           (saturation, times the target scale T)

    where ``w`` is the adstock kernel of the draw (normalized to sum to one when the
    model's adstock is), ``s_c`` the channel scale, ``f_c`` the saturation curve of the
    draw (with its coefficient) and ``T`` the target scale (per geo in a geo model, whose
    columns ``c`` are its channel × geo pairs); with ``adstock_first=False``
    the order is swapped. The contributions of the model's own historical spend equal its
    ``channel_contribution`` draws times ``T``.

    The adstock is linear, so a constant plan's adstocked input is ``x_c`` times a profile
    that does not depend on ``x``: the profile is computed once per horizon
    (:meth:`window`), and a plan costs one saturation curve per draw, channel and distinct
    period (at most ``2 l_max - 1``, whatever the horizon). By default the window starts
    cold (nothing spent before it); with ``carry_in=True`` it starts where the training
    data ends, with the adstock its last ``l_max - 1`` periods leave, and the response is
    the increment over spending nothing in the window.
    """

    channels: tuple[str, ...]
    """The plan's columns: the channels, or for a model with dims every channel × geo
    (``"tv[geo_a]"``), channel by channel."""
    kernel: np.ndarray = field(repr=False)
    """Adstock weights per draw, channel and lag ``(S, C, l_max)``, normalised as the model's."""
    saturation: str
    """The saturation's pymc-marketing class name."""
    saturation_params: dict[str, np.ndarray] = field(repr=False)
    """The saturation curve's parameters per draw and channel, each ``(S, C)``."""
    channel_scale: np.ndarray = field(repr=False)
    """What each channel's spend is divided by before the adstock and saturation ``(C,)``."""
    target_scale: np.ndarray = field(repr=False)
    """What turns the model's scaled target into original units, per column ``(C,)``."""
    adstock_first: bool
    spend: np.ndarray = field(repr=False)
    """The training data's spend per period ``(N, C)``."""
    draw_index: np.ndarray = field(repr=False)
    """Positions of the draws among the posterior's chain-major ``chain x draw`` draws."""
    dims: tuple[str, ...] = ()
    """The model's panel dims (``("geo",)`` for a geo model, ``()`` for a national one)."""
    column_channel: tuple[str, ...] = ()
    """Each column's channel (the columns themselves in a national model)."""
    column_coords: tuple[tuple[str, ...], ...] = ()
    """Each column's coordinates along :attr:`dims` (``("geo_a",)``; ``()`` if national)."""
    _windows: dict[tuple[int, bool], ResponseWindow] = field(
        default_factory=dict, init=False, repr=False
    )

    @property
    def n_draws(self) -> int:
        return self.kernel.shape[0]

    @property
    def l_max(self) -> int:
        return self.kernel.shape[-1]

    # ---------------------------------------------------------------- public
    def contributions(self, spend: Any) -> np.ndarray:
        """Each period's contribution of each channel, ``(S, T, C)`` in original units,
        for a spend series ``(T, C)`` (array in channel order, or a DataFrame with the
        channel columns) with nothing spent before it.

        For the training data's spend this is the model's ``channel_contribution``
        times the target scale, draw by draw.
        """
        x = self._series(spend)
        inv = self._inverse_scale()
        u = x.T * inv[:, None]  # (C, T) scaled spend
        if self.adstock_first:
            out = self._saturate(convolve(u, self.kernel), self.saturation_params)
        else:
            saturated = self._saturate(u[None], self.saturation_params)  # (S, C, T)
            out = convolve(saturated, self.kernel)
        return np.moveaxis(out, -1, 1) * self.target_scale

    def response(
        self,
        plan: Any,
        horizon: int = DEFAULT_HORIZON,
        *,
        carry_in: bool = False,
        by_channel: bool = False,
    ) -> np.ndarray:
        """Incremental response per draw to spending ``plan`` per period for ``horizon``
        periods (see the module docstring), in the target's original units.

        ``plan``: ``{channel: spend per period}`` (every channel), an array ``(C,)`` in
        channel order, or ``(K, C)`` for ``K`` plans. Returns ``(S,)`` for one plan and
        ``(K, S)`` for ``K``; with ``by_channel`` a trailing channel axis is kept.
        """
        X, single = self._plans(plan)
        window = self.window(check_horizon(horizon), bool(carry_in))
        out = self.window_response(X, window.arrays, window.weights, by_channel=by_channel)
        return out[0] if single else out

    def plan_from(self, values: Any, field: str = "plan") -> np.ndarray:
        """A plan as a float array in channel order (from a dict or a sequence)."""
        X, single = self._plans(values, field=field)
        if not single:
            raise DecisionInputError(field, f"expected one plan, got {len(X)}")
        return X[0]

    def window(self, horizon: int, carry_in: bool = False) -> ResponseWindow:
        """The plan-independent part of the response over a window of ``horizon`` periods
        (and the carry-over after it), per draw; cached."""
        key = (horizon, carry_in)
        if key not in self._windows:
            self._windows[key] = self._make_window(horizon, carry_in)
        return self._windows[key]

    def window_response(
        self,
        X: np.ndarray,
        arrays: Mapping[str, np.ndarray],
        weights: np.ndarray,
        *,
        by_channel: bool = False,
        params: Mapping[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """``(K, S)`` (or ``(K, S, C)``) responses of per-period plans ``X (K, C)`` (unchecked)
        over a window's ``arrays`` and ``weights`` (see :meth:`window`; a budget problem
        passes them as its scenarios), with other saturation ``params`` if given."""
        params = self.saturation_params if params is None else params
        K, C = X.shape
        if not self.adstock_first:
            u = (X * self._inverse_scale())[:, None, :]  # (K, 1, C)
            y = self._saturate(u, params, trailing=0) * arrays["adstock_total"]  # (K, S, C)
            y = y * self.target_scale
            return y if by_channel else y.sum(axis=-1)
        adstocked = arrays["adstocked"]
        S, _, T = adstocked.shape
        carried = arrays.get("carry_in")
        base = arrays.get("carry_in_response")  # (S, C)
        if carried is not None and base is None:
            base = (self._saturate(carried, params) * weights).sum(axis=-1)
        out = np.empty((K, S, C) if by_channel else (K, S))
        step = max(1, CHUNK_ELEMENTS // (S * C * T))
        for a in range(0, K, step):
            u = X[a : a + step, None, :, None] * adstocked  # (k, S, C, T)
            if carried is not None:
                u += carried
            y = (self._saturate(u, params) * weights).sum(axis=-1)  # (k, S, C)
            if base is not None:
                y -= base
            y *= self.target_scale
            out[a : a + step] = y if by_channel else y.sum(axis=-1)
        return out

    def marginal_roas(
        self, plan: Any, horizon: int = DEFAULT_HORIZON, *, carry_in: bool = False
    ) -> np.ndarray:
        """Marginal ROAS of each column at ``plan`` (spend per period), per draw ``(S, C)``:
        the response one more unit of spend brings, spread over the ``horizon`` periods
        like the plan's, i.e. ``d response / d x_c`` divided by ``horizon``. In the
        target's units per unit of spend (money back per unit of money when the target is
        money). Central differences of :data:`MARGINAL_STEP` of the column's largest spend
        (one-sided at 0); the response is a sum over columns, so both plans of the
        difference serve every column at once."""
        x = self.plan_from(plan)
        horizon = check_horizon(horizon)
        window = self.window(horizon, bool(carry_in))
        largest = self.spend.max(axis=0) if len(self.spend) else np.ones(len(x))
        h = MARGINAL_STEP * np.where(largest > 0, largest, np.maximum(self.channel_scale, 1.0))
        up, down = x + h, np.maximum(x - h, 0.0)
        y = self.window_response(
            np.stack([up, down]), window.arrays, window.weights, by_channel=True
        )  # (2, S, C)
        return (y[0] - y[1]) / ((up - down) * horizon)

    # ------------------------------------------------------------- internals
    def _inverse_scale(self) -> np.ndarray:
        s = self.channel_scale
        with np.errstate(divide="ignore"):
            inv = 1.0 / s
        return np.where(np.isfinite(inv), inv, 0.0)  # the model zeroes x / 0

    def _saturate(
        self, x: np.ndarray, params: Mapping[str, np.ndarray], trailing: int = 1
    ) -> np.ndarray:
        """Saturation of scaled input ``x`` with ``(S, C)`` parameters, which line up with
        the axes of ``x`` before its last ``trailing`` ones (``(..., S, C, T)`` by default)."""
        fn = SATURATION_CURVES[self.saturation]
        shaped = {k: v.reshape(v.shape + (1,) * trailing) for k, v in params.items()}
        return fn(x, **shaped)

    def _series(self, spend: Any) -> np.ndarray:
        if hasattr(spend, "columns"):
            missing = [c for c in self.channels if c not in spend.columns]
            if missing:
                raise DecisionInputError("spend", f"has no columns {missing}")
            spend = spend[list(self.channels)].to_numpy(dtype=float)
        try:
            x = np.asarray(spend, dtype=float)
        except (TypeError, ValueError):
            raise DecisionInputError("spend", "must be numbers") from None
        if x.ndim != 2 or x.shape[1] != len(self.channels):
            raise DecisionInputError(
                "spend", f"expected shape (periods, {len(self.channels)}), got {x.shape}"
            )
        if not np.isfinite(x).all():
            raise DecisionInputError("spend", "must be finite")
        return x

    def _plans(self, plan: Any, field: str = "plan") -> tuple[np.ndarray, bool]:
        C = len(self.channels)
        if isinstance(plan, Mapping):
            unknown = sorted(set(map(str, plan)) - set(self.channels))
            missing = [c for c in self.channels if c not in plan]
            if unknown or missing:
                raise DecisionInputError(
                    field,
                    f"needs exactly the channels {list(self.channels)}; "
                    f"missing {missing}, unknown {unknown}",
                )
            plan = [plan[c] for c in self.channels]
        try:
            X = np.asarray(plan, dtype=float)
        except (TypeError, ValueError):
            raise DecisionInputError(field, f"must be numbers, got {plan!r}") from None
        single = X.ndim == 1
        X = np.atleast_2d(X)
        if X.ndim != 2 or X.shape[1] != C:
            raise DecisionInputError(
                field,
                f"expected {C} spends ({', '.join(self.channels)}) or (K, {C}), got {X.shape}",
            )
        if not np.isfinite(X).all() or (X < 0).any():
            raise DecisionInputError(field, "spends must be finite and not negative")
        return X, single

    def _make_window(self, horizon: int, carry_in: bool) -> ResponseWindow:
        _S, C, L = self.kernel.shape
        inv = self._inverse_scale()
        if not self.adstock_first:
            # f then adstock: every period's saturated spend is counted sum(w) times
            # (the window holds all of the kernel); the carry-in adds a constant
            return ResponseWindow({"adstock_total": horizon * self.kernel.sum(axis=-1)}, np.ones(1))
        # distinct periods: the ramp-up, one steady period (all lags inside the plan,
        # nothing left of the carry-in) counted horizon - l_max + 1 times, the tail
        n_tail = L - 1
        if horizon > L:
            periods = np.r_[np.arange(L), np.arange(horizon, horizon + n_tail)]
            weights = np.r_[np.ones(L - 1), horizon - L + 1, np.ones(n_tail)]
        else:
            periods = np.arange(horizon + n_tail)
            weights = np.ones(len(periods))
        T = horizon + n_tail
        unit = np.zeros((C, T))
        unit[:, :horizon] = inv[:, None]
        arrays = {"adstocked": convolve(unit, self.kernel)[..., periods]}  # (S, C, T')
        if carry_in and L > 1:
            past = self.spend[-(L - 1) :].T * inv[:, None]  # (C, <= L-1)
            n_past = past.shape[1]
            series = np.concatenate([past, np.zeros((C, T))], axis=1)
            carried = convolve(series, self.kernel)[..., n_past:][..., periods]
            arrays["carry_in"] = carried
            # what the carry-in alone yields, subtracted from every plan's response
            arrays["carry_in_response"] = (
                self._saturate(carried, self.saturation_params) * weights
            ).sum(axis=-1)
        return ResponseWindow(arrays, weights)


@dataclass(frozen=True)
class ResponseWindow:
    """The part of the response over a window that does not depend on the plan."""

    arrays: dict[str, np.ndarray]
    """Per-draw arrays (leading axis ``S``) that, with the saturation parameters, fix
    the response of any constant plan over the window."""
    weights: np.ndarray
    """How many periods each column of ``adstocked`` stands for."""


def check_horizon(horizon: Any) -> int:
    """A horizon: a whole number of periods ≥ 1."""
    return check_positive_int("horizon", horizon, error=DecisionInputError)


# -------------------------------------------------------------- from the model
def mmm_response(mmm: Any, *, draws: int | None = None, seed: int | None = None) -> MMMResponse:
    """The media response of a fitted model (an :class:`MMMModel` or a pymc-marketing
    ``MMM``, national or with dims such as ``("geo",)``) over its posterior draws: all of
    them, or ``draws`` of them picked at random (without replacement, reproducibly with
    ``seed``)."""
    return MMMResponse(**read_media(mmm, draws, seed))


def as_response(mmm: Any, draws: int | None = None, seed: int | None = None) -> MMMResponse:
    if isinstance(mmm, MMMResponse):
        if draws is None or draws >= mmm.n_draws:
            return mmm
        raise DecisionInputError("draws", "pass draws to mmm_response(), not with an MMMResponse")
    return mmm_response(mmm, draws=draws, seed=seed)


def current_plan(mmm: Any, last: int = DEFAULT_LAST) -> dict[str, float]:
    """The current plan: each channel's average spend per period over the training
    data's ``last`` periods. ``mmm``: a fitted model or an :class:`MMMResponse`."""
    response = as_response(mmm)
    last = check_int("last", last, low=1, high=len(response.spend), error=DecisionInputError)
    means = response.spend[-last:].mean(axis=0)
    return {c: float(v) for c, v in zip(response.channels, means)}


__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_LAST",
    "MMMResponse",
    "ResponseWindow",
    "as_response",
    "check_horizon",
    "current_plan",
    "mmm_response",
]

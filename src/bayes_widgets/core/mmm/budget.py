"""Budget what-ifs on a fitted media-mix model: the response to a spend plan, per posterior draw.

    response = mmm_response(model)                   # a fitted MMMModel (or pymc-marketing MMM)
    response.response({"x1": 0.4, "x2": 0.3})        # (S,) incremental response, original units
    response.response(plans, horizon=13)             # (K, S) for K plans at once
    current = current_plan(model, last=8)            # recent average spend per period
    problem = budget_problem(model, horizon=8)       # a DecisionProblem over the channels
    problem.optimise("mean")                         # or "cvar" at level 0.05, ...

**The response.** A plan spends ``x_c`` per period on each channel ``c`` for ``horizon``
periods; from then on nothing. Its response is, per posterior draw, the sum over the
horizon and the ``l_max - 1`` periods after it (the last ones its adstock reaches) of
every channel's contribution, in the target's original units:

    u_{c,t} = sum_l w_{c,l} x_{c,t-l} / s_c          (adstock of the scaled spend)
    response = T * sum_{c,t} f_c(u_{c,t})           (saturation, times the target scale T)

where ``w`` is the adstock kernel of the draw (normalised to sum to one when the model's
adstock is, as by default), ``s_c`` the model's channel scale, ``f_c`` the saturation
curve of the draw (including its coefficient ``beta``) and ``T`` the target scale; with
``adstock_first=False`` the order is swapped. These are pymc-marketing's own formulas
(``pymc_marketing.mmm.transformers``), in numpy: the contributions of the model's own
historical spend equal its ``channel_contribution`` draws times ``T``.

The adstock is linear, so a constant plan's adstocked input is ``x_c`` times a profile
that does not depend on ``x``; the profile is computed once per horizon, and evaluating
a plan costs one saturation curve per draw, channel and distinct period (at most
``2 l_max - 1`` of them, whatever the horizon).

By default the window starts cold (nothing spent before it). With ``carry_in=True`` it
starts where the training data ends, with the adstock left by its last ``l_max - 1``
periods (as pymc-marketing's ``budget_optimizer`` does); the response is then the
increment over spending nothing in the window, which still depends on the plan alone.

Supported: pymc-marketing's ``MMM`` with geometric, delayed, binomial, Weibull (PDF and
CDF) or no adstock in ``ConvMode.After``, and logistic, inverse-scaled logistic,
Michaelis-Menten, Hill, Hill sigmoid, tanh (plain or baselined), root, log or no
saturation; identity link, no extra panel dims, no time-varying media. Anything else
raises :class:`DecisionInputError` naming it. Effects added with ``add_mu_effect`` that
read the channel data are not seen. Spends are in the units of the model's channel data
(money, unless the model was given a ``cost_per_unit``).

**pymc-marketing's optimiser.** pymc-marketing 1.3 has ``MMM.budget_optimizer(start_date,
end_date)``: a ``BudgetOptimizer`` whose ``allocate_budget(total, budget_bounds)`` maximises
a utility (the mean by default; VaR, CVaR, Sharpe ratio and others in
``pymc_marketing.mmm.utility``) of ``total_media_contribution_original_scale`` over the
window, with per-period budgets, ``sum == total``, SLSQP on a compiled PyTensor graph and
the carry-in from the training data; its ``evaluate_response_distribution(plan)`` gives the
per-draw response of a labelled plan. Both work on a model fitted by :meth:`MMMModel.fit`,
and this module's tests check that our ``carry_in=True`` response equals that per-draw
response minus the response to zero spend, and that our mean-optimal plan matches its
optimum. Its risk utilities are not comparable with ours: they score the total response,
carry-in included, whose plan-independent part differs from draw to draw; and it compiles
a graph per window (seconds). :func:`budget_problem` hands the same response to the
decision engine instead, for any of its risk measures, money (``value_per_unit``) and
``per="horizon"`` budgets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.decision.constraints import budget
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.variables import DecisionVariable

DEFAULT_HORIZON = 8
"""Periods a plan runs for, unless told (8 weeks on weekly data)."""
DEFAULT_LAST = 8
"""Periods averaged into the current plan, unless told."""
DEFAULT_UPPER_MULTIPLE = 2.0
"""Default upper bound of a channel: this multiple of its largest historical spend per
period (beyond the data the saturation curves are extrapolations)."""
CHUNK_ELEMENTS = 2_000_000
"""Most saturation evaluations per vectorised block (bounds the memory of a batch)."""

Per = Literal["period", "horizon"]


# --------------------------------------------------------------------- components
def _geometric(lags, l_max, *, alpha):
    return alpha[..., None] ** lags


def _delayed(lags, l_max, *, alpha, theta):
    return alpha[..., None] ** ((lags - theta[..., None]) ** 2)


def _binomial(lags, l_max, *, alpha):
    return (1.0 - lags / (l_max + 1)) ** (1.0 / alpha[..., None] - 1.0)


def _weibull_pdf(lags, l_max, *, lam, k):
    t = lags + 1.0
    lam, k = lam[..., None], k[..., None]
    z = t / lam
    w = k / lam * z ** (k - 1.0) * np.exp(-(z**k))
    lo, hi = w.min(axis=-1, keepdims=True), w.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w - lo) / (hi - lo)


def _weibull_cdf(lags, l_max, *, lam, k):
    t = lags[1:] + 0.0
    survival = np.exp(-((t / lam[..., None]) ** k[..., None]))
    ones = np.ones((*survival.shape[:-1], 1))
    return np.cumprod(np.concatenate([ones, survival], axis=-1), axis=-1)


def _no_adstock(lags, l_max):
    return (lags == 0).astype(float)


_ADSTOCKS: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    # class name -> (kernel(lags, l_max, **params), whether `normalize` applies)
    "GeometricAdstock": (_geometric, True),
    "DelayedAdstock": (_delayed, True),
    "BinomialAdstock": (_binomial, True),
    "WeibullPDFAdstock": (_weibull_pdf, True),
    "WeibullCDFAdstock": (_weibull_cdf, True),
    "NoAdstock": (_no_adstock, False),
}
_HALFLIFE = {
    # retention rate from a half-life, for the adstocks that offer that parametrisation
    "GeometricAdstock": lambda h: 0.5 ** (1.0 / h),
    "DelayedAdstock": lambda h: 2.0 ** (-1.0 / h**2),
}


def _expit(z):
    from scipy.special import expit

    return expit(z)


def _hill(x, *, slope, kappa, beta):
    tiny = np.finfo(np.float64).tiny
    z = slope * (np.log(np.maximum(x, tiny)) - np.log(kappa))
    return beta * np.where(x > 0, _expit(z), 0.0)


_SATURATIONS: dict[str, Callable[..., np.ndarray]] = {
    # (1 - e^-z) / (1 + e^-z) == tanh(z / 2)
    "LogisticSaturation": lambda x, *, lam, beta: beta * np.tanh(0.5 * lam * x),
    "InverseScaledLogisticSaturation": (
        lambda x, *, lam, beta: beta * np.tanh(0.5 * math.log(3.0) / lam * x)
    ),
    "MichaelisMentenSaturation": lambda x, *, alpha, lam: alpha * x / (lam + x),
    "HillSaturation": _hill,
    "HillSaturationSigmoid": (
        lambda x, *, sigma, beta, lam: sigma * (_expit(beta * (x - lam)) - _expit(-beta * lam))
    ),
    "TanhSaturation": lambda x, *, b, c: b * np.tanh(x / (b * c)),
    "TanhSaturationBaselined": (
        lambda x, *, x0, gain, r, beta: beta * gain * x0 * np.tanh(x * np.arctanh(r) / x0) / r
    ),
    "RootSaturation": lambda x, *, alpha, beta: beta * x**alpha,
    "LogSaturation": lambda x, *, beta: beta * np.log1p(x),
    "NoSaturation": lambda x, *, beta: beta * x,
}


# ------------------------------------------------------------------------ response
@dataclass(frozen=True, eq=False)
class MMMResponse:
    """A fitted MMM's media response as numpy arrays over ``S`` posterior draws.

    Built by :func:`mmm_response`; spends are in the model's channel units (its own
    spend data), responses in the target's original units.
    """

    channels: tuple[str, ...]
    kernel: np.ndarray = field(repr=False)
    """Adstock weights per draw, channel and lag ``(S, C, l_max)``, normalised as the model's."""
    saturation: str
    """The saturation's pymc-marketing class name."""
    saturation_params: dict[str, np.ndarray] = field(repr=False)
    """The saturation curve's parameters per draw and channel, each ``(S, C)``."""
    channel_scale: np.ndarray = field(repr=False)
    """What each channel's spend is divided by before the adstock and saturation ``(C,)``."""
    target_scale: float
    """What turns the model's scaled target into original units."""
    adstock_first: bool
    spend: np.ndarray = field(repr=False)
    """The training data's spend per period ``(N, C)``."""
    draw_index: np.ndarray = field(repr=False)
    """Positions of the draws among the posterior's chain-major ``chain x draw`` draws."""
    _windows: dict = field(default_factory=dict, init=False, repr=False)

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
            out = self._saturate(_convolve(u, self.kernel), self.saturation_params)
        else:
            saturated = self._saturate(u[None], self.saturation_params)  # (S, C, T)
            out = _convolve(saturated, self.kernel)
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
        window = self._window(_check_horizon(horizon), bool(carry_in))
        out = self._window_response(X, window.arrays, window.weights, by_channel=by_channel)
        return out[0] if single else out

    def plan_from(self, values: Any, field: str = "plan") -> np.ndarray:
        """A plan as a float array in channel order (from a dict or a sequence)."""
        X, single = self._plans(values, field=field)
        if not single:
            raise DecisionInputError(field, f"expected one plan, got {len(X)}")
        return X[0]

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
        fn = _SATURATIONS[self.saturation]
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

    def _window(self, horizon: int, carry_in: bool) -> _Window:
        """The plan-independent part of the response over a window, per draw (cached)."""
        key = (horizon, carry_in)
        if key not in self._windows:
            self._windows[key] = self._make_window(horizon, carry_in)
        return self._windows[key]

    def _make_window(self, horizon: int, carry_in: bool) -> _Window:
        _S, C, L = self.kernel.shape
        inv = self._inverse_scale()
        if not self.adstock_first:
            # f then adstock: every period's saturated spend is counted sum(w) times
            # (the window holds all of the kernel); the carry-in adds a constant
            return _Window({"adstock_total": horizon * self.kernel.sum(axis=-1)}, np.ones(1))
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
        arrays = {"adstocked": _convolve(unit, self.kernel)[..., periods]}  # (S, C, T')
        if carry_in and L > 1:
            past = self.spend[-(L - 1) :].T * inv[:, None]  # (C, <= L-1)
            n_past = past.shape[1]
            series = np.concatenate([past, np.zeros((C, T))], axis=1)
            carried = _convolve(series, self.kernel)[..., n_past:][..., periods]
            arrays["carry_in"] = carried
            # what the carry-in alone yields, subtracted from every plan's response
            arrays["carry_in_response"] = (
                self._saturate(carried, self.saturation_params) * weights
            ).sum(axis=-1)
        return _Window(arrays, weights)

    def _window_response(
        self,
        X: np.ndarray,
        arrays: Mapping[str, np.ndarray],
        weights: np.ndarray,
        *,
        by_channel: bool = False,
        params: Mapping[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """``(K, S)`` (or ``(K, S, C)``) responses of per-period plans ``X (K, C)``."""
        params = self.saturation_params if params is None else params
        K, C = X.shape
        if not self.adstock_first:
            u = (X * self._inverse_scale())[:, None, :]  # (K, 1, C)
            y = self._saturate(u, params, trailing=0) * arrays["adstock_total"]  # (K, S, C)
            out = y * self.target_scale
            return out if by_channel else out.sum(axis=-1)
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
            out[a : a + step] = (y if by_channel else y.sum(axis=-1)) * self.target_scale
        return out


@dataclass(frozen=True)
class _Window:
    arrays: dict[str, np.ndarray]
    """Per-draw arrays (leading axis ``S``) that, with the saturation parameters, fix
    the response of any constant plan over the window."""
    weights: np.ndarray
    """How many periods each column of ``adstocked`` stands for."""


def _convolve(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Causal convolution along the last axis: ``out[..., t] = sum_l w[..., l] x[..., t - l]``
    for ``x (C, T)`` or ``(S, C, T)`` and kernels ``w (S, C, L)``; returns ``(S, C, T)``."""
    S, C, L = w.shape
    T = x.shape[-1]
    out = np.zeros((S, C, T))
    for lag in range(min(L, T)):
        out[..., lag:] += w[..., lag : lag + 1] * x[..., : T - lag]
    return out


def _check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise DecisionInputError(
            "horizon", f"must be a whole number of periods ≥ 1, got {horizon!r}"
        )
    return int(horizon)


# -------------------------------------------------------------- from the model
def _pymc_mmm(mmm: Any):
    """The fitted pymc-marketing MMM behind ``mmm`` (an MMMModel or such an MMM)."""
    inner = mmm.mmm if hasattr(mmm, "_fitted") else mmm
    if inner is None or (hasattr(mmm, "_fitted") and not getattr(inner, "is_fitted_", False)):
        raise DecisionInputError("mmm", "the model has not been fitted yet: call fit() first")
    if not (hasattr(inner, "channel_columns") and hasattr(inner, "adstock")):
        raise DecisionInputError(
            "mmm", f"expected a fitted MMMModel or pymc-marketing MMM, got {type(mmm).__name__}"
        )
    idata = getattr(inner, "idata", None)
    if idata is None or not getattr(inner, "is_fitted_", True) or "posterior" not in _groups(idata):
        raise DecisionInputError("mmm", "the model has not been fitted yet: call fit() first")
    return inner


def _groups(idata: Any) -> set[str]:
    children = getattr(idata, "children", None)
    if children is not None:
        return set(children)
    return set(getattr(idata, "groups", list)())


def _posterior(idata: Any):
    post = idata["posterior"] if "posterior" in _groups(idata) else idata.posterior
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def _check_supported(mmm: Any) -> None:
    link = str(getattr(getattr(mmm, "link", None), "value", getattr(mmm, "link", "identity")))
    if link not in ("identity", "None"):
        raise DecisionInputError("mmm.link", f"only the identity link is supported, got {link!r}")
    if tuple(getattr(mmm, "dims", ()) or ()):
        raise DecisionInputError(
            "mmm.dims", f"panel models (dims {tuple(mmm.dims)}) are not supported"
        )
    if getattr(mmm, "time_varying_media", False):
        raise DecisionInputError(
            "mmm.time_varying_media",
            "time-varying media effects are not supported: their future multiplier is unknown",
        )
    adstock = type(mmm.adstock).__name__
    if adstock not in _ADSTOCKS:
        raise DecisionInputError(
            "mmm.adstock", f"{adstock} is not supported (supported: {', '.join(_ADSTOCKS)})"
        )
    if str(getattr(mmm.adstock, "mode", "After")) not in ("After", "ConvMode.After"):
        raise DecisionInputError(
            "mmm.adstock", f"only ConvMode.After is supported, got {mmm.adstock.mode!s}"
        )
    saturation = type(mmm.saturation).__name__
    if saturation not in _SATURATIONS:
        raise DecisionInputError(
            "mmm.saturation",
            f"{saturation} is not supported (supported: {', '.join(_SATURATIONS)})",
        )


def _parameters(transformation: Any, post: Any, channels: list[str], index: np.ndarray) -> dict:
    """Each parameter of a pymc-marketing transformation as ``(S, C)`` draws."""
    out = {}
    for param, var in transformation.variable_mapping.items():
        if var in post:
            da = post[var]
            extra = [d for d in da.dims if d not in ("chain", "draw", "channel")]
            if extra:
                raise DecisionInputError(
                    f"mmm.{var}", f"has dims {extra} besides chain, draw and channel: not supported"
                )
            if "channel" in da.dims:
                da = da.sel(channel=channels).transpose("chain", "draw", "channel")
                values = da.to_numpy().reshape(-1, len(channels))
            else:
                values = np.repeat(
                    da.transpose("chain", "draw").to_numpy().reshape(-1, 1), len(channels), axis=1
                )
            out[param] = np.asarray(values, dtype=float)[index]
        else:
            prior = transformation.function_priors.get(param)
            if not isinstance(prior, numbers.Real):
                raise DecisionInputError(f"mmm.{var}", "is not in the posterior")
            out[param] = np.full((len(index), len(channels)), float(prior))
    return out


def mmm_response(mmm: Any, *, draws: int | None = None, seed: int | None = None) -> MMMResponse:
    """The media response of a fitted model (an :class:`MMMModel` or a pymc-marketing
    ``MMM``) over its posterior draws: all of them, or ``draws`` of them picked at random
    (without replacement, reproducibly with ``seed``)."""
    inner = _pymc_mmm(mmm)
    _check_supported(inner)
    channels = [str(c) for c in inner.channel_columns]
    post = _posterior(inner.idata)
    total = int(post.sizes["chain"] * post.sizes["draw"])
    index = _draw_index(total, draws, seed)

    adstock = inner.adstock
    name = type(adstock).__name__
    fn, normalisable = _ADSTOCKS[name]
    params = _parameters(adstock, post, channels, index)
    if "halflife" in params:
        params["alpha"] = _HALFLIFE[name](params.pop("halflife"))
    lags = np.arange(adstock.l_max, dtype=float)
    kernel = np.broadcast_to(
        fn(lags, adstock.l_max, **params), (len(index), len(channels), adstock.l_max)
    ).astype(float)
    if normalisable and adstock.normalize:
        kernel = kernel / kernel.sum(axis=-1, keepdims=True)

    scales = inner.get_scales_as_xarray()
    channel_scale = scales["channel_scale"]
    if "channel" in channel_scale.dims:
        channel_scale = channel_scale.sel(channel=channels)
    channel_scale = np.broadcast_to(np.asarray(channel_scale, dtype=float), (len(channels),))
    target_scale = float(np.asarray(scales["target_scale"], dtype=float).squeeze())
    spend = inner.xarray_dataset["_channel"].sel(channel=channels).transpose("date", "channel")
    return MMMResponse(
        channels=tuple(channels),
        kernel=np.ascontiguousarray(kernel),
        saturation=type(inner.saturation).__name__,
        saturation_params=_parameters(inner.saturation, post, channels, index),
        channel_scale=channel_scale.copy(),
        target_scale=target_scale,
        adstock_first=bool(getattr(inner, "adstock_first", True)),
        spend=np.asarray(spend.to_numpy(), dtype=float),
        draw_index=index,
    )


def _draw_index(total: int, draws: Any, seed: int | None) -> np.ndarray:
    if draws is None:
        return np.arange(total)
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 1:
        raise DecisionInputError("draws", f"must be None or a positive integer, got {draws!r}")
    if draws >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=int(draws), replace=False))


def _as_response(mmm: Any, draws: int | None = None, seed: int | None = None) -> MMMResponse:
    if isinstance(mmm, MMMResponse):
        if draws is None or draws >= mmm.n_draws:
            return mmm
        raise DecisionInputError("draws", "pass draws to mmm_response(), not with an MMMResponse")
    return mmm_response(mmm, draws=draws, seed=seed)


def current_plan(mmm: Any, last: int = DEFAULT_LAST) -> dict[str, float]:
    """The current plan: each channel's average spend per period over the training
    data's ``last`` periods. ``mmm``: a fitted model or an :class:`MMMResponse`."""
    response = _as_response(mmm)
    n = len(response.spend)
    if isinstance(last, bool) or not isinstance(last, numbers.Integral) or not 1 <= last <= n:
        raise DecisionInputError(
            "last", f"must be a whole number of periods in [1, {n}], got {last!r}"
        )
    means = response.spend[-int(last) :].mean(axis=0)
    return {c: float(v) for c, v in zip(response.channels, means)}


# --------------------------------------------------------------- the decision
class BudgetProblem(DecisionProblem):
    """A :class:`DecisionProblem` over an MMM's channel spends (see :func:`budget_problem`).

    Besides the problem it holds the ``response`` it was built from, the ``horizon``,
    what a variable means (``per``), the ``current`` plan in the variables' units and the
    ``value_per_unit`` of the target (None: the profit is the response itself).
    """

    def __init__(
        self,
        response: MMMResponse,
        variables: list[DecisionVariable],
        scenarios: dict[str, np.ndarray],
        profit: Callable[[Any, Mapping[str, np.ndarray]], np.ndarray],
        *,
        total_budget: float,
        horizon: int,
        per: Per,
        carry_in: bool,
        value_per_unit: float | None,
        current: dict[str, float],
    ):
        super().__init__(
            variables, scenarios, profit, constraints=[budget(total_budget)], batch=True
        )
        self.response = response
        self.total_budget = total_budget
        self.horizon = horizon
        self.per = per
        self.carry_in = carry_in
        self.value_per_unit = value_per_unit
        self.current = current

    def spend_per_period(self, x: Any) -> dict[str, float]:
        """A decision as spend per period on each channel."""
        values = self.check_x(x, check_bounds=False)
        if self.per == "horizon":
            values = values / self.horizon
        return {c: float(v) for c, v in zip(self.names, values)}


def budget_problem(
    mmm: Any,
    total_budget: float | None = None,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    horizon: int = DEFAULT_HORIZON,
    per: Per = "period",
    value_per_unit: float | None = None,
    carry_in: bool = False,
    current: Mapping[str, float] | None = None,
    last: int = DEFAULT_LAST,
    draws: int | None = None,
    seed: int | None = None,
) -> BudgetProblem:
    """How to spread a budget over the channels of a fitted MMM for ``horizon`` periods.

    One continuous variable per channel: its spend per period (``per="period"``) or its
    total over the horizon (``per="horizon"``), in the model's spend units. The scenarios
    are the posterior draws; each decision's outcome per draw is its incremental response
    (see the module docstring) or, with ``value_per_unit`` (money per unit of the target),
    ``value_per_unit * response - spend over the horizon``, so that an unprofitable euro
    can stay unspent.

    Parameters
    ----------
    mmm:
        A fitted :class:`MMMModel`, a fitted pymc-marketing ``MMM`` or an :class:`MMMResponse`.
    total_budget:
        Cap on the sum of the variables (a :class:`Budget` constraint). Default: the
        current plan's total.
    bounds:
        ``{channel: (lower, upper)}`` in the variables' units, for any channels. Default
        per channel: ``(0, 2 x its largest spend per period in the training data)``.
    horizon:
        Periods the plan runs for (the carry-over after it is counted too).
    per:
        ``"period"`` or ``"horizon"``: what a variable (and the budget) measures.
    carry_in:
        Start from the adstock the training data leaves (see the module docstring).
    current:
        The current plan, spend per period by channel; default :func:`current_plan`
        over the ``last`` periods of the training data.
    draws, seed:
        Use ``draws`` posterior draws picked at random (default: all).
    """
    response = _as_response(mmm, draws, seed)
    horizon = _check_horizon(horizon)
    if per not in ("period", "horizon"):
        raise DecisionInputError("per", f"must be 'period' or 'horizon', got {per!r}")
    factor = float(horizon) if per == "horizon" else 1.0
    if value_per_unit is not None:
        value_per_unit = _positive("value_per_unit", value_per_unit)

    if current is None:
        now = current_plan(response, last=last)
    else:
        now = dict(zip(response.channels, response.plan_from(current, field="current")))
    current_x = {c: now[c] * factor for c in response.channels}

    lower = np.zeros(len(response.channels))
    upper = DEFAULT_UPPER_MULTIPLE * response.spend.max(axis=0) * factor
    for channel, pair in (bounds or {}).items():
        if channel not in response.channels:
            raise DecisionInputError(
                "bounds", f"unknown channel {channel!r}; channels: {', '.join(response.channels)}"
            )
        i = response.channels.index(channel)
        lower[i], upper[i] = _bound_pair(f"bounds.{channel}", pair)

    if total_budget is None:
        total = float(sum(current_x.values()))
    else:
        total = _number("total_budget", total_budget)
        if total < 0:
            raise DecisionInputError("total_budget", f"must not be negative, got {total:g}")
    if total < lower.sum() * (1 - 1e-12):
        raise DecisionInputError(
            "total_budget",
            f"infeasible: {total:g} is below {lower.sum():g}, the sum of the channels' "
            "lower bounds",
        )

    window = response._window(horizon, bool(carry_in))
    scenarios = {**window.arrays}
    scenarios.update({f"saturation_{k}": v for k, v in response.saturation_params.items()})
    weights = window.weights

    def media_profit(x: Any, s: Mapping[str, np.ndarray]) -> np.ndarray:
        X = np.asarray(x, dtype=float)
        single = X.ndim == 1
        X = np.atleast_2d(X)
        params = {k[len("saturation_") :]: s[k] for k in s if k.startswith("saturation_")}
        arrays = {k: s[k] for k in s if not k.startswith("saturation_")}
        out = response._window_response(X / factor, arrays, weights, params=params)
        if value_per_unit is not None:
            spent = X.sum(axis=1) * (horizon / factor)
            out = value_per_unit * out - spent[:, None]
        return out[0] if single else out

    variables = [
        DecisionVariable(c, float(lo), float(hi))
        for c, lo, hi in zip(response.channels, lower, upper)
    ]
    return BudgetProblem(
        response,
        variables,
        scenarios,
        media_profit,
        total_budget=total,
        horizon=horizon,
        per=per,
        carry_in=bool(carry_in),
        value_per_unit=value_per_unit,
        current=current_x,
    )


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool):
        raise DecisionInputError(field, f"must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DecisionInputError(field, f"must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise DecisionInputError(field, f"must be finite, got {v}")
    return v


def _positive(field: str, value: Any) -> float:
    v = _number(field, value)
    if v <= 0:
        raise DecisionInputError(field, f"must be positive, got {v:g}")
    return v


def _bound_pair(field: str, pair: Any) -> tuple[float, float]:
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        raise DecisionInputError(field, f"expected (lower, upper), got {pair!r}") from None
    lo, hi = _number(field, lo), _number(field, hi)
    if lo < 0:
        raise DecisionInputError(field, f"spend cannot be negative, got lower bound {lo:g}")
    if lo > hi:
        raise DecisionInputError(field, f"lower bound {lo:g} is above upper bound {hi:g}")
    return lo, hi

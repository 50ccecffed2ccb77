"""pymc-marketing's adstock kernels and saturation curves, in numpy over posterior draws.

    kernel, normalizable = ADSTOCK_KERNELS["GeometricAdstock"]
    w = kernel(np.arange(8.0), 8, alpha=alpha)           # (S, C, 8) weights per draw
    y = SATURATION_CURVES["LogisticSaturation"](x, lam=lam, beta=beta)
    out = convolve(x, w)                                  # causal convolution over time

The formulas are those of ``pymc_marketing.mmm.transformers``, keyed by the class name of
the pymc-marketing component; parameters come as arrays that broadcast against the input.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


# ------------------------------------------------------------------ adstock kernels
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


ADSTOCK_KERNELS: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    # class name -> (kernel(lags, l_max, **params), whether `normalize` applies)
    "GeometricAdstock": (_geometric, True),
    "DelayedAdstock": (_delayed, True),
    "BinomialAdstock": (_binomial, True),
    "WeibullPDFAdstock": (_weibull_pdf, True),
    "WeibullCDFAdstock": (_weibull_cdf, True),
    "NoAdstock": (_no_adstock, False),
}
HALFLIFE_TO_ALPHA = {
    # retention rate from a half-life, for the adstocks that offer that parametrisation
    "GeometricAdstock": lambda h: 0.5 ** (1.0 / h),
    "DelayedAdstock": lambda h: 2.0 ** (-1.0 / h**2),
}


# ---------------------------------------------------------------- saturation curves
def _expit(z):
    from scipy.special import expit

    return expit(z)


def _hill(x, *, slope, kappa, beta):
    tiny = np.finfo(np.float64).tiny
    z = slope * (np.log(np.maximum(x, tiny)) - np.log(kappa))
    return beta * np.where(x > 0, _expit(z), 0.0)


SATURATION_CURVES: dict[str, Callable[..., np.ndarray]] = {
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


def convolve(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Causal convolution along the last axis: ``out[..., t] = sum_l w[..., l] x[..., t - l]``
    for ``x (C, T)`` or ``(S, C, T)`` and kernels ``w (S, C, L)``; returns ``(S, C, T)``."""
    S, C, L = w.shape
    T = x.shape[-1]
    out = np.zeros((S, C, T))
    for lag in range(min(L, T)):
        out[..., lag:] += w[..., lag : lag + 1] * x[..., : T - lag]
    return out


__all__ = ["ADSTOCK_KERNELS", "HALFLIFE_TO_ALPHA", "SATURATION_CURVES", "convolve"]

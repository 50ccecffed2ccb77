"""Cold start: new groups fitted from a few observations, the global parameters held fixed.

    report = evaluate_cold_start(fit, new_groups_data, known=7)
    report.summary()            # median relative errors on the held-out days
    new = fit_new_groups(fit, known_days(new_groups_data, 7))

The global parameters (coefficient means and spreads, dispersion) come from a fit on
groups with a long history; for new groups of which only the first days are known, only
their local parameters (offsets) are fitted (:func:`fit_new_groups`) and compared, by
the median relative error on the later, held-out days, with a regularised Poisson
regression per group (:func:`poisson_ridge_per_group`) and with the same local fit on
the full history (:func:`evaluate_cold_start`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bayes_widgets.core.checks import check_positive_int, check_seed
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import INIT_SCALE, Site
from bayes_widgets.core.hierarchical.optimizer import optimizer_for
from bayes_widgets.core.hierarchical.results import HierarchicalFit

__all__ = [
    "ColdStartReport",
    "evaluate_cold_start",
    "fit_new_groups",
    "known_days",
    "median_relative_error",
    "poisson_ridge_per_group",
]

DEFAULT_ALPHAS = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


def known_days(data: PanelData, n_days: int) -> PanelData:
    """``data`` with the target hidden (NaN) after the first ``n_days`` times."""
    n_days = check_positive_int("known", n_days, error=HierarchicalInputError)
    if n_days >= data.n_times:
        raise HierarchicalInputError(
            "known", f"{n_days} days leave none of the {data.n_times} to hold out"
        )
    y = data.y.copy()
    y[:, n_days:] = np.nan
    return data.with_target(y)


def median_relative_error(pred, y, mask=None) -> float:
    """Median over observed cells (and ``mask``) of ``|pred - y| / max(y, 1)``."""
    pred, y = np.asarray(pred, np.float64), np.asarray(y, np.float64)
    ok = ~np.isnan(y)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    if not ok.any():
        return float("nan")
    return float(np.median(np.abs(pred[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1.0)))


# ------------------------------------------------------------------ local fit


def _local_init(spec, data: PanelData, fixed: dict) -> dict[str, np.ndarray]:
    """Offsets at zero except each group's intercept offset: its level relative to the
    prediction of the global means (``log Σy / Σŷ``, or the mean residual)."""
    out: dict[str, np.ndarray] = {}
    for site in spec.local_sites():
        shape = spec.site_shape(site)
        out[f"{site}_loc"] = np.zeros(shape, np.float32)
        out[f"{site}_scale"] = np.full(shape, INIT_SCALE, np.float32)
    if spec.intercept:
        coef = np.zeros(len(spec.features), np.float32)
        if len(spec.varying_idx):
            coef[spec.varying_idx] = np.asarray(fixed[Site.coef_mu])
        if len(spec.fixed_idx):
            coef[spec.fixed_idx] = np.asarray(fixed[Site.fixed_coef])
        eta = float(fixed[Site.intercept_mu]) + np.einsum(
            "gtf,f->gt", data.X, coef, dtype=np.float64
        )
        obs = data.observed
        y = np.where(obs, data.y, 0.0)
        n = obs.sum(axis=1)
        if spec.count:
            mu = np.where(obs, np.exp(np.clip(eta, -30, 30)), 0.0)
            level = np.log(np.maximum(y.sum(axis=1), 0.5) / np.maximum(mu.sum(axis=1), 1e-12))
        else:
            level = ((y - eta) * obs).sum(axis=1) / np.maximum(n, 1)
        level = np.where(n > 0, level, 0.0)
        out[f"{Site.intercept_offset}_loc"] = (level / float(fixed[Site.intercept_sigma])).astype(
            np.float32
        )
    return out


def fit_new_groups(
    fit: HierarchicalFit,
    data: PanelData,
    *,
    steps: int = 1500,
    learning_rate: float = 0.05,
    seed: int = 0,
    chunk: int = 250,
    fixed: dict | None = None,
    on_chunk=None,
    should_stop=None,
) -> HierarchicalFit:
    """Fit the local parameters of the groups in ``data`` with the global parameters
    fixed at ``fixed`` (default: ``fit.global_values()``, the posterior means).

    ``data`` has the features of ``fit``; its groups are new (none of ``fit``'s). All new
    groups are fitted together (they are independent given the globals), full batch.
    """
    from bayes_widgets.core.fitting.svi import run_svi

    if not isinstance(fit, HierarchicalFit):
        raise HierarchicalInputError("fit", f"expected a HierarchicalFit, got {type(fit).__name__}")
    if not isinstance(data, PanelData):
        raise HierarchicalInputError("data", f"expected a PanelData, got {type(data).__name__}")
    if tuple(data.features) != tuple(fit.spec.features):
        raise HierarchicalInputError(
            "data.features",
            f"{list(data.features)} differ from the fit's {list(fit.spec.features)}",
        )
    data.validate()
    optimizer = optimizer_for(learning_rate)
    seed = check_seed("seed", seed, allow_none=False, error=HierarchicalInputError) or 0
    t0 = time.perf_counter()
    spec = fit.spec.replace(n_groups=data.n_groups, batch_size=None)
    if fixed is None:
        fixed = fit.global_values()
    missing = [s for s in spec.global_sites() if s not in fixed]
    if missing:
        raise HierarchicalInputError(f"fixed.{missing[0]}", "no value for this global site")
    fixed = {s: np.asarray(fixed[s], np.float32) for s in spec.global_sites()}
    arrays = spec.arrays(data)
    res = run_svi(
        spec.model,
        spec.guide,
        steps=steps,
        optimizer=optimizer,
        seed=seed,
        chunk=chunk,
        model_args=(arrays,),
        model_kwargs={"fixed": fixed},
        init_params=_local_init(spec, data, fixed),
        convergence=None,
        on_chunk=on_chunk,
        should_stop=should_stop,
    )
    return HierarchicalFit(
        spec=spec,
        data=data,
        method="svi",
        params=res.params,
        fixed=fixed,
        svi_result=res,
        elapsed_s=time.perf_counter() - t0,
    )


# ------------------------------------------------------------ GLM baseline


@dataclass
class PoissonRidge:
    """Per-group Poisson regression coefficients (:func:`poisson_ridge_per_group`)."""

    intercept: np.ndarray
    """(groups,)"""
    coef: np.ndarray
    """(groups, features)"""
    alpha: float
    iterations: int

    def predict(self, X) -> np.ndarray:
        """Expected counts (groups, times) for features ``X`` (groups, times, features)."""
        X = np.asarray(X, np.float64)
        return np.exp(
            np.clip(self.intercept[:, None] + np.einsum("gtf,gf->gt", X, self.coef), -50, 50)
        )


def poisson_ridge_per_group(
    data: PanelData, *, alpha: float = 1.0, max_iter: int = 100, tol: float = 1e-8
) -> PoissonRidge:
    """An L2-regularised Poisson regression for each group on its observed cells.

    Minimises ``mean(exp(eta) - y * eta) + alpha / 2 * |w|²`` with ``eta = b + x · w`` per
    group (the objective of ``sklearn.linear_model.PoissonRegressor(alpha=alpha)``; the
    intercept ``b`` is not penalised), by Newton's method with backtracking, all groups
    at once. A group without observations gets ``b = 0, w = 0``.
    """
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise HierarchicalInputError("alpha", f"must be a number, got {alpha!r}") from None
    if not alpha > 0:
        raise HierarchicalInputError("alpha", f"must be > 0, got {alpha}")
    data.check_counts("poisson")
    obs = data.observed
    G, T, F = data.X.shape
    n = obs.sum(axis=1).astype(np.float64)
    w = obs / np.maximum(n, 1.0)[:, None]  # per-cell weight 1/n
    Z = np.concatenate([np.ones((G, T, 1)), data.X.astype(np.float64)], axis=2)  # (G, T, P)
    y = np.where(obs, data.y, 0.0).astype(np.float64)
    P = F + 1
    pen = np.full(P, alpha)
    pen[0] = 0.0
    beta = np.zeros((G, P))
    ybar = (y * w).sum(axis=1)
    beta[:, 0] = np.where(n > 0, np.log(np.maximum(ybar, 1e-3)), 0.0)

    def objective(b):
        eta = np.clip(np.einsum("gtp,gp->gt", Z, b), -50, 50)
        return (w * (np.exp(eta) - y * eta)).sum(axis=1) + 0.5 * (pen * b**2).sum(axis=1)

    f = objective(beta)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007  (the count is reported)
        eta = np.clip(np.einsum("gtp,gp->gt", Z, beta), -50, 50)
        mu = np.exp(eta)
        grad = np.einsum("gtp,gt->gp", Z, w * (mu - y)) + pen * beta
        H = (
            np.einsum("gtp,gtq,gt->gpq", Z, Z, w * mu)
            + np.diag(pen)[None]
            + 1e-10 * np.eye(P)[None]
        )
        step = np.linalg.solve(H, grad[..., None])[..., 0]
        t = np.ones(G)
        new = beta - step
        f_new = objective(new)
        for _ in range(30):
            worse = f_new > f + 1e-12 * np.abs(f)
            if not worse.any():
                break
            t = np.where(worse, t * 0.5, t)
            new = beta - t[:, None] * step
            f_new = np.where(worse, objective(new), f_new)
        decrease = f - f_new
        beta, f = new, f_new
        if np.all(np.abs(decrease) <= tol * np.maximum(np.abs(f), 1.0)):
            break
    beta[n == 0] = 0.0
    return PoissonRidge(intercept=beta[:, 0], coef=beta[:, 1:], alpha=alpha, iterations=it)


# ------------------------------------------------------------------ protocol


@dataclass
class ColdStartReport:
    """Median relative errors on the held-out days of the new groups."""

    known: int
    cold_start_median_err: float
    full_history_median_err: float
    glm_median_err: float
    """The per-group Poisson regression at its best ``alpha`` (chosen on the held-out days,
    which favours the baseline)."""
    glm_alpha: float
    glm_by_alpha: dict[float, float]
    n_groups: int
    n_heldout: int
    cold_start: HierarchicalFit | None = None
    full_history: HierarchicalFit | None = None
    glm: PoissonRidge | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "known_days": self.known,
            "cold_start_median_err": round(self.cold_start_median_err, 4),
            "full_history_median_err": round(self.full_history_median_err, 4),
            "glm_median_err": round(self.glm_median_err, 4),
            "glm_alpha": self.glm_alpha,
            "glm_by_alpha": {str(k): round(v, 4) for k, v in self.glm_by_alpha.items()},
            "new_groups": self.n_groups,
            "heldout_cells": self.n_heldout,
            **{k: round(v, 2) for k, v in self.timings.items()},
        }

    def coefficients(self, group: int = 0):
        """One new group's coefficients (posterior means) by the few-days fit, the
        full-history fit and the GLM, side by side."""
        import pandas as pd

        cold, full = self.cold_start, self.full_history
        if cold is None or full is None:
            raise HierarchicalInputError("cold_start", "this report holds no fits to compare")
        frame = pd.DataFrame(
            {
                "cold_start": cold.posterior_mean()["coef"][group],
                "full_history": full.posterior_mean()["coef"][group],
            },
            index=list(cold.spec.features),
        )
        if self.glm is not None:
            frame["glm"] = self.glm.coef[group]
        return frame


def evaluate_cold_start(
    fit: HierarchicalFit,
    new_data: PanelData,
    *,
    known: int = 7,
    steps: int = 1500,
    learning_rate: float = 0.05,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    seed: int = 0,
) -> ColdStartReport:
    """The cold-start comparison on ``new_data`` (groups not in ``fit``): fit the
    local parameters from the first ``known`` days, from the full history, and a
    per-group Poisson regression from the first ``known`` days; report each one's median
    relative error on the observed days after ``known``.

    Predictions are ``exp`` of the posterior-mean log-mean (the regression's own mean).
    """
    if not fit.spec.count:
        raise HierarchicalInputError("fit", "the cold-start comparison is for count likelihoods")
    if not len(alphas):
        raise HierarchicalInputError("alphas", "needs at least one penalty")
    few = known_days(new_data, known)
    heldout = np.zeros(new_data.y.shape, bool)
    heldout[:, known:] = True
    heldout &= new_data.observed
    timings = {}
    t = time.perf_counter()
    cold = fit_new_groups(fit, few, steps=steps, learning_rate=learning_rate, seed=seed)
    timings["cold_start_s"] = time.perf_counter() - t
    t = time.perf_counter()
    full = fit_new_groups(fit, new_data, steps=steps, learning_rate=learning_rate, seed=seed)
    timings["full_history_s"] = time.perf_counter() - t
    y = new_data.y
    err_cold = median_relative_error(cold.predict_mean(new_data), y, heldout)
    err_full = median_relative_error(full.predict_mean(new_data), y, heldout)
    t = time.perf_counter()
    by_alpha: dict[float, float] = {}
    glms = []
    for a in alphas:
        glm = poisson_ridge_per_group(few, alpha=a)
        by_alpha[float(a)] = median_relative_error(glm.predict(new_data.X), y, heldout)
        glms.append(glm)
    best = min(glms, key=lambda g: by_alpha[g.alpha])  # the first of equals, as before
    timings["glm_s"] = time.perf_counter() - t
    return ColdStartReport(
        known=int(known),
        cold_start_median_err=err_cold,
        full_history_median_err=err_full,
        glm_median_err=by_alpha[best.alpha],
        glm_alpha=best.alpha,
        glm_by_alpha=by_alpha,
        n_groups=new_data.n_groups,
        n_heldout=int(heldout.sum()),
        cold_start=cold,
        full_history=full,
        glm=best,
        timings=timings,
    )

"""Data-driven starting values of the guide: a pooled GLM, then each group's level.

params = initial_params(spec, data, seed=0)   # {"<site>_loc": ..., "<site>_scale": ...}
"""

from __future__ import annotations

import math

import numpy as np

from bayes_widgets.core.checks import check_seed
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import INIT_SCALE, POSITIVE_SITES, HierarchicalGLM, Site

__all__ = ["initial_params", "pooled_fit"]


def pooled_fit(spec: HierarchicalGLM, data: PanelData, rng, max_rows: int = 200_000) -> np.ndarray:
    """Coefficients (intercept first, if any) of a pooled GLM (all groups share them):
    ridge-damped Newton for the log link, ridge least squares for the identity link, on
    at most ``max_rows`` observed cells."""
    obs = data.observed
    g_idx, t_idx = np.nonzero(obs)
    if len(g_idx) > max_rows:
        pick = rng.choice(len(g_idx), max_rows, replace=False)
        g_idx, t_idx = g_idx[pick], t_idx[pick]
    Z = data.X[g_idx, t_idx].astype(np.float64)
    if spec.intercept:
        Z = np.column_stack([np.ones(len(Z)), Z])
    y = data.y[g_idx, t_idx].astype(np.float64)
    p = Z.shape[1]
    if not spec.count:
        A = Z.T @ Z
        lam = 1e-6 * np.trace(A) / p + 1e-9
        return np.linalg.solve(A + lam * np.eye(p), Z.T @ y)
    beta = np.zeros(p)
    level = math.log(max(y.mean(), 1e-3))
    if spec.intercept:
        beta[0] = level
    else:
        # spread the level over the features that are on in an average row
        active = Z.mean(axis=0)
        beta[:] = level / max(active.sum(), 1.0)

    def objective(b):
        eta = np.clip(Z @ b, -30, 30)
        return float(np.sum(np.exp(eta) - y * eta))

    f = objective(beta)
    for _ in range(25):
        eta = np.clip(Z @ beta, -30, 30)
        mu = np.exp(eta)
        grad = Z.T @ (mu - y)
        H = (Z * mu[:, None]).T @ Z
        lam = 1e-6 * np.trace(H) / p + 1e-9
        step = np.linalg.solve(H + lam * np.eye(p), grad)
        t = 1.0
        for _ in range(20):
            f_new = objective(beta - t * step)
            if f_new <= f:
                break
            t *= 0.5
        beta, f_old, f = beta - t * step, f, f_new
        if abs(f_old - f) <= 1e-10 * max(abs(f), 1.0):
            break
    return beta


def initial_params(
    spec: HierarchicalGLM, data: PanelData, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Data-driven starting values of the guide's parameters (constrained space).

    Global means from a pooled GLM, each group's intercept offset from its level
    relative to the pooled prediction (the Poisson estimate ``log Σy / Σŷ``, or the mean
    residual), the intercept spread from those levels, the NB concentration by moments,
    and ``obs_sigma`` from the residuals. Guide scales start at 0.1 (as AutoNormal's).
    """
    rng = np.random.default_rng(
        check_seed("seed", seed, allow_none=False, error=HierarchicalInputError)
    )
    beta = pooled_fit(spec, data, rng)
    b0 = float(beta[0]) if spec.intercept else 0.0
    coef = beta[1:] if spec.intercept else beta
    obs = data.observed
    eta = b0 + np.einsum("gtf,f->gt", data.X, coef.astype(np.float32), dtype=np.float64)
    y = np.where(obs, data.y, 0.0).astype(np.float64)
    n_obs = obs.sum(axis=1)
    if spec.count:
        mu = np.where(obs, np.exp(np.clip(eta, -30, 30)), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.log(np.maximum(y.sum(axis=1), 0.5) / np.maximum(mu.sum(axis=1), 1e-12))
    else:
        level = np.where(n_obs > 0, ((y - eta) * obs).sum(axis=1) / np.maximum(n_obs, 1), 0.0)
    level = np.where(n_obs > 0, level, 0.0)
    scale_y = 1.0 if spec.count else max(spec.priors.obs_sigma, 1e-6)
    sigma0 = max(float(level[n_obs > 0].std()) if (n_obs > 0).sum() > 1 else 0.0, 0.05 * scale_y)

    out: dict[str, np.ndarray] = {}

    def put(site, loc, scale=INIT_SCALE):
        shape = spec.site_shape(site)
        loc = np.broadcast_to(np.asarray(loc, np.float32), shape)
        if site in POSITIVE_SITES:
            loc = np.log(np.maximum(loc, 1e-6))
        out[f"{site}_loc"] = np.array(loc, np.float32)
        out[f"{site}_scale"] = np.full(shape, scale, np.float32)

    if spec.intercept:
        put(Site.intercept_mu, b0)
        put(Site.intercept_sigma, sigma0)
        put(Site.intercept_offset, level / sigma0)
        eta = eta + level[:, None]
    iv, fx = spec.varying_idx, spec.fixed_idx
    if len(iv):
        put(Site.coef_mu, coef[iv])
        put(Site.coef_sigma, 0.05 * scale_y)
        put(Site.coef_offset, 0.0)
    if len(fx):
        put(Site.fixed_coef, coef[fx])
    if spec.likelihood == "gamma_poisson":
        mu = np.exp(np.clip(eta, -30, 30))
        inv_r = float(np.sum(obs * ((y - mu) ** 2 - mu)) / max(np.sum(obs * mu**2), 1e-12))
        r = float(np.clip(1.0 / inv_r, 0.1, 1e4)) if inv_r > 0 else 1e4
        put(Site.disp_mu, math.log(r))
        put(Site.disp_sigma, 0.1)
        put(Site.disp_offset, 0.0)
    if spec.likelihood == "normal":
        resid = (y - eta)[obs]
        put(Site.obs_sigma, max(float(resid.std()) if resid.size > 1 else scale_y, 1e-3 * scale_y))
    return out

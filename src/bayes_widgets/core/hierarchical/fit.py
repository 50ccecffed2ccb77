"""Build, fit (SVI or NUTS) and use a hierarchical GLM.

:func:`build_model` turns a :class:`PanelData` into a :class:`HierarchicalGLM` with
data-scaled priors; :func:`fit_svi` fits it with :func:`bayes_widgets.core.fitting.svi.run_svi`
(groups minibatched inside the compiled chunks) from a data-driven start
(:func:`initial_params`); :func:`fit_nuts` samples it with NumPyro's NUTS (small models).
Both return a :class:`HierarchicalFit`, which gives posterior draws of the group-level
coefficients, per-observation log-means, forecasts with 50% and 90% bands
(:class:`Forecast`) and group-effect draws.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.validation import (
    FitInputError,
    check_number,
    check_positive_int,
    check_probability,
    check_seed,
)
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import (
    GROUP_PLATE,
    INIT_SCALE,
    POSITIVE_SITES,
    HierarchicalGLM,
    Priors,
    Site,
    normalise_likelihood,
)

__all__ = [
    "Forecast",
    "HierarchicalFit",
    "LiveHierarchicalFit",
    "build_model",
    "fit_nuts",
    "fit_svi",
    "initial_params",
]


def check_input(field: str, check: Callable, value: Any, **options: Any) -> Any:
    """``check(field, value)`` from :mod:`bayes_widgets.core.fitting.validation`, its error raised as a
    :class:`HierarchicalInputError` (the same field and message)."""
    try:
        return check(field, value, **options)
    except HierarchicalInputError:
        raise
    except FitInputError as exc:
        raise HierarchicalInputError(exc.field, str(exc).removeprefix(f"{exc.field}: ")) from None


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of a forecast: the 90% band (0.05-0.95), the 50% band (0.25-0.75), the median."""


# ------------------------------------------------------------------- building


def build_model(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    batch_size: int | None = None,
    priors: Priors | None = None,
) -> HierarchicalGLM:
    """A :class:`HierarchicalGLM` for ``data``.

    ``varying`` names the features whose coefficients vary by group (default: all; ``[]``
    for none: then every feature has one coefficient shared by the groups, e.g. radon's
    floor effect). ``intercept`` adds a varying intercept. ``batch_size`` is the number of
    groups per SVI step (``None``: all). Priors default to :func:`default_priors`.
    """
    if not isinstance(data, PanelData):
        raise HierarchicalInputError("data", f"expected a PanelData, got {type(data).__name__}")
    likelihood = normalise_likelihood(likelihood)
    data.validate()
    if likelihood in ("gamma_poisson", "poisson"):
        data.check_counts(likelihood)
    if isinstance(varying, str):
        varying = [varying]
    if varying is None:
        flags = tuple(True for _ in data.features)
    else:
        varying = list(varying)
        for name in varying:
            if name not in data.features:
                raise HierarchicalInputError(
                    f"varying.{name}",
                    f"is not a feature of the data (features: {list(data.features)})",
                )
        flags = tuple(f in varying for f in data.features)
    if batch_size is not None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise HierarchicalInputError(
                "batch_size", f"must be a positive integer or None, got {batch_size!r}"
            )
        batch_size = int(min(batch_size, data.n_groups))
        if batch_size == data.n_groups:
            batch_size = None
    return HierarchicalGLM(
        likelihood=likelihood,
        n_groups=data.n_groups,
        features=tuple(data.features),
        varying=flags,
        intercept=bool(intercept),
        priors=priors if priors is not None else default_priors(data, likelihood),
        batch_size=batch_size,
    ).canonical()


def default_priors(data: PanelData, likelihood: str) -> Priors:
    """Weakly informative priors scaled to the data: the intercept centred on the link
    of the observed mean; each coefficient Normal(0, 2.5 s / sd(x_j)) and its spread over
    groups HalfNormal(s / sd(x_j)), with s = 1 on the log link and sd(y) on the identity
    link (features that do not vary get sd 1)."""
    likelihood = normalise_likelihood(likelihood)
    obs = data.observed
    y = data.y[obs].astype(np.float64)
    x = data.X[obs].astype(np.float64)
    sd_x = x.std(axis=0) if len(x) else np.ones(data.n_features)
    sd_x = np.where(sd_x > 1e-6, sd_x, 1.0)
    if likelihood == "normal":
        s = float(y.std()) if y.size > 1 and y.std() > 0 else 1.0
        center = float(y.mean())
    else:
        s = 1.0
        center = math.log(max(float(y.mean()), 1e-3))
    return Priors(
        intercept_loc=center,
        intercept_scale=2.5 * s,
        intercept_sigma=s,
        coef_scale=tuple(float(v) for v in 2.5 * s / sd_x),
        coef_sigma=tuple(float(v) for v in s / sd_x),
        obs_sigma=s,
    )


# ------------------------------------------------------------- initial values


def _pooled_fit(spec: HierarchicalGLM, data: PanelData, rng, max_rows: int = 200_000) -> np.ndarray:
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
    rng = np.random.default_rng(check_input("seed", check_seed, seed, allow_none=False))
    beta = _pooled_fit(spec, data, rng)
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


# ------------------------------------------------------------------- results


@dataclass
class Forecast:
    """Posterior predictive of the target per (group, time): mean, median, 50% and 90% bands."""

    groups: np.ndarray
    times: np.ndarray
    mean: np.ndarray
    """Posterior predictive mean, (groups, times)."""
    quantiles: dict[float, np.ndarray]
    """Quantile → (groups, times): 0.05, 0.25, 0.5, 0.75, 0.95."""
    observed: np.ndarray
    """The target where known, NaN elsewhere, (groups, times)."""
    target: str = "y"

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edge of the central ``level`` band (0.5 or 0.9)."""
        lo, hi = round((1 - level) / 2, 6), round(1 - (1 - level) / 2, 6)
        if lo not in self.quantiles or hi not in self.quantiles:
            raise HierarchicalInputError(
                "level", f"no {level:.0%} band; quantiles are {sorted(self.quantiles)}"
            )
        return self.quantiles[lo], self.quantiles[hi]

    def coverage(self, level: float) -> float:
        """Share of observed values inside the ``level`` band."""
        lo, hi = self.band(level)
        obs = ~np.isnan(self.observed)
        inside = (self.observed >= lo) & (self.observed <= hi)
        return float(inside[obs].mean()) if obs.any() else float("nan")

    def to_frame(self):
        """Long form: group, time, observed, mean, q05, q25, q50, q75, q95."""
        import pandas as pd

        G, T = self.mean.shape
        cols = {
            "group": np.repeat(self.groups, T),
            "time": np.tile(self.times, G),
            "observed": self.observed.reshape(-1),
            "mean": self.mean.reshape(-1),
        }
        for q, arr in sorted(self.quantiles.items()):
            cols[f"q{round(q * 100):02d}"] = arr.reshape(-1)
        return pd.DataFrame(cols)


@dataclass
class HierarchicalFit:
    """A fitted hierarchical GLM: posterior draws, log-means, forecasts, group effects."""

    spec: HierarchicalGLM
    data: PanelData
    method: str
    """``"svi"`` or ``"nuts"``."""
    params: dict[str, np.ndarray] | None = None
    """SVI: the guide's parameters (constrained)."""
    samples: dict[str, np.ndarray] | None = None
    """NUTS: draws of each latent site, chains stacked, (draws, ...)."""
    fixed: dict[str, np.ndarray] | None = None
    """Global values held fixed (a cold-start fit), or None."""
    svi_result: Any = None
    mcmc: Any = None
    elapsed_s: float = 0.0
    info: dict = field(default_factory=dict)

    @classmethod
    def from_result(
        cls, result, spec: HierarchicalGLM, data: PanelData, *, elapsed_s: float = 0.0
    ) -> HierarchicalFit:
        """The fit of ``spec`` to ``data`` from a fit session's SVI :class:`FitResult`
        (``bw.fit(spec.model, backend="numpyro-svi", guide=spec.guide, ...)``)."""
        if getattr(result, "method", None) != "svi" or not result.params:
            raise HierarchicalInputError(
                "result", "expected the result of an SVI fit of this model, with parameters"
            )
        missing = [
            f"{site}_loc"
            for site in spec.global_sites() + spec.local_sites()
            if f"{site}_loc" not in result.params
        ]
        if missing:
            raise HierarchicalInputError(
                "result", f"its parameters lack {', '.join(missing)}: not a fit of this model"
            )
        return cls(
            spec=spec,
            data=data,
            method="svi",
            params={k: np.asarray(v) for k, v in result.params.items()},
            svi_result=result,
            elapsed_s=float(elapsed_s),
            info={"steps": int(result.steps), "converged": bool(result.converged)},
        )

    # ------------------------------------------------------------ site draws

    def site_draws(self, n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
        """Draws of every latent site (and fixed globals broadcast), leading axis = draw."""
        if self.method == "nuts":
            out = {k: np.asarray(v) for k, v in self.samples.items()}
            if n is not None and n < len(next(iter(out.values()))):
                idx = np.random.default_rng(seed).choice(
                    len(next(iter(out.values()))), n, replace=False
                )
                out = {k: v[idx] for k, v in out.items()}
            return out
        rng = np.random.default_rng(seed)
        sites = list(self.spec.local_sites())
        if self.fixed is None:
            sites = list(self.spec.global_sites()) + sites
        out = {}
        for site in sites:
            loc, scale = self.params[f"{site}_loc"], self.params[f"{site}_scale"]
            z = loc + scale * rng.standard_normal((n, *loc.shape)).astype(np.float32)
            out[site] = np.exp(z) if site in POSITIVE_SITES else z
        if self.fixed is not None:
            for site, value in self.fixed.items():
                out[site] = np.broadcast_to(np.asarray(value), (n, *np.shape(value)))
        return out

    def site_means(self) -> dict[str, np.ndarray]:
        """Posterior mean of every latent site (exact for the mean-field guide)."""
        if self.method == "nuts":
            return {k: np.asarray(v).mean(axis=0) for k, v in self.samples.items()}
        sites = list(self.spec.local_sites())
        if self.fixed is None:
            sites = list(self.spec.global_sites()) + sites
        out = {}
        for site in sites:
            loc, scale = self.params[f"{site}_loc"], self.params[f"{site}_scale"]
            out[site] = np.exp(loc + 0.5 * scale**2) if site in POSITIVE_SITES else np.asarray(loc)
        if self.fixed is not None:
            out.update({k: np.asarray(v) for k, v in self.fixed.items()})
        return out

    def global_values(self) -> dict[str, np.ndarray]:
        """Posterior means of the global sites: what a cold-start fit holds fixed."""
        means = self.site_means()
        return {s: np.asarray(means[s], np.float32) for s in self.spec.global_sites()}

    # -------------------------------------------------------- group quantities

    def _quantities(self, site: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Group-level quantities from site values with a leading draw axis (or none)."""
        spec = self.spec
        lead: tuple[int, ...] = ()
        for name, event_dims in (
            (Site.intercept_offset, 1),
            (Site.coef_offset, 2),
            (Site.disp_offset, 1),
        ):
            if name in site:
                lead = np.shape(site[name])[: np.ndim(site[name]) - event_dims]
                break
        G, F = spec.n_groups, len(spec.features)
        out: dict[str, np.ndarray] = {}
        if spec.intercept:
            b = np.asarray(site[Site.intercept_mu])[..., None] + np.asarray(
                site[Site.intercept_sigma]
            )[..., None] * np.asarray(site[Site.intercept_offset])
            out["intercept"] = b
        else:
            out["intercept"] = np.zeros((*lead, G), np.float32)
        coef = np.zeros((*lead, G, F), np.float32)
        iv, fx = spec.varying_idx, spec.fixed_idx
        if len(iv):
            coef[..., iv] = np.asarray(site[Site.coef_mu])[..., None, :] + np.asarray(
                site[Site.coef_sigma]
            )[..., None, :] * np.asarray(site[Site.coef_offset])
        if len(fx):
            coef[..., fx] = np.asarray(site[Site.fixed_coef])[..., None, :]
        out["coef"] = coef
        if spec.likelihood == "gamma_poisson":
            out["log_concentration"] = np.asarray(site[Site.disp_mu])[..., None] + np.asarray(
                site[Site.disp_sigma]
            )[..., None] * np.asarray(site[Site.disp_offset])
        if spec.likelihood == "normal":
            out["obs_sigma"] = np.asarray(site[Site.obs_sigma])
        return out

    def draws(self, n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
        """Posterior draws of ``intercept`` (draws, groups), ``coef`` (draws, groups,
        features), and ``log_concentration`` (NB) or ``obs_sigma`` (normal)."""
        return self._quantities(self.site_draws(n, seed))

    def posterior_mean(self) -> dict[str, np.ndarray]:
        """Posterior means of ``intercept`` (groups,), ``coef`` (groups, features), ...

        The group coefficients are linear in independent guide factors, so their mean is
        exact from the site means (for NUTS: the mean over draws)."""
        if self.method == "nuts":
            return {k: v.mean(axis=0) for k, v in self.draws(n=None).items()}
        return self._quantities(self.site_means())

    def log_mean(self, data: PanelData | None = None) -> np.ndarray:
        """The linear predictor at the posterior-mean coefficients, (groups, times): the
        log of the expected count (log link) or the expected value (identity link)."""
        data = self._check_data(data)
        pm = self.posterior_mean()
        return pm["intercept"][:, None] + np.einsum(
            "gtf,gf->gt", data.X, pm["coef"].astype(np.float32)
        )

    def predict_mean(self, data: PanelData | None = None) -> np.ndarray:
        """Point prediction of the target: ``exp(log_mean)`` for counts, ``log_mean`` otherwise."""
        eta = self.log_mean(data)
        return np.exp(eta) if self.spec.count else eta

    def _check_data(self, data: PanelData | None) -> PanelData:
        if data is None:
            return self.data
        if not isinstance(data, PanelData):
            raise HierarchicalInputError("data", f"expected a PanelData, got {type(data).__name__}")
        if data.n_groups != self.spec.n_groups:
            raise HierarchicalInputError(
                "data", f"has {data.n_groups} groups, the fit has {self.spec.n_groups}"
            )
        if tuple(data.features) != tuple(self.spec.features):
            raise HierarchicalInputError(
                "data.features",
                f"{list(data.features)} differ from the fit's {list(self.spec.features)}",
            )
        return data

    # -------------------------------------------------------------- forecasts

    def predict(
        self,
        data: PanelData | None = None,
        *,
        groups: Sequence[int] | None = None,
        n_draws: int = 200,
        seed: int = 0,
        quantiles: Sequence[float] = QUANTILES,
        block: int = 32,
    ) -> Forecast:
        """Posterior predictive of the target for every time of ``data`` (default: the
        training data, so closed days get what they would have sold), for the groups at
        positions ``groups`` (default all), with ``quantiles`` from ``n_draws`` draws."""
        data = self._check_data(data)
        gsel = (
            np.arange(data.n_groups)
            if groups is None
            else np.asarray(groups, dtype=int).reshape(-1)
        )
        if gsel.size and (gsel.min() < 0 or gsel.max() >= data.n_groups):
            raise HierarchicalInputError("groups", f"positions must be in 0..{data.n_groups - 1}")
        rng = np.random.default_rng(seed)
        d = self.draws(n_draws, seed)
        S = d["coef"].shape[0]
        T = data.n_times
        mean = np.empty((gsel.size, T), np.float32)
        qs = {float(q): np.empty((gsel.size, T), np.float32) for q in quantiles}
        for lo in range(0, gsel.size, block):
            g = gsel[lo : lo + block]
            eta = d["intercept"][:, g, None] + np.einsum(
                "gtf,sgf->sgt", data.X[g], d["coef"][:, g].astype(np.float32)
            )
            if self.spec.likelihood == "normal":
                mu = eta
                sims = eta + d["obs_sigma"].reshape(S, 1, 1) * rng.standard_normal(eta.shape)
            else:
                mu = np.exp(eta)
                if self.spec.likelihood == "gamma_poisson":
                    r = np.exp(d["log_concentration"][:, g, None]).astype(np.float64)
                    sims = rng.poisson(rng.gamma(np.broadcast_to(r, mu.shape), mu / r))
                else:
                    sims = rng.poisson(mu)
            mean[lo : lo + g.size] = mu.mean(axis=0)
            qv = np.quantile(sims, list(qs), axis=0)
            for k, q in enumerate(qs):
                qs[q][lo : lo + g.size] = qv[k]
        return Forecast(
            groups=np.asarray(data.groups)[gsel],
            times=np.asarray(data.times),
            mean=mean,
            quantiles=qs,
            observed=np.asarray(data.y[gsel]),
            target=data.target,
        )

    def group_effects(
        self, features: Sequence[str] | str | None = None, *, n_draws: int = 200, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """Draws of each named feature's coefficient in every group, (draws, groups): e.g.
        the promotion effect across stores (``exp`` of it is the multiplicative uplift)."""
        names = (
            list(self.spec.features)
            if features is None
            else ([features] if isinstance(features, str) else list(features))
        )
        for name in names:
            if name not in self.spec.features and name != "intercept":
                raise HierarchicalInputError(
                    f"features.{name}",
                    f"is not a feature of the model (features: {list(self.spec.features)})",
                )
        d = self.draws(n_draws, seed)
        out = {}
        for name in names:
            out[name] = (
                d["intercept"]
                if name == "intercept"
                else d["coef"][..., self.spec.features.index(name)]
            )
        return out

    def effects_frame(
        self, features: Sequence[str] | str | None = None, *, n_draws: int = 200, seed: int = 0
    ):
        """Per group and feature: posterior mean, sd and 90% interval of the coefficient."""
        import pandas as pd

        rows = []
        for name, draws in self.group_effects(features, n_draws=n_draws, seed=seed).items():
            q05, q95 = np.quantile(draws, [0.05, 0.95], axis=0)
            rows.append(
                pd.DataFrame(
                    {
                        "group": self.data.groups,
                        "feature": name,
                        "mean": draws.mean(axis=0),
                        "sd": draws.std(axis=0),
                        "q05": q05,
                        "q95": q95,
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------- SVI


@functools.lru_cache(maxsize=32)
def default_optimizer(
    learning_rate: float = 0.05, decay_steps: int = 1000, final_fraction: float = 0.1
):
    """Adam with a step size that decays from ``learning_rate`` towards
    ``final_fraction`` of it: ``lr * (f + (1 - f) * exp(-step / decay_steps))`` (large early
    steps, a quiet end: a tenth of the way down per ~2300 steps by default).

    It does not depend on the number of steps, and it is cached (same settings, same
    object), so fits of the same shapes share one compiled chunk whatever their length."""
    import jax.numpy as jnp
    import numpyro

    lr, f, tau = float(learning_rate), float(final_fraction), float(decay_steps)

    def schedule(i):
        return lr * (f + (1.0 - f) * jnp.exp(-i / tau))

    return numpyro.optim.Adam(schedule)


def optimizer_for(learning_rate) -> Any:
    """:func:`default_optimizer` at ``learning_rate``, which must be a number > 0."""
    return default_optimizer(check_input("learning_rate", check_number, learning_rate, low=0.0))


def fit_svi(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    steps: int = 3000,
    batch_size: int | None = 100,
    learning_rate: float = 0.05,
    chunk: int = 200,
    seed: int = 0,
    convergence: float | None = None,
    window: int = 200,
    on_chunk: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer=None,
    init: bool = True,
    spec: HierarchicalGLM | None = None,
    monitor: bool = False,
    draws: int = 100,
) -> HierarchicalFit | LiveHierarchicalFit:
    """Fit a hierarchical GLM to ``data`` by SVI, ``batch_size`` groups per step.

    The guide is :meth:`HierarchicalGLM.guide` (mean field), started from
    :func:`initial_params` (``init=False``: the intercept at its prior location, the rest
    at zero, AutoNormal-like scales). The default optimiser is Adam with a step size
    decaying from ``learning_rate`` towards a tenth of it (:func:`default_optimizer`).
    ``on_chunk``, ``should_stop``, ``convergence`` and ``window`` go to
    :func:`bayes_widgets.core.fitting.svi.run_svi`. Pass ``spec`` to use a model built by
    :func:`build_model`; fits of equal specs and shapes share one compiled chunk.

    ``monitor=True`` runs the same optimisation in a fit session and returns at once a
    :class:`LiveHierarchicalFit`: displayed, a live :class:`~bayes_widgets.FitMonitor`
    (loss curve, steps/s, ETA, parameters; Cancel keeps the parameters);
    ``.wait()`` gives the :class:`HierarchicalFit`. ``draws`` samples of the global sites
    are then drawn from the guide for the monitor's result.
    """
    from bayes_widgets.core.fitting.svi import run_svi

    if monitor and (on_chunk is not None or should_stop is not None):
        raise HierarchicalInputError(
            "monitor",
            "on_chunk and should_stop are for monitor=False; "
            "the monitor reports progress and cancels itself",
        )
    t0 = time.perf_counter()
    spec, arrays, optimizer, minibatch, init_params = _svi_setup(
        data,
        spec=spec,
        likelihood=likelihood,
        varying=varying,
        intercept=intercept,
        priors=priors,
        batch_size=batch_size,
        learning_rate=learning_rate,
        optimizer=optimizer,
        init=init,
        seed=seed,
    )
    if monitor:
        from bayes_widgets.core.views import open_view

        options = {
            "chunk": chunk,
            "window": window,
            "minibatch": minibatch,
            "init_params": init_params,
            "convergence": convergence,
        }
        live = open_view(
            "fit_monitor",
            spec.model,
            backend="numpyro-svi",
            guide=HierarchicalGuide(spec),
            model_args=(arrays,),
            steps=steps,
            optimizer=optimizer,
            seed=seed,
            draws=draws,
            var_names=list(spec.global_sites()),
            sampler_kwargs={k: v for k, v in options.items() if v is not None},
        )
        if live.session is None:
            raise live.exception
        return LiveHierarchicalFit(spec, data, live)
    res = run_svi(
        spec.model,
        spec.guide,
        steps=steps,
        optimizer=optimizer,
        seed=seed,
        chunk=chunk,
        model_args=(arrays,),
        minibatch=minibatch,
        init_params=init_params,
        convergence=convergence,
        window=window,
        on_chunk=on_chunk,
        should_stop=should_stop,
    )
    return HierarchicalFit(
        spec=spec,
        data=data,
        method="svi",
        params=res.params,
        svi_result=res,
        elapsed_s=time.perf_counter() - t0,
    )


def _svi_setup(
    data,
    *,
    spec,
    likelihood,
    varying,
    intercept,
    priors,
    batch_size,
    learning_rate,
    optimizer,
    init,
    seed,
):
    """The model spec, its arrays, the optimiser, the minibatch and the start of an SVI fit."""
    from bayes_widgets.core.fitting.svi import Minibatch

    seed = check_input("seed", check_seed, seed, allow_none=False)
    if spec is None:
        spec = build_model(
            data,
            likelihood=likelihood,
            varying=varying,
            intercept=intercept,
            batch_size=batch_size,
            priors=priors,
        )
    arrays = spec.arrays(data)
    if optimizer is None:
        optimizer = optimizer_for(learning_rate)
    minibatch = (
        Minibatch(spec.batch_size, spec.n_groups, plate=GROUP_PLATE) if spec.subsampled else None
    )
    init_params = initial_params(spec, data, seed=seed) if init else None
    return spec, arrays, optimizer, minibatch, init_params


class HierarchicalGuide:
    """The model's mean-field guide (:meth:`HierarchicalGLM.guide`) with the quantiles and
    medians of its factors, as autoguides have them: a live parameter table shows the
    global sites' intervals instead of raw ``_loc``/``_scale`` parameters."""

    def __init__(self, spec: HierarchicalGLM):
        self.spec = spec

    def __call__(self, *args, **kwargs):
        return self.spec.guide(*args, **kwargs)

    def quantiles(self, params: Mapping[str, Any], quantiles: Sequence[float]) -> dict[str, Any]:
        import jax.numpy as jnp
        from jax.scipy.stats import norm

        z = norm.ppf(jnp.asarray(quantiles, jnp.float32))
        out = {}
        for site in self.spec.global_sites():
            loc, scale = params[f"{site}_loc"], params[f"{site}_scale"]
            q = loc[None] + scale[None] * z.reshape((-1,) + (1,) * jnp.ndim(loc))
            out[site] = jnp.exp(q) if site in POSITIVE_SITES else q
        return out

    def median(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {site: v[0] for site, v in self.quantiles(params, [0.5]).items()}


class LiveHierarchicalFit:
    """An SVI fit of a hierarchical GLM running in a :class:`~bayes_widgets.FitMonitor`.

    Displayed in a notebook it shows the monitor (the live loss curve, steps/s, ETA,
    the global parameters); :meth:`wait` returns the :class:`HierarchicalFit` when the
    optimisation ends (converged, finished, or cancelled on the page: the parameters
    of the last finished chunk are kept). Made by ``fit_svi(..., monitor=True)``.
    """

    def __init__(self, spec: HierarchicalGLM, data: PanelData, monitor):
        self.spec = spec
        self.data = data
        self.monitor = monitor
        self._fit: HierarchicalFit | None = None
        self._t0 = time.perf_counter()

    def wait(self, timeout: float | None = None) -> HierarchicalFit:
        """Blocks until the fit ends and returns it (interrupting the kernel cancels)."""
        if self._fit is None:
            result = self.monitor.wait(timeout)
            if result.error:
                raise HierarchicalInputError("fit", f"the SVI fit failed: {result.error}")
            if not result.params:
                raise HierarchicalInputError(
                    "fit", "the fit was cancelled before its first chunk: nothing was fitted"
                )
            self._fit = HierarchicalFit.from_result(
                result, self.spec, self.data, elapsed_s=time.perf_counter() - self._t0
            )
        return self._fit

    def cancel(self) -> None:
        """Stops after the current chunk, keeping its parameters."""
        self.monitor.session.cancel()

    def _repr_mimebundle_(self, **kwargs):
        return self.monitor._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        status = self.monitor.status
        return f"LiveHierarchicalFit({self.spec.likelihood}, {self.spec.n_groups} groups, status={status!r})"


# ---------------------------------------------------------------------- NUTS


def fit_nuts(
    data: PanelData,
    *,
    likelihood: str = "gamma_poisson",
    varying: Sequence[str] | str | None = None,
    intercept: bool = True,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    target_accept: float = 0.9,
) -> HierarchicalFit:
    """Sample the model with NumPyro's NUTS (chains one after another; for small models)."""
    import jax
    from numpyro.infer import MCMC, NUTS

    draws = check_input("draws", check_positive_int, draws)
    tune = check_input("tune", check_positive_int, tune)
    chains = check_input("chains", check_positive_int, chains)
    target_accept = check_input("target_accept", check_probability, target_accept)
    seed = check_input("seed", check_seed, seed, allow_none=False)
    t0 = time.perf_counter()
    spec = build_model(
        data, likelihood=likelihood, varying=varying, intercept=intercept, priors=priors
    )
    arrays = spec.arrays(data)
    mcmc = MCMC(
        NUTS(spec.model, target_accept_prob=target_accept),
        num_warmup=tune,
        num_samples=draws,
        num_chains=chains,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), arrays)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples().items()}
    extra = mcmc.get_extra_fields()
    return HierarchicalFit(
        spec=spec,
        data=data,
        method="nuts",
        samples=samples,
        mcmc=mcmc,
        elapsed_s=time.perf_counter() - t0,
        info={"divergences": int(np.asarray(extra.get("diverging", np.zeros(0))).sum())},
    )

"""What a hierarchical fit gives: posterior draws, group effects and forecasts with bands.

fit = fit_svi(data)                          # or fit_nuts(data): a HierarchicalFit
forecast = fit.predict(groups=[0, 1])        # a Forecast: mean, 50% and 90% bands
forecast.coverage(0.9); forecast.to_frame()
fit.group_effects("promo")                   # (draws, groups)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import POSITIVE_SITES, HierarchicalGLM, Site

__all__ = ["QUANTILES", "Forecast", "HierarchicalFit"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of a forecast: the 90% band (0.05-0.95), the 50% band (0.25-0.75), the median."""


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

    def position(self, group) -> int:
        """The position of ``group``: one of :attr:`groups`' labels or, failing that, an
        integer position."""
        labels = list(np.asarray(self.groups).tolist())
        if group in labels:
            return labels.index(group)
        if (
            isinstance(group, int | np.integer)
            and not isinstance(group, bool)
            and 0 <= group < len(labels)
        ):
            return int(group)
        raise HierarchicalInputError(
            "group", f"{group!r} is neither a group label nor a position 0..{len(labels) - 1}"
        )

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
    """SVI: what the optimisation returned (run_svi's result, or the engine's FitResult)."""
    result: Any = None
    """The fit engine's :class:`~bayes_widgets.core.fitting.result.FitResult` (NUTS, and
    SVI under a monitor): its ``diagnostics``, ``summary()``, ``problems`` and ``idata``."""
    elapsed_s: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def mcmc(self) -> Any:
        """Deprecated: NUTS runs in the project's fit engine; use :attr:`result`."""
        warnings.warn(
            "HierarchicalFit.mcmc is deprecated; use HierarchicalFit.result (the FitResult)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.result

    @classmethod
    def from_result(
        cls, result, spec: HierarchicalGLM, data: PanelData, *, elapsed_s: float = 0.0
    ) -> HierarchicalFit:
        """The fit of ``spec`` to ``data`` from a fit session's :class:`FitResult`: SVI
        (``bw.fit(spec.model, backend="numpyro-svi", guide=spec.guide, ...)``) or NUTS
        (``bw.fit(spec.model, backend="numpyro", ...)``)."""
        method = getattr(result, "method", None)
        if method == "svi" and result.params:
            return cls._from_svi(result, spec, data, elapsed_s)
        if method == "mcmc" and getattr(result, "posterior", None) is not None:
            return cls._from_mcmc(result, spec, data, elapsed_s)
        raise HierarchicalInputError(
            "result",
            "expected the result of a fit of this model: SVI with parameters, or MCMC with "
            "posterior draws",
        )

    @classmethod
    def _from_svi(cls, result, spec, data, elapsed_s) -> HierarchicalFit:
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
            result=result,
            elapsed_s=float(elapsed_s),
            info={"steps": int(result.steps), "converged": bool(result.converged)},
        )

    @classmethod
    def _from_mcmc(cls, result, spec, data, elapsed_s) -> HierarchicalFit:
        posterior = result.posterior
        sites = spec.global_sites() + spec.local_sites()
        missing = [site for site in sites if site not in posterior.data_vars]
        if missing:
            raise HierarchicalInputError(
                "result", f"its posterior lacks {', '.join(missing)}: not a fit of this model"
            )
        samples = {}
        for site in sites:
            values = np.asarray(posterior[site].values)  # (chain, draw, ...)
            samples[site] = values.reshape(-1, *values.shape[2:])  # chains stacked
        stats = result.idata["sample_stats"] if "sample_stats" in result.idata.children else None
        diverging = 0 if stats is None else int(np.asarray(stats["diverging"].values).sum())
        return cls(
            spec=spec,
            data=data,
            method="nuts",
            samples=samples,
            result=result,
            elapsed_s=float(elapsed_s),
            info={
                "divergences": diverging,
                "chains": int(posterior.sizes["chain"]),
                "draws": int(posterior.sizes["draw"]),
                "partial": bool(result.partial),
            },
        )

    # ------------------------------------------------------------ site draws

    def site_draws(self, n: int | None = 200, seed: int = 0) -> dict[str, np.ndarray]:
        """Draws of every latent site (and fixed globals broadcast), leading axis = draw;
        ``n=None``: every NUTS draw (200 from an SVI guide)."""
        if self.method == "nuts":
            out = {k: np.asarray(v) for k, v in self._samples().items()}
            if n is not None and n < len(next(iter(out.values()))):
                idx = np.random.default_rng(seed).choice(
                    len(next(iter(out.values()))), n, replace=False
                )
                out = {k: v[idx] for k, v in out.items()}
            return out
        n = 200 if n is None else n
        params = self._params()
        rng = np.random.default_rng(seed)
        sites = list(self.spec.local_sites())
        if self.fixed is None:
            sites = list(self.spec.global_sites()) + sites
        out = {}
        for site in sites:
            loc, scale = params[f"{site}_loc"], params[f"{site}_scale"]
            z = loc + scale * rng.standard_normal((n, *loc.shape)).astype(np.float32)
            out[site] = np.exp(z) if site in POSITIVE_SITES else z
        if self.fixed is not None:
            for site, value in self.fixed.items():
                out[site] = np.broadcast_to(np.asarray(value), (n, *np.shape(value)))
        return out

    def site_means(self) -> dict[str, np.ndarray]:
        """Posterior mean of every latent site (exact for the mean-field guide)."""
        if self.method == "nuts":
            return {k: np.asarray(v).mean(axis=0) for k, v in self._samples().items()}
        params = self._params()
        sites = list(self.spec.local_sites())
        if self.fixed is None:
            sites = list(self.spec.global_sites()) + sites
        out = {}
        for site in sites:
            loc, scale = params[f"{site}_loc"], params[f"{site}_scale"]
            out[site] = np.exp(loc + 0.5 * scale**2) if site in POSITIVE_SITES else np.asarray(loc)
        if self.fixed is not None:
            out.update({k: np.asarray(v) for k, v in self.fixed.items()})
        return out

    def _samples(self) -> dict[str, np.ndarray]:
        if self.samples is None:
            raise HierarchicalInputError("samples", "a NUTS fit needs its draws; this one has none")
        return self.samples

    def _params(self) -> dict[str, np.ndarray]:
        if self.params is None:
            raise HierarchicalInputError("params", "an SVI fit needs its guide's parameters")
        return self.params

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

    def draws(self, n: int | None = 200, seed: int = 0) -> dict[str, np.ndarray]:
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
        data = self.checked_data(data)
        pm = self.posterior_mean()
        return pm["intercept"][:, None] + np.einsum(
            "gtf,gf->gt", data.X, pm["coef"].astype(np.float32)
        )

    def predict_mean(self, data: PanelData | None = None) -> np.ndarray:
        """Point prediction of the target: ``exp(log_mean)`` for counts, ``log_mean`` otherwise."""
        eta = self.log_mean(data)
        return np.exp(eta) if self.spec.count else eta

    def checked_data(self, data: PanelData | None = None) -> PanelData:
        """``data`` checked to fit this model (its groups and features); None: the
        training data."""
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
        data = self.checked_data(data)
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

    def mean_effects(self, features: Sequence[str] | str) -> dict[str, np.ndarray]:
        """Each named feature's (or ``"intercept"``'s) posterior-mean coefficient in every
        group, (groups,): what the effect densities across groups are drawn from."""
        names = [features] if isinstance(features, str) else list(features)
        if not names:
            raise HierarchicalInputError("features", "name at least one feature")
        pm = self.posterior_mean()
        out = {}
        for name in names:
            if name == "intercept":
                out[name] = pm["intercept"]
            elif name in self.spec.features:
                out[name] = pm["coef"][:, self.spec.features.index(name)]
            else:
                raise HierarchicalInputError(
                    f"features.{name}",
                    f"is not a feature of the model (features: {list(self.spec.features)})",
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

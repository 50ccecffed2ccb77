"""Bands of an MMM's adstock weights and saturation curve per channel, from its priors as
they are being edited and, once fitted, from its posterior.

    tb = TransformBands(mmm, draws=300)          # a built pymc-marketing MMM
    view = tb.bands(priors, "x1")                # priors: {"adstock_alpha": PriorDist, ...}
    view["adstock"]["prior"]["0.5"]              # median weight at each lag 0 .. l_max - 1
    view["saturation"]["prior"]["0.95"]          # contribution per period over view["spend"]
    view["spend_range"]                          # the channel's observed spend, [lowest, highest]
    tb.bands(priors, "x1", posterior=mmm.idata.posterior)   # adds the posterior bands

The curves are the model's own: the adstock and saturation components' ``function``
(pymc-marketing's transformers) compiled once into one function of parameter draws.
The adstock bands are the weights a unit of spend at lag 0 gets at each lag (they sum to
one when the adstock is normalized). The saturation curve is in original units: spend per
period on the x axis (the model divides it by the channel's scale), contribution per
period in units of the target (the model's output times the target's scale); with a
normalized adstock it is the contribution of a steady spend at that level. A
time-varying media multiplier (mean one) is left out.

An editable prior (a ``PriorDist``, scalar or one value per channel) is drawn at fixed
probabilities (``core.priors.sampling``), so the bands move smoothly as a parameter is
dragged; draws are cached per parameter, and a curve is recomputed only when one of its
parameters changed. Priors that cannot be edited (per geo and channel, hierarchical) are
drawn once with PyMC. Geo models (``dims=("geo",)``): ``geo=None`` pools the draws over
the geos (draw *k* is geo *k* mod the number of geos, with that geo's scales), a geo's
label gives that geo's bands.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.sampling import draws_at, stratified_uniforms

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CHANNEL = "channel"


_COMPILED: dict[tuple, Any] = {}


def compiled_transform(component) -> Any:
    """The component's ``function`` compiled once per kind of component, as a function of
    parameter draws (vectors over draws, in ``variable_mapping`` order): an adstock's of
    the draws only, giving the weights (S, l_max) of a unit impulse at lag 0; a
    saturation's of the draws and the input x (S, P), giving (S, P)."""
    key = _component_key(component)
    if key not in _COMPILED:
        _COMPILED[key] = _compile(component)
    return _COMPILED[key]


def _compile(component):
    import pytensor
    import pytensor.xtensor as px

    params = {
        p: px.xtensor(f"{component.prefix}_{p}", dims=("sample",), shape=(None,), dtype="float64")
        for p in component.variable_mapping
    }
    if hasattr(component, "l_max"):  # an adstock
        impulse = np.zeros(component.l_max)
        impulse[0] = 1.0
        out = component.function(px.as_xtensor(impulse, dims=("lag",)), **params, dim="lag")
        return pytensor.function(list(params.values()), out.transpose("sample", "lag").values)
    x = px.xtensor("x", dims=("sample", "spend"), shape=(None, None), dtype="float64")
    out = component.function(x, **params)
    return pytensor.function([*params.values(), x], out.transpose("sample", "spend").values)


def _component_key(component) -> tuple:
    return (
        type(component).__name__,
        getattr(component, "l_max", None),
        getattr(component, "normalize", None),
        str(getattr(component, "mode", None)),
        tuple(component.variable_mapping.items()),
    )


def posterior_of(mmm) -> Any:
    """The posterior (an xarray Dataset) of a fitted pymc-marketing MMM, else ``None``."""
    idata = getattr(mmm, "idata", None)
    if not getattr(mmm, "is_fitted_", False) or idata is None:
        return None
    try:
        post = idata["posterior"]
    except (KeyError, TypeError):
        return None
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def quantile_bands(draws: np.ndarray, quantiles=QUANTILES) -> dict[str, list[float]]:
    """Quantiles over the draws (axis 0) of curves ``(S, n)``, by probability ``"0.05"``...
    (numpy's default, linear interpolation; draws that are not finite are left out)."""
    if np.isfinite(draws).all():
        ordered = np.sort(draws, axis=0)  # one sort, then every quantile: cheaper than
        pos = np.asarray(quantiles) * (len(ordered) - 1)  # np.quantile's general path
        low = np.floor(pos).astype(int)
        high = np.minimum(low + 1, len(ordered) - 1)
        frac = (pos - low)[:, None]
        q = ordered[low] * (1 - frac) + ordered[high] * frac
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(np.where(np.isfinite(draws), draws, np.nan), quantiles, axis=0)
    return {f"{p:g}": q[i].tolist() for i, p in enumerate(quantiles)}


class TransformBands:
    """Prior and posterior bands of an MMM's transforms (see the module docstring)."""

    def __init__(self, mmm, *, draws: int = 300, points: int = 50, seed: int = 0):
        for name, value, low in (("draws", draws, 10), ("points", points, 2)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise MMMDataError(name, f"must be a whole number ≥ {low}, got {value!r}")
        if not hasattr(mmm, "adstock") or not hasattr(mmm, "saturation"):
            raise MMMDataError("mmm", f"expected a pymc-marketing MMM, got {type(mmm).__name__}")
        try:
            model = mmm.model
        except Exception:
            raise MMMDataError("mmm", "the MMM has no model yet: build it first") from None
        self.mmm = mmm
        self.model = model
        self.draws = int(draws)
        self.points = int(points)
        self.seed = seed
        self.channels = [str(c) for c in mmm.channel_columns]
        dims = tuple(getattr(mmm, "dims", None) or ())
        self.geo_dim = dims[0] if dims else None
        self.geos = [str(g) for g in model.coords.get(self.geo_dim, ())] if self.geo_dim else []
        self.lags = list(range(int(mmm.adstock.l_max)))
        self._ad_vars = list(mmm.adstock.variable_mapping.values())
        self._sat_vars = list(mmm.saturation.variable_mapping.values())
        self._adstock_fn = compiled_transform(mmm.adstock)
        self._saturation_fn = compiled_transform(mmm.saturation)
        self._u = {v: stratified_uniforms(self.draws, seed + i) for i, v in enumerate(self.names)}
        self._spend, self._spend_dims = self._channel_data()
        self._scales = mmm.get_scales_as_xarray()
        self._fixed: dict[str, np.ndarray] = {}  # prior draws of the variables not editable
        self._draw_cache: dict[str, tuple[Any, np.ndarray]] = {}
        self._curve_cache: dict[str, tuple] = {}
        self._posterior_cache: dict[tuple, dict[str, Any]] = {}
        self._scale_cache: dict[tuple, np.ndarray] = {}
        self._band_cache: dict[str, tuple] = {}

    @property
    def names(self) -> list[str]:
        """The model variables of the transforms' parameters (``adstock_alpha``, ...)."""
        return self._ad_vars + self._sat_vars

    # -- the data ------------------------------------------------------------------------
    def _channel_data(self) -> tuple[np.ndarray, tuple[str, ...]]:
        var = self.model["channel_data"]
        dims = tuple(
            getattr(var.type, "dims", None) or self.model.named_vars_to_dims["channel_data"]
        )
        return np.asarray(var.get_value(), dtype=float), dims

    def _check(self, channel: str, geo: str | None) -> tuple[int, np.ndarray]:
        """The channel's index and each draw's geo index (zeros for a national model)."""
        if channel not in self.channels:
            raise MMMDataError(
                "channel", f"{channel!r} is not a channel ({', '.join(self.channels)})"
            )
        if geo is not None and geo not in self.geos:
            where = f"one of {', '.join(self.geos)}" if self.geos else "None: the model has no geos"
            raise MMMDataError("geo", f"{geo!r} is not a geo of the model; choose {where}")
        if not self.geos:
            return self.channels.index(channel), np.zeros(self.draws, dtype=int)
        if geo is None:
            return self.channels.index(channel), np.arange(self.draws) % len(self.geos)
        return self.channels.index(channel), np.full(self.draws, self.geos.index(geo))

    def spend_range(self, channel: str, geo: str | None = None) -> tuple[float, float]:
        """The lowest and highest spend per period of ``channel`` in the model's data (over
        every geo when ``geo`` is None)."""
        c, _ = self._check(channel, geo)
        spend = np.take(self._spend, c, axis=self._spend_dims.index(CHANNEL))
        dims = [d for d in self._spend_dims if d != CHANNEL]
        if geo is not None and self.geo_dim in dims:
            spend = np.take(spend, self.geos.index(geo), axis=dims.index(self.geo_dim))
        return float(np.nanmin(spend)), float(np.nanmax(spend))

    def _scale(self, name: str, c: int, g: np.ndarray) -> np.ndarray:
        """A scale (``channel_scale`` or ``target_scale``) per draw."""
        key = (name, c, g[0] if len(g) else 0, len(g), bool(len(g) and g[-1] != g[0]))
        if key not in self._scale_cache:
            self._scale_cache[key] = self._scale_of(name, c, g)
        return self._scale_cache[key]

    def _scale_of(self, name: str, c: int, g: np.ndarray) -> np.ndarray:
        da = self._scales[name]
        if CHANNEL in da.dims:
            da = da.isel({CHANNEL: c})
        if self.geo_dim in da.dims:
            return np.asarray(da.transpose(self.geo_dim).values, dtype=float)[g]
        return np.full(len(g), float(np.asarray(da.values).squeeze()))

    # -- parameter draws -------------------------------------------------------------------
    def _select(self, values: np.ndarray, dims: tuple[str, ...], c: int, g: np.ndarray):
        """One value per draw from ``values`` (draws, *dims): the channel's, each draw's geo's."""
        n = len(g)
        index: list[Any] = [np.arange(n)]
        for d in dims:
            index.append(c if d == CHANNEL else g if d == self.geo_dim else 0)
        return np.asarray(values[tuple(index)], dtype=float)

    def _prior_draws(
        self, var: str, prior: PriorDist | None, c: int, geo: str | None, g: np.ndarray
    ) -> np.ndarray:
        """Prior draws of one parameter for the channel (and geo), cached until its prior
        changes: the same array object while it holds."""
        if prior is None:
            key: tuple = ("fixed", c, geo)
        elif prior.size is None or not prior.dims:
            key = (prior.family, _params_key(prior))
        elif prior.dims[0] == CHANNEL:
            key = (prior.family, c, _params_key(prior.element(c)))
        else:  # one value per geo: each draw its geo's
            key = (prior.family, geo, _params_key(prior))
        cached = self._draw_cache.get(var)
        if cached is not None and cached[0] == key:
            return cached[1]
        u = self._u[var]
        if prior is None:
            out = self._select(*self._fixed_draws(var), c, g)
        elif prior.size is None or not prior.dims:
            out = draws_at(prior, u)
        elif prior.dims[0] == CHANNEL:
            out = draws_at(prior.element(c), u)
        else:
            every = np.stack([draws_at(prior.element(i), u) for i in range(prior.size)])
            out = every[np.minimum(g, prior.size - 1), np.arange(len(u))]
        self._draw_cache[var] = (key, out)
        return out

    def _fixed_draws(self, var: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Prior draws of a variable the editor cannot edit, drawn once with PyMC."""
        import pymc as pm

        rv = self.model[var]
        dims = tuple(getattr(rv.type, "dims", None) or self.model.named_vars_to_dims.get(var, ()))
        if var not in self._fixed:
            self._fixed[var] = np.asarray(
                pm.draw(rv, draws=self.draws, random_seed=self.seed), dtype=float
            ).reshape(self.draws, *[len(self.model.coords[d]) for d in dims])
        return self._fixed[var], dims

    # -- curves ----------------------------------------------------------------------------
    def spend_grid(self, channel: str, geo: str | None = None) -> np.ndarray:
        """Spend per period from 0 to a quarter beyond the highest observed."""
        high = self.spend_range(channel, geo)[1]
        return np.linspace(0.0, 1.25 * high if high > 0 else 1.0, self.points)

    def curves(
        self,
        params: Mapping[str, np.ndarray],
        channel: str,
        geo: str | None,
        g: np.ndarray,
        *,
        cache: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Adstock weights (S, L) and saturation curve (S, P) in original units for
        parameter draws ``params`` (by variable name, each (S,)) of ``channel``. With
        ``cache``, each curve is reused while its draws are the same arrays."""
        ad = [params[v] for v in self._ad_vars]
        sat = [params[v] for v in self._sat_vars]
        hit = self._curve_cache.get(f"{cache}:adstock") if cache else None
        if hit is not None and _same(hit[0], ad):
            weights = hit[1]
        else:
            weights = self._call(self._adstock_fn, *ad)
        hit = self._curve_cache.get(f"{cache}:saturation") if cache else None
        if hit is not None and hit[2] == (channel, geo) and _same(hit[0], sat):
            curve = hit[1]
        else:
            c = self.channels.index(channel)
            x = self.spend_grid(channel, geo)[None, :] / self._scale("channel_scale", c, g)[:, None]
            curve = self._call(self._saturation_fn, *sat, x)
            curve = curve * self._scale("target_scale", c, g)[:, None]
        if cache:
            self._curve_cache[f"{cache}:adstock"] = (ad, weights)
            self._curve_cache[f"{cache}:saturation"] = (sat, curve, (channel, geo))
        return weights, curve

    def _call(self, fn, *args) -> np.ndarray:
        try:
            return np.asarray(fn(*args), dtype=float)
        except Exception as exc:  # e.g. a retention rate drawn outside (0, 1]
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MMMDataError(
                ", ".join(self.names),
                f"the drawn values are outside what the {type(self.mmm.adstock).__name__} "
                f"and {type(self.mmm.saturation).__name__} accept ({reason})",
            ) from None

    def prior_curves(self, priors: Mapping[str, PriorDist], channel: str, geo: str | None = None):
        """Adstock weights and saturation curves over the prior draws (see :meth:`curves`)."""
        c, g = self._check(channel, geo)
        params = {v: self._prior_draws(v, priors.get(v), c, geo, g) for v in self.names}
        return self.curves(params, channel, geo, g, cache="prior")

    def posterior_curves(self, posterior, channel: str, geo: str | None = None):
        """The same over (at most ``draws``) posterior draws; ``None`` when a parameter is
        missing from ``posterior``."""
        c, _ = self._check(channel, geo)
        if any(v not in posterior for v in self.names):
            return None
        first = posterior[self.names[0]]
        total = int(first.sizes["chain"] * first.sizes["draw"])
        pick = np.unique(np.linspace(0, total - 1, min(self.draws, total)).round().astype(int))
        if self.geos and geo is None:
            g = np.arange(len(pick)) % len(self.geos)
        else:
            g = np.full(len(pick), self.geos.index(geo) if geo is not None else 0)
        params = {}
        for v in self.names:
            da = posterior[v].stack(__sample__=("chain", "draw")).transpose("__sample__", ...)
            params[v] = self._select(np.asarray(da.values)[pick], tuple(da.dims[1:]), c, g)
        return self.curves(params, channel, geo, g)

    # -- the view -------------------------------------------------------------------------
    def _bands_of(self, what: str, curves: np.ndarray, quantiles) -> dict[str, list[float]]:
        """Quantile bands of ``curves``, reused while they are the same array."""
        hit = self._band_cache.get(what)
        if hit is not None and hit[0] is curves and hit[1] == tuple(quantiles):
            return hit[2]
        out = quantile_bands(curves, quantiles)
        self._band_cache[what] = (curves, tuple(quantiles), out)
        return out

    def bands(
        self,
        priors: Mapping[str, PriorDist],
        channel: str,
        *,
        geo: str | None = None,
        posterior=None,
        quantiles=QUANTILES,
    ) -> dict[str, Any]:
        """Prior (and posterior) bands of the channel's adstock weights and saturation curve,
        JSON-ready (see the module docstring)."""
        weights, curve = self.prior_curves(priors, channel, geo)
        low, high = self.spend_range(channel, geo)
        out: dict[str, Any] = {
            "channel": channel,
            "geo": geo,
            "lags": self.lags,
            "spend": [float(v) for v in self.spend_grid(channel, geo)],
            "spend_range": [low, high],
            "adstock": {"prior": self._bands_of("adstock", weights, quantiles), "posterior": None},
            "saturation": {
                "prior": self._bands_of("saturation", curve, quantiles),
                "posterior": None,
            },
            "draws": {"prior": int(weights.shape[0]), "posterior": 0},
        }
        if posterior is not None:
            key = (id(posterior), channel, geo, tuple(quantiles))
            if key not in self._posterior_cache:
                post = self.posterior_curves(posterior, channel, geo)
                self._posterior_cache[key] = (
                    {}
                    if post is None
                    else {
                        "adstock": quantile_bands(post[0], quantiles),
                        "saturation": quantile_bands(post[1], quantiles),
                        "draws": int(post[0].shape[0]),
                    }
                )
            cached = self._posterior_cache[key]
            if cached:
                out["adstock"]["posterior"] = cached["adstock"]
                out["saturation"]["posterior"] = cached["saturation"]
                out["draws"]["posterior"] = cached["draws"]
        return out


def _params_key(prior: PriorDist) -> tuple:
    return tuple(
        (k, tuple(np.atleast_1d(np.asarray(v, float)).tolist()))
        for k, v in sorted(prior.params.items())
    )


def _same(old: list, new: list) -> bool:
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


__all__ = ["QUANTILES", "TransformBands", "posterior_of", "quantile_bands"]

"""Fitting an MMM through bayes_widgets' fit sessions, and reading it in original units."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bayes_widgets.core.mmm.validation import MMMDataError

DEFAULT_BACKEND = "nutpie"
DEFAULT_CHAINS = 4
"""Chains of the default fit, run as many at a time as there are cores: with two, the
largest R-hat over an MMM's hundreds of quantities often exceeds 1.01 by chance."""
DEFAULT_TUNE = 1000
"""Tuning draws per chain of the default fit, national models."""
DEFAULT_GEO_TUNE = 500
"""Tuning draws per chain of the default fit, geo models: their step size and mass matrix
settle within 500 draws. On 10 of the Meridian geos (seeds 1 and 2, nothing else
running) 500 tuning draws gave R-hat 1.0060 and 1.0050 against 1.0049 and 1.0061 with
1000, no divergence either way, and bulk ESS per second 25.8 and 18.8 against 17.6 and
15.7: a geo model's tuning draws cost as much as its kept ones."""
DEFAULT_DRAWS = 2000
"""Draws per chain kept after tuning, national models. The largest R-hat over an MMM's
quantities is set by its slowest ones (the saturation's ``lam`` against ``beta``, the
time-varying media's Gaussian-process coefficients and scale), which keep about 0.2
effective draws per draw: with 1000 draws per chain the case study with time-varying
media reached 1.0057 to 1.0095 over six fits (seeds 1 to 5), and a two-channel model
1.0076, too close to 1.01 to hold for every seed. 2000 draws double every ESS (661-805
to 1372-1631) and halve R-hat's excess over 1 (1.0042 to 1.0052, seeds 2 to 5) for half
as much time again (tuning and compilation are paid once), so ESS per second rises too.
See ``benchmarks/bench_mmm_convergence.py``."""
DEFAULT_GEO_DRAWS = 1500
"""Draws per chain kept after tuning, geo models. Their slowest quantities mix faster
(0.44 and 0.52 effective draws per draw in two fits of 5 of the Meridian geos), and their
draws weigh more: 40 geos x 156 weeks carry some 81,000 deterministic quantities
(contributions per date, geo and channel), 3.9 GB of draws at 4 x 1500. With 1000 draws
the largest R-hat over those quantities reached 1.0101 on one seed of the 40-geo model:
the more quantities, the higher the largest of them by chance. 1500 draws shrink R-hat's
excess over 1 by about a third, for the sampling time of the 1000 + 1000 before: seeds 1
to 5 of the 40-geo model ended at 1.0045 to 1.0057, with no divergence (1.0042 to 1.0066
with the graph rewrites of :mod:`bayes_widgets.core.fitting.rewrites`). See
``benchmarks/bench_mmm_convergence.py``."""


def default_draws(dims: tuple[str, ...] = ()) -> int:
    """Draws per chain of the default fit for a model with these extra ``dims``."""
    return DEFAULT_GEO_DRAWS if dims else DEFAULT_DRAWS


def default_tune(dims: tuple[str, ...] = ()) -> int:
    """Tuning draws per chain of the default fit for a model with these extra ``dims``."""
    return DEFAULT_GEO_TUNE if dims else DEFAULT_TUNE


TARGET_ACCEPT = 0.9
"""The step-size adaptation's target acceptance of a national model's default fit.
With nutpie's 0.8 a two-channel model of ``mmm_example`` (lag 4, two controls) diverged
once to three times on 4 of 8 seeds with the default draws, and the case study with
time-varying media 9 times on one seed of 5. With 0.9 none of those fits diverged, the
two-channel model kept more bulk ESS in the same time (2264-3479 against 1621-2239) and
the case study's largest R-hat stayed at 1.0011-1.0023 (plain) and 1.0033-1.0059
(time-varying media). See ``benchmarks/bench_mmm_convergence.py``."""
GEO_TARGET_ACCEPT = 0.95
"""The step-size adaptation's target acceptance of a geo model's default fit."""


def default_sampler_kwargs(backend: str) -> dict[str, Any]:
    """Sampler options picked for ESS per second at R-hat ≤ 1.01 on MMMs.

    nutpie with a mass matrix adapted from the draws' variances (``draw_diag``, as Stan
    and PyMC adapt) instead of nutpie's default gradient-based estimate. On the case study
    (161 weeks, 10 channels, 2 controls; 1000 + 1000 draws, 2 chains) the default mixed
    slowly: min bulk ESS 237 (plain) and 30 (time-varying media, R-hat 1.05), against 973
    and 303 (R-hat ≤ 1.01) with ``draw_diag``, for about twice the sampling time. The
    gradient-based low-rank adaptation helped the plain model but cost 10x per step on
    the 240 parameters of the time-varying one. See ``benchmarks/bench_mmm_fit.py``.
    """
    return {"adaptation": "draw_diag"} if backend == "nutpie" else {}


def default_target_accept(dims: tuple[str, ...] = ()) -> float:
    """The step-size adaptation's target acceptance of the default fit: 0.9 for a national
    model (:data:`TARGET_ACCEPT`), 0.95 for a geo model. A geo model's per-geo noise and
    seasonality make the posterior's curvature vary: with nutpie's 0.8 the 10-geo Meridian
    model diverged 13 to 58 times in 4000 draws on each of 5 seeds and one seed ended at
    R-hat 1.017; with 0.95 that seed gave R-hat 1.006 and no divergence, in less time. See
    ``benchmarks/bench_mmm_convergence.py``."""
    return GEO_TARGET_ACCEPT if dims else TARGET_ACCEPT


def fit_session(
    owner,
    mmm,
    model,
    *,
    backend: str | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    target_accept: float | None = None,
    sampler_kwargs: dict[str, Any] | None = None,
    progress=None,
    **fit_kwargs: Any,
):
    """The fit session of ``model`` (the sampling model of ``mmm``, a build of ``owner``,
    an :class:`MMMModel`) with :meth:`MMMModel.fit`'s defaults for the options left None;
    ``owner.mmm`` becomes ``mmm``, which gets the draws when sampling ends. ``progress``:
    ``report(fraction, draws_done, total)``, called at most once a second."""
    from bayes_widgets.core.fitting.events import Cancelled, Finished
    from bayes_widgets.core.fitting.session import FitSession

    backend = backend or DEFAULT_BACKEND
    session = FitSession(
        model,
        backend=backend,
        draws=default_draws(owner.dims) if draws is None else draws,
        tune=default_tune(owner.dims) if tune is None else tune,
        chains=DEFAULT_CHAINS if chains is None else chains,
        target_accept=default_target_accept(owner.dims) if target_accept is None else target_accept,
        sampler_kwargs={**default_sampler_kwargs(backend), **(sampler_kwargs or {})},
        **fit_kwargs,
    )
    owner.mmm, owner.backend = mmm, backend

    def attach(event):
        if isinstance(event, Finished | Cancelled) and event.result.posterior is not None:
            attach_fit(mmm, event.result.idata)

    session.subscribe(attach)
    if progress is not None:  # e.g. a fleet run reporting to its board
        session.subscribe(progress_listener(progress))
    return session


def progress_listener(report, every_s: float = 1.0):
    """Calls ``report(fraction, draws_done, total)`` at most every ``every_s`` seconds."""
    import time

    from bayes_widgets.core.fitting.events import ChainProgress

    last = [0.0]

    def listener(event):
        if isinstance(event, ChainProgress) and time.monotonic() - last[0] >= every_s:
            last[0] = time.monotonic()
            done = sum(c.draws_done for c in event.chains)
            total = sum(c.total for c in event.chains)
            report(done / total if total else 0.0, done, total)

    return listener


def sampling_model(mmm):
    """The model as sampled: data and dimension lengths frozen into constants (as
    pymc-marketing's own ``fit`` does), so the compiler can fold what does not depend on
    the parameters (e.g. the Gaussian-process basis of time-varying media)."""
    from pymc.model.transform.optimization import freeze_dims_and_data

    return freeze_dims_and_data(mmm.model)


def attach_fit(mmm, idata) -> None:
    """Gives a pymc-marketing MMM the draws of a fit made outside ``mmm.fit``, so its own
    methods (summaries, contributions, posterior predictive) work as after ``fit``."""
    mmm.post_sample_model_transformation()
    mmm.idata = idata
    fit_data = mmm.create_fit_data_group()
    if fit_data is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, message=".*fit_data.*")
            mmm.idata["/fit_data"] = fit_data
    mmm.set_idata_attrs(mmm.idata)
    mmm.is_fitted_ = True


def target_scale(mmm) -> float:
    """The factor that turns the model's scaled target back into original units."""
    scales = mmm.get_scales_as_xarray()
    return float(np.asarray(scales["target_scale"]).squeeze())


# variables measured in units of the (scaled) target
_TARGET_UNITS = ("intercept_contribution", "y_sigma")


def summarize_variable(mmm, name: str, hdi_prob: float = 0.94) -> dict[str, Any]:
    """Posterior mean and HDI of ``name``, in the target's original units where it has them."""
    import arviz_stats as azs

    if getattr(mmm, "idata", None) is None or "posterior" not in mmm.idata.children:
        raise MMMDataError("fit", "the model has not been fitted yet")
    posterior = mmm.idata["posterior"].to_dataset()
    alias = {"intercept": "intercept_contribution", "sigma": "y_sigma"}
    var = alias.get(name, name)
    if var not in posterior:
        raise MMMDataError(
            "var_name",
            f"{name!r} is not in the posterior (choose from {', '.join(posterior.data_vars)})",
        )
    if not 0 < hdi_prob < 1:
        raise MMMDataError("hdi_prob", f"must be in (0, 1), got {hdi_prob}")
    da = posterior[var]
    scale = target_scale(mmm) if var in _TARGET_UNITS or var.endswith("_contribution") else 1.0
    values = np.asarray(da.values, dtype=float) * scale
    flat = values.reshape(values.shape[0] * values.shape[1], -1)
    hdi = azs.hdi(flat.T, prob=hdi_prob)
    extra = list(da.dims[2:])
    out: dict[str, Any] = {"variable": name, "scale": scale, "hdi_prob": hdi_prob}
    if not extra:
        out.update(coef=float(flat.mean()), ci_low=float(hdi[0, 0]), ci_up=float(hdi[0, 1]))
    else:
        labels = (
            [str(c) for c in posterior[extra[0]].values]
            if len(extra) == 1
            else list(range(flat.shape[1]))
        )
        out["by"] = extra
        out["rows"] = [
            {
                "label": label,
                "coef": float(flat[:, j].mean()),
                "ci_low": float(hdi[j, 0]),
                "ci_up": float(hdi[j, 1]),
            }
            for j, label in enumerate(labels)
        ]
    return out

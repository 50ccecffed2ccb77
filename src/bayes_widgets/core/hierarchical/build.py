"""A hierarchical GLM for a panel: the model spec and its data-scaled priors.

spec = build_model(data, likelihood="gamma_poisson", varying=["promo"], batch_size=100)
spec.priors                      # default_priors(data, "gamma_poisson")
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bayes_widgets.core.checks import check_positive_int
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import HierarchicalGLM, Priors, normalize_likelihood

__all__ = ["build_model", "default_priors"]


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
    likelihood = normalize_likelihood(likelihood)
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
        batch_size = min(
            check_positive_int("batch_size", batch_size, error=HierarchicalInputError),
            data.n_groups,
        )
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
    likelihood = normalize_likelihood(likelihood)
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

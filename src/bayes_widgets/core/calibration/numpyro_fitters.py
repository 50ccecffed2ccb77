"""Fits of a NumPyro model to one simulated data set, jit-compiled once per worker process.

The simulated observations go in as model arguments (the observed site's argument of the
same name), so the compiled code is reused: NUTS through one ``MCMC`` with
``jit_model_args=True``; SVI through one jitted function that initialises the guide and
runs every optimisation step in a ``lax.scan``, and one jitted draw from the fitted guide.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_widgets.core.calibration.fit_output import FitOutput

SVI_STEP_SIZE = 0.02
"""Adam's step size for SVI fits."""


def _as_chains(samples: dict[str, Any], names: list[str]) -> dict[str, np.ndarray]:
    return {name: np.asarray(samples[name]) for name in names}


class NumpyroFitter:
    """NumPyro NUTS: one ``MCMC`` object per worker, its sampler compiled on first use."""

    def __init__(self, spec: dict[str, Any], observed: list[str], variables: list[str], settings):
        from numpyro.infer import MCMC, NUTS

        self.model_args = dict(spec.get("model_args") or {})
        self.variables = variables
        self.mcmc = MCMC(
            NUTS(spec["model"]),
            num_warmup=settings["tune"],
            num_samples=settings["draws"],
            num_chains=settings["chains"],
            chain_method="sequential",
            progress_bar=False,
            jit_model_args=True,
        )

    def fit(self, data: dict[str, np.ndarray], seed: int) -> FitOutput:
        import jax.numpy as jnp
        from jax import random

        arrays = {name: jnp.asarray(value) for name, value in data.items()}
        self.mcmc.run(
            random.PRNGKey(seed), **self.model_args, **arrays, extra_fields=("diverging",)
        )
        samples = self.mcmc.get_samples(group_by_chain=True)
        extra = self.mcmc.get_extra_fields(group_by_chain=True)
        stats = {"divergences": int(np.asarray(extra["diverging"]).sum())}
        return FitOutput(_as_chains(samples, self.variables), stats)


class SviFitter:
    """NumPyro SVI with the calibration's guide (AutoNormal by default): ``tune`` steps of
    Adam, then ``draws`` draws from the fitted guide."""

    def __init__(self, spec: dict[str, Any], observed: list[str], variables: list[str], settings):
        import jax
        from jax import lax, random
        from numpyro import optim
        from numpyro.infer import SVI, Predictive, Trace_ELBO
        from numpyro.infer.autoguide import AutoNormal

        model = spec["model"]
        model_args = dict(spec.get("model_args") or {})
        guide = spec.get("guide") or AutoNormal(model)
        svi = SVI(model, guide, optim.Adam(SVI_STEP_SIZE), Trace_ELBO())
        steps = max(1, int(settings["tune"]))
        draws = int(settings["draws"])
        self.variables = variables
        self.observed = observed

        def fit(key, data):
            state = svi.init(key, **model_args, **data)

            def body(state, _):
                return svi.update(state, **model_args, **data)

            state, losses = lax.scan(body, state, None, length=steps)
            return svi.get_params(state), losses

        def sample(key, params, data):
            predictive = Predictive(guide, params=params, num_samples=draws)
            return predictive(key, **model_args, **data)

        self._init = lambda key, data: svi.init(key, **model_args, **data)
        self._warm = False
        self._fit = jax.jit(fit)
        self._sample = jax.jit(sample)
        self._key = random.PRNGKey

    def fit(self, data: dict[str, np.ndarray], seed: int) -> FitOutput:
        import jax.numpy as jnp
        from jax import random

        arrays = {name: jnp.asarray(value) for name, value in data.items()}
        fit_key, draw_key = random.split(self._key(seed))
        if not self._warm:  # an autoguide builds its prototype outside the jitted code
            self._init(fit_key, arrays)
            self._warm = True
        params, losses = self._fit(fit_key, arrays)
        samples = self._sample(draw_key, params, arrays)
        losses = np.asarray(losses)
        tail = losses[-max(1, losses.size // 10) :]
        draws = {name: np.asarray(samples[name])[None] for name in self.variables}
        stats = {"loss": float(np.mean(tail)), "loss_first": float(losses[0])}
        return FitOutput(draws, stats)


__all__ = ["SVI_STEP_SIZE", "NumpyroFitter", "SviFitter"]

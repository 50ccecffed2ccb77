"""Fits of a NumPyro model to one simulated data set, jit-compiled once per worker process.

The simulated observations go in as model arguments (the observed site's argument of the
same name), so the compiled code is reused: NUTS through one jitted run of every chain;
SVI through one jitted function that initialises the guide and
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
    """NumPyro NUTS, written on NumPyro's functional ``hmc`` kernel and jit-compiled once
    per worker: warm-up and draws of every chain (vectorized) in one ``lax.scan``, with the
    observed data as traced arguments. Chains start uniformly in (-2, 2) on the
    unconstrained scale, as NumPyro's default initialisation does."""

    def __init__(self, spec: dict[str, Any], observed: list[str], variables: list[str], settings):
        self.model = spec["model"]
        self.model_args = dict(spec.get("model_args") or {})
        self.variables = variables
        self.settings = settings
        self._run: Any = None

    def _build(self, arrays: dict[str, Any]) -> Any:
        import jax
        from jax import lax, random
        from numpyro.infer.hmc import hmc
        from numpyro.infer.util import initialize_model

        model_args, tune = self.model_args, int(self.settings["tune"])
        total = tune + int(self.settings["draws"])
        info = initialize_model(
            random.PRNGKey(0), self.model, model_kwargs={**model_args, **arrays}, dynamic_args=True
        )
        leaves, treedef = jax.tree.flatten(info.param_info.z)
        init_kernel, sample_kernel = hmc(potential_fn_gen=info.potential_fn, algo="NUTS")

        def chain(key, data):
            kwargs = {**model_args, **data}
            keys = random.split(key, len(leaves) + 1)
            start = [
                random.uniform(k, jax.numpy.shape(x), minval=-2.0, maxval=2.0)
                for k, x in zip(keys[1:], leaves, strict=True)
            ]
            z0 = jax.tree.unflatten(treedef, start)
            state = init_kernel(z0, tune, model_kwargs=kwargs, rng_key=keys[0])

            def step(state, _):
                state = sample_kernel(state, model_kwargs=kwargs)
                return state, (state.z, state.diverging)

            _, (zs, diverging) = lax.scan(step, state, None, length=total)
            zs = jax.tree.map(lambda x: x[tune:], zs)
            constrained = jax.vmap(info.postprocess_fn(**kwargs))(zs)
            return constrained, diverging[tune:]

        return jax.jit(jax.vmap(chain, in_axes=(0, None)))

    def fit(self, data: dict[str, np.ndarray], seed: int) -> FitOutput:
        import jax.numpy as jnp
        from jax import random

        arrays = {name: jnp.asarray(value) for name, value in data.items()}
        if self._run is None:
            self._run = self._build(arrays)
        keys = random.split(random.PRNGKey(seed), int(self.settings["chains"]))
        samples, diverging = self._run(keys, arrays)
        stats = {"divergences": int(np.asarray(diverging).sum())}
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

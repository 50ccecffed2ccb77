"""A hierarchical fit running under a live fit monitor, and the guide the monitor reads.

live = fit_svi(data, monitor=True)       # or fit_nuts(data, monitor=True)
live                                      # displayed: the FitMonitor
fit = live.wait()                         # the HierarchicalFit when the fit ends
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.model import POSITIVE_SITES, HierarchicalGLM
from bayes_widgets.core.hierarchical.results import HierarchicalFit

__all__ = ["HierarchicalGuide", "LiveHierarchicalFit", "fit_of_result"]

METHOD_NAMES = {"svi": "SVI", "nuts": "NUTS"}


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


def fit_of_result(
    result, spec: HierarchicalGLM, data: PanelData, method: str, *, elapsed_s: float
) -> HierarchicalFit:
    """The :class:`HierarchicalFit` of a fit session's result; an error naming ``fit`` when
    the fit failed or was cancelled before it had anything to keep."""
    name = METHOD_NAMES[method]
    if result.error:
        raise HierarchicalInputError("fit", f"the {name} fit failed: {result.error}")
    if method == "svi" and not result.params:
        raise HierarchicalInputError(
            "fit", "the fit was cancelled before its first chunk: nothing was fitted"
        )
    if method == "nuts" and result.posterior is None:
        raise HierarchicalInputError(
            "fit", "the fit was cancelled while tuning: there are no posterior draws"
        )
    return HierarchicalFit.from_result(result, spec, data, elapsed_s=elapsed_s)


class LiveHierarchicalFit:
    """A fit of a hierarchical GLM running in a :class:`~bayes_widgets.FitMonitor`.

    Displayed in a notebook it shows the monitor (SVI: the live loss curve, steps/s, ETA,
    the global parameters; NUTS: the chains' progress and traces of the global sites);
    :meth:`wait` returns the :class:`HierarchicalFit` when the fit ends (finished, or
    cancelled on the page: an SVI fit keeps the parameters of its last finished chunk, a
    NUTS fit the draws made so far). Made by ``fit_svi(..., monitor=True)`` and
    ``fit_nuts(..., monitor=True)``.
    """

    def __init__(self, spec: HierarchicalGLM, data: PanelData, monitor, method: str = "svi"):
        if method not in METHOD_NAMES:
            raise HierarchicalInputError("method", f"must be 'svi' or 'nuts', got {method!r}")
        self.spec = spec
        self.data = data
        self.monitor = monitor
        self.method = method
        self._fit: HierarchicalFit | None = None
        self._t0 = time.perf_counter()

    def wait(self, timeout: float | None = None) -> HierarchicalFit:
        """Blocks until the fit ends and returns it (interrupting the kernel cancels);
        a ``TimeoutError`` if it is still running after ``timeout`` seconds."""
        if self._fit is None:
            result = self.monitor.wait(timeout)
            if result is None:
                raise TimeoutError(f"the fit is still running after {timeout} s")
            self._fit = fit_of_result(
                result,
                self.spec,
                self.data,
                self.method,
                elapsed_s=time.perf_counter() - self._t0,
            )
        return self._fit

    def cancel(self) -> None:
        """Stops the fit (SVI: after the current chunk), keeping what it has made."""
        self.monitor.session.cancel()

    def _repr_mimebundle_(self, **kwargs):
        return self.monitor._repr_mimebundle_(**kwargs)  # the monitor's own display

    def __repr__(self) -> str:
        status = self.monitor.status
        return (
            f"LiveHierarchicalFit({METHOD_NAMES[self.method]}, {self.spec.likelihood}, "
            f"{self.spec.n_groups} groups, status={status!r})"
        )

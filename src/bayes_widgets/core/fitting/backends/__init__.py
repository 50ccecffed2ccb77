"""Sampler backends, looked up by name.

``pymc`` and ``nutpie`` fit a ``pymc.Model``; ``numpyro`` (NUTS) and
``numpyro-svi`` (stochastic variational inference) fit a NumPyro model function.
"""

from __future__ import annotations

from bayes_widgets.core.fitting.backends.base import Backend, Control, FitConfig
from bayes_widgets.core.fitting.validation import FitInputError


def _pymc():
    from bayes_widgets.core.fitting.backends.pymc_backend import PyMCBackend

    return PyMCBackend


def _nutpie():
    from bayes_widgets.core.fitting.backends.nutpie_backend import NutpieBackend

    return NutpieBackend


def _numpyro():
    from bayes_widgets.core.fitting.backends.numpyro_backend import NumPyroBackend

    return NumPyroBackend


def _numpyro_svi():
    from bayes_widgets.core.fitting.backends.numpyro_svi_backend import NumPyroSVIBackend

    return NumPyroSVIBackend


_REGISTRY = {"pymc": _pymc, "nutpie": _nutpie, "numpyro": _numpyro, "numpyro-svi": _numpyro_svi}
_METHODS = {"pymc": "mcmc", "nutpie": "mcmc", "numpyro": "mcmc", "numpyro-svi": "svi"}


def backend_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def backend_method(name: str) -> str:
    """'mcmc' or 'svi' for a valid backend name (without importing the backend)."""
    return _METHODS[_normal_name(name)]


def _normal_name(name: str) -> str:
    if not isinstance(name, str) or name.lower().replace("_", "-") not in _REGISTRY:
        raise FitInputError(
            "backend", f"unknown backend {name!r}; choose one of {', '.join(_REGISTRY)}"
        )
    return name.lower().replace("_", "-")


def get_backend(name: str) -> type[Backend]:
    """The backend class called ``name`` (``'pymc'``, ``'nutpie'``, ``'numpyro'`` or ``'numpyro-svi'``)."""
    return _REGISTRY[_normal_name(name)]()


__all__ = ["Backend", "Control", "FitConfig", "backend_method", "backend_names", "get_backend"]

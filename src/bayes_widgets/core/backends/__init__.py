"""Sampler backends, looked up by name."""

from __future__ import annotations

from bayes_widgets.core.backends.base import Backend, Control, FitConfig
from bayes_widgets.core.validation import FitInputError


def _pymc():
    from bayes_widgets.core.backends.pymc_backend import PyMCBackend

    return PyMCBackend


def _nutpie():
    from bayes_widgets.core.backends.nutpie_backend import NutpieBackend

    return NutpieBackend


_REGISTRY = {"pymc": _pymc, "nutpie": _nutpie}


def backend_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_backend(name: str) -> type[Backend]:
    """The backend class called ``name`` (``'pymc'`` or ``'nutpie'``)."""
    if not isinstance(name, str) or name.lower() not in _REGISTRY:
        raise FitInputError(
            "backend", f"unknown backend {name!r}; choose one of {', '.join(_REGISTRY)}"
        )
    return _REGISTRY[name.lower()]()


__all__ = ["Backend", "Control", "FitConfig", "backend_names", "get_backend"]

"""Live views that core conveniences open, without core importing the widgets.

A few core calls offer a live view as a convenience: ``MMMModel.fit(monitor=True)``
returns a fit monitor, ``MMMModel.budget_explorer()`` a decision explorer,
``hierarchical.fit_svi(monitor=True)`` a monitor of the SVI fit. Core knows these views
only by name; the package's top level (``bayes_widgets/__init__.py``, which sits above
both core and the widgets) registers the widget classes that provide them, so importing
anything from ``bayes_widgets`` makes them available while core itself imports no widget.

    views.open_view("fit_monitor", session=session)       # -> a FitMonitor
    views.register_view("fit_monitor", factory)           # what the top level does
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

VIEWS = ("fit_monitor", "budget_explorer")
"""The views core asks for: a live monitor of a fit session, and budget what-ifs on an MMM."""

_factories: dict[str, Callable[..., Any]] = {}


def register_view(name: str, factory: Callable[..., Any]) -> None:
    """Makes ``factory(*args, **kwargs)`` the provider of the view ``name``."""
    if name not in VIEWS:
        raise ValueError(f"name: unknown view {name!r}; core asks for {', '.join(VIEWS)}")
    _factories[name] = factory


def open_view(name: str, *args: Any, **kwargs: Any) -> Any:
    """The view ``name`` built by its registered provider."""
    factory = _factories.get(name)
    if factory is None:
        raise RuntimeError(
            f"no provider for the live view {name!r}: it needs bayes_widgets' widgets "
            "(anywidget and ipywidgets installed, and the package imported as a whole: "
            "`import bayes_widgets`)"
        )
    return factory(*args, **kwargs)


__all__ = ["VIEWS", "open_view", "register_view"]

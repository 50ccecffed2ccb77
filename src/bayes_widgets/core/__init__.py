"""Pure-Python core: every capability as a plain API; no widget, IPython or anywidget imports.

Subpackages: ``fitting`` (sessions, backends, diagnostics), ``figures`` (every Bokeh
figure), ``priors``, ``posterior``, ``prediction``, ``decision``, ``mmm``, ``fleet``,
``hierarchical``. Importing ``bayes_widgets.core`` loads none of them; the names below
load their module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from bayes_widgets.core.fitting.diagnostics import Diagnostics
    from bayes_widgets.core.fitting.result import FitResult
    from bayes_widgets.core.fitting.session import FitSession, Snapshot, fit
    from bayes_widgets.core.fitting.validation import FitInputError

_LAZY = {
    "Diagnostics": "bayes_widgets.core.fitting.diagnostics",
    "FitInputError": "bayes_widgets.core.fitting.validation",
    "FitResult": "bayes_widgets.core.fitting.result",
    "FitSession": "bayes_widgets.core.fitting.session",
    "Snapshot": "bayes_widgets.core.fitting.session",
    "fit": "bayes_widgets.core.fitting.session",
}

__all__ = [
    "Diagnostics",
    "FitInputError",
    "FitResult",
    "FitSession",
    "Snapshot",
    "fit",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

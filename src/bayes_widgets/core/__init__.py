"""Pure-Python core: fit sessions, backends, diagnostics. No widget or IPython imports."""

from bayes_widgets.core.diagnostics import Diagnostics
from bayes_widgets.core.result import FitResult
from bayes_widgets.core.session import FitSession, Snapshot, fit
from bayes_widgets.core.validation import FitInputError

__all__ = ["Diagnostics", "FitInputError", "FitResult", "FitSession", "Snapshot", "fit"]

"""The one base of every bad-input error.

Every error raised for a bad argument, setting, column or model names what to fix: its
message reads ``"field: what is wrong"`` (``"draws: must be > 0, got -5"``) and the field
is kept as ``error.field``. Each part of the library raises its own subclass
(:class:`~bayes_widgets.core.fitting.validation.FitInputError`,
:class:`~bayes_widgets.core.priors.errors.PriorError`, ...), so callers can catch one
part's errors or every bad input at once with :class:`InputError`.
"""

from __future__ import annotations


class InputError(ValueError):
    """A bad input; ``field`` names it and ``message`` says what is wrong with it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self):
        # picklable as (field, message), so errors travel back from worker processes intact
        return (type(self), (self.field, self.message))


__all__ = ["InputError"]

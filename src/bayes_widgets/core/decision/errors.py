"""Errors and warnings of the decision core, each naming what to fix."""

from __future__ import annotations


class DecisionInputError(ValueError):
    """A decision-problem input is not usable; ``field`` names the offending input.

    The message reads ``"field: what is wrong"``, e.g.
    ``"variables.order_0: lower bound 5 is above upper bound 3"``.
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SlowProfitWarning(UserWarning):
    """The profit function works on one scenario at a time and is called in a Python loop."""

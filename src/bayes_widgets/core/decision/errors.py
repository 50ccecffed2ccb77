"""Errors and warnings of the decision core, each naming what to fix."""

from __future__ import annotations

from bayes_widgets.core.errors import InputError


class DecisionInputError(InputError):
    """A decision-problem input is not usable; ``field`` names the offending input.

    The message reads ``"field: what is wrong"``, e.g.
    ``"variables.order_0: lower bound 5 is above upper bound 3"``.
    """


class SlowProfitWarning(UserWarning):
    """The profit function works on one scenario at a time and is called in a Python loop."""

"""The error every prior check raises: it names the offending field.

raise PriorError("sigma", "must be > 0, got -1")   # "sigma: must be > 0, got -1"
"""

from __future__ import annotations

from bayes_widgets.core.errors import InputError


class PriorError(InputError):
    """An invalid prior setting; ``field`` names the parameter (or 'family', 'dims'...)."""

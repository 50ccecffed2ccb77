"""The error every prior check raises: it names the offending field."""

from __future__ import annotations


class PriorError(ValueError):
    """An invalid prior setting; ``field`` names the parameter (or 'family', 'dims'...)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field

"""The error of the hierarchical-model core, naming what to fix."""

from __future__ import annotations

from bayes_widgets.core.fitting.validation import FitInputError


class HierarchicalInputError(FitInputError):
    """Data or settings of a hierarchical model are not usable; ``field`` names the offender.

    The message reads ``"field: what is wrong"``, e.g.
    ``"target: the gamma_poisson likelihood needs non-negative integer counts; 'sales' has
    3 non-integer values (e.g. 2.5)"``. It is a :class:`FitInputError`, so an
    :class:`~bayes_widgets.core.errors.InputError` (a ``ValueError``).
    """

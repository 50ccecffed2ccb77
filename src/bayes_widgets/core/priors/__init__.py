"""Priors: one distribution (families, parameterizations, curves, conversions) and elicitation."""

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.elicit import from_quartiles, maxent
from bayes_widgets.core.priors.errors import PriorError
from bayes_widgets.core.priors.families import FAMILIES, get_family

__all__ = ["FAMILIES", "PriorDist", "PriorError", "from_quartiles", "get_family", "maxent"]

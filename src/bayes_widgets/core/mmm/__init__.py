"""Media-mix models: data checks and the pymc-marketing wrapper."""

from bayes_widgets.core.mmm.model import ADSTOCKS, SATURATIONS, MMMModel
from bayes_widgets.core.mmm.validation import MMMDataError, validate_mmm_data

__all__ = ["ADSTOCKS", "SATURATIONS", "MMMDataError", "MMMModel", "validate_mmm_data"]

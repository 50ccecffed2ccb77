"""Media-mix models: data checks and the pymc-marketing wrapper."""

from bayes_widgets.core.mmm.validation import MMMDataError, validate_mmm_data

__all__ = ["MMMDataError", "validate_mmm_data"]

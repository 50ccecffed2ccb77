"""What one fit of a simulated data set gives back to the calibration's worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FitOutput:
    draws: dict[str, np.ndarray]
    """Posterior draws per variable, shaped ``(chain, draw, *shape)``."""
    stats: dict[str, Any] = field(default_factory=dict)
    """Sampler statistics (divergences, step size, tree depth; final loss for SVI)."""


__all__ = ["FitOutput"]

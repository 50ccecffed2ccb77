"""The optimizer of hierarchical SVI fits: Adam with a step size that decays.

opt = default_optimizer(0.05)            # cached: equal settings, one object
fit_svi(data, optimizer=opt)
"""

from __future__ import annotations

from typing import Any

from bayes_widgets.core.checks import check_number
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError

__all__ = ["default_optimizer", "optimizer_for"]


def default_optimizer(
    learning_rate: float = 0.05, decay_steps: float = 1000, final_fraction: float = 0.1
):
    """Adam with a step size that decays from ``learning_rate`` towards
    ``final_fraction`` of it: ``lr * (f + (1 - f) * exp(-step / decay_steps))`` (large early
    steps, a quiet end: a tenth of the way down per ~2300 steps by default).

    The fit engine's :func:`~bayes_widgets.core.fitting.svi.default_optimizer` with the
    decay hierarchical fits use. It does not depend on the number of steps, and it is
    cached (same settings, same object), so fits of the same shapes share one compiled
    chunk whatever their length."""
    from bayes_widgets.core.fitting.svi import default_optimizer as engine_optimizer

    return engine_optimizer(float(learning_rate), float(decay_steps), float(final_fraction))


def optimizer_for(learning_rate: object) -> Any:
    """:func:`default_optimizer` at ``learning_rate``, which must be a number > 0."""
    rate = check_number("learning_rate", learning_rate, low=0.0, error=HierarchicalInputError)
    return default_optimizer(rate)

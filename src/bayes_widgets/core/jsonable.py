"""Values made JSON-safe for traits, messages, run records and reports.

JSON has no NaN or infinity and no NumPy types: :func:`jsonable` turns NumPy scalars and
arrays into Python values, non-finite numbers into ``None``, tuples into lists and dict
keys into strings, so ``json.dumps(jsonable(x), allow_nan=False)`` always works for data
made of numbers, text, lists and dicts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """``value`` with every part in plain JSON form (see the module docstring). Objects that
    are not numbers, text, lists, tuples, dicts or arrays are returned unchanged."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


__all__ = ["jsonable"]

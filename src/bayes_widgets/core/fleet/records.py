"""What a run records: metrics as JSON values, parameters described, and any record read back.

A task returns a dict of metrics. Each value must be a JSON value (a number, a string,
a bool, None, or a list/dict of those; numpy scalars and arrays are converted). NaN and
infinities have no JSON form: they are stored as null and the summary's ``notes`` says
which metric was not finite. Anything else (a lock, a model, a DataFrame) is refused with
a :class:`MetricError` that names the metric, and the run is recorded as failed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.jsonable import jsonable

RESERVED = ("run_id", "status", "seconds", "error")


class MetricError(InputError, TypeError):
    """A task returned something that is not a dict of JSON values; the message names the
    metric (``field`` is ``"metrics"``)."""


def _clean_value(name: str, value: Any, notes: list[str]) -> Any:
    if isinstance(value, np.generic):  # NaN kept here, so the note below can name it
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        notes.append(f"{name}: {value} is not a JSON number; stored as null")
        return None
    if isinstance(value, list | tuple):
        return [_clean_value(f"{name}[{i}]", v, notes) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MetricError("metrics", f"{name!r} has the key {k!r}; keys must be strings")
            out[k] = _clean_value(f"{name}.{k}", v, notes)
        return out
    raise MetricError(
        "metrics",
        f"{name!r} is a {type(value).__name__}, not a JSON value "
        "(number, string, bool, None, or a list or dict of those)",
    )


def clean_metrics(metrics: Any) -> tuple[dict[str, Any], list[str]]:
    """``(metrics as JSON values, notes)``; raises :class:`MetricError` naming the field."""
    if metrics is None:
        return {}, []
    if not isinstance(metrics, dict):
        raise MetricError(
            "metrics",
            f"the task returned a {type(metrics).__name__}; "
            "it must return a dict of metrics (name -> value) or None",
        )
    notes: list[str] = []
    out = {}
    for key, value in metrics.items():
        if not isinstance(key, str):
            raise MetricError(
                "metrics", f"the name {key!r} is a {type(key).__name__}; names must be strings"
            )
        out[key] = _clean_value(key, value, notes)
    return out, notes


def describe(value: Any, *, depth: int = 4, items: int = 50) -> Any:
    """A JSON-ready description of a parameter: JSON values as they are (non-finite floats
    as null), a data frame or an array by its shape, anything else by its type."""
    if isinstance(value, np.generic | np.ndarray) and not _is_big(value, items):
        value = jsonable(value)
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 0 and isinstance(value, list | tuple) and len(value) <= items:
        return [describe(v, depth=depth - 1, items=items) for v in value]
    if depth > 0 and isinstance(value, dict):
        return {str(k): describe(v, depth=depth - 1, items=items) for k, v in value.items()}
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return f"{type(value).__name__}({'×'.join(map(str, shape))})"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}({len(value)})"
    return f"<{type(value).__name__}>"


def _is_big(value: Any, items: int) -> bool:
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) > 0 and math.prod(shape) > items


def plain_record(value: Any) -> Any:
    """Any record made JSON-safe (non-finite numbers as null, unknown objects described):
    :func:`~bayes_widgets.core.jsonable.jsonable` that also takes objects JSON lacks."""
    return describe(value, depth=64, items=10**9)


def read_metrics(record: Any) -> dict[str, Any]:
    """The metrics of any record read back, as a dict (a malformed record gives {})."""
    if not isinstance(record, dict):
        return {}
    metrics = record.get("metrics")
    return metrics if isinstance(metrics, dict) else {}

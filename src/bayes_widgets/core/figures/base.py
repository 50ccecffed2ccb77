"""Serializing figures for the page, and editing a serialized template's data.

Every builder returns a Bokeh model; :func:`to_json` turns it into the ``json_item`` string
a widget trait or a report holds. A string, not a dict: saved widget state sorts dict keys,
and Bokeh needs each reference defined before it is used. Templates are cached as such
strings and get their data with :func:`fill_sources` and fresh ids with :func:`fresh_ids`::

    from bayes_widgets.core.figures.base import to_json, with_fresh_ids
    text = to_json(figure)          # for a trait or a report
    again = with_fresh_ids(text)    # the same figure shown twice on one page
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import numpy as np

Columns = dict[str, Any]
"""A data source's columns by name, as Bokeh's ``ColumnDataSource`` takes them."""


def to_json(model: Any) -> str:
    """The Bokeh ``model`` as a ``json_item`` string."""
    from bokeh.embed import json_item

    return json.dumps(json_item(model))


def json_column(a: np.ndarray) -> list:
    """JSON-ready values of a 1-d array: NaN and infinities become None."""
    if np.isfinite(a).all():
        return a.tolist()
    return [float(v) if np.isfinite(v) else None for v in a]


def fill_sources(node: Any, data: dict[str, Columns]) -> None:
    """Writes ``data[name]`` into the (first, defining) JSON of each named
    ``ColumnDataSource`` of a parsed ``json_item``, in place."""
    if isinstance(node, dict):
        attrs = node.get("attributes")
        if (
            node.get("name") == "ColumnDataSource"
            and isinstance(attrs, dict)
            and attrs.get("name") in data
        ):
            attrs["data"] = {
                "type": "map",
                "entries": [[k, list(v)] for k, v in data[attrs["name"]].items()],
            }
            return
        for v in node.values():
            fill_sources(v, data)
    elif isinstance(node, list):
        for v in node:
            fill_sources(v, data)


def set_range(node: Any, name: str, rng: tuple[float, float]) -> bool:
    """Sets start and end of the ``Range1d`` named ``name`` in a parsed ``json_item``;
    False when there is none."""
    if isinstance(node, dict):
        attrs = node.get("attributes")
        if node.get("name") == "Range1d" and isinstance(attrs, dict) and attrs.get("name") == name:
            attrs["start"], attrs["end"] = rng
            return True
        return any(set_range(v, name, rng) for v in node.values())
    if isinstance(node, list):
        return any(set_range(v, name, rng) for v in node)
    return False


_ID = re.compile(r'"(id|root_id)": "([^"\\]+)"')


def fresh_ids(text: str, suffix: str) -> str:
    """Makes every model id (definitions and references) of a ``json_item`` string unique
    to this copy by appending ``suffix``.

    Ids only ever appear as ``"id": "..."`` or ``"root_id": "..."`` keys of the JSON;
    inside a JSON string a quote is escaped, so a title cannot match.
    """
    return _ID.sub(lambda m: f'"{m[1]}": "{m[2]}-{suffix}"', text)


def with_fresh_ids(text: str) -> str:
    """A ``json_item`` string whose model ids are new, so the same cached figure can be
    shown several times on one page."""
    return fresh_ids(text, uuid.uuid4().hex[:8])


def filled(text: str, data: dict[str, Columns]) -> str:
    """A template's ``json_item`` string with fresh ids and ``data`` in its named sources."""
    text = with_fresh_ids(text)
    if not data:
        return text
    item = json.loads(text)
    fill_sources(item, data)
    return json.dumps(item)

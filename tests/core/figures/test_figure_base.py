"""The shared figure helpers: one serializer, template filling, fresh ids, the palette."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bayes_widgets.core.figures import palette, svi
from bayes_widgets.core.figures.base import filled, json_column, to_json, with_fresh_ids
from bayes_widgets.core.figures.fit import trace_rank_figure
from bayes_widgets.core.figures.priors import distribution_figure


def test_a_template_gets_data_and_fresh_ids():
    template = distribution_figure()
    text = filled(template, {"dist": {"x": [0.0, 1.0], "pdf": [0.2, 0.3], "cdf": [0.1, 0.9]}})
    assert with_fresh_ids(template) != template and text != template
    item = json.loads(text)
    ids = {m.group(0) for m in re.finditer(r'"id": "[^"]+"', text)}
    assert ids.isdisjoint(re.findall(r'"id": "[^"]+"', template))
    assert '"entries": [["x", [0.0, 1.0]]' in json.dumps(item)


def test_to_json_is_a_json_item_string():
    from bokeh.plotting import figure

    f = figure(title="t")
    f.line([0, 1], [1, 2], color=palette.series_color(9))
    item = json.loads(to_json(f))
    assert item["doc"]["roots"] and item["root_id"]
    assert json_column(np.array([1.0, np.nan, np.inf])) == [1.0, None, None]


def test_chains_take_the_series_colors_in_every_view():
    assert palette.chain_color(1) == palette.series_color(1) == palette.SERIES[1]
    assert palette.series_color(len(palette.SERIES)) == palette.SERIES[0]
    assert palette.HIGHLIGHT not in palette.SERIES  # red always means a problem or selection
    text = trace_rank_figure(["mu"], chains=2, tune=0)
    assert palette.series_color(0) in text and palette.series_color(1) in text


def test_old_smoothing_name_warns_and_works():
    ys = [5.0, 1.0, 3.0, 2.0, 4.0]
    with pytest.warns(DeprecationWarning, match="centered_smooth"):
        assert svi.centred_smooth(ys) == svi.centered_smooth(ys)

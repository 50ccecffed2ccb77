"""Readable numbers: plain or SI form, zero below a variable's resolution."""

import json

import pytest
from bokeh.embed import json_item
from bokeh.models import CustomJSTickFormatter
from bokeh.plotting import figure

from bayes_widgets.core.figures.format import format_number, readable_ticks


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.004, "0.004"),
        (0.5, "0.5"),
        (3.14159, "3.14"),
        (12500, "12500"),
        (2_340_000, "2.34M"),
        (1e-5, "10µ"),
        (-0.25, "-0.25"),
        (0, "0"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "inf"),
    ],
)
def test_format_number_is_plain_or_si(x, text):
    assert format_number(x) == text
    assert "e" not in format_number(x).replace("–", "")


def test_values_below_the_resolution_read_zero():
    assert format_number(5.68145e-10, resolution=1e-6) == "0"
    assert format_number(-2.56e-9, resolution=1e-3) == "0"
    assert format_number(0.02, resolution=1e-3) == "0.02"


def test_readable_ticks_sets_a_formatter_on_linear_axes_only():
    fig = figure(x_axis_type="datetime")
    fig.line([0, 1], [0, 0.004])
    readable_ticks(fig)
    assert isinstance(fig.yaxis[0].formatter, CustomJSTickFormatter)
    assert not isinstance(fig.xaxis[0].formatter, CustomJSTickFormatter)
    json.dumps(json_item(fig))  # serialisable

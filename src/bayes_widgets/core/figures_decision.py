"""Bokeh figures of the decision explorer: the outcome distribution and the risk–return view.

Both are built once with named, empty sources and annotations; the page fills them from
the widget's traits on every change (``hist``, ``reference_hist``; spans ``mean``,
``cvar``, ``zero``; box ``loss``; sources ``frontier``, ``current``, ``references``).
Legends stand below the plots, never over the data; ticks are plain or SI.
"""

from __future__ import annotations

import functools
import json

from bayes_widgets.core.figure_format import readable_ticks

CURRENT = "#1f77b4"
REFERENCE = "#ff7f0e"
LOSS = "#d62728"
CVAR = "#9467bd"


@functools.lru_cache(maxsize=8)
def outcome_figure(outcome: str = "profit", reference: str = "reference", width: int = 500,
                   height: int = 290) -> str:
    """Histogram of the chosen decision's outcomes, a reference decision's outline, and
    markers for the mean, the CVaR and the loss region (outcomes below zero)."""
    from bokeh.embed import json_item
    from bokeh.models import BoxAnnotation, ColumnDataSource, Span
    from bokeh.plotting import figure

    f = figure(
        width=width,
        height=height,
        title=f"{outcome} over the scenarios",
        toolbar_location=None,
        tools="",
        x_axis_label=outcome,
        y_axis_label="scenarios",
    )
    hist = ColumnDataSource({"left": [], "right": [], "count": []}, name="hist")
    ref = ColumnDataSource({"left": [], "right": [], "count": []}, name="reference_hist")
    this = f.quad(left="left", right="right", top="count", bottom=0, source=hist, color=CURRENT,
                  alpha=0.55)
    other = f.quad(left="left", right="right", top="count", bottom=0, source=ref, fill_alpha=0,
                   line_color=REFERENCE, line_width=1.5)
    f.add_layout(BoxAnnotation(right=0, fill_color=LOSS, fill_alpha=0.07, name="loss"))
    f.add_layout(Span(location=0, dimension="height", line_color=LOSS, line_dash="dashed",
                      line_width=1, name="zero"))
    f.add_layout(Span(location=0, dimension="height", line_color="black", line_width=2,
                      name="mean", visible=False))
    f.add_layout(Span(location=0, dimension="height", line_color=CVAR, line_width=2,
                      line_dash="dotdash", name="cvar", visible=False))
    # the spans' legend entries: a line in the span's style at one point that is not drawn
    # (NaN), so the legend has a glyph to show and the ranges ignore it
    nan = float("nan")
    mean_key = f.line([nan], [nan], line_color="black", line_width=2)
    cvar_key = f.line([nan], [nan], line_color=CVAR, line_width=2, line_dash="dotdash")
    _legend_below(f, [("this decision", [this]), (reference, [other]), ("mean", [mean_key]),
                      ("CVaR", [cvar_key])])
    readable_ticks(f)
    return json.dumps(json_item(f))


def _legend_below(f, items) -> None:
    from bokeh.models import Legend

    f.add_layout(Legend(items=items, orientation="horizontal", label_text_font_size="8pt",
                        click_policy="none", spacing=8, padding=2, margin=2), "below")


@functools.lru_cache(maxsize=8)
def frontier_figure(outcome: str = "profit", cvar_alpha: float = 0.05, width: int = 400,
                    height: int = 290) -> str:
    """Expected outcome against CVaR: the optimum for each risk preference, the chosen
    decision and the reference decisions."""
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    f = figure(
        width=width,
        height=height,
        title="risk–return",
        toolbar_location=None,
        tools="",
        x_axis_label=f"CVaR {cvar_alpha:g} of {outcome} (worst {100 * cvar_alpha:g} %)",
        y_axis_label=f"expected {outcome}",
    )
    frontier = ColumnDataSource({"cvar": [], "mean": [], "label": [], "decision": []}, name="frontier")
    current = ColumnDataSource({"cvar": [], "mean": [], "label": [], "decision": []}, name="current")
    refs = ColumnDataSource({"cvar": [], "mean": [], "label": [], "decision": []}, name="references")
    line = f.line("cvar", "mean", source=frontier, color=CVAR, line_width=1.5)
    points = f.scatter("cvar", "mean", source=frontier, color=CVAR, size=7)
    ref_points = f.scatter("cvar", "mean", source=refs, color=REFERENCE, size=9, marker="square")
    cur = f.scatter("cvar", "mean", source=current, color=CURRENT, size=11, marker="diamond")
    f.add_tools(HoverTool(renderers=[points, ref_points, cur],
                          tooltips=[("", "@label"), ("decision", "@decision"),
                                    ("expected", "@mean{0,0.[00]}"), ("CVaR", "@cvar{0,0.[00]}")]))
    _legend_below(f, [("optimum per risk preference", [line, points]), ("references", [ref_points]),
                      ("this decision", [cur])])
    readable_ticks(f)
    return json.dumps(json_item(f))


def with_source_data(item: str, data: dict[str, dict[str, list]]) -> str:
    """The json_item ``item`` with the named sources' columns set to ``data``
    (``{source name: {column: values}}``): a figure shown with its first data has ranges
    to start from, instead of an empty first paint."""
    doc = json.loads(item)

    def visit(node):
        if isinstance(node, dict):
            attrs = node.get("attributes")
            if node.get("name") == "ColumnDataSource" and isinstance(attrs, dict) and attrs.get("name") in data:
                columns = data[attrs["name"]]
                attrs["data"] = {"type": "map", "entries": [[k, list(v)] for k, v in columns.items()]}
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(doc)
    return json.dumps(doc)


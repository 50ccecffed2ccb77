"""Bokeh figures of the posterior explorer: trace, rank, pair, posterior predictive, forest.

The trace and pair plots draw from one shared source of draws (``draws``), so a box or
lasso selection in either highlights the same draws in the other; a callback in the
page then highlights the selected draws' posterior predictive curves too. Plots of many
draws are thinned evenly to at most ``max_draws`` (every chain kept).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.figures.fit import PALETTE, TRACE_TICKS
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.fitting.diagnostics import rank_histograms
from bayes_widgets.core.posterior import PosteriorData

SELECTED = "#d62728"
PREDICTIVE = "#1f77b4"

_HIGHLIGHT_JS = """
const sel = new Set(draws.selected.indices);
const ids = ppc.data.draw_id;
const alpha = new Array(ids.length);
const color = new Array(ids.length);
for (let i = 0; i < ids.length; i++) {
  const on = sel.has(ids[i]);
  alpha[i] = sel.size === 0 ? base : (on ? 0.9 : 0.04);
  color[i] = on ? selected : plain;
}
ppc.data = Object.assign({}, ppc.data, {alpha: alpha, color: color});
"""


def _thin(n_draw: int, chains: int, max_draws: int) -> np.ndarray:
    per_chain = max(1, max_draws // max(chains, 1))
    if n_draw <= per_chain:
        return np.arange(n_draw)
    return np.unique(np.linspace(0, n_draw - 1, per_chain).round().astype(int))


def explorer_figure(
    post: PosteriorData,
    selected: Sequence[str],
    *,
    max_draws: int = 1000,
    ppc_draws: int = 100,
    seed: int = 0,
    width: int = 440,
) -> tuple[str, dict[str, Any]]:
    """The linked trace/rank/pair/predictive layout of ``selected`` quantities as a
    ``json_item`` string, and facts about it (draws shown, predictive variable)."""
    from bokeh.embed import json_item
    from bokeh.layouts import column, row
    from bokeh.models import (
        BoxSelectTool,
        ColumnDataSource,
        CustomJS,
        LassoSelectTool,
        ResetTool,
        TapTool,
    )
    from bokeh.plotting import figure

    names = post.check(selected)[:4]
    values = post.draws(names)
    chains, n_draw = post.chains, post.draws_per_chain
    keep = _thin(n_draw, chains, max_draws)
    cols: dict[str, list] = {"chain": [], "draw": [], "color": []}
    for j in range(len(names)):
        cols[f"q{j}"] = []
    for c in range(chains):
        cols["chain"].extend([str(c)] * len(keep))
        cols["draw"].extend(keep.tolist())
        cols["color"].extend([PALETTE[c % len(PALETTE)]] * len(keep))
        for j, n in enumerate(names):
            cols[f"q{j}"].extend(np.round(values[n][c, keep], 6).tolist())
    draws = ColumnDataSource(cols, name="draws")

    def selectable(fig):
        box = BoxSelectTool()
        fig.add_tools(box, LassoSelectTool(), TapTool(), ResetTool())
        fig.toolbar.active_drag = box  # a drag selects a box of draws
        return fig

    traces, ranks = [], []
    stacked = np.stack([values[n] for n in names], axis=-1)
    counts = rank_histograms(stacked, bins=20)
    for j, n in enumerate(names):
        t = selectable(
            figure(width=width, height=130, title=f"trace: {n}", tools="", toolbar_location="right")
        )
        for c in range(chains):
            t.line(
                keep, values[n][c, keep], color=PALETTE[c % len(PALETTE)], alpha=0.6, line_width=1
            )
        t.scatter(
            "draw",
            f"q{j}",
            source=draws,
            color="color",
            size=3,
            alpha=0.35,
            selection_color=SELECTED,
            selection_alpha=1.0,
            nonselection_alpha=0.08,
        )
        t.yaxis.ticker.desired_num_ticks = TRACE_TICKS  # a short plot: few, readable ticks
        traces.append(readable_ticks(t))
        r = figure(width=220, height=130, title="rank", tools="", toolbar_location=None)
        edges = np.arange(counts.shape[2] + 1)
        for c in range(chains):
            r.step(
                edges[:-1],
                counts[j, c],
                mode="after",
                color=PALETTE[c % len(PALETTE)],
                line_width=1.5,
            )
        r.yaxis.visible = False
        ranks.append(readable_ticks(r, "x"))

    if len(names) >= 2:
        pair = selectable(
            figure(
                width=360,
                height=320,
                title="pair",
                tools="",
                toolbar_location="right",
                x_axis_label=names[0],
                y_axis_label=names[1],
            )
        )
        pair.scatter(
            "q0",
            "q1",
            source=draws,
            color="color",
            size=4,
            alpha=0.45,
            selection_color=SELECTED,
            selection_alpha=1.0,
            nonselection_alpha=0.06,
        )
    else:  # one quantity: its marginal histogram (choose two for a pair plot)
        counts_1d, edges_1d = np.histogram(values[names[0]].ravel(), bins=30, density=True)
        pair = figure(
            width=360,
            height=320,
            title=f"posterior: {names[0]} (choose two for a pair plot)",
            tools="",
            toolbar_location=None,
            x_axis_label=names[0],
        )
        pair.quad(left=edges_1d[:-1], right=edges_1d[1:], top=counts_1d, bottom=0, alpha=0.6)

    readable_ticks(pair)
    facts: dict[str, Any] = {
        "quantities": names,
        "draws_shown": len(keep) * chains,
        "draws_total": n_draw * chains,
        "predictive": None,
    }
    pieces = [pair]
    predictive = post.predictive()
    if predictive is not None:
        name, y, pp = predictive
        rng = np.random.default_rng(seed)
        # predictive draws of the thinned draws, so draw_id is the row in ``draws``
        rows = np.arange(chains * len(keep))
        pick = np.sort(rng.choice(rows, size=min(ppc_draws, rows.size), replace=False))
        chain_of, draw_of = pick // len(keep), keep[pick % len(keep)]
        curves = pp[chain_of, draw_of]  # (m, n)
        finite = np.concatenate([y[np.isfinite(y)], curves[np.isfinite(curves)]])
        lo, hi = np.quantile(finite, [0.005, 0.995]) if finite.size else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = int(np.clip(2 * np.sqrt(y.size), 8, 30))  # few observations, few bins
        edges = np.linspace(lo, hi, bins + 1)
        centres = ((edges[:-1] + edges[1:]) / 2).round(6).tolist()
        dens = [np.histogram(cv, bins=edges, density=True)[0].round(6).tolist() for cv in curves]
        ppc = ColumnDataSource(
            {
                "xs": [centres] * len(dens),
                "ys": dens,
                "draw_id": pick.tolist(),
                "alpha": [0.25] * len(dens),
                "color": [PREDICTIVE] * len(dens),
            },
            name="ppc",
        )
        p = figure(
            width=420,
            height=320,
            title=f"posterior predictive: {name}",
            tools="",
            toolbar_location=None,
            x_axis_label=name,
            y_axis_label="density",
        )
        p.multi_line("xs", "ys", source=ppc, line_color="color", line_alpha="alpha", line_width=1)
        obs_density = np.histogram(y[np.isfinite(y)], bins=edges, density=True)[0]
        p.step(
            edges[:-1],
            obs_density,
            mode="after",
            color="black",
            line_width=2.5,
            legend_label="observed",
        )
        p.legend.location = "top_right"
        p.legend.label_text_font_size = "8pt"
        readable_ticks(p)
        draws.selected.js_on_change(
            "indices",
            CustomJS(
                args={
                    "draws": draws,
                    "ppc": ppc,
                    "base": 0.25,
                    "selected": SELECTED,
                    "plain": PREDICTIVE,
                },
                code=_HIGHLIGHT_JS,
            ),
        )
        pieces.append(p)
        facts["predictive"] = {"name": name, "curves": len(dens), "observed": int(y.size)}
    layout = column(row(column(*traces), column(*ranks)), row(*pieces))
    return json.dumps(json_item(layout)), facts


def forest_figure(rows: Sequence[dict[str, Any]], *, width: int = 420, max_rows: int = 60) -> str:
    """Means with 94% HDI bars, one row per quantity (problem rows in red)."""
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    rows = [r for r in rows if r.get("mean") is not None][:max_rows]
    labels = [r["name"] for r in rows][::-1]
    src = ColumnDataSource(
        {
            "name": [r["name"] for r in rows],
            "mean": [r["mean"] for r in rows],
            "lo": [r["hdi_3%"] if r["hdi_3%"] is not None else r["mean"] for r in rows],
            "hi": [r["hdi_97%"] if r["hdi_97%"] is not None else r["mean"] for r in rows],
            "color": [SELECTED if r.get("problems") else "#333333" for r in rows],
        },
        name="forest",
    )
    f = figure(
        width=width,
        height=max(120, 22 * len(rows) + 60),
        y_range=labels,
        title="forest (mean, 94% HDI)",
        tools="",
        toolbar_location=None,
    )
    f.segment("lo", "name", "hi", "name", source=src, color="color", line_width=2)
    f.scatter("mean", "name", source=src, color="color", size=7)
    readable_ticks(f, "x")
    return json.dumps(json_item(f))

"""Bokeh figures of the posterior explorer: trace, rank, pair, posterior predictive, forest.

The trace and pair plots draw from one shared source of draws (``draws``), so a box or
lasso selection in either highlights the same draws in the other; a callback in the
page then highlights the selected draws' posterior predictive curves too. Plots of many
draws are thinned evenly to at most ``max_draws`` (every chain kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.figures.base import Columns
from bayes_widgets.core.figures.fit import TRACE_TICKS
from bayes_widgets.core.figures.format import readable_ticks, tick_count
from bayes_widgets.core.figures.palette import BAND, HIGHLIGHT, OBSERVED, TEXT, chain_color
from bayes_widgets.core.fitting.diagnostics import rank_histograms
from bayes_widgets.core.posterior import PosteriorData

SELECTED = HIGHLIGHT
PREDICTIVE = BAND
PPC_ALPHA = 0.25
"""Opacity of a posterior predictive curve while no draw is selected."""

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


def explorer_facts(
    post: PosteriorData, selected: Sequence[str], *, max_draws: int = 1000, ppc_draws: int = 100
) -> dict[str, Any]:
    """What :func:`explorer_figure` shows: the quantities, draws shown and in total, and
    the predictive variable (name, curves, observations) or None."""
    names = post.check(selected)[:4]
    chains, n_draw = post.chains, post.draws_per_chain
    shown = len(_thin(n_draw, chains, max_draws)) * chains
    facts: dict[str, Any] = {
        "quantities": names,
        "draws_shown": shown,
        "draws_total": n_draw * chains,
        "predictive": None,
    }
    predictive = post.predictive()
    if predictive is not None:
        name, y, _ = predictive
        curves = min(ppc_draws, shown)
        facts["predictive"] = {"name": name, "curves": curves, "observed": int(y.size)}
    return facts


def explorer_figure(
    post: PosteriorData,
    selected: Sequence[str],
    *,
    max_draws: int = 1000,
    ppc_draws: int = 100,
    seed: int = 0,
    width: int = 440,
):
    """The linked trace/rank/pair/predictive layout of ``selected`` quantities (at most
    four), a Bokeh model."""
    from bokeh.layouts import column, row

    names = post.check(selected)[:4]
    values = post.draws(names)
    keep = _thin(post.draws_per_chain, post.chains, max_draws)
    draws = _draws_source(names, values, post.chains, keep)
    traces, ranks = _trace_rank_plots(names, values, keep, draws, width)
    pieces = [_pair_plot(names, values, draws)]
    predictive = post.predictive()
    if predictive is not None:
        pieces.append(_predictive_plot(predictive, keep, draws, ppc_draws, seed))
    return column(row(column(*traces), column(*ranks)), row(*pieces))


def _draws_source(names, values, chains: int, keep: np.ndarray):
    """The shared source ``draws``: one row per kept draw, one ``q<j>`` column per quantity."""
    from bokeh.models import ColumnDataSource

    cols: Columns = {"chain": [], "draw": [], "color": []}
    for j in range(len(names)):
        cols[f"q{j}"] = []
    for c in range(chains):
        cols["chain"].extend([str(c)] * len(keep))
        cols["draw"].extend(keep.tolist())
        cols["color"].extend([chain_color(c)] * len(keep))
        for j, n in enumerate(names):
            cols[f"q{j}"].extend(np.round(values[n][c, keep], 6).tolist())
    return ColumnDataSource(cols, name="draws")


def _selectable(fig):
    """``fig`` with box, lasso and tap selection; a drag selects a box of draws."""
    from bokeh.models import BoxSelectTool, LassoSelectTool, ResetTool, TapTool

    box = BoxSelectTool()
    fig.add_tools(box, LassoSelectTool(), TapTool(), ResetTool())
    fig.toolbar.active_drag = box
    return fig


def _trace_rank_plots(names, values, keep: np.ndarray, draws, width: int):
    """One trace plot (selectable draws over each chain's line) and one rank plot per
    quantity."""
    from bokeh.plotting import figure

    traces, ranks = [], []
    stacked = np.stack([values[n] for n in names], axis=-1)
    chains = stacked.shape[0]
    counts = rank_histograms(stacked, bins=20)
    edges = np.arange(counts.shape[2] + 1)
    for j, n in enumerate(names):
        t = _selectable(
            figure(width=width, height=130, title=f"trace: {n}", tools="", toolbar_location="right")
        )
        for c in range(chains):
            t.line(keep, values[n][c, keep], color=chain_color(c), alpha=0.6, line_width=1)
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
        tick_count(t, TRACE_TICKS)  # a short plot: few, readable ticks
        traces.append(readable_ticks(t))
        r = figure(width=220, height=130, title="rank", tools="", toolbar_location=None)
        for c in range(chains):
            r.step(edges[:-1], counts[j, c], mode="after", color=chain_color(c), line_width=1.5)
        r.yaxis.visible = False
        ranks.append(readable_ticks(r, "x"))
    return traces, ranks


def _pair_plot(names, values, draws):
    """The pair plot of the first two quantities (selectable), or the marginal histogram
    of the only one."""
    from bokeh.plotting import figure

    if len(names) >= 2:
        pair = _selectable(
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
        pair.quad(
            left=edges_1d[:-1], right=edges_1d[1:], top=counts_1d, bottom=0, alpha=0.6, color=BAND
        )
    return readable_ticks(pair)


def _predictive_curves(predictive, keep: np.ndarray, chains: int, ppc_draws: int, seed: int):
    """Histogram densities of ``ppc_draws`` predictive draws among the kept ones (their
    row in ``draws`` as ``draw_id``), the bin edges and the observed density."""
    _, y, pp = predictive
    rng = np.random.default_rng(seed)
    rows = np.arange(chains * len(keep))
    pick = np.sort(rng.choice(rows, size=min(ppc_draws, rows.size), replace=False))
    curves = pp[pick // len(keep), keep[pick % len(keep)]]  # (m, n)
    finite = np.concatenate([y[np.isfinite(y)], curves[np.isfinite(curves)]])
    lo, hi = np.quantile(finite, [0.005, 0.995]) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = int(np.clip(2 * np.sqrt(y.size), 8, 30))  # few observations, few bins
    edges = np.linspace(lo, hi, bins + 1)
    dens = [np.histogram(cv, bins=edges, density=True)[0].round(6).tolist() for cv in curves]
    observed = np.histogram(y[np.isfinite(y)], bins=edges, density=True)[0]
    return pick, dens, edges, observed


def _predictive_plot(predictive, keep: np.ndarray, draws, ppc_draws: int, seed: int):
    """Posterior predictive densities against the observed one; the curves of draws
    selected in ``draws`` are highlighted by a callback in the page."""
    from bokeh.models import ColumnDataSource, CustomJS
    from bokeh.plotting import figure

    name = predictive[0]
    chains = predictive[2].shape[0]
    pick, dens, edges, observed = _predictive_curves(predictive, keep, chains, ppc_draws, seed)
    centres = ((edges[:-1] + edges[1:]) / 2).round(6).tolist()
    ppc = ColumnDataSource(
        {
            "xs": [centres] * len(dens),
            "ys": dens,
            "draw_id": pick.tolist(),
            "alpha": [PPC_ALPHA] * len(dens),
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
    p.step(
        edges[:-1], observed, mode="after", color=OBSERVED, line_width=2.5, legend_label="observed"
    )
    p.legend.location = "top_right"
    p.legend.label_text_font_size = "8pt"
    readable_ticks(p)
    args = {"draws": draws, "ppc": ppc, "base": PPC_ALPHA, "selected": SELECTED}
    draws.selected.js_on_change(
        "indices", CustomJS(args={**args, "plain": PREDICTIVE}, code=_HIGHLIGHT_JS)
    )
    return p


def forest_figure(rows: Sequence[dict[str, Any]], *, width: int = 420, max_rows: int = 60):
    """Means with 94% HDI bars, one row per quantity (problem rows in red), a Bokeh model."""
    from bokeh.models import ColumnDataSource, FactorRange
    from bokeh.plotting import figure

    rows = [r for r in rows if r.get("mean") is not None][:max_rows]
    labels = [r["name"] for r in rows][::-1]
    src = ColumnDataSource(
        {
            "name": [r["name"] for r in rows],
            "mean": [r["mean"] for r in rows],
            "lo": [r["hdi_3%"] if r["hdi_3%"] is not None else r["mean"] for r in rows],
            "hi": [r["hdi_97%"] if r["hdi_97%"] is not None else r["mean"] for r in rows],
            "color": [SELECTED if r.get("problems") else TEXT for r in rows],
        },
        name="forest",
    )
    f = figure(
        width=width,
        height=max(120, 22 * len(rows) + 60),
        y_range=FactorRange(factors=labels),
        title="forest (mean, 94% HDI)",
        tools="",
        toolbar_location=None,
    )
    f.segment("lo", "name", "hi", "name", source=src, color="color", line_width=2)
    f.scatter("mean", "name", source=src, color="color", size=7)
    readable_ticks(f, "x")
    return f

"""DecisionExplorer, Python side: live evaluation, optimize, references, errors keep state."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.decision import (
    DecisionInputError,
    DecisionProblem,
    DecisionVariable,
    budget,
    compare_naive,
    cvar,
)
from bayes_widgets.core.decision import supply_chain as sc
from bayes_widgets.core.decision.frontier import risk_return
from bayes_widgets.widgets import decision_explorer

PRICE, COST = 5.0, 3.0


def newsvendor(demand, **kwargs):
    return DecisionProblem(
        [DecisionVariable("q", 0, 200, integer=True)],
        {"demand": demand},
        lambda x, s: PRICE * np.minimum(x[0], s["demand"]) - COST * x[0],
        **kwargs,
    )


@pytest.fixture(autouse=True)
def slices_whole(monkeypatch):
    """What a slice holds is tested whatever the machine's speed: the time budget that
    cuts a slice short (its own tests pass one) is out of reach here."""
    monkeypatch.setattr(decision_explorer, "SLICE_BUDGET_S", 600.0)


@pytest.fixture(scope="module")
def demand():
    return np.random.default_rng(5).gamma(4.0, 25.0, size=3000)


def send(widget, outbox, kind, **payload):
    widget.send = outbox
    widget._dispatch(widget, {"type": kind, **payload}, [])


def test_moving_the_decision_redraws_the_outcome(demand, outbox):
    problem = newsvendor(demand)
    ex = bw.DecisionExplorer(problem, x=[50])
    first = dict(ex.summary)
    assert ex.decision == {"q": 50}
    assert first["mean"] == pytest.approx(problem.outcomes([50]).mean())
    assert sum(first["counts"]) == len(demand) and len(first["edges"]) == len(first["counts"]) + 1
    assert first["cvar"] == pytest.approx(cvar(problem.outcomes([50]), 0.05))
    n = ex.evaluations
    send(ex, outbox, "evaluate", x={"q": 120})
    assert ex.decision == {"q": 120} and ex.evaluations == n + 1 and not ex.error
    assert ex.summary["mean"] == pytest.approx(problem.outcomes([120]).mean())
    assert ex.summary["prob_loss"] == pytest.approx(np.mean(problem.outcomes([120]) < 0))
    json.dumps(ex.summary, allow_nan=False)
    # figures are Bokeh json items with the named pieces the page fills
    for name in ("hist", "reference_outline", "extent", "mean", "cvar", "zero", "loss"):
        assert f'"name": "{name}"' in ex.outcome_figure
    for name in ("frontier", "current", "references"):
        assert f'"name": "{name}"' in ex.frontier_figure


@pytest.mark.parametrize(
    ("x", "field"),
    [
        ({"q": 250}, "x.q"),  # above the upper bound
        ({"q": 10.5}, "x.q"),  # not whole
        ({"q": None}, "x"),  # empty box
        ({"z": 3}, "x"),  # unknown variable
    ],
)
def test_bad_values_are_shown_and_the_last_decision_stays(demand, outbox, x, field):
    ex = bw.DecisionExplorer(newsvendor(demand), x=[80])
    before = (dict(ex.decision), dict(ex.summary))
    send(ex, outbox, "evaluate", x=x)
    assert ex.error.startswith(f"{field}:"), ex.error
    assert (ex.decision, ex.summary) == before
    rejected = outbox.of_type("rejected")
    assert rejected and rejected[-1]["field"] == field
    send(ex, outbox, "evaluate", x={"q": 90})
    assert ex.error == "" and ex.decision == {"q": 90}


def test_optimize_moves_the_decision_and_reports_convergence(demand, outbox):
    problem = newsvendor(demand)
    ex = bw.DecisionExplorer(problem, x=[0])
    send(ex, outbox, "optimize", objective="mean", level=None)
    exhaustive = int(np.argmax([problem.outcomes([q]).mean() for q in range(201)]))
    assert ex.decision == {"q": exhaustive}
    assert ex.optimum["x"] == {"q": exhaustive} and ex.optimum["converged"] and ex.optimum["exact"]
    assert ex.optimum["mean"] == pytest.approx(ex.summary["mean"])
    assert ex.status == "idle"
    # a risk-averse objective orders less
    send(ex, outbox, "optimize", objective="cvar", level=0.1)
    assert ex.objective == "cvar" and ex.level == 0.1
    assert ex.decision["q"] < exhaustive
    # a bad level is shown inline; the decision stays
    before = dict(ex.decision)
    send(ex, outbox, "optimize", objective="cvar", level=1.7)
    assert ex.error.startswith("level:") and ex.decision == before


def test_naive_reference_and_use(demand, outbox):
    problem = newsvendor(demand)
    ex = bw.DecisionExplorer(problem, x=[10], references={"current": [60]})
    labels = [r["label"] for r in ex.references]
    assert labels == ["naive (means)", "current"]
    naive = ex.references[0]
    # the naive decision: optimal for the mean demand only, so it orders the mean (critical
    # fractile 0.4 is ignored)
    assert abs(naive["x"]["q"] - round(float(demand.mean()))) <= 1
    send(ex, outbox, "use", label="current")
    assert ex.decision == {"q": 60}
    send(ex, outbox, "use", label="nope")
    assert ex.error.startswith("label:") and ex.decision == {"q": 60}
    with pytest.raises(DecisionInputError, match=r"^references\.bad\.q: "):
        bw.DecisionExplorer(problem, references={"bad": [999]})


def test_frontier_trades_expected_profit_for_a_better_bad_case(demand, outbox):
    problem = newsvendor(demand)
    ex = bw.DecisionExplorer(problem, alphas=[1.0, 0.25, 0.05])
    send(ex, outbox, "frontier")
    pts = ex.frontier
    assert [p["alpha"] for p in pts] == [1.0, 0.25, 0.05]
    means = [p["mean"] for p in pts]
    cvars = [p["cvar"] for p in pts]
    assert means == sorted(means, reverse=True)  # risk aversion costs expected profit...
    assert cvars[-1] >= cvars[0]  # ...and buys a better worst case
    assert pts[0]["label"] == "risk-neutral" and all(p["converged"] for p in pts)
    direct = risk_return(problem, [1.0, 0.25, 0.05])
    assert [p.x for p in direct] == [p["x"] for p in pts]


def test_constraints_are_shown_not_enforced_while_exploring():
    rng = np.random.default_rng(0)
    problem = DecisionProblem(
        {"a": (0, 10), "b": (0, 10)},
        {"r": rng.normal(1.0, 0.1, size=(500, 2))},
        lambda x, s: s["r"] @ np.sqrt(x),
        constraints=[budget(10)],
    )
    ex = bw.DecisionExplorer(problem, naive=False)
    ex.set_decision([8, 7])
    assert ex.summary["feasible"] is False
    assert ex.summary["constraints"][0]["name"] == "budget"
    assert ex.summary["constraints"][0]["violation"] == pytest.approx(5)
    ex.optimize()
    assert ex.summary["feasible"] is True
    assert sum(ex.decision.values()) == pytest.approx(10, abs=1e-4)


def test_supply_chain_explorer_with_a_naive_comparison(outbox):
    scenarios = sc.generating_process_scenarios(2000, seed=1)
    problem = sc.supply_chain_problem(scenarios)
    comparison = compare_naive(
        problem, sc.generating_process_scenarios(2000, seed=2), point=sc.naive_point(), seed=0
    )
    ex = bw.DecisionExplorer(problem, naive=comparison)
    assert ex.comparison["z"] > 3 and ex.comparison["difference"] > 0
    assert ex.references[0]["x"] == comparison.naive.x
    ex.optimize()
    assert ex.decision["order_0"] <= 10
    assert ex.decision == comparison.bayesian.x


def test_wrong_arguments_name_the_field(demand):
    with pytest.raises(DecisionInputError, match=r"^problem: "):
        bw.DecisionExplorer("not a problem")
    with pytest.raises(DecisionInputError, match=r"^objective: "):
        bw.DecisionExplorer(newsvendor(demand), objective="median")
    with pytest.raises(DecisionInputError, match=r"^alphas: "):
        bw.DecisionExplorer(newsvendor(demand), alphas=[0])
    with pytest.raises(DecisionInputError, match=r"^cvar_alpha: "):
        bw.DecisionExplorer(newsvendor(demand), cvar_alpha=1.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        bw.DecisionExplorer(newsvendor(demand), colour="red")


def test_opens_at_the_optimum_when_cheap_and_says_when_a_reference_is_better(demand):
    problem = newsvendor(demand)
    ex = bw.DecisionExplorer(problem)
    exhaustive = int(np.argmax([problem.outcomes([q]).mean() for q in range(201)]))
    assert ex.decision == {"q": exhaustive} and ex.optimum["x"] == {"q": exhaustive}
    assert ex.summary["better"] == []
    # started elsewhere: the naive decision does better, and the summary says by how much
    worse = bw.DecisionExplorer(problem, x=[0])
    naive = worse.references[0]
    assert worse.optimum == {}
    assert [b["label"] for b in worse.summary["better"]] == ["naive (means)"]
    assert worse.summary["better"][0]["by"] == pytest.approx(naive["mean"] - worse.summary["mean"])
    worse.optimize()
    assert worse.summary["better"] == []
    # an expensive problem is not optimised on construction
    lazy = bw.DecisionExplorer(problem, optimize_on_start=False)
    assert lazy.optimum == {} and lazy.decision == problem.as_dict(problem.start)


def test_frontier_is_monotone_with_dominated_optima_left_out():
    from bayes_widgets.core.decision.frontier import FrontierPoint, pareto

    def point(alpha, mean, cvar_):
        return FrontierPoint(
            alpha=alpha,
            x={"q": 0},
            mean=mean,
            cvar=cvar_,
            prob_loss=0.0,
            converged=True,
            message="",
        )

    # a curve that folds back: the 0.1 optimum is beaten on both axes by the 0.05 one
    pts = [
        point(1.0, 100, -50),
        point(0.5, 90, -20),
        point(0.1, 70, -10),
        point(0.05, 80, -5),
        point(0.02, 60, 0),
    ]
    front = pareto(pts)
    assert [p.alpha for p in front] == [1.0, 0.5, 0.05, 0.02]
    assert [p.cvar for p in front] == sorted(p.cvar for p in front)
    assert [p.mean for p in front] == sorted((p.mean for p in front), reverse=True)
    flagged = pareto(pts, keep_dominated=True)
    assert [p.alpha for p in flagged if p.dominated] == [0.1]


def test_replies_carry_the_input_number_and_values_read_at_the_variables_resolution(demand, outbox):
    rng = np.random.default_rng(0)
    problem = DecisionProblem(
        {"tv": (0, 1e5), "radio": (0, 1e5)},
        {"r": rng.normal(1.0, 0.1, size=(300, 2))},
        lambda x, s: s["r"] @ np.sqrt(x),
        constraints=[budget(1e5)],
    )
    ex = bw.DecisionExplorer(problem, naive=False, x=[5e4, 5e4])
    assert [v["resolution"] for v in ex.variables] == [pytest.approx(0.1), pytest.approx(0.1)]
    assert bw.DecisionExplorer(newsvendor(demand), naive=False).variables[0]["resolution"] == 0.5
    send(ex, outbox, "evaluate", x={"tv": 6e4, "radio": 4e4}, seq=11)
    assert ex.applied["seq"] == 11 and ex.decision == {"tv": 6e4, "radio": 4e4}
    send(ex, outbox, "evaluate", x={"tv": 2e5, "radio": 0}, seq=12)
    assert ex.applied["seq"] == 12 and outbox.of_type("rejected")[-1]["seq"] == 12
    assert ex.decision == {"tv": 6e4, "radio": 4e4}
    # figures: readable ticks; no Bokeh legend (the page writes one below each plot)
    for fig in (ex.outcome_figure, ex.frontier_figure):
        assert "CustomJSTickFormatter" in fig and '"Legend"' not in fig


def test_figures_carry_their_first_data(demand):
    ex = bw.DecisionExplorer(newsvendor(demand), references={"current": [60]})

    def columns(item, name):
        found = []

        def visit(node):
            if isinstance(node, dict):
                attrs = node.get("attributes")
                if (
                    node.get("name") == "ColumnDataSource"
                    and isinstance(attrs, dict)
                    and attrs.get("name") == name
                ):
                    found.append(dict(attrs["data"]["entries"]))
                for v in node.values():
                    visit(v)
            elif isinstance(node, list):
                for v in node:
                    visit(v)

        visit(json.loads(item))
        return found[0]

    hist = columns(ex.outcome_figure, "hist")
    assert hist["count"] == ex.summary["counts"] and hist["left"] == ex.summary["edges"][:-1]
    assert columns(ex.outcome_figure, "extent") == ex.summary["view"]
    assert columns(ex.outcome_figure, "reference_outline") == ex.references[0]["outline"]
    assert columns(ex.frontier_figure, "current")["mean"] == [ex.summary["mean"]]
    assert columns(ex.frontier_figure, "references")["label"] == ["naive (means)", "current"]
    # the risk–return axes span every point drawn (the page widens them while a slider moves)
    points = [ex.summary, *ex.references]
    assert columns(ex.frontier_figure, "extent") == {
        "cvar": [min(p["cvar"] for p in points), max(p["cvar"] for p in points)],
        "mean": [min(p["mean"] for p in points), max(p["mean"] for p in points)],
    }


# ------------------------------------------------------------------ readable page, own model
def stock_problem(rng, price=3.5, cost=1.0, days=3, mean_demand=40.0):
    """Stock for three days against a demand posterior predictive (gamma-Poisson draws, as
    ``pm.sample_posterior_predictive`` would give for a count model): profits far from 0."""
    rate = rng.gamma(50.0, mean_demand / 50.0, size=(400, days))
    demand = rng.poisson(rate)

    def profit(stock, s):
        return (price * np.minimum(stock, s["y"]) - cost * stock).sum(axis=1)

    return DecisionProblem(
        [DecisionVariable(f"stock_day{i + 1}", 0, 150) for i in range(days)], {"y": demand}, profit
    )


def test_the_outcome_plot_spans_the_outcomes_and_reaches_zero_only_near_it():
    from bayes_widgets.core.figures.decision import histogram_outline, outcome_view

    rng = np.random.default_rng(3)
    ex = bw.DecisionExplorer(stock_problem(rng))
    outcomes = ex.problem.outcomes(ex.problem.check_x(ex.decision))
    assert outcomes.min() > 100  # profits far above 0 ...
    lo, hi = ex.summary["view"]["x"]
    naive = ex.references[0]
    # ... so the plot spans this decision's and the naive one's outcomes, not 0 and the loss band
    assert lo == min(ex.summary["edges"][0], naive["edges"][0]) and lo > 0
    assert hi == max(ex.summary["edges"][-1], naive["edges"][-1])
    assert ex.summary["view"]["y"] == [
        0.0,
        float(max(max(ex.summary["counts"]), max(naive["counts"]))),
    ]
    # a decision whose outcomes come near 0 (no stock at all: a profit of exactly 0) or cross it
    ex.set_decision([0, 0, 0])
    assert ex.summary["view"]["x"][0] <= 0 <= ex.summary["view"]["x"][1]
    ex.set_decision([150, 150, 150])  # far too much stock: losses on many scenarios
    assert ex.summary["prob_loss"] > 0 and ex.summary["view"]["x"][0] < 0
    # the rule itself: a gap to 0 above a quarter of the outcomes' range leaves 0 out
    assert outcome_view([([280.0, 300.0, 350.0], [3, 5])]) == {"x": [280.0, 350.0], "y": [0.0, 5.0]}
    assert outcome_view([([10.0, 50.0, 100.0], [1, 2])])["x"] == [0.0, 100.0]
    assert outcome_view([([-100.0, -80.0, -60.0], [1, 2])])["x"] == [-100.0, -60.0]
    assert outcome_view([([-30.0, -10.0, -5.0], [1, 2])])["x"] == [-30.0, 0.0]
    # the reference is drawn as an outline over the bars, which stay visible
    assert histogram_outline([0.0, 1.0, 2.0], [3, 5]) == {
        "x": [0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
        "y": [0.0, 3.0, 3.0, 5.0, 5.0, 0.0],
    }
    outline = naive["outline"]
    assert outline["x"][0] == naive["edges"][0] and outline["x"][-1] == naive["edges"][-1]
    assert max(outline["y"]) == max(naive["counts"]) and outline["y"][0] == outline["y"][-1] == 0
    # the axes follow the extent only: the loss band (a box reaching to -inf) does not widen them
    item = json.loads(ex.outcome_figure)
    ranges = [m for m in _models(item) if m.get("name") == "DataRange1d"]
    extent_renderer = [
        m
        for m in _models(item)
        if m.get("name") == "GlyphRenderer" and _source_name(item, m) == "extent"
    ]
    assert len(ranges) == 2 and len(extent_renderer) == 1
    for r in ranges:
        assert [ref["id"] for ref in r["attributes"]["renderers"]] == [extent_renderer[0]["id"]]


def test_the_optimum_says_converged_once_and_names_its_objective_like_the_menu(outbox):
    rng = np.random.default_rng(3)
    ex = bw.DecisionExplorer(stock_problem(rng))
    o = ex.optimum
    assert o["converged"] and o["message"] == "converged"
    assert o["detail"] == ""  # nothing beyond "converged": the page adds nothing after its tag
    assert (o["measure"], o["level"]) == ("mean", None)
    send(ex, outbox, "optimize", objective="cvar", level=0.1)
    assert (ex.optimum["measure"], ex.optimum["level"]) == ("cvar", 0.1)
    # an integer problem's message explains how the integers were found: kept
    demand = np.random.default_rng(5).gamma(4.0, 25.0, size=500)
    whole = bw.DecisionExplorer(newsvendor(demand))
    assert (
        "integer" in whole.optimum["detail"] and "converged" not in whole.optimum["detail"].lower()
    )


def _models(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "name" in node:
            yield node
        for v in node.values():
            yield from _models(v)
    elif isinstance(node, list):
        for v in node:
            yield from _models(v)


def _source_name(item, renderer):
    ref = renderer["attributes"]["data_source"]
    if "attributes" in ref:
        return ref["attributes"].get("name")
    by_id = {m["id"]: m for m in _models(item) if "id" in m}
    return by_id[ref["id"]]["attributes"].get("name")


def test_a_slider_s_slice_is_what_each_position_would_show(demand, outbox):
    """The page paints drags from a slice: every position's summary, equal to what the
    kernel shows when asked for that position, the other variables held."""
    problem = DecisionProblem(
        [DecisionVariable("q", 0, 200, integer=True), DecisionVariable("price", 4.0, 6.0)],
        {"demand": demand},
        lambda x, s: x[1] * np.minimum(x[0], s["demand"]) - COST * x[0],
    )
    ex = bw.DecisionExplorer(problem, x=[50, 5.0], references={"plan": [80, 5.0]})
    n = ex.evaluations
    got = ex.slice_summaries("q")
    assert ex.evaluations == n and ex.decision == {"q": 50, "price": 5.0}  # nothing shown changed
    assert got["values"] == [float(k) for k in range(201)] and got["x"] == {"q": 50, "price": 5.0}
    for k in (0, 37, 200):
        ex.set_decision({"q": k, "price": 5.0})
        assert json.dumps(got["summaries"][k]) == json.dumps(ex.summary)
    # a continuous variable: the slider's own positions, the other variable held where asked
    step = ex.variables[1]["step"]
    got = ex.slice_summaries("price", {"q": 120, "price": 4.0})
    assert got["values"][0] == 4.0 and got["values"][-1] == pytest.approx(6.0)
    assert got["values"][1] == pytest.approx(4.0 + step)
    ex.set_decision({"q": 120, "price": got["values"][3]})
    assert json.dumps(got["summaries"][3]) == json.dumps(ex.summary)
    assert len({r["mean"] for r in got["summaries"]}) > 100  # every position its own outcome
    # too slow to summarise whole within the budget: the page asks position by position
    assert ex.slice_summaries("q", budget_s=1e-6) is None
    with pytest.raises(DecisionInputError, match="variable"):
        ex.slice_summaries("quantity")
    with pytest.raises(DecisionInputError, match="q"):
        ex.slice_summaries("price", {"q": 500, "price": 5.0})
    # the message: an answer with the request's id; a refused slice answers with no values
    sent = []
    send(
        ex,
        lambda content, buffers=None: sent.append(content),
        "slice",
        variable="q",
        x={"q": 50, "price": 5.0},
        request="r1",
    )
    assert (
        sent[-1]["type"] == "slice"
        and sent[-1]["request"] == "r1"
        and len(sent[-1]["values"]) == 201
    )
    send(
        ex,
        lambda content, buffers=None: sent.append(content),
        "slice",
        variable="nope",
        x={},
        request="r2",
    )
    assert sent[-1]["request"] == "r2" and sent[-1]["values"] == [] and not ex.error


def test_old_british_names_still_work_with_a_warning(demand, outbox):
    problem = newsvendor(demand)
    with pytest.warns(DeprecationWarning, match="optimize_on_start"):
        ex = bw.DecisionExplorer(problem, x=[50], optimise_on_start=False)
    with pytest.warns(DeprecationWarning, match="optimize_options"):
        seeded = bw.DecisionExplorer(problem, optimise_options={"seed": 3, "restarts": 2})
    assert seeded.optimize_options == {"seed": 3, "restarts": 2}
    with pytest.warns(DeprecationWarning, match="optimize_options"):
        assert seeded.optimise_options == {"seed": 3, "restarts": 2}
    with pytest.raises(TypeError, match="pass only optimize_on_start"):
        bw.DecisionExplorer(problem, optimize_on_start=False, optimise_on_start=True)
    with pytest.raises(TypeError, match="unexpected keyword"):
        bw.DecisionExplorer(problem, optimse_options={})
    with pytest.warns(DeprecationWarning, match="use optimize"):
        result = ex.optimise("cvar", level=0.1)
    assert ex.decision == result.x and ex.objective == "cvar"
    # a page saved before sends the old message type; the kernel still answers it
    send(ex, outbox, "evaluate", x={"q": 10})
    send(ex, outbox, "optimise", objective="mean", level=None)
    assert ex.objective == "mean" and ex.decision == ex.result.x != {"q": 10}


class MarginalNewsvendor(DecisionProblem):
    """A newsvendor whose stock was only ever between 40 and 120, with its marginal
    profit per unit of stock: price when demand exceeds the stock, minus the cost."""

    marginal_label = "marginal profit"

    def marginals(self, x):
        q = self.check_x(x, check_bounds=False)[0]
        return {"q": PRICE * (self.scenarios["demand"] > q) - COST}


def test_extrapolation_and_marginals_are_shown_per_variable(demand, outbox):
    problem = MarginalNewsvendor(
        [DecisionVariable("q", 0, 200, integer=True, observed=(40, 120))],
        {"demand": demand},
        lambda x, s: PRICE * np.minimum(x[0], s["demand"]) - COST * x[0],
    )
    ex = bw.DecisionExplorer(problem, x=[80])
    assert ex.variables[0]["observed"] == [40.0, 120.0]
    assert ex.summary["extrapolation"] == []
    marginal = ex.summary["marginals"]
    assert marginal["label"] == "marginal profit" and marginal["prob"] == 0.9
    expected = PRICE * np.mean(demand > 80) - COST
    assert marginal["values"]["q"]["mean"] == pytest.approx(expected)
    assert marginal["values"]["q"]["lower"] == -COST and marginal["values"]["q"]["upper"] == 2.0
    send(ex, outbox, "evaluate", x={"q": 150})
    (flag,) = ex.summary["extrapolation"]
    assert (flag["name"], flag["side"], flag["high"]) == ("q", "above", 120.0)
    assert flag["message"] == "q = 150 is above its observed range [40, 120]"
    json.dumps(ex.summary, allow_nan=False)
    # the optimum says whether it lies outside the range seen
    ex.optimize()
    assert ex.optimum["extrapolation"] == [
        e.to_dict() for e in problem.extrapolations(ex.optimum["x"])
    ]
    # a slider's slice carries the same flags and marginals as each position would show
    got = ex.slice_summaries("q")
    at = got["values"].index(130.0)
    assert got["summaries"][at]["extrapolation"][0]["value"] == 130.0
    assert "marginals" in got["summaries"][at]
    # a problem without ranges or marginals shows neither
    plain = bw.DecisionExplorer(newsvendor(demand), x=[80])
    assert plain.summary["extrapolation"] == [] and "marginals" not in plain.summary


class TwoStores(DecisionProblem):
    """Orders split between two stores (60% north, 40% south): the breakdown of a
    decision by store is each store's order and its expected sales."""

    group_label = "store"
    groups = ("north", "south")
    split = {"north": 0.6, "south": 0.4}

    def breakdown(self, x, group):
        order = float(self.check_x(x)[0]) * self.split[group]
        sold = np.minimum(order, self.scenarios["demand"] * self.split[group])
        return {
            "group": group,
            "label": self.group_label,
            "rows": [{"name": "q", "spend": order}],
            "response": {"mean": float(sold.mean())},
        }


def test_a_group_selected_on_the_page_shows_its_breakdown_and_a_bad_one_is_refused(demand, outbox):
    problem = TwoStores(
        [DecisionVariable("q", 0, 200, integer=True)],
        {"demand": demand},
        lambda x, s: PRICE * np.minimum(x[0], s["demand"]) - COST * x[0],
    )
    ex = bw.DecisionExplorer(problem, x=[100])
    assert ex.groups == ["north", "south"] and ex.group_label == "store"
    assert ex.group == "" and "breakdown" not in ex.summary
    ex.set_state({"group": "south"})  # what the page's selector sends
    b = ex.summary["breakdown"]
    assert b["group"] == "south" and b["rows"][0]["spend"] == pytest.approx(40.0)
    assert b["response"]["mean"] == pytest.approx(np.minimum(40.0, 0.4 * demand).mean())
    # moving the decision moves the group's rows, and a slice carries them per position
    send(ex, outbox, "evaluate", x={"q": 150})
    assert ex.summary["breakdown"]["rows"][0]["spend"] == pytest.approx(60.0)
    got = ex.slice_summaries("q")
    assert got["summaries"][got["values"].index(50.0)]["breakdown"]["rows"][0]["spend"] == 20.0
    # an unknown group: refused inline, the selection and the decision stay
    ex.set_state({"group": "east"})
    assert ex.group == "south" and ex.decision == {"q": 150}
    assert "unknown store 'east'; known: north, south" in ex.error
    ex.group = ""
    assert "breakdown" not in ex.summary and ex.error == ""
    # a problem without groups has no selector
    plain = bw.DecisionExplorer(newsvendor(demand), x=[80])
    assert plain.groups == [] and plain.group_label == ""
    with pytest.raises(DecisionInputError) as err:
        plain.problem.check_group("north")
    assert err.value.field == "group" and "known: none" in str(err.value)

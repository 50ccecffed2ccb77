"""Observed ranges of decision variables, extrapolation flags and marginals' summaries."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.decision import (
    DecisionInputError,
    DecisionProblem,
    DecisionVariable,
    extrapolations,
    summarize_marginals,
)
from bayes_widgets.core.decision.display import variable_spec


def stock_problem() -> DecisionProblem:
    """Two stock levels; demand seen between 20 and 60 for the first, none declared for
    the second."""
    rng = np.random.default_rng(0)
    demand = rng.gamma(8.0, 5.0, size=(500, 2))
    variables = [
        DecisionVariable("a", 0, 100, observed=(20, 60)),
        DecisionVariable("b", 0, 100),
    ]

    def profit(x, s):
        return (5 * np.minimum(x, s["demand"]) - 2 * x).sum(axis=-1)

    return DecisionProblem(variables, {"demand": demand}, profit)


def test_observed_ranges_flag_values_outside_them():
    problem = stock_problem()
    assert problem.variables[0].observed == (20.0, 60.0) and problem.variables[1].observed is None
    assert problem.extrapolations([40, 100]) == []  # b has no range: never flagged
    assert problem.extrapolations([60, 0]) == []  # the ends are inside
    (above,) = problem.extrapolations([75, 0])
    assert (above.name, above.side, above.value, above.low, above.high) == (
        "a",
        "above",
        75,
        20,
        60,
    )
    assert above.message == "a = 75 is above its observed range [20, 60]"
    (below,) = problem.extrapolations({"a": 5, "b": 3})
    assert below.side == "below" and below.to_dict()["message"].startswith("a = 5 is below")
    # the same for any sequence of variables, and kept by a problem over other scenarios
    assert [e.name for e in extrapolations(problem.variables, [61, 0])] == ["a"]
    other = problem.with_scenarios({"demand": np.full((10, 2), 30.0)})
    assert [e.name for e in other.extrapolations([0, 0])] == ["a"]
    # the view's spec carries the range
    assert variable_spec(problem.variables[0])["observed"] == [20.0, 60.0]
    assert variable_spec(problem.variables[1])["observed"] is None


@pytest.mark.parametrize(
    "observed",
    [(5, 1), (0, float("inf")), ("low", 3), 7, (1, 2, 3)],
)
def test_bad_observed_ranges_name_the_field(observed):
    with pytest.raises(DecisionInputError) as err:
        DecisionVariable("a", 0, 10, observed=observed)
    assert err.value.field == "variables.a.observed"


def test_marginals_are_none_unless_a_problem_defines_them():
    problem = stock_problem()
    assert problem.marginal_label is None and problem.marginals([1, 2]) is None


def test_marginal_summaries_give_the_mean_and_a_central_interval():
    draws = np.arange(1001, dtype=float) / 1000  # 0, 0.001, ..., 1
    out = summarize_marginals("marginal ROAS", {"tv": draws, "radio": [np.nan, np.nan]})
    assert out["label"] == "marginal ROAS" and out["prob"] == 0.9
    tv = out["values"]["tv"]
    assert tv["mean"] == pytest.approx(0.5)
    assert (tv["lower"], tv["upper"]) == pytest.approx((0.05, 0.95))
    assert out["values"]["radio"] == {"mean": None, "lower": None, "upper": None}

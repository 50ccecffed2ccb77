"""The decision core's old British names: each still works and warns, naming the new one."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core import decision
from bayes_widgets.core.decision import DecisionProblem, DecisionVariable, risk, solvers


@pytest.fixture(scope="module")
def problem():
    demand = np.random.default_rng(1).gamma(4.0, 25.0, size=500)
    return DecisionProblem(
        [DecisionVariable("q", 0, 200, integer=True)],
        {"demand": demand},
        lambda x, s: 5 * np.minimum(x[0], s["demand"]) - 3 * x[0],
    )


def test_problem_optimise_warns_and_gives_the_optimize_result(problem):
    new = problem.optimize("cvar", level=0.1, seed=0)
    with pytest.warns(DeprecationWarning, match="optimise is deprecated; use optimize"):
        old = problem.optimise("cvar", level=0.1, seed=0)
    assert old.x == new.x and old.value == pytest.approx(new.value)


@pytest.mark.parametrize("module", [solvers, decision])
def test_module_optimise_warns_and_works(problem, module):
    with pytest.warns(DeprecationWarning, match="use optimize"):
        old = module.optimise(problem, "mean", seed=0)
    assert old.x == problem.optimize("mean", seed=0).x


@pytest.mark.parametrize("module", [risk, decision])
def test_summarise_warns_and_equals_summarize(module):
    outcomes = np.random.default_rng(2).normal(size=400)
    with pytest.warns(DeprecationWarning, match="summarise is deprecated; use summarize"):
        old = module.summarise(outcomes, cvar_alpha=0.1, bins=7)
    new = risk.summarize(outcomes, cvar_alpha=0.1, bins=7)
    assert old.to_dict() == new.to_dict()


@pytest.mark.parametrize("module", [solvers, decision])
def test_optimisation_result_is_the_renamed_class(problem, module):
    with pytest.warns(DeprecationWarning, match="use OptimizationResult"):
        cls = module.OptimisationResult
    assert cls is solvers.OptimizationResult
    assert isinstance(problem.optimize(seed=0), cls)
    with pytest.raises(AttributeError):
        module.OptimizationResults  # noqa: B018 - a misspelt name is still an error

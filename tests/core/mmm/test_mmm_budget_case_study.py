"""The case study's budget (161 weeks, 10 channels): the default bounds keep Optimise
within reach of the data.

With bounds from 0 to twice each channel's largest week, the optimum of the expected
response put ``mdsp_inst`` at about 20 times its recent average spend, outside anything
the model saw, and promised about three times the current plan's response. With the
default bounds (0.5 to 1.5 times the recent average) no channel leaves the spend seen
and the gain is modest; the old bounds' optimum is flagged as an extrapolation.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.core.mmm.budget import budget_problem
from bayes_widgets.datasets import mmm_case_study

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def case_study() -> MMMModel:
    data = mmm_case_study(161)
    channels = [c for c in data.columns if c.startswith("mdsp_")]
    model = MMMModel(
        data,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=["me_ics_all", "me_gas_dpg"],
        lag_max=8,
        yearly_seasonality=2,
    )
    assert model.fit(draws=100, tune=150, chains=2, seed=1).status == "finished"
    return model


def test_optimise_stays_within_the_spend_seen(case_study):
    spend = case_study.data[case_study.channels]
    recent, largest = spend.iloc[-8:].mean().to_numpy(), spend.max().to_numpy()
    # the old default bounds: the optimum leaves the data far behind, and is flagged
    wide = budget_problem(
        case_study, horizon=8, bounds={c: (0.0, 2 * m) for c, m in zip(spend, largest)}
    )
    loose = wide.optimize("mean", seed=0)
    assert (loose.x_array / recent).max() > 5
    assert loose.value > 2 * wide.evaluate(wide.current).mean
    assert any(e.side == "above" for e in wide.extrapolations(loose.x_array))
    # the defaults: every channel within 0.5 to 1.5 times its recent spend, nothing flagged
    problem = budget_problem(case_study, horizon=8)
    best = problem.optimize("mean", seed=0)
    ratio = best.x_array / recent
    assert ratio.min() >= 0.5 - 1e-9 and ratio.max() <= 1.5 + 1e-9
    assert problem.extrapolations(best.x_array) == []
    current = problem.evaluate(problem.current).mean
    assert current < best.value < 1.5 * current
    # where a channel has room left, its marginal ROAS at the optimum is no better than
    # that of a channel the optimum cut back to its floor (else moving spend would pay)
    marginal = {c: m.mean() for c, m in problem.marginals(best.x_array).items()}
    inside = [c for c, r in zip(problem.names, ratio) if 0.5 + 1e-3 < r < 1.5 - 1e-3]
    floor = [c for c, r in zip(problem.names, ratio) if r <= 0.5 + 1e-3]
    if inside and floor:
        assert min(marginal[c] for c in inside) >= max(marginal[c] for c in floor) * (1 - 1e-2)
    assert np.isfinite(list(marginal.values())).all()

"""A use of the calibration machinery with its own fitter and metrics (extension.py).

The fitter draws the exact posterior of a conjugate Normal model (no sampler), so the
simulations take milliseconds; the model is written by hand with a deterministic that
the plan carries beside the ranked mean.
"""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import numpy as np
import pytest

from bayes_widgets.core.calibration import Calibration, CalibrationError, worker
from bayes_widgets.core.calibration.extension import (
    SimulationFit,
    SimulationFitter,
    with_fitter,
)
from bayes_widgets.core.calibration.session import run_id
from bayes_widgets.core.calibration.simulate import plan_pymc
from bayes_widgets.core.fleet import RunStore

N_OBS = 10
SETTINGS = {
    "backend": "exact",
    "method": "nuts",
    "draws": 100,
    "tune": 0,
    "chains": 2,
    "cores": 1,
    "thin": None,
    "seed": 3,
}


def model():
    import pymc as pm

    with pm.Model(coords={"obs": np.arange(N_OBS)}) as m:
        mu = pm.Normal("mu", mu=0.0, sigma=1.0)
        pm.Deterministic("shift", mu + 1.0)
        pm.Normal("y", mu=mu, sigma=1.0, observed=np.zeros(N_OBS), dims="obs")
    return m


class ExactFitter(SimulationFitter):
    """The conjugate posterior of ``mu`` given the simulated ``y``, drawn exactly; its own
    metrics are the posterior mean's error and the carried deterministic."""

    def fit(self, simulation, run_dir):
        y = np.asarray(simulation["data"]["y"], dtype=float)
        if simulation["index"] == self.spec["fails"]:
            raise ValueError("this simulation's data are refused")
        mean, sd = y.sum() / (y.size + 1), (1.0 / (y.size + 1)) ** 0.5
        rng = np.random.default_rng(simulation["seed"])
        s = self.settings
        draws = {"mu": rng.normal(mean, sd, size=(s["chains"], s["draws"]))}
        Path(run_dir, "fit.txt").write_text(f"{mean}\n")
        metrics = {
            "error": abs(mean - simulation["truth"]["mu"]),
            "shift": float(simulation["carried"]["shift"]),
        }
        return SimulationFit(draws, {"divergences": 0}, metrics=metrics)


def test_a_custom_fitter_runs_in_the_calibration_worker(tmp_path):
    simulations = 40
    plan = plan_pymc(model(), simulations, ["mu"], None, 5, {}, carry=["shift"])
    assert [c["shift"] for c in plan.carried] == pytest.approx(plan.truth[:, 0] + 1.0)
    plan = with_fitter(plan, ExactFitter, {"fails": 7})
    compiles = len(worker.COMPILES)
    seeds = np.arange(simulations) + 100
    with cf.ThreadPoolExecutor(1) as pool:
        cal = Calibration(plan, SETTINGS, str(tmp_path), pool, seeds).start().wait()
    assert cal.state == "done"
    assert len(worker.COMPILES) - compiles == 1  # the fitter is built once per worker
    table = cal.simulations()
    assert list(table["status"]).count("done") == simulations - 1
    assert table.loc[7, "status"] == "failed" and "refused" in table.loc[7, "error"]
    assert cal.ranks()["mu"].shape == (simulations - 1,)
    verdict = cal.verdicts()["mu"]
    assert verdict.passed and verdict.direction == "calibrated", verdict
    # the use's metrics at the top of the run's record, the calibration's beneath
    store = RunStore(str(tmp_path))
    record = store.summary(run_id(0))
    assert record is not None
    metrics = record["metrics"]
    assert metrics["shift"] == pytest.approx(plan.truth[0, 0] + 1.0)
    assert metrics["error"] >= 0 and metrics["calibration"]["ranks"] == [cal.ranks()["mu"][0]]
    assert (tmp_path / run_id(0) / "fit.txt").exists()
    # the same records read back as a finished calibration
    records = [store.summary(run_id(i)) for i in range(simulations)]
    again = Calibration.of_records(plan, SETTINGS, str(tmp_path), records)
    assert again.state == "done" and np.array_equal(again.ranks()["mu"], cal.ranks()["mu"])
    partial = Calibration.of_records(plan, SETTINGS, str(tmp_path), [*records[:-1], None])
    assert partial.state == "cancelled" and partial.ranks()["mu"].shape == (simulations - 2,)
    with pytest.raises(CalibrationError, match="records"):
        Calibration.of_records(plan, SETTINGS, str(tmp_path), records[:3])


def test_bad_extension_inputs_are_named():
    plan = plan_pymc(model(), 2, ["mu"], None, 0, {})
    with pytest.raises(CalibrationError, match="fitter"):
        with_fitter(plan, object, {})  # pyright: ignore[reportArgumentType]
    with pytest.raises(CalibrationError, match="seeds"):
        plan_pymc(model(), 2, ["mu"], None, 0, {}, seeds=[1])


def test_one_draw_per_seed_depends_on_its_seed_only():
    one = plan_pymc(model(), 3, ["mu"], None, 0, {}, seeds=[4, 5, 6])
    two = plan_pymc(model(), 2, ["mu"], None, 0, {}, seeds=[5, 6])
    assert np.allclose(one.truth[1:], two.truth)
    assert np.allclose(one.data[2]["y"], two.data[1]["y"])

"""calibrate(): known answers, resuming, NumPyro NUTS and SVI, bad inputs.

The simulations run in a one-thread executor, so a model compiled for one test is reused
by the next ones with the same settings (the fitter cache is per process).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from bayes_widgets.core.calibration import (
    CalibrationError,
    SimulationFinished,
    SimulationStarted,
    calibrate,
    worker,
)
from tests.core.calibration import calibration_models as models


@pytest.fixture
def executor():
    with cf.ThreadPoolExecutor(1) as pool:
        yield pool


def test_conjugate_normal_is_calibrated_and_compiled_once(executor, tmp_path):
    compiles = len(worker.COMPILES)
    cal = calibrate(
        models.conjugate_normal(),
        30,
        draws=100,
        tune=100,
        chains=2,
        seed=1,
        out=tmp_path / "sbc",
        executor=executor,
    )
    assert cal.done and cal.parameters == ["mu"]
    table = cal.simulations()
    assert list(table["status"]) == ["done"] * 30
    assert len(worker.COMPILES) - compiles <= 1  # compiled once for every simulation
    ranks = cal.ranks()["mu"]
    assert ranks.shape == (30,) and ranks.min() >= 0 and ranks.max() <= cal.max_rank
    verdict = cal.verdicts()["mu"]
    assert verdict.passed and verdict.direction == "calibrated", verdict
    tree = cal.result()
    assert tree["ranks"]["ranks"].shape == (30, 1)
    assert tree["truth"]["truth"].sizes == {"simulation": 30, "parameter": 1}
    assert set(tree["diagnostics"].data_vars) >= {"status", "rhat_max", "ess_bulk_min"}
    detail = cal.diagnostics(0)
    assert detail["parameters"][0]["name"] == "mu" and detail["status"] == "done"


def test_halved_likelihood_scale_is_under_dispersed(executor):
    # The fit believes the noise is half what it is: its posterior for mu is about half as
    # wide as the true spread of mu given the data, so the true values land in the tails:
    # ranks pile up at both ends, the posterior is too narrow (under-dispersed).
    cal = calibrate(
        models.numpyro_halved_scale,
        30,
        draws=100,
        tune=100,
        chains=2,
        seed=2,
        executor=executor,
    )
    assert cal.done and cal.parameters == ["mu"]
    verdict = cal.verdicts()["mu"]
    assert not verdict.passed
    assert verdict.direction == "under-dispersed", verdict
    ends = np.mean((cal.ranks()["mu"] < 10) | (cal.ranks()["mu"] > cal.max_rank - 10))
    assert ends > 0.5


def test_a_stopped_calibration_resumes_without_redoing_finished_simulations(executor, tmp_path):
    out = tmp_path / "sbc"
    model = models.conjugate_normal()
    settings = {"backend": "pymc", "draws": 60, "tune": 60, "chains": 1, "seed": 3, "out": out}
    finished: list[int] = []
    enough = threading.Event()

    def stop_after_four(event):
        if isinstance(event, SimulationFinished):
            finished.append(event.index)
            if len(finished) >= 4:
                enough.set()

    first = calibrate(model, 12, executor=executor, wait=False, **settings)
    first.subscribe(stop_after_four)
    assert enough.wait(300)
    first.cancel()
    first.wait()
    assert first.state == "cancelled"
    assert "running" not in set(first.simulations()["status"])  # none left in flight
    done_before = [i for i, s in enumerate(first.simulations()["status"]) if s == "done"]
    assert 4 <= len(done_before) < 12
    recorded = {
        i: json.loads(Path(out, f"sim-{i:05d}", "summary.json").read_text()) for i in done_before
    }

    started: list[int] = []
    resumed: list[int] = []
    second = calibrate(model, 12, executor=executor, wait=False, **settings)

    def count(event):
        if isinstance(event, SimulationStarted):
            started.append(event.index)

    second.subscribe(count)
    second.wait()
    assert second.done
    resumed = [i for i in range(12) if i in done_before]
    assert sorted(set(started)) == [i for i in range(12) if i not in done_before]
    for i in resumed:  # the finished simulations were not executed again
        again = json.loads(Path(out, f"sim-{i:05d}", "summary.json").read_text())
        assert again["started"] == recorded[i]["started"]
    assert list(second.simulations()["status"]) == ["done"] * 12
    with pytest.raises(CalibrationError, match="^out: "):
        calibrate(model, 12, executor=executor, **{**settings, "seed": 4})


def test_svi_with_vsbc(executor):
    cal = calibrate(
        models.numpyro_known_scale,
        30,
        method="svi",
        draws=200,
        tune=1000,
        seed=5,
        executor=executor,
    )
    assert cal.done and cal.parameters == ["mu"]
    vsbc = cal.vsbc()["mu"]
    assert 0 <= vsbc.statistic <= 1 and 0 <= vsbc.p_value <= 1
    assert vsbc.passed and vsbc.direction == "calibrated", vsbc
    assert cal.result()["vsbc"]["p"].shape == (30, 1)
    assert cal.diagnostics(0)["loss"] is not None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"simulations": 0}, "simulations"),
        ({"backend": "stan"}, "backend"),
        ({"backend": "numpyro"}, "backend"),
        ({"params": ["nope"]}, "params"),
        ({"observed": ["mu"]}, "observed"),
        ({"thin": 0}, "thin"),
        ({"thin": 1000}, "thin"),
        ({"draws": -1}, "draws"),
        ({"method": "vi"}, "method"),
        ({"method": "svi"}, "method"),
        ({"guide": object()}, "guide"),
        ({"seed": -1}, "seed"),
        ({"wait": "yes"}, "wait"),
        ({"executor": 3}, "executor"),
        ({"n": 5}, "n"),
    ],
)
def test_bad_inputs_name_their_field(kwargs, field):
    kwargs = {"simulations": 2, **kwargs}
    with pytest.raises(CalibrationError) as info:
        calibrate(models.conjugate_normal(), **kwargs)
    assert info.value.field == field


def test_bad_inputs_of_numpyro_models_name_their_field():
    with pytest.raises(CalibrationError) as info:
        calibrate(models.numpyro_normal, 2, params=["y"])
    assert info.value.field == "params"
    with pytest.raises(CalibrationError) as info:
        calibrate(models.numpyro_normal, 2, observed=["mu"])
    assert info.value.field == "observed"
    with pytest.raises(CalibrationError) as info:
        calibrate(42, 2)
    assert info.value.field == "model"


def test_pause_keeps_what_is_done_and_resume_finishes(executor, tmp_path):
    settings = {"backend": "pymc", "draws": 60, "tune": 60, "chains": 1, "seed": 6}
    cal = calibrate(
        models.conjugate_normal(), 8, executor=executor, wait=False, out=tmp_path, **settings
    )
    first = threading.Event()
    cal.subscribe(lambda e: first.set() if isinstance(e, SimulationFinished) else None)
    assert first.wait(300)
    cal.pause()
    cal.wait()
    assert cal.state == "paused" and not cal.done
    kept = cal.ranks()["mu"].size
    assert 1 <= kept < 8
    cal.resume()
    cal.wait()
    assert cal.done and cal.ranks()["mu"].size == 8
    assert (cal.simulations()["status"] == "done").all()

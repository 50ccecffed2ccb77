"""CalibrationBoard, Python side: a real calibration of a small model followed live, its
final state in traits, a simulation's diagnostics, Cancel keeping what is done, bad input."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from bayes_widgets.core.calibration import calibrate
from bayes_widgets.core.calibration.verdicts import DIRECTIONS
from bayes_widgets.widgets.calibration_board import CalibrationBoard, notable_rows
from tests.polling import wait_for


def regression_model():
    """A small regression written as the PyMC docs teach: data container, named dims."""
    x = np.linspace(-1, 1, 12)
    with pm.Model(coords={"obs": range(12)}) as model:
        xd = pm.Data("x", x, dims="obs")
        alpha = pm.Normal("alpha", 0, 1)
        beta = pm.Normal("beta", 0, 1)
        pm.Normal("y", alpha + beta * xd, 1.0, observed=np.zeros(12), dims="obs")
    return model


FAST = {"backend": "pymc", "draws": 60, "tune": 60, "chains": 1, "thin": 1}


@pytest.fixture(scope="module")
def finished_board(tmp_path_factory):
    """A board that started its own calibration; the ranks' counts it showed on the way."""
    board = CalibrationBoard(
        regression_model(),
        simulations=6,
        out=str(tmp_path_factory.mktemp("cal")),
        executor=ThreadPoolExecutor(1),
        **FAST,
    )
    seen: list[int] = []
    board.observe(lambda change: seen.append(change["new"].get("alpha", {}).get("n", 0)), "curves")
    board.wait(240)
    assert wait_for(lambda: board.status == "done", timeout=10)
    return board, seen


def test_board_fills_in_as_simulations_finish(finished_board):
    board, seen = finished_board
    assert board.error == ""
    assert board.parameters == ["alpha", "beta"] and board.method == "nuts"
    # the histograms were shown before the calibration ended, not only at the end
    assert any(0 < n < 6 for n in seen), seen
    assert seen == sorted(seen)


def test_final_state_lands_in_traits(finished_board):
    board, _ = finished_board
    p = board.progress
    assert (p["total"], p["done"], p["failed"], p["running"]) == (6, 6, 0, 0)
    assert p["sims_per_min"] > 0 and p["eta_s"] == 0
    assert board.max_rank == 60 and board.bins == 4
    for name in ("alpha", "beta"):
        curve = board.curves[name]
        assert curve["n"] == 6 and sum(curve["hist"]["count"]) == 6
        assert len(curve["ecdf"]["x"]) == 7  # 0, 1/6, ..., 1
        assert board.verdicts[name]["direction"] in DIRECTIONS
    cal = board.calibration
    assert cal is not None
    ranks = cal.ranks()["alpha"]
    counts = np.histogram(ranks, bins=[0, 15, 30, 46, 61])[0]
    assert board.curves["alpha"]["hist"]["count"] == counts.tolist()
    # what a saved notebook keeps is plain JSON
    for trait in ("curves", "verdicts", "progress", "notable"):
        json.dumps(getattr(board, trait), allow_nan=False)
    assert '"name": "hist"' in board.parameter_figure
    assert {r["index"] for r in board.notable} <= set(range(6))
    assert all("slow" in r["reasons"] for r in board.notable)


def test_a_click_on_a_simulation_shows_its_diagnostics(finished_board):
    board, _ = finished_board
    index = board.notable[0]["index"]
    board.handle_message({"type": "select", "index": index, "cmd_id": "sel-1"})
    assert board.error == "" and board.selected == index
    diag = board.selected_diagnostics
    assert diag["index"] == index and diag["status"] == "done"
    assert [p["name"] for p in diag["parameters"]] == ["alpha", "beta"]
    json.dumps(diag, allow_nan=False)
    board.handle_message({"type": "select", "index": 99, "cmd_id": "sel-2"})
    assert board.error.startswith("index:")
    assert board.selected == index  # the shown diagnostics stay


def test_pause_resume_and_cancel_keep_the_finished_simulations(tmp_path):
    cal = calibrate(
        regression_model(),
        40,
        out=str(tmp_path),
        executor=ThreadPoolExecutor(1),
        wait=False,
        **FAST,
    )
    board = CalibrationBoard(cal, prob=0.9, bins=5)
    assert wait_for(lambda: board.progress.get("done", 0) >= 1, timeout=240)
    board.handle_message({"type": "pause", "cmd_id": "p-1"})
    cal.wait(60)
    assert wait_for(lambda: board.status == "paused", timeout=10)
    paused = board.progress["done"]
    assert board.message.startswith(f"paused: {paused} finished simulation")
    board.handle_message({"type": "resume", "cmd_id": "r-1"})
    assert wait_for(lambda: board.progress.get("done", 0) >= paused + 1, timeout=240)
    board.handle_message({"type": "cancel", "cmd_id": "c-1"})
    cal.wait(60)
    assert wait_for(lambda: board.status == "cancelled", timeout=10)
    done = board.progress["done"]
    assert paused + 1 <= done < 40
    assert board.curves["alpha"]["n"] == done == len(cal.ranks()["alpha"])
    assert board.message.startswith(f"cancelled: {done} finished simulation")
    assert board.prob == 0.9 and len(board.curves["beta"]["hist"]["count"]) == 5


def test_bad_input_is_shown_inline(tmp_path):
    board = CalibrationBoard()
    assert board.status == "error" and board.error.startswith("calibration:")
    board = CalibrationBoard(regression_model(), simulations=0)
    assert board.status == "error" and board.error.startswith("simulations:")
    board = CalibrationBoard(regression_model(), prob=1.5)
    assert board.error.startswith("prob:")


def test_notable_rows_pick_failed_diverged_and_slowest():
    table = pd.DataFrame(
        {
            "index": range(6),
            "status": ["done", "failed", "done", "done", "running", "done"],
            "wall_s": [1.0, 0.5, 9.0, 2.0, None, 3.0],
            "divergences": [0, None, 0, 4, None, 1],
            "rhat_max": [1.0, None, 1.01, 1.2, None, 1.0],
            "ess_bulk_min": [300.0, None, 250.0, 20.0, None, 200.0],
            "error": [None, "ValueError: boom", None, None, None, None],
        }
    ).set_index("index", drop=False)
    rows = notable_rows(table, slowest=2)
    assert [(r["index"], r["reasons"]) for r in rows] == [
        (1, ["failed"]),
        (3, ["diverged"]),
        (5, ["diverged", "slow"]),
        (2, ["slow"]),
    ]
    assert rows[0]["error"] == "ValueError: boom" and rows[0]["wall_s"] == 0.5
    assert notable_rows(table, slowest=0)[-1]["index"] == 5


def test_svi_calibration_shows_vsbc(tmp_path):
    from tests.core.calibration.calibration_models import numpyro_known_scale

    board = CalibrationBoard(
        numpyro_known_scale,
        simulations=5,
        method="svi",
        draws=100,
        tune=300,
        out=str(tmp_path),
        executor=ThreadPoolExecutor(1),
    )
    board.wait(240)
    assert wait_for(lambda: board.status == "done", timeout=10)
    assert board.method == "svi" and board.parameters == ["mu"]
    (row,) = board.vsbc
    assert row["parameter"] == "mu" and 0 <= row["p_value"] <= 1
    assert row["verdict"] in DIRECTIONS
    assert board.curves["mu"]["n"] == 5

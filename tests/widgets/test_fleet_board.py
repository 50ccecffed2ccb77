"""FleetBoard, Python side: following a fleet directory, thresholds, a run's plots."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fleet import RunSpec, run_fleet
from tests.core.fleet.fleet_tasks import slow, square
from tests.polling import wait_for


def test_board_follows_a_running_fleet(tmp_path):
    board = bw.FleetBoard(thresholds={"x": ("<=", 2)})
    specs = [RunSpec(f"r{i}", {"x": i, "seconds": 0.6}) for i in range(4)]
    thread = board.run(run_fleet, specs, slow, out=str(tmp_path), executor=ThreadPoolExecutor(2))
    assert wait_for(lambda: any(r["status"] == "running" for r in board.runs))
    assert wait_for(
        lambda: (
            any(r["status"] == "queued" for r in board.runs)
            or sum(r["status"] == "done" for r in board.runs) > 0
        )
    )
    thread.join(30)
    assert wait_for(lambda: [r["status"] for r in board.runs] == ["done"] * 4)
    assert board.columns == ["x"] and not board.running
    assert board.result is not None and sorted(board.result.done) == ["r0", "r1", "r2", "r3"]


def test_failures_and_errors_show(tmp_path):
    run_fleet(
        [RunSpec("ok", {"x": 1}), RunSpec("bad", {"x": 2, "fail": True})],
        square,
        out=tmp_path,
        executor=ThreadPoolExecutor(1),
    )
    board = bw.FleetBoard(tmp_path)
    rows = {r["run_id"]: r for r in board.runs}
    assert rows["bad"]["status"] == "failed" and "made to fail" in rows["bad"]["error"]
    assert rows["ok"]["metrics"] == {"x": 1, "square": 1}
    board._dispatch(
        board, {"type": "thresholds", "thresholds": {"square": {"op": "=<", "value": 1}}}, []
    )
    assert board.error.startswith("thresholds:")
    board._dispatch(board, {"type": "select", "run_id": "nope"}, [])
    assert board.error.startswith("run:")


def test_selecting_a_run_shows_its_plots(tmp_path):
    run_fleet([RunSpec("h4", {"x": 1})], square, out=tmp_path, executor=ThreadPoolExecutor(1))
    dates = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    pd.DataFrame(
        {
            "date": dates,
            "actual": range(10),
            "q05": 0,
            "q25": 1,
            "median": 2,
            "q75": 3,
            "q95": 4,
            "split": ["train"] * 8 + ["test"] * 2,
        }
    ).to_csv(tmp_path / "h4" / "predictions.csv", index=False)
    board = bw.FleetBoard(tmp_path)
    board._dispatch(board, {"type": "select", "run_id": "h4"}, [])
    assert board.selected == "h4" and not board.error
    assert "predicted vs actual" in json.dumps(json.loads(board.detail_figure))


def test_bad_thresholds_are_reported():
    board = bw.FleetBoard(thresholds={"mape": ("~", 1)})
    assert board.error.startswith("thresholds:")
    with pytest.raises(ValueError, match="out"):
        board.run(run_fleet, [], square)

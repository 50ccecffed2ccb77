"""A calibration whose process is killed mid-way (SIGKILL: no chance to clean up) resumes
on the same ``out`` without redoing the simulations it had finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bayes_widgets.core.calibration import SimulationStarted, calibrate
from tests.core.calibration import calibration_models as models

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = {"backend": "pymc", "draws": 60, "tune": 60, "chains": 1, "seed": 5}
SIMULATIONS = 10


def finished(out: Path) -> list[int]:
    return sorted(
        int(p.parent.name.split("-")[1])
        for p in out.glob("sim-*/summary.json")
        if json.loads(p.read_text()).get("status") == "done"
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_killed_calibration_resumes_without_redoing_finished_simulations(tmp_path):
    out = tmp_path / "sbc"
    script = textwrap.dedent(
        f"""
        from bayes_widgets.core.calibration import calibrate
        from tests.core.calibration import calibration_models as models
        calibrate(models.conjugate_normal(), {SIMULATIONS}, out={str(out)!r}, **{SETTINGS!r})
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 400
        while len(finished(out)) < 3:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "no three simulations finished in time"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # the submitter and its pool, mid-way
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    done_before = finished(out)
    assert 3 <= len(done_before) < SIMULATIONS
    recorded = {
        i: json.loads((out / f"sim-{i:05d}" / "summary.json").read_text()) for i in done_before
    }

    started: list[int] = []
    again = calibrate(models.conjugate_normal(), SIMULATIONS, out=out, wait=False, **SETTINGS)
    again.subscribe(lambda e: started.append(e.index) if isinstance(e, SimulationStarted) else None)
    again.wait()
    assert list(again.simulations()["status"]) == ["done"] * SIMULATIONS
    assert not set(started) & set(done_before), "a finished simulation ran again"
    for i in done_before:
        kept = json.loads((out / f"sim-{i:05d}" / "summary.json").read_text())
        assert kept["started"] == recorded[i]["started"]
    assert sorted(again.ranks()["mu"].shape) == [SIMULATIONS]

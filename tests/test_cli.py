"""``bayes-widgets fleet CONFIG.toml --out DIR`` without Jupyter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bayes_widgets.cli import main
from bayes_widgets.datasets import mmm_example


def write_config(tmp_path, fleets: str) -> object:
    mmm_example().iloc[:70].to_csv(tmp_path / "data.csv", index=False)
    config = tmp_path / "fleet.toml"
    config.write_text(
        textwrap.dedent("""
        data = "data.csv"
        [model]
        target = "y"
        date_column = "date_week"
        channels = ["x1", "x2"]
        controls = ["event_1", "event_2"]
        lag_max = 4
        [fit]
        draws = 60
        tune = 60
        chains = 2
    """)
        + fleets
    )
    return config


def test_bad_configs_exit_2_with_a_message(tmp_path, capsys):
    assert main(["fleet", str(tmp_path / "nope.toml"), "--out", str(tmp_path)]) == 2
    assert "config: no such file" in capsys.readouterr().err
    config = write_config(tmp_path, "[fleets.sideways]\n")
    assert main(["fleet", str(config), "--out", str(tmp_path / "o")]) == 2
    assert "fleets: unknown fleet" in capsys.readouterr().err
    config = write_config(tmp_path, "")
    assert main(["fleet", str(config), "--out", str(tmp_path / "o")]) == 2
    assert "no fleet to run" in capsys.readouterr().err


@pytest.mark.slow
def test_production_fleet_from_the_command_line(tmp_path):
    config = write_config(tmp_path, "[fleets.production]\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "bayes_widgets.cli", "fleet", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "production-h4: done" in proc.stdout
    assert (out / "production" / "production-h4" / "summary.json").exists()
    report = (out / "report.html").read_text()
    assert "production fleet" in report and "test_mape" in report


def test_help_shows_the_configuration_format(capsys):
    from bayes_widgets.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["fleet", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "[fleets.holdout]" in out and "horizons = [4, 8, 12]" in out

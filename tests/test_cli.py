"""``bayes-widgets fleet CONFIG.toml --out DIR`` without Jupyter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
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
    assert 'dims = ["geo"]' in out and "[lift_tests]" in out and 'path = "lift.csv"' in out


def fleet_error(tmp_path, capsys, config) -> str:
    assert main(["fleet", str(config), "--out", str(tmp_path / "o")]) == 2
    return capsys.readouterr().err


def test_lift_tests_in_the_configuration(tmp_path, capsys):
    from bayes_widgets.cli import load_config

    lift = "channel,x,delta_x,delta_y,sigma\nx1,0.3,0.15,540,54\n"
    (tmp_path / "lift.csv").write_text(lift)
    config = write_config(tmp_path, '[lift_tests]\npath = "lift.csv"\n[fleets.production]\n')
    _, model, _, _ = load_config(config)
    assert list(model.lift_tests["delta_y"]) == [540.0]
    inline = (
        "[lift_tests]\n"
        'rows = [{channel = "x1", x = 0.3, delta_x = 0.15, delta_y = 540, sigma = 54},\n'
        '        {channel = "x2", x = 0.2, delta_x = 0.1, delta_y = 90, sigma = 30}]\n'
        "[fleets.recovery]\nruns = 1\nlift_tests = true\n"
    )
    _, model, _, fleets = load_config(write_config(tmp_path, inline))
    assert list(model.lift_tests["channel"]) == ["x1", "x2"]
    assert list(fleets["recovery"]["lift_tests"]["channel"]) == ["x1", "x2"]
    bad = {
        '[lift_tests]\npath = "nope.csv"\n': "lift_tests.path: no such file",
        '[lift_tests]\npath = "lift.csv"\nrows = []\n': "lift_tests: give either path",
        "[lift_tests]\nwhere = 1\n": "lift_tests.where: unknown option",
        "[lift_tests]\nrows = 3\n": "lift_tests.rows: expected a list of tables",
        '[lift_tests]\nrows = [{channel = "x1", x = 0.3, delta_x = 0.15, delta_y = 540, '
        "sigma = -5}]\n": "lift_tests.sigma: row 0:",
        '[lift_tests]\nrows = [{channel = "tv", x = 0.3, delta_x = 0.15, delta_y = 540, '
        "sigma = 5}]\n": "lift_tests.channel: row 0: unknown channel 'tv'",
        "[fleets.recovery]\nlift_tests = true\n": "fleets.recovery.lift_tests: true needs",
        '[fleets.recovery]\nlift_tests = "nope.csv"\n': "fleets.recovery.lift_tests: no such",
        "[fleets.recovery]\nlift_tests = 3\n": "fleets.recovery.lift_tests: expected true",
    }
    for text, message in bad.items():
        fleets = "" if "[fleets" in text else "[fleets.production]\n"
        assert message in fleet_error(tmp_path, capsys, write_config(tmp_path, text + fleets))
    (tmp_path / "bad_lift.csv").write_text(lift.replace(",54\n", ",nan\n"))
    text = '[fleets.recovery]\nlift_tests = "bad_lift.csv"\n'
    err = fleet_error(tmp_path, capsys, write_config(tmp_path, text))
    assert "fleets.recovery.lift_tests.sigma: row 0: expected a finite number" in err


def test_a_geo_model_from_the_configuration(tmp_path, capsys):
    from bayes_widgets.cli import load_config
    from bayes_widgets.datasets import mmm_multidimensional

    df = mmm_multidimensional()
    df.loc[df["date"] < df["date"].iloc[0] + pd.Timedelta(weeks=60)].to_csv(
        tmp_path / "geo.csv", index=False
    )
    body = """
        data = "geo.csv"
        [model]
        target = "y"
        date_column = "date"
        channels = ["x1", "x2"]
        dims = DIMS
        [lift_tests]
        rows = [{channel = "x1", geo = "GEO", x = 2000, delta_x = 500, delta_y = 90, sigma = 20}]
        [fleets.production]
    """
    config = tmp_path / "geo.toml"

    def write(dims, geo="geo_a"):
        config.write_text(textwrap.dedent(body.replace("DIMS", dims).replace("GEO", geo)))
        return config

    _, model, _, _ = load_config(write('["geo"]'))
    assert model.dims == ("geo",) and sorted(model.geos) == ["geo_a", "geo_b"]
    assert list(model.lift_tests["geo"]) == ["geo_a"]
    assert "model.dims:" in fleet_error(tmp_path, capsys, write('"geo"'))
    err = fleet_error(tmp_path, capsys, write('["geo"]', geo="geo_z"))
    assert "lift_tests.geo: row 0: unknown geo 'geo_z'" in err
    geo_fleet = body.replace("[fleets.production]", "[fleets.geo]\nholdout = 4\ngeos = <geos>")

    def write_geo_fleet(geos: str):
        text = geo_fleet.replace("DIMS", '["geo"]').replace("GEO", "geo_a")
        config.write_text(textwrap.dedent(text.replace("<geos>", geos)))
        return config

    _, _, _, fleets = load_config(write_geo_fleet('["geo_b"]'))
    assert fleets["geo"] == {"holdout": 4, "geos": ["geo_b"]}
    err = fleet_error(tmp_path, capsys, write_geo_fleet('["geo_q"]'))
    assert "fleets.geo.geos: unknown geo 'geo_q'" in err
    national = write_config(tmp_path, "[fleets.geo]\n")
    assert "a geo fleet needs a geo model" in fleet_error(tmp_path, capsys, national)

"""One version everywhere: Python package, package.json, built front end, BokehJS."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import requires, version
from pathlib import Path

import pytest

import bayes_widgets

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "bayes_widgets" / "static"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def package_json() -> dict:
    return _json(ROOT / "package.json")


def _bokeh_pin(requirements) -> str:
    pins = [m[1] for r in requirements if (m := re.fullmatch(r"bokeh\s*==\s*([\w.]+)", r.strip()))]
    assert len(pins) == 1, f"expected exactly one 'bokeh==X' pin in {requirements}"
    return pins[0]


def test_python_version_is_package_json_version(package_json):
    assert version("bayes_widgets") == package_json["version"]
    assert bayes_widgets.__version__ == package_json["version"]


def test_built_front_end_embeds_the_version(package_json):
    js = (STATIC / "fit_monitor.js").read_text(encoding="utf-8")
    assert f'"{package_json["version"]}"' in js


def test_bokeh_python_matches_bokehjs(package_json):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = _bokeh_pin(pyproject["project"]["dependencies"])
    # the installed package carries the same pin, and the pinned bokeh is what is installed
    assert _bokeh_pin(r for r in requires("bayes_widgets") if "extra ==" not in r) == pinned
    assert version("bokeh") == pinned
    assert package_json["dependencies"]["@bokeh/bokehjs"] == pinned
    installed_js = _json(ROOT / "node_modules" / "@bokeh" / "bokehjs" / "package.json")
    assert installed_js["version"] == pinned
    # the bundle was built against that BokehJS
    assert pinned in (STATIC / "bokeh_lib.js").read_text(encoding="utf-8")
    fit_monitor_js = (STATIC / "fit_monitor.js").read_text(encoding="utf-8")
    assert f"__bayes_widgets_bokeh_{pinned}__" in fit_monitor_js


def _modules_after(statement: str) -> set[str]:
    code = (
        f"import sys, json\n{statement}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


HEAVY = {
    "pymc",
    "pytensor",
    "nutpie",
    "bokeh",
    "anywidget",
    "ipywidgets",
    "IPython",
    "arviz",
    "arviz_stats",
}


def test_import_is_light():
    loaded = _modules_after("import bayes_widgets")
    assert "bayes_widgets" in loaded
    assert not loaded & HEAVY, f"importing bayes_widgets loaded {sorted(loaded & HEAVY)}"


def test_core_does_not_import_widgets():
    loaded = _modules_after("import bayes_widgets.core")
    assert not loaded & {"anywidget", "ipywidgets", "IPython", "bokeh", "traitlets"}

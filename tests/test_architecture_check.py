"""The package-shape check (scripts/check_architecture.py) finds what it is meant to find,
and the package as it is passes it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_checker():
    spec = importlib.util.spec_from_file_location(
        "check_architecture", ROOT / "scripts" / "check_architecture.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def write(tmp_path: Path, checker, rel: str, text: str) -> Path:
    checker.ROOT = tmp_path
    checker.PACKAGE = tmp_path / "src" / "bayes_widgets"
    checker.FIGURES = checker.PACKAGE / "core" / "figures"
    path = checker.PACKAGE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_each_rule_is_caught(tmp_path):
    checker = load_checker()
    long_body = "\n".join(f"    x{i} = {i}" for i in range(81))
    text = (
        "from bokeh.plotting import figure\n"
        "from bayes_widgets.core.regression import _numeric_column\n"
        "from . import _helper\n\n"
        f"def long_one():\n{long_body}\n\n"
        "def reach(problem, self_like):\n"
        "    problem._outcomes(1)\n"
        "    comm._reply_subshell_for = 1  # private of ipykernel: the early route\n"
        "    return super()._x\n"
    )
    path = write(tmp_path, checker, "core/decision/solvers.py", text)
    found = "\n".join(checker.check_file(path))
    assert "imports bokeh outside core/figures/" in found
    assert "imports the private name _numeric_column" in found
    assert "imports the private name _helper" in found
    assert "function long_one has 82 lines" in found
    assert "reaches the private name _outcomes of problem" in found
    assert "_reply_subshell_for" not in found  # marked as another library's private name
    assert "_x" not in found.replace("x0", "")  # super() is the class's own


def test_bokeh_is_allowed_in_figures_and_own_names_are_allowed(tmp_path):
    checker = load_checker()
    text = (
        "from bokeh.plotting import figure\n\n"
        "class Plot:\n"
        "    def a(self):\n"
        "        return self._b() + Plot._c() + type(self).__name__.__len__()\n"
    )
    path = write(tmp_path, checker, "core/figures/thing.py", text)
    assert checker.check_file(path) == []


def test_a_module_over_the_limit_is_named(tmp_path):
    checker = load_checker()
    path = write(tmp_path, checker, "core/big.py", "x = 1\n" * 501)
    assert checker.check_file(path) == [f"{path.relative_to(tmp_path)}: 501 lines (at most 500)"]


def test_the_package_passes():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_architecture.py")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:]

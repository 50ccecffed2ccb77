"""The shared foundations: the one error base, the checks, JSON cleaning, deprecated
aliases and the live views core opens by name."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

from bayes_widgets.core import views
from bayes_widgets.core.checks import (
    check_int,
    check_number,
    check_positive_int,
    check_probability,
    check_seed,
    finite_or_none,
    is_number,
)
from bayes_widgets.core.deprecation import deprecated_alias, renamed_kwargs
from bayes_widgets.core.errors import InputError
from bayes_widgets.core.jsonable import jsonable


class OwnError(InputError):
    pass


def test_input_error_names_the_field_and_survives_pickling():
    e = OwnError("draws", "must be > 0, got -5")
    assert str(e) == "draws: must be > 0, got -5" and e.field == "draws"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is OwnError and str(back) == str(e) and back.message == e.message
    assert isinstance(e, ValueError)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: check_int("n", 2.5), "n: must be an integer, got 2.5"),
        (lambda: check_int("n", True), "n: must be an integer, got True"),
        (lambda: check_int("n", 1, low=2), "n: must be ≥ 2, got 1"),
        (lambda: check_positive_int("draws", 0), "draws: must be > 0, got 0"),
        (lambda: check_number("sd", float("nan")), "sd: must be a finite number, got nan"),
        (lambda: check_number("sd", "1"), "sd: must be a number, got '1'"),
        (lambda: check_number("sd", 0.0, low=0.0), "sd: must be > 0, got 0"),
        (lambda: check_number("p", 2.0, high=1.0), "p: must be ≤ 1, got 2"),
        (lambda: check_probability("p", 1.0), "p: must be in (0, 1), got 1.0"),
        (lambda: check_seed("seed", 2**32), "seed: must be < 2**32, got 4294967296"),
        (lambda: check_seed("seed", None, allow_none=False), "seed: must be an integer, got None"),
    ],
)
def test_checks_name_the_field(call, text):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == text


def test_checks_raise_the_callers_error_class_and_return_plain_values():
    with pytest.raises(OwnError, match="^k: "):
        check_positive_int("k", -1, error=OwnError)
    assert type(check_int("n", np.int64(3))) is int
    assert type(check_number("x", np.float32(0.5))) is float
    assert check_seed("seed", None) is None and check_seed("seed", np.uint32(7)) == 7
    assert is_number(np.array(2.0)) and not is_number(np.array([2.0])) and not is_number(True)
    assert finite_or_none(np.inf) is None and finite_or_none("x") is None
    assert finite_or_none(np.float64(2.5)) == 2.5


def test_jsonable_gives_strict_json():
    value = {1: np.float32("nan"), "a": (np.int64(3), np.array([1.0, np.inf])), "b": [None, "t"]}
    out = jsonable(value)
    assert out == {"1": None, "a": [3, [1.0, None]], "b": [None, "t"]}
    json.dumps(out, allow_nan=False)


def test_deprecated_alias_warns_and_works():
    def summarize(x, *, scale=1):
        return x * scale

    summarise = deprecated_alias(summarize, "summarise")
    with pytest.warns(DeprecationWarning, match="summarise is deprecated; use summarize"):
        assert summarise(2, scale=3) == 6
    assert summarise.__name__ == "summarise"


def test_renamed_kwargs_moves_old_names_and_refuses_both():
    kwargs = {"optimise_options": {"a": 1}}
    with pytest.warns(DeprecationWarning, match="optimise_options is deprecated; use optimize"):
        renamed_kwargs(kwargs, {"optimise_options": "optimize_options"}, where="Explorer")
    assert kwargs == {"optimize_options": {"a": 1}}
    both = {"optimise_options": {}, "optimize_options": {}}
    with pytest.raises(TypeError, match="pass only optimize_options"):
        renamed_kwargs(both, {"optimise_options": "optimize_options"}, where="Explorer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        renamed_kwargs({"other": 1}, {"optimise_options": "optimize_options"}, where="Explorer")


def test_views_are_opened_by_name_through_their_provider(monkeypatch):
    monkeypatch.setattr(views, "_factories", {})
    with pytest.raises(RuntimeError, match="no provider for the live view 'fit_monitor'"):
        views.open_view("fit_monitor", session=None)
    views.register_view("fit_monitor", lambda *a, **k: ("monitor", a, k))
    assert views.open_view("fit_monitor", 1, session=2) == ("monitor", (1,), {"session": 2})
    with pytest.raises(ValueError, match="unknown view 'graph'"):
        views.register_view("graph", print)


def test_importing_the_package_registers_the_widgets_without_loading_them():
    code = (
        "import sys, bayes_widgets\n"
        "from bayes_widgets.core import views\n"
        "print(sorted(views._factories), 'bayes_widgets.widgets.fit_monitor' in sys.modules,"
        " 'anywidget' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['budget_explorer',", "'fit_monitor']", "False", "False"]


def test_the_registered_fit_monitor_view_is_the_widget_on_the_session():
    import pymc as pm

    import bayes_widgets as bw  # registers the views
    from bayes_widgets.widgets.fit_monitor import FitMonitor

    with pm.Model() as model:
        pm.Normal("mu", 0, 1)
    session = bw.FitSession(model, draws=20, tune=20, chains=1, seed=1)
    monitor = views.open_view("fit_monitor", session=session)
    try:
        assert isinstance(monitor, FitMonitor) and monitor.session is session
    finally:
        monitor.wait(timeout=60)

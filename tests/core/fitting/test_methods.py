"""What differs between MCMC and SVI is carried by method objects and option groups:
the session asks its method, options fold keywords into groups, run_svi's keywords and
its option objects are the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pymc as pm
import pytest

from bayes_widgets.core.fitting import methods
from bayes_widgets.core.fitting.backends import get_backend
from bayes_widgets.core.fitting.methods import McmcMethod, SviMethod, fit_method
from bayes_widgets.core.fitting.options import FitOptions, McmcOptions
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.svi_options import (
    SviHooks,
    SviOptions,
    default_optimizer,
    split_run_kwargs,
)
from bayes_widgets.core.fitting.validation import FitInputError

ROOT = Path(__file__).resolve().parents[3]
ASKED = [
    *sorted((ROOT / "src/bayes_widgets/core/fitting").rglob("*.py")),
    ROOT / "src/bayes_widgets/widgets/fit_monitor.py",
    ROOT / "src/bayes_widgets/widgets/fit_views.py",
    ROOT / "js/fit_monitor.js",
]
BRANCH = re.compile(r"""method["']?\)?\s*[!=]==?\s*["'](svi|mcmc)["']""")


def test_no_code_tests_the_method_by_name():
    """The engine, the monitor and its page ask the method object (or a renderer table)."""
    found = [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for path in ASKED
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if BRANCH.search(line)
    ]
    assert not found, found


def test_each_backend_names_its_method():
    assert isinstance(fit_method(get_backend("nutpie").method), McmcMethod)
    assert isinstance(fit_method(get_backend("numpyro-svi").method), SviMethod)
    with pytest.raises(FitInputError, match="method"):
        fit_method("laplace")


def test_options_fold_keywords_into_their_groups():
    options = FitOptions.from_kwargs({"draws": 50, "chains": 3, "guide": "AutoDelta"})
    assert options.draws == 50 and options.mcmc.chains == 3 and options.svi.guide == "AutoDelta"
    again = FitOptions.from_kwargs({"tune": 10}, options)
    assert again.mcmc == McmcOptions(tune=10, chains=3) and again.draws == 50
    with pytest.raises(TypeError, match="colour"):
        FitOptions.from_kwargs({"colour": "red"})


def test_each_method_refuses_the_other_method_s_options():
    with pytest.raises(FitInputError) as info:
        McmcMethod().config(FitOptions.from_kwargs({"steps": 10}), "pymc")
    assert info.value.field == "steps"
    with pytest.raises(FitInputError) as info:
        SviMethod().config(FitOptions.from_kwargs({"tune": 10}), "numpyro-svi")
    assert info.value.field == "tune"
    cfg = SviMethod().config(FitOptions(), "numpyro-svi")
    assert (cfg.tune, cfg.chains, cfg.steps) == (0, 1, 5000)


@pytest.fixture(scope="module")
def tiny_model():
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 1.0)
        pm.Normal("y", mu, 1.0, observed=np.array([0.1, -0.3, 0.4]))
    return model


class CountingMcmc(McmcMethod):
    """An MCMC method that counts what the session asks of it."""

    def __init__(self):
        self.asked: list[str] = []

    def feed(self, state, session_id):
        self.asked.append("feed")
        return super().feed(state, session_id)

    def result(self, idata, end, *, cancelled):
        self.asked.append("result")
        return super().result(idata, end, cancelled=cancelled)


def test_the_session_asks_its_method_object(tiny_model, monkeypatch):
    counting = CountingMcmc()
    monkeypatch.setitem(methods.METHODS, "mcmc", counting)
    session = FitSession(tiny_model, backend="nutpie", draws=30, tune=30, chains=1, seed=1)
    assert session.fit_method is counting and session.method == "mcmc"
    result = session.start().wait(timeout=120)
    assert result is not None and result.status == "finished"
    assert counting.asked == ["feed", "result"]
    assert result.diagnostics.draws_per_chain == 30


def test_options_object_and_keywords_are_the_same_session(tiny_model):
    by_keyword = FitSession(tiny_model, backend="pymc", draws=20, tune=5, chains=1)
    by_object = FitSession(
        tiny_model,
        backend="pymc",
        options=FitOptions(draws=20, mcmc=McmcOptions(tune=5, chains=1)),
    )
    assert by_keyword.config == by_object.config


def test_run_svi_keywords_fold_into_options_and_hooks():
    options, hooks = split_run_kwargs(
        {"chunk": 50, "should_stop": bool}, SviOptions(window=20), None
    )
    assert (options.chunk, options.window) == (50, 20) and hooks.should_stop is bool
    with pytest.raises(TypeError, match="chunks"):
        split_run_kwargs({"chunks": 50}, None, None)
    with pytest.raises(FitInputError) as info:
        SviOptions(chunk=0)
    assert info.value.field == "chunk"
    with pytest.raises(FitInputError) as info:
        SviHooks(on_chunk="print")  # type: ignore[arg-type]
    assert info.value.field == "on_chunk"


def test_the_default_optimizer_is_one_shared_object():
    assert default_optimizer() is default_optimizer()
    assert default_optimizer(0.05, 1000) is default_optimizer(0.05, 1000)
    assert default_optimizer(0.05, 1000) is not default_optimizer(0.05)

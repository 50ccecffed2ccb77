"""Malformed inputs across the public APIs and the command line.

Each case is refused by the project's own code: the error is one of the project's error
types (or a TypeError/ValueError raised from the project's code), its message names the
offending field, the last frame of its traceback lies in ``bayes_widgets`` (no error
escapes from inside a dependency), and it comes within a few seconds. Widgets keep their
last valid state and show the error, naming the field. The command line exits 2 with one
``error:`` line naming the field, before any run starts.

Nothing here samples: every model is tiny and every case fails before a fit would start.
"""

from __future__ import annotations

import concurrent.futures
import io
import math
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import bayes_widgets as bw
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.core.posterior import PosteriorError
from bayes_widgets.core.priors import PriorError
from bayes_widgets.core.regression import RegressionInputError

PACKAGE = str(Path(bw.__file__).parent)
CASE_TIMEOUT_S = 60
"""Per case; the first case of a kind pays for importing PyMC or JAX, the others take ms."""


def own_errors() -> tuple[type[BaseException], ...]:
    from bayes_widgets.cli import ConfigError
    from bayes_widgets.core.calibration import CalibrationError
    from bayes_widgets.export import ExportError

    return (
        PriorError,
        FitInputError,
        MMMDataError,
        DecisionInputError,
        RegressionInputError,
        PosteriorError,
        ExportError,
        ConfigError,
        CalibrationError,
    )


# ----------------------------------------------------------------------------- inputs


class Inputs:
    """Tiny valid inputs, made once per module and only when a case needs them."""

    @cached_property
    def model(self):
        """A regression as the PyMC docs write one: pm.Data, named dims, a HalfNormal sigma."""
        import pymc as pm

        rng = np.random.default_rng(0)
        x = rng.normal(size=20)
        with pm.Model(coords={"obs": np.arange(20)}) as model:
            xd = pm.Data("x", x, dims="obs")
            a = pm.Normal("a", 0.0, 1.0)
            b = pm.Normal("b", 0.0, 1.0)
            sigma = pm.HalfNormal("sigma", 1.0)
            pm.Normal(
                "y", a + b * xd, sigma, observed=1.0 + 2.0 * x + rng.normal(size=20), dims="obs"
            )
        return model

    @cached_property
    def mmm_data(self) -> pd.DataFrame:
        from bayes_widgets.datasets import mmm_example

        return mmm_example().iloc[:40].reset_index(drop=True)

    mmm_options = {
        "target": "y",
        "date_column": "date_week",
        "channels": ["x1", "x2"],
        "controls": ["event_1"],
        "lag_max": 2,
        "yearly_seasonality": None,
    }

    @cached_property
    def mmm(self):
        return bw.MMMModel(self.mmm_data, **self.mmm_options)

    @cached_property
    def demand(self):
        from bayes_widgets.core.hierarchical import make_demand

        return make_demand(4, 20, seed=1)

    @cached_property
    def problem(self):
        demand = np.random.default_rng(5).gamma(4.0, 25.0, size=200)
        return bw.DecisionProblem({"q": (0.0, 300.0)}, {"demand": demand}, _newsvendor)

    @cached_property
    def regression_data(self) -> pd.DataFrame:
        rng = np.random.default_rng(3)
        x = rng.normal(size=30)
        return pd.DataFrame(
            {"x": x, "z": rng.normal(size=30), "y": 1.0 + 2.0 * x + rng.normal(size=30)}
        )

    def tmp(self) -> Path:
        import tempfile

        return Path(tempfile.mkdtemp(prefix="bw-corpus-"))


@pytest.fixture(scope="module")
def inputs():
    return Inputs()


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """``call(inputs)`` must raise an error naming ``field``."""

    id: str
    call: Callable[[Inputs], Any]
    field: str
    owner: str | None = None
    """Set for a case whose fix belongs in a module of another part of the project; it is
    marked xfail (strict) while that module lets the input through."""


@dataclass(frozen=True)
class WidgetCase:
    """``make(inputs)`` builds a widget, ``act(widget)`` sends it a bad input: the widget's
    ``error`` names ``field`` and the ``state`` traits keep their values. With ``act`` None
    the constructor itself is given the bad input and shows the error."""

    id: str
    make: Callable[[Inputs], Any]
    act: Callable[[Any], Any] | None
    field: str
    state: tuple[str, ...] = ()
    owner: str | None = None


@dataclass(frozen=True)
class CliCase:
    """``bayes-widgets fleet`` on a configuration that must exit 2 naming ``field``."""

    id: str
    toml: str
    field: str
    files: tuple[str, ...] = ()


def send(widget, **content):
    widget._dispatch(widget, content, [])


def _nb_path(inputs):
    path = inputs.tmp() / "missing.ipynb"
    return path


# -- priors -------------------------------------------------------------------------


def _dist(family, **kw):
    from bayes_widgets.core.priors import PriorDist

    return lambda i: PriorDist.create(family, **kw)


def _maxent(*args, **kw):
    from bayes_widgets.core.priors import maxent

    return lambda i: maxent(*args, **kw)


def _quartiles(*args, **kw):
    from bayes_widgets.core.priors import from_quartiles

    return lambda i: from_quartiles(*args, **kw)


def _model_priors(**kw):
    def call(i):
        from bayes_widgets.core.priors.model import ModelPriors

        return ModelPriors(kw.pop("model", i.model), **kw)

    return call


def _from_dict(data):
    from bayes_widgets.core.priors import PriorDist

    return lambda i: PriorDist.from_dict(data)


def _predictive(**kw):
    from bayes_widgets.core.priors.predictive import predictive_view

    return lambda i: predictive_view(np.zeros((10, 3)), series=False, **kw)


PRIORS = [
    Case("Normal(mu=inf)", _dist("Normal", mu=math.inf), "mu"),
    Case("Normal(mu=-inf)", _dist("Normal", mu=-math.inf), "mu"),
    Case("Normal(sigma=inf)", _dist("Normal", sigma=math.inf), "sigma"),
    Case("Normal(mu=nan)", _dist("Normal", mu=math.nan), "mu"),
    Case("Normal(mu=True)", _dist("Normal", mu=True), "mu"),
    Case("Normal(mu=None)", _dist("Normal", mu=None), "mu"),
    Case("Normal(sigma=-1)", _dist("Normal", sigma=-1.0), "sigma"),
    Case("Gamma(alpha='2')", _dist("Gamma", alpha="2"), "alpha"),
    Case("Gamma(beta=b'1')", _dist("Gamma", beta=b"1"), "beta"),
    Case("Normal(mu=[1,'a'])", _dist("Normal", dims="c", mu=[1.0, "a"]), "mu"),
    Case("Normal(mu=2-D)", _dist("Normal", dims="c", mu=[[1.0, 2.0], [3.0, 4.0]]), "mu"),
    Case("Normal(mu=[])", _dist("Normal", dims="c", mu=[]), "mu"),
    Case("Normal(mu=[1,inf])", _dist("Normal", dims="c", mu=[1.0, math.inf]), "mu"),
    Case("Normal(dims=5)", _dist("Normal", dims=5), "dims"),
    Case("Normal(size=0)", _dist("Normal", dims="c", size=0), "size"),
    Case("Normal(size='3')", _dist("Normal", dims="c", size="3"), "size"),
    Case("vector without dims", _dist("Normal", mu=[0.0, 1.0]), "dims"),
    Case(
        "vector lengths differ",
        _dist("Normal", dims="c", mu=[0.0, 1.0], sigma=[1.0, 2.0, 3.0]),
        "params",
    ),
    Case("family 42", _dist(42), "family"),
    Case("family 'Gauss'", _dist("Gauss"), "family"),
    Case("unknown parameter", _dist("Normal", scale=1.0), "scale"),
    Case(
        "unknown parameterization", _dist("Gamma", parameterization="mean-sd"), "parameterization"
    ),
    Case("Uniform lower > upper", _dist("Uniform", lower=2.0, upper=1.0), "lower"),
    Case(
        "TruncatedNormal lower=+inf", _dist("TruncatedNormal", lower=math.inf, upper=1.0), "lower"
    ),
    Case(
        "Beta mean_sd too wide",
        _dist("Beta", parameterization="mean_sd", mu=0.5, sigma=0.6),
        "sigma",
    ),
    Case("Poisson mu='3'", _dist("Poisson", mu="3"), "mu"),
    Case("from_dict not a dict", _from_dict("Normal"), "dist"),
    Case("from_dict kwargs list", _from_dict({"dist": "Normal", "kwargs": [1.0]}), "kwargs"),
    Case(
        "from_dict unknown key", _from_dict({"dist": "Normal", "kwargs": {}, "shape": 3}), "shape"
    ),
    Case(
        "from_dict text values",
        _from_dict({"dist": "Normal", "kwargs": {"mu": ["a"]}, "dims": ["c"]}),
        "mu",
    ),
    Case(
        "element('a')",
        lambda i: bw.PriorDist.create("Normal", dims="c", mu=[0.0, 1.0]).element("a"),
        "element",
    ),
    Case(
        "element(5)",
        lambda i: bw.PriorDist.create("Normal", dims="c", mu=[0.0, 1.0]).element(5),
        "element",
    ),
    Case("updated(sigma=-1)", lambda i: bw.PriorDist.create("Normal").updated(sigma=-1.0), "sigma"),
    Case("maxent(mass='most')", _maxent("Normal", 0, 1, mass="most"), "mass"),
    Case("maxent(lower='a')", _maxent("Normal", "a", 1), "lower"),
    Case("maxent(upper=inf)", _maxent("Normal", 0, math.inf), "upper"),
    Case("maxent(lower=-inf)", _maxent("Normal", -math.inf, 1), "lower"),
    Case("maxent(lower=nan)", _maxent("Normal", math.nan, 1), "lower"),
    Case("maxent(mass=1.5)", _maxent("Normal", -1, 1, mass=1.5), "mass"),
    Case("maxent(lower > upper)", _maxent("Normal", 2, 1), "lower"),
    Case("maxent Gamma below its support", _maxent("Gamma", -5, -1), "lower"),
    Case("maxent Beta above its support", _maxent("Beta", 0.5, 2), "upper"),
    Case("maxent Beta whole support", _maxent("Beta", 0, 1), "lower"),
    Case("maxent fixed nu='x'", _maxent("StudentT", -1, 1, fixed={"nu": "x"}), "fixed.nu"),
    Case("maxent fixed unknown", _maxent("StudentT", -1, 1, fixed={"zz": 1.0}), "fixed.zz"),
    Case("maxent fixed not a dict", _maxent("StudentT", -1, 1, fixed=5), "fixed"),
    Case(
        "maxent fixed everything",
        _maxent("Normal", -1, 1, fixed={"mu": 0.0, "sigma": 1.0}),
        "fixed",
    ),
    Case("maxent unknown family", _maxent("Gauss", 0, 1), "family"),
    Case("from_quartiles Gamma below support", _quartiles("Gamma", -3, -2, -1), "q1"),
    Case("from_quartiles Beta above support", _quartiles("Beta", 0.2, 0.5, 3), "q3"),
    Case("from_quartiles q1='a'", _quartiles("Normal", "a", 1, 2), "q1"),
    Case("from_quartiles q3=inf", _quartiles("Normal", 0, 1, math.inf), "q3"),
    Case("from_quartiles not increasing", _quartiles("Normal", 0, 2, 1), "q2"),
    Case("predictive_view lower='a'", _predictive(lower="a"), "lower"),
    Case("predictive_view upper=nan", _predictive(upper=math.nan), "upper"),
    Case("predictive_view lower > upper", _predictive(lower=2.0, upper=1.0), "lower"),
    Case("predictive_view bins=0", _predictive(bins=0), "bins"),
    Case("ModelPriors(draws=0)", _model_priors(draws=0), "draws"),
    Case("ModelPriors(draws=True)", _model_priors(draws=True), "draws"),
    Case("ModelPriors(seed=-1)", _model_priors(seed=-1), "seed"),
    Case("ModelPriors(seed='x')", _model_priors(seed="x"), "seed"),
    Case("ModelPriors(not a model)", _model_priors(model="model"), "model"),
]


# -- PriorEditor --------------------------------------------------------------------

_EDITOR_STATE = ("family", "values", "parameterization", "updates", "plausible", "quantiles")


def _editor(i):
    return bw.PriorEditor(i.model, draws=20, seed=1)


PRIOR_EDITOR = [
    Case(
        "PriorEditor(model, lower='a')",
        lambda i: bw.PriorEditor(i.model, draws=20, lower="a"),
        "lower",
    ),
    Case(
        "PriorEditor(model, upper=inf)",
        lambda i: bw.PriorEditor(i.model, draws=20, upper=math.inf),
        "upper",
    ),
    Case(
        "PriorEditor(quantiles='abc')",
        lambda i: bw.PriorEditor("Normal", quantiles="abc"),
        "quantiles",
    ),
    Case(
        "PriorEditor(quantiles=[0, 2])",
        lambda i: bw.PriorEditor("Normal", quantiles=[0.0, 2.0]),
        "quantiles",
    ),
    Case(
        "PriorEditor('Normal', lower='a')", lambda i: bw.PriorEditor("Normal", lower="a"), "lower"
    ),
]

PRIOR_EDITOR_WIDGET = [
    WidgetCase("PriorEditor(42)", lambda i: bw.PriorEditor(42), None, "source"),
    WidgetCase(
        "PriorEditor(model, draws='many')",
        lambda i: bw.PriorEditor(i.model, draws="many"),
        None,
        "draws",
    ),
    WidgetCase(
        "PriorEditor(model, seed='x')",
        lambda i: bw.PriorEditor(i.model, draws=20, seed="x"),
        None,
        "seed",
    ),
    WidgetCase(
        "edit sigma=-1",
        _editor,
        lambda w: send(w, type="edit", values={"sigma": -1.0}, seq=1),
        "sigma",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "edit mu='abc'",
        _editor,
        lambda w: send(w, type="edit", values={"mu": "abc"}, seq=1),
        "mu",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "edit mu=inf",
        _editor,
        lambda w: send(w, type="edit", values={"mu": math.inf}, seq=1),
        "mu",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "edit family 'Gauss'",
        _editor,
        lambda w: send(w, type="edit", family="Gauss", seq=1),
        "family",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "edit parameterization",
        _editor,
        lambda w: send(w, type="edit", parameterization="bogus", values={"mu": 1.0}, seq=1),
        "parameterization",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "edit parameterization (old message key)",
        _editor,
        lambda w: send(w, type="edit", parameterisation="bogus", values={"mu": 1.0}, seq=1),
        "parameterization",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "elicit maxent lower='a'",
        _editor,
        lambda w: send(w, type="elicit", method="maxent", lower="a", upper=1, mass=0.9, seq=1),
        "lower",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "elicit maxent mass='most'",
        _editor,
        lambda w: send(w, type="elicit", method="maxent", lower=0, upper=1, mass="most", seq=1),
        "mass",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "elicit maxent Gamma below support",
        _editor,
        lambda w: send(
            w, type="elicit", method="maxent", family="Gamma", lower=-5, upper=-1, seq=1
        ),
        "lower",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "elicit quartiles Beta above support",
        _editor,
        lambda w: send(
            w, type="elicit", method="quartiles", family="Beta", q1=0.2, q2=0.5, q3=3, seq=1
        ),
        "q3",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "range lower='a'",
        _editor,
        lambda w: send(w, type="range", lower="a", upper=None, seq=1),
        "lower",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "range lower > upper",
        _editor,
        lambda w: send(w, type="range", lower=5, upper=1, seq=1),
        "lower",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "quantiles [0, 2]",
        _editor,
        lambda w: send(w, type="quantiles", values=[0, 2], seq=1),
        "quantiles",
        _EDITOR_STATE,
    ),
    WidgetCase(
        "select unknown variable",
        _editor,
        lambda w: send(w, type="select", variable="nope", seq=1),
        "variable",
        (*_EDITOR_STATE, "variable"),
    ),
]


# -- fit and FitSession ---------------------------------------------------------------


def _session(**kw):
    return lambda i: bw.FitSession(kw.pop("model", i.model), **kw)


FIT = [
    Case("fit(draws=0)", lambda i: bw.fit(i.model, draws=0), "draws"),
    Case("fit(backend='stan')", lambda i: bw.fit(i.model, backend="stan"), "backend"),
    Case("FitSession(draws='100')", _session(draws="100"), "draws"),
    Case("FitSession(draws=1.5)", _session(draws=1.5), "draws"),
    Case("FitSession(tune=-1)", _session(tune=-1), "tune"),
    Case("FitSession(chains=0)", _session(chains=0), "chains"),
    Case("FitSession(cores=True)", _session(cores=True), "cores"),
    Case("FitSession(seed=-1)", _session(seed=-1), "seed"),
    Case("FitSession(target_accept=1.5)", _session(target_accept=1.5), "target_accept"),
    Case("FitSession(target_accept='high')", _session(target_accept="high"), "target_accept"),
    Case("FitSession(target_accept='0.9')", _session(target_accept="0.9"), "target_accept"),
    Case("FitSession(model=dict)", _session(model={"mu": 1.0}), "model"),
    Case("FitSession(sampler_kwargs=[1])", _session(sampler_kwargs=[1]), "sampler_kwargs"),
    Case("FitSession(steps=10) with MCMC", _session(steps=10), "steps"),
    Case("FitSession(rate_hz=0)", _session(rate_hz=0), "rate_hz"),
    Case("FitSession(rate_hz='fast')", _session(rate_hz="fast"), "rate_hz"),
    Case("FitSession(rate_hz=nan)", _session(rate_hz=math.nan), "rate_hz"),
]


# -- decisions ------------------------------------------------------------------------


def _newsvendor(x, s):
    return 5.0 * np.minimum(x[0], s["demand"]) - 2.0 * x[0]


def _problem(variables=None, scenarios=None, profit=None, **kw):
    def call(i):
        return bw.DecisionProblem(
            {"q": (0.0, 300.0)} if variables is None else variables,
            {"demand": np.ones(10)} if scenarios is None else scenarios,
            _newsvendor if profit is None else profit,
            **kw,
        )

    return call


def _explorer(**kw):
    return lambda i: bw.DecisionExplorer(i.problem, optimize_on_start=False, **kw)


DECISIONS = [
    Case("DecisionProblem(variables={})", _problem(variables={}), "variables"),
    Case("DecisionProblem bounds reversed", _problem(variables={"q": (10.0, 0.0)}), "variables.q"),
    Case("DecisionProblem bound inf", _problem(variables={"q": (0.0, math.inf)}), "variables.q"),
    Case("DecisionProblem bound text", _problem(variables={"q": ("a", 1.0)}), "variables.q"),
    Case("DecisionProblem profit not callable", _problem(profit=5), "profit"),
    Case("DecisionProblem scenarios text", _problem(scenarios="abc"), "scenarios"),
    Case("DecisionProblem decision_as", _problem(decision_as="list"), "decision_as"),
    Case(
        "DecisionVariable(lower='a')", lambda i: bw.DecisionVariable("q", "a", 1.0), "variables.q"
    ),
    Case("DecisionExplorer(42)", lambda i: bw.DecisionExplorer(42), "problem"),
    Case("DecisionExplorer(objective='max')", _explorer(objective="max"), "objective"),
    Case("DecisionExplorer(cvar_alpha=2)", _explorer(cvar_alpha=2.0), "cvar_alpha"),
    Case("DecisionExplorer(bins=0)", _explorer(bins=0), "bins"),
    Case("DecisionExplorer(x={'zz': 1})", _explorer(x={"zz": 1.0}), "x"),
]

DECISION_WIDGET = [
    WidgetCase(
        "DecisionExplorer evaluate q='abc'",
        lambda i: bw.DecisionExplorer(i.problem, x=[50], optimize_on_start=False),
        lambda w: send(w, type="evaluate", x={"q": "abc"}, seq=1),
        "x",
        ("decision", "summary"),
    ),
    WidgetCase(
        "DecisionExplorer evaluate q out of bounds",
        lambda i: bw.DecisionExplorer(i.problem, x=[50], optimize_on_start=False),
        lambda w: send(w, type="evaluate", x={"q": 1e9}, seq=1),
        "x.q",
        ("decision", "summary"),
    ),
]


# -- MMM ------------------------------------------------------------------------------


def _mmm(data=None, **changes):
    def call(i):
        frame = i.mmm_data if data is None else data(i.mmm_data)
        return bw.MMMModel(frame, **{**i.mmm_options, **changes})

    return call


def _header_only(df):
    return pd.read_csv(io.StringIO(",".join(df.columns) + "\n"))


MMM = [
    Case("MMMModel(header-only CSV)", _mmm(_header_only), "data"),
    Case("MMMModel(data=list)", _mmm(lambda d: d.to_numpy().tolist()), "data"),
    Case("MMMModel(channels='x1')", _mmm(channels="x1"), "channels"),
    Case("MMMModel(controls='event_1')", _mmm(controls="event_1"), "controls"),
    Case("MMMModel(channels=[])", _mmm(channels=[]), "channels"),
    Case("MMMModel(channels=None)", _mmm(channels=None), "channels"),
    Case("MMMModel(channels=[1, 2])", _mmm(channels=[1, 2]), "channels"),
    Case("MMMModel(channels=['x9'])", _mmm(channels=["x9"]), "x9"),
    Case("MMMModel(target=5)", _mmm(target=5), "target"),
    Case("MMMModel(date_column=None)", _mmm(date_column=None), "date_column"),
    Case("MMMModel(lag_max=0)", _mmm(lag_max=0), "lag_max"),
    Case("MMMModel(lag_max='8')", _mmm(lag_max="8"), "lag_max"),
    Case("MMMModel(adstock='exp')", _mmm(adstock="exp"), "adstock"),
    Case("MMMModel(adstock=['geometric'])", _mmm(adstock=["geometric"]), "adstock"),
    Case("MMMModel(saturation='sigmoid')", _mmm(saturation="sigmoid"), "saturation"),
    Case("MMMModel(scale_data='no')", _mmm(scale_data="no"), "scale_data"),
    Case("MMMModel(time_varying_media=1)", _mmm(time_varying_media=1), "time_varying_media"),
    Case("MMMModel(yearly_seasonality=0)", _mmm(yearly_seasonality=0), "yearly_seasonality"),
    Case("MMMModel(priors=[1])", _mmm(priors=[1]), "priors"),
    Case("MMMModel(priors={'nope': ...})", _mmm(priors={"nope": {"dist": "Normal"}}), "nope"),
    Case("MMMModel channel as text", _mmm(lambda d: d.assign(x1="a")), "x1"),
    Case("MMMModel channel as booleans", _mmm(lambda d: d.assign(x1=d.x1 > 0.5)), "x1"),
    Case("MMMModel negative spend", _mmm(lambda d: d.assign(x1=-d.x1)), "x1"),
    Case(
        "MMMModel duplicate dates",
        _mmm(lambda d: d.assign(date_week=d.date_week.iloc[0])),
        "date_week",
    ),
    Case("MMMModel NaN target", _mmm(lambda d: d.assign(y=np.nan)), "y"),
    Case("MMMModel inf control", _mmm(lambda d: d.assign(event_1=np.inf)), "event_1"),
    Case("MMMModel dates not dates", _mmm(lambda d: d.assign(date_week="soon")), "date_week"),
    Case("set_priors(not a dict)", lambda i: i.mmm.set_priors([1]), "priors"),
    Case(
        "set_priors(bad prior dict)",
        lambda i: i.mmm.set_priors({"saturation_lam": {"dist": "Gauss"}}),
        "saturation_lam",
    ),
    Case(
        "predict before fit", lambda i: i.mmm.predict(i.mmm_data.drop(columns="y").iloc[:3]), "fit"
    ),
    Case("summarize_variable before fit", lambda i: i.mmm.summarize_variable("intercept"), "fit"),
    Case(
        "validate_mmm_data(holdout='2')",
        lambda i: __import__("bayes_widgets.core.mmm.validation", fromlist=["x"]).validate_mmm_data(
            i.mmm_data, date_column="date_week", target="y", channels=["x1"], holdout="2"
        ),
        "holdout",
    ),
    Case(
        "check_horizons(['four'])",
        lambda i: __import__("bayes_widgets.core.mmm.validation", fromlist=["x"]).check_horizons(
            ["four"], 40
        ),
        "horizons",
    ),
    Case(
        "check_holdout(100)",
        lambda i: __import__("bayes_widgets.core.mmm.validation", fromlist=["x"]).check_holdout(
            100, 40
        ),
        "holdout",
    ),
]


# -- fleets ---------------------------------------------------------------------------


class NoRuns(concurrent.futures.Executor):
    """An executor that starts nothing: a fleet given a bad input must refuse it before
    submitting a run (and a case whose input slips through ends at once, not after a fit)."""

    def submit(self, fn, /, *args, **kwargs):
        raise RuntimeError("the corpus starts no run")


def _fleet(name, *args, **kw):
    def call(i):
        from bayes_widgets.core.mmm import fleets as mf

        return getattr(mf, name)(
            i.mmm, *[a(i) if callable(a) else a for a in args], out=i.tmp(), executor=NoRuns(), **kw
        )

    return call


def _noop(params, run_dir):
    return {"x": 1.0}


def _run_fleet(specs=None, task=_noop, **kw):
    def call(i):
        from bayes_widgets.core.fleet.runner import RunSpec, run_fleet

        return run_fleet(
            [RunSpec("a")] if specs is None else specs(RunSpec),
            task,
            out=i.tmp(),
            **{"executor": NoRuns(), **kw},
        )

    return call


def _run_spec(*args, **kw):
    def call(i):
        from bayes_widgets.core.fleet.runner import RunSpec

        return RunSpec(*args, **kw)

    return call


FLEETS_OWNER = "core/mmm/fleets.py"
FLEETS = [
    Case("production_fleet(holdout=100)", _fleet("production_fleet", holdout=100), "holdout"),
    Case("production_fleet(holdout='4')", _fleet("production_fleet", holdout="4"), "holdout"),
    Case(
        "holdout_fleet(horizons=['four'])", _fleet("holdout_fleet", horizons=["four"]), "horizons"
    ),
    Case("holdout_fleet(horizons=[])", _fleet("holdout_fleet", horizons=[]), "horizons"),
    Case("holdout_fleet(horizons=[0])", _fleet("holdout_fleet", horizons=[0]), "horizons"),
    Case("recovery_fleet(runs=0)", _fleet("recovery_fleet", runs=0), "runs"),
    Case(
        "recovery_fleet(truth={'x1': 2})",
        _fleet("recovery_fleet", truth={"x1": 2.0, "x2": 0.5}),
        "truth",
    ),
    Case("stability_fleet(trims=[30])", _fleet("stability_fleet", trims=[30]), "trims"),
    Case("stability_fleet(seeds=[])", _fleet("stability_fleet", seeds=[]), "seeds"),
    Case(
        "forecast_fleet(past dates)",
        _fleet("forecast_fleet", lambda i: i.mmm_data.drop(columns="y").iloc[:4]),
        "date_week",
    ),
    Case(
        "forecast_fleet(missing channel)",
        _fleet(
            "forecast_fleet", lambda i: pd.DataFrame({"date_week": ["2030-01-01"], "x1": [1.0]})
        ),
        "x2",
    ),
    Case("run_fleet(specs=[1])", _run_fleet(specs=lambda R: [1]), "specs"),
    Case("run_fleet(duplicate run ids)", _run_fleet(specs=lambda R: [R("a"), R("a")]), "specs"),
    Case("run_fleet(task=5)", _run_fleet(task=5), "task"),
    Case("run_fleet(chains_per_run=0)", _run_fleet(chains_per_run=0), "chains_per_run"),
    Case("run_fleet(timeout=-1)", _run_fleet(timeout=-1), "timeout"),
    Case("run_fleet(retries='x')", _run_fleet(retries="x"), "retries"),
    Case("run_fleet(executor=5)", _run_fleet(executor=5), "executor"),
    Case("RunSpec('../x')", _run_spec("../x"), "run_id"),
    Case("RunSpec(params=[1])", _run_spec("a", params=[1]), "params"),
]

FLEET_BOARD = [
    WidgetCase(
        f"FleetBoard(thresholds={value!r})",
        lambda i, value=value: bw.FleetBoard(thresholds=value),
        None,
        "thresholds",
    )
    for value in (
        {"m": ("<=", "x")},
        {"m": ("<=", None)},
        {"m": ("<=", math.nan)},
        {"m": ("<=",)},
        {"m": ("<=", 1.0, 2.0)},
        [("m", "<=", 1.0)],
        {"m": ("~", 1.0)},
        {"m": {"op": "<="}},
    )
] + [
    WidgetCase(
        "FleetBoard thresholds message",
        lambda i: bw.FleetBoard(thresholds={"m": ("<=", 1.0)}),
        lambda w: send(w, type="thresholds", thresholds={"m": ["<=", "abc"]}),
        "thresholds",
        ("thresholds",),
    ),
]


# -- predictions ----------------------------------------------------------------------


def _regression(**kw):
    return lambda i: bw.LinearRegression(
        i.regression_data, **{"target": "y", "features": ["x"], **kw}
    )


PREDICTIONS = [
    Case("LinearRegression(target='nope')", _regression(target="nope"), "target"),
    Case("LinearRegression(features=['nope'])", _regression(features=["nope"]), "features"),
    Case("LinearRegression(prior_scale=-1)", _regression(prior_scale=-1.0), "prior_scale"),
    Case("LinearRegression(data=list)", lambda i: bw.LinearRegression([1, 2], target="y"), "data"),
    Case(
        "predict_new_rows(prob=1.5)",
        lambda i: bw.predict_new_rows(i.model, None, {"x": [1.0]}, prob=1.5),
        "prob",
    ),
    Case(
        "predict_new_rows(interval='x')",
        lambda i: bw.predict_new_rows(i.model, None, {"x": [1.0]}, interval="x"),
        "interval",
    ),
]


# -- hierarchical ---------------------------------------------------------------------


def _svi(**kw):
    def call(i):
        from bayes_widgets.core.hierarchical import fit_svi

        return fit_svi(kw.pop("data", i.demand.data), **{"steps": 2, "batch_size": None, **kw})

    return call


def _nuts(**kw):
    def call(i):
        from bayes_widgets.core.hierarchical import fit_nuts

        return fit_nuts(i.demand.data, **{"draws": 2, "tune": 2, **kw})

    return call


HIERARCHICAL = [
    Case("fit_svi(learning_rate=inf)", _svi(learning_rate=math.inf), "learning_rate"),
    Case("fit_svi(learning_rate=nan)", _svi(learning_rate=math.nan), "learning_rate"),
    Case("fit_svi(learning_rate='fast')", _svi(learning_rate="fast"), "learning_rate"),
    Case("fit_svi(learning_rate=0)", _svi(learning_rate=0.0), "learning_rate"),
    Case("fit_svi(seed=-1)", _svi(seed=-1), "seed"),
    Case("fit_svi(seed=2**40)", _svi(seed=2**40), "seed"),
    Case("fit_svi(seed=1.5)", _svi(seed=1.5), "seed"),
    Case("fit_svi(steps=0)", _svi(steps=0), "steps"),
    Case("fit_svi(batch_size=0)", _svi(batch_size=0), "batch_size"),
    Case("fit_svi(likelihood='gauss')", _svi(likelihood="gauss"), "likelihood"),
    Case("fit_svi(varying=['nope'])", _svi(varying=["nope"]), "varying.nope"),
    Case("fit_svi(data='x')", _svi(data="x"), "data"),
    Case("fit_nuts(draws=0)", _nuts(draws=0), "draws"),
    Case("fit_nuts(seed=-1)", _nuts(seed=-1), "seed"),
    Case("fit_nuts(target_accept=1)", _nuts(target_accept=1.0), "target_accept"),
]


# -- exports --------------------------------------------------------------------------


def _export(notebook, **kw):
    def call(i):
        from bayes_widgets.export import export_html

        return export_html(
            notebook(i) if callable(notebook) else notebook, i.tmp() / "out.html", **kw
        )

    return call


EXPORTS = [
    Case("export_html(42)", _export(42), "notebook"),
    Case("export_html(missing file)", _export(_nb_path), "notebook"),
]


# -- geo MMMs, lift tests, the one-pager, calibration ------------------------------------


def _geo(data=None, **changes):
    def call(i):
        from bayes_widgets.datasets import mmm_multidimensional

        frame = mmm_multidimensional().iloc[:120]
        frame = frame if data is None else data(frame)
        options = {
            "target": "y",
            "date_column": "date",
            "channels": ["x1", "x2"],
            "lag_max": 2,
            "yearly_seasonality": None,
            "dims": ("geo",),
        }
        return bw.MMMModel(frame, **{**options, **changes})

    return call


LIFT_ROW = {"channel": "x1", "x": 10.0, "delta_x": 5.0, "delta_y": 2.0, "sigma": 0.5}


def _lift(**changes):
    def call(i):
        row = {k: v for k, v in {**LIFT_ROW, **changes}.items() if v is not None}
        return i.mmm.add_lift_tests(pd.DataFrame([row]))

    return call


def _calibrate(**kw):
    def call(i):
        return bw.calibrate(i.model, **{"simulations": 4, "wait": False, **kw})

    return call


def _one_pager(i):
    from bayes_widgets.core.mmm.explorer_views import one_pager

    return one_pager(i.mmm)


NEWER = [
    Case("MMMModel(dims=('geo', 'region'))", _geo(dims=("geo", "region")), "dims"),
    Case("MMMModel(dims=('region',)) without that column", _geo(dims=("region",)), "region"),
    Case(
        "MMMModel geo with duplicate date x geo rows",
        _geo(lambda d: pd.concat([d, d.iloc[:1]], ignore_index=True)),
        "date",
    ),
    Case("add_lift_tests(sigma missing)", _lift(sigma=None), "lift_tests"),
    Case("add_lift_tests(sigma=0)", _lift(sigma=0.0), "lift_tests.sigma"),
    Case("add_lift_tests(channel='x9')", _lift(channel="x9"), "lift_tests.channel"),
    Case("add_lift_tests(delta_x=0)", _lift(delta_x=0.0), "lift_tests.delta_x"),
    Case("one_pager(unfitted MMM)", _one_pager, "model"),
    Case("calibrate(simulations=0)", _calibrate(simulations=0), "simulations"),
    Case("calibrate(backend='stan')", _calibrate(backend="stan"), "backend"),
    Case("calibrate(params=['nope'])", _calibrate(params=["nope"]), "params"),
    Case("calibrate(draws=0)", _calibrate(draws=0), "draws"),
    Case("calibrate(method='vi')", _calibrate(method="vi"), "method"),
]


CASES = (
    PRIORS
    + PRIOR_EDITOR
    + FIT
    + DECISIONS
    + MMM
    + FLEETS
    + PREDICTIONS
    + HIERARCHICAL
    + EXPORTS
    + NEWER
)
WIDGET_CASES = PRIOR_EDITOR_WIDGET + DECISION_WIDGET + FLEET_BOARD


# ------------------------------------------------------------------------------ checks


def _last_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


def _params(cases):
    out = []
    for case in cases:
        marks = [pytest.mark.timeout(CASE_TIMEOUT_S)]
        if case.owner is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=f"fix belongs in {case.owner}"))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def assert_names_the_field(exc: BaseException, field: str) -> None:
    text = str(exc)
    assert isinstance(exc, (own_errors(), TypeError | ValueError)), (
        f"{type(exc).__name__} is not one of the project's errors: {text}"
    )
    last = _last_frame(exc)
    assert last.startswith(PACKAGE), f"{type(exc).__name__} escaped from {last}: {text}"
    if hasattr(exc, "field"):
        assert exc.field == field, f"names {exc.field!r}, not {field!r}: {text}"
    assert text.startswith(f"{field}: "), f"does not start with {field!r}: {text}"
    assert "\n" not in text.strip(), f"more than one line: {text!r}"


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input_is_refused_naming_the_field(case: Case, inputs):
    with pytest.raises(Exception) as info:
        case.call(inputs)
    assert_names_the_field(info.value, case.field)


@pytest.mark.parametrize("case", _params(WIDGET_CASES))
def test_widget_shows_the_error_and_keeps_its_state(case: WidgetCase, inputs):
    if case.act is None:
        widget = case.make(inputs)
    else:
        widget = case.make(inputs)
        assert not widget.error, widget.error
        before = {name: _copy(getattr(widget, name)) for name in case.state}
        case.act(widget)
        after = {name: _copy(getattr(widget, name)) for name in case.state}
        assert after == before, f"state changed: {before} -> {after}"
    assert widget.error.startswith(f"{case.field}: "), (
        f"error does not name {case.field!r}: {widget.error!r}"
    )
    assert not getattr(widget, "_last_traceback", None), (
        "an unexpected exception reached the dispatcher"
    )


def _copy(value):
    import copy

    return copy.deepcopy(value)


# -------------------------------------------------------------------------- command line

HEAD = """\
data = "data.csv"
[model]
target = "y"
date_column = "date_week"
channels = ["x1", "x2"]
lag_max = 2
"""

CLI = [
    CliCase("malformed TOML", 'data = "data.csv"\n[model\n', "config"),
    CliCase("TOML with a duplicate key", 'data = "a.csv"\ndata = "b.csv"\n', "config"),
    CliCase("unknown top-level key", "dat = 1\n" + HEAD + "[fleets.production]\n", "dat"),
    CliCase("no data", HEAD.replace('data = "data.csv"\n', "") + "[fleets.production]\n", "data"),
    CliCase(
        "data file missing", HEAD.replace("data.csv", "nope.csv") + "[fleets.production]\n", "data"
    ),
    CliCase("data not text", HEAD.replace('"data.csv"', "5") + "[fleets.production]\n", "data"),
    CliCase(
        "data file empty",
        HEAD.replace("data.csv", "empty.csv") + "[fleets.production]\n",
        "data",
        files=("empty.csv",),
    ),
    CliCase(
        "data header only",
        HEAD.replace("data.csv", "header.csv") + "[fleets.production]\n",
        "data",
        files=("header.csv",),
    ),
    CliCase("no [model]", 'data = "data.csv"\n[fleets.production]\n', "model"),
    CliCase(
        "model without target",
        HEAD.replace('target = "y"\n', "") + "[fleets.production]\n",
        "model.target",
    ),
    CliCase("model unknown option", HEAD + "foo = 1\n[fleets.production]\n", "model.foo"),
    CliCase(
        "model channels as text",
        HEAD.replace('["x1", "x2"]', '"x1"') + "[fleets.production]\n",
        "model.channels",
    ),
    CliCase(
        "model lag_max text",
        HEAD.replace("lag_max = 2", 'lag_max = "2"') + "[fleets.production]\n",
        "model.lag_max",
    ),
    CliCase("model unknown column", HEAD.replace('"x2"', '"x9"') + "[fleets.production]\n", "x9"),
    CliCase(
        "holdout longer than the data",
        HEAD + "[fleets.production]\nholdout = 100\n",
        "fleets.production.holdout",
    ),
    CliCase(
        "default holdout of 4 leaves too few rows",
        HEAD.replace("data.csv", "short.csv") + "[fleets.production]\n",
        "fleets.production.holdout",
        files=("short.csv",),
    ),
    CliCase(
        "default horizons leave too few rows",
        HEAD.replace("data.csv", "short.csv") + "[fleets.holdout]\n",
        "fleets.holdout.horizons",
        files=("short.csv",),
    ),
    CliCase(
        "holdout as text",
        HEAD + '[fleets.production]\nholdout = "4"\n',
        "fleets.production.holdout",
    ),
    CliCase(
        "horizons = ['four']",
        HEAD + '[fleets.holdout]\nhorizons = ["four"]\n',
        "fleets.holdout.horizons",
    ),
    CliCase("horizons = 4", HEAD + "[fleets.holdout]\nhorizons = 4\n", "fleets.holdout.horizons"),
    CliCase(
        "unknown fleet option", HEAD + "[fleets.holdout]\nhorizon = 4\n", "fleets.holdout.horizon"
    ),
    CliCase("unknown fleet", HEAD + "[fleets.sideways]\n", "fleets"),
    CliCase("no fleet", HEAD, "fleets"),
    CliCase("fleet not a table", HEAD.replace("[model]", "fleets = 5\n[model]"), "fleets"),
    CliCase("forecast without future", HEAD + "[fleets.forecast]\n", "fleets.forecast.future"),
    CliCase(
        "forecast future missing",
        HEAD + "[fleets.forecast]\nfuture = 'nope.csv'\n",
        "fleets.forecast.future",
    ),
    CliCase(
        "forecast future in the past",
        HEAD + "[fleets.forecast]\nfuture = 'past.csv'\n",
        "fleets.forecast.future",
        files=("past.csv",),
    ),
    CliCase("recovery runs = 0", HEAD + "[fleets.recovery]\nruns = 0\n", "fleets.recovery.runs"),
    CliCase(
        "recovery truth above 1",
        HEAD + "[fleets.recovery]\ntruth = {x1 = 2, x2 = 0.5}\n",
        "fleets.recovery.truth",
    ),
    CliCase(
        "stability trims too long",
        HEAD + "[fleets.stability]\ntrims = [30]\n",
        "fleets.stability.trims",
    ),
    CliCase(
        "stability seeds empty", HEAD + "[fleets.stability]\nseeds = []\n", "fleets.stability.seeds"
    ),
    CliCase("draws = 0", HEAD + "[fit]\ndraws = 0\n[fleets.production]\n", "fit.draws"),
    CliCase("draws as text", HEAD + '[fit]\ndraws = "500"\n[fleets.production]\n', "fit.draws"),
    CliCase("chains = -1", HEAD + "[fit]\nchains = -1\n[fleets.production]\n", "fit.chains"),
    CliCase("seed = -1", HEAD + "[fit]\nseed = -1\n[fleets.production]\n", "fit.seed"),
    CliCase(
        "target_accept = 2",
        HEAD + "[fit]\ntarget_accept = 2\n[fleets.production]\n",
        "fit.target_accept",
    ),
    CliCase(
        "unknown backend", HEAD + "[fit]\nbackend = 'stan'\n[fleets.production]\n", "fit.backend"
    ),
    CliCase("unknown fit option", HEAD + "[fit]\ndraw = 10\n[fleets.production]\n", "fit.draw"),
]


def _write_cli_files(root: Path, inputs: Inputs) -> None:
    data = inputs.mmm_data
    data.to_csv(root / "data.csv", index=False)
    (root / "empty.csv").write_text("")
    data.iloc[:12].to_csv(root / "short.csv", index=False)
    (root / "header.csv").write_text(",".join(data.columns) + "\n")
    data.drop(columns="y").iloc[:4].to_csv(root / "past.csv", index=False)


@pytest.fixture(scope="module")
def cli_dir(inputs):
    root = inputs.tmp()
    _write_cli_files(root, inputs)
    return root


def _check_cli_output(rc, stdout: str, stderr: str, field: str, out: Path) -> None:
    assert rc == 2, f"exit {rc}: {stderr[-2000:]}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line: {stderr!r}"
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    assert "Traceback" not in stderr
    assert not stdout.strip(), f"a run started: {stdout!r}"
    assert not out.exists() or not any(out.iterdir()), "runs were written"


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=pytest.mark.timeout(CASE_TIMEOUT_S)) for c in CLI]
)
def test_cli_exits_2_naming_the_field(case: CliCase, cli_dir, capsys):
    from bayes_widgets.cli import main

    config = cli_dir / f"{abs(hash(case.id))}.toml"
    config.write_text(textwrap.dedent(case.toml))
    out = cli_dir / f"out-{abs(hash(case.id))}"
    rc = main(["fleet", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    _check_cli_output(rc, captured.out, captured.err, case.field, out)


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        pytest.param(["missing.toml"], "config", id="config file missing"),
        pytest.param(["."], "config", id="config is a directory"),
        pytest.param(["good.toml", "--out-file"], None, id="unknown command-line option"),
    ],
)
@pytest.mark.timeout(CASE_TIMEOUT_S)
def test_cli_command_line_errors(argv, field, cli_dir, capsys):
    from bayes_widgets.cli import main

    (cli_dir / "good.toml").write_text(HEAD + "[fleets.production]\n")
    argv = [
        "fleet",
        *[str(cli_dir / a) if not a.startswith("-") else a for a in argv],
        "--out",
        str(cli_dir / "out-argv"),
    ]
    if field is None:  # argparse's own refusal: usage and one error line, exit 2
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert [line for line in err.splitlines() if "error:" in line] == [
            "bayes-widgets: error: unrecognized arguments: --out-file"
        ]
        return
    rc = main(argv)
    captured = capsys.readouterr()
    _check_cli_output(rc, captured.out, captured.err, field, cli_dir / "out-argv")


@pytest.mark.timeout(CASE_TIMEOUT_S)
def test_cli_process_exits_2_with_one_error_line(cli_dir):
    """The installed command's way: a process whose stderr holds the one line (no traceback),
    for a malformed file and for a bad fit option found after the data and model are read."""
    for toml, field in (
        ('data = "data.csv"\n[model\n', "config"),
        (HEAD + "[fit]\ndraws = 0\n[fleets.production]\n", "fit.draws"),
    ):
        config = cli_dir / "process.toml"
        config.write_text(toml)
        out = cli_dir / "out-process"
        proc = subprocess.run(
            [sys.executable, "-m", "bayes_widgets.cli", "fleet", str(config), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=CASE_TIMEOUT_S,
        )
        _check_cli_output(proc.returncode, proc.stdout, proc.stderr, field, out)


def test_the_corpus_is_large():
    total = len(CASES) + len(WIDGET_CASES) + len(CLI) + 3 + 2
    assert total >= 100, total

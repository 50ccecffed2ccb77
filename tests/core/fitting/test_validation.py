"""Bad fit inputs fail early, with a FitInputError that names what to fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.validation import FitInputError


@pytest.fixture(scope="module")
def eight_schools():
    return bw.datasets.eight_schools_noncentered()


def _raises(field: str, *args, **kwargs) -> FitInputError:
    with pytest.raises(FitInputError) as info:
        FitSession(*args, **kwargs)
    err = info.value
    assert err.field == field
    assert str(err).startswith(f"{field}: ")
    return err


def test_fit_input_error_is_a_value_error_and_exported():
    err = FitInputError("draws", "must be > 0")
    assert isinstance(err, ValueError)
    assert err.field == "draws"
    assert str(err) == "draws: must be > 0"
    assert bw.FitInputError is FitInputError


# -- the model ---------------------------------------------------------------------------


def test_not_a_pymc_model():
    err = _raises("model", {"mu": 1.0})
    assert "pymc.Model" in str(err)
    assert "dict" in str(err)


def test_model_without_free_variables():
    import pymc as pm

    with pm.Model() as model:
        pm.Deterministic("d", pm.math.constant(1.0))
    err = _raises("model", model)
    assert "no free variables" in str(err)


def test_nan_in_shared_observed_data():
    import pymc as pm

    with pm.Model() as model:
        x = pm.Data("x", np.array([1.0, 2.0, 3.0, 4.0]))
        mu = pm.Normal("mu")
        pm.Normal("obs", mu, 1.0, observed=x)
        # pm.Data refuses NaN when created; new data with NaN can still be set later
        pm.set_data({"x": np.array([1.0, np.nan, 3.0, np.nan])})
    err = _raises("model", model)
    assert "'obs'" in str(err)
    assert "NaN" in str(err)
    assert "2 of 4" in str(err)


def test_nan_in_pytensor_shared_observed_data():
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu")
        pm.Normal("obs", mu, 1.0, observed=pytensor.shared(np.array([1.0, np.nan, 3.0])))
    err = _raises("model", model)
    assert "'obs'" in str(err) and "NaN" in str(err)


def _model_with_imputation():
    """PyMC turns NaN in a plain numpy observed array into a free 'obs_unobserved'."""
    import pymc as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyMC's ImputationWarning
        with pm.Model() as model:
            mu = pm.Normal("mu")
            pm.Normal("obs", mu, 1.0, observed=np.array([1.0, np.nan, 3.0]))
    assert "obs_unobserved" in [rv.name for rv in model.free_RVs]
    return model


def test_nan_in_numpy_observed_data_is_refused():
    err = _raises("model", _model_with_imputation())
    msg = str(err)
    assert "'obs'" in msg
    assert "NaN" in msg
    assert "allow_missing=True" in msg


def test_allow_missing_lets_imputation_through():
    session = FitSession(_model_with_imputation(), allow_missing=True)
    assert session.status == "created"
    assert session.trace_names[0] == "mu"


# -- numeric arguments -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"draws": 0}, "draws", "> 0"),
        ({"draws": -1}, "draws", "> 0"),
        ({"draws": 1.5}, "draws", "integer"),
        ({"draws": True}, "draws", "integer"),
        ({"draws": "100"}, "draws", "integer"),
        ({"chains": 0}, "chains", "> 0"),
        ({"tune": -1}, "tune", "≥ 0"),
        ({"tune": 2.0}, "tune", "integer"),
        ({"cores": 0}, "cores", "> 0"),
        ({"target_accept": 1.2}, "target_accept", "(0, 1)"),
        ({"target_accept": 0.0}, "target_accept", "(0, 1)"),
        ({"target_accept": "high"}, "target_accept", "number"),
        ({"rate_hz": 0}, "rate_hz", "(0, 50]"),
    ],
)
def test_bad_numbers_name_the_field(tiny_model, kwargs, field, fragment):
    err = _raises(field, tiny_model, **kwargs)
    assert fragment in str(err)


def test_valid_numbers_are_accepted(tiny_model):
    session = FitSession(
        tiny_model, draws=np.int64(10), tune=0, chains=1, cores=1, target_accept=0.9
    )
    assert session.config.draws == 10 and isinstance(session.config.draws, int)
    assert session.config.tune == 0
    assert session.config.target_accept == pytest.approx(0.9)


def test_unknown_backend(tiny_model):
    err = _raises("backend", tiny_model, backend="stan")
    assert "'stan'" in str(err)
    assert "pymc" in str(err) and "nutpie" in str(err)


def test_fit_validates_before_starting(tiny_model):
    with pytest.raises(FitInputError) as info:
        bw.fit(tiny_model, backend="stan")
    assert info.value.field == "backend"
    with pytest.raises(FitInputError) as info:
        bw.fit(tiny_model, draws=0)
    assert info.value.field == "draws"


# -- var_names ---------------------------------------------------------------------------


def test_default_trace_names_of_eight_schools(eight_schools):
    session = FitSession(eight_schools)
    # scalars first, then the first elements of the larger vector, up to eight traces
    assert session.trace_names == ("mu", "tau", *(f"theta_trans[{i}]" for i in range(6)))


def test_var_names_expand_arrays(eight_schools):
    session = FitSession(eight_schools, var_names=["theta_trans"])
    assert session.trace_names == tuple(f"theta_trans[{i}]" for i in range(8))


def test_var_names_take_elements_and_deterministics(eight_schools):
    session = FitSession(eight_schools, var_names=["mu", "theta[3]", "theta_trans[ 7 ]", "mu"])
    assert session.trace_names == ("mu", "theta[3]", "theta_trans[7]")
    assert session.state.trace_names == session.trace_names


def test_var_names_unknown_name(eight_schools):
    err = _raises("var_names", eight_schools, var_names=["mu", "nope"])
    msg = str(err)
    assert "'nope'" in msg
    assert "mu" in msg and "theta_trans" in msg  # says what can be chosen


@pytest.mark.parametrize("name", ["theta_trans[9]", "theta_trans[8]", "theta_trans[0, 1]", "mu[0]"])
def test_var_names_out_of_range(eight_schools, name):
    err = _raises("var_names", eight_schools, var_names=[name])
    assert repr(name) in str(err)
    assert "out of range" in str(err)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc"])
def test_seed_must_be_a_non_negative_integer(seed):
    import bayes_widgets as bw
    from bayes_widgets.datasets import eight_schools_noncentered

    with pytest.raises(bw.FitInputError, match="seed"):
        bw.FitSession(eight_schools_noncentered(), seed=seed)

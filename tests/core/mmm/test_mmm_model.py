"""The MMM wrapper: options, priors and the built pymc-marketing model."""

from __future__ import annotations

import pytest
from pymc_extras.prior import Prior

from bayes_widgets.core.mmm import ADSTOCKS, SATURATIONS, MMMDataError, MMMModel
from bayes_widgets.datasets import mmm_example


def make(**kwargs):
    opts = {
        "target": "y",
        "date_column": "date_week",
        "channels": ["x1", "x2"],
        "controls": ["event_1", "event_2"],
        "lag_max": 4,
    }
    opts.update(kwargs)
    return MMMModel(mmm_example(), **opts)


@pytest.mark.parametrize("adstock", list(ADSTOCKS))
@pytest.mark.parametrize("saturation", list(SATURATIONS))
def test_every_component_builds(adstock, saturation):
    model = make(adstock=adstock, saturation=saturation)
    mmm = model.build(slice(0, 60))
    names = {rv.name for rv in mmm.model.free_RVs}
    assert any(n.startswith("adstock_") for n in names)
    assert any(n.startswith("saturation_") for n in names)
    assert mmm.model["y"].type.shape[-1] in (60, None)


def test_priors_default_and_edit():
    model = make()
    assert model.priors["saturation_lam"].distribution == "Gamma"
    model.set_priors(
        {
            "saturation_lam": Prior("Gamma", mu=2, sigma=1, dims="channel"),
            "intercept": {"dist": "Normal", "kwargs": {"mu": 0.5, "sigma": 1.0}},
        }
    )
    mmm = model.build()
    assert mmm.model_config["saturation_lam"].parameters == {"mu": 2, "sigma": 1}
    assert mmm.model_config["intercept"].parameters == {"mu": 0.5, "sigma": 1.0}
    with pytest.raises(MMMDataError, match="nope: not a prior"):
        model.set_priors({"nope": Prior("Normal")})


def test_options_are_checked():
    with pytest.raises(MMMDataError, match="adstock: unknown adstock 'binomial'"):
        make(adstock="binomial")
    with pytest.raises(MMMDataError, match="saturation"):
        make(saturation="linear")
    with pytest.raises(MMMDataError, match="lag_max"):
        make(lag_max=0)
    with pytest.raises(MMMDataError, match="yearly_seasonality"):
        make(yearly_seasonality=0)
    with pytest.raises(MMMDataError, match="x3: no such column"):
        make(channels=["x1", "x3"])


def test_scaling_off_and_time_varying_media():
    mmm = make(scale_data=False).build()
    assert float(mmm.scaling.target.value) == 1.0
    tvp = make(time_varying_media=True).build()
    assert any("media_temporal" in rv.name for rv in tvp.model.free_RVs)


def test_summaries_before_a_fit_name_the_fit():
    with pytest.raises(MMMDataError, match="fit"):
        make().summarize_variable("intercept")


@pytest.mark.slow
def test_fit_attaches_draws_and_summarizes_in_original_units(national_fit):
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    model = national_fit  # fitted by nutpie in conftest.py, with the default backend
    assert model.backend == "nutpie"
    assert model.mmm.is_fitted_
    assert "intercept_contribution" in model.mmm.fit_result  # pymc-marketing's own accessor
    s = model.summarize_variable("intercept")
    raw = model.mmm.idata["posterior"]["intercept_contribution"].values
    assert s["coef"] == pytest.approx(raw.mean() * target_scale(model.mmm))
    assert s["ci_low"] < s["coef"] < s["ci_up"]
    lam = model.summarize_variable("saturation_lam")
    assert [r["label"] for r in lam["rows"]] == ["x1", "x2"] and lam["scale"] == 1.0
    assert np.isfinite([r["coef"] for r in lam["rows"]]).all()
    with pytest.raises(MMMDataError, match="var_name"):
        model.summarize_variable("nope")
    # sampled as pymc-marketing samples it: data frozen into constants; nutpie adapts from draws
    from bayes_widgets.core.mmm.fitting import default_sampler_kwargs, sampling_model

    assert (
        default_sampler_kwargs("nutpie") == {"adaptation": "draw_diag"}
        and default_sampler_kwargs("pymc") == {}
    )
    from pytensor.compile.sharedvalue import SharedVariable

    def shared(m):
        return [v for v in m.data_vars if isinstance(v, SharedVariable)]

    assert shared(model.mmm.model) and not shared(sampling_model(model.mmm))


@pytest.mark.slow
def test_predict_tables_refresh_and_save_load(national_fit, tmp_path):
    import numpy as np

    df = mmm_example()
    model = national_fit  # fitted on the first 160 weeks (conftest.py)
    assert len(model.data) == 160
    new = df.iloc[160:170].drop(columns="y")
    pred = model.predict(new, seed=3)
    assert len(pred) == 10
    assert (pred["hdi_0.94_low"] < pred["mean"]).all() and (
        pred["mean"] < pred["hdi_0.94_high"]
    ).all()
    actual = df["y"].iloc[160:170].to_numpy()
    assert np.mean(np.abs(pred["mean"] - actual) / actual) < 0.5  # original units, not scaled ones
    assert set(model.contributions()["channel"]) == {"x1", "x2"}
    assert set(model.roas()["channel"]) == {"x1", "x2"}
    with pytest.raises(MMMDataError, match="x2"):
        model.predict(new.drop(columns="x2"))
    model.save(tmp_path / "m")
    loaded = MMMModel.load(tmp_path / "m")
    assert loaded.config() == model.config()
    assert loaded.summarize_variable("intercept")["coef"] == pytest.approx(
        model.summarize_variable("intercept")["coef"]
    )
    # refreshed: the loaded copy (the shared fit stays as it is)
    result = loaded.refresh(df.iloc[160:170], draws=50, tune=50, chains=2, seed=4)
    assert result.status == "finished" and len(loaded.data) == 170 and len(model.data) == 160
    assert loaded.mmm.idata["posterior"].sizes["date"] == 170
    with pytest.raises(MMMDataError, match="date_week"):
        loaded.refresh(df.iloc[100:105])  # dates already there


@pytest.mark.slow
def test_time_varying_media_fits_with_pymc_and_traces_named_variables():
    import numpy as np

    from bayes_widgets.core.fitting.session import FitSession

    model = make(time_varying_media=True)
    mmm = model.build(slice(0, 52))
    session = FitSession(
        mmm.model,
        backend="pymc",
        draws=30,
        tune=30,
        chains=2,
        seed=3,
        var_names=["y_sigma", "saturation_lam[1]"],
        # what is checked is the tracing, not the posterior: short trees, cheap draws
        sampler_kwargs={"max_treedepth": 5},
    )
    result = session.start().wait()
    assert result.status == "finished", result.error
    traced = session.state.posterior_draws()  # what the live plots showed, (chain, draw, k)
    posterior = result.idata["posterior"]
    np.testing.assert_allclose(traced[:, :, 0], posterior["y_sigma"].values, rtol=1e-6)
    np.testing.assert_allclose(
        traced[:, :, 1], posterior["saturation_lam"].sel(channel="x2").values, rtol=1e-6
    )


def test_priors_read_back_per_channel_build_without_implicit_dims_warnings():
    """The priors a PriorEditor reads from the built model come back per element; put
    into the model_config they say their dims, so building warns nothing."""
    import warnings

    import numpy as np

    from bayes_widgets.core.mmm.priors import model_config_with
    from bayes_widgets.core.priors import PriorDist
    from bayes_widgets.core.priors.model import ModelPriors

    model = make()
    mmm = model.build()
    read = dict(ModelPriors(mmm.model, draws=10, seed=0).priors)
    read["saturation_beta"] = PriorDist.create(
        "HalfNormal", dims=("channel",), sigma=np.array([1.0, 3.0])
    )
    config = model_config_with(mmm.model_config, read)
    # equal values per channel collapse to one number, different ones keep their dim
    assert config["adstock_alpha"].parameters == mmm.model_config["adstock_alpha"].parameters
    sigma = config["saturation_beta"].parameters["sigma"]
    assert sigma.dims == ("channel",) and sigma.values.tolist() == [1.0, 3.0]
    model.set_priors(config)
    model.set_priors(
        {
            "saturation_lam": PriorDist.create(
                "Gamma", dims=("channel",), alpha=np.array([2.0, 4.0]), beta=np.array([1.0, 1.0])
            )
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rebuilt = model.build()
    implicit = [str(w.message) for w in caught if "Implicit conversion" in str(w.message)]
    assert not implicit, implicit[0]
    assert rebuilt.model_config["saturation_lam"].parameters["beta"] == 1.0

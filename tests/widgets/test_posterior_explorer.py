"""PosteriorExplorer, Python side: quantities, summary with problems, selection, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import bayes_widgets as bw
from bayes_widgets.core.posterior import PosteriorData, PosteriorError


def tree(stuck_chain: bool = False, predictive: bool = True):
    rng = np.random.default_rng(0)
    mu = rng.normal(1.0, 0.5, size=(2, 400))
    if stuck_chain:  # one chain elsewhere: R-hat far above 1.01
        mu[1] += 5.0
    beta = rng.normal([0.0, 2.0], 0.3, size=(2, 400, 2))
    post = xr.Dataset(
        {"mu": (("chain", "draw"), mu), "beta": (("chain", "draw", "term"), beta)},
        coords={"chain": [0, 1], "draw": np.arange(400), "term": ["level", "trend"]},
    )
    groups = {"/posterior": post}
    if predictive:
        y = rng.normal(1.0, 1.0, size=30)
        pp = rng.normal(mu[..., None], 1.0, size=(2, 400, 30))
        groups["/posterior_predictive"] = xr.Dataset({"y": (("chain", "draw", "obs"), pp)})
        groups["/observed_data"] = xr.Dataset({"y": (("obs",), y)})
    return xr.DataTree.from_dict(groups)


def test_quantities_use_coordinate_labels_and_match_the_draws():
    data = PosteriorData(tree())
    assert data.names == ["mu", "beta[level]", "beta[trend]"]
    assert data.quantities("beta") == ["beta[level]", "beta[trend]"]
    draws = data.draws(["beta[trend]"])["beta[trend]"]
    assert draws.shape == (2, 400)
    np.testing.assert_allclose(draws, tree()["posterior"]["beta"].values[..., 1])
    assert data.check(["beta"]) == ["beta[level]", "beta[trend]"]
    with pytest.raises(PosteriorError, match=r"^quantities: unknown quantity 'beta\[slope\]'"):
        data.draws(["beta[slope]"])


def test_summary_flags_a_chain_that_did_not_mix():
    good = {r["name"]: r for r in PosteriorData(tree()).summary()}
    assert good["mu"]["problems"] == [] and good["mu"]["r_hat"] < 1.01
    assert good["beta[trend]"]["mean"] == pytest.approx(2.0, abs=0.05)
    bad = {r["name"]: r for r in PosteriorData(tree(stuck_chain=True)).summary()}
    assert any(p.startswith("R-hat") for p in bad["mu"]["problems"])
    assert bad["beta[level]"]["problems"] == []


def test_explorer_state_selection_and_errors():
    ex = bw.PosteriorExplorer(tree(stuck_chain=True))
    assert ex.selected[0] == "mu"  # problems first
    assert [r["name"] for r in ex.flagged()] == ["mu"]
    # the stuck chain named, in sentences, by the rules of result.diagnostics
    assert ex.problems[0].startswith("R-hat above 1.01: mu ")
    assert ex.problems[1].startswith("ESS bulk below 200 (100 per chain × 2): mu ")
    assert "beta" not in " ".join(ex.problems)
    assert ex.facts["predictive"] == {"name": "y", "curves": 100, "observed": 30}
    item = json.loads(ex.posterior_figure)
    text = json.dumps(item)
    assert '"name": "draws"' in text and '"name": "ppc"' in text
    json.dumps(ex.summary, allow_nan=False)
    ex._dispatch(ex, {"type": "select", "quantities": ["beta[trend]", "mu"]}, [])
    assert ex.selected == ["beta[trend]", "mu"] and ex.error == ""
    before = ex.posterior_figure
    ex._dispatch(ex, {"type": "select", "quantities": ["nope"]}, [])
    assert ex.error.startswith("selected: unknown quantity 'nope'")
    assert ex.posterior_figure == before and ex.selected == ["beta[trend]", "mu"]  # state kept
    ex._dispatch(ex, {"type": "forest", "variables": ["beta"]}, [])
    assert ex.forest_variables == ["beta"] and '"beta[trend]"' in ex.forest_figure


def test_old_figure_trait_names_still_read_with_a_warning():
    ex = bw.PosteriorExplorer(tree(predictive=False), max_draws=100)
    with pytest.warns(DeprecationWarning, match="posterior_figure"):
        assert ex.figure == ex.posterior_figure != ""
    with pytest.warns(DeprecationWarning, match="forest_figure"):
        assert ex.forest == ex.forest_figure != ""


def test_draws_are_thinned_for_plots_and_bad_sources_are_named():
    ex = bw.PosteriorExplorer(tree(predictive=False), max_draws=100)
    assert ex.facts["draws_shown"] == 100 and ex.facts["draws_total"] == 800
    assert ex.facts["predictive"] is None
    with pytest.raises(PosteriorError, match=r"^source: "):
        bw.PosteriorExplorer([1, 2, 3])
    with pytest.raises(PosteriorError, match=r"^var_names: "):
        bw.PosteriorExplorer(tree(), var_names=["sigma"])
    with pytest.raises(PosteriorError, match=r"^source: has no posterior"):
        bw.PosteriorExplorer(
            xr.DataTree.from_dict({"/observed_data": xr.Dataset({"y": ("obs", [1.0])})})
        )


def test_deterministic_per_observation_is_one_line_after_the_free_parameters():
    """A DataTree without the fit's record of deterministics: a variable along a dimension
    of the observed data counts as one (a linear predictor), listed after the free ones."""
    rng = np.random.default_rng(1)
    post = xr.Dataset(
        {
            "mu": (("chain", "draw", "obs"), rng.normal(size=(2, 300, 30))),
            "beta": (("chain", "draw", "term"), rng.normal(size=(2, 300, 2))),
        },
        coords={"term": ["level", "trend"]},
    )
    obs = xr.Dataset({"y": (("obs",), rng.normal(size=30))})
    ex = bw.PosteriorExplorer(xr.DataTree.from_dict({"/posterior": post, "/observed_data": obs}))
    assert [r["name"] for r in ex.summary][:2] == ["beta[level]", "beta[trend]"]
    assert [(g["variable"], g["kind"], g["size"]) for g in ex.groups] == [
        ("beta", "free", 2),
        ("mu", "deterministic", 30),
    ]
    assert set(ex.selected) == {"beta[level]", "beta[trend]"}
    assert ex.forest_variables == ["beta"]

"""Diagnostics on synthetic draws built with numpy, where the right answer is known."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr

from bayes_widgets.core.fitting.diagnostics import (
    Diagnostics,
    rank_histograms,
    running_diagnostics,
    summarize,
)
from bayes_widgets.core.fitting.trim import trim_partial

CHAINS, DRAWS = 2, 1000


def _tree(posterior: dict, stats: dict | None = None, **groups) -> xr.DataTree:
    def ds(variables):
        return xr.Dataset(
            {
                k: (("chain", "draw", *[f"{k}_dim_{i}" for i in range(np.ndim(v) - 2)]), v)
                for k, v in variables.items()
            }
        )

    children = {"posterior": xr.DataTree(ds(posterior))}
    if stats is not None:
        children["sample_stats"] = xr.DataTree(ds(stats))
    for name, variables in groups.items():
        children[name] = xr.DataTree(ds(variables))
    return xr.DataTree(children=children)


def _summarize(tree, **kwargs) -> Diagnostics:
    args = {"backend": "test", "tune": 0, "wall_time_s": 2.0, "sampling_time_s": 1.0}
    args.update(kwargs)
    return summarize(tree, **args)


def test_well_mixed_chains_have_rhat_near_one():
    rng = np.random.default_rng(1)
    posterior = {"a": rng.normal(size=(CHAINS, DRAWS)), "b": rng.normal(3, 2, size=(CHAINS, DRAWS))}
    d = _summarize(_tree(posterior))
    assert d.chains == CHAINS and d.draws_per_chain == DRAWS
    assert 1.0 - 0.01 < d.rhat_max < 1.01
    # iid draws: the bulk ESS is close to the number of draws
    assert 0.7 * CHAINS * DRAWS < d.ess_bulk_min < 1.3 * CHAINS * DRAWS
    assert [p["name"] for p in d.parameters] == ["a", "b"]
    assert d.parameters[1]["mean"] == pytest.approx(3.0, abs=0.15)
    assert d.parameters[1]["sd"] == pytest.approx(2.0, rel=0.05)
    assert d.draws_per_s == pytest.approx(CHAINS * DRAWS / 1.0)


def test_chains_with_different_means_have_large_rhat():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(CHAINS, DRAWS))
    x[1] += 3.0
    d = _summarize(_tree({"a": x}))
    assert d.rhat_max > 1.1
    assert not d.converged


def test_array_parameters_get_one_row_per_element():
    rng = np.random.default_rng(3)
    d = _summarize(_tree({"theta": rng.normal(size=(CHAINS, 200, 2, 3))}))
    names = [p["name"] for p in d.parameters]
    assert names == [f"theta[{i}, {j}]" for i in range(2) for j in range(3)]
    assert set(d.table().index) == set(names)


def test_divergences_are_counted():
    rng = np.random.default_rng(4)
    diverging = np.zeros((CHAINS, DRAWS), dtype=bool)
    diverging[0, [3, 50, 999]] = True
    diverging[1, 7] = True
    d = _summarize(_tree({"a": rng.normal(size=(CHAINS, DRAWS))}, {"diverging": diverging}))
    assert d.divergences == 4
    assert not d.converged


@pytest.mark.parametrize("stat_name", ["reached_max_treedepth", "maxdepth_reached"])
def test_max_treedepth_hits_read_under_either_name(stat_name):
    rng = np.random.default_rng(5)
    hits = np.zeros((CHAINS, DRAWS), dtype=bool)
    hits[0, :5] = True
    hits[1, -2:] = True
    d = _summarize(_tree({"a": rng.normal(size=(CHAINS, DRAWS))}, {stat_name: hits}))
    assert d.max_treedepth_hits == 7


def test_missing_stats_count_zero():
    rng = np.random.default_rng(6)
    d = _summarize(_tree({"a": rng.normal(size=(CHAINS, DRAWS))}))
    assert d.divergences == 0 and d.max_treedepth_hits == 0
    assert d.ebfmi == [] and math.isnan(d.ebfmi_min)


def _ebfmi_by_hand(energy_chain) -> float:
    e = [float(v) for v in energy_chain]
    n = len(e)
    mean = sum(e) / n
    num = sum((e[t] - e[t - 1]) ** 2 for t in range(1, n)) / (n - 1)
    den = sum((v - mean) ** 2 for v in e) / n
    return num / den


def test_ebfmi_per_chain_matches_hand_computation():
    rng = np.random.default_rng(7)
    iid = rng.normal(10.0, 3.0, size=DRAWS)  # E-BFMI ~ 2
    walk = np.cumsum(rng.normal(size=DRAWS))  # a sticky chain: E-BFMI far below 0.3
    energy = np.stack([iid, walk])
    d = _summarize(_tree({"a": rng.normal(size=(CHAINS, DRAWS))}, {"energy": energy}))
    assert len(d.ebfmi) == CHAINS
    assert d.ebfmi[0] == pytest.approx(_ebfmi_by_hand(iid), rel=1e-10)
    assert d.ebfmi[1] == pytest.approx(_ebfmi_by_hand(walk), rel=1e-10)
    assert d.ebfmi[0] == pytest.approx(2.0, abs=0.2)
    assert d.ebfmi[1] < 0.3
    assert d.ebfmi_min == min(d.ebfmi)


def test_empty_or_missing_posterior_gives_nan_diagnostics():
    for tree in (None, xr.DataTree(), _tree({"a": np.empty((2, 0))})):
        d = _summarize(tree, chains=2, partial=True)
        assert d.draws_per_chain == 0 and d.chains == 2 and d.partial
        assert math.isnan(d.rhat_max) and math.isnan(d.ess_bulk_min)
        assert d.parameters == []
        out = d.to_dict()
        assert out["rhat_max"] is None and out["ess_bulk_min"] is None
        json.dumps(out, allow_nan=False)


def test_to_dict_is_json_ready_with_nan_as_none():
    rng = np.random.default_rng(8)
    # three draws: too few for ESS and R-hat, which come out NaN
    tree = _tree({"a": rng.normal(size=(CHAINS, 3))}, {"energy": rng.normal(size=(CHAINS, 3))})
    d = _summarize(tree)
    assert math.isnan(d.rhat_max)
    out = d.to_dict()
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text)["rhat_max"] is None
    assert set(out) == set(Diagnostics.__dataclass_fields__) | {"problems"}


# -- running diagnostics and rank histograms --------------------------------------------


def test_running_diagnostics_none_under_20_draws():
    rng = np.random.default_rng(9)
    rows = running_diagnostics(rng.normal(size=(2, 19, 2)), ["a", "b"])
    assert [r["name"] for r in rows] == ["a", "b"]
    for r in rows:
        assert r["r_hat"] is None and r["ess_bulk"] is None and r["ess_tail"] is None
        assert r["draws"] == 19


def test_running_diagnostics_values_from_20_draws():
    rng = np.random.default_rng(10)
    draws = rng.normal(size=(2, 400, 2))
    draws[1, :, 1] += 5.0  # second scalar: chains disagree
    rows = running_diagnostics(draws, ["a", "b"])
    assert all(r["draws"] == 400 for r in rows)
    assert rows[0]["r_hat"] < 1.02
    assert rows[1]["r_hat"] > 1.5
    assert 400 < rows[0]["ess_bulk"] < 1200
    json.dumps(rows, allow_nan=False)
    assert running_diagnostics(rng.normal(size=(2, 20, 1)), ["a"])[0]["r_hat"] is not None


def test_rank_histograms_sum_to_draws_per_chain():
    rng = np.random.default_rng(11)
    draws = rng.normal(size=(3, 250, 2))
    hist = rank_histograms(draws, bins=20)
    assert hist.shape == (2, 3, 20)
    np.testing.assert_array_equal(hist.sum(axis=2), np.full((2, 3), 250))
    # well-mixed chains: no bin is far from the expected 250 / 20
    assert hist.max() < 3 * 250 / 20


def test_rank_histograms_show_a_shifted_chain():
    rng = np.random.default_rng(12)
    draws = rng.normal(size=(2, 200, 1))
    draws[1] += 10.0
    hist = rank_histograms(draws, bins=10)
    # chain 0 holds all the low ranks, chain 1 all the high ranks
    assert hist[0, 0, :5].sum() == 200 and hist[0, 1, 5:].sum() == 200


def test_rank_histograms_without_draws():
    assert rank_histograms(np.empty((2, 0, 3)), bins=5).sum() == 0


# -- trimming partial traces -------------------------------------------------------------


def test_trim_partial_drops_empty_chain_and_trims_to_shortest():
    rng = np.random.default_rng(13)
    n_max = 12
    lengths = [10, 7, 0]  # draws made per chain when the fit was cancelled
    post = np.full((3, n_max), np.nan)
    step = np.full((3, n_max), np.nan)
    for c, n in enumerate(lengths):
        post[c, :n] = rng.normal(size=n)
        step[c, :n] = 0.5
    warm = rng.normal(size=(3, 5))
    tree = _tree(
        {"mu": post},
        {"step_size": step},
        warmup_posterior={"mu": warm},
        warmup_sample_stats={"step_size": np.full((3, 5), 0.4)},
    )
    out, dropped = trim_partial(tree)
    assert dropped == [2]
    p = out["posterior"].to_dataset()
    assert dict(p.sizes) == {"chain": 2, "draw": 7}
    assert list(p["chain"].values) == [0, 1]
    assert not np.isnan(p["mu"].values).any()
    np.testing.assert_array_equal(p["mu"].values, post[:2, :7])
    assert dict(out["sample_stats"].to_dataset().sizes) == {"chain": 2, "draw": 7}
    # warmup was complete in every chain: left as it was
    np.testing.assert_array_equal(out["warmup_posterior"].to_dataset()["mu"].values, warm)


def test_trim_partial_keeps_a_complete_tree_and_handles_none():
    rng = np.random.default_rng(14)
    tree = _tree({"mu": rng.normal(size=(2, 9))}, {"step_size": np.full((2, 9), 0.3)})
    out, dropped = trim_partial(tree)
    assert dropped == []
    np.testing.assert_array_equal(out["posterior"]["mu"].values, tree["posterior"]["mu"].values)
    assert trim_partial(None) == (None, [])


def test_extract_traced_handles_groups_with_no_draws_yet():
    """nutpie's inspect() returns empty groups while tuning; an element name must not fail."""
    import xarray as xr

    from bayes_widgets.core.model_info import extract_traced

    ds = xr.Dataset(
        {
            "theta": (("chain", "draw", "school"), np.zeros((2, 0, 8))),
            "mu": (("chain", "draw"), np.zeros((2, 0))),
        }
    )
    out = extract_traced(ds, ["mu", "theta[3]"])
    assert out.shape == (2, 0, 2)

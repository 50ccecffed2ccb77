"""ECDF differences with simultaneous bands, and rank histograms, of calibration ranks."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.calibration.ecdf import (
    default_bins,
    ecdf_difference,
    fractional_ranks,
    outside_band,
    rank_histogram,
    simultaneous_band,
)
from bayes_widgets.core.errors import InputError


def test_uniform_ranks_stay_inside_the_band_about_as_often_as_prob():
    rng = np.random.default_rng(1)
    max_rank, n = 99, 80
    inside = [
        not outside_band(ecdf_difference(rng.integers(0, max_rank + 1, n), max_rank))
        for _ in range(300)
    ]
    assert 0.90 <= np.mean(inside) <= 0.985


def test_coarse_ranks_stay_inside_the_band_too():
    # only 10 possible ranks, many simulations: the ties must not push the curve out
    rng = np.random.default_rng(2)
    inside = [not outside_band(ecdf_difference(rng.integers(0, 10, 200), 9)) for _ in range(200)]
    assert np.mean(inside) >= 0.88


@pytest.mark.parametrize(
    "distort",
    [
        pytest.param(lambda r, top: np.minimum(r + top // 4, top), id="shifted up"),
        pytest.param(lambda r, top: np.maximum(r - top // 4, 0), id="shifted down"),
        pytest.param(lambda r, top: np.where(r < top / 2, r // 3, top - (top - r) // 3), id="U"),
        pytest.param(lambda r, top: top // 4 + r // 2, id="hump"),
    ],
)
def test_miscalibrated_ranks_leave_the_band(distort):
    rng = np.random.default_rng(3)
    top = 99
    left = [
        outside_band(ecdf_difference(distort(rng.integers(0, top + 1, 100), top), top))
        for _ in range(40)
    ]
    assert np.mean(left) >= 0.95


def test_difference_is_the_ecdf_of_fractional_ranks_minus_the_uniform_cdf():
    ranks = np.array([0, 5, 5, 9, 3, 7, 1, 8])
    curve = ecdf_difference(ranks, 9)
    n = len(ranks)
    assert curve["n"] == n
    np.testing.assert_allclose(curve["x"], np.arange(n + 1) / n)
    frac = fractional_ranks(ranks, 9)
    assert ((frac > ranks / 10) & (frac < (ranks + 1) / 10)).all()
    expected = np.array([(frac <= x).mean() for x in curve["x"]]) - curve["x"]
    np.testing.assert_allclose(curve["difference"], expected)
    # the same rank keeps its place when more ranks arrive: curves do not jitter
    np.testing.assert_array_equal(fractional_ranks(np.r_[ranks, 2, 4], 9)[:n], frac)


def test_band_is_arviz_simultaneous_envelope():
    from arviz_stats.ecdf_utils import ecdf_pit

    x, lower, upper = simultaneous_band(40, 0.9)
    ax, _, alower, aupper = ecdf_pit(
        np.linspace(0, 1, 40), 0.9, 1000, rng=np.random.default_rng(214)
    )
    np.testing.assert_allclose(x, ax)
    np.testing.assert_allclose(lower, alower)
    np.testing.assert_allclose(upper, aupper)
    curve = ecdf_difference(np.arange(40) % 20, 19, prob=0.9)
    assert (curve["lower"] <= 0).all() and (curve["upper"] >= 0).all()
    assert curve["upper"][1:-1].min() > 0  # a real band, not a line
    # fewer simulations: a wider band
    assert (
        ecdf_difference(np.arange(10), 9)["upper"].max()
        > ecdf_difference(np.arange(100) % 10, 9)["upper"].max()
    )


def test_no_ranks_yet_gives_empty_curves_and_histograms():
    curve = ecdf_difference([], 50)
    assert curve["n"] == 0 and curve["x"].size == 0
    assert not outside_band(curve)
    one = ecdf_difference([7], 50)
    assert one["x"].tolist() == [0, 1] and one["difference"].tolist() == [0, 0]
    assert not outside_band(one)
    hist = rank_histogram([], 50, bins=5)
    assert hist["count"].tolist() == [0] * 5 and hist["upper"].tolist() == [0] * 5


def test_histogram_counts_every_rank_once_in_whole_rank_bins():
    rng = np.random.default_rng(4)
    ranks = rng.integers(0, 101, 300)
    hist = rank_histogram(ranks, 100, bins=7, prob=0.9)
    assert hist["left"][0] == 0 and hist["right"][-1] == 101
    np.testing.assert_array_equal(hist["left"][1:], hist["right"][:-1])
    assert hist["count"].sum() == 300
    for left, right, count in zip(hist["left"], hist["right"], hist["count"], strict=True):
        assert count == ((ranks >= left) & (ranks < right)).sum()
    assert hist["expected"].sum() == pytest.approx(300)
    assert (hist["lower"] < hist["expected"]).all() and (hist["expected"] < hist["upper"]).all()
    # the binomial interval: a bin holding 1/7 of the ranks out of 300
    from scipy.stats import binom

    share = (hist["right"][0] - hist["left"][0]) / 101
    assert hist["lower"][0] == binom.ppf(0.05, 300, share)
    assert hist["upper"][0] == binom.ppf(0.95, 300, share)


def test_default_bins_follow_the_number_of_simulations():
    assert default_bins(100, 999) == 10
    assert default_bins(10, 999) == 4
    assert default_bins(10_000, 999) == 50
    assert default_bins(1000, 7) == 8  # never more bins than ranks


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: ecdf_difference([0, 1, 12], 10), "ranks"),
        (lambda: ecdf_difference([0, -1], 10), "ranks"),
        (lambda: ecdf_difference([0.5, 1], 10), "ranks"),
        (lambda: ecdf_difference([[0, 1]], 10), "ranks"),
        (lambda: ecdf_difference([0, np.nan], 10), "ranks"),
        (lambda: ecdf_difference(["a"], 10), "ranks"),
        (lambda: ecdf_difference([0, 1], 0), "max_rank"),
        (lambda: ecdf_difference([0, 1], 2.5), "max_rank"),
        (lambda: ecdf_difference([0, 1], 10, prob=1.0), "prob"),
        (lambda: ecdf_difference([0, 1], 10, prob="0.9"), "prob"),
        (lambda: rank_histogram([0, 1], 10, bins=0), "bins"),
        (lambda: rank_histogram([0, 1], 10, bins=12), "bins"),
        (lambda: rank_histogram([0, 1], 10, prob=0), "prob"),
    ],
)
def test_bad_inputs_name_their_field(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")

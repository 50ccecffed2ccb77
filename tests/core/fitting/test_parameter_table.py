"""The diagnostics' per-scalar table, computed in blocks: the same numbers as computing
every scalar at once, with bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import xarray as xr

from bayes_widgets.core.fitting.diagnostics import summarize
from bayes_widgets.core.fitting.parameter_table import (
    block_size,
    block_statistics,
    element_labels,
    parameter_table,
)

KEYS = ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat")


def _posterior(chains=3, draws=200, seed=0) -> xr.Dataset:
    """A free scalar, a free vector with coordinates, a slowly mixing parameter, a
    constant, and a (date, geo) deterministic without coordinates on one dimension."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=(chains, draws, 2)), axis=1)  # poorly mixed
    return xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(size=(chains, draws))),
            "beta": (("chain", "draw", "channel"), rng.gamma(2.0, size=(chains, draws, 3))),
            "slow": (("chain", "draw", "slow_dim_0"), walk),
            "fixed": (("chain", "draw"), np.ones((chains, draws))),
            "contribution": (
                ("chain", "draw", "date", "geo"),
                rng.normal(size=(chains, draws, 7, 4)).astype(np.float32),
            ),
        },
        coords={"channel": ["tv", "radio", "search"], "geo": ["a", "b", "c", "d"]},
    )


def _unblocked(posterior, order) -> dict[str, np.ndarray]:
    """Every scalar stacked into one (chain, draw, K) array, as one ArviZ call each."""
    arrays = []
    for name in order:
        v = np.asarray(posterior[name].transpose("chain", "draw", ...).values, dtype=float)
        arrays.append(v.reshape(v.shape[0], v.shape[1], -1))
    return block_statistics(np.concatenate(arrays, axis=2))


@pytest.mark.parametrize("block_bytes", [1, 3 * 200 * 8 * 5, 10**9])
def test_blocked_table_equals_the_table_of_every_scalar_at_once(block_bytes):
    post = _posterior()
    kinds = {"contribution": "deterministic"}
    rows = parameter_table(post, kinds, block_bytes=block_bytes)
    order = ["mu", "beta", "slow", "fixed", "contribution"]
    whole = _unblocked(post, order)
    assert len(rows) == 1 + 3 + 2 + 1 + 28 == len(whole["mean"])
    for j, row in enumerate(rows):
        for key in KEYS:
            assert row[key] == pytest.approx(float(whole[key][j]), rel=1e-12, nan_ok=True), (
                row["name"],
                key,
            )
    names = [r["name"] for r in rows]
    assert names[:4] == ["mu", "beta[tv]", "beta[radio]", "beta[search]"]
    assert names[-1] == "contribution[6, d]" and rows[-1]["kind"] == "deterministic"
    assert rows[0]["kind"] == "free" and rows[0]["variable"] == "mu"
    # the slowly mixing walk is flagged, the constant has no R-hat and no problem
    slow = [r for r in rows if r["variable"] == "slow"]
    assert all(r["r_hat"] > 1.01 and r["problems"] for r in slow)
    fixed = next(r for r in rows if r["name"] == "fixed")
    assert np.isnan(fixed["r_hat"]) and fixed["problems"] == []


def test_deterministics_come_after_free_parameters_in_model_order():
    post = _posterior()
    rows = parameter_table(post, {"mu": "deterministic", "slow": "deterministic"}, block_bytes=64)
    variables = list(dict.fromkeys(r["variable"] for r in rows))
    assert variables == ["beta", "fixed", "contribution", "mu", "slow"]


def test_block_size_holds_a_bounded_number_of_draws():
    assert block_size(4, 1000, 4 * 2**20) == 131
    assert block_size(4, 1000, 1) == 1  # never empty
    assert block_size(1, 1, 8) == 1


def test_labels_follow_coordinates_or_positions():
    post = _posterior()
    labels = element_labels(post["contribution"].transpose("chain", "draw", ...))
    assert labels[:5] == [
        "contribution[0, a]",
        "contribution[0, b]",
        "contribution[0, c]",
        "contribution[0, d]",
        "contribution[1, a]",
    ]


def test_memory_of_the_table_is_bounded_by_the_block_not_the_draws():
    """400 deterministic scalars × 2 × 3000 draws (19 MB of draws) in blocks of 512 KiB:
    the computation holds a small multiple of one block (~0.3× the draws), not copies
    of all the draws (one block of everything peaks at ~12× the draws)."""
    rng = np.random.default_rng(3)
    post = xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(size=(2, 3000))),
            "det": (("chain", "draw", "cell"), rng.normal(size=(2, 3000, 400))),
        }
    )
    parameter_table(post.isel(cell=slice(0, 2)))  # imports ArviZ outside the measure
    tracemalloc.start()
    rows = parameter_table(post, {"det": "deterministic"}, block_bytes=2**19)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(rows) == 401 and rows[-1]["name"] == "det[399]"
    assert peak < 0.5 * post["det"].nbytes, peak / post["det"].nbytes


def test_summarize_takes_its_maxima_over_every_quantity():
    post = _posterior()
    tree = xr.DataTree(children={"posterior": xr.DataTree(post)})
    d = summarize(
        tree,
        backend="test",
        tune=0,
        wall_time_s=1.0,
        sampling_time_s=1.0,
        kinds={"contribution": "deterministic"},
    )
    finite = [p for p in d.parameters if np.isfinite(p["r_hat"])]
    assert d.rhat_max == max(p["r_hat"] for p in finite)
    assert d.ess_bulk_min == min(p["ess_bulk"] for p in finite)

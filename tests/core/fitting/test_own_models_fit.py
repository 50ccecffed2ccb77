"""Fits of models written by hand the way the PyMC docs teach (pm.Data with named dims
and coords, a deterministic linear predictor, a logistic regression, a centred
eight-schools hierarchy), with the pymc and nutpie backends and tiny draws.

What a user reads must agree everywhere: coordinate labels (``beta[price]``) in the
result, the monitor and the explorer; free parameters before deterministics; and every
problem named by the one rule set of ``core/fitting/diagnostics.py`` in the result's
diagnostics, the explorer and the monitor alike.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting.capture import FitCapture
from bayes_widgets.core.fitting.diagnostics import fit_problems, parameter_problems
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.state import FitState, schedule_eta

BACKENDS = ["pymc", "nutpie"]
FEATURES = ["temp", "price", "weekend"]


def regression(n: int = 120):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(20, 5, n), rng.normal(3, 1, n), rng.integers(0, 2, n)])
    y = 10 + X @ np.array([0.5, -2.0, 3.0]) + rng.normal(0, 1, n)
    with pm.Model(coords={"obs": np.arange(n), "feature": FEATURES}) as model:
        Xd = pm.Data("X", X, dims=("obs", "feature"))
        intercept = pm.Normal("intercept", 0, 10)
        beta = pm.Normal("beta", 0, 5, dims="feature")
        sigma = pm.HalfNormal("sigma", 2)
        mu = pm.Deterministic("mu", intercept + pm.math.dot(Xd, beta), dims="obs")
        pm.Normal("y", mu, sigma, observed=y, dims="obs")
    return model


def logistic(n: int = 80):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(0.3 + x @ np.array([1.5, -1.0]))))
    with pm.Model(coords={"row": np.arange(n), "input": ["dose", "age"]}) as model:
        xd = pm.Data("x", x, dims=("row", "input"))
        a = pm.Normal("a", 0, 2)
        b = pm.Normal("b", 0, 2, dims="input")
        pm.Bernoulli(
            "outcome", logit_p=a + pm.math.dot(xd, b), observed=rng.binomial(1, p), dims="row"
        )
    return model


SCHOOLS = ["A", "B", "C", "D", "E", "F", "G", "H"]


def eight_schools_centred():
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    with pm.Model(coords={"school": SCHOOLS}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        theta = pm.Normal("theta", mu, tau, dims="school")
        pm.Normal("obs", theta, sigma, observed=y, dims="school")
    return model


@pytest.fixture(scope="module")
def models():
    return {"regression": regression(), "logistic": logistic(), "schools": eight_schools_centred()}


# -- labels, order and default traces ------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_regression_labels_order_and_default_traces(models, backend):
    session = FitSession(
        models["regression"], backend=backend, draws=100, tune=100, chains=2, cores=1, seed=2
    )
    # every element of the 3-vector is traced, with its coordinate label
    assert session.trace_labels == (
        "intercept",
        "beta[temp]",
        "beta[price]",
        "beta[weekend]",
        "sigma",
    )
    assert session.trace_names == ("intercept", "beta[0]", "beta[1]", "beta[2]", "sigma")
    r = session.start().wait(timeout=120)
    names = list(r.summary().index)
    assert names[:5] == ["intercept", "beta[temp]", "beta[price]", "beta[weekend]", "sigma"]
    assert names[5:] == [f"mu[{i}]" for i in range(120)]  # the deterministic after every free one
    kinds = r.summary()["kind"]
    assert set(kinds.iloc[:5]) == {"free"} and set(kinds.iloc[5:]) == {"deterministic"}
    groups = r.diagnostics.groups()
    assert [(g["variable"], g["kind"], g["size"]) for g in groups] == [
        ("intercept", "free", 1),
        ("beta", "free", 3),
        ("sigma", "free", 1),
        ("mu", "deterministic", 120),
    ]
    # the explorer reads the same labels and the same order from the result
    ex = bw.PosteriorExplorer(r)
    assert [row["name"] for row in ex.summary] == names
    assert set(ex.selected) <= set(names[:5])  # picked among free parameters


def test_var_names_accept_coordinate_labels(models):
    session = FitSession(models["regression"], backend="pymc", var_names=["beta[price]", "mu[3]"])
    assert session.trace_names == ("beta[1]", "mu[3]")
    assert session.trace_labels == ("beta[price]", "mu[3]")
    with pytest.raises(
        bw.FitInputError,
        match=r"^var_names: 'beta\[cost\]': 'cost' is not a coordinate of 'beta' \(temp, price, weekend\)",
    ):
        FitSession(models["regression"], backend="pymc", var_names=["beta[cost]"])


def test_default_traces_fill_with_the_first_elements_of_a_larger_vector(models):
    session = FitSession(models["schools"], backend="pymc")
    # mu, tau, then theta's 8 schools do not all fit in 8 traces: its first 6
    assert session.trace_labels == ("mu", "tau", *[f"theta[{s}]" for s in SCHOOLS[:6]])


# -- one rule set: result, explorer, monitor ------------------------------------------------
@pytest.fixture(scope="module")
def schools_fits(models):
    """The centred hierarchy with few draws: divergences and low ESS, for real."""
    return {
        b: bw.fit(models["schools"], backend=b, draws=150, tune=150, chains=2, cores=1, seed=5)
        for b in BACKENDS
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_centred_hierarchy_problems_named_the_same_everywhere(schools_fits, backend):
    r = schools_fits[backend]
    d = r.diagnostics
    stats = r.idata["sample_stats"].to_dataset()
    divergent = int(np.asarray(stats["diverging"].values).sum())
    assert d.divergences == divergent  # nutpie's 'diverging' counted like PyMC's
    problems = d.problems
    assert problems, "a centred eight-schools fit with 150 draws has problems"
    assert r.problems == problems
    assert not d.converged
    if divergent:
        assert problems[0].startswith(f"{divergent} divergent transition")
    ess_lines = [p for p in problems if p.startswith("ESS bulk below 200")]
    low_bulk = [p["name"] for p in d.parameters if p["ess_bulk"] < 200]
    assert bool(ess_lines) == bool(low_bulk)
    # the explorer and the result's table apply the same rule, row by row
    ex = bw.PosteriorExplorer(r)
    assert ex.problems == problems
    table = r.summary()
    for row in ex.summary:
        expected = parameter_problems(row, d.chains)
        assert row["problems"] == expected
        assert table.loc[row["name"], "problems"] == ", ".join(expected)
    assert any(row["name"] == "theta[A]" for row in ex.summary)
    # the model's order (mu, tau, theta) everywhere, whatever order the sampler wrote
    assert list(r.idata["posterior"].to_dataset().data_vars) == ["mu", "tau", "theta"]
    order = ["mu", "tau", *(f"theta[{s}]" for s in SCHOOLS)]
    assert [p["name"] for p in d.parameters] == order
    assert [row["name"] for row in ex.summary] == order
    assert [v["name"] for v in ex.variables] == ["mu", "tau", "theta"]


def test_the_rules(models):
    row = {"name": "beta[price]", "r_hat": 1.004, "ess_bulk": 188.0, "ess_tail": 450.0}
    assert parameter_problems(row, chains=2) == ["ESS bulk 188 < 200"]
    assert parameter_problems({**row, "ess_tail": 350.0}, chains=4) == [
        "ESS bulk 188 < 400",
        "ESS tail 350 < 400",
    ]
    assert parameter_problems({"r_hat": 1.0104, "ess_bulk": 900, "ess_tail": 900}, 2) == [
        "R-hat 1.0104 > 1.01"
    ]
    assert (
        parameter_problems({"r_hat": 1.5, "ess_bulk": 900, "ess_tail": 900}, 1) == []
    )  # one chain: no R-hat
    lines = fit_problems(
        [{**row, "kind": "free", "variable": "beta", "problems": []}],
        chains=2,
        divergences=3,
        divergences_by_chain=[1, 2],
        treedepth_hits=1,
        ebfmi=[0.9, 0.2],
    )
    assert lines == [
        "3 divergent transitions after tuning (chain 0: 1, chain 1: 2)",
        "1 draw hit the maximum tree depth",
        "E-BFMI below 0.3: chain 1 0.20",
        "ESS bulk below 200 (100 per chain × 2): beta[price] 188",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_regression_fits_with_labels(models, backend):
    r = bw.fit(models["logistic"], backend=backend, draws=200, tune=200, chains=2, cores=1, seed=3)
    table = r.summary()
    assert list(table.index) == ["a", "b[dose]", "b[age]"]
    assert table.loc["b[dose]", "mean"] > 0.5 and table.loc["b[age]", "mean"] < -0.3
    assert r.diagnostics.draws_per_s > 0


# -- warnings and log lines stay with the fit -------------------------------------------------
def _noisy_model():
    """A deterministic computed by a Python op that warns on every draw."""
    from pytensor.compile.ops import as_op

    @as_op(itypes=[pt.dscalar], otypes=[pt.dscalar])
    def noisy(x):
        warnings.warn("noisy deterministic evaluated", UserWarning, stacklevel=1)
        return np.asarray(x * 2.0)

    with pm.Model() as model:
        m = pm.Normal("m", 0, 1)
        pm.Deterministic("twice", noisy(m))
        pm.Normal("y", m, 1, observed=np.array([0.1, -0.3, 0.2]))
    return model


def test_warnings_and_log_lines_are_kept_with_the_fit_not_printed(recwarn):
    import logging

    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Collect()
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.INFO)  # as PyMC sets it in a notebook (no root handler there)
    logger.addHandler(handler)
    try:
        r = bw.fit(_noisy_model(), backend="pymc", draws=30, tune=30, chains=1, cores=1, seed=1)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert r.status == "finished"
    noisy = [w for w in r.warnings if w["message"] == "noisy deterministic evaluated"]
    assert len(noisy) == 1 and noisy[0]["category"] == "UserWarning" and noisy[0]["count"] >= 1
    assert not [w for w in recwarn if "noisy" in str(w.message)]  # none reached the caller
    assert any("Initializing NUTS" in line for line in r.log)
    assert any(re.search(r"Sampling 1 chain .* took", line) for line in r.log)
    assert not [rec for rec in seen if "NUTS" in rec.getMessage()]  # no handler printed them
    assert "noisy deterministic evaluated" in [w["message"] for w in r.to_dict()["warnings"]]


def test_capture_only_takes_the_fit_threads_warnings():
    import threading

    capture = FitCapture()

    def in_fit():
        with capture.thread():
            warnings.warn("from the fit", RuntimeWarning, stacklevel=1)
            warnings.warn("from the fit", RuntimeWarning, stacklevel=1)

    t = threading.Thread(target=in_fit)
    t.start()
    t.join()
    with pytest.warns(UserWarning, match="from the user's cell"):
        warnings.warn("from the user's cell", UserWarning, stacklevel=1)
    assert [w["message"] for w in capture.warnings] == ["from the fit"]
    assert capture.warnings[0]["count"] >= 1


# -- per-chain and overall draws/s, ETA with waiting chains -----------------------------------
def _own_seconds(stats, chain: int) -> float:
    start = np.asarray(stats["perf_counter_start"].values[chain])
    diff = np.asarray(stats["perf_counter_diff"].values[chain])
    return float(start[-1] + diff[-1] - start[0])


@pytest.mark.parametrize("cores", [1, 2])
def test_pymc_rates_per_chain_and_overall(models, cores):
    session = FitSession(
        models["regression"],
        backend="pymc",
        draws=300,
        tune=300,
        chains=2,
        cores=cores,
        seed=4,
        keep_warmup=True,
    )
    r = session.start().wait(timeout=120)
    chains = session.state.chain_statuses()
    warm, post = r.idata["warmup_sample_stats"].to_dataset(), r.idata["sample_stats"].to_dataset()
    for c in chains:
        # PyMC's own per-draw clock: the chain's running time from its first to last draw
        own = (
            post["perf_counter_start"].values[c.chain][-1]
            + post["perf_counter_diff"].values[c.chain][-1]
            - warm["perf_counter_start"].values[c.chain][0]
        )
        truth = 600 / own
        assert c.draws_per_s == pytest.approx(truth, rel=0.3), (c, truth)
        assert c.phase == "done" and c.eta_s == 0.0
    d = r.diagnostics
    assert d.draws_per_s == pytest.approx(1200 / d.sampling_time_s)
    rates = [c.draws_per_s for c in chains]
    if cores == 1:  # one after another: the fit runs at about the chains' own rate
        assert d.sampling_time_s == pytest.approx(sum(600 / x for x in rates), rel=0.3)
    assert d.sampling_time_s <= d.wall_time_s


def test_nutpie_rates_are_the_chains_own(models):
    session = FitSession(
        models["regression"], backend="nutpie", draws=300, tune=300, chains=2, cores=1, seed=4
    )
    r = session.start().wait(timeout=120)
    chains = session.state.chain_statuses()
    for c in chains:
        assert c.running_s and c.draws_per_s == pytest.approx(600 / c.running_s)
    d = r.diagnostics
    # chains one after another: the sampling time is about the sum of the chains' times,
    # not the wall time with compiling and the trace's conversion
    assert d.sampling_time_s == pytest.approx(sum(c.running_s for c in chains), rel=0.5, abs=0.1)
    assert d.draws_per_s == pytest.approx(1200 / d.sampling_time_s)


def test_chains_started_with_the_sampler_are_timed_on_the_fits_clock(monkeypatch):
    """nutpie's chains start when it is called; its ``runtime_ms`` counts whole
    milliseconds (600 draws in "5 ms" and "2 ms": 120k and 300k draws/s, the second
    give or take half). Timed from the sampler's start on this process's clock, both
    chains read the 12 ms they took, and the fit 1,200 draws in 12 ms."""
    from bayes_widgets.core.fitting import state as state_module

    clock = [100.0]
    monkeypatch.setattr(state_module.time, "perf_counter", lambda: clock[0])
    state = FitState(chains=2, tune=300, draws=300, trace_names=(), cores=2)
    state.mark_sampler_started()
    clock[0] = 100.012
    for chain, ms in ((0, 5), (1, 2)):
        state.record_progress(
            chain,
            draws_done=600,
            tuning=False,
            divergences=0,
            divergences_tuning=0,
            step_size=0.5,
            n_steps=7,
            runtime_s=ms / 1000,
            runtime_resolution_s=0.001,
        )
    chains = state.chain_statuses()
    assert [c.running_s for c in chains] == pytest.approx([0.012, 0.012])
    assert [c.draws_per_s for c in chains] == pytest.approx([50_000, 50_000])
    assert state.sampling_seconds() == pytest.approx(0.012)
    assert state.overall(chains)["draws_per_s"] == pytest.approx(100_000)


def test_coarse_runtime_only_where_nothing_finer_is_known(monkeypatch):
    """A chain that waited for a core (not timed from the sampler's start) is timed on
    this clock between two reports; nutpie's runtime of whole milliseconds is its time
    only while it has been seen once. NumPyro's exact runtime is taken as it is."""
    from bayes_widgets.core.fitting import state as state_module

    clock = [0.0]
    monkeypatch.setattr(state_module.time, "perf_counter", lambda: clock[0])
    state = FitState(chains=2, tune=100, draws=100, trace_names=(), cores=1)
    state.mark_sampler_started()

    def report(chain, t, done, ms):
        clock[0] = t
        state.record_progress(
            chain,
            draws_done=done,
            tuning=done <= 100,
            divergences=0,
            divergences_tuning=0,
            step_size=0.5,
            n_steps=3,
            runtime_s=ms / 1000,
            runtime_resolution_s=0.001,
        )

    report(0, 1.0, 200, 990)
    report(1, 1.10, 150, 7)  # first seen with 150 draws: only nutpie's "7 ms" is known
    chains = state.chain_statuses()
    assert chains[0].running_s == pytest.approx(1.0)  # from the sampler's start
    assert chains[1].draws_per_s == pytest.approx(150 / 0.007)
    report(1, 1.5, 200, 450)  # 50 more draws in 0.4 s on this clock
    chain = state.chain_statuses()[1]
    assert chain.draws_per_s == pytest.approx(50 / 0.4)
    assert chain.running_s == pytest.approx(200 / (50 / 0.4))  # the first 150 at that rate
    assert state.sampling_seconds() == pytest.approx(1.5)
    exact = FitState(chains=1, tune=10, draws=10, trace_names=())
    exact.record_progress(
        0,
        draws_done=20,
        tuning=False,
        divergences=0,
        divergences_tuning=0,
        step_size=0.5,
        n_steps=3,
        runtime_s=0.004,
    )
    assert exact.chain_statuses()[0].draws_per_s == pytest.approx(5000)


def test_nutpie_sampling_time_is_the_chains_time_on_the_fits_clock(models):
    """Chains side by side (cores=2): every chain's rate, the fit's rate and its sampling
    time agree (no 0.0 s, no rate from a 2 ms runtime), and the sampling time is less
    than the wall time, which holds compiling and the trace's conversion too."""
    session = FitSession(
        models["schools"], backend="nutpie", draws=300, tune=300, chains=2, cores=2, seed=4
    )
    r = session.start().wait(timeout=120)
    d = r.diagnostics
    chains = session.state.chain_statuses()
    assert 0.0005 < d.sampling_time_s < d.wall_time_s
    assert d.draws_per_s == pytest.approx(1200 / d.sampling_time_s)
    for c in chains:  # each chain ran from the sampler's start to its last draw
        assert c.running_s <= d.sampling_time_s * 1.0001
        assert c.draws_per_s == pytest.approx(600 / c.running_s)
    assert max(c.running_s for c in chains) == pytest.approx(d.sampling_time_s, rel=1e-6)


def test_eta_counts_chains_waiting_for_a_core():
    # one core: chain 0 half done at 10 draws/s, chain 1 not started
    assert schedule_eta([(50, 100), (0, 100)], [10.0, None], cores=1) == [5.0, 15.0]
    # two cores: both run at once
    assert schedule_eta([(50, 100), (50, 100)], [10.0, 10.0], cores=2) == [5.0, 5.0]
    # three chains, two cores: the third starts when the first core frees up
    assert schedule_eta([(80, 100), (50, 100), (0, 100)], [10.0, 10.0, None], cores=2) == [
        2.0,
        5.0,
        12.0,
    ]
    assert schedule_eta([(0, 100), (0, 100)], [None, None], cores=1) == [None, None]


def test_state_eta_and_cancelled_rows():
    import time

    state = FitState(chains=2, tune=50, draws=50, trace_names=(), cores=1)
    state.record_progress(
        0,
        draws_done=10,
        tuning=True,
        divergences=0,
        divergences_tuning=0,
        step_size=0.5,
        n_steps=3,
        runtime_s=1.0,
    )
    chains = state.chain_statuses()
    assert chains[0].draws_per_s == pytest.approx(10.0) and chains[1].phase == "waiting"
    assert chains[0].eta_s == pytest.approx(9.0) and chains[1].eta_s == pytest.approx(19.0)
    assert state.overall(chains)["eta_s"] == pytest.approx(19.0)
    time.sleep(0.01)
    state.cancelled = True
    chains = state.chain_statuses()
    assert [c.phase for c in chains] == ["cancelled", "cancelled"]
    assert all(c.eta_s is None for c in chains) and state.overall(chains)["eta_s"] is None

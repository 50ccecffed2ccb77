"""Decision optimisation on the rocket-engine supply chain: what it costs.

The published yield model (Beta per supplier, HalfNormal(10) priors on alpha and beta)
is fitted once with nutpie (500 tuning + 500 draws, 2 chains); its posterior predictive
gives 10,000 scenarios (a new batch's yield per supplier, a demand 40 + Poisson(60)).
Setup (fit, scenarios) is timed but is not part of the targets. Then, on those
scenarios, in the same run:

* ``optimise_s``: wall time of ``problem.optimize("mean", restarts=4)``: L-BFGS-B
  relaxation from 4 starts, then the integer search (descent and the window check);
  the median of 3 runs.
* ``speedup_vs_loop``: the published way of evaluating one decision (a Python loop
  calling the one-scenario loss for each scenario, here over numpy rows, which is
  faster than the published ``DataFrame.iterrows``), median of 3 runs, divided by
  ``problem.outcomes(x).mean()`` for the same decision, median of 200 runs.
* ``slider_ms``: 95th percentile of 200 calls of ``problem.evaluate(x)`` (mean, sd,
  quantiles, CVaR, P(loss), histogram), each after changing one order at random, as a
  slider would. ``widget_slider_ms`` is the same for the DecisionExplorer's whole kernel
  side of one slider move: the page's message handled (decision checked, evaluated,
  summarised, constraints checked) and the changed traits serialised to JSON as the
  comm would send them.

Then the Bayesian decision is compared with the published naive one (mean observed
yields, demand 100) on 10,000 fresh posterior predictive draws (paired difference and
its standard error), and on the process the observations were simulated from.

Targets: optimise_s ≤ 1, speedup_vs_loop ≥ 100, slider_ms ≤ 100. The last line printed
is one JSON object.

    .venv/bin/python benchmarks/bench_decision.py     # ~1 min on 2 cores
"""

from __future__ import annotations

import json
import logging
import statistics
import time
import warnings

import numpy as np

N_SCENARIOS = 10_000
SLIDER_CALLS = 200
TARGETS = {"optimise_s": 1, "speedup_vs_loop": 100, "slider_ms": 100}


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("pymc", "pytensor", "nutpie"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    _quiet()
    from bayes_widgets.core.decision import compare_naive
    from bayes_widgets.core.decision import supply_chain as sc

    t = time.perf_counter()
    fit = sc.fit_yields(draws=500, tune=500, chains=2, seed=20190114)
    fit_s = time.perf_counter() - t
    if fit.status != "finished":
        raise SystemExit(f"fit {fit.status}: {fit.message}")
    t = time.perf_counter()
    scenarios = sc.scenarios_from_fit(fit, n=N_SCENARIOS, seed=1)
    problem = sc.supply_chain_problem(scenarios)
    setup_s = time.perf_counter() - t

    runs = []
    for _ in range(3):
        t = time.perf_counter()
        result = problem.optimize("mean", restarts=4, seed=0)
        runs.append(time.perf_counter() - t)
    optimise_s = statistics.median(runs)
    x = result.x_array

    yields, demand = scenarios["yield"], scenarios["demand"]

    def published_loop() -> float:
        return float(
            np.mean([sc.scenario_profit(x, yields[i], demand[i]) for i in range(N_SCENARIOS)])
        )

    loop_s = _median_time(published_loop, 3)
    vector_s = _median_time(lambda: problem.outcomes(x).mean(), 200)
    assert abs(published_loop() - problem.outcomes(x).mean()) <= 1e-9 * abs(result.value)

    rng = np.random.default_rng(2)
    lower, upper = problem.lower.astype(int), problem.upper.astype(int)
    slider = []
    current = x.copy()
    for _ in range(SLIDER_CALLS):
        i = rng.integers(len(current))
        current[i] = rng.integers(lower[i], upper[i] + 1)
        t = time.perf_counter()
        problem.evaluate(current)
        slider.append(time.perf_counter() - t)
    slider_ms = float(np.percentile(slider, 95) * 1e3)

    from bayes_widgets.widgets.decision_explorer import DecisionExplorer

    explorer = DecisionExplorer(problem, x=x, naive=False)
    widget = []
    for _ in range(SLIDER_CALLS):
        i = rng.integers(len(current))
        current[i] = rng.integers(lower[i], upper[i] + 1)
        message = {"type": "evaluate", "x": problem.as_dict(current)}
        t = time.perf_counter()
        explorer._dispatch(explorer, message, [])
        json.dumps({"summary": explorer.summary, "decision": explorer.decision}, allow_nan=False)
        widget.append(time.perf_counter() - t)
    if explorer.error:
        raise SystemExit(f"explorer refused a slider move: {explorer.error}")
    widget_slider_ms = float(np.percentile(widget, 95) * 1e3)

    point = sc.naive_point()
    fresh = compare_naive(
        problem, sc.scenarios_from_fit(fit, n=N_SCENARIOS, seed=3), point=point, bayesian=result
    )
    truth = compare_naive(
        problem, sc.generating_process_scenarios(N_SCENARIOS, seed=4), point=point, bayesian=result
    )

    d = fit.diagnostics
    print(
        f"fit: {d.draws_per_chain} draws x {d.chains} chains, r_hat max {d.rhat_max:.3f}, "
        f"divergences {d.divergences}, {fit_s:.1f} s (setup, untimed target); scenarios + problem {setup_s:.2f} s"
    )
    print(f"{'measure':34s} {'value':>14s}  target")
    print(
        f"{'optimise_s (median of 3)':34s} {optimise_s:14.3f}  ≤ 1     runs {', '.join(f'{r:.3f}' for r in runs)}"
    )
    print(
        f"{'  evaluations, exact':34s} {result.evaluations:14d}  {result.exact}: {result.message}"
    )
    print(f"{'published loop, one decision (s)':34s} {loop_s:14.4f}")
    print(f"{'vectorised, one decision (ms)':34s} {vector_s * 1e3:14.3f}")
    print(f"{'speedup_vs_loop':34s} {loop_s / vector_s:14.0f}  ≥ 100")
    print(
        f"{'slider_ms (p95 of evaluate)':34s} {slider_ms:14.3f}  ≤ 100   median {np.median(slider) * 1e3:.3f} ms"
    )
    print(
        f"{'widget_slider_ms (p95, kernel side)':34s} {widget_slider_ms:14.3f}  ≤ 100   median {np.median(widget) * 1e3:.3f} ms"
    )
    print()
    print(
        f"Bayesian decision {result.x}  expected profit {result.value:,.0f}  converged {result.converged}"
    )
    print(
        f"naive decision    {fresh.naive.x}  (plug-in yields {np.round(point['yield'], 4).tolist()}, demand 100)"
    )
    for label, c in (("fresh posterior predictive draws", fresh), ("generating process", truth)):
        print(
            f"on {N_SCENARIOS} {label}: Bayesian {c.bayesian_mean:,.1f}  naive {c.naive_mean:,.1f}  "
            f"difference {c.difference:,.1f} ± {c.se:,.1f} (z = {c.z:.1f})"
        )

    out = {
        "optimise_s": round(optimise_s, 4),
        "speedup_vs_loop": round(loop_s / vector_s, 1),
        "slider_ms": round(slider_ms, 3),
        "widget_slider_ms": round(widget_slider_ms, 3),
        "n_scenarios": N_SCENARIOS,
        "bayesian_decision": result.x,
        "naive_decision": fresh.naive.x,
        "integer_exact": result.exact,
        "converged": result.converged,
        "difference": round(fresh.difference, 2),
        "difference_se": round(fresh.se, 2),
        "z": round(fresh.z, 1),
        "difference_truth": round(truth.difference, 2),
        "difference_truth_se": round(truth.se, 2),
        "fit_s": round(fit_s, 2),
        "targets": TARGETS,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""What live progress costs for NumPyro NUTS and SVI, and how NUTS chains should run.

NUTS (eight schools non-centred, 2 chains, ``--draws`` draws after 1000 tuning draws), in
interleaved pairs with the same seed (the side that goes first alternates):

* bare: the NumPyro backend with ``live = False``: the same compiled sampler and the
  same chunks (~0.25 s), but no in-kernel callback, no session events, no widget;
* one call (for reference): as bare, but the whole run in a single chunk per chain (what
  a plain ``jit`` of the NUTS loop costs; no cancel or pause possible);
* session: ``FitSession(model, backend="numpyro", ...)`` with one subscriber: the
  in-kernel ``jax.debug.callback`` every ~0.1 s per chain, chunks of ~0.25 s, the
  session's state and its event pump at 10 Hz (what "live progress" costs);
* live: ``FitMonitor(model, backend="numpyro", ...)`` then ``wait()``: the same plus the
  widget's work (trace messages, running R-hat/ESS, rank plots), its messages serialised
  as ipykernel would (``_common.serializing_comms``).

Both sides are timed from the end of compiling to the result (the session's
``sampling_time_s``; ``backend.run`` for the bare side), so compilation, the same on both
sides, does not dilute the ratio.

Chains: the same live fit with ``chain_method="threads"`` (one thread per chain) and
``"vectorized"`` (``vmap`` over chains), sampling and compile times; and NumPyro's own
``MCMC`` (sequential and vectorized, second run so compiled) as a reference.

SVI (a linear regression on 20,000 rows, AutoNormal, Adam(0.01), ``--svi-steps`` steps,
chunks of 200, no early stop), pairs again:

* bare: ``run_svi(...)`` without ``on_chunk``/``should_stop``;
* live: ``FitMonitor(model, backend="numpyro-svi", ...)`` with the same guide object (so
  both reuse one compiled chunk), whose session records every chunk's losses and
  parameters, summarises them, streams the binned loss curve and the parameter table.

Both are timed by ``run_svi``'s own ``elapsed_s`` (compile excluded by the shared cache).
The last line of output is one JSON object.

    .venv/bin/python benchmarks/bench_numpyro_progress.py [--pairs 5] [--draws 400000] [--svi-steps 20000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from _common import last_line, median, quiet, serializing_comms, table  # noqa: E402

quiet()

TARGET = 1.05


def nuts_bare(
    model, args, draws: int, seed: int, chain_method: str = "threads", single_chunk: bool = False
) -> tuple[float, float]:
    """(run seconds, compile seconds) of the bare sampler."""
    from bayes_widgets.core.fitting.backends.base import Control
    from bayes_widgets.core.fitting.session import FitSession

    session = FitSession(
        model,
        backend="numpyro",
        draws=draws,
        tune=1000,
        chains=2,
        seed=seed,
        sampler_kwargs={"chain_method": chain_method},
        **args,
    )
    backend = session.backend
    backend.live = False
    backend.single_chunk = single_chunk
    control = Control(session.state)
    t0 = time.perf_counter()
    backend.prepare(control)
    t1 = time.perf_counter()
    tree = backend.run(control)
    t2 = time.perf_counter()
    assert tree["posterior"].sizes["draw"] == draws
    return t2 - t1, t1 - t0


def nuts_session(model, args, draws: int, seed: int) -> float:
    """Sampling seconds of a fit session with a subscriber, no widget."""
    from bayes_widgets.core.fitting.session import FitSession

    session = FitSession(
        model, backend="numpyro", draws=draws, tune=1000, chains=2, seed=seed, **args
    )
    events = []
    session.subscribe(events.append)
    result = session.start().wait()
    assert result.status == "finished", result.error
    return result.diagnostics.sampling_time_s


def svi_session(model, guide, args, steps: int, seed: int) -> float:
    from bayes_widgets.core.fitting.session import FitSession

    session = FitSession(
        model,
        backend="numpyro-svi",
        guide=guide,
        steps=steps,
        seed=seed,
        draws=200,
        sampler_kwargs={"chunk": 200, "convergence": None},
        **args,
    )
    events = []
    session.subscribe(events.append)
    r = session.start().wait()
    assert r.status == "finished" and r.steps == steps, r.error
    inner = session.backend.run_result
    return inner.elapsed_s - inner.compile_s


def nuts_live(
    model, args, draws: int, seed: int, chain_method: str = "threads"
) -> tuple[float, float, int]:
    """(sampling seconds, compile seconds, callbacks-driven progress reports) of a watched fit."""
    import bayes_widgets as bw

    mon = bw.FitMonitor(
        model,
        backend="numpyro",
        draws=draws,
        tune=1000,
        chains=2,
        seed=seed,
        sampler_kwargs={"chain_method": chain_method},
        **args,
    )
    reports = []
    mon.session.subscribe(lambda e: reports.append(type(e).__name__))
    result = mon.wait()
    mon.wait_rendered(60)
    assert result.status == "finished", result.error
    d = result.diagnostics
    return d.sampling_time_s, mon.session.backend.compile_s, reports.count("ChainProgress")


def numpyro_mcmc(model, args, draws: int, seed: int, method: str) -> float:
    """Wall time of NumPyro's own ``MCMC.run``, its compilation included."""
    import jax
    from numpyro.infer import MCMC, NUTS

    mcmc = MCMC(
        NUTS(model),
        num_warmup=1000,
        num_samples=draws,
        num_chains=2,
        chain_method=method,
        progress_bar=False,
    )
    t0 = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(seed), *args["model_args"], **args["model_kwargs"])
    jax.block_until_ready(mcmc.get_samples())
    return time.perf_counter() - t0


def svi_bare(model, guide, args, steps: int, seed: int) -> float:
    from bayes_widgets.core.fitting.svi import run_svi

    r = run_svi(
        model, guide, steps=steps, seed=seed, chunk=200, convergence=None, check_sites=False, **args
    )
    assert r.steps == steps
    return r.elapsed_s - r.compile_s


def svi_live(model, guide, args, steps: int, seed: int) -> tuple[float, int]:
    import bayes_widgets as bw

    mon = bw.FitMonitor(
        model,
        backend="numpyro-svi",
        guide=guide,
        steps=steps,
        seed=seed,
        draws=200,
        sampler_kwargs={"chunk": 200, "convergence": None},
        **args,
    )
    chunks = []
    mon.session.subscribe(lambda e: chunks.append(type(e).__name__))
    r = mon.wait()
    mon.wait_rendered(60)
    assert r.status == "finished" and r.steps == steps, r.error
    inner = mon.session.backend.run_result
    return inner.elapsed_s - inner.compile_s, chunks.count("LossChunk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--draws", type=int, default=400_000)
    parser.add_argument("--svi-steps", type=int, default=20_000)
    opts = parser.parse_args()

    from numpyro.infer.autoguide import AutoNormal

    from tests.numpyro_models import eight_schools, eight_schools_data, regression, regression_data

    sigma, y = eight_schools_data()
    es_args = {"model_args": (sigma,), "model_kwargs": {"y": y}}
    x, yr = regression_data(n=20_000)
    reg_args = {"model_args": (x,), "model_kwargs": {"y": yr}}
    out: dict = {
        "target": TARGET,
        "draws": opts.draws,
        "svi_steps": opts.svi_steps,
        "pairs": opts.pairs,
    }

    with serializing_comms():
        # warm-up: imports, first JAX use, first compilations
        nuts_bare(eight_schools, es_args, 1000, 0)
        nuts_live(eight_schools, es_args, 1000, 0)
        print("NUTS, eight schools, 2 chains (threads): live monitor vs bare sampler")
        nuts_session(eight_schools, es_args, 1000, 0)
        rows, ratios, ratios_session, ratios_one = [], [], [], []
        for i in range(opts.pairs):
            seed = 100 + i
            runs = {
                "live": lambda: nuts_live(eight_schools, es_args, opts.draws, seed),
                "session": lambda: nuts_session(eight_schools, es_args, opts.draws, seed),
                "bare": lambda: nuts_bare(eight_schools, es_args, opts.draws, seed),
                "one": lambda: nuts_bare(
                    eight_schools, es_args, opts.draws, seed, single_chunk=True
                ),
            }
            order = (
                ["live", "session", "bare", "one"]
                if i % 2 == 0
                else ["bare", "one", "session", "live"]
            )
            res = {}
            for name in order:
                gc.collect()
                res[name] = runs[name]()
            (live, comp_live, reports), (bare, comp_bare), (one, _) = (
                res["live"],
                res["bare"],
                res["one"],
            )
            sess = res["session"]
            ratios.append(live / bare)
            ratios_session.append(sess / bare)
            ratios_one.append(bare / one)
            rows.append(
                (
                    i,
                    f"{order[0]} first",
                    f"{bare:.3f}",
                    f"{sess:.3f}",
                    f"{sess / bare:.3f}",
                    f"{live:.3f}",
                    f"{live / bare:.3f}",
                    f"{one:.3f}",
                    reports,
                    f"{comp_bare:.2f}",
                    f"{comp_live:.2f}",
                )
            )
        print(
            table(
                rows,
                [
                    "pair",
                    "order",
                    "bare s",
                    "session s",
                    "session/bare",
                    "monitor s",
                    "monitor/bare",
                    "one call s",
                    "progress events",
                    "compile bare s",
                    "compile live s",
                ],
            )
        )
        out["nuts_session_ratio"] = median(ratios_session)
        out["nuts_monitor_ratio"] = median(ratios)
        out["nuts_session_ratios"] = [round(r, 4) for r in ratios_session]
        out["nuts_monitor_ratios"] = [round(r, 4) for r in ratios]
        out["nuts_chunked_over_one_call"] = median(ratios_one)
        print(
            f"median ratios: session/bare {out['nuts_session_ratio']:.3f}, monitor/bare "
            f"{out['nuts_monitor_ratio']:.3f} (target <= {TARGET}); chunked bare / one call "
            f"{out['nuts_chunked_over_one_call']:.3f}\n"
        )

        print("NUTS chain parallelism (live fits): threads vs vectorized")
        rows, t_threads, t_vec, c_threads, c_vec, w_threads = [], [], [], [], [], []
        for i in range(max(3, opts.pairs // 2 + 1)):
            seed = 200 + i
            first, second = ("threads", "vectorized") if i % 2 == 0 else ("vectorized", "threads")
            res = {}
            for method in (first, second):
                gc.collect()
                s, c, _ = nuts_live(eight_schools, es_args, opts.draws, seed, chain_method=method)
                res[method] = (s, c)
            t_threads.append(res["threads"][0])
            w_threads.append(res["threads"][0] + res["threads"][1])
            t_vec.append(res["vectorized"][0])
            c_threads.append(res["threads"][1])
            c_vec.append(res["vectorized"][1])
            rows.append(
                (
                    i,
                    f"{res['threads'][0]:.3f}",
                    f"{res['vectorized'][0]:.3f}",
                    f"{res['threads'][1]:.2f}",
                    f"{res['vectorized'][1]:.2f}",
                )
            )
        print(
            table(
                rows,
                ["pair", "threads s", "vectorized s", "compile threads s", "compile vectorized s"],
            )
        )
        out["threads_s"] = median(t_threads)
        out["vectorized_s"] = median(t_vec)
        out["vectorized_over_threads"] = median(
            [v / t for v, t in zip(t_vec, t_threads, strict=True)]
        )
        out["compile_threads_s"] = median(c_threads)
        out["compile_vectorized_s"] = median(c_vec)
        ref = {
            m: median(
                [numpyro_mcmc(eight_schools, es_args, opts.draws, 300 + i, m) for i in range(2)]
            )
            for m in ("sequential", "vectorized")
        }
        out["numpyro_mcmc_sequential_s"] = ref["sequential"]
        out["numpyro_mcmc_vectorized_s"] = ref["vectorized"]
        out["threads_compile_plus_sampling_s"] = median(w_threads)
        print(
            f"median sampling: threads {out['threads_s']:.3f} s, vectorized {out['vectorized_s']:.3f} s "
            f"(x{out['vectorized_over_threads']:.2f}); compile + sampling with threads "
            f"{out['threads_compile_plus_sampling_s']:.2f} s vs NumPyro's MCMC.run (compile included) "
            f"sequential {ref['sequential']:.2f} s, vectorized {ref['vectorized']:.2f} s\n"
        )

        print("SVI, regression 20,000 rows, AutoNormal: live monitor vs bare run_svi")
        guide = AutoNormal(regression)
        svi_bare(regression, guide, reg_args, opts.svi_steps, 0)  # compiles the shared chunk
        svi_live(regression, guide, reg_args, 400, 0)
        svi_session(regression, guide, reg_args, 400, 0)
        rows, ratios, ratios_session = [], [], []
        for i in range(opts.pairs):
            seed = 400 + i
            runs = {
                "live": lambda: svi_live(regression, guide, reg_args, opts.svi_steps, seed),
                "session": lambda: svi_session(regression, guide, reg_args, opts.svi_steps, seed),
                "bare": lambda: svi_bare(regression, guide, reg_args, opts.svi_steps, seed),
            }
            order = ["live", "session", "bare"] if i % 2 == 0 else ["bare", "session", "live"]
            res = {}
            for name in order:
                gc.collect()
                res[name] = runs[name]()
            (live, chunks), bare, sess = res["live"], res["bare"], res["session"]
            ratios.append(live / bare)
            ratios_session.append(sess / bare)
            rows.append(
                (
                    i,
                    f"{order[0]} first",
                    f"{bare:.3f}",
                    f"{sess:.3f}",
                    f"{sess / bare:.3f}",
                    f"{live:.3f}",
                    f"{live / bare:.3f}",
                    chunks,
                )
            )
        print(
            table(
                rows,
                [
                    "pair",
                    "order",
                    "bare s",
                    "session s",
                    "session/bare",
                    "monitor s",
                    "monitor/bare",
                    "loss events",
                ],
            )
        )
        out["svi_session_ratio"] = median(ratios_session)
        out["svi_monitor_ratio"] = median(ratios)
        out["svi_session_ratios"] = [round(r, 4) for r in ratios_session]
        out["svi_monitor_ratios"] = [round(r, 4) for r in ratios]
        print(
            f"median ratios: session/bare {out['svi_session_ratio']:.3f}, monitor/bare "
            f"{out['svi_monitor_ratio']:.3f} (target <= {TARGET})"
        )
    out = {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}
    last_line(out)


if __name__ == "__main__":
    main()

"""nutpie as a fit-session backend: compiled once per model, sampled without blocking.

bw.fit(pymc_model, backend="nutpie", draws=1000)
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from typing import ClassVar

import numpy as np

from bayes_widgets.core.fitting import rewrites
from bayes_widgets.core.fitting.backends.base import Backend, Control
from bayes_widgets.core.fitting.trim import chain_lengths
from bayes_widgets.core.model_info import extract_traced

_MIN_POLL_S = 0.001
_POLL_S = 0.02
"""Longest wait for the sampler's end between two looks at the cancel and pause flags."""
_INSPECT_MIN_S = 1.0
_FIRST_INSPECT_S = 0.5
"""A fit shorter than this needs no live trace: it is over before one would be drawn."""
_INSPECT_SHARE = 0.05

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_compile_lock = threading.Lock()


def _import_nutpie():
    try:
        import nutpie
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend 'nutpie' needs the nutpie package: pip install 'bayes_widgets[nutpie]'"
        ) from exc
    return nutpie


def compile_model(model):
    """Compiles ``model`` for nutpie once; later fits of the same model object reuse it."""
    nutpie = _import_nutpie()
    with _compile_lock:
        hit = _compiled.get(model)
        if hit is not None:
            return hit
        rewrites.enable()  # the same log density, computed with less work
        compiled = nutpie.compile_pymc_model(model)
        _compiled[model] = compiled
        return compiled


def with_current_data(compiled):
    """``compiled`` with its model's shared data as they are now: a ``pm.set_data`` after
    the compile reaches the sampler (nutpie copies the data when it compiles)."""
    changed = {}
    for var, key in compiled.shared_var_keys.items():
        now = np.asarray(var.get_value(borrow=True))
        then = compiled.shared_data[key]
        if now.shape != then.shape or not np.array_equal(now, then):
            changed[var.name] = now
    return compiled.with_data(**changed) if changed else compiled


class NutpieBackend(Backend):
    """nutpie, sampled in the background and polled.

    One thread (the session's worker) owns the background sampler and is the only
    one to call it: it waits for the sampler's end in steps of ``_POLL_S`` (in nutpie,
    without the GIL), checking the cancel and pause flags between steps, and pauses,
    resumes and aborts. Per-chain counters arrive through ``progress_callback``; traced
    draws come from ``inspect()``, which copies the whole trace, so it is called at most
    about once a second and never more than a small share of the elapsed time. The
    model's ``constant_data`` and ``observed_data`` groups are built while the chains
    run, not after.

    Timing: the chains start together when ``nutpie.sample`` is called (up to ``cores`` of
    them), so their running time is measured on this process's clock from that moment to
    their latest progress report. nutpie's own ``runtime_ms`` counts whole milliseconds (a
    chain of 600 draws reads 2 ms, i.e. 300k draws/s, give or take half); it times only
    the chains that wait for a core, and only where nothing finer is known (see
    ``FitState.own_time``). The conversion of the trace after the last draw is not sampling
    time (it is in the wall time).
    """

    name: ClassVar[str] = "nutpie"
    supports_pause: ClassVar[bool] = True

    def prepare(self, control: Control) -> None:
        self.compiled = with_current_data(compile_model(self.model))

    def run(self, control: Control):
        nutpie = _import_nutpie()
        cfg = self.config
        state = control.draws
        tune = cfg.tune

        def on_progress(chains):
            for i, p in enumerate(chains):
                divergent = list(p.divergent_draws)
                tuning_divs = sum(1 for d in divergent if d < tune)
                state.record_progress(
                    i,
                    draws_done=int(p.finished_draws),
                    tuning=bool(p.tuning),
                    divergences=len(divergent) - tuning_divs,
                    divergences_tuning=tuning_divs,
                    step_size=float(p.step_size),
                    n_steps=int(p.latest_num_steps),
                    runtime_s=p.runtime_ms / 1000 if p.runtime_ms else None,
                    runtime_resolution_s=0.001,
                )

        kwargs = cfg.sampler_options()
        state.mark_sampler_started()
        sampler = nutpie.sample(
            self.compiled,
            draws=cfg.draws,
            tune=cfg.tune,
            chains=cfg.chains,
            cores=cfg.cores,
            seed=cfg.seed,
            save_warmup=True,
            progress_bar=False,
            progress_callback=on_progress,
            progress_rate=50,
            blocking=False,
            **kwargs,
        )
        t_start = time.perf_counter()
        self._cursor = [0] * cfg.chains
        groups = self._data_groups()  # while the chains run
        paused = False
        next_inspect = time.perf_counter() + _FIRST_INSPECT_S
        while True:
            if control.cancelled:
                if paused:
                    sampler.resume()
                trace = sampler.abort()
                self._take_trace(state, trace)
                return self._with_data_groups(trace, t_start, groups)
            want_pause = control.pause_requested.is_set()
            if want_pause != paused:
                (sampler.pause if want_pause else sampler.resume)()
                state.set_paused(want_pause)
                paused = want_pause
            t_poll = time.perf_counter()
            if self._finished(sampler, 0.0 if paused else _POLL_S):
                without_warmup = self._convert_without_warmup(sampler)
                trace = sampler.wait()
                if without_warmup:
                    self.draws_completed = self._draws_completed(trace)
                self._take_trace(state, trace)
                return self._with_data_groups(trace, t_start, groups)
            now = time.perf_counter()
            if paused or now - t_poll < _MIN_POLL_S:  # never spin, whatever nutpie's wait does
                time.sleep(_POLL_S)
            if self.trace_names and not paused and now >= next_inspect:
                self._take_trace(state, sampler.inspect())
                cost = time.perf_counter() - now
                next_inspect = time.perf_counter() + max(_INSPECT_MIN_S, cost / _INSPECT_SHARE)

    def _data_groups(self):
        """The model's ``constant_data`` and ``observed_data`` groups, as ``pm.sample``
        builds them (nutpie leaves them out; libraries built on PyMC expect them), and the
        posterior's attributes but ``sampling_time``; None when they cannot be built (then
        :meth:`_with_data_groups` lets PyMC try again, and report the error)."""
        try:
            import nutpie
            import pymc
            import xarray as xr
            from pymc.backends.arviz import (
                coords_and_dims_for_inferencedata,
                dict_to_dataset,
                find_constants,
                find_observations,
                make_attrs,
            )

            coords, dims = coords_and_dims_for_inferencedata(self.model)
            groups = {
                name: xr.DataTree(
                    dict_to_dataset(
                        find(self.model),
                        inference_library=pymc,
                        coords=coords,
                        dims=dims,
                        sample_dims=[],
                    )
                )
                for name, find in (
                    ("constant_data", find_constants),
                    ("observed_data", find_observations),
                )
            }
            attrs = make_attrs(
                {"sampling_time": 0.0, "tuning_steps": self.config.tune}, inference_library=nutpie
            )
            return groups, attrs
        except Exception:
            return None

    def _with_data_groups(self, trace, t_start: float, prepared=None):
        """Adds the model's ``observed_data`` and ``constant_data`` groups and stamps the
        posterior's ``sampling_time`` and ``tuning_steps``, as ``pm.sample`` does."""
        if "posterior" not in trace.children:
            return trace
        seconds = time.perf_counter() - t_start
        if prepared is None:
            from pymc.backends.arviz import patch_nutpie_idata

            patch_nutpie_idata(trace, self.model, seconds)
            return trace
        groups, attrs = prepared
        for name, group in groups.items():
            trace[name] = group
        settings = json.loads(trace["sample_stats"].attrs["inference_library_settings"])
        trace["posterior"].attrs.update(
            attrs, sampling_time=seconds, tuning_steps=settings["settings"]["num_tune"]
        )
        return trace

    @staticmethod
    def _finished(sampler, timeout: float) -> bool:
        """True once sampling is over, waiting at most ``timeout`` seconds for it (without
        the GIL: nutpie's own wait). Where nutpie offers no such wait, its
        ``is_finished``, which waits about 1 ms and raises ``TimeoutError`` while
        sampling goes on. Either way this is the owner loop's pause between looks at
        the flags. A paused sampler is only looked at (``timeout`` 0)."""
        wait = getattr(getattr(sampler, "_sampler", None), "wait", None)
        try:
            if wait is not None and timeout > 0:
                wait(timeout)
                return True
            return bool(sampler.is_finished)
        except TimeoutError:
            return False

    def _convert_without_warmup(self, sampler) -> bool:
        """Lets a finished fit that does not keep its tuning draws convert its trace
        without them (True when so). nutpie keeps them while sampling (the live trace
        shows them), but converts them only if asked; for a model with many
        deterministics (a 40-geo MMM: some 81,000 per draw) they would be gigabytes
        converted only to be dropped. A live trace that has not yet had every tuning
        draw gets them from this conversion, as before."""
        if self.config.keep_warmup or not hasattr(sampler, "_save_warmup"):
            return False
        if self.trace_names and min(self._cursor, default=0) < self.config.tune:
            return False
        sampler._save_warmup = False  # private of nutpie: read only when it converts
        return True

    def _take_trace(self, state, trace) -> None:
        """Appends the draws of ``trace`` made since the last call, chain by chain (a
        trace converted without its tuning draws continues after the ``tune`` of them)."""
        if not self.trace_names:
            return
        parts = []
        for group, stats_group, tuning in (
            ("warmup_posterior", "warmup_sample_stats", True),
            ("posterior", "sample_stats", False),
        ):
            if group not in trace.children:
                continue
            stats = trace[stats_group].to_dataset()
            lengths = chain_lengths(stats)  # the trace is NaN-padded past each chain's draws
            if lengths is None:
                continue
            parts.append(
                (
                    extract_traced(trace[group].to_dataset(), self.trace_names),
                    np.asarray(stats["diverging"].values, dtype=bool),
                    lengths,
                    tuning,
                )
            )
        skipped = 0 if "warmup_posterior" in trace.children else self.config.tune
        for chain in range(self.config.chains):
            values, flags, divs = [], [], []
            for arr, diverging, lengths, tuning in parts:
                n = int(lengths[chain])
                values.append(arr[chain, :n])
                divs.append(diverging[chain, :n])
                flags.append(np.full(n, tuning))
            if not values:
                continue
            allv = np.concatenate(values)
            start = self._cursor[chain] - skipped
            if len(allv) > start:
                state.append_trace(
                    chain, allv[start:], np.concatenate(flags)[start:], np.concatenate(divs)[start:]
                )
                self._cursor[chain] = skipped + len(allv)

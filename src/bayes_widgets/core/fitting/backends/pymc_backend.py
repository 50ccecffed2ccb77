"""PyMC's own NUTS as a fit-session backend, through ``pm.sample(callback=...)``.

bw.fit(pymc_model, backend="pymc", draws=1000, chains=4)
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from typing import ClassVar

from bayes_widgets.core.fitting import rewrites
from bayes_widgets.core.fitting.backends.base import Backend, Control
from bayes_widgets.core.model_info import point_converter

_sampling_threads: set[int] = set()
"""Idents of session threads inside ``pm.sample`` (a forked child keeps its parent thread's ident)."""


def _plain_streams_in_chain_process() -> None:
    if threading.get_ident() in _sampling_threads:
        _sampling_threads.clear()
        if sys.__stdout__ is not None:
            sys.stdout = sys.__stdout__
        if sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__


os.register_at_fork(after_in_child=_plain_streams_in_chain_process)


_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_converters_lock = threading.Lock()


def cached_point_converter(model, trace_names):
    """``point_converter(model, trace_names)``, compiled once per model and traced names.

    A later fit of the same model reuses it while the model's variables are the same
    objects (adding a variable or a deterministic compiles a new one); ``pm.Data``
    values are read when it is called, so ``pm.set_data`` needs no new one. The compiled
    function is not safe to call from two threads at once: calls take turns.
    """
    key = (
        tuple(trace_names),
        tuple(model.value_vars),
        tuple(model.free_RVs),
        tuple(model.deterministics),
        tuple(model.observed_RVs),
    )
    with _converters_lock:
        mine = _converters.setdefault(model, {})
        hit = mine.get(key)
    if hit is not None:
        return hit
    convert = point_converter(model, trace_names)
    lock = threading.Lock()

    def converter(points):
        with lock:
            return convert(points)

    with _converters_lock:
        return _converters.setdefault(model, {}).setdefault(key, converter)


class PyMCBackend(Backend):
    """PyMC's own NUTS, one callback per draw.

    The callback runs in this process once per draw (also with ``cores > 1``, where
    chains run in worker processes): it records the draw and obeys pause and cancel.
    Cancelling raises ``KeyboardInterrupt`` from the callback, which ``pm.sample``
    turns into an early return with the draws made so far; tuning draws are always
    kept (``discard_tuned_samples=False``) so a cancel during tuning loses nothing.
    They are left out of the conversion to a ``DataTree`` (``idata_kwargs``'
    ``save_warmup``, which ``pm.sample`` reads after sampling), where the fit does not
    keep them and is not cancelled while a chain is still tuning: converting them takes
    as long as converting the draws themselves.

    With ``cores > 1`` PyMC forks its chain processes from the sampling thread. In a
    Jupyter kernel the parent runs other threads at that moment (the kernel's output
    thread, the session's pump), and a forked child that writes a warning through the
    kernel's output stream can block for ever on a lock one of those threads held at the
    fork. Chain processes forked by a session therefore write to the process's real
    stdout/stderr (the kernel's log) instead of the kernel's streams.
    """

    name: ClassVar[str] = "pymc"
    supports_pause: ClassVar[bool] = True

    def prepare(self, control: Control) -> None:
        if self.trace_names:
            control.draws.set_converter(cached_point_converter(self.model, self.trace_names))

    def run(self, control: Control):
        import pymc as pm

        record = control.draws.record_draw
        cancel = control.cancel_requested
        pause = control.pause_requested
        tuning = [True] * self.config.chains
        """Per chain: still tuning (or not started) at its latest draw."""

        def callback(trace, draw):
            record(draw.chain, draw.draw_idx, draw.tuning, draw.stats[0], draw.point)
            tuning[draw.chain] = draw.tuning
            if pause.is_set():
                control.state.set_paused(True)
                while pause.is_set() and not cancel.is_set():
                    time.sleep(0.02)
                control.state.set_paused(False)
            if cancel.is_set():
                if any(tuning) and idata_kwargs.get("save_warmup") is False:
                    idata_kwargs["save_warmup"] = True  # a chain may have no draw after tuning
                raise KeyboardInterrupt

        cfg = self.config
        kwargs = cfg.sampler_options()
        # PyMC reads these when it converts its trace, after sampling: the tuning draws are
        # converted only if the fit keeps them, or if it is cancelled before every chain is
        # done tuning (then they may be all there is)
        idata_kwargs = dict(kwargs.pop("idata_kwargs", None) or {})
        if not cfg.keep_warmup:
            idata_kwargs.setdefault("save_warmup", False)
        rewrites.enable()  # the same log density, computed with less work
        ident = threading.get_ident()
        _sampling_threads.add(ident)
        try:
            with self.model:
                idata = pm.sample(
                    draws=cfg.draws,
                    tune=cfg.tune,
                    chains=cfg.chains,
                    cores=cfg.cores,
                    random_seed=cfg.seed,
                    callback=callback,
                    progressbar=False,
                    nuts_sampler="pymc",
                    discard_tuned_samples=False,
                    compute_convergence_checks=False,
                    idata_kwargs=idata_kwargs,
                    **kwargs,
                )
        finally:
            _sampling_threads.discard(ident)
        self.draws_completed = self._draws_completed(idata)
        return idata

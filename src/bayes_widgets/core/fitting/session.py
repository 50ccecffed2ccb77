"""A fit running in a worker thread that owns the sampler.

    session = FitSession(model, backend="nutpie", draws=1000).start()
    session = FitSession(numpyro_model, backend="numpyro", model_args=(x,),
                         model_kwargs={"y": y}).start()           # NumPyro NUTS
    session = FitSession(numpyro_model, backend="numpyro-svi", guide="AutoNormal",
                         steps=5000, model_args=(x,)).start()     # NumPyro SVI
    session.snapshot()        # progress so far, from any thread
    session.pause(); session.resume()
    result = session.cancel() # keeps the draws made so far
    result = session.wait()   # or block until it ends

Events go to subscribers from a separate pump thread at ``rate_hz`` (10 Hz by
default), so a slow subscriber never blocks the sampler; in an MCMC fit, subscribers
whose work would take more than ``PUMP_SHARE`` of the time are called less often (down
to 2 Hz). The
last updates and the terminal event come from the worker thread as it ends the fit
(one thread at a time, in order).

MCMC backends ('pymc', 'nutpie', 'numpyro') report per-chain progress and traced
draws (``ChainProgress``, ``TraceChunk``); the variational backend ('numpyro-svi')
reports per-step losses, speed and the current parameters (``LossChunk``). Both end
with one ``Finished``/``Cancelled``/``Failed`` event carrying a :class:`FitResult`
whose ``idata`` has a ``posterior`` group (for SVI: ``draws`` samples from the guide).
"""

from __future__ import annotations

import atexit
import numbers
import os
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.backends import Control, FitConfig, get_backend
from bayes_widgets.core.fitting.capture import FitCapture
from bayes_widgets.core.fitting.diagnostics import running_diagnostics, summarize
from bayes_widgets.core.fitting.result import FitResult
from bayes_widgets.core.fitting.state import FitState, LossState
from bayes_widgets.core.fitting.trim import trim_partial
from bayes_widgets.core.fitting.validation import (
    FitInputError,
    check_positive_int,
    check_probability,
)

PUMP_SHARE = 0.02
"""The pump's ticks of an MCMC fit, its subscribers' work included, use at most about this
share of the time (processor time of the pump's thread): with slow subscribers it ticks
less often than ``rate_hz``, down to once per ``PUMP_MAX_INTERVAL_S``. Their work holds
the GIL, which the sampler's own thread needs (PyMC's chains wait for it after every
draw)."""
PUMP_MAX_INTERVAL_S = 0.5
_COST_WEIGHT = 0.3
"""Weight of the latest tick in the running mean of a tick's cost."""

DEFAULT_TUNE = 1000
DEFAULT_CHAINS = 2
DEFAULT_STEPS = 5000
_SVI_ONLY = ("guide", "steps", "optimizer", "loss")

Listener = Callable[[ev.Event], None]


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a session's progress."""

    status: str
    """'created', 'compiling', 'sampling', 'paused', 'finished', 'cancelled' or 'failed'."""
    chains: tuple[ev.ChainStatus, ...]
    """Per chain (empty for SVI)."""
    draws_done: int
    """Draws made, all chains (SVI: optimisation steps done)."""
    total: int
    elapsed_s: float
    message: str
    error: str | None
    method: str = "mcmc"
    svi: ev.SVIStatus | None = None
    """Loss, speed and ETA of a variational fit."""
    draws_per_s: float | None = None
    """All chains' draws per second of sampling so far (pauses excluded)."""
    eta_s: float | None = None
    """Seconds until the last chain ends (chains waiting for a core counted); None once cancelled."""
    warnings: tuple[dict[str, Any], ...] = ()
    """Warnings raised inside the fit, deduplicated, with counts."""
    log: tuple[str, ...] = ()
    """The sampler's log lines."""

    @property
    def fraction(self) -> float:
        return self.draws_done / self.total if self.total else 0.0


class FitSession:
    """Runs one fit in the background; see the module docstring.

    Parameters
    ----------
    model
        A ``pymc.Model`` (backends 'pymc', 'nutpie') or a NumPyro model function
        (backends 'numpyro', 'numpyro-svi').
    backend
        'pymc', 'nutpie', 'numpyro' (NUTS) or 'numpyro-svi' (variational).
    draws
        MCMC: draws per chain after tuning. SVI: draws sampled from the fitted guide.
    tune, chains, cores, target_accept
        MCMC only (defaults 1000 tuning draws, 2 chains, one core per chain).
    model_args, model_kwargs
        NumPyro only: the model (and guide) is called as ``model(*model_args, **model_kwargs)``.
    guide, steps, optimizer, loss
        SVI only: a NumPyro guide or an autoguide's name (default ``"AutoNormal"``), the
        number of optimisation steps (default 5000; a converged fit stops earlier), a
        ``numpyro.optim`` optimiser (default Adam(0.01)) and an ELBO (default Trace_ELBO).
    sampler_kwargs
        Backend options: ``pm.sample``'s, ``nutpie.sample``'s, ``numpyro.infer.NUTS``'s
        (plus ``chain_method``), or for SVI ``run_svi``'s (``chunk``, ``convergence``,
        ``window``, ``minibatch``, ``init_params``, ``init_state``, ...).
    var_names
        Scalars to trace live (MCMC) or sites to summarise live (SVI).
    rate_hz
        Progress and trace events per second at most (default 10); for MCMC, fewer when
        the subscribers' work would take more than ``PUMP_SHARE`` of the time.
    """

    def __init__(
        self,
        model,
        *,
        backend: str = "pymc",
        draws: int = 1000,
        tune: int | None = None,
        chains: int | None = None,
        cores: int | None = None,
        seed: int | None = None,
        target_accept: float | None = None,
        var_names: Sequence[str] | None = None,
        keep_warmup: bool = False,
        allow_missing: bool = False,
        rate_hz: float = 10.0,
        sampler_kwargs: dict[str, Any] | None = None,
        model_args: Sequence[Any] = (),
        model_kwargs: dict[str, Any] | None = None,
        guide: Any = None,
        steps: int | None = None,
        optimizer: Any = None,
        loss: Any = None,
    ):
        backend_cls = get_backend(backend)
        self.method = backend_cls.method
        draws = check_positive_int("draws", draws)
        if self.method == "svi":
            for name, value in (("tune", tune), ("target_accept", target_accept)):
                if value is not None:
                    raise FitInputError(
                        name,
                        f"is not used by SVI (backend {backend_cls.name!r}); "
                        "set steps= for the optimisation",
                    )
            if chains not in (None, 1):
                raise FitInputError("chains", f"SVI fits one guide (chains=1), got {chains!r}")
            steps = check_positive_int("steps", DEFAULT_STEPS if steps is None else steps)
            tune, chains = 0, 1
        else:
            for name, value in zip(_SVI_ONLY, (guide, steps, optimizer, loss), strict=True):
                if value is not None:
                    raise FitInputError(
                        name, f"is only used by backend 'numpyro-svi', not {backend_cls.name!r}"
                    )
            tune = check_positive_int(
                "tune", DEFAULT_TUNE if tune is None else tune, allow_zero=True
            )
            chains = check_positive_int("chains", DEFAULT_CHAINS if chains is None else chains)
        if not isinstance(model_args, tuple | list):
            raise FitInputError("model_args", f"must be a tuple, got {type(model_args).__name__}")
        if model_kwargs is not None and not isinstance(model_kwargs, dict):
            raise FitInputError(
                "model_kwargs", f"must be a dict, got {type(model_kwargs).__name__}"
            )
        if sampler_kwargs is not None and not isinstance(sampler_kwargs, dict):
            raise FitInputError(
                "sampler_kwargs", f"must be a dict, got {type(sampler_kwargs).__name__}"
            )
        if cores is None:
            cores = min(chains, os.cpu_count() or 1)
        cores = check_positive_int("cores", cores)
        if seed is not None:
            seed = check_positive_int("seed", seed, allow_zero=True)
        if target_accept is not None:
            target_accept = check_probability("target_accept", target_accept)
        if (
            isinstance(rate_hz, bool)
            or not isinstance(rate_hz, numbers.Real)
            or not 0 < rate_hz <= 50
        ):
            raise FitInputError("rate_hz", f"must be a number in (0, 50], got {rate_hz!r}")
        self.id = uuid.uuid4().hex[:12]
        self.model = model
        self.config = FitConfig(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=seed,
            target_accept=target_accept,
            sampler_kwargs=dict(sampler_kwargs or {}),
            model_args=tuple(model_args),
            model_kwargs=dict(model_kwargs or {}),
            steps=steps,
            guide=guide,
            optimizer=optimizer,
            loss=loss,
            keep_warmup=keep_warmup,
        )
        # the backend checks the model and its options, naming the field to fix
        self.backend = backend_cls(model, self.config, var_names, allow_missing=allow_missing)
        self.trace_names = self.backend.trace_names
        self.trace_labels: tuple[str, ...] = tuple(
            getattr(self.backend, "trace_labels", self.trace_names)
        )
        """The traced scalars as shown, with coordinate labels (``beta[price]``)."""
        self.keep_warmup = keep_warmup
        self.capture = FitCapture()
        """Warnings and log lines of the fit's threads (see :mod:`bayes_widgets.core.fitting.capture`)."""
        if self.method == "svi":
            self.state: FitState | LossState = LossState(steps)
        else:
            self.state = FitState(chains, tune, draws, self.trace_names, cores=cores)
        self._control = Control(self.state)
        self._control.on_compiled = self._mark_compiled
        self._interval = 1.0 / rate_hz
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._status = "created"
        self._message = ""
        self._error: str | None = None
        self._result: FitResult | None = None
        self._done = threading.Event()
        self._final_emitted = threading.Event()
        self._worker_done = threading.Event()
        self._t0: float | None = None
        self._t_compile: float | None = None
        self._t_sample: float | None = None
        self._t_end: float | None = None
        self._worker: threading.Thread | None = None
        self._pump: threading.Thread | None = None
        self._tick_lock = threading.Lock()
        self._tick_cursor = [0] * (1 if self.method == "svi" else chains)
        """Per chain, the draws emitted so far (SVI: the losses)."""
        self._tick_version = -1

    # -- control ---------------------------------------------------------------------
    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def supports_pause(self) -> bool:
        return self.backend.supports_pause

    @property
    def status(self) -> str:
        return self._status

    @property
    def final_result(self) -> FitResult | None:
        """The result once the fit has ended, else None (does not wait)."""
        return self._result

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener(event)`` for every later event; returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def start(self) -> FitSession:
        """Starts sampling in the background and returns at once."""
        with self._lock:
            if self._worker is not None or self._done.is_set():
                raise RuntimeError("this fit session was already started or has ended")
            self._t0 = time.perf_counter()
            self._status = "compiling"
            self._worker = threading.Thread(
                target=self._work, name=f"bw-fit-{self.id}", daemon=True
            )
            self._pump = threading.Thread(
                target=self._pump_loop, name=f"bw-pump-{self.id}", daemon=True
            )
        self._emit(
            ev.Started(
                self.id,
                backend=self.backend.name,
                chains=self.config.chains,
                draws=self.config.draws,
                tune=self.config.tune,
                trace_names=self.trace_names,
                trace_labels=self.trace_labels,
            )
        )
        _RUNNING.add(self)
        self._worker.start()
        self._pump.start()
        return self

    def pause(self) -> None:
        if not self.supports_pause:
            raise RuntimeError(f"backend {self.backend.name!r} cannot pause")
        if not self.done:
            self._control.pause_requested.set()
            with self._lock:
                if self._status == "sampling":
                    self._status = "paused"
            self._emit(ev.Paused(self.id))

    def resume(self) -> None:
        if self._control.pause_requested.is_set():
            self._control.pause_requested.clear()
            with self._lock:
                if self._status == "paused":
                    self._status = "sampling"
            self._emit(ev.Resumed(self.id))

    def cancel(self, wait: bool = True, timeout: float = 2.0) -> FitResult | None:
        """Stops sampling, keeping the draws made so far.

        Returns at the latest after ``timeout`` seconds: the (partial) result if it is
        ready by then, else None (``wait()`` returns it once summarised). If the
        backend is still compiling, the session is marked cancelled at once and the
        worker ends when compiling does.
        """
        if not self._done.is_set() and isinstance(self.state, FitState):
            self.state.cancelled = True
        self._control.cancel_requested.set()
        if self._worker is None:
            self._finish_cancelled_early("Cancelled before the fit started.")
            return self._result
        with self._lock:
            still_compiling = self._t_sample is None
        if still_compiling:
            self._finish_cancelled_early("Cancelled while compiling; no draws were made.")
        if wait:
            self._done.wait(timeout)
        return self._result

    def wait(self, timeout: float | None = None) -> FitResult | None:
        """Blocks until the fit ends and returns its result.

        An interrupt (Ctrl-C, or the notebook's interrupt button) cancels the fit
        and returns the partial result.
        """
        if self._worker is None:
            self.start()
        try:
            if self._done.wait(timeout):
                # subscribers have seen the final event when wait() returns
                self._final_emitted.wait(timeout)
        except KeyboardInterrupt:
            return self.cancel()
        return self._result

    result = wait

    # -- reading ---------------------------------------------------------------------
    @property
    def elapsed_s(self) -> float:
        """Seconds since start, until the fit ended."""
        with self._lock:
            if self._t0 is None:
                return 0.0
            return (self._t_end or time.perf_counter()) - self._t0

    def snapshot(self) -> Snapshot:
        elapsed = self.elapsed_s
        with self._lock:
            status, message, error = self._status, self._message, self._error
        if self.method == "svi":
            svi = self.state.status(elapsed)
            return Snapshot(
                status=status,
                chains=(),
                draws_done=svi.steps_done,
                total=svi.total,
                elapsed_s=elapsed,
                message=message,
                error=error,
                method="svi",
                svi=svi,
            )
        chains = self.state.chain_statuses()
        overall = self.state.overall(chains)
        return Snapshot(
            status=status,
            chains=chains,
            draws_done=overall["draws_done"],
            total=overall["total"],
            elapsed_s=elapsed,
            message=message,
            error=error,
            draws_per_s=overall["draws_per_s"],
            eta_s=None if status in ("finished", "cancelled", "failed") else overall["eta_s"],
            warnings=tuple(self.capture.warnings),
            log=tuple(self.capture.log),
        )

    def running_diagnostics(self) -> list[dict[str, Any]]:
        """R-hat and ESS of the traced scalars over the post-tuning draws so far, named
        with coordinate labels, each row with its ``problems`` (the rules of
        :mod:`bayes_widgets.core.fitting.diagnostics`)."""
        if self.method == "svi":
            return []
        return running_diagnostics(self.state.posterior_draws(), self.trace_labels)

    # -- internals -------------------------------------------------------------------
    def _emit(self, event: ev.Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken subscriber must not stop the fit
                traceback.print_exc()

    def _work(self) -> None:
        with self.capture.thread():
            self._work_captured()
            # The worker sends the last updates and the terminal event itself: whoever
            # waits on the fit is not kept waiting for the pump thread to wake up.
            if self._pump is not None:
                self._tick(final=True)

    def _work_captured(self) -> None:
        control = self._control
        try:
            self._t_compile = time.perf_counter()
            self.backend.prepare(control)
            if not self.backend.compiles_in_run and not self._mark_compiled():
                return
            idata = self.backend.run(control)
            self._t_end = time.perf_counter()
            self._finish(idata, cancelled=control.cancelled)
        except BaseException as exc:
            self._t_end = time.perf_counter()
            self._fail(exc)
        finally:
            self._worker_done.set()

    def _mark_compiled(self) -> bool:
        """Compiling is over: emits ``Compiled`` once; False when the fit was cancelled meanwhile."""
        with self._lock:
            if self._done.is_set():  # cancelled while compiling: already settled
                return False
            if self._t_sample is not None:
                return True
            self._t_sample = time.perf_counter()
            if self._status == "compiling":
                self._status = "paused" if self._control.pause_requested.is_set() else "sampling"
        self._emit(
            ev.Compiled(self.id, seconds=self._t_sample - (self._t_compile or self._t_sample))
        )
        if self._control.cancelled:
            self._finish_cancelled_early("Cancelled while compiling; no draws were made.")
            return False
        return True

    def _pump_loop(self) -> None:
        # warm the diagnostics imports here, while the backend compiles, so the first
        # running R-hat/ESS does not pay for them
        import arviz_stats  # noqa: F401
        import scipy.stats  # noqa: F401

        with self.capture.thread():  # a subscriber's warnings belong to the fit too
            interval, cost = self._interval, None
            while True:
                done = self._worker_done.wait(interval) or self._done.is_set()
                t = time.thread_time()
                if not self._tick(final=done):
                    return
                if self.method == "svi":  # the optimiser runs compiled chunks, not draw by draw
                    continue
                spent = time.thread_time() - t
                cost = spent if cost is None else (1 - _COST_WEIGHT) * cost + _COST_WEIGHT * spent
                # a costly tick (a subscriber's occasional heavy update) is paid for at once
                interval = max(
                    self._interval, min(max(cost, spent) / PUMP_SHARE, PUMP_MAX_INTERVAL_S)
                )

    def _tick(self, *, final: bool) -> bool:
        """Emits what is new since the last tick (draws and progress, or losses); with
        ``final``, then the terminal event. One tick at a time, so events leave in order,
        whichever thread ticks: the pump, or the worker as it ends the fit. False once the
        terminal event has been emitted."""
        with self._tick_lock:
            if self._final_emitted.is_set():
                return False
            if self.method == "svi":
                self._tick_losses()
            else:
                self._tick_draws()
            if final:
                self._done.wait()
                self._emit_final()
                return False
        return True

    def _tick_draws(self) -> None:
        cursor = self._tick_cursor
        for delta in self.state.trace_since(cursor):
            cursor[delta.chain] = delta.start + len(delta.values)
            self._emit(
                ev.TraceChunk(
                    self.id,
                    chain=delta.chain,
                    start=delta.start,
                    values=delta.values,
                    tuning=delta.tuning,
                    diverging=delta.diverging,
                )
            )
        if self.state.version != self._tick_version:
            self._tick_version = self.state.version
            self._emit(ev.ChainProgress(self.id, chains=self.state.chain_statuses()))

    def _tick_losses(self) -> None:
        state: LossState = self.state  # type: ignore[assignment]
        if state.version != self._tick_version:
            self._tick_version = state.version
            start = self._tick_cursor[0]
            new = state.losses_since(start)
            self._emit(
                ev.LossChunk(
                    self.id,
                    start=start,
                    losses=new,
                    status=state.status(self.elapsed_s),
                    params=state.params(),
                )
            )
            self._tick_cursor[0] = start + len(new)

    def _emit_final(self) -> None:
        r = self._result
        if r is None or self._final_emitted.is_set():
            return
        try:
            if r.status == "finished":
                self._emit(ev.Finished(self.id, result=r))
            elif r.status == "cancelled":
                self._emit(ev.Cancelled(self.id, result=r))
            else:
                self._emit(ev.Failed(self.id, error=r.error or "", traceback=r.message))
        finally:
            self._final_emitted.set()

    def _timings(self) -> tuple[float, float]:
        """Wall time, and sampling time: for MCMC from the first chain's start to the last
        chain's end (the backend's own start-up and the trace's conversion left out), else
        from the end of compiling; pauses excluded."""
        end = self._t_end or time.perf_counter()
        wall = end - (self._t0 or end)
        sampling = end - (self._t_sample or end) - self.state.paused_seconds()
        if isinstance(self.state, FitState):
            chains = self.state.sampling_seconds()
            if chains is not None:
                sampling = min(chains, sampling) if sampling > 0 else chains
        return wall, max(sampling, 0.0)

    def _finish(self, idata, *, cancelled: bool) -> None:
        if self.method == "svi":
            self._finish_svi(idata, cancelled=cancelled)
            return
        tune, draws = self.config.tune, self.config.draws
        made = tuple(c.draws_done for c in self.state.chain_statuses())
        done = (
            getattr(self.backend, "draws_completed", None)
            or _draws_in(idata, self.config.chains)
            or made
        )
        message = ""
        if cancelled:
            idata, dropped = trim_partial(idata)
            message = self._cancel_message(idata, made, dropped)
            has_post = _draws_of(idata, "posterior") > 0
            if has_post and not self.keep_warmup:
                idata = _drop_warmup(idata)
        elif not self.keep_warmup and idata is not None:
            idata = _drop_warmup(idata)
        if idata is not None:
            idata = _in_model_order(idata, _model_order(self.model))
        deterministics = self.backend.deterministic_names()
        if idata is not None and "posterior" in idata.children and deterministics is not None:
            idata["posterior"].attrs["bw_deterministics"] = ",".join(deterministics)
        kinds = (
            None
            if deterministics is None
            else {
                n: "deterministic" if n in deterministics else "free"
                for n in (
                    idata["posterior"].to_dataset().data_vars
                    if idata is not None and "posterior" in idata.children
                    else ()
                )
            }
        )
        wall, sampling = self._timings()
        result = FitResult(
            status="cancelled" if cancelled else "finished",
            idata=idata,
            summarize=partial(
                summarize,
                idata,
                backend=self.backend.name,
                tune=tune,
                wall_time_s=wall,
                sampling_time_s=sampling,
                partial=cancelled,
                chains=self.config.chains,
                kinds=kinds,
                draws_made=sum(made) or None,
            ),
            backend=self.backend.name,
            partial=cancelled,
            message=message or f"Finished: {draws} draws per chain after {tune} tuning draws.",
            draws_completed=done,
            warnings=self.capture.warnings,
            log=self.capture.log,
        )
        self._settle(result)

    def _cancel_message(self, idata, made: tuple[int, ...], dropped: list[int]) -> str:
        """What a cancelled fit kept, per chain, as counted in the result's groups."""
        tune, draws, chains = self.config.tune, self.config.draws, self.config.chains
        n_warm = _draws_of(idata, "warmup_posterior")
        n_post = _draws_of(idata, "posterior")
        kept_chains = _chains_of(idata, "posterior" if n_post else "warmup_posterior")
        made_tune = [min(n, tune) for n in made]
        made_post = [max(n - tune, 0) for n in made]
        if not n_post:
            text = (
                "Cancelled during tuning: no posterior draws; "
                f"{n_warm} of {tune} tuning draws per chain kept in 'warmup_posterior'"
                if n_warm
                else "Cancelled before the first draw: nothing to keep"
            )
            if n_warm and len(set(made_tune)) > 1:
                text += f" (made per chain: {', '.join(map(str, made_tune))}; cut to the shortest)"
            return text + "."
        text = f"Cancelled: {n_post} of {draws} draws per chain kept in 'posterior'"
        if self.keep_warmup and n_warm:
            text += f", with {n_warm} tuning draws per chain in 'warmup_posterior'"
        started = [n for n in made_post if n > 0]
        if len(set(started)) > 1:
            text += f" (made per chain: {', '.join(map(str, made_post))}; cut to the shortest)"
        text += " (partial result)."
        if dropped:
            text += f" Chains {dropped} had no draws after tuning yet and were dropped."
        elif kept_chains and kept_chains < chains:
            empty = [c for c, n in enumerate(made_post) if n == 0]
            why = (
                f"chain{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))} had no draws after tuning"
                if empty
                else "the sampler keeps the longest chains of an interrupted fit"
            )
            text += f" {kept_chains} of {chains} chains kept ({why})."
        return text

    def _finish_svi(self, idata, *, cancelled: bool) -> None:
        extras = dict(self.backend.result_extras())
        cancelled = bool(extras.get("cancelled"))  # a cancel after the last chunk changes nothing
        wall, optimising = self._timings()
        n_draws = (
            idata["posterior"].sizes["draw"]
            if idata is not None and "posterior" in idata.children
            else 0
        )
        svi_info = {
            "steps": extras.get("steps", 0),
            "steps_requested": self.config.steps,
            "converged": bool(extras.get("converged", False)),
            "final_loss": extras.get("final_loss"),
            "steps_per_s": extras.get("steps_per_s"),
            "compile_s": extras.get("compile_s"),
            "guide": extras.get("guide_name"),
        }
        result = FitResult(
            status="cancelled" if cancelled else "finished",
            idata=idata,
            summarize=partial(
                summarize,
                idata,
                backend=self.backend.name,
                tune=0,
                wall_time_s=wall,
                sampling_time_s=optimising,
                partial=cancelled,
                chains=1,
                method="svi",
                svi=svi_info,
            ),
            backend=self.backend.name,
            partial=cancelled,
            message=extras.get("message", ""),
            draws_completed=(int(n_draws),),
            method="svi",
            params=extras.get("params"),
            losses=extras.get("losses"),
            steps=int(extras.get("steps", 0)),
            converged=bool(extras.get("converged", False)),
            svi_state=extras.get("state"),
            warnings=self.capture.warnings,
            log=self.capture.log,
        )
        self._settle(result)

    def _finish_cancelled_early(self, message: str) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._t_end = self._t_end or time.perf_counter()
        wall, _ = self._timings()
        self._settle(
            FitResult(
                status="cancelled",
                idata=None,
                summarize=partial(
                    summarize,
                    None,
                    backend=self.backend.name,
                    tune=self.config.tune,
                    wall_time_s=wall,
                    sampling_time_s=0.0,
                    partial=True,
                    chains=self.config.chains,
                ),
                backend=self.backend.name,
                method=self.method,
                partial=True,
                message=message,
                draws_completed=tuple([0] * self.config.chains),
                warnings=self.capture.warnings,
                log=self.capture.log,
            )
        )

    def _fail(self, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(exc))
        error = f"{type(exc).__name__}: {exc}"
        wall, sampling = self._timings()
        self._settle(
            FitResult(
                status="failed",
                idata=None,
                summarize=partial(
                    summarize,
                    None,
                    backend=self.backend.name,
                    tune=self.config.tune,
                    wall_time_s=wall,
                    sampling_time_s=sampling,
                    partial=True,
                    chains=self.config.chains,
                ),
                backend=self.backend.name,
                method=self.method,
                partial=True,
                message=tb,
                draws_completed=self._draws_so_far(),
                error=error,
                warnings=self.capture.warnings,
                log=self.capture.log,
            )
        )

    def _draws_so_far(self) -> tuple[int, ...]:
        if self.method == "svi":
            return (0,)
        return tuple(c.draws_done for c in self.state.chain_statuses())

    def _settle(self, result: FitResult) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._result = result
            self._status = result.status
            self._message = result.message if result.status != "failed" else result.error or ""
            self._error = result.error
            self._t_end = self._t_end or time.perf_counter()
            self._done.set()
        if self._pump is None:
            self._emit_final()


_RUNNING: weakref.WeakSet[FitSession] = weakref.WeakSet()


@atexit.register
def _stop_running_fits(timeout: float = 5.0) -> None:
    """At interpreter exit, cancels fits still running and lets their workers leave the
    sampler: a compiled JAX computation still running while Python finalises aborts the
    process."""
    deadline = time.perf_counter() + timeout
    for session in list(_RUNNING):
        if not session._worker_done.is_set():
            session._control.cancel_requested.set()
    for session in list(_RUNNING):
        session._worker_done.wait(max(0.0, deadline - time.perf_counter()))


def _draws_in(tree, chains: int) -> tuple[int, ...] | None:
    """Draws per chain (tuning included) in a backend's untrimmed trace, if it has them."""
    from bayes_widgets.core.fitting.trim import chain_lengths

    if tree is None:
        return None
    total = np.zeros(chains, dtype=int)
    found = False
    for stats_group in ("warmup_sample_stats", "sample_stats"):
        if stats_group in tree.children:
            lengths = chain_lengths(tree[stats_group].to_dataset())
            if lengths is not None and len(lengths) == chains:
                total += lengths
                found = True
    return tuple(int(n) for n in total) if found else None


def _draws_of(tree, group: str) -> int:
    if tree is None or group not in tree.children:
        return 0
    return int(tree[group].to_dataset().sizes.get("draw", 0))


def _chains_of(tree, group: str) -> int:
    if tree is None or group not in tree.children:
        return 0
    return int(tree[group].to_dataset().sizes.get("chain", 0))


def _model_order(model) -> list[str] | None:
    """A PyMC model's variables as written: its free variables (``model.free_RVs``), then
    its deterministics; None for a model that does not list them (NumPyro's samples
    already come in the order of the model's sites)."""
    free = getattr(model, "free_RVs", None)
    if free is None:
        return None
    return [rv.name for rv in free] + [d.name for d in getattr(model, "deterministics", ())]


def _in_model_order(tree, order: list[str] | None):
    """``tree`` with the variables of its posterior groups in ``order`` (variables it does
    not name keep their place after those). nutpie writes a model's untransformed free
    variables before the transformed ones (eight schools: mu, theta, tau); the summary,
    the monitor and the explorer list them as the model does (mu, tau, theta)."""
    if not order:
        return tree
    rank = {name: i for i, name in enumerate(order)}
    for group in ("posterior", "warmup_posterior"):
        if group not in tree.children:
            continue
        ds = tree[group].to_dataset()
        names = list(ds.data_vars)
        ordered = sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))
        if ordered != names:
            tree[group] = ds[ordered]
    return tree


def _drop_warmup(tree):
    """``tree`` without its ``warmup_*`` groups, removed in place (the backend's trace is
    the session's own)."""
    for name in [k for k in tree.children if k.startswith("warmup_")]:
        del tree[name]
    return tree


def fit(
    model, *, backend: str = "pymc", block: bool = True, **kwargs: Any
) -> FitResult | FitSession:
    """Fits ``model`` and returns a :class:`FitResult` (``block=False``: the running session).

    Keyword arguments are those of :class:`FitSession` (draws, tune, chains, cores,
    seed, target_accept, var_names, sampler_kwargs; for NumPyro models model_args and
    model_kwargs; for ``backend="numpyro-svi"`` guide, steps, optimizer, loss)::

        bw.fit(pymc_model, backend="nutpie")
        bw.fit(numpyro_model, backend="numpyro", model_args=(sigma,), model_kwargs={"y": y})
        bw.fit(numpyro_model, backend="numpyro-svi", guide="AutoNormal", steps=5000,
               model_args=(sigma,), model_kwargs={"y": y})
    """
    session = FitSession(model, backend=backend, **kwargs).start()
    return session.wait() if block else session

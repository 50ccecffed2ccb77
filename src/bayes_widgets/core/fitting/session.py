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

Events (:mod:`~bayes_widgets.core.fitting.events`) go to subscribers from a pump thread
at ``rate_hz``, so a slow subscriber never blocks the sampler; the last updates and the
terminal event come from the worker as it ends the fit. What differs between MCMC and
SVI is the session's :attr:`~FitSession.fit_method` (:mod:`~bayes_widgets.core.fitting.methods`).
"""

from __future__ import annotations

import atexit
import numbers
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable
from typing import Any, cast

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.backends import Control, get_backend
from bayes_widgets.core.fitting.capture import FitCapture
from bayes_widgets.core.fitting.events import Snapshot
from bayes_widgets.core.fitting.methods import (
    FitEnd,
    FitMethod,
    fit_method,
)
from bayes_widgets.core.fitting.options import FitOptions
from bayes_widgets.core.fitting.pacing import Pacer
from bayes_widgets.core.fitting.result import FitResult
from bayes_widgets.core.fitting.validation import FitInputError

Listener = Callable[[ev.Event], None]


class FitSession:
    """Runs one fit in the background; see the module docstring.

    Parameters
    ----------
    model
        A ``pymc.Model`` (backends 'pymc', 'nutpie') or a NumPyro model function
        (backends 'numpyro', 'numpyro-svi').
    backend
        'pymc', 'nutpie', 'numpyro' (NUTS) or 'numpyro-svi' (variational).
    options, **kwargs
        A :class:`~bayes_widgets.core.fitting.options.FitOptions`, and/or its fields by
        keyword: ``draws`` (MCMC: per chain after tuning; SVI: sampled from the guide),
        ``seed``, ``var_names`` (scalars traced live), ``rate_hz`` (events per second at
        most, default 10), ``sampler_kwargs`` (the backend's own options, for SVI
        ``run_svi``'s), ``allow_missing``; MCMC only ``tune``, ``chains``, ``cores``,
        ``target_accept``, ``keep_warmup``; SVI only ``guide``, ``steps``, ``optimizer``,
        ``loss``; NumPyro only ``model_args``, ``model_kwargs``.
    """

    def __init__(
        self,
        model,
        *,
        backend: str = "pymc",
        options: FitOptions | None = None,
        **kwargs: Any,
    ):
        options = FitOptions.from_kwargs(kwargs, options)
        backend_cls = get_backend(backend)
        self.fit_method: FitMethod = fit_method(backend_cls.method)
        """What differs between MCMC and SVI (options, progress, result, diagnostics)."""
        self.config = self.fit_method.config(options, backend_cls.name)
        self.options = options
        self.id = uuid.uuid4().hex[:12]
        self.model = model
        self._interval = 1.0 / _check_rate(options.rate_hz)
        # the backend checks the model and its options, naming the field to fix
        self.backend = backend_cls(
            model, self.config, options.var_names, allow_missing=options.allow_missing
        )
        self.trace_names = self.backend.trace_names
        self.trace_labels: tuple[str, ...] = tuple(self.backend.trace_labels)
        """The traced scalars as shown, with coordinate labels (``beta[price]``)."""
        self.keep_warmup = self.config.keep_warmup
        self.capture = FitCapture()
        """Warnings and log lines of the fit's threads (see :mod:`bayes_widgets.core.fitting.capture`)."""
        self.state = self.fit_method.new_state(self.config, self.trace_names)
        self._feed = self.fit_method.feed(self.state, self.id)
        self._control = Control(self.state)
        self._control.on_compiled = self._mark_compiled
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

    @property
    def method(self) -> str:
        """'mcmc' or 'svi' (the name of :attr:`fit_method`)."""
        return self.fit_method.name

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
        if not self._done.is_set():
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

    def stop_sampler(self) -> None:
        """Asks the backend to stop between steps, and nothing else: no event, no result
        (at interpreter exit, where only the worker's leaving the sampler matters)."""
        if not self._worker_done.is_set():
            self._control.cancel_requested.set()

    def wait_worker(self, timeout: float | None = None) -> bool:
        """Waits until the worker thread has left the sampler; False on timeout."""
        return self._worker_done.wait(timeout)

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
        return self.fit_method.snapshot(
            self.state,
            status=status,
            message=message,
            error=error,
            elapsed_s=elapsed,
            capture=self.capture,
        )

    def running_diagnostics(self) -> list[dict[str, Any]]:
        """R-hat and ESS of the traced scalars over the post-tuning draws so far, named
        with coordinate labels, each row with its ``problems`` (the rules of
        :mod:`bayes_widgets.core.fitting.rules`); none for SVI."""
        return self.fit_method.running_diagnostics(self.state, self.trace_labels)

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

        pacer = Pacer(self._interval, paced=self.fit_method.paces_pump)
        with self.capture.thread():  # a subscriber's warnings belong to the fit too
            interval = self._interval
            while True:
                done = self._worker_done.wait(interval) or self._done.is_set()
                t = time.thread_time()
                if not self._tick(final=done):
                    return
                interval = pacer.after_tick(time.thread_time() - t)

    def _tick(self, *, final: bool) -> bool:
        """Emits what is new since the last tick (draws and progress, or losses); with
        ``final``, then the terminal event. One tick at a time, so events leave in order,
        whichever thread ticks: the pump, or the worker as it ends the fit. False once the
        terminal event has been emitted."""
        with self._tick_lock:
            if self._final_emitted.is_set():
                return False
            for event in self._feed.events(self.elapsed_s):
                self._emit(event)
            if final:
                self._done.wait()
                self._emit_final()
                return False
        return True

    def _emit_final(self) -> None:
        r = self._result
        if r is None or self._final_emitted.is_set():
            return
        try:
            if r.status == "failed":
                self._emit(ev.Failed(self.id, error=r.error or "", traceback=r.message))
            else:
                ended = ev.Finished if r.status == "finished" else ev.Cancelled
                self._emit(ended(self.id, result=r))
        finally:
            self._final_emitted.set()

    def _timings(self) -> tuple[float, float]:
        """Wall time, and sampling time: for MCMC from the first chain's start to the last
        chain's end (the backend's own start-up and the trace's conversion left out), else
        from the end of compiling; pauses excluded."""
        end = self._t_end or time.perf_counter()
        wall = end - (self._t0 or end)
        sampling = end - (self._t_sample or end) - self.state.paused_seconds()
        chains = self.state.sampling_seconds()
        if chains is not None:
            sampling = min(chains, sampling) if sampling > 0 else chains
        return wall, max(sampling, 0.0)

    def _end(self, wall: float, sampling: float) -> FitEnd:
        return FitEnd(
            config=self.config,
            backend=self.backend,
            model=self.model,
            state=self.state,
            wall_s=wall,
            sampling_s=sampling,
            warnings=self.capture.warnings,
            log=self.capture.log,
        )

    def _finish(self, idata, *, cancelled: bool) -> None:
        end = self._end(*self._timings())
        self._settle(self.fit_method.result(idata, end, cancelled=cancelled))

    def _finish_cancelled_early(self, message: str) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._t_end = self._t_end or time.perf_counter()
        end = self._end(self._timings()[0], 0.0)
        draws = tuple([0] * self.config.chains)
        self._settle(self.fit_method.result_without_draws(end, "cancelled", message, draws))

    def _fail(self, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(exc))
        draws = self.fit_method.draws_so_far(self.state)
        error = f"{type(exc).__name__}: {exc}"
        end = self._end(*self._timings())
        self._settle(self.fit_method.result_without_draws(end, "failed", tb, draws, error=error))

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
        session.stop_sampler()
    for session in list(_RUNNING):
        session.wait_worker(max(0.0, deadline - time.perf_counter()))


def _check_rate(rate_hz) -> float:
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, numbers.Real):
        raise FitInputError("rate_hz", f"must be a number in (0, 50], got {rate_hz!r}")
    rate = float(rate_hz)
    if not 0 < rate <= 50:
        raise FitInputError("rate_hz", f"must be a number in (0, 50], got {rate_hz!r}")
    return rate


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
    if not block:
        return session
    # without a timeout the result is there (None only when an interrupt's cancel outlasts
    # its timeout, and then returned as it is)
    return cast(FitResult, session.wait())

"""FitMonitor: watch a fit live — chains, divergences, trace and rank plots, R-hat/ESS,
or for SVI the loss curve and the guide's parameters.

    monitor = FitMonitor(model, backend="nutpie", draws=1000)   # starts at once
    monitor                                                     # shows it
    result = monitor.wait()                                     # or keep working
    FitMonitor(numpyro_model, backend="numpyro-svi", guide="AutoNormal", steps=20_000,
               model_args=(x,), model_kwargs={"y": y})           # the loss curve

The fit runs in the session's worker thread, so the kernel stays free; the buttons act
on the session through the core API. Live numbers are traits updated at the session's
rate, new draws stream as messages, and the final state (figure with data, diagnostics)
lands in traits, so a saved notebook or a reloaded page shows it. What is shown per fit
method lives in :mod:`~bayes_widgets.widgets.fit_views`.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from typing import Any

import traitlets

from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.widgets._base import BayesWidget, static_text
from bayes_widgets.widgets.fit_views import LIVE_POINTS, STREAM_POINTS, VIEWS, MonitorView

YIELD_S = 0.005

__all__ = ["STREAM_POINTS", "FitMonitor", "finish_pending_views"]


class FitMonitor(BayesWidget):
    """Live view of a :class:`~bayes_widgets.core.fitting.session.FitSession`.

    Pass a ``model`` (a PyMC model, or a NumPyro model function with ``model_args`` /
    ``model_kwargs``) and the session's keyword arguments (``backend``, ``draws``,
    ``tune``, ``chains``, ``cores``, ``seed``, ``target_accept``, ``var_names``; for
    ``backend="numpyro-svi"`` ``guide``, ``steps``, ``optimizer``, ``loss``, ...), or a
    ready ``session``. Bad input is shown inline (``error``) instead of raising;
    :meth:`wait` raises it.
    """

    _urgent = frozenset({"cancel", "pause", "resume", "sync"})

    status = traitlets.Unicode("created").tag(sync=True)
    """created, compiling, sampling, paused, finished, cancelled, failed, or error (bad input)."""
    message = traitlets.Unicode("").tag(sync=True)
    """What happened, e.g. how many draws a cancelled fit kept."""
    backend = traitlets.Unicode("").tag(sync=True)
    trace_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Scalars shown in the trace and rank plots, with coordinate labels (``beta[price]``)."""
    problems = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Every problem of the fit, named (the rules of ``result.diagnostics``): while sampling
    from the running R-hat/ESS and the divergences, at the end from the final diagnostics."""
    groups = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Final: one line per variable (size, max R-hat, min ESS, problems); free ones first."""
    warnings = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Warnings raised inside the fit, each once: category, message, count."""
    log = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The sampler's log lines (kept here instead of printed in other cells)."""
    chains = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Per chain: draws_done, total, phase, divergences, step_size, tree_depth/n_steps, draws_per_s, eta_s."""
    progress = traitlets.Dict().tag(sync=True)
    """Overall: draws_done, total, fraction, draws_per_s, elapsed_s, eta_s, divergences."""
    running = traitlets.List(traitlets.Dict()).tag(sync=True)
    """R-hat and ESS of the traced scalars so far (about once a second)."""
    diagnostics = traitlets.Dict().tag(sync=True)
    """Final diagnostics (the core's one schema) once the fit has ended."""
    trace_figure = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of the trace/rank figure (SVI: the loss curve); rewritten with the
    draws when the fit ends."""
    ranks = traitlets.List().tag(sync=True)
    """Rank-plot counts per traced scalar: [k][chain][bin]."""
    can_pause = traitlets.Bool(False).tag(sync=True)
    tune = traitlets.Int(0).tag(sync=True)
    live_points = traitlets.Int(LIVE_POINTS).tag(sync=True)
    method = traitlets.Unicode("mcmc").tag(sync=True)
    """'mcmc' (chains and traces) or 'svi' (loss curve and parameters)."""
    svi_params = traitlets.List(traitlets.Dict()).tag(sync=True)
    """SVI: current parameters of the main sites: name, shape, value, lo, hi, kind."""
    loss_stride = traitlets.Int(1).tag(sync=True)
    """SVI: steps averaged into one point of the loss curve."""

    def __init__(
        self,
        model=None,
        *,
        session: FitSession | None = None,
        autostart: bool = True,
        **fit_kwargs: Any,
    ):
        # The fit starts first, so building the widget overlaps with sampling; events that
        # arrive before the widget is ready wait in the relay and are replayed in order.
        relay = _Relay()
        exception: Exception | None = None
        try:
            if session is None:
                if model is None:
                    raise FitInputError("model", "pass a model (PyMC or NumPyro) or session=...")
                session = FitSession(model, **fit_kwargs)
            elif fit_kwargs or model is not None:
                raise FitInputError("session", "pass either a session or a model with its options")
            session.subscribe(relay)
            if autostart and session.status == "created":
                session.start()
        except (FitInputError, TypeError, ImportError) as exc:
            exception, session = exc, None
        super().__init__(_esm=static_text("fit_monitor.js"))
        self.session: FitSession | None = session
        self.exception = exception
        self._rendered = threading.Event()
        self._view: MonitorView | None = None
        if session is None:
            self.status = "error"
            self.error = str(exception)
            return
        self._view = VIEWS[session.fit_method.view](self, session)
        with self.hold_sync():
            self.backend = session.backend_name
            self.method = session.method
            self.trace_names = list(session.trace_labels)
            self.can_pause = session.supports_pause
            self.tune = session.config.tune
            self._view.publish_start()
        _PENDING.add(self)
        _wait_for_views_at_cell_end()
        relay.attach(self._on_event)

    figure_json = renamed_trait("figure_json", "trace_figure")

    # -- Python API ----------------------------------------------------------------
    def wait(self, timeout: float | None = None):
        """Blocks until the fit ends; returns its :class:`FitResult`. Interrupt = cancel.

        The result comes back as soon as sampling has ended; the widget's final view
        (diagnostics table, figure with the draws) is written just after, off this
        thread — :meth:`wait_rendered` waits for it, and in IPython every cell waits
        for it before it ends, so a saved notebook always holds the final state.
        """
        if self.session is None:
            raise self.exception  # type: ignore[misc]
        return self.session.wait(timeout)

    result = wait

    def wait_rendered(self, timeout: float | None = None) -> bool:
        """Waits until the final state of an ended fit is in the traits; False on timeout."""
        if self.session is None:
            return True
        self.session.wait(timeout)
        return self._rendered.wait(timeout)

    def cancel(self):
        if self.session is not None:
            return self.session.cancel()
        return None

    def pause(self) -> None:
        if self.session is not None:
            self.session.pause()
            self.status = self.session.status

    def resume(self) -> None:
        if self.session is not None:
            self.session.resume()
            self.status = self.session.status

    # -- messages from the front end -------------------------------------------------
    def _on_cancel(self, _msg) -> None:
        if self.session is not None:
            self.session.cancel(wait=False)

    def _on_pause(self, _msg) -> None:
        self.pause()

    def _on_resume(self, _msg) -> None:
        self.resume()

    def _on_sync(self, msg) -> None:
        """A view asks for everything drawn so far (after a page reload or a late render)."""
        if self._view is not None:
            self._view.sync(msg.get("request"))

    # -- events from the session (pump thread) -------------------------------------
    def _on_event(self, event: ev.Event) -> None:
        session, view = self.session, self._view
        if session is None or view is None:
            return
        if isinstance(event, ev.Paused | ev.Resumed | ev.Compiled):
            self.status = session.status
        elif isinstance(event, ev.Finished | ev.Cancelled | ev.Failed):
            # the result is handed back at once; the final view is drawn off the pump
            threading.Thread(
                target=self._publish_final, name="bw-monitor-final", daemon=True
            ).start()
        else:
            view.on_event(event)

    def _publish_final(self) -> None:
        session, view = self.session, self._view
        if session is None or view is None:
            return
        # Let whoever waits on the fit take the interpreter first: the result is theirs
        # at once, the final view follows a few milliseconds later.
        session.wait(timeout=5.0)
        time.sleep(YIELD_S)
        try:
            with session.capture.thread():  # warnings of the final summary are the fit's
                view.publish_final()
        except Exception as exc:  # shown inline, and the cell-end wait is released
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._rendered.set()


class _Relay:
    """A session listener that holds events until its target is attached, then replays
    them in order and forwards the rest."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: list[ev.Event] = []
        self._target = None

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            if self._target is None:
                self._held.append(event)
                return
            target = self._target
        target(event)

    def attach(self, target) -> None:
        with self._lock:
            for event in self._held:  # under the lock: later events wait their turn
                target(event)
            self._held = []
            self._target = target


_PENDING: weakref.WeakSet[FitMonitor] = weakref.WeakSet()
"""Monitors whose final view may still be on its way (waited for at the end of a cell)."""


def finish_pending_views(timeout: float = 30.0) -> None:
    """Waits for the final view of every ended fit (IPython calls this after each cell)."""
    for monitor in list(_PENDING):
        session = monitor.session
        if session is None or not session.done:
            continue
        if monitor.wait_rendered(timeout):
            _PENDING.discard(monitor)


# a script that ends right after wait() lets the final views finish, not die mid-way
atexit.register(finish_pending_views, 10.0)


def _wait_for_views_at_cell_end() -> None:
    """In IPython, a cell ends only once the monitors it finished show their final state."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None or id(shell) in _HOOKED_SHELLS:
        return
    shell.events.register("post_run_cell", lambda _result: finish_pending_views())
    _HOOKED_SHELLS.add(id(shell))


_HOOKED_SHELLS: set[int] = set()
"""The IPython shells (by id) that wait for the monitors' final views after each cell."""

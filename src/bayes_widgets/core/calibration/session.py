"""A calibration in progress: its simulations on the fleet runner, their ranks as they come.

A :class:`Calibration` runs its simulations with
:func:`~bayes_widgets.core.fleet.run_fleet` in a background thread; every simulation is
recorded in the run store ``out`` as it ends, so what is done survives a pause, a cancel,
or the end of the process, and a later calibration on the same ``out`` (same model and
settings) does only the simulations not finished there.

Pause and cancel take effect at the calibration's next event (a simulation starting or
ending): the simulations in flight are stopped and dropped, the finished ones stay.
:meth:`Calibration.resume` runs the rest again on fresh workers (which compile the model
again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.events import (
    CalibrationDone,
    Event,
    SimulationFailed,
    SimulationFinished,
    SimulationStarted,
)
from bayes_widgets.core.calibration.extension import simulation_params
from bayes_widgets.core.calibration.simulate import CalibrationError, Plan
from bayes_widgets.core.calibration.summary import Summaries
from bayes_widgets.core.calibration.worker import SimulationTask


class _Stop(Exception):
    """Raised from the fleet's listener to stop the fleet (pause or cancel)."""


def run_id(index: int) -> str:
    return f"sim-{index:05d}"


def index_of(run: str) -> int:
    return int(run.rsplit("-", 1)[1])


def _deliver(fn: Callable[[Event], None], event: Event) -> None:
    try:
        fn(event)
    except Exception:  # a subscriber's bug must not stop the calibration
        pass


class Calibration(Summaries):
    """A simulation-based calibration (see :func:`~bayes_widgets.core.calibration.calibrate`).

    ``parameters`` (scalar names such as ``"theta[0]"``), ``max_rank`` (ranks are
    ``0..max_rank``), ``ranks()``, ``simulations()``, ``verdicts()``, ``vsbc()`` (SVI),
    ``diagnostics(index)``, ``result()`` (an ``xr.DataTree``); ``subscribe(fn)``,
    ``pause()``, ``resume()``, ``cancel()``, ``wait()``, ``done``, ``state``.
    """

    def __init__(
        self, plan: Plan, settings: dict[str, Any], out: str, executor: Any, seeds: np.ndarray
    ):
        super().__init__(plan, settings, out)
        self.executor = executor
        self.seeds = seeds
        self.state = "queued"
        """"queued", "running", "pausing", "paused", "cancelling", "cancelled", "done" or
        "failed" (the fleet itself failed: :attr:`error` says why)."""
        self.error = ""
        self._subscribers: list[Callable[[Event], None]] = []
        self._events: list[Event] = []
        self._emitting = threading.RLock()
        self._stop: str | None = None
        self._thread: threading.Thread | None = None
        self._ended = threading.Event()
        self._started_at = 0.0
        self._announced: set[int] = set()

    @classmethod
    def of_records(
        cls, plan: Plan, settings: dict[str, Any], out: str, records: list[Any]
    ) -> Calibration:
        """A finished calibration read from its runs' records (one per simulation of
        ``plan``, None for a simulation without one): every view of a calibration over
        simulations another fleet ran. Its state is "done" when every simulation has a
        record, else "cancelled"; it runs nothing."""
        if len(records) != len(plan.data):
            raise CalibrationError(
                "records", f"expected {len(plan.data)} (one per simulation), got {len(records)}"
            )
        calibration = cls(plan, settings, out, None, np.zeros(len(records), dtype=int))
        recorded = 0
        for index, record in enumerate(records):
            if isinstance(record, dict) and record.get("status") in ("done", "failed", "lost"):
                calibration.record(index, record)
                recorded += 1
        calibration.state = "done" if recorded == len(records) else "cancelled"
        return calibration

    # -- control -------------------------------------------------------------------------------
    def start(self) -> Calibration:
        """Runs the simulations not yet finished in a background thread; returns at once."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self
            self._stop = None
            self._ended.clear()
            self.state = "running"
            self._thread = threading.Thread(target=self._run, name="bw-calibration", daemon=True)
            self._thread.start()
        return self

    def pause(self) -> None:
        """Stops after the next event; finished simulations stay; :meth:`resume` goes on."""
        with self._lock:
            if self.state == "running":
                self._stop, self.state = "paused", "pausing"

    def resume(self) -> None:
        """Goes on with the simulations not finished (after a pause)."""
        with self._lock:
            if self.state in ("pausing", "cancelling"):
                raise CalibrationError("state", f"is {self.state}: wait() before resuming")
            if self.state in ("paused", "queued", "failed"):
                self.start()

    def cancel(self) -> None:
        """Stops for good after the next event; finished simulations stay in the store."""
        with self._lock:
            if self.state in ("running", "pausing"):
                self._stop, self.state = "cancelled", "cancelling"
            elif self.state in ("paused", "queued"):
                self.state = "cancelled"
                self._emit(CalibrationDone(state="cancelled"))
                self._ended.set()

    def wait(self, timeout: float | None = None) -> Calibration:
        """Blocks until the calibration ends, pauses or is cancelled (or ``timeout`` s)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self

    @property
    def done(self) -> bool:
        """True once every simulation has a result (done or failed)."""
        return self.state == "done"

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        """Calls ``fn(event)`` on each change (from the calibration's thread), first with
        the events so far, in order, so a late subscriber misses none; returns a function
        that unsubscribes."""
        if not callable(fn):
            raise CalibrationError("fn", f"expected a function of one event, got {fn!r}")
        with self._emitting:  # no event slips between the replay and the subscription
            for event in list(self._events):
                _deliver(fn, event)
            with self._lock:
                self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    # -- the fleet -----------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        with self._emitting:
            self._events.append(event)
            for fn in list(self._subscribers):
                _deliver(fn, event)

    def _specs(self) -> list[Any]:
        from bayes_widgets.core.fleet import RunSpec

        return [
            RunSpec(run_id(i), simulation_params(self.plan, i, int(self.seeds[i])))
            for i in range(self.count)
        ]

    def _run(self) -> None:
        import time

        from bayes_widgets.core.fleet import run_fleet

        self._started_at = time.time()
        self._announced = set()
        task = SimulationTask(self.plan.payload, self.task_settings())
        ended, error = "done", ""
        try:
            run_fleet(
                self._specs(),
                task,
                out=self.out,
                executor=self.executor,
                chains_per_run=1,
                on_update=self._on_update,
            )
        except _Stop:
            ended = self._stop or "cancelled"
        except Exception as exc:
            ended, error = "failed", f"{type(exc).__name__}: {exc}"
        for index in range(self.count):  # stopped in flight: not running any more
            self.set_status(index, "queued")
        with self._lock:
            self.state, self.error = ended, error
        self._emit(CalibrationDone(state=ended, error=error))
        self._ended.set()

    def _announce_start(self, index: int) -> None:
        """One ``SimulationStarted`` per simulation and start of the fleet."""
        if index not in self._announced:
            self._announced.add(index)
            self._emit(SimulationStarted(index))

    def _on_update(self, run: str, info: dict[str, Any]) -> None:
        index = index_of(run)
        status = info.get("status")
        if status == "running":
            self.set_status(index, "running")
            self._announce_start(index)
        elif status == "done":
            resumed = float(info.get("started") or 0.0) < self._started_at
            if not resumed:  # a quick run may end before the fleet reports it running
                self._announce_start(index)
            self.record(index, info)
            self._emit(SimulationFinished(index, resumed=resumed))
        elif status in ("failed", "lost"):
            self._announce_start(index)
            self.record(index, info)
            self._emit(SimulationFailed(index, str(info.get("error") or status)))
        elif status in ("queued", "waiting"):
            self.set_status(index, "queued")
        if self._stop is not None:
            raise _Stop(self._stop)


__all__ = ["Calibration", "index_of", "run_id"]

"""Event recorder shared by the fit-session tests."""

from __future__ import annotations

import threading
import time


class Recorder:
    """A session subscriber that keeps every event, from whichever thread delivers it,
    with the time it arrived."""

    def __init__(self):
        self._timed: list[tuple[float, object]] = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self._timed.append((time.perf_counter(), event))

    @property
    def events(self) -> list:
        with self._lock:
            return [e for _, e in self._timed]

    @property
    def timed(self) -> list[tuple[float, object]]:
        """``(arrival time, event)`` pairs in order of arrival."""
        with self._lock:
            return list(self._timed)

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]

"""The local process pool of a fleet: a crash costs only the run that crashed, and no pool
process outlives the process that submitted the fleet.

A run that kills its process (``os._exit``, a segfault, the out-of-memory killer) breaks
a ``ProcessPoolExecutor``: every pending future fails. :class:`LocalPool` finds the run
whose process died first (the others are terminated by the pool, with SIGTERM), charges
it with the crash, and starts a fresh pool for the runs that were only caught in it.
Pool processes watch their parent and exit as soon as it is gone.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

WATCH_S = 0.2


def _watch_parent(parent: int) -> None:
    """Pool initializer: exit when the submitting process is gone."""
    try:  # own process group: a terminal's Ctrl-C reaches the submitter, which stops the pool
        os.setpgid(0, 0)
    except OSError:
        pass

    def watch() -> None:
        while True:
            time.sleep(WATCH_S)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="bw-parent-watch", daemon=True).start()


class LocalPool:
    """A spawn-context process pool that can be replaced when a run crashes it."""

    def __init__(self, workers: int):
        self.workers = workers
        self.generation = 0
        self._processes: dict[int, Any] = {}
        self.pool = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        self.generation += 1
        self._processes = {}
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=_watch_parent,
            initargs=(os.getpid(),),
        )

    def submit(self, fn, *args) -> cf.Future:
        future = self.pool.submit(fn, *args)
        self._snapshot()
        return future

    def _snapshot(self) -> None:
        self._processes.update(getattr(self.pool, "_processes", None) or {})

    def pids(self) -> set[int]:
        self._snapshot()
        return set(self._processes)

    def replace(self) -> set[int]:
        """Shuts the broken pool down and starts a fresh one; returns the PIDs of the
        processes that died by themselves (not terminated by the pool)."""
        self._snapshot()
        processes = dict(self._processes)
        self.pool.shutdown(wait=True, cancel_futures=True)
        for p in processes.values():
            p.join(timeout=5)
        crashed = {
            pid
            for pid, p in processes.items()
            if p.exitcode is not None and p.exitcode != -signal.SIGTERM
        }
        self.pool = self._new()
        return crashed

    def shutdown(self, cancel: bool = False) -> None:
        self._snapshot()
        if cancel:
            for p in self._processes.values():  # running runs are abandoned, not waited for
                if p.is_alive():
                    p.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)

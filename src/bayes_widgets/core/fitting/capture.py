"""Warnings and log lines of a fit, kept with the fit instead of printed in whatever
notebook cell happens to run.

A fit samples in worker threads. Python's warnings and logging are process-wide: a
warning raised in the worker (a pytensor or pymc_extras ``UserWarning``, a NumPy
``RuntimeWarning``) or a sampler's log line (PyMC's "Initializing NUTS…", "Sampling 2
chains … took 1 seconds") would otherwise be written to the kernel's streams, which show
it in the cell that is executing at that moment — usually a later, unrelated one.

    capture = FitCapture()
    with capture.thread():          # in the fit's own threads only
        ...                         # warnings and log records of this thread are kept
    capture.warnings                # [{"category", "message", "count", "filename", "lineno"}]
    capture.log                     # ["INFO pymc: Initializing NUTS using jitter+adapt_diag...", ...]

Only the registered threads are affected: a warning raised by the user's own cell
meanwhile is shown as usual. Warnings are deduplicated by category and message (with a
count); the log keeps the last :data:`MAX_LOG_LINES` lines.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from typing import Any

MAX_LOG_LINES = 500
MAX_WARNINGS = 200
"""Distinct warnings kept per fit (further distinct ones are only counted)."""

_lock = threading.Lock()
_threads: dict[int, FitCapture] = {}


class FitCapture:
    """What one fit's threads warned and logged (see the module docstring)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._warnings: dict[tuple[str, str], dict[str, Any]] = {}
        self._log: list[str] = []
        self.dropped_warnings = 0
        self.version = 0

    # -- writers --------------------------------------------------------------------------
    def add_warning(self, message, category, filename: str = "", lineno: int = 0) -> None:
        name = getattr(category, "__name__", str(category))
        text = str(message).strip()
        with self._lock:
            key = (name, text)
            hit = self._warnings.get(key)
            if hit is not None:
                hit["count"] += 1
            elif len(self._warnings) < MAX_WARNINGS:
                self._warnings[key] = {
                    "category": name,
                    "message": text,
                    "count": 1,
                    "filename": str(filename),
                    "lineno": int(lineno or 0),
                }
            else:
                self.dropped_warnings += 1
            self.version += 1

    def add_line(self, line: str) -> None:
        with self._lock:
            self._log.append(line)
            if len(self._log) > MAX_LOG_LINES:
                del self._log[: len(self._log) - MAX_LOG_LINES]
            self.version += 1

    # -- readers --------------------------------------------------------------------------
    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Distinct warnings in the order first seen, each with its ``count``."""
        with self._lock:
            return [dict(w) for w in self._warnings.values()]

    @property
    def log(self) -> list[str]:
        with self._lock:
            return list(self._log)

    # -- registration ---------------------------------------------------------------------
    @contextlib.contextmanager
    def thread(self):
        """Captures the calling thread's warnings and log records while inside."""
        ident = threading.get_ident()
        install()
        with _lock:
            previous = _threads.get(ident)
            _threads[ident] = self
        try:
            yield self
        finally:
            with _lock:
                if previous is None:
                    _threads.pop(ident, None)
                else:
                    _threads[ident] = previous


def current() -> FitCapture | None:
    """The capture of the calling thread, if it runs a fit."""
    return _threads.get(threading.get_ident())


# -- hooks ------------------------------------------------------------------------------------
_original_showwarning = None
CAPTURE_MARK = "bw_capture"
"""Attribute that marks the installed ``warnings.showwarning`` as this module's."""
RECORD_MARK = "bw_captured"
"""Attribute that marks a log record already added to its fit's log."""


def _showwarning(message, category, filename, lineno, file=None, line=None):
    capture = current()
    if capture is not None:
        capture.add_warning(message, category, filename, lineno)
        return
    default = warnings._showwarning_orig  # type: ignore[attr-defined]  # private of warnings: its own
    original = _original_showwarning or default
    original(message, category, filename, lineno, file, line)


setattr(_showwarning, CAPTURE_MARK, True)


class _FitThreadFilter(logging.Filter):
    """On every handler of the process: a record of a fit thread goes into that fit's log
    (once, however many handlers it passes) and no further; others pass unchanged."""

    _format = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def filter(self, record: logging.LogRecord) -> bool:
        capture = _threads.get(record.thread) if record.thread is not None else None
        if capture is None:
            return True
        if not getattr(record, RECORD_MARK, False):
            setattr(record, RECORD_MARK, True)
            try:
                capture.add_line(self._format.format(record))
            except Exception:
                pass
        return False


_FILTER = _FitThreadFilter()


def install() -> None:
    """Installs the hooks (again where something replaced them): the thread-aware
    ``warnings.showwarning`` and the filter on every logging handler that exists now
    (PyMC adds its own on import; Python's last-resort handler included)."""
    global _original_showwarning
    with _lock:
        if not getattr(warnings.showwarning, CAPTURE_MARK, False):
            _original_showwarning = warnings.showwarning
            warnings.showwarning = _showwarning
        root = logging.getLogger()
        loggers = [
            root,
            *(
                lg
                for lg in list(logging.root.manager.loggerDict.values())
                if isinstance(lg, logging.Logger)
            ),
        ]
        handlers = [h for lg in loggers for h in lg.handlers]
        if logging.lastResort is not None:
            handlers.append(logging.lastResort)
        for h in handlers:
            if _FILTER not in h.filters:
                h.addFilter(_FILTER)

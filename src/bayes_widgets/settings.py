"""Run-wide settings read from the environment.

``BAYES_WIDGETS_FAST=1`` asks the example notebooks for their fast settings: fewer
draws, fewer optimisation steps, smaller data. The notebooks read it through
:func:`fast_mode` and pick their sizes with :func:`choose`, so the same notebook runs
in full in a session and in seconds in the test suite. The library itself never
changes a size the caller gave.
"""

from __future__ import annotations

import os
from typing import TypeVar

FAST_ENV = "BAYES_WIDGETS_FAST"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def fast_mode() -> bool:
    """Whether ``BAYES_WIDGETS_FAST`` asks for fast settings (``1``/``true``/``yes``/``on``)."""
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{FAST_ENV}={os.environ[FAST_ENV]!r}: expected one of 1/0, true/false, yes/no, on/off"
    )


def choose[T](full: T, fast: T) -> T:
    """``full`` normally, ``fast`` under ``BAYES_WIDGETS_FAST=1``."""
    return fast if fast_mode() else full

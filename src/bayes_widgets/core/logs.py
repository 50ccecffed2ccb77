"""Libraries' chatter kept out of the notebook where it says nothing to the user.

with quiet_logger("pymc"):              # no "Sampling: [y]" under a widget or a table
    mmm.sample_posterior_predictive(X)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_logger(name: str = "pymc", level: int = logging.WARNING) -> Iterator[None]:
    """Within the block, the logger ``name`` passes only records of ``level`` or above;
    its own level is restored after."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(max(level, before))
    try:
        yield
    finally:
        logger.setLevel(before)


__all__ = ["quiet_logger"]

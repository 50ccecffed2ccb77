"""What a calibration tells its subscribers, one small event per change.

    calibration.subscribe(lambda event: print(event))

``index`` is the simulation's number (``None`` for :class:`CalibrationDone`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulationStarted:
    index: int


@dataclass(frozen=True)
class SimulationFinished:
    index: int
    resumed: bool = False
    """True when the simulation had finished in an earlier run on the same store."""


@dataclass(frozen=True)
class SimulationFailed:
    index: int
    error: str = ""


@dataclass(frozen=True)
class CalibrationDone:
    index: int | None = None
    state: str = "done"
    """"done", "paused" or "cancelled"."""
    error: str = ""
    """Why the calibration stopped, when something beyond single simulations failed."""


Event = SimulationStarted | SimulationFinished | SimulationFailed | CalibrationDone

__all__ = [
    "CalibrationDone",
    "Event",
    "SimulationFailed",
    "SimulationFinished",
    "SimulationStarted",
]

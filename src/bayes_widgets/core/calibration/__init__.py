"""Simulation-based calibration: does the fitting machinery recover what generated the data?

    from bayes_widgets.core.calibration import calibrate
    cal = calibrate(model, simulations=100)
    cal.verdicts()        # per parameter: p-value, passed, direction of a miss
    cal.result()          # ranks, true values and diagnostics as an xr.DataTree

See :func:`calibrate`. The ECDF-difference curves and rank histograms of a board are in
:mod:`~bayes_widgets.core.calibration.ecdf`.
"""

from bayes_widgets.core.calibration.api import calibrate
from bayes_widgets.core.calibration.events import (
    CalibrationDone,
    SimulationFailed,
    SimulationFinished,
    SimulationStarted,
)
from bayes_widgets.core.calibration.session import Calibration
from bayes_widgets.core.calibration.simulate import CalibrationError
from bayes_widgets.core.calibration.verdicts import Verdict, VsbcVerdict

__all__ = [
    "Calibration",
    "CalibrationDone",
    "CalibrationError",
    "SimulationFailed",
    "SimulationFinished",
    "SimulationStarted",
    "Verdict",
    "VsbcVerdict",
    "calibrate",
]

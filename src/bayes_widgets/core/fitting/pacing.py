"""How often a fit session's pump ticks: at its rate, or less often when its subscribers'
work would take more than a small share of the time.

    pacer = Pacer(interval=0.1, paced=True)
    wait = pacer.after_tick(spent=0.004)   # seconds until the next tick
"""

from __future__ import annotations

PUMP_SHARE = 0.02
"""The pump's ticks of a paced fit, its subscribers' work included, use at most about this
share of the time (processor time of the pump's thread), down to one tick per
``PUMP_MAX_INTERVAL_S``. Their work holds the GIL, which the sampler's own thread needs
(PyMC's chains wait for it after every draw)."""
PUMP_MAX_INTERVAL_S = 0.5
COST_WEIGHT = 0.3
"""Weight of the latest tick in the running mean of a tick's cost."""


class Pacer:
    """The wait before the pump's next tick, from the cost of the ticks so far."""

    def __init__(self, interval: float, *, paced: bool):
        self.interval = interval
        self.paced = paced
        """False: always ``interval`` (a fit whose sampler does not need the GIL)."""
        self.cost: float | None = None

    def after_tick(self, spent: float) -> float:
        """Seconds to wait after a tick that took ``spent`` seconds of the pump's processor
        time; a costly tick (a subscriber's occasional heavy update) is paid for at once."""
        if not self.paced:
            return self.interval
        cost = self.cost
        cost = spent if cost is None else (1 - COST_WEIGHT) * cost + COST_WEIGHT * spent
        self.cost = cost
        return max(self.interval, min(max(cost, spent) / PUMP_SHARE, PUMP_MAX_INTERVAL_S))

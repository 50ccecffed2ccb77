"""PyMC's own NUTS through ``pm.sample(callback=...)``.

The callback runs in this process once per draw (also with ``cores > 1``, where
chains run in worker processes): it records the draw and obeys pause and cancel.
Cancelling raises ``KeyboardInterrupt`` from the callback, which ``pm.sample``
turns into an early return with the draws made so far; tuning draws are always
kept (``discard_tuned_samples=False``) so a cancel during tuning loses nothing.
"""

from __future__ import annotations

import time
from typing import ClassVar

from bayes_widgets.core.backends.base import Backend, Control
from bayes_widgets.core.model_info import point_converter


class PyMCBackend(Backend):
    name: ClassVar[str] = "pymc"
    supports_pause: ClassVar[bool] = True

    def prepare(self, control: Control) -> None:
        if self.trace_names:
            control.state.set_converter(point_converter(self.model, self.trace_names))

    def run(self, control: Control):
        import pymc as pm

        record = control.state.record_draw
        cancel = control.cancel_requested
        pause = control.pause_requested

        def callback(trace, draw):
            record(draw.chain, draw.draw_idx, draw.tuning, draw.stats[0], draw.point)
            if pause.is_set():
                control.state.set_paused(True)
                while pause.is_set() and not cancel.is_set():
                    time.sleep(0.02)
                control.state.set_paused(False)
            if cancel.is_set():
                raise KeyboardInterrupt

        cfg = self.config
        kwargs = cfg.sampler_options()
        with self.model:
            return pm.sample(
                draws=cfg.draws,
                tune=cfg.tune,
                chains=cfg.chains,
                cores=cfg.cores,
                random_seed=cfg.seed,
                callback=callback,
                progressbar=False,
                nuts_sampler="pymc",
                discard_tuned_samples=False,
                compute_convergence_checks=False,
                **kwargs,
            )

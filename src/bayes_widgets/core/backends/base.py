"""The contract between a fit session and a sampler backend."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bayes_widgets.core.state import FitState


@dataclass(frozen=True)
class FitConfig:
    draws: int
    tune: int
    chains: int
    cores: int
    seed: int | None
    target_accept: float | None
    sampler_kwargs: dict[str, Any] = field(default_factory=dict)

    def sampler_options(self) -> dict[str, Any]:
        """The user's extra sampler options, with ``target_accept`` when it was set."""
        options = dict(self.sampler_kwargs)
        if self.target_accept is not None:
            options.setdefault("target_accept", self.target_accept)
        return options


class Control:
    """What a backend sees of its session: flags to obey and the state to report into."""

    def __init__(self, state: FitState):
        self.state = state
        self.cancel_requested = threading.Event()
        self.pause_requested = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_requested.is_set()


class Backend:
    """A sampler. ``prepare`` compiles (cancellable only between steps); ``run`` samples.

    ``run`` returns the draws made (an ``xarray.DataTree``, tuning draws kept in
    the ``warmup_*`` groups) whether sampling finished or was cancelled, and
    ``None`` if nothing was drawn.
    """

    name: ClassVar[str]
    supports_pause: ClassVar[bool] = False
    stat_names: ClassVar[dict[str, str]] = {}

    def __init__(self, model, config: FitConfig, trace_names: tuple[str, ...]):
        self.model = model
        self.config = config
        self.trace_names = trace_names

    def prepare(self, control: Control) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, control: Control):  # pragma: no cover - interface
        raise NotImplementedError

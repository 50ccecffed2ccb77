"""What is new in a fit's state since the last tick, as events: traced draws and chain
progress (MCMC), or losses with the optimization's status (SVI).

    feed = DrawFeed(state, session_id)
    for event in feed.events(elapsed_s=1.5): ...
"""

from __future__ import annotations

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.state import FitState, LossState


class Feed:
    """The events of what is new in a fit's state since the last tick."""

    def events(self, elapsed_s: float) -> list[ev.Event]:
        raise NotImplementedError


class DrawFeed(Feed):
    """Traced draws per chain (``TraceChunk``), then the chains' progress (``ChainProgress``)."""

    def __init__(self, state: FitState, session_id: str):
        self.state, self.id = state, session_id
        self.cursor = [0] * len(state.lengths())
        self.version = -1

    def events(self, elapsed_s: float) -> list[ev.Event]:
        out: list[ev.Event] = []
        for delta in self.state.trace_since(self.cursor):
            self.cursor[delta.chain] = delta.start + len(delta.values)
            out.append(
                ev.TraceChunk(
                    self.id,
                    chain=delta.chain,
                    start=delta.start,
                    values=delta.values,
                    tuning=delta.tuning,
                    diverging=delta.diverging,
                )
            )
        if self.state.version != self.version:
            self.version = self.state.version
            out.append(ev.ChainProgress(self.id, chains=self.state.chain_statuses()))
        return out


class LossFeed(Feed):
    """The losses of the steps since the last tick, with the fit's status (``LossChunk``)."""

    def __init__(self, state: LossState, session_id: str):
        self.state, self.id = state, session_id
        self.cursor = 0
        self.version = -1

    def events(self, elapsed_s: float) -> list[ev.Event]:
        state = self.state
        if state.version == self.version:
            return []
        self.version = state.version
        new = state.losses_since(self.cursor)
        event = ev.LossChunk(
            self.id,
            start=self.cursor,
            losses=new,
            status=state.status(elapsed_s),
            params=state.params(),
        )
        self.cursor += len(new)
        return [event]

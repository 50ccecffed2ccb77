"""Timing of chains: when each chain will end, counting chains waiting for a core, and
the length of the time spans they ran in.

    schedule_eta([(500, 2000), (0, 2000)], [100.0, None], cores=1)   # [15.0, 35.0]
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def union_length(spans: list[tuple[float, float]]) -> float:
    """Length of the union of (start, end) spans."""
    total = 0.0
    current: tuple[float, float] | None = None
    for start, end in sorted(spans):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return total


def schedule_eta(
    progress: Sequence[tuple[int, int]], rates: Sequence[float | None], cores: int
) -> list[float | None]:
    """Seconds until each chain ends: ``progress`` is (draws done, draws requested) per
    chain, ``rates`` its own draws/s (None before it is known), ``cores`` how many chains
    run at once. Running chains end at their own rate; a chain that has not started waits
    for the first core to free up and then runs at the mean rate of the others (with
    ``cores=1`` the chains run one after another: the ETA adds up their draws)."""
    known = [r for r in rates if r]
    if not known:
        return [None] * len(progress)
    mean = sum(known) / len(known)
    etas: list[float | None] = [None] * len(progress)
    running, waiting = [], []
    for i, (done, total) in enumerate(progress):
        if done >= total:
            etas[i] = 0.0
        elif done > 0:
            etas[i] = (total - done) / (rates[i] or mean)
            running.append(etas[i])
        else:
            waiting.append(i)
    slots = max(min(cores, len(progress)), len(running), 1)
    free = sorted(running) + [0.0] * max(slots - len(running), 0)
    heapq.heapify(free)
    for i in waiting:
        start = heapq.heappop(free)
        etas[i] = start + progress[i][1] / mean
        heapq.heappush(free, etas[i])
    return etas

"""The verdict names how ranks miss uniformity, from their shape."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.calibration.verdicts import rank_verdict

MAX_RANK = 99
N = 400


def ranks_from(u: np.ndarray) -> np.ndarray:
    return np.clip((u * (MAX_RANK + 1)).astype(int), 0, MAX_RANK)


@pytest.mark.parametrize(
    ("shape", "direction"),
    [
        ("uniform", "calibrated"),
        ("both ends", "under-dispersed"),
        ("middle", "over-dispersed"),
        ("low end only", "biased high"),
        ("high end only", "biased low"),
        ("shifted low", "biased high"),
    ],
)
def test_the_shape_of_the_ranks_names_the_miss(shape, direction):
    rng = np.random.default_rng(7)
    uniform = rng.uniform(size=N)
    u = {
        "uniform": uniform,
        # a posterior too narrow: the truth falls in its tails
        "both ends": np.where(uniform < 0.5, 2 * uniform**2, 1 - 2 * (1 - uniform) ** 2),
        # too wide: the truth sits near its middle
        "middle": 0.5 + (rng.beta(3, 3, size=N) - 0.5),
        # the centred eight schools' tau: a pile of low ranks, the rest uniform
        "low end only": np.concatenate([rng.uniform(0, 0.1, 60), rng.uniform(size=N - 60)]),
        "high end only": np.concatenate([rng.uniform(0.9, 1, 60), rng.uniform(size=N - 60)]),
        "shifted low": rng.beta(1.6, 2.4, size=N),
    }[shape]
    verdict = rank_verdict(ranks_from(u), MAX_RANK)
    assert verdict.direction == direction, verdict
    assert verdict.passed == (direction == "calibrated")

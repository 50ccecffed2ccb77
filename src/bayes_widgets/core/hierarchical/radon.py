"""Minnesota radon (Gelman & Hill 2006): the classic varying-intercept example.

919 houses in 85 counties; ``log_radon`` on ``floor`` (0 = basement, 1 = first floor)
with an intercept per county. The floor coefficient of the varying-intercept model is
about -0.66 (posterior sd ~0.07).
"""

from __future__ import annotations

from bayes_widgets.core.datasets import radon
from bayes_widgets.core.hierarchical.data import PanelData

__all__ = ["load_radon", "radon_data"]


def load_radon():
    """The packaged ``radon_mn.csv`` as a DataFrame (one row per house)."""
    return radon()


def radon_data() -> PanelData:
    """Counties × houses (padded with NaN targets) × one feature, ``floor``; target ``log_radon``."""
    return PanelData.from_frame(
        load_radon(), group="county", target="log_radon", features=["floor"]
    )

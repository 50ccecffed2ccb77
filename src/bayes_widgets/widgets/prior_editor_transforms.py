"""The prior editor's transform curves for an MMM: the selected channel's adstock weights
and saturation curve as bands, from the priors being edited and, once the model is fitted,
from its posterior (see ``core.mmm.transform_bands``).

    panel = TransformPanel(source, mmm)     # source: the MMMModel or pymc-marketing MMM given
    panel.select("x2", geo=None)            # None: every geo pooled (geo models)
    panel.view(priors)                      # what the page draws: the figure's sources, the
                                            # observed spend range, a summary line, a note

The posterior comes from the source as it is at each call: an ``MMMModel`` fitted after the
editor opened shows its posterior at the next edit or selection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bayes_widgets.core.figures.format import format_number
from bayes_widgets.core.figures.mmm_transforms import transform_sources
from bayes_widgets.core.mmm.transform_bands import TransformBands, posterior_of
from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.core.priors import PriorDist

DRAWS = 300
"""Draws behind each band: a few milliseconds per redraw."""


class TransformPanel:
    """The state behind the transform curves of one editor (see the module docstring)."""

    def __init__(self, source: Any, mmm: Any, *, draws: int = DRAWS, seed: int | None = None):
        self.source = source
        self.draws = draws
        self.seed = seed or 0
        self.bands = TransformBands(mmm, draws=draws, seed=self.seed)
        self.channel = self.bands.channels[0]
        self.geo: str | None = None

    @property
    def names(self) -> list[str]:
        return self.bands.names

    @property
    def channels(self) -> list[str]:
        return self.bands.channels

    @property
    def geos(self) -> list[str]:
        return self.bands.geos

    def select(self, channel: str, geo: str | None = None) -> None:
        """Shows ``channel`` (in ``geo``; None pools the geos); an error names a bad one."""
        if channel not in self.channels:
            raise MMMDataError(
                "channel", f"{channel!r} is not a channel ({', '.join(self.channels)})"
            )
        if geo is not None and geo not in self.geos:
            raise MMMDataError(
                "geo", f"{geo!r} is not a geo of the model ({', '.join(self.geos) or 'none'})"
            )
        self.channel, self.geo = channel, geo

    def fitted(self) -> tuple[Any, Any] | None:
        """The fitted pymc-marketing MMM behind the source and its posterior, if any."""
        mmm = getattr(self.source, "mmm", None) if hasattr(self.source, "build") else self.source
        posterior = posterior_of(mmm) if mmm is not None else None
        return None if posterior is None else (mmm, posterior)

    def view(self, priors: Mapping[str, PriorDist]) -> dict[str, Any]:
        """The page's view of the selected channel (raises MMMDataError for priors whose
        draws the transforms refuse)."""
        fitted = self.fitted()
        if fitted is not None and fitted[0] is not self.bands.mmm:
            # a model fitted since: its own scales and data (the same priors by name)
            self.bands = TransformBands(fitted[0], draws=self.draws, seed=self.seed)
        bands = self.bands.bands(
            priors, self.channel, geo=self.geo, posterior=fitted[1] if fitted else None
        )
        return {
            "channel": self.channel,
            "geo": self.geo,
            "sources": _rounded(transform_sources(bands)),
            "spend_range": bands["spend_range"],
            "draws": bands["draws"],
            "summary": summary_line(bands),
            "note": "",
        }


def make_panel(source: Any, mmm: Any, seed: int | None) -> tuple[TransformPanel | None, str]:
    """The panel of an MMM, or None and why when its transforms cannot be drawn here (a
    component whose function does not compile over draws): the editor works without."""
    try:
        return TransformPanel(source, mmm, seed=seed), ""
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"The adstock and saturation curves cannot be drawn for this model ({reason})"


def channel_of(variables: list[dict], variable: str, element: int) -> str | None:
    """The channel of element ``element`` of ``variable`` when its prior is per channel
    (``variables`` as the editor lists them), else None."""
    row = next((r for r in variables if r["name"] == variable), {})
    labels = row.get("elements") or []
    if (row.get("dims") or [None])[0] != "channel" or not 0 <= element < len(labels):
        return None
    return labels[element]


def _at(x: list[float], y: list[float], at: float) -> float:
    return float(np.interp(at, x, y))


def summary_line(bands: dict[str, Any]) -> dict[str, Any]:
    """The median weight at lag 0 and the median contribution at the highest observed spend,
    prior and (once fitted) posterior: numbers and a line of text."""
    high = bands["spend_range"][1]
    out: dict[str, Any] = {"spend": high}
    parts = []
    for which in ("prior", "posterior"):
        adstock = bands["adstock"][which]
        saturation = bands["saturation"][which]
        if not adstock:
            continue
        lag0 = adstock["0.5"][0]
        at_high = _at(bands["spend"], saturation["0.5"], high)
        out[which] = {"lag0": lag0, "at_high": at_high}
        parts.append(
            f"{which}: weight at lag 0 {format_number(lag0)}, contribution at the highest "
            f"observed spend ({format_number(high)}) {format_number(at_high)}"
        )
    out["text"] = "Medians. " + "; ".join(parts) if parts else ""
    return out


def _rounded(sources: dict[str, dict[str, list]]) -> dict[str, dict[str, list]]:
    """Columns with 6 significant digits: what a plot shows, in a third of the bytes."""
    out = {}
    for name, columns in sources.items():
        out[name] = {
            k: [float(f"{v:.6g}") if v == v else None for v in values]
            for k, values in columns.items()
        }
    return out

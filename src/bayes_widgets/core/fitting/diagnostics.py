"""One diagnostics schema for every backend and method, computed with ArviZ.

    d = summarize(idata, backend="pymc", tune=1000, wall_time_s=12.0, sampling_time_s=9.5)
    d.rhat_max, d.ess_bulk_min, d.problems, d.table()

Sampler statistics named differently per backend (PyMC ``reached_max_treedepth``, nutpie
``maxdepth_reached``, NumPyro ``reached_max_tree_depth``) are read through one table of
aliases. Parameters are labelled with their coordinates (``beta[price]``) where the draws
carry them, by position (``theta[0]``) otherwise. What counts as a problem is decided by
:mod:`~bayes_widgets.core.fitting.rules` (names re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.fitting.parameter_table import element_labels, parameter_table
from bayes_widgets.core.fitting.rules import (
    EBFMI_LIMIT,
    ESS_PER_CHAIN,
    MAX_NAMED,
    RHAT_LIMIT,
    finite_max,
    finite_min,
    fit_problems,
    group_parameters,
    parameter_problems,
)
from bayes_widgets.core.fitting.running import (
    RUNNING_MAX_DRAWS,
    rank_histograms,
    running_diagnostics,
)
from bayes_widgets.core.jsonable import jsonable

_MAXDEPTH = ("reached_max_treedepth", "maxdepth_reached", "reached_max_tree_depth")
_DIVERGING = ("diverging",)
_ENERGY = ("energy",)


@dataclass(frozen=True)
class Diagnostics:
    """Convergence and cost of one fit. NaN where it cannot be computed (too few draws)."""

    backend: str
    chains: int
    draws_per_chain: int
    """Post-tuning draws kept per chain (the shortest chain, for partial fits)."""
    tune: int
    divergences: int
    max_treedepth_hits: int
    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    ebfmi: list[float]
    ebfmi_min: float
    wall_time_s: float
    sampling_time_s: float
    draws_per_s: float
    """Draws of all chains, tuning included, per second of sampling time (the time from
    the first chain's start to the last chain's end, pauses excluded)."""
    partial: bool = False
    parameters: list[dict[str, Any]] = field(default_factory=list)
    """Per scalar: name (coordinate label), variable, kind ('free' or 'deterministic'),
    mean, sd, hdi bounds, ess_bulk, ess_tail, r_hat and its problems; free first."""
    method: str = "mcmc"
    svi: dict[str, Any] | None = None
    """SVI only: steps, steps_requested, converged, final_loss, steps_per_s, compile_s, guide."""
    divergences_by_chain: list[int] = field(default_factory=list)
    """Divergent transitions after tuning, per chain."""

    @property
    def converged(self) -> bool:
        """MCMC: none of the problems of the rules. SVI: the loss stopped changing before
        the last step."""
        return _method(self.method).converged(self)

    @property
    def problems(self) -> list[str]:
        """Every problem of the fit, each named in one sentence (empty when all is well)."""
        return _method(self.method).problems(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None), with ``problems``."""
        out = jsonable(asdict(self))
        out["problems"] = self.problems
        return out

    def table(self):
        """The per-parameter summary as a pandas DataFrame indexed by name (coordinate
        labels), free parameters first."""
        import pandas as pd

        if not self.parameters:
            return pd.DataFrame()
        rows = [
            {k: (", ".join(v) if k == "problems" else v) for k, v in p.items()}
            for p in self.parameters
        ]
        return pd.DataFrame(rows).set_index("name")

    def groups(self) -> list[dict[str, Any]]:
        """One line per variable (see :func:`group_parameters`)."""
        return group_parameters(self.parameters)


def _stat(stats, names) -> np.ndarray | None:
    for n in names:
        if stats is not None and n in stats:
            return np.asarray(stats[n].values)
    return None


def _group(tree, name):
    try:
        node = tree[name]
    except KeyError:
        return None
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def summarize(
    idata,
    *,
    backend: str,
    tune: int,
    wall_time_s: float,
    sampling_time_s: float,
    partial: bool = False,
    chains: int | None = None,
    method: str = "mcmc",
    svi: dict[str, Any] | None = None,
    kinds: dict[str, str] | None = None,
    draws_made: int | None = None,
) -> Diagnostics:
    """Diagnostics of a finished or partial fit (``idata``: DataTree or None).

    ``kinds`` maps variable names to ``"free"`` or ``"deterministic"`` (guessed from the
    draws when not given, see :func:`variable_kinds`); ``draws_made`` is the number of
    draws the sampler made, tuning included, all chains (by default chains × (draws +
    tune)), for ``draws_per_s``.
    """
    posterior = _group(idata, "posterior") if idata is not None else None
    stats = _group(idata, "sample_stats") if idata is not None else None
    common = {
        "backend": backend,
        "tune": tune,
        "wall_time_s": float(wall_time_s),
        "sampling_time_s": float(sampling_time_s),
        "partial": partial,
        "method": method,
        "svi": svi,
    }
    if posterior is None or posterior.sizes.get("draw", 0) == 0:
        return Diagnostics(
            chains=chains or 0,
            draws_per_chain=0,
            divergences=0,
            max_treedepth_hits=0,
            rhat_max=math.nan,
            ess_bulk_min=math.nan,
            ess_tail_min=math.nan,
            ebfmi=[],
            ebfmi_min=math.nan,
            draws_per_s=0.0,
            **common,
        )
    n_chain = int(posterior.sizes["chain"])
    n_draw = int(posterior.sizes["draw"])
    params = parameter_table(posterior, kinds=variable_kinds(idata) if kinds is None else kinds)
    if draws_made is None:
        draws_made = n_chain * (n_draw + tune)
    return Diagnostics(
        chains=n_chain,
        draws_per_chain=n_draw,
        rhat_max=finite_max([p["r_hat"] for p in params]),
        ess_bulk_min=finite_min([p["ess_bulk"] for p in params]),
        ess_tail_min=finite_min([p["ess_tail"] for p in params]),
        draws_per_s=_method(method).draws_per_s(draws_made, float(sampling_time_s)),
        parameters=params,
        **_sampler_stats(stats, n_chain, n_draw),
        **common,
    )


def _sampler_stats(stats, n_chain: int, n_draw: int) -> dict[str, Any]:
    """Divergences (in all and per chain), tree-depth hits and E-BFMI from the sampler's
    statistics (none for a method without them)."""
    diverging = _stat(stats, _DIVERGING)
    maxdepth = _stat(stats, _MAXDEPTH)
    energy = _stat(stats, _ENERGY)
    ebfmi = _ebfmi(energy) if energy is not None and n_draw > 2 else []
    by_chain = (
        [int(n) for n in np.asarray(diverging).reshape(n_chain, -1).sum(axis=1)]
        if diverging is not None
        else []
    )
    return {
        "divergences": int(diverging.sum()) if diverging is not None else 0,
        "max_treedepth_hits": int(maxdepth.sum()) if maxdepth is not None else 0,
        "ebfmi": [float(e) for e in ebfmi],
        "ebfmi_min": finite_min(ebfmi),
        "divergences_by_chain": by_chain,
    }


def _method(name: str):
    """The fit method called ``name``, which decides its problems and speed."""
    from bayes_widgets.core.fitting.methods import fit_method

    return fit_method(name)


def _ebfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain: mean squared energy change over energy variance."""
    diff = np.diff(energy, axis=1)
    var = np.var(energy, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(diff**2, axis=1) / var


# -- kinds ------------------------------------------------------------------------
def variable_kinds(tree) -> dict[str, str]:
    """``"free"`` or ``"deterministic"`` per posterior variable.

    The fit session records the model's own answer in the posterior's ``attrs``
    (``bw_deterministics``). Without it, a variable that runs along a dimension of the
    observed data (one value per observation, like a linear predictor ``mu``) counts as
    deterministic, every other as free.
    """
    post = _group(tree, "posterior") if tree is not None else None
    if post is None:
        return {}
    known = post.attrs.get("bw_deterministics")
    if known is not None:
        det = set(np.atleast_1d(known).tolist()) if len(np.atleast_1d(known)) else set()
        return {n: "deterministic" if n in det else "free" for n in post.data_vars}
    obs = _group(tree, "observed_data")
    obs_dims = set(obs.dims) if obs is not None else set()
    out = {}
    for n, da in post.data_vars.items():
        dims = {d for d in da.dims if d not in ("chain", "draw")}
        out[n] = "deterministic" if dims & obs_dims else "free"
    return out


__all__ = [
    "EBFMI_LIMIT",
    "ESS_PER_CHAIN",
    "MAX_NAMED",
    "RHAT_LIMIT",
    "RUNNING_MAX_DRAWS",
    "Diagnostics",
    "element_labels",
    "fit_problems",
    "group_parameters",
    "parameter_problems",
    "rank_histograms",
    "running_diagnostics",
    "summarize",
    "variable_kinds",
]

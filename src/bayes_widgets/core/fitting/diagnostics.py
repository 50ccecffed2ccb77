"""One diagnostics schema for every backend, computed with ArviZ, and one set of rules
for what counts as a problem.

Sampler statistics have different names per backend (PyMC ``reached_max_treedepth``,
nutpie ``maxdepth_reached``, NumPyro/ArviZ ``reached_max_tree_depth``); they are read
through one table of aliases. A variational fit (SVI) has the same fields (no
divergences or tree depths, R-hat of its single chain of guide draws is NaN) plus
``svi``: steps, convergence, final loss and speed.

The rules (Vehtari et al. 2021; Betancourt 2016), used by ``result.diagnostics``, the
live monitor and the posterior explorer alike:

- R-hat above :data:`RHAT_LIMIT` (1.01), with more than one chain;
- bulk or tail ESS below :data:`ESS_PER_CHAIN` (100) × chains;
- any divergent transition after tuning;
- any draw that hit the maximum tree depth;
- E-BFMI below :data:`EBFMI_LIMIT` (0.3) in a chain.

Parameters are labelled with their coordinates (``beta[price]``, ``x[a, b]``) where the
draws carry them, by position (``theta[0]``) otherwise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100
EBFMI_LIMIT = 0.3
MAX_NAMED = 5
"""Parameters named in one problem line; the rest are counted."""

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
        """MCMC: none of the problems of the module's rules. SVI: the loss stopped
        changing before the last step."""
        if self.method == "svi":
            return bool(self.svi and self.svi.get("converged"))
        return self.draws_per_chain > 0 and not self.problems

    @property
    def problems(self) -> list[str]:
        """Every problem of the fit, each named in one sentence (empty when all is well)."""
        if self.method == "svi" or self.draws_per_chain == 0:
            return []
        return fit_problems(
            self.parameters,
            chains=self.chains,
            divergences=self.divergences,
            treedepth_hits=self.max_treedepth_hits,
            ebfmi=self.ebfmi,
            divergences_by_chain=self.divergences_by_chain,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None), with ``problems``."""
        out = _clean(asdict(self))
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


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


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
    if posterior is None or posterior.sizes.get("draw", 0) == 0:
        return Diagnostics(
            backend=backend,
            chains=chains or 0,
            draws_per_chain=0,
            tune=tune,
            divergences=0,
            max_treedepth_hits=0,
            rhat_max=math.nan,
            ess_bulk_min=math.nan,
            ess_tail_min=math.nan,
            ebfmi=[],
            ebfmi_min=math.nan,
            wall_time_s=wall_time_s,
            sampling_time_s=sampling_time_s,
            draws_per_s=0.0,
            partial=partial,
            method=method,
            svi=svi,
        )
    n_chain = int(posterior.sizes["chain"])
    n_draw = int(posterior.sizes["draw"])
    diverging = _stat(stats, _DIVERGING)
    maxdepth = _stat(stats, _MAXDEPTH)
    energy = _stat(stats, _ENERGY)
    if kinds is None:
        kinds = variable_kinds(idata)
    params = _parameter_table(posterior, kinds=kinds)
    rhat = [p["r_hat"] for p in params]
    bulk = [p["ess_bulk"] for p in params]
    tail = [p["ess_tail"] for p in params]
    ebfmi = _ebfmi(energy) if energy is not None and n_draw > 2 else []
    if draws_made is None:
        draws_made = n_chain * (n_draw + (0 if method == "svi" else tune))
    by_chain = (
        [int(n) for n in np.asarray(diverging).reshape(n_chain, -1).sum(axis=1)]
        if diverging is not None
        else []
    )
    return Diagnostics(
        backend=backend,
        chains=n_chain,
        draws_per_chain=n_draw,
        tune=tune,
        divergences=int(diverging.sum()) if diverging is not None else 0,
        max_treedepth_hits=int(maxdepth.sum()) if maxdepth is not None else 0,
        rhat_max=_nanmax(rhat),
        ess_bulk_min=_nanmin(bulk),
        ess_tail_min=_nanmin(tail),
        ebfmi=[float(e) for e in ebfmi],
        ebfmi_min=_nanmin(ebfmi),
        wall_time_s=float(wall_time_s),
        sampling_time_s=float(sampling_time_s),
        draws_per_s=draws_made / sampling_time_s
        if sampling_time_s > 0 and method == "mcmc"
        else math.nan,
        partial=partial,
        parameters=params,
        method=method,
        svi=svi,
        divergences_by_chain=by_chain,
    )


def _nanmax(xs) -> float:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return max(xs) if xs else math.nan


def _nanmin(xs) -> float:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return min(xs) if xs else math.nan


def _ebfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain: mean squared energy change over energy variance."""
    diff = np.diff(energy, axis=1)
    var = np.var(energy, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(diff**2, axis=1) / var


# -- labels and kinds ------------------------------------------------------------------------
def element_labels(da) -> list[str]:
    """Names of the scalars of a (chain, draw, ...) DataArray, in C order: ``beta[price]``
    from coordinates, ``theta[0]`` by position where a dimension has none."""
    name = str(da.name)
    dims = [d for d in da.dims if d not in ("chain", "draw")]
    if not dims:
        return [name]
    labels = [
        [str(v) for v in da[d].values] if d in da.coords else [str(i) for i in range(da.sizes[d])]
        for d in dims
    ]
    return [
        f"{name}[{', '.join(labels[k][i] for k, i in enumerate(idx))}]"
        for idx in np.ndindex(*[da.sizes[d] for d in dims])
    ]


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


def _parameter_table(posterior, kinds: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Per scalar component: mean, sd, 94% HDI, bulk/tail ESS, rank R-hat and the
    problems of the module's rules; free parameters first, then deterministics.

    All scalars are stacked into one (chain, draw, K) array so each ArviZ function
    runs once, vectorised, rather than once per variable.
    """
    import arviz_stats as azs

    kinds = kinds or {}
    numeric = [n for n, da in posterior.data_vars.items() if np.issubdtype(da.dtype, np.number)]
    order = sorted(
        numeric, key=lambda n: kinds.get(n, "free") != "free"
    )  # stable: model order kept
    labels: list[str] = []
    owners: list[str] = []
    blocks = []
    for name in order:
        da = posterior[name].transpose("chain", "draw", ...)
        arr = np.asarray(da.values, dtype=float)
        shape = arr.shape[2:]
        blocks.append(arr.reshape(arr.shape[0], arr.shape[1], math.prod(shape)))
        names = element_labels(da)
        labels.extend(names)
        owners.extend([name] * len(names))
    if not blocks:
        return []
    flat = np.concatenate(blocks, axis=2)
    n_chain, n_draw, k = flat.shape
    nan = np.full(k, np.nan)
    enough = n_draw >= 4
    with np.errstate(all="ignore"):
        rhat = azs.rhat(flat) if enough and n_chain > 1 else nan
        bulk = azs.ess(flat, method="bulk") if enough else nan
        tail = azs.ess(flat, method="tail", prob=(0.05, 0.95)) if enough else nan
        hdi = azs.hdi(flat.reshape(-1, k).T, prob=0.94) if enough else np.full((k, 2), np.nan)
        mean = flat.mean(axis=(0, 1))
        sd = flat.reshape(-1, k).std(axis=0, ddof=1) if n_chain * n_draw > 1 else nan
    rows = []
    for j, label in enumerate(labels):
        row = {
            "name": label,
            "variable": owners[j],
            "kind": kinds.get(owners[j], "free"),
            "mean": float(mean[j]),
            "sd": float(sd[j]),
            "hdi_3%": float(hdi[j, 0]),
            "hdi_97%": float(hdi[j, 1]),
            "ess_bulk": float(np.atleast_1d(bulk)[j]),
            "ess_tail": float(np.atleast_1d(tail)[j]),
            "r_hat": float(np.atleast_1d(rhat)[j]),
        }
        row["problems"] = parameter_problems(row, n_chain) if enough else []
        rows.append(row)
    return rows


# -- the rules -------------------------------------------------------------------------------
def _finite(x) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def parameter_problems(row: dict[str, Any], chains: int) -> list[str]:
    """The problems of one parameter's row (``r_hat``, ``ess_bulk``, ``ess_tail``), each
    named, e.g. ``"R-hat 1.04 > 1.01"`` or ``"ESS bulk 188 < 400"``. A value that could
    not be computed (None/NaN, e.g. a constant) is no problem of its own."""
    out = []
    rhat = row.get("r_hat")
    if chains > 1 and _finite(rhat) and rhat > RHAT_LIMIT:
        out.append(f"R-hat {_fmt_rhat(rhat)} > {RHAT_LIMIT}")
    ess_min = ESS_PER_CHAIN * chains
    for key, label in (("ess_bulk", "ESS bulk"), ("ess_tail", "ESS tail")):
        v = row.get(key)
        if _finite(v) and v < ess_min:
            out.append(f"{label} {v:.0f} < {ess_min}")
    return out


def _named(items: list[tuple[str, str]], deterministic: dict[str, list[int]] | None = None) -> str:
    """``beta[price] 1.061, sigma 1.02 and 3 more``, then deterministics by variable:
    ``; mu: 52 of 120 values``."""
    shown = ", ".join(f"{n} {v}" for n, v in items[:MAX_NAMED])
    more = len(items) - MAX_NAMED
    text = shown + (f" and {more} more" if more > 0 else "")
    det = "; ".join(
        f"{var}: {bad} of {size} values" for var, (bad, size) in (deterministic or {}).items()
    )
    return "; ".join(t for t in (text, det) if t)


def _fmt_rhat(x: float) -> str:
    text = f"{x:.3f}"
    return f"{x:.4f}" if float(text) <= RHAT_LIMIT else text


def _split(parameters, bad) -> tuple[list[dict], dict[str, list[int]]]:
    """Free parameters with a problem (kept for naming), and per deterministic variable
    [values with the problem, values]."""
    free = [p for p in bad if p.get("kind", "free") == "free"]
    sizes: dict[str, int] = {}
    for p in parameters:
        if p.get("kind", "free") != "free":
            sizes[p["variable"]] = sizes.get(p["variable"], 0) + 1
    det: dict[str, list[int]] = {}
    for p in bad:
        if p.get("kind", "free") != "free":
            det.setdefault(p["variable"], [0, sizes[p["variable"]]])[0] += 1
    return free, det


def fit_problems(
    parameters: list[dict[str, Any]],
    *,
    chains: int,
    divergences: int = 0,
    treedepth_hits: int = 0,
    ebfmi: list[float] | None = None,
    divergences_by_chain: list[int] | None = None,
) -> list[str]:
    """Every problem of a fit, one sentence each, by the module's rules: divergences
    after tuning, tree-depth hits, low E-BFMI, then R-hat, bulk ESS and tail ESS of the
    parameters (naming the worst first)."""
    out = []
    if divergences:
        where = ""
        if divergences_by_chain and len(divergences_by_chain) > 1:
            where = (
                " ("
                + ", ".join(f"chain {c}: {n}" for c, n in enumerate(divergences_by_chain) if n)
                + ")"
            )
        out.append(
            f"{divergences} divergent transition{'s' if divergences != 1 else ''} after tuning{where}"
        )
    if treedepth_hits:
        out.append(
            f"{treedepth_hits} draw{'s' if treedepth_hits != 1 else ''} hit the maximum tree depth"
        )
    low = [
        (f"chain {c}", f"{e:.2f}")
        for c, e in enumerate(ebfmi or [])
        if _finite(e) and e < EBFMI_LIMIT
    ]
    if low:
        out.append(f"E-BFMI below {EBFMI_LIMIT}: {_named(low)}")
    if chains > 1:
        bad = sorted(
            (p for p in parameters if _finite(p.get("r_hat")) and p["r_hat"] > RHAT_LIMIT),
            key=lambda p: -p["r_hat"],
        )
        if bad:
            free, det = _split(parameters, bad)
            out.append(
                f"R-hat above {RHAT_LIMIT}: "
                f"{_named([(p['name'], _fmt_rhat(p['r_hat'])) for p in free], det)}"
            )
    ess_min = ESS_PER_CHAIN * chains
    for key, label in (("ess_bulk", "ESS bulk"), ("ess_tail", "ESS tail")):
        bad = sorted(
            (p for p in parameters if _finite(p.get(key)) and p[key] < ess_min),
            key=lambda p: p[key],
        )
        if bad:
            free, det = _split(parameters, bad)
            out.append(
                f"{label} below {ess_min} (100 per chain × {chains}): "
                f"{_named([(p['name'], f'{p[key]:.0f}') for p in free], det)}"
            )
    return out


def group_parameters(
    parameters: list[dict[str, Any]], max_rows: int | None = None
) -> list[dict[str, Any]]:
    """One line per variable of a per-parameter table: ``variable``, ``kind``, ``size``,
    ``r_hat_max``, ``ess_bulk_min``, ``ess_tail_min``, ``problems`` (how many of its
    values have which problem) and its ``rows`` (at most ``max_rows``; ``omitted`` counts
    the rest). Order: as in the table (free parameters first)."""
    groups: dict[str, dict[str, Any]] = {}
    for p in parameters:
        g = groups.get(p.get("variable", p["name"]))
        if g is None:
            g = groups[p.get("variable", p["name"])] = {
                "variable": p.get("variable", p["name"]),
                "kind": p.get("kind", "free"),
                "size": 0,
                "rows": [],
                "omitted": 0,
                "_rhat": [],
                "_bulk": [],
                "_tail": [],
                "_bad": {},
            }
        g["size"] += 1
        if max_rows is None or len(g["rows"]) < max_rows:
            g["rows"].append(p)
        else:
            g["omitted"] += 1
        g["_rhat"].append(p.get("r_hat"))
        g["_bulk"].append(p.get("ess_bulk"))
        g["_tail"].append(p.get("ess_tail"))
        for text in p.get("problems") or []:
            kind = _rule_of(text, p.get("_chains"))
            g["_bad"][kind] = g["_bad"].get(kind, 0) + 1
    out = []
    for g in groups.values():
        g["r_hat_max"] = _none_if_nan(_nanmax([x for x in g.pop("_rhat") if x is not None]))
        g["ess_bulk_min"] = _none_if_nan(_nanmin([x for x in g.pop("_bulk") if x is not None]))
        g["ess_tail_min"] = _none_if_nan(_nanmin([x for x in g.pop("_tail") if x is not None]))
        bad = g.pop("_bad")
        g["problems"] = [
            f"{kind} in {n} of {g['size']} values" if g["size"] > 1 else kind
            for kind, n in bad.items()
        ]
        out.append(g)
    return out


def _rule_of(text: str, _chains=None) -> str:
    """``"R-hat 1.040 > 1.01"`` → ``"R-hat > 1.01"``; ``"ESS bulk 188 < 400"`` → ``"ESS bulk < 400"``."""
    words = text.split(" ")
    if text.startswith("R-hat"):
        return f"R-hat > {words[-1]}"
    return f"{words[0]} {words[1]} < {words[-1]}"


def _none_if_nan(x: float) -> float | None:
    return x if math.isfinite(x) else None


RUNNING_MAX_DRAWS = 5000
"""Draws per chain above which running diagnostics are estimated from subsets."""


def running_diagnostics(
    draws: np.ndarray, names, max_draws: int = RUNNING_MAX_DRAWS
) -> list[dict[str, Any]]:
    """R-hat and ESS of traced scalars while sampling; ``draws`` is (chain, draw, k).

    Up to ``max_draws`` draws per chain they are computed on every draw. Beyond that
    (fast samplers make hundreds of thousands of draws, and ranking them all several
    times a minute would take a core), R-hat is computed on ``max_draws`` evenly spaced
    draws of each chain (still spanning the whole chains), and ESS on the last
    ``max_draws`` consecutive draws, scaled to the chain length (ESS/draw estimated on
    a contiguous window, which keeps the autocorrelation that thinning would hide).
    The final diagnostics always use every draw.
    """
    import arviz_stats as azs

    n_chain, n_draw, k = draws.shape
    out = []
    if n_draw < 20:
        return [
            {
                "name": n,
                "r_hat": None,
                "ess_bulk": None,
                "ess_tail": None,
                "draws": n_draw,
                "problems": [],
            }
            for n in names
        ]
    spread, recent, scale = draws, draws, 1.0
    if max_draws and n_draw > max_draws:
        spread = draws[:, np.linspace(0, n_draw - 1, max_draws).astype(int)]
        recent = draws[:, n_draw - max_draws :]
        scale = n_draw / max_draws
    with np.errstate(all="ignore"):
        rhat = azs.rhat(spread) if n_chain > 1 else np.full(k, np.nan)
        bulk = np.atleast_1d(azs.ess(recent, method="bulk")) * scale
        tail = np.atleast_1d(azs.ess(recent, method="tail", prob=(0.05, 0.95))) * scale
    for j, n in enumerate(names):
        row = {
            "name": n,
            "r_hat": float(np.atleast_1d(rhat)[j]),
            "ess_bulk": float(bulk[j]),
            "ess_tail": float(tail[j]),
            "draws": int(n_draw),
        }
        row["problems"] = parameter_problems(row, n_chain)
        out.append(_clean(row))
    return out


def rank_histograms(draws: np.ndarray, bins: int = 20) -> np.ndarray:
    """Rank-plot counts: ``draws`` (chain, draw, k) -> (k, chain, bins).

    Ranks are taken over all chains pooled; well-mixed chains give flat histograms.
    """
    from scipy.stats import rankdata

    n_chain, n_draw, k = draws.shape
    out = np.zeros((k, n_chain, bins))
    if n_draw == 0:
        return out
    for j in range(k):
        ranks = rankdata(draws[:, :, j].ravel()).reshape(n_chain, n_draw)
        edges = np.linspace(0.5, n_chain * n_draw + 0.5, bins + 1)
        for c in range(n_chain):
            out[j, c], _ = np.histogram(ranks[c], bins=edges)
    return out

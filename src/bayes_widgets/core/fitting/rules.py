"""The rules for what counts as a problem of a fit, used by the final diagnostics, the
live monitor and the posterior explorer alike (Vehtari et al. 2021; Betancourt 2016):

- R-hat above :data:`RHAT_LIMIT` (1.01), with more than one chain;
- bulk or tail ESS below :data:`ESS_PER_CHAIN` (100) × chains;
- any divergent transition after tuning;
- any draw that hit the maximum tree depth;
- E-BFMI below :data:`EBFMI_LIMIT` (0.3) in a chain.

    fit_problems(rows, chains=4, divergences=3)   # ["3 divergent transitions after tuning", ...]
"""

from __future__ import annotations

import math
from typing import Any

from bayes_widgets.core.checks import finite_or_none

RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100
EBFMI_LIMIT = 0.3
MAX_NAMED = 5
"""Parameters named in one problem line; the rest are counted."""


def finite_max(xs) -> float:
    """The largest finite value (NaN when there is none)."""
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return max(xs) if xs else math.nan


def finite_min(xs) -> float:
    """The smallest finite value (NaN when there is none)."""
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return min(xs) if xs else math.nan


def _finite(x) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def parameter_problems(row: dict[str, Any], chains: int) -> list[str]:
    """The problems of one parameter's row (``r_hat``, ``ess_bulk``, ``ess_tail``), each
    named, e.g. ``"R-hat 1.04 > 1.01"`` or ``"ESS bulk 188 < 400"``. A value that could
    not be computed (None/NaN, e.g. a constant) is no problem of its own."""
    out = []
    rhat = finite_or_none(row.get("r_hat"))
    if chains > 1 and rhat is not None and rhat > RHAT_LIMIT:
        out.append(f"R-hat {_fmt_rhat(rhat)} > {RHAT_LIMIT}")
    ess_min = ESS_PER_CHAIN * chains
    for key, label in (("ess_bulk", "ESS bulk"), ("ess_tail", "ESS tail")):
        v = finite_or_none(row.get(key))
        if v is not None and v < ess_min:
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
        g["r_hat_max"] = finite_or_none(finite_max([x for x in g.pop("_rhat") if x is not None]))
        g["ess_bulk_min"] = finite_or_none(finite_min([x for x in g.pop("_bulk") if x is not None]))
        g["ess_tail_min"] = finite_or_none(finite_min([x for x in g.pop("_tail") if x is not None]))
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

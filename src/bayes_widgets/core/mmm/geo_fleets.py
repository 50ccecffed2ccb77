"""Geo fleets: a geo MMM pooled across its geos against each geo fitted on its own.

    result = geo_fleet(model, holdout=8, out="runs/geo")    # model built with dims=("geo",)
    result.summary()      # one row per run: "pooled" and "geo-<label>", same metric columns
    result.by_geo()       # held-out scores per geo: pooled model vs the geo's own model

The pooled run fits the geo model on all but the last ``holdout`` weeks of every geo and
scores those weeks (overall, and per geo in its ``scores_by_geo.csv``); each per-geo run
fits that geo's rows as a national model (its lift tests kept) and scores the same weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.fleet.runner import RunSpec
from bayes_widgets.core.mmm.fleets import DEFAULT_FIT, FleetResult, run_inputs, submit
from bayes_widgets.core.mmm.run_tasks import run_data, score_holdout, weeks
from bayes_widgets.core.mmm.validation import MMMDataError, check_holdout


def _mentions(prior: Any, dim: str) -> bool:
    if isinstance(prior, dict):
        dims = prior.get("dims") or ()
        return dim in (dims if isinstance(dims, list | tuple) else (dims,)) or any(
            _mentions(v, dim) for v in prior.values()
        )
    return isinstance(prior, list) and any(_mentions(v, dim) for v in prior)


def geo_config(config: dict[str, Any], dim: str, geo: Any) -> dict[str, Any]:
    """A geo model's configuration for one geo's rows as a national model: no dims, the
    priors that do not vary by geo (the others take the national defaults), and the lift
    tests of that geo only."""
    priors = {k: v for k, v in (config.get("priors") or {}).items() if not _mentions(v, dim)}
    out = {**config, "dims": [], "priors": priors}
    lift = config.get("lift_tests")
    if lift:
        rows = [
            {k: v for k, v in r.items() if k != dim} for r in lift if str(r.get(dim)) == str(geo)
        ]
        out["lift_tests"] = rows or None
    return out


def geo_holdout_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One run of a geo fleet: the pooled geo model, or (``params["geo"]``) one geo's rows
    as a national model; scored on the last ``horizon`` weeks."""
    from bayes_widgets.core.mmm.model import MMMModel

    data = run_data(params)
    dim, geo = params["dim"], params.get("geo")
    config = params["config"]
    if geo is not None:
        rows = data.loc[data[dim].astype(str) == str(geo)].drop(columns=dim)
        data, config = rows.reset_index(drop=True), geo_config(config, dim, geo)
    model = MMMModel(data, **config)
    metrics = score_holdout(model, params, run_dir)
    return {
        "model": "pooled" if geo is None else "per geo",
        dim: "all" if geo is None else str(geo),
        **metrics,
    }


def check_geo_fleet(model, holdout: Any, geos: Any) -> tuple[int, list[Any]]:
    """A geo fleet's options checked against ``model``: (holdout, the chosen geos)."""
    if not getattr(model, "dims", ()):
        raise MMMDataError("dims", "a geo fleet needs a geo model (dims=('geo',))")
    dim = model.dims[0]
    holdout = check_holdout(holdout, weeks(model))
    if geos is None:
        return holdout, list(model.geos)
    known = {str(x): x for x in model.geos}
    if not isinstance(geos, list | tuple) or not geos:
        raise MMMDataError("geos", f"expected a list of the model's {dim} labels, got {geos!r}")
    unknown = [g for g in geos if str(g) not in known]
    if unknown:
        raise MMMDataError("geos", f"unknown {dim} {unknown[0]!r}")
    return holdout, [known[str(g)] for g in geos]


@dataclass
class GeoFleetResult(FleetResult):
    dim: str = "geo"

    def by_geo(self) -> pd.DataFrame:
        """Held-out scores per geo (rows) from the pooled run and from each geo's own run
        (columns ``<metric>_pooled`` and ``<metric>_per_geo``), for finished runs."""
        table = self.summary()
        done = table.loc[table["status"] == "done"]
        metrics = [c for c in done.columns if c.startswith("test_")]
        own = done.loc[done["model"] == "per geo"].set_index(self.dim)[metrics]
        pooled_file = Path(self.out) / "pooled" / "scores_by_geo.csv"
        if (done["run_id"] == "pooled").any() and pooled_file.exists():
            pooled = pd.read_csv(pooled_file, dtype={self.dim: str}).set_index(self.dim)
        else:
            pooled = pd.DataFrame(columns=metrics)
        joined = pooled[metrics].add_suffix("_pooled").join(own.add_suffix("_per_geo"), how="outer")
        return joined.sort_index()


def geo_fleet(
    model,
    *,
    holdout: int = 4,
    out,
    fit: dict[str, Any] | None = None,
    geos: list[Any] | None = None,
    executor: Any = None,
    on_update=None,
) -> GeoFleetResult:
    """The geo model pooled (run ``pooled``) and each geo on its own (runs ``geo-<label>``;
    ``geos`` picks some, all by default), each fitted on all but the last ``holdout`` weeks
    and scored on them; see :meth:`GeoFleetResult.by_geo`."""
    holdout, chosen = check_geo_fleet(model, holdout, geos)
    dim = model.dims[0]
    common = {**run_inputs(model), "dim": dim, "horizon": holdout}
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [RunSpec("pooled", {**common, "fit": fit})]
    specs += [RunSpec(f"geo-{g}", {**common, "geo": g, "fit": fit}) for g in chosen]
    run = submit(specs, geo_holdout_task, fit, out=out, executor=executor, on_update=on_update)
    return GeoFleetResult("geo", run, dim)


__all__ = ["GeoFleetResult", "check_geo_fleet", "geo_config", "geo_fleet", "geo_holdout_task"]

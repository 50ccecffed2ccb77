"""A fitted MMM's one-pager kept on disk, for reports: its tables as CSV files.

    save_one_pager(model, run_dir)          # writes run_dir/one_pager/*.csv and meta.json
    tables = read_one_pager(run_dir)        # what the report draws (None when absent)

A fleet run that fits a model keeps its one-pager with :func:`save_one_pager` (a few
hundred kilobytes: the tables for every geo together, the channel table for each geo),
so a report draws it without pymc-marketing or the draws.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.mmm.explorer_views import (
    ALL_GEOS,
    DEFAULT_LAST,
    DEFAULT_PROB,
    OnePager,
    one_pager,
)

ONE_PAGER_DIR = "one_pager"
"""The folder of a run's one-pager tables."""


def one_pager_tables(pager: OnePager, geo: str | None = None) -> dict[str, Any]:
    """Every table of the one-pager for ``geo`` (None: every geo together), the response and
    adstock curves of all channels in one long table each."""
    curves, marks, adstocks = [], [], []
    for channel in pager.channels:
        r = pager.response(channel, geo)
        curves.append(r["curve"].assign(channel=channel))
        marks.append({k: v for k, v in r.items() if k != "curve"})
        adstocks.append(pager.adstock(channel, geo).assign(channel=channel))
    return {
        "fit": pager.fit(geo),
        "decomposition": pager.decomposition(geo),
        "channels": pager.channels_table(geo),
        "response": pd.concat(curves, ignore_index=True),
        "response_marks": pd.DataFrame(marks),
        "adstock": pd.concat(adstocks, ignore_index=True),
    }


def save_one_pager(
    model: Any,
    run_dir: str | Path,
    *,
    draws: int = 200,
    prob: float = DEFAULT_PROB,
    last: int = DEFAULT_LAST,
) -> Path:
    """Writes the one-pager of a fitted model into ``run_dir/one_pager`` and returns that
    folder: the tables for every geo together, and for a geo model each geo's channel
    table (``channels_by_geo.csv``)."""
    pager = one_pager(model, draws=draws, prob=prob, last=last)
    out = Path(run_dir) / ONE_PAGER_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, table in one_pager_tables(pager).items():
        table.to_csv(out / f"{name}.csv", index=False)
    if pager.geos:
        by_geo = pd.concat(
            [pager.channels_table(g).assign(geo=g) for g in pager.geos], ignore_index=True
        )
        by_geo.to_csv(out / "channels_by_geo.csv", index=False)
    meta = {
        "prob": pager.prob,
        "last": pager.last,
        "geos": list(pager.geos),
        "channels": list(pager.channels),
        "draws": pager.draws.n_draws,
        "train_dates": pager.draws.n_train,
        "test_dates": len(pager.draws.dates) - pager.draws.n_train,
        "geo": ALL_GEOS if pager.geos else None,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


def read_one_pager(run_dir: str | Path) -> dict[str, Any] | None:
    """The tables :func:`save_one_pager` wrote (``meta`` a dict), or None when the run
    kept none."""
    folder = Path(run_dir) / ONE_PAGER_DIR
    if not (folder / "meta.json").exists():
        return None
    tables: dict[str, Any] = {"meta": json.loads((folder / "meta.json").read_text())}
    for path in sorted(folder.glob("*.csv")):
        table = pd.read_csv(path)
        if "date" in table:
            table["date"] = pd.to_datetime(table["date"])
        tables[path.stem] = table
    return tables


__all__ = [
    "ONE_PAGER_DIR",
    "one_pager_tables",
    "read_one_pager",
    "save_one_pager",
]

"""FleetBoard: a live table of a fleet's runs, coloured by pass/fail, with each run's plots.

    board = FleetBoard(out="runs/holdout", thresholds={"test_mape": ("<=", 0.15)})
    board.run(holdout_fleet, model, horizons=[4, 8, 12], out="runs/holdout")  # in the background
    board                                    # queued / running (with progress) / done / failed

The board reads the fleet's directory (each run's ``status.json`` and ``summary.json``),
so it follows a fleet run by any executor — local processes, a Dask cluster with a shared
filesystem, or the command line. A click on a run shows its plots.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import traitlets

from bayes_widgets.core.fleet.store import RunStore
from bayes_widgets.widgets._base import BayesWidget, static_file

POLL_S = 0.5
_OPS = ("<=", ">=", "<", ">")


def _check_thresholds(thresholds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for metric, rule in (thresholds or {}).items():
        op, value = (rule["op"], rule["value"]) if isinstance(rule, dict) else rule
        if op not in _OPS:
            raise ValueError(f"thresholds: {metric!r} has operator {op!r}; use one of {', '.join(_OPS)}")
        out[str(metric)] = {"op": op, "value": float(value)}
    return out


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class FleetBoard(BayesWidget):
    """Live view of a fleet directory (see the module docstring)."""

    _esm = traitlets.Unicode().tag(sync=True)
    out = traitlets.Unicode("").tag(sync=True)
    runs = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One row per run: run_id, status, fraction (while running), seconds, error, metrics."""
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Metric columns shown (all numeric metrics seen, unless set)."""
    thresholds = traitlets.Dict().tag(sync=True)
    """metric -> {"op": "<=", "value": x}: cells pass or fail."""
    selected = traitlets.Unicode("").tag(sync=True)
    detail_figure = traitlets.Unicode("").tag(sync=True)
    running = traitlets.Bool(False).tag(sync=True)

    def __init__(self, out: str | Path = "", *, thresholds: dict[str, Any] | None = None,
                 columns: list[str] | None = None):
        super().__init__(_esm=static_file("fleet_board.js").read_text())
        self._fixed_columns = columns
        self._queued: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result = None
        try:
            self.thresholds = _check_thresholds(thresholds or {})
        except (ValueError, KeyError, TypeError) as exc:
            self.error = str(exc)
        if out:
            self.out = str(out)
            self.refresh()

    # -- following a fleet --------------------------------------------------------------
    def refresh(self) -> None:
        """Reads the fleet directory once."""
        if not self.out or not Path(self.out).exists():
            return
        store = RunStore(self.out)
        rows = []
        seen_metrics: list[str] = []
        for run_id in sorted(set(store.run_ids()) | self._queued):
            summary = store.summary(run_id)
            if summary is not None:
                metrics = {k: _clean(v) for k, v in (summary.get("metrics") or {}).items()}
                for k, v in metrics.items():
                    if isinstance(v, int | float) and not isinstance(v, bool) and k not in seen_metrics:
                        seen_metrics.append(k)
                rows.append({"run_id": run_id, "status": summary.get("status"), "seconds": summary.get("seconds"),
                             "error": summary.get("error"), "metrics": metrics})
                continue
            status = store.status(run_id) if (Path(self.out) / run_id).exists() else None
            if status is not None:
                rows.append({"run_id": run_id, "status": "running", "fraction": status.get("fraction"),
                             "metrics": {}})
            elif run_id in self._queued:
                rows.append({"run_id": run_id, "status": "queued", "metrics": {}})
        with self.hold_sync():
            self.runs = rows
            self.columns = self._fixed_columns or seen_metrics

    def watch(self) -> None:
        """Follows the directory in the background until :meth:`stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="bw-fleet-board", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _poll(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.refresh()
            except Exception as exc:  # shown inline; the board keeps following
                self.error = f"{type(exc).__name__}: {exc}"
        self.refresh()

    def run(self, fleet, *args, **kwargs) -> threading.Thread:
        """Runs ``fleet(*args, **kwargs)`` (e.g. ``holdout_fleet``) in the background and
        follows it; the result lands in :attr:`result` when it ends."""
        out = kwargs.get("out")
        if out is None:
            raise ValueError("out: the fleet needs an out= directory for the board to follow")
        self.out = str(out)
        user_update = kwargs.pop("on_update", None)

        def on_update(run_id, info):
            if info.get("status") == "queued":
                self._queued.add(run_id)
            if user_update is not None:
                user_update(run_id, info)

        def work():
            self.running = True
            try:
                self.result = fleet(*args, on_update=on_update, **kwargs)
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.running = False
                self.stop()

        self.watch()
        thread = threading.Thread(target=work, name="bw-fleet", daemon=True)
        thread.start()
        return thread

    # -- from the page ----------------------------------------------------------------------
    def _on_select(self, msg) -> None:
        run_id = str(msg.get("run_id", ""))
        self.select(run_id)

    def _on_thresholds(self, msg) -> None:
        try:
            self.thresholds = _check_thresholds(msg.get("thresholds") or {})
            self.error = ""
        except (ValueError, KeyError, TypeError) as exc:
            self.error = str(exc)

    def select(self, run_id: str) -> None:
        """Shows the plots of ``run_id``: predictions with bands, forecast, contributions over
        time, recovery scatter."""
        from bokeh.embed import json_item
        from bokeh.layouts import column
        from bokeh.plotting import figure

        from bayes_widgets.core.report import run_figures

        run_dir = Path(self.out) / run_id
        if not run_id or not run_dir.is_dir():
            self.error = f"run: no run {run_id!r} in {self.out}"
            return
        figures = run_figures(run_dir, run_id)
        if not figures:
            empty = figure(width=400, height=60, title=f"{run_id}: no plots yet", toolbar_location=None)
            empty.axis.visible = False
            figures.append(empty)
        with self.hold_sync():
            self.selected = run_id
            self.detail_figure = json.dumps(json_item(column(*figures)))
            self.error = ""

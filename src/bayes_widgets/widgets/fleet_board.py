"""FleetBoard: a live table of a fleet's runs, coloured by pass/fail, with each run's plots.

    board = FleetBoard(out="runs/holdout", thresholds={"test_mape": ("<=", 0.15)})
    board.run(holdout_fleet, model, horizons=[4, 8, 12], out="runs/holdout")  # in the background
    board                                    # queued / running (with progress) / done / failed

The board reads the fleet's run store (a path or an fsspec URL: each run's claim
``status.json`` and ``summary.json``), which the submitting process writes, so it follows
a fleet run by any executor — local processes, a Dask cluster whose workers do not share
the disk, or the command line. It lists queued runs, and marks a run "lost" when the
worker running it is gone (its PID and host, and how old its last heartbeat is, in the
row's tooltip) or its submitter is. A click on a run shows its plots.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import traitlets

from bayes_widgets.core.fleet.live import fleet_rows
from bayes_widgets.core.fleet.store import RunStore, StoreError
from bayes_widgets.widgets._base import BayesWidget, static_text

POLL_S = 0.5
_OPS = ("<=", ">=", "<", ">")


def _check_thresholds(thresholds: Any) -> dict[str, dict[str, Any]]:
    """metric -> {"op", "value"} from a dict of ``(op, value)`` pairs or ``{"op", "value"}``
    dicts; anything else is refused with a message naming the metric."""
    if thresholds is None:
        return {}
    if not isinstance(thresholds, dict):
        raise TypeError(
            f"thresholds: expected a dict of metric -> (op, value), got {type(thresholds).__name__}"
        )
    out = {}
    for metric, rule in thresholds.items():
        if isinstance(rule, dict):
            missing = [k for k in ("op", "value") if k not in rule]
            if missing:
                raise ValueError(f"thresholds: {metric!r} needs {' and '.join(missing)}")
            op, value = rule["op"], rule["value"]
        elif isinstance(rule, list | tuple) and len(rule) == 2:
            op, value = rule
        else:
            raise ValueError(
                f"thresholds: {metric!r} must be (op, value) or {{'op': ..., 'value': ...}}, got {rule!r}"
            )
        if not isinstance(op, str) or op not in _OPS:
            raise ValueError(
                f"thresholds: {metric!r} has operator {op!r}; use one of {', '.join(_OPS)}"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"thresholds: {metric!r} needs a finite number, got {value!r}")
        out[str(metric)] = {"op": op, "value": float(value)}
    return out


class FleetBoard(BayesWidget):
    """Live view of a fleet directory (see the module docstring)."""

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
    fleet_state = traitlets.Unicode("").tag(sync=True)
    """The submitters' state: "running", "waiting for workers", or "" when none is live."""

    def __init__(
        self,
        out: str | Path = "",
        *,
        thresholds: dict[str, Any] | None = None,
        columns: list[str] | None = None,
    ):
        super().__init__(_esm=static_text("fleet_board.js"))
        self._fixed_columns = columns
        self._queued: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result = None
        try:
            self.thresholds = _check_thresholds(thresholds or {})
        except (ValueError, TypeError) as exc:
            self.error = str(exc)
        if out:
            self.out = str(out)
            try:
                self.refresh()
            except (OSError, ValueError) as exc:  # shown inline; the board stays usable
                self.error = f"out: {exc}"

    # -- following a fleet --------------------------------------------------------------
    def _store(self) -> RunStore | None:
        if not self.out:
            return None
        try:
            store = RunStore(self.out, create=False)
        except StoreError:
            return None
        return store if store.exists() else None

    def refresh(self) -> None:
        """Reads the run store once."""
        store = self._store()
        if store is None:
            return
        rows, state = fleet_rows(store, frozenset(self._queued))
        seen_metrics: list[str] = []
        for row in rows:
            for k, v in row["metrics"].items():
                if isinstance(v, int | float) and not isinstance(v, bool) and k not in seen_metrics:
                    seen_metrics.append(k)
        with self.hold_sync():
            self.runs = rows
            self.columns = self._fixed_columns or seen_metrics
            self.fleet_state = state

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
        except (ValueError, TypeError) as exc:
            self.error = str(exc)

    def select(self, run_id: str) -> None:
        """Shows the plots of ``run_id``: predictions with bands, forecast, contributions over
        time, recovery scatter."""
        from bayes_widgets.core.figures.base import to_json
        from bayes_widgets.core.figures.report import run_detail_figure

        store = self._store()
        try:
            known = store is not None and bool(run_id) and store.has_run(run_id)
        except ValueError:  # not a run id at all
            known = False
        if store is None or not known:
            self.error = f"run: no run {run_id!r} in {self.out}"
            return
        detail = run_detail_figure(store.local_dir(run_id), run_id)
        with self.hold_sync():
            self.selected = run_id
            self.detail_figure = to_json(detail)
            self.error = ""

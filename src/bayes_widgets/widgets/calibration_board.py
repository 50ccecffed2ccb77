"""CalibrationBoard: a simulation-based calibration watched live.

    board = CalibrationBoard(model, simulations=200, draws=500)   # starts calibrate(..., wait=False)
    board = CalibrationBoard(calibration)                         # or follows a running one
    board                                                         # shows it

Per parameter a rank histogram and an ECDF difference with its simultaneous band fill in
as simulations finish, each with a verdict (calibrated, over- or under-dispersed, biased
high or low); the simulations that failed, diverged or ran slowest are listed, and a
click on one shows its fit's diagnostics. Pause, Resume and Cancel act on the calibration
and keep what is done. SVI calibrations also show VSBC. The board follows the
calibration's events (no polling) and redraws at most a few times a second; the final
state lands in traits, so a saved notebook shows it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import traitlets

from bayes_widgets.core.calibration import Calibration, calibrate
from bayes_widgets.core.calibration.ecdf import default_bins
from bayes_widgets.core.checks import check_probability, finite_or_none
from bayes_widgets.core.errors import InputError
from bayes_widgets.core.jsonable import jsonable
from bayes_widgets.widgets._base import BayesWidget, static_text

MIN_INTERVAL_S = 0.3
"""Shortest time between two redraws; longer when a redraw takes long (3× its cost)."""
MAX_FAILED_ROWS = 20
MAX_DIVERGED_ROWS = 10
FINAL_STATES = frozenset({"done", "cancelled", "failed"})

__all__ = ["CalibrationBoard"]


def _check_bins(bins: Any, max_rank: int) -> int | None:
    if bins is None:
        return None
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= max_rank + 1:
        raise InputError("bins", f"must be an integer in 1..{max_rank + 1}, got {bins!r}")
    return bins


def notable_rows(table, slowest: int = 5) -> list[dict[str, Any]]:
    """The simulations worth a look in a :meth:`Calibration.simulations` table: every
    failed one (up to 20), the most diverged, and the ``slowest`` slowest finished, each
    once with its ``reasons`` ("failed", "diverged", "slow")."""
    picked: dict[int, list[str]] = {}

    def add(frame, reason: str) -> None:
        for i in frame["index"]:
            picked.setdefault(int(i), []).append(reason)

    add(table[table["status"] == "failed"].head(MAX_FAILED_ROWS), "failed")
    done = table[table["status"] == "done"]
    div = done[done["divergences"].fillna(0).astype(float) > 0]
    add(div.sort_values("divergences", ascending=False).head(MAX_DIVERGED_ROWS), "diverged")
    if slowest > 0 and len(done):
        add(done.sort_values("wall_s", ascending=False).head(slowest), "slow")
    rows = []
    for i, reasons in picked.items():
        r = table.loc[i]
        rows.append(
            {
                "index": i,
                "status": str(r["status"]),
                "wall_s": finite_or_none(r["wall_s"]),
                "divergences": finite_or_none(r["divergences"]),
                "rhat_max": finite_or_none(r["rhat_max"]),
                "ess_bulk_min": finite_or_none(r["ess_bulk_min"]),
                "error": str(r["error"]) if isinstance(r["error"], str) else "",
                "reasons": reasons,
            }
        )
    return rows  # failed, then the most diverged, then the slowest


class CalibrationBoard(BayesWidget):
    """Live view of a :class:`~bayes_widgets.core.calibration.session.Calibration` (see the
    module docstring). Pass a running calibration, or a model with ``calibrate``'s options
    (``simulations``, ``backend``, ``method``, ``draws``, ...). ``prob``: the level of the
    bands and verdicts; ``bins``: the histograms' bins (by default about ten ranks each);
    ``slowest``: how many of the slowest simulations are listed. Bad input is shown inline.
    """

    _urgent = frozenset({"pause", "resume", "cancel"})

    status = traitlets.Unicode("created").tag(sync=True)
    """The calibration's state: queued, running, pausing, paused, cancelling, cancelled,
    done or failed; "error" when the board got bad input."""
    message = traitlets.Unicode("").tag(sync=True)
    """What happened, e.g. how many simulations a cancelled calibration kept."""
    method = traitlets.Unicode("nuts").tag(sync=True)
    """"nuts" or "svi" (SVI calibrations also show VSBC)."""
    parameters = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The ranked scalars (``mu``, ``theta[0]``, ...), one card each."""
    max_rank = traitlets.Int(0).tag(sync=True)
    """Ranks run over ``0..max_rank``."""
    bins = traitlets.Int(0).tag(sync=True)
    """Bins of the rank histograms."""
    prob = traitlets.Float(0.95).tag(sync=True)
    """Level of the bands, intervals and verdicts."""
    progress = traitlets.Dict().tag(sync=True)
    """total, done, failed, running, queued, sims_per_min, elapsed_s, eta_s."""
    parameter_figure = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of one parameter's empty plots; the page shows a copy per parameter
    and fills it from :attr:`curves`."""
    curves = traitlets.Dict().tag(sync=True)
    """Parameter → the figure's source data (``hist``, ``ecdf``, ``outside``) and ``n``, the
    ranks so far."""
    verdicts = traitlets.Dict().tag(sync=True)
    """Parameter → ``{p_value, passed, direction}``."""
    notable = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Simulations that failed, diverged or ran slowest (see :func:`notable_rows`)."""
    selected = traitlets.Int(-1).tag(sync=True)
    """The simulation whose diagnostics are shown; -1 for none."""
    selected_diagnostics = traitlets.Dict().tag(sync=True)
    """Its fit's diagnostics (``Calibration.diagnostics(selected)``)."""
    vsbc = traitlets.List(traitlets.Dict()).tag(sync=True)
    """SVI: per parameter ``{parameter, statistic, p_value, passed, verdict}``."""

    def __init__(
        self,
        calibration: Any = None,
        *,
        prob: float = 0.95,
        bins: int | None = None,
        slowest: int = 5,
        **calibrate_kwargs: Any,
    ):
        cal, exception = None, None
        try:
            prob = check_probability("prob", prob)
            if calibration is None:
                raise InputError("calibration", "pass a Calibration or a model to calibrate")
            if isinstance(calibration, Calibration):
                if calibrate_kwargs:
                    raise InputError(
                        "calibration",
                        "pass either a Calibration or a model with calibrate's options, "
                        f"not both (got {', '.join(sorted(calibrate_kwargs))})",
                    )
                cal = calibration
            else:
                calibrate_kwargs.pop("wait", None)
                cal = calibrate(calibration, wait=False, **calibrate_kwargs)
            bins = _check_bins(bins, cal.max_rank)
        except (InputError, TypeError, ImportError) as exc:
            exception = exc
        super().__init__(_esm=static_text("calibration_board.js"))
        self.calibration: Calibration | None = cal
        self.exception = exception
        self._slowest = max(0, int(slowest))
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._curves_n = -1
        self._refresh_error = ""
        self._unsubscribe = None
        if cal is None:
            self.status = "error"
            self.error = str(exception)
            return
        self._follow(cal, prob, bins)

    def _follow(self, cal: Calibration, prob: float, bins: int | None) -> None:
        from bayes_widgets.core.figures.calibration import parameter_figure

        self._t0 = time.monotonic()
        self._finished_at_start: int | None = None
        self._ended_at: float | None = None
        with self.hold_sync():
            self.prob = prob
            self.method = str(cal.settings.get("method", "nuts"))
            self.parameters = list(cal.parameters)
            self.max_rank = int(cal.max_rank)
            self.bins = bins or default_bins(cal.count, cal.max_rank)
            self.parameter_figure = parameter_figure(self.max_rank, prob)
        self._unsubscribe = cal.subscribe(self._on_event)
        self.refresh()
        self._pump_thread = threading.Thread(
            target=self._pump, name="bw-calibration-board", daemon=True
        )
        self._pump_thread.start()

    # -- following the calibration ------------------------------------------------------------
    def _on_event(self, _event: Any) -> None:
        self._dirty.set()  # cheap: the calibration's thread never waits for a redraw

    def _pump(self) -> None:
        last, interval = 0.0, MIN_INTERVAL_S
        while True:
            self._dirty.wait()
            if self._closed.is_set():
                return
            pause = last + interval - time.monotonic()
            if pause > 0 and self._closed.wait(pause):
                return
            self._dirty.clear()
            start = time.monotonic()
            try:
                self.refresh()
                if self._refresh_error and self.error == self._refresh_error:
                    self.error = ""
                self._refresh_error = ""
            except Exception as exc:  # shown inline; the board keeps following
                self.error = self._refresh_error = f"{type(exc).__name__}: {exc}"
            last = time.monotonic()
            interval = max(MIN_INTERVAL_S, 3 * (last - start))

    def refresh(self) -> None:
        """Reads the calibration once and updates every trait (the pump does this after
        each event, at most a few times a second)."""
        cal = self.calibration
        if cal is None:
            return
        table = cal.simulations()
        counts = table["status"].value_counts().to_dict()
        ranks = cal.ranks()
        n = len(next(iter(ranks.values()))) if ranks else 0
        state = str(cal.state)
        update: dict[str, Any] = {
            "status": state,
            "progress": self._progress(counts, cal.count, state),
            "notable": notable_rows(table, self._slowest),
        }
        if n != self._curves_n:
            update.update(self._curves_and_verdicts(cal, ranks, n))
        update["message"] = self._message(state, counts)
        if state == "failed" and cal.error:
            update["error"] = f"calibration failed: {cal.error}"
        with self.hold_sync():
            for name, value in update.items():
                setattr(self, name, value)

    def _curves_and_verdicts(self, cal: Calibration, ranks: dict, n: int) -> dict[str, Any]:
        from bayes_widgets.core.figures.calibration import parameter_columns

        curves = {
            name: {**parameter_columns(r, self.max_rank, self.bins, self.prob), "n": int(r.size)}
            for name, r in ranks.items()
        }
        out: dict[str, Any] = {"curves": curves, "verdicts": {}, "vsbc": []}
        if n > 0:
            out["verdicts"] = {
                name: {
                    "p_value": finite_or_none(v.p_value),
                    "passed": bool(v.passed),
                    "direction": str(v.direction),
                }
                for name, v in cal.verdicts(self.prob).items()
            }
            if self.method == "svi":
                out["vsbc"] = [
                    {
                        "parameter": name,
                        "statistic": finite_or_none(v.statistic),
                        "p_value": finite_or_none(v.p_value),
                        "passed": bool(v.passed),
                        "verdict": str(v.direction),
                    }
                    for name, v in cal.vsbc(self.prob).items()
                ]
        self._curves_n = n
        return out

    def _progress(self, counts: dict, total: int, state: str) -> dict[str, Any]:
        now = time.monotonic()
        finished = int(counts.get("done", 0)) + int(counts.get("failed", 0))
        if self._finished_at_start is None:
            self._finished_at_start = finished  # done before the board followed (a resume)
        if state in FINAL_STATES | {"paused"}:
            self._ended_at = self._ended_at or now
        else:
            self._ended_at = None
        elapsed = (self._ended_at or now) - self._t0
        here = finished - self._finished_at_start
        rate = 60.0 * here / elapsed if here and elapsed > 0 else None
        left = total - finished
        return {
            "total": int(total),
            "done": int(counts.get("done", 0)),
            "failed": int(counts.get("failed", 0)),
            "running": int(counts.get("running", 0)),
            "queued": int(counts.get("queued", 0)),
            "sims_per_min": rate,
            "elapsed_s": elapsed,
            "eta_s": 60.0 * left / rate if rate else None,
        }

    @staticmethod
    def _message(state: str, counts: dict) -> str:
        done, failed = int(counts.get("done", 0)), int(counts.get("failed", 0))
        kept = f"{done} finished simulation{'s' if done != 1 else ''} kept"
        if failed:
            kept += f", {failed} failed"
        if state == "cancelled":
            return f"cancelled: {kept}"
        if state == "paused":
            return f"paused: {kept}; Resume runs the rest"
        return ""

    # -- from the page ----------------------------------------------------------------------------
    def _on_pause(self, _msg: dict) -> None:
        self.pause()

    def _on_resume(self, _msg: dict) -> None:
        self.resume()

    def _on_cancel(self, _msg: dict) -> None:
        self.cancel()

    def _on_select(self, msg: dict) -> None:
        self.select(msg.get("index"))

    def pause(self) -> None:
        """Pauses the calibration (the finished simulations stay)."""
        if self.calibration is not None:
            self.calibration.pause()
            self.status = str(self.calibration.state)

    def resume(self) -> None:
        """Goes on with the simulations not finished."""
        if self.calibration is not None:
            self.calibration.resume()
            self.status = str(self.calibration.state)
            self._dirty.set()

    def cancel(self) -> None:
        """Stops the calibration for good; the finished simulations stay."""
        if self.calibration is not None:
            self.calibration.cancel()
            self.status = str(self.calibration.state)
            self._dirty.set()

    def select(self, index: Any) -> None:
        """Shows the fit diagnostics of simulation ``index``."""
        if self.calibration is None:
            return
        diagnostics = self.calibration.diagnostics(index)  # a bad index names the field
        with self.hold_sync():
            self.selected = int(index)
            self.selected_diagnostics = jsonable(diagnostics)
            self.error = ""

    def wait(self, timeout: float | None = None) -> Calibration:
        """Blocks until the calibration ends (or pauses), then shows its final state."""
        if self.calibration is None:
            raise self.exception or InputError("calibration", "the board has no calibration")
        self.calibration.wait(timeout)
        self.refresh()
        return self.calibration

    def close(self) -> None:
        self._closed.set()
        self._dirty.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        super().close()

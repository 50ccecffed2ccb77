"""PredictionTable: a fitted model's predictions for new rows, editable in place.

    reg = LinearRegression(df, target="score", features=["x1", "x2"]); reg.fit()
    table = PredictionTable(reg, new_rows)        # new_rows: DataFrame of inputs
    table = PredictionTable(model, new_rows, posterior=idata)   # any pymc.Model with pm.Data
    table = PredictionTable(numpyro_model, new_rows, posterior=mcmc,
                            model_args=(X, store), model_kwargs={"y": y},
                            inputs={"X": ["temp", "price"], "store": "store"})
    table.edit(0, "x1", 2.5)                      # same checks as a cell edited on the page
    table.add_row({"x1": 1.0, "x2": 0.0}); table.remove_row(1)
    table.set_interval(0.9, "hdi")
    table.to_dataframe()                          # inputs, mean, sd and interval per row

One row per new row: its inputs (editable cells), then every predicted variable: a
deterministic (the regression line ``mu``) with its posterior mean and credible
interval, an observed variable (a new observation ``y``) with mean, sd and interval;
optionally a plot of the predictions with interval bars. Every accepted change
recomputes the predictions (see :func:`bayes_widgets.core.regression.predict_new_rows`
and :mod:`bayes_widgets.core.prediction`); a bad value is shown inline, naming the
column, and the last valid table stays. Rows are numbered 0, 1, ... in the order shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import traitlets

from bayes_widgets.core.checks import check_seed, finite_or_none
from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.figures.base import with_fresh_ids
from bayes_widgets.core.figures.prediction import prediction_template
from bayes_widgets.core.prediction.bound import BoundPredictor
from bayes_widgets.core.prediction.errors import RegressionInputError
from bayes_widgets.core.prediction.summary import (
    INTERVALS,
    SUMMARY_STATS,
    check_interval,
    check_prob,
    stat_names,
)
from bayes_widgets.widgets._base import BayesWidget, static_text


class PredictionTable(BayesWidget):
    """Editable table of posterior predictions for new rows (see the module docstring).

    Parameters
    ----------
    model:
        A :class:`LinearRegression`, a ``pymc.Model`` whose inputs are ``pm.Data``
        containers, or a NumPyro model function.
    new_rows:
        The rows to predict (a DataFrame, dict of columns or list of dicts of the model's
        inputs). Default: one row at the training means of the inputs.
    posterior:
        A fit of the model (FitResult, DataTree or InferenceData; for NumPyro also
        ``MCMC.get_samples()`` or the ``MCMC``); a LinearRegression's default is the one
        kept by ``regression.fit()``.
    row_dim, var_names:
        For a PyMC model: the dim of the rows and the variables to show (default: every
        deterministic and observed variable on the rows).
    model_args, model_kwargs, inputs, observed:
        For a NumPyro model: the arguments it was fitted with, which arguments new rows
        fill (``{"X": ["temp", "price"], "store": "store"}``) and which hold the observed
        values (see :mod:`bayes_widgets.core.prediction.numpyro_models`).
    prob, interval:
        Credible mass and kind of interval: ``"eti"`` (equal-tailed) or ``"hdi"``.
    plot:
        Show the predictions as a plot with interval bars below the table.
    seed:
        Fixes the noise of the new observations (each row keeps its own stream, so
        editing one row leaves the others' numbers as they were).
    """

    target = traitlets.Unicode("").tag(sync=True)
    """Name of the predicted (observed) variable."""
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Input columns, editable on the page: the features (and the known error, if given)."""
    variables = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Predicted variables in column order: ``name`` (``mu``, or ``p[a]`` for an element),
    ``kind`` (``deterministic`` or ``observed``) and ``label`` (the column group's title)."""
    plot_vars = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The plotted pair: a deterministic (thick bars; ``""`` if none) and an observed
    variable (thin bars and mean)."""
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The shown (always valid) table: per row ``key``, ``inputs`` by column and
    ``prediction``: ``<variable>_mean, _sd, _lower, _upper`` for each variable
    (``mu_mean, mu_sd, mu_lower, mu_upper, y_mean, ...``)."""
    prob = traitlets.Float(0.95).tag(sync=True)
    interval = traitlets.Unicode("eti").tag(sync=True)
    """``eti`` (equal-tailed) or ``hdi`` (highest density)."""
    interval_label = traitlets.Unicode("").tag(sync=True)
    """E.g. ``95% equal-tailed interval``."""
    meaning = traitlets.Dict().tag(sync=True)
    """What each variable is, in words."""
    draws = traitlets.Int(0).tag(sync=True)
    """Posterior draws behind every prediction."""
    show_plot = traitlets.Bool(True).tag(sync=True)
    prediction_figure = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of the plot; the page fills its ``predictions`` source from ``rows``."""
    revision = traitlets.Int(0).tag(sync=True)
    """Accepted changes so far (tests and the page read it)."""

    def __init__(
        self,
        model: Any,
        new_rows: Any = None,
        *,
        posterior: Any = None,
        prob: float = 0.95,
        interval: str = "eti",
        plot: bool = True,
        seed: int = 0,
        row_dim: str | None = None,
        var_names: Any = None,
        model_args: Any = None,
        model_kwargs: Any = None,
        inputs: Any = None,
        observed: Any = None,
    ):
        seed = check_seed("seed", seed, allow_none=False, error=RegressionInputError) or 0
        predictor = BoundPredictor(
            model,
            posterior,
            row_dim=row_dim,
            var_names=var_names,
            model_args=model_args,
            model_kwargs=model_kwargs,
            inputs=inputs,
            observed=observed,
        )
        prob, interval = check_prob(prob), check_interval(interval)
        super().__init__(_esm=static_text("prediction_table.js"))
        self.predictor = predictor
        self.model = model
        self.regression = model if predictor.kind == "regression" else None
        self.posterior = predictor.posterior
        self.seed = seed
        self._table = pd.DataFrame()
        self._keys: list[int] = []
        self._next_key = 0
        if new_rows is None:
            new_rows = pd.DataFrame([predictor.defaults()])
        frame = predictor.check_rows(new_rows)
        labels = {
            "mu": "regression line mu",
            "y": f"new observation ({predictor.target})",
        }
        variables = [
            {
                "name": prefix,
                "kind": t.kind,
                "label": labels[prefix]
                if predictor.kind == "regression"
                else (prefix if t.kind == "deterministic" else f"new {prefix}"),
            }
            for t in predictor.targets
            for prefix in t.prefixes()
        ]
        line = next((v["name"] for v in variables if v["kind"] == "deterministic"), "")
        point = next((v["name"] for v in variables if v["kind"] == "observed"), "")
        with self.hold_sync():
            self.target = predictor.target
            self.columns = [str(c) for c in frame.columns]
            self.variables = variables
            self.plot_vars = [line, point]
            self.show_plot = bool(plot)
            self._show(frame.reset_index(drop=True), list(range(len(frame))), prob, interval)
        self._next_key = len(frame)

    # -- Python API ------------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """The shown table: inputs, then mean, sd and interval of ``mu`` and ``y`` per row
        (columns as :func:`predict_new_rows`; ``attrs`` say what they are)."""
        out = self._table.copy()
        out.attrs = dict(self._table.attrs)
        return out

    def set_rows(self, new_rows: Any) -> None:
        """Replaces every row."""
        frame = self.predictor.check_rows(new_rows)
        if [str(c) for c in frame.columns] != self.columns:
            raise RegressionInputError(
                "new_rows", f"must have the columns {self.columns}, got {list(frame.columns)}"
            )
        keys = list(range(self._next_key, self._next_key + len(frame)))
        self._show(frame.reset_index(drop=True), keys)
        self._next_key += len(frame)

    def edit(self, row: int, column: str, value: Any) -> None:
        """Sets one input cell (row number as shown, column name) and recomputes."""
        i = self._position(row)
        if column not in self.columns:
            raise RegressionInputError(
                "column", f"unknown column {column!r}; editable: {self.columns}"
            )
        frame = self._inputs()
        frame[column] = frame[column].astype(float)
        frame.loc[i, column] = _number(value, column, i)
        self._show(frame, self._keys)

    def add_row(self, values: Mapping[str, Any] | None = None) -> None:
        """Appends a row: ``values`` by column; columns not given copy the last row (or
        the training means of the features)."""
        if values is not None and not isinstance(values, Mapping):
            raise RegressionInputError(
                "values", f"expected {{column: value}}, got {type(values).__name__}"
            )
        values = dict(values or {})
        unknown = [c for c in values if c not in self.columns]
        if unknown:
            raise RegressionInputError(
                "values", f"unknown column(s) {unknown}; the columns are {self.columns}"
            )
        frame = self._inputs()
        i = len(frame)
        if i:
            row = frame.iloc[-1].to_dict()
        else:
            means = self.predictor.defaults()
            row = {c: means.get(c, 0.0) for c in self.columns}
        row.update({c: _number(v, c, i) for c, v in values.items()})
        frame = pd.concat([frame, pd.DataFrame([row], columns=self.columns)], ignore_index=True)
        self._show(frame, [*self._keys, self._next_key])
        self._next_key += 1

    def remove_row(self, row: int) -> None:
        """Removes a row (number as shown); the rows after it move up one."""
        i = self._position(row)
        frame = self._inputs().drop(index=i).reset_index(drop=True)
        self._show(frame, [k for j, k in enumerate(self._keys) if j != i])

    def set_interval(self, prob: float | None = None, interval: str | None = None) -> None:
        """Changes the credible mass and/or the kind of interval (``eti`` or ``hdi``)."""
        prob = self.prob if prob is None else check_prob(prob)
        interval = self.interval if interval is None else check_interval(interval)
        self._show(self._inputs(), self._keys, prob, interval)

    # -- messages from the page --------------------------------------------------------------------
    def _on_edit(self, msg) -> None:
        self._from_page(
            lambda: self.edit(
                self._row_of(msg.get("key")), str(msg.get("column")), msg.get("value")
            )
        )

    def _on_add_row(self, msg) -> None:
        self._from_page(self.add_row)

    def _on_remove_row(self, msg) -> None:
        self._from_page(lambda: self.remove_row(self._row_of(msg.get("key"))))

    def _on_interval(self, msg) -> None:
        def apply():
            prob = msg.get("prob")
            self.set_interval(
                None if prob in (None, "") else _number(prob, "prob", None), msg.get("interval")
            )

        self._from_page(apply)

    def _from_page(self, action) -> None:
        try:
            action()
        except RegressionInputError as exc:
            self.error = str(exc)
            self.send_message("rejected", field=exc.field, message=str(exc))
            return
        self.error = ""

    # -- internals ---------------------------------------------------------------------------------
    def _inputs(self) -> pd.DataFrame:
        return (
            pd.DataFrame(self._table[self.columns]).copy()
            if len(self._table.columns)
            else pd.DataFrame(columns=self.columns)
        )

    def _position(self, row: Any) -> int:
        n = len(self._keys)
        if isinstance(row, bool) or not isinstance(row, int | np.integer) or not 0 <= row < n:
            raise RegressionInputError(
                "row", f"no row {row!r}; the rows are 0 to {n - 1}" if n else "the table is empty"
            )
        return int(row)

    def _row_of(self, key: Any) -> int:
        try:
            return self._keys.index(int(key))
        except (TypeError, ValueError):
            raise RegressionInputError("row", "that row is no longer in the table") from None

    def _show(
        self,
        frame: pd.DataFrame,
        keys: list[int],
        prob: float | None = None,
        interval: str | None = None,
    ) -> None:
        """Predicts ``frame`` and, only if that works, shows it."""
        prob = self.prob if prob is None else prob
        interval = self.interval if interval is None else interval
        table = self.predictor.predict(
            frame,
            prob=prob,
            interval=interval,
            seed=self.seed,
            row_keys=keys if self.predictor.kind == "regression" else None,
        )
        endings = stat_names(prob, interval)
        generic, names = [], []
        for v in self.variables:
            generic += [f"{v['name']}_{s}" for s in SUMMARY_STATS]
            names += [f"{v['name']}_{s}" for s in endings]
        rows = []
        for j, key in enumerate(keys):
            record = table.iloc[j]
            rows.append(
                {
                    "key": int(key),
                    "inputs": {c: float(record[c]) for c in self.columns},
                    "prediction": {
                        g: finite_or_none(record[n]) for g, n in zip(generic, names, strict=True)
                    },
                }
            )
        label = f"{100 * prob:.10g}% {INTERVALS[interval]} interval"
        with self.hold_sync():
            self._table, self._keys = table, list(keys)
            self.prob, self.interval = prob, interval
            self.rows = rows
            self.draws = int(table.attrs["draws"])
            self.meaning = self.predictor.meaning(table)
            if label != self.interval_label or not self.prediction_figure:
                self.interval_label = label
                line, point = self.plot_vars
                if self.predictor.kind == "regression":
                    legend = ("regression line mu", "new observation y")
                else:
                    legend = (line, f"new {point}")
                self.prediction_figure = with_fresh_ids(
                    prediction_template(self.target, label, *legend)
                )
            self.revision += 1

    figure = renamed_trait("figure", "prediction_figure")

    def __repr__(self) -> str:
        return (
            f"PredictionTable(target={self.target!r}, rows={len(self.rows)}, {self.interval_label})"
        )


def _number(value: Any, column: str, row: int | None) -> float:
    """A cell value as a float; empty cells become NaN (refused by the model's checks)."""
    where = f"new_rows[{column!r}]" if row is not None else column
    at = f" in row {row}" if row is not None else ""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise RegressionInputError(where, f"{value!r}{at} is not a number") from None


prediction_figure = prediction_template
"""The old name of :func:`~bayes_widgets.core.figures.prediction.prediction_template`."""


__all__ = ["PredictionTable"]

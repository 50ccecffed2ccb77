"""DecisionExplorer: move a decision and watch its outcome distribution; optimize it.

    explorer = DecisionExplorer(problem)              # a DecisionProblem
    explorer = DecisionExplorer(problem, references={"current plan": current})
    explorer.set_decision({"order_0": 0, ...})         # same checks as the page
    explorer.optimize("cvar", level=0.05)              # moves the sliders to the optimum
    explorer.compute_frontier()                        # the risk–return view
    explorer.decision, explorer.summary                # the shown state
    budget_explorer(mmm, total_budget=1e5)             # per-channel spend of a fitted MMM
    explorer.group = "geo_a"                           # one geo's part of the plan (geo MMM)

A slider or a number box per decision variable; the outcome distribution over the
scenarios is recomputed on every move, beside reference decisions (by default the naive
one, optimized with the scenarios' means). A bad value or an infeasible request is shown
inline and the last valid decision stays. Each input is numbered (``seq``), each reply
echoes the last one applied (``applied``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import traitlets

from bayes_widgets.core.checks import check_int, check_number, finite_or_none
from bayes_widgets.core.decision.compare import (
    NaiveComparison,
    better_references,
    plug_in_scenario,
)
from bayes_widgets.core.decision.display import (
    is_cheap,
    message_detail,
    slider_values,
    variable_spec,
)
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.frontier import DEFAULT_ALPHAS, check_alphas, risk_return
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.ranges import summarize_marginals
from bayes_widgets.core.decision.risk import RISK_MEASURES, risk_measure, summarize
from bayes_widgets.core.decision.solvers import OptimizationResult
from bayes_widgets.core.deprecation import deprecated_alias, old_keywords, renamed_trait
from bayes_widgets.core.figures.base import filled
from bayes_widgets.core.figures.decision import (
    frontier_data,
    frontier_figure,
    histogram_outline,
    outcome_data,
    outcome_figure,
    outcome_view,
)
from bayes_widgets.core.jsonable import jsonable
from bayes_widgets.widgets._base import InputWidget, static_text

NAIVE = "naive (means)"
OPTIMUM = "optimum"
SLICE_MAX_POSITIONS = 401  # sliders with at most this many positions are summarised whole
SLICE_BUDGET_S = 1.5
"""The most time the kernel spends summarising a slider's positions before a drag."""


class DecisionExplorer(InputWidget):
    """Interactive view of a :class:`DecisionProblem` (see the module docstring).

    Parameters
    ----------
    problem:
        The decision problem.
    x:
        Starting decision (default: the problem's starting point).
    objective, level:
        Risk measure the Optimise button maximises (``"mean"``, ``"cvar"``,
        ``"quantile"``, ``"prob_loss"``); changeable on the page.
    naive:
        ``True`` (default): show the naive decision, the problem optimised with the
        scenarios' means; a dict of plug-in values by quantity; a
        :class:`NaiveComparison` (its naive decision, and its held-out verdict shown);
        ``False``: none.
    references:
        Other decisions to show beside it, ``{label: decision}`` (e.g. the current plan).
    alphas:
        Risk preferences (CVaR levels, 1 = risk-neutral) of the risk–return view.
    cvar_alpha:
        Level of the CVaR shown for every decision.
    outcome:
        What the outcome is called on the page (``"profit"``, ``"response"``, ...).
    optimize_options:
        Passed to :meth:`DecisionProblem.optimize` (``restarts``, ``method``, ``seed``...).
    optimize_on_start:
        Open at the optimum (``x`` not given). ``None`` (default): when the problem is
        cheap to evaluate (:func:`~bayes_widgets.core.decision.display.is_cheap`).
        Otherwise, and whenever a reference does better on the objective, the page says so.

    ``optimise_options`` and ``optimise_on_start`` are deprecated names of the last two.
    """

    variables = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Per variable: name, lower, upper, integer, step."""
    decision = traitlets.Dict().tag(sync=True)
    """The shown decision by variable name (always a valid one)."""
    summary = traitlets.Dict().tag(sync=True)
    """The shown decision's outcome distribution: mean, sd, quantiles, CVaR, P(loss),
    histogram, constraint status, the outcome plot's extent (``view``: the histogram
    and the first reference's, reaching 0 only when the outcomes come near it), the
    variables outside their observed range (``extrapolation``) and, for problems that
    define them, the ``marginals`` per variable (label, mean and 90% interval)."""
    objective = traitlets.Unicode("mean").tag(sync=True)
    level = traitlets.Float(None, allow_none=True).tag(sync=True)
    optimum = traitlets.Dict().tag(sync=True)
    """Last optimisation: decision, objective (``measure`` and ``level``), value,
    converged, exact, message, and ``detail``: the message without what the page says
    anyway (empty for a plain "converged")."""
    references = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Decisions shown beside the chosen one: label, x, mean, CVaR, P(loss), histogram
    and its ``outline`` (the line the outcome plot draws for the first one)."""
    comparison = traitlets.Dict().tag(sync=True)
    """Held-out verdict of a :class:`NaiveComparison` (difference, se, z), if given."""
    frontier = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Risk–return view: the optimum per risk preference with its mean and CVaR."""
    alphas = traitlets.List(traitlets.Float()).tag(sync=True)
    cvar_alpha = traitlets.Float(0.05).tag(sync=True)
    outcome = traitlets.Unicode("profit").tag(sync=True)
    status = traitlets.Unicode("idle").tag(sync=True)
    """``idle``, ``optimising`` or ``frontier``."""
    evaluations = traitlets.Int(0).tag(sync=True)
    """Accepted decision changes so far (tests and the page read it)."""
    outcome_figure = traitlets.Unicode("").tag(sync=True)
    frontier_figure = traitlets.Unicode("").tag(sync=True)
    dominated = traitlets.Int(0).tag(sync=True)
    """Optima of the risk–return view left out as dominated (another is better on both)."""
    groups = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """What a decision can be broken down by (a geo MMM's geos); empty: nothing."""
    group_label = traitlets.Unicode("").tag(sync=True)
    group = traitlets.Unicode("").tag(sync=True)
    """The group broken down in ``summary["breakdown"]`` ("" for none; unknown: refused)."""

    @old_keywords(optimise_options="optimize_options", optimise_on_start="optimize_on_start")
    def __init__(
        self,
        problem: DecisionProblem,
        *,
        x: Any = None,
        objective: str = "mean",
        level: float | None = None,
        naive: bool | Mapping[str, Any] | NaiveComparison = True,
        references: Mapping[str, Any] | None = None,
        alphas: Any = DEFAULT_ALPHAS,
        cvar_alpha: float = 0.05,
        outcome: str = "profit",
        bins: int = 40,
        optimize_options: Mapping[str, Any] | None = None,
        optimize_on_start: bool | None = None,
    ):
        if not isinstance(problem, DecisionProblem):
            raise DecisionInputError(
                "problem", f"expected a DecisionProblem, got {type(problem).__name__}"
            )
        bins = check_int("bins", bins, low=2, error=DecisionInputError)
        measure = risk_measure(objective, level)
        cvar_level = check_number(
            "cvar_alpha", cvar_alpha, low=0.0, high=1.0, error=DecisionInputError
        )
        super().__init__(_esm=static_text("decision_explorer.js"))
        self.problem, self.bins = problem, bins
        self.optimize_options = dict(optimize_options or {})
        self.result: OptimizationResult | None = None
        self.naive_comparison = naive if isinstance(naive, NaiveComparison) else None
        self.frontier_points = []
        self._reference_x: dict[str, np.ndarray] = {}
        self._reference_outcomes: dict[str, np.ndarray] = {}
        self._view_histograms: list[tuple[list, list]] = []
        with self.hold_sync():
            self.objective, self.level = measure.name, measure.level
            self.cvar_alpha = cvar_level
            self.alphas = list(check_alphas(alphas))
            self.outcome = str(outcome)
            self.variables = [variable_spec(v) for v in problem.variables]
            self.groups, self.group_label = list(problem.groups), problem.group_label or ""
        start = problem.start if x is None else problem.check_x(x)
        self._set_references(naive, references or {})
        if x is None and (
            optimize_on_start if optimize_on_start is not None else is_cheap(problem)
        ):
            self.optimize()
        else:
            self._show(start)
        # the figures carry the first data, so the page's first paint has something to scale to
        self.outcome_figure = filled(
            outcome_figure(self.outcome), outcome_data(self.summary, self.references)
        )
        self.frontier_figure = filled(
            frontier_figure(self.outcome, cvar_level),
            frontier_data(self.summary, self.references, self.frontier),
        )

    # -- Python API -------------------------------------------------------------------------
    def set_decision(self, x: Any) -> None:
        """Shows decision ``x`` (array in variable order or dict by name); a bad value
        raises :class:`DecisionInputError` and the shown decision stays."""
        self._show(self.problem.check_x(x))

    def optimize(
        self, objective: str | None = None, level: float | None = None, **options: Any
    ) -> OptimizationResult:
        """Optimizes the problem, moves the decision to the optimum, and returns the result."""
        if objective is not None:
            measure = risk_measure(objective, level)
            self.objective, self.level = measure.name, measure.level
        self.status = "optimising"
        try:
            result = self.problem.optimize(
                self.objective, level=self.level, **{**self.optimize_options, **options}
            )
        finally:
            self.status = "idle"
        self.result = result
        described = self._describe(result.x_array)
        self.optimum = {
            "mean": described["mean"],
            "cvar": described["cvar"],
            "prob_loss": described["prob_loss"],
            "x": dict(result.x),
            "objective": result.objective,
            "measure": self.objective,
            "level": self.level,
            "value": finite_or_none(result.value),
            "converged": result.converged,
            "exact": result.exact,
            "message": result.message,
            "detail": message_detail(result.message),
            "method": result.method,
            "elapsed_s": result.elapsed_s,
            "extrapolation": [e.to_dict() for e in self.problem.extrapolations(result.x_array)],
        }
        self._show(result.x_array)
        self.error = ""
        return result

    optimise = deprecated_alias(optimize, "optimise")

    optimise_options = renamed_trait("optimise_options", "optimize_options")

    def compute_frontier(self, alphas: Any = None, **options: Any) -> list[dict[str, Any]]:
        """The risk–return view: the optimum for each risk preference, with its expected
        outcome and CVaR at ``cvar_alpha``."""
        if alphas is not None:
            self.alphas = list(check_alphas(alphas))
        self.status = "frontier"
        try:
            points = risk_return(
                self.problem,
                self.alphas,
                report_alpha=self.cvar_alpha,
                **{**self.optimize_options, **options},
            )
        finally:
            self.status = "idle"
        self.frontier_points = points
        self.dominated = len(self.alphas) - len(points)
        self.frontier = [jsonable(p.to_dict()) for p in points]
        self.error = ""
        return self.frontier

    def use(self, label: str) -> None:
        """Shows a reference decision (or ``"optimum"``) as the chosen one."""
        if label == OPTIMUM and self.result is not None:
            self._show(self.result.x_array)
            return
        if label not in self._reference_x:
            known = [OPTIMUM] * (self.result is not None) + list(self._reference_x)
            raise DecisionInputError("label", f"unknown decision {label!r}; known: {known}")
        self._show(self._reference_x[label])

    @traitlets.observe("group")
    def _on_group(self, change) -> None:
        try:
            self.problem.check_group(change["new"])
        except DecisionInputError as exc:
            self.group = change["old"]  # (shows the decision again, clearing the error)
            self.error = str(exc)
            return
        self._show(self.problem.check_x(self.decision))
        self.error = ""

    # -- messages from the page -------------------------------------------------------------
    def _on_evaluate(self, msg) -> None:
        with self._reply(msg):
            try:
                x = self.problem.check_x(msg.get("x") or {})
                self._show(x)
            except DecisionInputError as exc:
                self._reject(exc, msg)
                return
            self.error = ""

    def _on_slice(self, msg) -> None:
        """The page asks for a slider's every position before a drag (see :meth:`slice_summaries`)."""
        request = msg.get("request")
        try:
            got = self.slice_summaries(str(msg.get("variable", "")), msg.get("x") or None)
        except DecisionInputError:
            got = None  # the page keeps asking value by value, which reports the error
        self.send_message(
            "slice", request=request, **(got or {"variable": msg.get("variable"), "values": []})
        )

    def _on_optimize(self, msg) -> None:
        with self._reply(msg):
            try:
                objective = msg.get("objective", self.objective)
                level = msg.get("level", self.level)
                level = None if level in ("", None) or objective in ("mean", "prob_loss") else level
                self.optimize(objective, level)
            except DecisionInputError as exc:
                self._reject(exc, msg)

    _on_optimise = _on_optimize  # the message's name in pages saved before

    def _on_frontier(self, msg) -> None:
        with self._reply(msg):
            try:
                self.compute_frontier()
            except DecisionInputError as exc:
                self._reject(exc, msg)

    def _on_use(self, msg) -> None:
        with self._reply(msg):
            try:
                self.use(str(msg.get("label", "")))
            except DecisionInputError as exc:
                self._reject(exc, msg)
                return
            self.error = ""

    # -- internals --------------------------------------------------------------------------
    def _reject(self, exc: DecisionInputError, msg=None) -> None:
        """Shows the error; the page puts its inputs back to the last valid decision."""
        self.error = str(exc)
        self.send_message("rejected", field=exc.field, message=str(exc), seq=(msg or {}).get("seq"))

    def _describe(self, x: np.ndarray, outcomes: np.ndarray | None = None) -> dict[str, Any]:
        outcomes = self.problem.outcomes(x) if outcomes is None else outcomes
        s = summarize(outcomes, cvar_alpha=self.cvar_alpha, bins=self.bins)
        out = jsonable(s.to_dict())
        out["x"] = self.problem.as_dict(x)
        return out

    def slice_summaries(
        self, variable: str, x: Any = None, *, budget_s: float | None = None
    ) -> dict[str, Any] | None:
        """What the page shows for every slider position of ``variable``, the others held at
        ``x`` (default: the shown decision): ``{"variable", "x", "values", "summaries"}``, each
        summary the one :meth:`set_decision` would show. ``None`` when the slider has more than
        :data:`SLICE_MAX_POSITIONS` positions or the summaries would take longer than
        ``budget_s`` (:data:`SLICE_BUDGET_S`): the page then asks for each value as reached."""
        budget_s = SLICE_BUDGET_S if budget_s is None else budget_s  # read now: tests set it
        names = [v.name for v in self.problem.variables]
        if variable not in names:
            raise DecisionInputError(
                "variable", f"unknown decision variable {variable!r}; known: {names}"
            )
        base = self.problem.check_x(self.decision if x is None else x)
        spec = self.variables[names.index(variable)]
        values = slider_values(spec, SLICE_MAX_POSITIONS)
        if values is None:
            return None
        i = names.index(variable)
        started = time.perf_counter()
        summaries, times = [], []
        for k, v in enumerate(values):
            xk = base.copy()
            xk[i] = v
            t = time.perf_counter()
            summaries.append(self._summary_of(self.problem.check_x(xk)))
            times.append(time.perf_counter() - t)
            # judged on the fastest of the first few (one slow call, e.g. while the machine
            # is busy elsewhere, does not decide), and on the time actually spent
            if k == 2 and min(times) * len(values) > budget_s:
                return None
            if time.perf_counter() - started > budget_s:
                return None
        return {
            "variable": variable,
            "x": self.problem.as_dict(base),
            "values": values,
            "summaries": summaries,
        }

    def _summary_of(self, x: np.ndarray) -> dict[str, Any]:
        """Decision ``x``'s outcome summary as the page shows it."""
        outcomes = self.problem.outcomes(x)
        summary = self._describe(x, outcomes)
        violations = self.problem.violations(x)
        summary["constraints"] = [
            {"name": name, "violation": finite_or_none(v), "ok": bool(v <= 1e-9 * (1 + abs(v)))}
            for name, v in violations.items()
        ]
        summary["feasible"] = all(c["ok"] for c in summary["constraints"])
        summary["extrapolation"] = [e.to_dict() for e in self.problem.extrapolations(x)]
        marginals = self.problem.marginals(x)
        if marginals is not None:
            label = self.problem.marginal_label or "marginal"
            summary["marginals"] = jsonable(summarize_marginals(label, marginals))
        if self.group:
            summary["breakdown"] = jsonable(self.problem.breakdown(x, self.group))
        measure, refs = risk_measure(self.objective, self.level), self._reference_outcomes
        summary["better"] = better_references(measure, outcomes, refs)
        summary["view"] = outcome_view(
            [(summary.get("edges"), summary.get("counts") or []), *self._view_histograms]
        )
        return summary

    def _show(self, x: np.ndarray) -> None:
        summary = self._summary_of(x)
        with self.hold_sync():
            self.decision = summary["x"]
            self.summary = summary
            self.evaluations += 1

    def _set_references(self, naive, references: Mapping[str, Any]) -> None:
        rows = []
        if naive is not False and naive is not None:
            if isinstance(naive, NaiveComparison):
                x_naive = naive.naive.x_array
                self.comparison = {
                    "bayesian": dict(naive.bayesian.x),
                    "naive": dict(naive.naive.x),
                    "difference": finite_or_none(naive.difference),
                    "se": finite_or_none(naive.se),
                    "z": finite_or_none(naive.z),
                    "n_heldout": naive.n_heldout,
                    "heldout": naive.heldout,
                }
            else:
                point = None if naive is True else naive
                plug_in = plug_in_scenario(self.problem.scenarios, point)
                x_naive = (
                    self.problem.with_scenarios(plug_in)
                    .optimize(self.objective, level=self.level, **self.optimize_options)
                    .x_array
                )
            self._reference_x[NAIVE] = x_naive
        if not isinstance(references, Mapping):
            raise DecisionInputError(
                "references", f"expected {{label: decision}}, got {type(references).__name__}"
            )
        for label, x in references.items():
            self._reference_x[str(label)] = self.problem.check_x(x, field=f"references.{label}")
        for label, x in self._reference_x.items():
            self._reference_outcomes[label] = self.problem.outcomes(x)
            row = self._describe(x, self._reference_outcomes[label])
            row["label"] = label
            row["outline"] = histogram_outline(row.get("edges"), row.get("counts") or [])
            rows.append(row)
        # the outcome plot draws the first reference: its extent spans that one's outcomes too
        self._view_histograms = (
            [(rows[0].get("edges"), rows[0].get("counts") or [])] if rows else []
        )
        self.references = rows


def budget_explorer(
    mmm: Any,
    total_budget: float | None = None,
    *,
    objective: str = "mean",
    level: float | None = None,
    references: Mapping[str, Any] | None = None,
    **problem_options: Any,
) -> DecisionExplorer:
    """Budget what-ifs on a fitted MMM: a spend slider per channel, the predicted response
    distribution over the posterior draws, each channel's marginal ROAS, a flag on any
    spend outside the range the model was fitted on, the current plan beside it, and
    Optimise under the total budget and per-channel bounds (by default 0.5 to 1.5 times
    each channel's recent spend; options: see
    :func:`bayes_widgets.core.mmm.budget.budget_problem`). In a geo model each channel's
    spend is split across the geos by their recent spend, and a geo selector shows one
    geo's channels (``allocate="geo"``: a slider per channel and geo)."""
    from bayes_widgets.core.mmm.budget import budget_problem

    problem = budget_problem(mmm, total_budget, **problem_options)
    start = np.clip([problem.current[n] for n in problem.names], problem.lower, problem.upper)
    outcome = "response" if problem.value_per_unit is None else "profit"
    return DecisionExplorer(
        problem,
        x=start,
        objective=objective,
        level=level,
        naive=False,
        references={"current plan": start, **dict(references or {})},
        outcome=outcome,
    )


__all__ = ["RISK_MEASURES", "DecisionExplorer", "budget_explorer"]

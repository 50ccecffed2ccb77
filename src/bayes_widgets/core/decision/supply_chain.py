"""The rocket-engine supply chain: how many engines to order from each of three suppliers.

After Wiecki & Kumar (2019), "Using Bayesian Decision Making to Optimize Supply
Chains" (twiecki.io/blog/2019/01/14/supply_chain), whose inputs this module mirrors:

* prices per engine ``(220, 100, 120)``, at most ``(100, 80, 100)`` engines per order;
* each launch sells for 500 and needs one working engine; an unused working engine
  costs 100 to hold; demand is ``40 + Poisson(60)`` launches;
* a supplier's yield (the fraction of its engines that work) varies by batch; 30, 20
  and 2 past batches were observed (:func:`load_yield_observations`).

The profit of one scenario follows the published loss exactly: working engines are
the continuous ``sum(yield_i * order_i)``; the effective buying price is the
order-weighted mean price ``sum(price_i * order_i) / sum(order_i)``; with
``margin = 500 - buying price``,

    profit = min(stock, demand) * margin - 100 * max(stock - demand, 0)

(``cost_basis="sold"``: the buying price is charged on the engines used for launches,
as published). ``cost_basis="ordered"`` charges every ordered engine instead:
``500 * min(stock, demand) - sum(price_i * order_i) - 100 * max(stock - demand, 0)``.

Yield model (as published): per supplier ``alpha_i, beta_i ~ HalfNormal(10)`` and each
observed batch yield ``~ Beta(alpha_i, beta_i)``. Scenarios draw a new batch's yield
from ``Beta(alpha, beta)`` at a posterior draw (the posterior predictive) and a demand.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from bayes_widgets.core.datasets import supplier_yields
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.scenarios import Scenarios, as_scenarios
from bayes_widgets.core.decision.variables import DecisionVariable

PRICES = (220.0, 100.0, 120.0)
MAX_ORDER = (100, 80, 100)
SALE_PRICE = 500.0
HOLDING_COST = 100.0
DEMAND_OFFSET = 40
DEMAND_RATE = 60.0
PRIOR_SD = 10.0
"""Scale of the HalfNormal priors on each supplier's Beta ``alpha`` and ``beta``."""

GENERATING_YIELD_MEAN = (0.9, 0.5, 0.8)
GENERATING_YIELD_SD = (0.1, 0.2, 0.2)
"""The per-batch yield distributions (Beta by mean and sd) the published observations
were simulated from; unknown to the model, used only to judge decisions."""

CostBasis = Literal["sold", "ordered"]


def load_yield_observations():
    """The 52 observed batch yields (see :func:`bayes_widgets.core.datasets.supplier_yields`)."""
    return supplier_yields()


def _check_observations(observations: Any) -> tuple[np.ndarray, np.ndarray, int]:
    if observations is None:
        observations = load_yield_observations()
    columns = getattr(observations, "columns", None)
    if columns is None or not {"supplier", "yield"} <= set(columns):
        raise DecisionInputError(
            "observations", "expected a DataFrame with columns 'supplier' and 'yield'"
        )
    supplier = observations["supplier"].to_numpy()
    y = observations["yield"].to_numpy(dtype=float)
    if len(y) == 0:
        raise DecisionInputError("observations", "contains no rows")
    if not np.issubdtype(supplier.dtype, np.integer) or supplier.min() < 0:
        raise DecisionInputError("observations.supplier", "must hold supplier indices 0, 1, 2, ...")
    if not (np.isfinite(y).all() and (y > 0).all() and (y < 1).all()):
        raise DecisionInputError(
            "observations.yield", "every yield must lie strictly between 0 and 1"
        )
    n_suppliers = int(supplier.max()) + 1
    missing = sorted(set(range(n_suppliers)) - set(supplier.tolist()))
    if missing:
        raise DecisionInputError(
            "observations.supplier", f"no batches observed for suppliers {missing}"
        )
    return supplier.astype(int), y, n_suppliers


def yield_model(observations: Any = None):
    """The published PyMC model of batch yields per supplier (see the module docstring)."""
    import pymc as pm

    supplier, y, n_suppliers = _check_observations(observations)
    with pm.Model(coords={"supplier": np.arange(n_suppliers)}) as model:
        alpha = pm.HalfNormal("alpha", PRIOR_SD, dims="supplier")
        beta = pm.HalfNormal("beta", PRIOR_SD, dims="supplier")
        pm.Beta("yield_obs", alpha=alpha[supplier], beta=beta[supplier], observed=y)
    return model


def fit_yields(
    observations: Any = None,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int | None = None,
    backend: str = "nutpie",
    **fit_options: Any,
):
    """Fits :func:`yield_model` with :func:`bayes_widgets.core.fitting.session.fit`; returns the
    :class:`~bayes_widgets.core.fitting.result.FitResult`."""
    from bayes_widgets.core.fitting.session import fit

    model = yield_model(observations)
    return fit(
        model, backend=backend, draws=draws, tune=tune, chains=chains, seed=seed, **fit_options
    )


def demand_draws(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` demands ``40 + Poisson(60)``."""
    return DEMAND_OFFSET + rng.poisson(DEMAND_RATE, size=n)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DecisionInputError("n", f"must be a positive integer, got {n!r}")
    return int(n)


def scenarios_from_fit(result: Any, n: int = 10_000, seed: int | None = None) -> Scenarios:
    """``n`` posterior predictive scenarios: ``yield`` ``(n, suppliers)``, a new batch's
    yield per supplier at a random posterior draw of ``alpha``, ``beta``; ``demand`` ``(n,)``.

    ``result``: a FitResult or DataTree with a ``posterior`` group holding ``alpha`` and ``beta``.
    """
    n = _check_n(n)
    post = as_scenarios(result, group="posterior", var_names=["alpha", "beta"], field="result")
    rng = np.random.default_rng(seed)
    i = rng.integers(0, post.n, size=n)
    yields = rng.beta(post["alpha"][i], post["beta"][i])
    return Scenarios({"yield": yields, "demand": demand_draws(n, rng)})


def generating_process_scenarios(n: int = 10_000, seed: int | None = None) -> Scenarios:
    """``n`` scenarios from the process the observations were simulated from
    (``GENERATING_YIELD_MEAN`` / ``_SD``, demand ``40 + Poisson(60)``): the truth to judge
    decisions on."""
    n = _check_n(n)
    mu = np.asarray(GENERATING_YIELD_MEAN)
    sd = np.asarray(GENERATING_YIELD_SD)
    concentration = mu * (1 - mu) / sd**2 - 1
    rng = np.random.default_rng(seed)
    yields = rng.beta(mu * concentration, (1 - mu) * concentration, size=(n, mu.size))
    return Scenarios({"yield": yields, "demand": demand_draws(n, rng)})


def naive_point(observations: Any = None) -> dict[str, np.ndarray | float]:
    """The published naive plug-in: each supplier's mean observed yield, mean demand 100."""
    supplier, y, n_suppliers = _check_observations(observations)
    means = np.bincount(supplier, weights=y, minlength=n_suppliers) / np.bincount(
        supplier, minlength=n_suppliers
    )
    return {"yield": means, "demand": float(DEMAND_OFFSET + DEMAND_RATE)}


def profit(
    orders: np.ndarray,
    scenarios: Any,
    *,
    prices: Any = PRICES,
    sale_price: float = SALE_PRICE,
    holding_cost: float = HOLDING_COST,
    cost_basis: CostBasis = "sold",
) -> np.ndarray:
    """Profits of ``orders`` (``(n,)`` -> ``(S,)``, or ``(K, n)`` -> ``(K, S)``) over
    scenarios with ``yield`` ``(S, n)`` and ``demand`` ``(S,)``; vectorised."""
    X = np.asarray(orders, dtype=float)
    single = X.ndim == 1
    X = np.atleast_2d(X)
    p = np.asarray(prices, dtype=float)
    stock = _working_engines(X, scenarios["yield"])  # (K, S)
    sold = np.minimum(stock, scenarios["demand"])
    excess = stock - sold
    cost = X @ p
    if cost_basis == "sold":
        total = X.sum(axis=1)
        unit = np.divide(cost, total, out=np.zeros_like(cost), where=total > 0)
        out = sold * (sale_price - unit)[:, None] - holding_cost * excess
    else:
        out = sale_price * sold - cost[:, None] - holding_cost * excess
    return out[0] if single else out


def _working_engines(X: np.ndarray, yields: Any) -> np.ndarray:
    """``X @ yields.T`` as a sum over the few suppliers of elementwise products: as fast
    as BLAS for a handful of suppliers, without threaded BLAS competing for the cores."""
    Y = np.asarray(yields, dtype=float)
    stock = X[:, :1] * Y[:, 0]
    for i in range(1, X.shape[1]):
        stock += X[:, i : i + 1] * Y[:, i]
    return stock


def scenario_profit(
    orders: Any,
    supplier_yield: Any,
    demand: float,
    *,
    prices: Any = PRICES,
    sale_price: float = SALE_PRICE,
    holding_cost: float = HOLDING_COST,
    cost_basis: CostBasis = "sold",
) -> float:
    """The profit of one scenario, written as published (one scenario at a time)."""
    orders = np.asarray(orders, dtype=float)
    in_stock = float(np.sum(np.asarray(supplier_yield) * orders))
    if cost_basis == "ordered":
        sold = min(in_stock, demand)
        return sale_price * sold - float(np.sum(orders * prices)) - holding_cost * (in_stock - sold)
    total = float(np.sum(orders))
    buy_price = float(np.sum(orders * np.asarray(prices))) / total if total > 0 else 0.0
    margin = sale_price - buy_price
    if in_stock > demand:
        return demand * margin - (in_stock - demand) * holding_cost
    return in_stock * margin


def supply_chain_problem(
    scenarios: Any,
    *,
    prices: Any = PRICES,
    max_order: Any = MAX_ORDER,
    sale_price: float = SALE_PRICE,
    holding_cost: float = HOLDING_COST,
    cost_basis: CostBasis = "sold",
    constraints: Any = None,
) -> DecisionProblem:
    """The order decision: integer ``order_i`` in ``[0, max_order_i]`` per supplier,
    maximising (by default expected) profit over ``scenarios`` (``yield``, ``demand``)."""
    scen = as_scenarios(scenarios)
    missing = {"yield", "demand"} - set(scen)
    if missing:
        raise DecisionInputError(
            "scenarios", f"needs quantities 'yield' and 'demand'; missing {sorted(missing)}"
        )
    shapes = scen.shapes()
    if len(shapes["yield"]) != 1 or shapes["demand"] != ():
        raise DecisionInputError(
            "scenarios", f"expected yield (S, suppliers) and demand (S,), got {shapes}"
        )
    k = shapes["yield"][0]
    p = np.asarray(prices, dtype=float)
    m = np.asarray(max_order)
    if p.shape != (k,):
        raise DecisionInputError(
            "prices", f"expected {k} prices (one per supplier), got shape {p.shape}"
        )
    if m.shape != (k,):
        raise DecisionInputError(
            "max_order", f"expected {k} maximum orders (one per supplier), got shape {m.shape}"
        )
    if cost_basis not in ("sold", "ordered"):
        raise DecisionInputError("cost_basis", f"must be 'sold' or 'ordered', got {cost_basis!r}")
    variables = [DecisionVariable(f"order_{i}", 0, float(m[i]), integer=True) for i in range(k)]

    def supply_profit(orders: np.ndarray, s: Any) -> np.ndarray:
        return profit(
            orders,
            s,
            prices=p,
            sale_price=sale_price,
            holding_cost=holding_cost,
            cost_basis=cost_basis,
        )

    return DecisionProblem(variables, scen, supply_profit, constraints=constraints, batch=True)

"""Posterior predictions for new rows of any PyMC model whose inputs are ``pm.Data``.

    with pm.Model(coords={"obs": idx, "feature": ["temp", "price", "weekend"]}) as model:
        X = pm.Data("X", X_train, dims=("obs", "feature"))
        y_obs = pm.Data("y_obs", y_train, dims="obs")
        ...
        mu = pm.Deterministic("mu", alpha + X @ beta, dims="obs")
        pm.Normal("y", mu, sigma, observed=y_obs, dims="obs")

    predictor = ModelPredictor(model)             # compiled once, reused for every call
    predictor.columns                             # ['temp', 'price', 'weekend']
    predictor.predict(idata, new_rows)            # DataFrame: inputs, mean, sd, interval
    predict_new_rows(model, idata, new_rows)      # the same, with a cached predictor

How new rows reach the model: the *row dim* is the dim shared by the observed
variable(s) and the input containers (``obs`` above; ``row_dim=`` overrides it). A vector
container on the row dim takes the column of its own name; a matrix container takes one
column per coordinate of its other dim (``X`` above: columns ``temp, price, weekend``;
without coordinates ``X[0], X[1], ...``). Containers that hold the observed values
(``y_obs``) are filled with placeholders of the right shape; containers off the row dim
keep their values; the row dim's coordinates become ``0 .. n-1``.

What is predicted: every deterministic and observed variable on the row dim, for each
posterior draw — what ``pm.set_data`` + ``pm.sample_posterior_predictive(var_names=...)``
computes: deterministics recomputed from the draw's free variables, observed variables
drawn anew. Free variables on the row dim (per-row latents) are drawn from their
distribution given the draw. The work happens on a copy of the model
(``pymc.model.fgraph.clone_model``), so the user's model never changes; the draws of
all posterior samples are computed in one vectorised call of a function compiled once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_seed
from bayes_widgets.core.posterior import posterior_dataset
from bayes_widgets.core.prediction.errors import PredictionInputError
from bayes_widgets.core.prediction.pymc_inspect import (
    container_inputs,
    find_index_bounds,
    find_row_dim,
    find_targets,
    observed_containers,
)
from bayes_widgets.core.prediction.rows import (
    Input,
    check_columns,
    column_values,
    read_rows,
    typical_value,
)
from bayes_widgets.core.prediction.summary import (
    check_interval,
    check_prob,
    output_columns,
    per_row_draws,
    stack_draws,
    summary_attrs,
    summary_frame,
)


class ModelPredictor:
    """Predictions for new rows of a PyMC model (see the module docstring).

    Parameters
    ----------
    model:
        A ``pymc.Model`` whose inputs are ``pm.Data`` containers. It is never changed.
    row_dim:
        The dim along which rows go; default: the dim shared by the observed variables
        and the input containers.
    var_names:
        Variables to predict (deterministics or observed variables on the row dim);
        default: all of them.
    """

    def __init__(
        self,
        model: Any,
        *,
        row_dim: str | None = None,
        var_names: Sequence[str] | None = None,
    ):
        import pymc as pm
        from pymc.model.fgraph import clone_model

        if not isinstance(model, pm.Model):
            raise PredictionInputError(
                "model", f"expected a pymc.Model, got {type(model).__name__}"
            )
        self.model = model
        self._lock = threading.Lock()
        self._clone = clone_model(model)
        clone = self._clone
        dims = {k: tuple(v or ()) for k, v in clone.named_vars_to_dims.items()}
        self.dims = dims
        """The dims of every variable of the model (``()`` for none)."""
        if not clone.observed_RVs:
            raise PredictionInputError("model", "has no observed variable to predict")
        containers = {v.name: clone[v.name] for v in model.data_vars}  # in the model's order
        self._all_containers = set(containers)
        observed_data = observed_containers(clone, containers)
        self.row_dim = find_row_dim(clone, dims, containers, observed_data, row_dim)
        on_rows = {n: d for n, d in ((n, dims.get(n, ())) for n in containers) if self.row_dim in d}
        self.placeholders = [n for n in on_rows if n in observed_data]
        """Containers on the row dim that hold observed values: filled with zeros."""
        self.inputs: list[Input] = []
        self.containers: dict[str, tuple[str, ...]] = {}
        """Input containers and their dims."""
        for name, cdims in on_rows.items():
            if name in observed_data:
                continue
            self.containers[name] = cdims
            self.inputs.extend(container_inputs(clone, name, cdims, self.row_dim))
        if not self.inputs:
            raise PredictionInputError(
                "model",
                f"has no input container on the row dim {self.row_dim!r}: declare the inputs "
                f"with pm.Data(name, values, dims=({self.row_dim!r}, ...))",
            )
        clash = sorted(
            {i.column for i in self.inputs if [j.column for j in self.inputs].count(i.column) > 1}
        )
        if clash:
            raise PredictionInputError(
                "model", f"several containers take the column(s) {clash}; rename their coordinates"
            )
        self.targets = find_targets(model, clone, dims, self.row_dim, var_names)
        self.columns = [i.column for i in self.inputs]
        """Columns a new row holds, in order."""
        names = set(self.columns)
        clash = [c for c in output_columns(self.targets, 0.95, "eti") if c in names]
        if clash:
            raise PredictionInputError(
                "model", f"input column(s) {clash} clash with prediction columns"
            )
        self.free = [rv.name for rv in model.free_RVs if self.row_dim not in dims.get(rv.name, ())]
        """Free variables read from the posterior (those not on the row dim)."""
        self.index_bounds = find_index_bounds(clone, dims, self.targets, self.containers)
        """Integer inputs used to index a variable: ``{container: (size, what)}``."""
        self._fn: Any = None
        self._vectorised = False
        self._post_key: Any = None
        self._post_draws: dict[str, np.ndarray] = {}

    # -- new rows ----------------------------------------------------------------------------------
    def check_rows(self, new_rows: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """The new rows (input columns in model order) and the values of every container on
        the row dim. Anything unusable raises :class:`PredictionInputError` naming it."""
        frame = read_rows(new_rows)
        for column in map(str, frame.columns):
            if column in self.columns:
                continue
            if column in {t.name for t in self.targets} or column in self.placeholders:
                raise PredictionInputError(
                    f"new_rows[{column!r}]",
                    f"is what the model predicts; new rows give the inputs {self.columns} only",
                )
            if column in self._all_containers:
                cdims = self.dims.get(column, ())
                where = f"dims {cdims}" if cdims else "no dims"
                raise PredictionInputError(
                    f"new_rows[{column!r}]",
                    f"the container {column!r} is not on the row dim {self.row_dim!r} ({where}): "
                    "it keeps the value it has in the model; new rows give the inputs "
                    f"{self.columns}",
                )
        frame = check_columns(frame, self.inputs, "the model")
        n = len(frame)
        values: dict[str, np.ndarray] = {}
        for name, cdims in self.containers.items():
            shared = self._clone[name]
            dtype = np.dtype(shared.type.dtype)
            cols = [i for i in self.inputs if i.container == name]
            if len(cdims) == 1:
                values[name] = column_values(frame, cols[0].column, dtype)
            else:
                block = (
                    np.column_stack([column_values(frame, i.column, dtype) for i in cols])
                    if n
                    else np.zeros((0, len(cols)), dtype)
                )
                values[name] = block if cdims[0] == self.row_dim else block.T
            if name in self.index_bounds:
                size, what = self.index_bounds[name]
                bad = np.flatnonzero((values[name] < 0) | (values[name] >= size))
                if bad.size:
                    raise PredictionInputError(
                        f"new_rows[{cols[0].column!r}]",
                        f"values {values[name][bad[:5]].tolist()} in row(s) "
                        f"{frame.index[bad[:10]].tolist()} are not positions 0 to {size - 1} "
                        f"of {what}",
                    )
        for name in self.placeholders:
            shared = self._clone[name]
            shape = list(shared.get_value().shape)
            shape[self.dims[name].index(self.row_dim)] = n
            values[name] = np.zeros(shape, dtype=shared.type.dtype)
        return frame.reset_index(drop=True), values

    def defaults(self) -> dict[str, float]:
        """A typical row: the training mean of each float input, the most frequent value of
        an integer one."""
        out = {}
        for i in self.inputs:
            data = np.asarray(self.model[i.container].get_value())
            axis = self.dims[i.container].index(self.row_dim)
            col = data if i.position is None else np.take(data, i.position, axis=1 - axis)
            out[i.column] = typical_value(col)
        return out

    # -- posterior ---------------------------------------------------------------------------------
    def posterior_draws(self, posterior: Any) -> dict[str, np.ndarray]:
        """The free variables' draws (chains stacked), checked against the model."""
        key = id(getattr(posterior, "idata", posterior))
        if self._post_key == key and self._post_ref() is getattr(posterior, "idata", posterior):
            return self._post_draws
        post = posterior_dataset(posterior, PredictionInputError)
        missing = [n for n in self.free if n not in post.data_vars]
        if missing:
            raise PredictionInputError(
                "posterior",
                f"lacks the model's free variable(s) {missing}: is it a fit of this model?",
            )
        shapes = self._free_shapes()
        draws = {}
        for name in self.free:
            values = stack_draws(post, name)
            if values.shape[1:] != shapes[name]:
                raise PredictionInputError(
                    "posterior",
                    f"{name!r} has shape {values.shape[1:]} per draw but the model's has "
                    f"{shapes[name]}: is it a fit of this model?",
                )
            draws[name] = values
        try:
            self._post_ref = weakref.ref(getattr(posterior, "idata", posterior))
            self._post_key = key
        except TypeError:
            self._post_key = None
        self._post_draws = draws
        return draws

    def _free_shapes(self) -> dict[str, tuple[int, ...]]:
        if not hasattr(self, "_shapes"):
            shapes = self.model.eval_rv_shapes()
            self._shapes = {n: tuple(int(s) for s in shapes[n]) for n in self.free}
        return self._shapes

    # -- computation -------------------------------------------------------------------------------
    def _compile(self) -> None:
        import pytensor.tensor as pt
        from pymc.pytensorf import compile as compile_fn
        from pymc.pytensorf import find_rng_nodes
        from pymc.sampling.forward import compile_forward_sampling_function
        from pytensor.graph.replace import vectorize_graph

        clone = self._clone
        outputs = [clone[t.name] for t in self.targets]
        trace = [clone[n] for n in self.free]
        fn, volatile = compile_forward_sampling_function(
            outputs,
            vars_in_trace=trace,
            basic_rvs=clone.basic_RVs,
            freeze_vars=set(trace),
            allow_input_downcast=True,
            accept_inplace=True,
        )
        names = [i.variable.name for i in fn.maker.inputs if not i.implicit]
        self._names = names
        try:  # one call for every draw: the graph with a leading draw axis
            batched = {
                clone[n]: pt.tensor(
                    f"{n}_draws", shape=(None, *clone[n].type.shape), dtype=clone[n].dtype
                )
                for n in names
            }
            resampled = [rv for rv in volatile if rv not in outputs]
            computed: list[Any] = [*outputs, *resampled]
            out: list[Any] = vectorize_graph(computed, replace=batched)
            if any(o.ndim != v.ndim + 1 for o, v in zip(out, computed, strict=True)):
                raise ValueError("a resampled variable does not depend on the posterior draws")
            vec = compile_fn(
                list(batched.values()),
                out[: len(outputs)],
                random_seed=False,
                on_unused_input="ignore",
                allow_input_downcast=True,
                accept_inplace=True,
            )
            self._fn, self._vectorised = vec, True
            self._rngs = find_rng_nodes(out[: len(outputs)])
        except Exception:
            self._fn, self._vectorised = fn, False
            self._rngs = find_rng_nodes(outputs)

    def draws(self, posterior: Any, new_rows: Any, *, seed: int | None = None):
        """The new rows (as checked) and each target's draws: (draws × rows × elements)."""
        from pymc.pytensorf import reseed_rngs

        params = self.posterior_draws(posterior)
        frame, values = self.check_rows(new_rows)
        n = len(frame)
        with self._lock:
            if self._fn is None:
                self._compile()
            self._set_data(values, n)
            reseed_rngs(self._rngs, np.random.SeedSequence(seed).entropy if seed is None else seed)
            try:
                if self._vectorised:
                    results = self._fn(*[params[k] for k in self._names])
                else:
                    S = len(next(iter(params.values()))) if params else 1
                    per = [self._fn(*[params[k][s] for k in self._names]) for s in range(S)]
                    results = [np.stack([p[j] for p in per]) for j in range(len(self.targets))]
            except (IndexError, ValueError, RuntimeError, AssertionError) as exc:
                raise self._explain(frame, values, exc) from None
        out = {
            t.name: per_row_draws(result, self.dims[t.name].index(self.row_dim), n)
            for t, result in zip(self.targets, results, strict=True)
        }
        return frame, out

    def _set_data(self, values: dict[str, np.ndarray], n: int) -> None:
        clone = self._clone
        for name, value in values.items():
            clone[name].set_value(value)
        length = clone.dim_lengths.get(self.row_dim)
        if length is not None and hasattr(length, "set_value"):
            coords = tuple(range(n)) if clone.coords.get(self.row_dim) is not None else None
            clone.set_dim(self.row_dim, n, coord_values=coords)

    def _explain(self, frame, values, exc) -> PredictionInputError:
        """An error naming the integer inputs whose new values the training data never held."""
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        for name in values:
            if name in self.containers and np.issubdtype(values[name].dtype, np.integer):
                seen = np.asarray(self.model[name].get_value())
                new = values[name]
                outside = (
                    np.flatnonzero((new < seen.min()) | (new > seen.max()))
                    if seen.size
                    else np.zeros(0, dtype=int)
                )
                if len(outside):
                    column = next(i.column for i in self.inputs if i.container == name)
                    return PredictionInputError(
                        f"new_rows[{column!r}]",
                        f"values {new[outside[:5]].tolist()} in row(s) {outside[:10].tolist()} are "
                        f"outside those in the training data ({seen.min()} to {seen.max()}); "
                        f"the model cannot use them ({message})",
                    )
        return PredictionInputError(
            "new_rows", f"the model cannot be evaluated at these rows: {message}"
        )

    def predict(
        self,
        posterior: Any,
        new_rows: Any,
        *,
        prob: float = 0.95,
        interval: str = "eti",
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Inputs, then mean, sd and credible interval of every predicted variable per row:
        ``mu_mean, mu_sd, mu_eti95_lower, mu_eti95_upper, y_mean, ...`` (a variable with
        elements per row gives ``p[a]_mean``, ...). ``attrs`` describe the columns."""
        prob, interval = check_prob(prob), check_interval(interval)
        seed = check_seed("seed", seed, error=PredictionInputError)
        frame, draws = self.draws(posterior, new_rows, seed=seed)
        out = summary_frame(frame, self.targets, draws, prob, interval)
        n_draws = next(iter(draws.values())).shape[0]
        out.attrs.update(summary_attrs(self.targets, prob, interval, n_draws, self.row_dim))
        return out

    def __repr__(self) -> str:
        return (
            f"ModelPredictor(row_dim={self.row_dim!r}, columns={self.columns}, "
            f"targets={[t.name for t in self.targets]})"
        )


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def predictor_for(model: Any, *, row_dim: str | None = None, var_names=None) -> ModelPredictor:
    """A :class:`ModelPredictor`, compiled once per model (while its variables, data
    containers, ``row_dim`` and ``var_names`` stay the same) and reused."""
    key = (
        row_dim,
        None
        if var_names is None
        else tuple([var_names] if isinstance(var_names, str) else var_names),
        tuple(model.named_vars),
        tuple((v.name, np.shape(v.get_value())) for v in model.data_vars),
    )
    try:
        cached = _PREDICTORS.get(model, {})
    except TypeError:
        return ModelPredictor(model, row_dim=row_dim, var_names=var_names)
    if key not in cached:
        cached = {key: ModelPredictor(model, row_dim=row_dim, var_names=var_names)}
        _PREDICTORS[model] = cached
    return cached[key]


def predict_model_rows(
    model: Any,
    posterior: Any,
    new_rows: Any,
    *,
    prob: float = 0.95,
    interval: str = "eti",
    seed: int | None = None,
    row_dim: str | None = None,
    var_names: Sequence[str] | None = None,
    method: str = "vectorised",
) -> pd.DataFrame:
    """Predictions of a PyMC model for ``new_rows`` (see :class:`ModelPredictor`).
    ``method="pymc"`` computes the same with ``pm.set_data`` and
    ``pm.sample_posterior_predictive`` on a copy of the model (slower; the reference)."""
    if method not in ("vectorised", "pymc"):
        raise PredictionInputError("method", f"must be 'vectorised' or 'pymc', got {method!r}")
    predictor = predictor_for(model, row_dim=row_dim, var_names=var_names)
    if method == "vectorised":
        return predictor.predict(posterior, new_rows, prob=prob, interval=interval, seed=seed)
    prob, interval = check_prob(prob), check_interval(interval)
    seed = check_seed("seed", seed, error=PredictionInputError)
    predictor.posterior_draws(posterior)
    frame, values = predictor.check_rows(new_rows)
    draws = _pymc_reference(predictor, posterior, values, len(frame), seed)
    out = summary_frame(frame, predictor.targets, draws, prob, interval)
    out.attrs.update(
        summary_attrs(
            predictor.targets,
            prob,
            interval,
            next(iter(draws.values())).shape[0],
            predictor.row_dim,
        )
    )
    return out


def _pymc_reference(predictor: ModelPredictor, posterior, values, n, seed) -> dict[str, np.ndarray]:
    import pymc as pm
    from pymc.model.fgraph import clone_model

    from bayes_widgets.core.posterior import as_tree

    model = clone_model(predictor.model)
    coords = None
    if model.coords.get(predictor.row_dim) is not None:
        coords = {predictor.row_dim: np.arange(n)}
    names = [t.name for t in predictor.targets]
    resampled = [
        rv.name for rv in model.free_RVs if predictor.row_dim in predictor.dims.get(rv.name, ())
    ]
    with model:
        pm.set_data(values, coords=coords)
        tree = pm.sample_posterior_predictive(
            as_tree(posterior),
            var_names=names,
            sample_vars=(resampled + [t.name for t in predictor.targets if t.kind == "observed"])
            if resampled
            else None,
            random_seed=seed,
            progressbar=False,
        )
    pp = tree["posterior_predictive"].to_dataset()
    return {
        name: per_row_draws(
            stack_draws(pp, name, float), predictor.dims[name].index(predictor.row_dim), n
        )
        for name in names
    }


__all__ = ["ModelPredictor", "predict_model_rows", "predictor_for"]

"""Posterior predictions for new rows of a NumPyro model, through ``numpyro.infer.Predictive``.

    def model(X, store, y=None):
        ...
        mu = numpyro.deterministic("mu", alpha[store] + X @ beta)
        numpyro.sample("y", dist.Normal(mu, sigma), obs=y)

    predictor = NumPyroPredictor(
        model, mcmc.get_samples(),                     # or a FitResult / DataTree
        model_args=(X, store), model_kwargs={"y": y},  # the arguments of the fit
        inputs={"X": ["temp", "price", "weekend"], "store": "store"},
    )
    predictor.predict(new_rows)                        # DataFrame: inputs, mean, sd, interval

How new rows reach the model: ``inputs`` maps model arguments (by parameter name) to
columns: a vector argument to one column (``"store": "store"``, or a list of names
``inputs=["store", "x"]`` for columns named like their arguments), a matrix argument to
a list of columns, in order. Default: every array argument whose length is the number of
observations, one column per vector (named like the argument) and ``X[0], X[1], ...``
for a matrix. The arguments holding observed values (``observed=``; default: those equal
to an observed site's values) are set to ``None``; every other argument keeps its value.

What is predicted: every deterministic and observed site whose shape follows the number
of rows, for each posterior draw — exactly what ``Predictive(model, posterior_samples)``
returns with the new arguments (latent sites from the posterior, deterministic sites
recomputed, observed sites drawn anew). The call is compiled once per number of rows.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_seed
from bayes_widgets.core.posterior import posterior_dataset
from bayes_widgets.core.prediction.errors import PredictionInputError
from bayes_widgets.core.prediction.rows import (
    Input,
    Target,
    check_columns,
    column_values,
    read_rows,
    typical_value,
)
from bayes_widgets.core.prediction.summary import (
    check_interval,
    check_prob,
    per_row_draws,
    stack_draws,
    summary_attrs,
    summary_frame,
)


def _import():
    try:
        import jax
        import numpyro
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "NumPyro predictions need numpyro and jax: pip install 'bayes_widgets[numpyro]'"
        ) from exc
    return jax, numpyro


class NumPyroPredictor:
    """Predictions for new rows of a NumPyro model (see the module docstring).

    Parameters
    ----------
    model:
        The model function.
    posterior:
        Posterior draws: a FitResult, DataTree or InferenceData of a fit, a dict of arrays
        with one leading draw axis (``MCMC.get_samples()``), or an ``MCMC`` object.
    model_args, model_kwargs:
        The arguments the model was fitted with.
    inputs:
        Model arguments that new rows fill: ``{argument: column}`` for a vector,
        ``{argument: [columns]}`` for a matrix, or a list of argument names.
    observed:
        Argument name(s) holding observed values (set to ``None`` for predictions).
    var_names:
        Sites to predict; default: every deterministic and observed site on the rows.
    """

    def __init__(
        self,
        model: Any,
        posterior: Any,
        *,
        model_args: Sequence[Any] = (),
        model_kwargs: Mapping[str, Any] | None = None,
        inputs: Mapping[str, str | Sequence[str]] | Sequence[str] | None = None,
        observed: str | Sequence[str] | None = None,
        var_names: Sequence[str] | None = None,
    ):
        jax, _ = _import()
        if not callable(model) or type(model).__module__.split(".")[0] == "pymc":
            raise PredictionInputError(
                "model", f"expected a NumPyro model function, got {type(model).__name__}"
            )
        if not isinstance(model_args, tuple | list):
            raise PredictionInputError(
                "model_args", f"must be a tuple, got {type(model_args).__name__}"
            )
        model_kwargs = {} if model_kwargs is None else model_kwargs
        if not isinstance(model_kwargs, Mapping):
            raise PredictionInputError(
                "model_kwargs", f"must be a dict, got {type(model_kwargs).__name__}"
            )
        self.model = model
        try:
            self._signature = inspect.signature(model)
            bound = self._signature.bind(*model_args, **model_kwargs)
        except TypeError as exc:
            raise PredictionInputError(
                "model_args", f"do not fit the model's parameters: {exc}"
            ) from None
        bound.apply_defaults()
        self._arguments = dict(bound.arguments)
        self.samples = self._samples(posterior)
        self.draws_count = len(next(iter(self.samples.values()))) if self.samples else 0
        first = {k: v[0] for k, v in self.samples.items()}
        trace = self._trace(self._arguments, first)
        observed_sites = {
            n: s for n, s in trace.items() if s["type"] == "sample" and s["is_observed"]
        }
        if not observed_sites:
            raise PredictionInputError(
                "model", "has no observed site (numpyro.sample(..., obs=...))"
            )
        latent = [n for n, s in trace.items() if s["type"] == "sample" and not s["is_observed"]]
        self.latent = [n for n in latent if n in self.samples]
        self.observed = self._find_observed(observed, observed_sites)
        n_obs = (
            int(np.shape(next(iter(observed_sites.values()))["value"])[0])
            if np.ndim(next(iter(observed_sites.values()))["value"])
            else 1
        )
        self.inputs = self._find_inputs(inputs, n_obs)
        self.columns = [i.column for i in self.inputs]
        self._dtypes = {
            a: np.asarray(self._arguments[a]).dtype
            for a in dict.fromkeys(i.container for i in self.inputs)
        }
        self.targets, self._axes = self._find_targets(first, var_names)
        missing = [n for n in latent if n not in self.samples]
        self.resampled = missing
        """Latent sites without posterior draws, drawn anew (per-row latents)."""
        self._jax = jax
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()

    # -- inspection --------------------------------------------------------------------------------
    def _samples(self, posterior: Any) -> dict[str, np.ndarray]:
        if (
            posterior is not None
            and hasattr(posterior, "get_samples")
            and callable(posterior.get_samples)
        ):
            posterior = posterior.get_samples()
        if isinstance(posterior, Mapping):
            out = {str(k): np.asarray(v) for k, v in posterior.items()}
            lengths = {len(v) if np.ndim(v) else 0 for v in out.values()}
            if len(lengths) != 1 or 0 in lengths:
                raise PredictionInputError(
                    "posterior", "a dict of draws needs arrays with the same leading draw axis"
                )
            return out
        post = posterior_dataset(posterior, PredictionInputError)
        return {str(n): stack_draws(post, str(n)) for n in post.data_vars}

    def _trace(self, arguments: Mapping[str, Any], values: Mapping[str, Any]):
        from numpyro import handlers

        def latent_value(msg):
            if msg["type"] == "sample" and not msg["is_observed"]:
                return values.get(msg["name"])
            return None

        args, kwargs = self._call_args(arguments)
        model = handlers.substitute(handlers.seed(self.model, 0), substitute_fn=latent_value)
        try:
            return handlers.trace(model).get_trace(*args, **kwargs)
        except Exception as exc:
            raise PredictionInputError(
                "model", f"calling the model failed: {type(exc).__name__}: {exc}"
            ) from None

    def _call_args(self, arguments: Mapping[str, Any]):
        bound = inspect.BoundArguments(self._signature, OrderedDict(arguments))
        return bound.args, bound.kwargs

    def _find_observed(self, observed, observed_sites) -> list[str]:
        params = list(self._arguments)
        if observed is not None:
            names = [observed] if isinstance(observed, str) else list(observed)
            bad = [n for n in names if n not in params]
            if bad:
                raise PredictionInputError(
                    "observed", f"{bad} are not parameters of the model; they are {params}"
                )
            return names
        found = []
        for site, info in observed_sites.items():
            value = np.asarray(info["value"])
            match = [
                a
                for a, v in self._arguments.items()
                if v is not None
                and not isinstance(v, str | bytes)
                and np.shape(v) == value.shape
                and np.array_equal(np.asarray(v), value)
            ]
            if not match:
                raise PredictionInputError(
                    "observed",
                    f"no argument holds the observed values of site {site!r}: pass "
                    "observed='<the argument's name>'",
                )
            found.extend(a for a in match if a not in found)
        return found

    def _find_inputs(self, inputs, n_obs) -> list[Input]:
        params = list(self._arguments)
        if inputs is None:
            inputs = {
                a: None
                for a, v in self._arguments.items()
                if a not in self.observed
                and (isinstance(v, np.ndarray | list) or _is_jax_array(v))
                and np.ndim(v) in (1, 2)
                and np.shape(v)[0] == n_obs
            }
            if not inputs:
                raise PredictionInputError(
                    "inputs",
                    f"no model argument has one value per observation ({n_obs}); name the "
                    "arguments new rows fill, e.g. inputs={'X': ['temp', 'price']}",
                )
        elif isinstance(inputs, str) or not isinstance(inputs, Mapping | Sequence):
            raise PredictionInputError(
                "inputs",
                f"expected a dict {{argument: column(s)}} or a list of arguments, got {inputs!r}",
            )
        elif not isinstance(inputs, Mapping):
            inputs = dict.fromkeys(inputs)
        out: list[Input] = []
        for arg, columns in inputs.items():
            if arg not in params:
                raise PredictionInputError(
                    f"inputs[{arg!r}]", f"is not a parameter of the model; they are {params}"
                )
            if arg in self.observed:
                raise PredictionInputError(
                    f"inputs[{arg!r}]", "holds the observed values; new rows hold inputs only"
                )
            value = self._arguments[arg]
            ndim = np.ndim(value) if value is not None else None
            if columns is None:
                if ndim == 2:
                    columns = [f"{arg}[{k}]" for k in range(np.shape(value)[1])]
                else:
                    columns = arg
            if isinstance(columns, str):
                if ndim not in (None, 1):
                    raise PredictionInputError(
                        f"inputs[{arg!r}]", f"the argument has {ndim} dims; give a list of columns"
                    )
                out.append(Input(columns, arg))
            else:
                columns = list(columns)
                if ndim == 2 and len(columns) != np.shape(value)[1]:
                    raise PredictionInputError(
                        f"inputs[{arg!r}]",
                        f"names {len(columns)} columns but the argument has {np.shape(value)[1]}",
                    )
                out.extend(Input(str(c), arg, k) for k, c in enumerate(columns))
        names = [i.column for i in out]
        clash = sorted({c for c in names if names.count(c) > 1})
        if clash:
            raise PredictionInputError(
                "inputs", f"column(s) {clash} are given to more than one argument"
            )
        return out

    def _find_targets(self, first, var_names):
        """Deterministic and observed sites whose shape follows the number of rows, found by
        running the model on one and on two rows."""
        shapes = []
        for n in (1, 2):
            frame = pd.DataFrame({c: np.repeat(v, n) for c, v in self.defaults().items()})
            trace = self._trace(self._arguments_for(self._values(frame)), first)
            shapes.append(
                {
                    name: (s["type"], bool(s.get("is_observed")), np.shape(s["value"]))
                    for name, s in trace.items()
                    if s["type"] == "deterministic"
                    or (s["type"] == "sample" and name not in self.latent)
                }
            )
        targets, axes = [], {}
        for name, (kind, _, shape1) in shapes[0].items():
            shape2 = shapes[1].get(name, (None, None, shape1))[2]
            diff = [k for k, (a, b) in enumerate(zip(shape1, shape2, strict=False)) if a != b]
            if len(shape1) != len(shape2) or len(diff) != 1:
                continue
            if kind == "sample" and name not in self._observed_sites():
                continue
            axes[name] = diff[0]
            others = [s for k, s in enumerate(shape1) if k != diff[0]]
            labels = tuple(",".join(map(str, idx)) for idx in np.ndindex(*others)) if others else ()
            targets.append(
                Target(name, "deterministic" if kind == "deterministic" else "observed", labels)
            )
        if var_names is not None:
            names = [var_names] if isinstance(var_names, str) else list(var_names)
            known = {t.name: t for t in targets}
            bad = [n for n in names if n not in known]
            if bad:
                raise PredictionInputError(
                    "var_names",
                    f"{bad} are not deterministic or observed sites on the rows; those are {list(known)}",
                )
            targets = [known[n] for n in names]
        if not targets:
            raise PredictionInputError(
                "model", "has no deterministic or observed site whose shape follows the new rows"
            )
        return targets, axes

    def _observed_sites(self) -> set[str]:
        if not hasattr(self, "_obs_sites"):
            trace = self._trace(self._arguments, {k: v[0] for k, v in self.samples.items()})
            self._obs_sites = {
                n for n, s in trace.items() if s["type"] == "sample" and s["is_observed"]
            }
        return self._obs_sites

    # -- new rows ----------------------------------------------------------------------------------
    def defaults(self) -> dict[str, float]:
        """A typical row: the fitted data's mean of each float input, the most frequent
        value of an integer one."""
        out = {}
        for i in self.inputs:
            data = np.asarray(self._arguments[i.container])
            col = data if i.position is None else data[:, i.position]
            out[i.column] = typical_value(col)
        return out

    def check_rows(self, new_rows: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        frame = check_columns(read_rows(new_rows), self.inputs, "the model")
        return frame.reset_index(drop=True), self._values(frame)

    def _values(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        values = {}
        for arg in dict.fromkeys(i.container for i in self.inputs):
            dtype = getattr(self, "_dtypes", {}).get(arg) or np.asarray(self._arguments[arg]).dtype
            dtype = np.dtype(dtype) if dtype != np.dtype(object) else np.dtype(float)
            cols = [i for i in self.inputs if i.container == arg]
            if cols[0].position is None:
                values[arg] = column_values(frame, cols[0].column, dtype)
            else:
                values[arg] = (
                    np.column_stack([column_values(frame, i.column, dtype) for i in cols])
                    if len(frame)
                    else np.zeros((0, len(cols)), dtype)
                )
        return values

    def _arguments_for(self, values: Mapping[str, np.ndarray]) -> dict[str, Any]:
        arguments = dict(self._arguments)
        arguments.update(values)
        for name in self.observed:
            arguments[name] = None
        return arguments

    # -- computation -------------------------------------------------------------------------------
    def _function(self, n: int):
        jax = self._jax
        from numpyro.infer import Predictive

        if n not in self._compiled:
            names = [t.name for t in self.targets]
            latent = {k: self.samples[k] for k in self.latent}
            arg_names = list(dict.fromkeys(i.container for i in self.inputs))

            def run(key, samples, *arrays):
                arguments = self._arguments_for(dict(zip(arg_names, arrays, strict=True)))
                args, kwargs = self._call_args(arguments)
                predictive = Predictive(self.model, posterior_samples=samples, return_sites=names)
                return predictive(key, *args, **kwargs)

            self._compiled = {n: (jax.jit(run), latent, arg_names)}  # keep one size compiled
        return self._compiled[n]

    def draws(self, new_rows: Any, *, seed: int | None = None):
        """The new rows (as checked) and each target's draws: (draws × rows × elements)."""
        frame, values = self.check_rows(new_rows)
        n = len(frame)
        jax = self._jax
        seed = int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else seed
        with self._lock:
            fn, latent, arg_names = self._function(n)
            try:
                result = fn(jax.random.PRNGKey(seed), latent, *[values[a] for a in arg_names])
            except Exception as exc:
                raise PredictionInputError(
                    "new_rows",
                    f"the model cannot be evaluated at these rows: {type(exc).__name__}: {exc}",
                ) from None
        out = {t.name: per_row_draws(result[t.name], self._axes[t.name], n) for t in self.targets}
        return frame, out

    def predict(
        self,
        new_rows: Any,
        *,
        prob: float = 0.95,
        interval: str = "eti",
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Inputs, then mean, sd and credible interval of every predicted site per row (the
        columns of :meth:`ModelPredictor.predict`)."""
        prob, interval = check_prob(prob), check_interval(interval)
        seed = check_seed("seed", seed, error=PredictionInputError)
        frame, draws = self.draws(new_rows, seed=seed)
        out = summary_frame(frame, self.targets, draws, prob, interval)
        out.attrs.update(summary_attrs(self.targets, prob, interval, self.draws_count, None))
        return out

    def __repr__(self) -> str:
        return f"NumPyroPredictor(columns={self.columns}, targets={[t.name for t in self.targets]})"


def _is_jax_array(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ("jax", "jaxlib")


def predict_numpyro_rows(
    model: Any,
    posterior: Any,
    new_rows: Any,
    *,
    model_args: Sequence[Any] = (),
    model_kwargs: Mapping[str, Any] | None = None,
    inputs=None,
    observed=None,
    var_names=None,
    prob: float = 0.95,
    interval: str = "eti",
    seed: int | None = None,
) -> pd.DataFrame:
    """Predictions of a NumPyro model for ``new_rows`` (see :class:`NumPyroPredictor`)."""
    predictor = NumPyroPredictor(
        model,
        posterior,
        model_args=model_args,
        model_kwargs=model_kwargs,
        inputs=inputs,
        observed=observed,
        var_names=var_names,
    )
    return predictor.predict(new_rows, prob=prob, interval=interval, seed=seed)


__all__ = ["NumPyroPredictor", "predict_numpyro_rows"]

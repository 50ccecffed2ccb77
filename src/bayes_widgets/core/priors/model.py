"""The priors of a real PyMC model, and its prior predictive compiled once.

    mp = ModelPriors(model, draws=500)
    mp.priors                      # {"sigma": PriorDist(HalfNormal...), ...} (editable ones)
    mp.set("sigma", mp.priors["sigma"].updated(sigma=2.0))
    draws = mp.prior_predictive()  # {"y": (500, ...)}: one call of one compiled function
    new_model = mp.apply()         # the model rebuilt with the edited priors
    mp.observed_values("y")        # the observed data as the model holds it now
    mp.series_dim("y")             # "date" when y is a series over time, else None
    mp.data_changes()              # {"X": "100 → 20 rows"} after the user's pm.set_data

Every editable prior's parameters are inputs of a single compiled function that draws
all ``draws`` prior-predictive samples at once (the model graph vectorised over a
leading draw dimension), so changing a parameter costs one function call and no
compilation. Changing a variable's *family* changes the graph: that compiles once per
combination of families (``compiles`` counts them).

The compiled function reads the model's data containers (``pm.Data``) as they are when
it is called, so after the user's ``pm.set_data`` the prior predictive is that of the
new data; :meth:`ModelPriors.data_changes` says which containers changed since the
priors were read, so a view can say so.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError

DRAW = "__draw__"

TIME_DIMS = (
    "date",
    "time",
    "week",
    "day",
    "month",
    "year",
    "period",
    "t",
    "step",
    "timestamp",
    "quarter",
)
"""Dimension names read as a time axis (also any name containing ``date`` or ``time``)."""


@dataclass(frozen=True)
class ReadOnly:
    """A free variable whose prior cannot be edited here, and why."""

    name: str
    reason: str


def _const(x) -> np.ndarray:
    return np.asarray(x.eval(), dtype=float)


def _read_prior(rv, free_rvs, model) -> PriorDist | ReadOnly:
    """The family and numeric parameters of a free variable's prior, if editable."""
    from pytensor.graph.traversal import ancestors

    core_op, params = _core_op_and_params(rv)
    op_name = type(core_op).__name__
    if any(a in free_rvs for a in ancestors(params)):
        return ReadOnly(rv.name, "its parameters depend on other variables (hierarchical)")
    shape = shape_of(rv)
    try:
        values = [_const(p) for p in params]
    except Exception as exc:
        return ReadOnly(rv.name, f"its parameters are not numbers ({exc})")
    table = {
        "NormalRV": ("Normal", lambda v: {"mu": v[0], "sigma": v[1]}),
        "HalfNormalRV": (
            "HalfNormal",
            lambda v: {"sigma": v[-1]} if len(v) == 1 or not np.any(v[0]) else None,
        ),
        "LogNormalRV": ("LogNormal", lambda v: {"mu": v[0], "sigma": v[1]}),
        "GammaRV": ("Gamma", lambda v: {"alpha": v[0], "beta": 1.0 / v[1]}),
        "BetaRV": ("Beta", lambda v: {"alpha": v[0], "beta": v[1]}),
        "StudentTRV": ("StudentT", lambda v: {"nu": v[0], "mu": v[1], "sigma": v[2]}),
        "HalfStudentTRV": ("HalfStudentT", lambda v: {"nu": v[0], "sigma": v[1]}),
        "LaplaceRV": ("Laplace", lambda v: {"mu": v[0], "b": v[1]}),
        "ExponentialRV": ("Exponential", lambda v: {"lam": 1.0 / v[0]}),
        "UniformRV": ("Uniform", lambda v: {"lower": v[0], "upper": v[1]}),
        "TruncatedNormalRV": (
            "TruncatedNormal",
            lambda v: {"mu": v[0], "sigma": v[1], "lower": v[2], "upper": v[3]},
        ),
        "WeibullBetaRV": ("Weibull", lambda v: {"alpha": v[0], "beta": v[1]}),
        "InvGammaRV": ("InverseGamma", lambda v: {"alpha": v[0], "beta": v[1]}),
        "PoissonRV": ("Poisson", lambda v: {"mu": v[0]}),
        "NegBinomialRV": (
            "NegativeBinomial",
            lambda v: {"mu": v[0] * (1 - v[1]) / v[1], "alpha": v[0]},
        ),
        "HalfCauchyRV": (
            "HalfCauchy",
            lambda v: {"beta": v[-1]} if len(v) == 1 or not np.any(v[0]) else None,
        ),
        "CauchyRV": ("Cauchy", lambda v: {"alpha": v[0], "beta": v[1]}),
    }
    if op_name not in table:
        return ReadOnly(rv.name, f"{op_name.removesuffix('RV')} priors are not editable")
    family, convert = table[op_name]
    params_ = convert(values)
    if params_ is None:
        return ReadOnly(rv.name, f"a shifted {family} is not editable")
    dims = _dims_of(rv, model)
    if shape == ():
        scalars: dict[str, Any] = {k: float(v) for k, v in params_.items()}
        return PriorDist.create(family, **scalars)
    if len(shape) > 1:
        return ReadOnly(rv.name, f"only scalar and 1-D priors are editable (shape {shape})")
    vectors: dict[str, Any] = {
        k: np.broadcast_to(np.asarray(v, float), shape).copy() for k, v in params_.items()
    }
    return PriorDist.create(
        family, dims=dims or (f"{rv.name}_dim_0",), size=int(np.prod(shape)), **vectors
    )


def _dist_like(rv, prior: PriorDist, shape: tuple[int, ...]):
    """A fresh random variable with ``prior``, of the same kind as ``rv``: a named-dimension
    one (``pymc.dims``) in a named graph, a tensor one otherwise."""
    import pymc as pm

    if not is_xtensor(rv):
        return getattr(pm, prior.family).dist(**prior.params, size=shape)
    import pymc.dims as pmd
    import pytensor.xtensor as px

    dims = tuple(rv.type.dims)
    params = {
        k: px.as_xtensor(np.asarray(v, dtype=float), dims=dims if np.ndim(v) else ())
        for k, v in prior.params.items()
    }
    return getattr(pmd, prior.family).dist(
        **params, dim_lengths=dict(zip(dims, shape, strict=True))
    )


def _without_views(outputs):
    """The graph with its identity ``ViewOp`` nodes (deterministics' wrappers) bypassed:
    the named-graph vectoriser has no rule for them."""
    from pytensor.compile.ops import ViewOp
    from pytensor.graph.replace import graph_replace
    from pytensor.graph.traversal import applys_between

    outputs = list(outputs)
    while True:  # a view's input may hold another view: peel them layer by layer
        views = {
            node.outputs[0]: node.inputs[0]
            for node in applys_between([], outputs)
            if isinstance(node.op, ViewOp)
        }
        if not views:
            return outputs
        outputs = graph_replace(outputs, views, strict=True)


def is_xtensor(rv) -> bool:
    """True for a variable of PyMC's named-dimension graphs (pymc-marketing builds these)."""
    return type(rv.owner.op).__name__ == "XRV"


def _core_op_and_params(rv):
    op = rv.owner.op
    if is_xtensor(rv):
        return op.core_op, list(op.dist_params(rv.owner))
    return op, list(rv.owner.inputs[2:])


def shape_of(rv) -> tuple[int, ...]:
    if is_xtensor(rv):
        return tuple(int(s.eval()) for s in rv.shape)
    return tuple(int(s) for s in rv.shape.eval())


def _dims_of(rv, model) -> tuple[str, ...]:
    if is_xtensor(rv):
        return tuple(rv.type.dims)
    return tuple(model.named_vars_to_dims.get(rv.name, ()) or ())


class ModelPriors:
    """Editable priors of a PyMC model and its prior predictive (see module docstring)."""

    def __init__(self, model, *, draws: int = 500, seed: int | None = None):
        import pymc as pm

        if not isinstance(model, pm.Model):
            raise PriorError("model", f"expected a pymc.Model, got {type(model).__name__}")
        if not model.free_RVs:
            raise PriorError("model", "has no free variables")
        if not model.observed_RVs:
            raise PriorError("model", "has no observed variable to predict")
        if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws <= 0:
            raise PriorError("draws", f"must be a positive integer, got {draws!r}")
        if (
            seed is not None
            and not isinstance(seed, np.random.Generator)
            and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0)
        ):
            raise PriorError(
                "seed",
                f"must be None, a non-negative whole number or a numpy Generator, got {seed!r}",
            )
        draws = int(draws)
        self.model = model
        self.draws = draws
        self.seed = seed
        self.compiles = 0
        self._functions: dict[tuple, tuple] = {}
        free = set(model.free_RVs)
        self._shapes = {rv.name: shape_of(rv) for rv in model.free_RVs}
        read = {rv.name: _read_prior(rv, free, model) for rv in model.free_RVs}
        self.read_only = {k: v for k, v in read.items() if isinstance(v, ReadOnly)}
        self.original = {k: v for k, v in read.items() if isinstance(v, PriorDist)}
        self.priors: dict[str, PriorDist] = dict(self.original)
        self.observed = [rv.name for rv in model.observed_RVs]
        self._data_seen = self._data_state()

    # -- the model's data ---------------------------------------------------------------
    def _data_state(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """Per data container: the identity and shape of the array it holds (cheap)."""
        out = {}
        for var in getattr(self.model, "data_vars", []):
            if hasattr(var, "get_value"):
                value = var.get_value(borrow=True)
                out[var.name] = (id(value), tuple(np.shape(value)))
        return out

    def data_changes(self) -> dict[str, str]:
        """The data containers whose values were replaced (``pm.set_data``) since the
        priors were read, each with a few words on how: ``{"X": "100 → 20 rows"}``."""
        now = self._data_state()
        out = {}
        for name, (ident, shape) in now.items():
            old = self._data_seen.get(name)
            if old is None or old[0] == ident:
                continue
            if old[1] != shape:
                if len(shape) >= 1 and len(old[1]) == len(shape) and old[1][1:] == shape[1:]:
                    out[name] = f"{old[1][0]} → {shape[0]} rows"
                else:
                    out[name] = f"shape {old[1]} → {shape}"
            else:
                out[name] = "new values"
        return out

    def observed_values(self, name: str) -> np.ndarray | None:
        """The observed data of ``name`` as the model holds it now (``None`` if unreadable)."""
        rv = self.model[name]
        value = self.model.rvs_to_values.get(rv)
        if value is None:
            return None
        data = getattr(value, "data", None)
        if data is None and hasattr(value, "get_value"):
            data = value.get_value()
        if data is None and hasattr(value, "eval"):
            try:
                data = value.eval()
            except Exception:
                data = None
        return None if data is None else np.asarray(data, dtype=float)

    def series_dim(self, name: str) -> str | None:
        """The time dimension of observed variable ``name`` when it is one series over time
        (one dimension, named like a time axis or with date coordinates), else ``None``:
        a regression over observations ("obs") is not a series."""
        rv = self.model[name]
        dims = (
            tuple(rv.type.dims)
            if is_xtensor(rv)
            else tuple(self.model.named_vars_to_dims.get(name, ()) or ())
        )
        if len(dims) != 1:
            return None
        dim = dims[0]
        lowered = str(dim).lower()
        if lowered in TIME_DIMS or "date" in lowered or "time" in lowered:
            return dim
        coords = self.model.coords.get(dim)
        if coords is not None and len(coords):
            first = coords[0]
            if isinstance(first, (np.datetime64, datetime.date)) or np.issubdtype(
                np.asarray(coords).dtype, np.datetime64
            ):
                return dim
        return None

    # -- editing ------------------------------------------------------------------------
    def set(self, name: str, prior: PriorDist) -> None:
        """Replaces the prior of free variable ``name`` (same shape)."""
        if name in self.read_only:
            raise PriorError(name, f"not editable: {self.read_only[name].reason}")
        if name not in self.priors:
            raise PriorError(name, f"not a free variable of the model ({', '.join(self.priors)})")
        shape = self._shapes[name]
        expected = None if shape == () else shape[0]
        if prior.size != expected:
            raise PriorError(
                name, f"needs {expected or 'a scalar'} element(s), got {prior.size or 'a scalar'}"
            )
        self.priors[name] = prior

    # -- prior predictive -----------------------------------------------------------------
    def prior_predictive(self) -> dict[str, np.ndarray]:
        """``draws`` prior-predictive draws of each observed variable, shape (draws, ...).

        Every call draws from the same random numbers (common random numbers): the same
        priors give the same draws, and a changed parameter moves the draws smoothly
        instead of drawing them afresh, so an edit shows what the edit did, not noise."""
        fn, inputs, rngs = self._function()
        for shared, state in rngs:
            shared.set_value(copy.deepcopy(state), borrow=True)
        args = []
        for name, pname in inputs:
            value = np.asarray(self.priors[name].params[pname], dtype=float)
            args.append(np.broadcast_to(value, self._shapes[name]).astype(float))
        return dict(zip(self.observed, fn(*args), strict=True))

    def _function(self):
        key = tuple((name, p.family) for name, p in self.priors.items())
        if key not in self._functions:
            self._functions[key] = self._compile()
            self.compiles += 1
        return self._functions[key]

    def _compile(self):
        import pymc as pm
        import pytensor.tensor as pt
        import pytensor.xtensor as px
        from pymc.distributions.shape_utils import change_dist_size
        from pymc.pytensorf import compile as compile_pymc
        from pytensor.graph.replace import vectorize_graph
        from pytensor.graph.traversal import ancestors
        from pytensor.tensor.random.type import RandomGeneratorType
        from pytensor.xtensor.vectorization import vectorize_graph as vectorize_xgraph

        n = self.draws
        free = list(self.model.free_RVs)
        named = any(is_xtensor(rv) for rv in free)
        replace = {}
        inputs: list[tuple[str, str]] = []
        tensors = []
        for rv in free:
            shape = self._shapes[rv.name]
            prior = self.priors.get(str(rv.name))
            if prior is not None:
                kwargs = {}
                for pname in prior.params:
                    t = pt.tensor(f"{rv.name}.{pname}", shape=shape, dtype="float64")
                    tensors.append(t)
                    inputs.append((rv.name, pname))
                    kwargs[pname] = t
                new = getattr(pm, prior.family).dist(**kwargs, size=(n, *shape))
                # named graphs broadcast by dimension name: a new leading "draw" dimension
                # flows through every downstream operation on its own
                replace[rv] = px.as_xtensor(new, dims=(DRAW, *rv.type.dims)) if named else new
            elif not any(a in set(free) - {rv} for a in ancestors(_core_op_and_params(rv)[1])):
                if named:
                    raise PriorError(
                        rv.name,
                        f"not editable ({self.read_only[rv.name].reason}), "
                        "so this model's prior predictive cannot be drawn here",
                    )
                replace[rv] = change_dist_size(rv, (n, *shape))
        observed = list(self.model.observed_RVs)
        if named:  # PyTensor's dimension-aware vectoriser handles mixed named/tensor graphs
            observed = _without_views(observed)
            outs = vectorize_xgraph(observed, replace=replace)
            # vectorize_xgraph gives XTensorVariables, typed as plain Variables
            outs = [
                o.transpose(DRAW, ...).values  # pyright: ignore[reportAttributeAccessIssue]
                if DRAW in o.type.dims
                else o.values  # pyright: ignore[reportAttributeAccessIssue]
                for o in (outs if isinstance(outs, list | tuple) else [outs])
            ]
        else:
            outs = vectorize_graph(observed, replace=replace)
        fn = compile_pymc(tensors, outs, random_seed=self.seed, on_unused_input="ignore")
        rngs = [
            (shared, copy.deepcopy(shared.get_value(borrow=True)))
            for shared in fn.get_shared()
            if isinstance(shared.type, RandomGeneratorType)
        ]
        return fn, inputs, rngs

    # -- out --------------------------------------------------------------------------------
    def apply(self):
        """A new model: the same, with the edited priors."""
        from pymc.model.fgraph import ModelFreeRV, fgraph_from_model, model_from_fgraph

        fg, _ = fgraph_from_model(self.model)
        for node in list(fg.apply_nodes):
            if not isinstance(node.op, ModelFreeRV):
                continue
            rv = node.inputs[0]
            prior = self.priors.get(str(rv.name))
            if prior is None or prior == self.original.get(rv.name):
                continue
            new = _dist_like(rv, prior, self._shapes[rv.name])
            new.name = rv.name
            fg.replace(rv, new, import_missing=True)
        return model_from_fgraph(fg, mutate_fgraph=True)

    def to_priors(self):
        """The edited priors as ``pymc_extras.prior.Prior`` objects, by variable name."""
        return {name: p.to_prior() for name, p in self.priors.items()}

    def code(self) -> str:
        lines = ["from pymc_extras.prior import Prior", "import numpy as np", "", "priors = {"]
        lines += [f"    {name!r}: {p.code()}," for name, p in self.priors.items()]
        lines.append("}")
        return "\n".join(lines)

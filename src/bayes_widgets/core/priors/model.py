"""The priors of a real PyMC model, and its prior predictive compiled once.

    mp = ModelPriors(model, draws=500)
    mp.priors                      # {"sigma": PriorDist(HalfNormal...), ...} (editable ones)
    mp.set("sigma", mp.priors["sigma"].updated(sigma=2.0))
    draws = mp.prior_predictive()  # {"y": (500, ...)}: one call of one compiled function
    new_model = mp.apply()         # the model rebuilt with the edited priors

Every editable prior's parameters are inputs of a single compiled function that draws
all ``draws`` prior-predictive samples at once (the model graph vectorised over a
leading draw dimension), so changing a parameter costs one function call and no
compilation. Changing a variable's *family* changes the graph: that compiles once per
combination of families (``compiles`` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError


@dataclass(frozen=True)
class ReadOnly:
    """A free variable whose prior cannot be edited here, and why."""

    name: str
    reason: str


def _const(x) -> np.ndarray:
    return np.asarray(x.eval(), dtype=float)


def _read_prior(rv, free_rvs) -> PriorDist | ReadOnly:
    """The family and numeric parameters of a free variable's prior, if editable."""
    from pytensor.graph.traversal import ancestors

    op_name = type(rv.owner.op).__name__
    params = rv.owner.inputs[2:]
    if any(a in free_rvs for a in ancestors(params)):
        return ReadOnly(rv.name, "its parameters depend on other variables (hierarchical)")
    shape = tuple(int(s) for s in rv.shape.eval())
    try:
        values = [_const(p) for p in params]
    except Exception as exc:  # noqa: BLE001 - anything not evaluable is not editable
        return ReadOnly(rv.name, f"its parameters are not numbers ({exc})")
    table = {
        "NormalRV": ("Normal", lambda v: {"mu": v[0], "sigma": v[1]}),
        "HalfNormalRV": ("HalfNormal", lambda v: {"sigma": v[-1]} if len(v) == 1 or not np.any(v[0]) else None),
        "LogNormalRV": ("LogNormal", lambda v: {"mu": v[0], "sigma": v[1]}),
        "GammaRV": ("Gamma", lambda v: {"alpha": v[0], "beta": 1.0 / v[1]}),
        "BetaRV": ("Beta", lambda v: {"alpha": v[0], "beta": v[1]}),
        "StudentTRV": ("StudentT", lambda v: {"nu": v[0], "mu": v[1], "sigma": v[2]}),
        "HalfStudentTRV": ("HalfStudentT", lambda v: {"nu": v[0], "sigma": v[1]}),
        "LaplaceRV": ("Laplace", lambda v: {"mu": v[0], "b": v[1]}),
        "ExponentialRV": ("Exponential", lambda v: {"lam": 1.0 / v[0]}),
        "UniformRV": ("Uniform", lambda v: {"lower": v[0], "upper": v[1]}),
        "TruncatedNormalRV": ("TruncatedNormal", lambda v: {"mu": v[0], "sigma": v[1], "lower": v[2], "upper": v[3]}),
        "WeibullBetaRV": ("Weibull", lambda v: {"alpha": v[0], "beta": v[1]}),
        "InvGammaRV": ("InverseGamma", lambda v: {"alpha": v[0], "beta": v[1]}),
        "PoissonRV": ("Poisson", lambda v: {"mu": v[0]}),
        "NegBinomialRV": ("NegativeBinomial", lambda v: {"mu": v[0] * (1 - v[1]) / v[1], "alpha": v[0]}),
        "HalfCauchyRV": ("HalfCauchy", lambda v: {"beta": v[-1]} if len(v) == 1 or not np.any(v[0]) else None),
        "CauchyRV": ("Cauchy", lambda v: {"alpha": v[0], "beta": v[1]}),
    }
    if op_name not in table:
        return ReadOnly(rv.name, f"{op_name.removesuffix('RV')} priors are not editable")
    family, convert = table[op_name]
    params_ = convert(values)
    if params_ is None:
        return ReadOnly(rv.name, f"a shifted {family} is not editable")
    dims = _dims_of(rv)
    if shape == ():
        return PriorDist.create(family, **{k: float(v) for k, v in params_.items()})
    if len(shape) > 1:
        return ReadOnly(rv.name, f"only scalar and 1-D priors are editable (shape {shape})")
    return PriorDist.create(
        family, dims=dims or (f"{rv.name}_dim_0",), size=shape[0],
        **{k: np.broadcast_to(np.asarray(v, float), shape).copy() for k, v in params_.items()},
    )


def _dims_of(rv) -> tuple[str, ...]:
    model = _MODEL_OF.get(rv)
    if model is None:
        return ()
    return tuple(model.named_vars_to_dims.get(rv.name, ()) or ())


_MODEL_OF: dict = {}


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
        if not isinstance(draws, int) or draws <= 0:
            raise PriorError("draws", f"must be a positive integer, got {draws!r}")
        self.model = model
        self.draws = draws
        self.seed = seed
        self.compiles = 0
        self._functions: dict[tuple, tuple] = {}
        free = set(model.free_RVs)
        for rv in model.free_RVs:
            _MODEL_OF[rv] = model
        self._shapes = {rv.name: tuple(int(s) for s in rv.shape.eval()) for rv in model.free_RVs}
        read = {rv.name: _read_prior(rv, free) for rv in model.free_RVs}
        for rv in model.free_RVs:
            _MODEL_OF.pop(rv, None)
        self.read_only = {k: v for k, v in read.items() if isinstance(v, ReadOnly)}
        self.original = {k: v for k, v in read.items() if isinstance(v, PriorDist)}
        self.priors: dict[str, PriorDist] = dict(self.original)
        self.observed = [rv.name for rv in model.observed_RVs]

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
            raise PriorError(name, f"needs {expected or 'a scalar'} element(s), got {prior.size or 'a scalar'}")
        self.priors[name] = prior

    # -- prior predictive -----------------------------------------------------------------
    def prior_predictive(self) -> dict[str, np.ndarray]:
        """``draws`` prior-predictive draws of each observed variable, shape (draws, ...)."""
        fn, inputs = self._function()
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
        from pymc.distributions.shape_utils import change_dist_size
        from pymc.pytensorf import compile as compile_pymc
        from pytensor.graph.replace import vectorize_graph
        from pytensor.graph.traversal import ancestors

        n = self.draws
        free = list(self.model.free_RVs)
        replace = {}
        inputs: list[tuple[str, str]] = []
        tensors = []
        for rv in free:
            shape = self._shapes[rv.name]
            prior = self.priors.get(rv.name)
            if prior is not None:
                kwargs = {}
                for pname in prior.params:
                    t = pt.tensor(f"{rv.name}.{pname}", shape=shape, dtype="float64")
                    tensors.append(t)
                    inputs.append((rv.name, pname))
                    kwargs[pname] = t
                replace[rv] = getattr(pm, prior.family).dist(**kwargs, size=(n, *shape))
            elif not any(a in set(free) - {rv} for a in ancestors(rv.owner.inputs[2:])):
                replace[rv] = change_dist_size(rv, (n, *shape))
        outs = vectorize_graph(list(self.model.observed_RVs), replace=replace)
        fn = compile_pymc(tensors, outs, random_seed=self.seed, on_unused_input="ignore")
        return fn, inputs

    # -- out --------------------------------------------------------------------------------
    def apply(self):
        """A new model: the same, with the edited priors."""
        import pymc as pm
        from pymc.model.fgraph import ModelFreeRV, fgraph_from_model, model_from_fgraph

        fg, _ = fgraph_from_model(self.model)
        for node in list(fg.apply_nodes):
            if not isinstance(node.op, ModelFreeRV):
                continue
            rv = node.inputs[0]
            prior = self.priors.get(rv.name)
            if prior is None or prior == self.original.get(rv.name):
                continue
            new = getattr(pm, prior.family).dist(**prior.params, size=self._shapes[rv.name])
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

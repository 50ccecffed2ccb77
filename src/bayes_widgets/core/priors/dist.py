"""One prior distribution: validated parameters, its curves and summary, and conversions.

    d = PriorDist.create("Gamma", parameterization="mean_sd", mu=2, sigma=1)
    d.params                  # {'alpha': 4.0, 'beta': 2.0}: canonical, as PyMC stores them
    d.summary()               # mean, sd, quantiles
    d.curves()                # x, pdf (or pmf) and cdf on a grid covering 99.8 % of the mass
    d.to_prior()              # pymc_extras.prior.Prior("Gamma", alpha=4.0, beta=2.0)

A vector prior (``dims=("channel",)``) holds one value per element for each parameter
(or one shared scalar); :meth:`element` and :meth:`with_element` edit it element by
element.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.checks import finite_or_none, is_number
from bayes_widgets.core.deprecation import old_keywords
from bayes_widgets.core.priors.errors import PriorError
from bayes_widgets.core.priors.families import Family, get_family

TAIL = 0.001


@dataclass(frozen=True, eq=False)
class PriorDist:
    family: str
    params: dict[str, Any]
    """Canonical parameters: floats, or 1-D arrays for a vector prior."""
    dims: tuple[str, ...] = ()
    size: int | None = None
    """Number of elements of a vector prior (None for a scalar)."""
    _frozen: dict = field(default_factory=dict, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------
    @classmethod
    @old_keywords(parameterisation="parameterization")
    def create(
        cls,
        family: str,
        *,
        parameterization: str | None = None,
        dims: str | tuple[str, ...] | None = None,
        size: int | None = None,
        **values: Any,
    ) -> PriorDist:
        """Validated prior; parameters missing from ``values`` take the family's defaults."""
        fam = get_family(family)
        try:
            spec = fam.parameterization(parameterization)
        except KeyError as exc:
            raise PriorError("parameterization", str(exc.args[0])) from None
        names = [p.name for p in spec]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise PriorError(unknown[0], f"not a parameter of {family} ({', '.join(names)})")
        dims = _check_dims(dims)
        if size is not None and (
            isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1
        ):
            raise PriorError("size", f"must be a positive whole number or None, got {size!r}")
        raw = {p.name: _check_type(p.name, values.get(p.name, p.default)) for p in spec}
        size = _vector_size(raw, dims, size)
        for p in spec:
            bad = _check_all(p, raw[p.name])
            if bad:
                raise PriorError(p.name, bad)
        _check_order(fam, raw)
        canonical = raw if spec is fam.params else _to_canonical(fam, parameterization, raw)
        return cls(fam.name, canonical, dims, size)

    @old_keywords(parameterisation="parameterization")
    def updated(self, parameterization: str | None = None, **values: Any) -> PriorDist:
        """A copy with some parameters changed (in the given parameterization)."""
        current = self.in_terms(parameterization)
        current.update(values)
        return PriorDist.create(
            self.family,
            parameterization=parameterization,
            dims=self.dims,
            size=self.size,
            **current,
        )

    # -- vector priors ------------------------------------------------------------------
    def element(self, i: int) -> PriorDist:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise PriorError("element", f"must be a whole number, got {i!r}")
        if self.size is None:
            return self
        if not 0 <= i < self.size:
            raise PriorError("element", f"{i} is out of range for {self.size} elements")
        return PriorDist(
            self.family,
            {k: float(np.broadcast_to(v, (self.size,))[i]) for k, v in self.params.items()},
        )

    @old_keywords(parameterisation="parameterization")
    def with_element(self, i: int, parameterization: str | None = None, **values) -> PriorDist:
        """This vector prior with element ``i`` changed; the others are kept."""
        if self.size is None:
            return self.updated(parameterization, **values)
        new = self.element(i).updated(parameterization, **values)
        params = {
            k: np.array(np.broadcast_to(v, (self.size,)), dtype=float)
            for k, v in self.params.items()
        }
        for k, v in new.params.items():
            params[k][i] = v
        return PriorDist(self.family, params, self.dims, self.size)

    # -- views --------------------------------------------------------------------------
    @property
    def spec(self) -> Family:
        return get_family(self.family)

    @old_keywords(parameterisation="parameterization")
    def in_terms(self, parameterization: str | None = None) -> dict[str, Any]:
        """Parameters in another parameterization, e.g. Gamma's ``mean_sd``."""
        try:
            spec = self.spec.parameterization(parameterization)
        except KeyError as exc:
            raise PriorError("parameterization", str(exc.args[0])) from None
        if spec is self.spec.params:
            return dict(self.params)
        out = {}
        for p in spec:
            values = [getattr(self.element(i).to_preliz(), p.name) for i in range(self.size or 1)]
            out[p.name] = float(values[0]) if self.size is None else np.array(values, dtype=float)
        return out

    def to_preliz(self):
        """The PreliZ distribution (scalar priors, or one element of a vector prior)."""
        if self.size is not None:
            raise PriorError("element", "pick an element of a vector prior first")
        if "pz" not in self._frozen:
            import preliz as pz

            self._frozen["pz"] = getattr(pz, self.family)(
                **{k: float(v) for k, v in self.params.items()}
            )
        return self._frozen["pz"]

    def summary(self, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> dict[str, Any]:
        d = self.to_preliz()
        return {
            "mean": finite_or_none(d.mean()),
            "sd": finite_or_none(d.std()),
            "quantiles": {f"{q:g}": finite_or_none(d.ppf(q)) for q in quantiles},
        }

    def curves(self, n: int = 200) -> dict[str, list]:
        """x with pdf (pmf for a discrete family) and cdf, over the central 99.8 % of mass."""
        d = self.to_preliz()
        lo, hi = float(d.ppf(TAIL)), float(d.ppf(1 - TAIL))
        s_lo, s_hi = (float(v) for v in d.support)
        lo = max(lo, s_lo) if math.isfinite(lo) else s_lo
        hi = min(hi, s_hi) if math.isfinite(hi) else s_hi
        if self.spec.discrete:
            x = np.arange(math.floor(lo), math.ceil(hi) + 1, dtype=float)
        else:
            x = np.linspace(lo, hi, n)
        with np.errstate(all="ignore"):
            pdf = np.asarray(d.pdf(x), dtype=float)
            cdf = np.asarray(d.cdf(x), dtype=float)
        return {
            "x": x.tolist(),
            "pdf": np.nan_to_num(pdf, posinf=0.0).tolist(),
            "cdf": np.nan_to_num(cdf).tolist(),
        }

    # -- conversions --------------------------------------------------------------------
    def to_prior(self):
        """As a ``pymc_extras.prior.Prior``."""
        from pymc_extras.prior import Prior

        return Prior(self.family, dims=self.dims or None, **self.params)

    @classmethod
    def from_prior(cls, prior) -> PriorDist:
        """From a ``pymc_extras.prior.Prior`` whose parameters are numbers (not priors)."""
        values = {}
        for k, v in prior.parameters.items():
            if hasattr(v, "parameters"):
                raise PriorError(k, "is itself a prior (hierarchical); edit that prior on its own")
            values[k] = np.asarray(v, dtype=float) if np.ndim(v) else float(v)
        fam = get_family(prior.distribution)
        # a Prior may be written in another parameterization, e.g. Gamma(mu=2, sigma=1)
        parameterization = next(
            (
                label
                for label, spec in fam.alternatives.items()
                if {p.name for p in spec} == set(values)
            ),
            None,
        )
        return cls.create(
            prior.distribution,
            parameterization=parameterization,
            dims=tuple(prior.dims or ()),
            **values,
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``Prior.to_dict()`` form (pymc-marketing's ``model_config`` entries)."""
        out: dict[str, Any] = {
            "dist": self.family,
            "kwargs": {
                k: (v.tolist() if isinstance(v, np.ndarray) else float(v))
                for k, v in self.params.items()
            },
        }
        if self.dims:
            out["dims"] = list(self.dims)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PriorDist:
        if not isinstance(data, dict) or "dist" not in data:
            raise PriorError("dist", f"expected a dict with 'dist' and 'kwargs', got {data!r}")
        kwargs = data.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise PriorError("kwargs", f"expected a dict of parameters, got {kwargs!r}")
        unknown = sorted(set(data) - {"dist", "kwargs", "dims"})
        if unknown:
            raise PriorError(unknown[0], "not a key of a prior's dict (dist, kwargs, dims)")
        return cls.create(
            data["dist"], dims=data.get("dims"), **{str(k): v for k, v in kwargs.items()}
        )

    def code(self) -> str:
        """Python source that rebuilds this prior."""
        args = []
        for k, v in self.params.items():
            if isinstance(v, np.ndarray):
                args.append(f"{k}=np.array([{', '.join(_num(x) for x in v)}])")
            else:
                args.append(f"{k}={_num(v)}")
        if self.dims:
            dims = repr(self.dims[0]) if len(self.dims) == 1 else repr(self.dims)
            args.append(f"dims={dims}")
        return f'Prior("{self.family}", {", ".join(args)})'

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PriorDist):
            return NotImplemented
        return (
            (self.family, self.dims, self.size) == (other.family, other.dims, other.size)
            and all(np.allclose(self.params[k], other.params[k]) for k in self.params)
            and set(self.params) == set(other.params)
        )

    __hash__ = None  # type: ignore[assignment]


def _num(x: float) -> str:
    return f"{float(x):.6g}"


def _check_dims(dims) -> tuple[str, ...]:
    if dims is None:
        return ()
    if isinstance(dims, str):
        dims = (dims,)
    if not isinstance(dims, tuple | list) or not all(isinstance(d, str) and d for d in dims):
        raise PriorError("dims", f"expected a dimension name or a tuple of them, got {dims!r}")
    return tuple(dims)


def _check_type(name: str, value):
    """A number, or a 1-D sequence of numbers (a vector prior); else a PriorError naming ``name``."""
    if is_number(value):
        return value
    if isinstance(value, list | tuple | np.ndarray):
        arr = (
            np.asarray(value)
            if all(is_number(v) for v in np.ravel(np.asarray(value, dtype=object)))
            else None
        )
        if arr is not None and arr.ndim == 1 and arr.size and arr.dtype.kind in "iuf":
            return arr.astype(float)
        what = "an empty sequence" if arr is not None and arr.size == 0 else repr(value)
        raise PriorError(name, f"must be a number or a 1-D sequence of numbers, got {what}")
    raise PriorError(name, f"must be a number, got {value!r}")


def _vector_size(raw: dict, dims: tuple[str, ...], size: int | None) -> int | None:
    sizes = {np.size(v) for v in raw.values() if np.ndim(v) > 0}
    if len(sizes) > 1:
        raise PriorError("params", f"vector parameters have different lengths {sorted(sizes)}")
    if sizes:
        (n,) = sizes
        if size is not None and size != n:
            raise PriorError("size", f"is {size} but the parameters have {n} values")
        size = n
    if size is not None and not dims:
        raise PriorError("dims", "a vector prior needs dims, e.g. dims='channel'")
    if size is not None:
        for k, v in list(raw.items()):
            raw[k] = np.array(np.broadcast_to(np.asarray(v, dtype=float), (size,)))
    return size


def _check_all(p, value) -> str | None:
    for v in np.atleast_1d(value):
        bad = p.check(v)
        if bad:
            return bad if np.ndim(value) == 0 else f"{bad} (an element)"
    return None


def _check_order(fam: Family, raw: dict) -> None:
    if fam.ordered is None:
        return
    a, b = fam.ordered
    if np.any(np.asarray(raw[a]) >= np.asarray(raw[b])):
        raise PriorError(a, f"must be < {b} ({a}={_show(raw[a])}, {b}={_show(raw[b])})")


def _show(v) -> str:
    return _num(v) if np.ndim(v) == 0 else "[" + ", ".join(_num(x) for x in v) + "]"


def _to_canonical(fam: Family, parameterization: str | None, raw: dict) -> dict:
    """Alternative parameters to canonical ones, via PreliZ, element by element."""
    import preliz as pz

    n = None if np.ndim(next(iter(raw.values()))) == 0 else np.size(next(iter(raw.values())))
    out: dict[str, list] = {p.name: [] for p in fam.params}
    for i in range(n or 1):
        values = {k: float(v if n is None else v[i]) for k, v in raw.items()}
        with np.errstate(all="ignore"):
            d = getattr(pz, fam.name)(**values)
        for p in fam.params:
            value = float(getattr(d, p.name))
            bad = p.check(value)
            if bad or not math.isfinite(value):
                shown = ", ".join(f"{k}={_num(v)}" for k, v in values.items())
                raise PriorError(
                    list(values)[-1], f"{shown} gives no valid {fam.name} ({p.name} {bad})"
                )
            out[p.name].append(value)
    return {k: (v[0] if n is None else np.array(v)) for k, v in out.items()}

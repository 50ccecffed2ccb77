"""The options of a fit, in groups: what every fit takes (:class:`FitOptions`), MCMC's
(:class:`McmcOptions`), SVI's (:class:`SviFitOptions`) and a NumPyro model's arguments
(:class:`ModelInputs`).

    options = FitOptions(draws=500, mcmc=McmcOptions(chains=4))
    FitSession(model, backend="nutpie", options=options)
    FitSession(model, backend="nutpie", draws=500, chains=4)        # the same, by keyword
    FitOptions.from_kwargs({"draws": 500, "chains": 4}).mcmc.chains   # 4

Values are checked by the fit's method (:mod:`bayes_widgets.core.fitting.methods`), which
knows which group applies; unknown keywords are a ``TypeError`` naming the allowed ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class McmcOptions:
    """MCMC only: tuning draws and chains (defaults 1000 tuning draws, 2 chains, one core
    per chain), the target acceptance rate, and whether the result keeps the tuning draws."""

    tune: int | None = None
    chains: int | None = None
    cores: int | None = None
    target_accept: float | None = None
    keep_warmup: bool = False


@dataclass(frozen=True)
class SviFitOptions:
    """SVI only: a NumPyro guide or an autoguide's name (default ``"AutoNormal"``), the
    number of optimization steps (default 5000; a converged fit stops earlier), a
    ``numpyro.optim`` optimizer (default Adam(0.01)) and an ELBO (default Trace_ELBO)."""

    guide: Any = None
    steps: int | None = None
    optimizer: Any = None
    loss: Any = None

    def given(self) -> dict[str, Any]:
        """The options set (not None), by name."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


@dataclass(frozen=True)
class ModelInputs:
    """NumPyro only: the model (and guide) is called as ``model(*model_args, **model_kwargs)``."""

    model_args: Sequence[Any] = ()
    model_kwargs: dict[str, Any] | None = None


@dataclass(frozen=True)
class FitOptions:
    """Every option of a fit session; see :class:`~bayes_widgets.core.fitting.session.FitSession`."""

    draws: int = 1000
    """MCMC: draws per chain after tuning. SVI: draws sampled from the fitted guide."""
    seed: int | None = None
    var_names: Sequence[str] | None = None
    """Scalars to trace live (MCMC) or sites to summarize live (SVI)."""
    allow_missing: bool = False
    """PyMC: impute missing observed values instead of refusing them."""
    rate_hz: float = 10.0
    """Progress and trace events per second at most."""
    sampler_kwargs: dict[str, Any] | None = None
    """Backend options (``pm.sample``'s, ``nutpie.sample``'s, NUTS', or ``run_svi``'s)."""
    mcmc: McmcOptions = field(default_factory=McmcOptions)
    svi: SviFitOptions = field(default_factory=SviFitOptions)
    inputs: ModelInputs = field(default_factory=ModelInputs)

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any], options: FitOptions | None = None) -> FitOptions:
        """``options`` (or the defaults) with the options named in ``kwargs`` replaced, each
        put in its group; an unknown name is a TypeError."""
        base = options if options is not None else cls()
        groups: dict[str, dict[str, Any]] = {"mcmc": {}, "svi": {}, "inputs": {}}
        top: dict[str, Any] = {}
        for key, value in kwargs.items():
            group = _GROUP_OF.get(key)
            if group is None:
                raise TypeError(
                    f"unexpected keyword argument {key!r}; allowed: {', '.join(sorted(_GROUP_OF))}"
                )
            (top if group == "" else groups[group])[key] = value
        for name, values in groups.items():
            if values:
                top[name] = dataclasses.replace(getattr(base, name), **values)
        return dataclasses.replace(base, **top) if top else base


_GROUP_OF: dict[str, str] = {
    **{f.name: "" for f in fields(FitOptions) if f.name not in ("mcmc", "svi", "inputs")},
    **{f.name: "mcmc" for f in fields(McmcOptions)},
    **{f.name: "svi" for f in fields(SviFitOptions)},
    **{f.name: "inputs" for f in fields(ModelInputs)},
}
"""Each keyword of a fit, and the group it belongs to ('' for :class:`FitOptions` itself)."""

"""NumPyro SVI as a fit-session backend: a live loss curve, then draws from the guide.

bw.fit(model, backend="numpyro-svi", guide="AutoNormal", steps=5000,
       optimizer=numpyro.optim.Adam(0.01), model_args=(x,), model_kwargs={"y": y})
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from bayes_widgets.core.checks import finite_or_none
from bayes_widgets.core.fitting.backends.base import Backend, Control, FitConfig
from bayes_widgets.core.fitting.backends.numpyro_common import (
    check_model_args,
    check_numpyro_model,
    import_numpyro,
    inspect_model,
)
from bayes_widgets.core.fitting.svi_options import DEFAULT_STEPS, SviHooks, SviOptions
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.core.model_info import parse_trace_name

if TYPE_CHECKING:  # pragma: no cover
    from bayes_widgets.core.fitting.svi import SVIRunResult

DEFAULT_GUIDE = "AutoNormal"
MAX_SUMMARY_SITES = 8
"""Sites in the live parameter table by default."""
SUMMARY_QUANTILES = (0.05, 0.5, 0.95)


def resolve_guide(guide, model):
    """A callable guide from ``guide`` (None, an autoguide name or class, or a guide)."""
    import_numpyro()
    from numpyro.infer import autoguide

    if guide is None:
        guide = DEFAULT_GUIDE
    if isinstance(guide, str):
        cls = getattr(autoguide, guide, None)
        if (
            not (isinstance(cls, type) and issubclass(cls, autoguide.AutoGuide))
            or guide == "AutoGuide"
        ):
            names = sorted(
                n
                for n in dir(autoguide)
                if n.startswith("Auto") and n not in ("AutoGuide", "AutoContinuous")
            )
            raise FitInputError(
                "guide",
                f"unknown autoguide {guide!r}; choose from {', '.join(names)} or pass a guide function",
            )
        return cls(model)
    if isinstance(guide, type) and issubclass(guide, autoguide.AutoGuide):
        return guide(model)
    if not callable(guide):
        raise FitInputError(
            "guide",
            f"expected a NumPyro guide (a function or an AutoGuide), got {type(guide).__name__}",
        )
    return guide


class NumPyroSVIBackend(Backend):
    """Stochastic variational inference with NumPyro.

    The optimisation is :func:`bayes_widgets.core.fitting.svi.run_svi`: jitted ``lax.scan``
    chunks of ``svi.update`` (one host transfer per chunk, compiled once), with a
    convergence test and ``should_stop`` between chunks. This backend hands each
    chunk's losses and the current parameters to the session's
    :class:`~bayes_widgets.core.fitting.state.LossState`, pauses and cancels between chunks
    (keeping the parameters of the last finished chunk), and at the end samples
    ``draws`` posterior draws (latent and deterministic sites) from the fitted guide
    with ``numpyro.infer.Predictive``, so the result has a ``posterior`` group like an
    MCMC fit.

    ``guide`` is a NumPyro guide function, an ``AutoGuide`` instance or class, or the
    name of an autoguide in ``numpyro.infer.autoguide`` (default ``"AutoNormal"``).
    ``sampler_kwargs`` go to ``run_svi``: ``chunk``, ``convergence``, ``window``,
    ``minibatch``, ``init_params``, ``init_state``, ``check_sites``, ``progress_params``.
    """

    name: ClassVar[str] = "numpyro-svi"
    method: ClassVar[str] = "svi"
    supports_pause: ClassVar[bool] = True
    compiles_in_run: ClassVar[bool] = True

    def __init__(self, model, config: FitConfig, var_names=None, *, allow_missing: bool = False):
        self.run_result: SVIRunResult | None = None
        """What run_svi returned (None before the run ends)."""
        self._rate: float | None = None
        super().__init__(model, config, var_names, allow_missing=allow_missing)

    # -- checks --------------------------------------------------------------------
    def check_model(self, *, allow_missing: bool) -> None:
        check_numpyro_model(self.model)
        check_model_args(self.config)
        import_numpyro()
        cfg = self.config
        names = SviOptions.names()
        unknown = sorted(set(cfg.sampler_kwargs) - set(names))
        if unknown:
            raise FitInputError(
                "sampler_kwargs",
                f"unknown SVI option {unknown[0]!r}; choose from {', '.join(names)}",
            )
        self.options = SviOptions(**cfg.sampler_kwargs)
        if cfg.optimizer is not None and not (
            hasattr(cfg.optimizer, "init") and hasattr(cfg.optimizer, "update")
        ):
            raise FitInputError(
                "optimizer",
                f"expected a numpyro.optim optimiser such as numpyro.optim.Adam(0.01), got {type(cfg.optimizer).__name__}",
            )
        if cfg.loss is not None and not hasattr(cfg.loss, "loss"):
            raise FitInputError(
                "loss",
                f"expected an ELBO such as numpyro.infer.Trace_ELBO(), got {type(cfg.loss).__name__}",
            )
        self.info = inspect_model(self.model, cfg.model_args, cfg.model_kwargs)
        self.guide = resolve_guide(cfg.guide, self.model)
        self.guide_name = (
            type(self.guide).__name__
            if not _is_function(self.guide)
            else getattr(self.guide, "__name__", "guide")
        )
        if self.info.improper and not self._is_autoguide():
            self._check_guide_covers_improper()

    def _check_guide_covers_improper(self) -> None:
        """An improper prior (``dist.ImproperUniform``) cannot be sampled: the guide must
        sample that site, or the model would try to draw it from its prior."""
        from numpyro import handlers

        cfg = self.config
        try:
            trace = handlers.trace(handlers.seed(self.guide, rng_seed=0)).get_trace(
                *cfg.model_args, **dict(cfg.model_kwargs)
            )
        except Exception as exc:
            raise FitInputError(
                "guide",
                f"calling the guide with model_args/model_kwargs failed: {type(exc).__name__}: {exc}",
            ) from exc
        sampled = {
            n for n, s in trace.items() if s["type"] == "sample" and not s.get("is_observed", False)
        }
        missing = [n for n in self.info.improper if n not in sampled]
        if missing:
            raise FitInputError(
                "guide",
                f"site {missing[0]!r} of the model has an improper prior (it cannot be sampled), and the "
                f"guide {self.guide_name!r} does not sample it: sample {missing[0]!r} in the guide, or use "
                "an autoguide such as guide='AutoNormal' or 'AutoDelta'",
            )

    def resolve_trace_names(self, var_names) -> tuple[str, ...]:
        """Sites shown in the live parameter table (whole sites, not elements)."""
        shapes = self.info.shapes
        if var_names is None:
            return tuple(list(self.info.latent)[:MAX_SUMMARY_SITES])
        if isinstance(var_names, str):
            var_names = [var_names]
        out = []
        for raw in var_names:
            base, _ = parse_trace_name(str(raw))
            if base not in shapes:
                raise FitInputError(
                    "var_names",
                    f"{raw!r} is not a latent or deterministic site of the model (choose from {', '.join(shapes)})",
                )
            out.append(base)
        return tuple(dict.fromkeys(out))

    # -- run -----------------------------------------------------------------------
    def prepare(self, control: Control) -> None:
        """Nothing to do before ``run_svi``, which compiles its chunk on the first call."""

    def run(self, control: Control):
        from bayes_widgets.core.fitting.svi import run_svi

        cfg = self.config
        state = control.losses
        summarize = self._summarizer()
        t_first: list[float | None] = [None]

        def on_chunk(progress) -> None:
            self._rate = progress.steps_per_s
            if t_first[0] is None:
                t_first[0] = time.perf_counter()
                control.compiled()
            state.record_chunk(
                progress.losses,
                steps_per_s=progress.steps_per_s,
                converged=progress.converged,
                params=progress.params,
            )

        def should_stop() -> bool:
            if control.pause_requested.is_set() and not control.cancelled:
                state.set_paused(True)
                while control.pause_requested.is_set() and not control.cancelled:
                    time.sleep(0.02)
                state.set_paused(False)
            return control.cancelled

        state.set_param_summarizer(summarize)
        options = self.options
        if self._is_autoguide() and "check_sites" not in cfg.sampler_kwargs:
            # an autoguide is built from the model's own sites: nothing to check (and the
            # check would take the auxiliary site of AutoContinuous guides for a typo)
            options = dataclasses.replace(options, check_sites=False)
        seed = cfg.seed if cfg.seed is not None else int(np.random.default_rng().integers(2**31))
        self._seed = seed
        result = run_svi(
            self.model,
            self.guide,
            steps=cfg.steps or DEFAULT_STEPS,
            optimizer=cfg.optimizer,
            loss=cfg.loss,
            seed=seed,
            model_args=cfg.model_args,
            model_kwargs=cfg.model_kwargs,
            options=options,
            hooks=SviHooks(on_chunk=on_chunk, should_stop=should_stop),
        )
        self.run_result = result
        control.compiled()  # a run that ended before its first chunk
        if result.params:
            state.record_chunk(
                np.zeros(0), steps_per_s=None, converged=result.converged, params=result.params
            )
        return self._posterior(result)

    def _is_autoguide(self) -> bool:
        from numpyro.infer.autoguide import AutoGuide

        return isinstance(self.guide, AutoGuide)

    def _posterior(self, result):
        """``draws`` samples of the latent and deterministic sites from the fitted guide."""
        if not result.params:
            return None
        import jax
        import xarray as xr
        from numpyro.infer import Predictive

        cfg = self.config
        model, guide, args, kwargs = self._full_batch()
        sites = [*self.info.latent, *self.info.deterministic]
        if self.info.deterministic:
            predictive = Predictive(
                model,
                guide=guide,
                params=result.params,
                num_samples=cfg.draws,
                return_sites=sites,
                parallel=True,
            )
        else:  # the guide alone gives every latent site: the model (and its data) is not run
            predictive = Predictive(
                guide,
                params=result.params,
                num_samples=cfg.draws,
                return_sites=sites,
                parallel=True,
            )
        with warnings.catch_warnings():
            # the full-batch substitution gives the subsampled plate every index on purpose
            warnings.filterwarnings(
                "ignore", message="subsample_size does not match", category=UserWarning
            )
            draws = predictive(jax.random.PRNGKey(self._seed + 1), *args, **kwargs)
        posterior = {}
        for name in sites:
            if name not in draws:
                continue
            arr = np.asarray(draws[name])[None]
            dims = self.info.dims.get(name, ())
            if arr.ndim - 2 != len(dims):  # a shape other than the model's first run gave
                dims = tuple(f"{name}_dim_{i}" for i in range(arr.ndim - 2))
            posterior[name] = (("chain", "draw", *dims), arr)
        children = {
            "posterior": xr.DataTree(
                xr.Dataset(
                    posterior,
                    coords={"chain": [0], "draw": np.arange(cfg.draws)},
                    attrs={
                        "inference_library": "numpyro",
                        "method": "svi",
                        "guide": self.guide_name,
                        "svi_steps": int(result.steps),
                    },
                )
            ),
        }
        if self.info.observed:
            observed = {name: (self.info.dims[name], v) for name, v in self.info.observed.items()}
            children["observed_data"] = xr.DataTree(xr.Dataset(observed))
        return xr.DataTree(children=children)

    def _full_batch(self):
        """Model, guide and arguments that cover every row (no minibatch subsampling)."""
        import jax.numpy as jnp
        from numpyro import handlers

        cfg = self.config
        args, kwargs = tuple(cfg.model_args), dict(cfg.model_kwargs)
        minibatch = self.options.minibatch
        model, guide = self.model, self.guide
        if minibatch is not None:
            every = jnp.arange(minibatch.total, dtype=jnp.int32)
            if minibatch.plate is not None:
                model = handlers.substitute(model, data={minibatch.plate: every})
                guide = handlers.substitute(guide, data={minibatch.plate: every})
            elif minibatch.kwarg is not None:
                kwargs[minibatch.kwarg] = every
        return model, guide, args, kwargs

    def _summarizer(self):
        """Turns raw guide parameters into the rows of the live parameter table.

        The guide's quantiles (or median) are computed by one jitted function, compiled
        on first use: op-by-op eager JAX compiles every operation the first time, which
        took seconds on a loaded machine."""
        import jax

        guide, sites = self.guide, self.trace_names
        shapes = self.info.shapes
        fns: dict[str, Any] = {}
        if hasattr(guide, "quantiles"):
            fns["quantiles"] = jax.jit(lambda p: guide.quantiles(p, list(SUMMARY_QUANTILES)))
        if hasattr(guide, "median"):
            fns["median"] = jax.jit(guide.median)
        broken: set[str] = set()

        def rows(params: dict[str, Any]) -> list[dict[str, Any]]:
            if not params:
                return []
            for kind, fn in fns.items():
                if kind in broken:
                    continue
                try:
                    values = fn(params)
                except Exception:
                    broken.add(kind)
                    continue
                out = []
                for name in sites:
                    if name in values:
                        q = np.asarray(values[name])
                        out.append(
                            _site_row(name, shapes.get(name), q if kind == "quantiles" else q[None])
                        )
                if out:
                    return out
            return [
                _param_row(name, np.asarray(params[name]))
                for name in sorted(params)[: 2 * MAX_SUMMARY_SITES]
            ]

        return rows

    # -- result ----------------------------------------------------------------------
    def result_extras(self) -> dict[str, Any]:
        r = self.run_result
        if r is None:
            return {
                "cancelled": True,
                "message": "Cancelled before the first chunk; nothing was fitted.",
            }
        losses = np.asarray(r.losses, dtype=float)
        final = float(losses[-1]) if losses.size else None
        requested = self.config.steps
        draws = self.config.draws if r.params else 0
        tail = f"; {draws} draws sampled from the guide." if draws else "."
        if r.cancelled:
            message = f"Cancelled at step {r.steps} of {requested}: the parameters after step {r.steps} are kept{tail}"
        elif r.converged:
            message = f"Converged at step {r.steps} of {requested} (final loss {final:.6g}){tail}"
        elif r.message.startswith("stopped"):
            message = f"Stopped: {r.message.removeprefix('stopped: ')}{tail}"
        else:
            message = (
                f"Finished: {r.steps} steps (final loss {final:.6g}){tail}"
                if final is not None
                else "Finished."
            )
        return {
            "params": r.params,
            "losses": losses,
            "steps": int(r.steps),
            "converged": bool(r.converged),
            "cancelled": bool(r.cancelled),
            "state": r.state,
            "final_loss": final,
            "steps_per_s": self._rate,
            "compile_s": r.compile_s,
            "guide_name": self.guide_name,
            "message": message,
        }


def _is_function(obj) -> bool:
    import types

    return isinstance(obj, types.FunctionType | types.MethodType)


def _site_row(name: str, shape, q: np.ndarray) -> dict[str, Any]:
    """q: (len(quantiles), *shape), or (1, *shape) for a median alone."""
    shape = tuple(shape) if shape is not None else tuple(q.shape[1:])
    flat = q.reshape(q.shape[0], -1)
    mid = flat[len(flat) // 2]
    if flat.shape[1] == 1:
        lo, hi = (flat[0, 0], flat[-1, 0]) if len(flat) > 1 else (np.nan, np.nan)
        return {
            "name": name,
            "shape": list(shape),
            "value": finite_or_none(mid[0]),
            "lo": finite_or_none(lo),
            "hi": finite_or_none(hi),
            "kind": "interval" if len(flat) > 1 else "value",
        }
    return {
        "name": name,
        "shape": list(shape),
        "value": finite_or_none(mid.mean()),
        "lo": finite_or_none(mid.min()),
        "hi": finite_or_none(mid.max()),
        "kind": "range",
    }


def _param_row(name: str, value: np.ndarray) -> dict[str, Any]:
    flat = np.asarray(value, dtype=float).ravel()
    if flat.size == 1:
        return {
            "name": name,
            "shape": list(value.shape),
            "value": finite_or_none(flat[0]),
            "lo": None,
            "hi": None,
            "kind": "value",
        }
    return {
        "name": name,
        "shape": list(value.shape),
        "value": finite_or_none(flat.mean()),
        "lo": finite_or_none(flat.min()),
        "hi": finite_or_none(flat.max()),
        "kind": "range",
    }

"""Checks that an SVI guide samples exactly the latent sites of its model.

check_guide_sites(model, guide, x, y=y)   # FitInputError naming a site in one but not the other
"""

from __future__ import annotations

from typing import Any

from bayes_widgets.core.fitting.backends.numpyro_common import join_args, split_args
from bayes_widgets.core.fitting.validation import FitInputError


def _site_summary(site) -> dict[str, Any]:
    return {
        "type": site["type"],
        "is_observed": bool(site.get("is_observed", False)),
        "is_auxiliary": bool((site.get("infer") or {}).get("is_auxiliary", False)),
    }


def _latent_sites(trace) -> dict[str, Any]:
    return {
        name: site
        for name, site in trace.items()
        if site["type"] == "sample"
        and not site.get("is_observed", False)
        and not site.get("is_auxiliary", False)
    }


def check_guide_sites(model, guide, *args, **kwargs) -> None:
    """Raise :class:`FitInputError` unless the guide samples exactly the model's latent sites.

    NumPyro links model and guide by the names of sample sites only: a site the guide
    names differently (a typo) is silently drawn from its prior in the model and ignored
    in the guide. This traces both once (on the host, with a fixed seed) and names the
    first site that is in one but not the other. Sites whose value the model computes
    (``numpyro.deterministic``, ``obs=...``, ``numpyro.factor``) are not latent.
    """
    import jax
    from numpyro import handlers

    setup_autoguide(guide, args, kwargs)
    treedef, mask, dynamic, static = split_args(args, kwargs)
    traces: dict[str, Any] = {}

    def record(dynamic):
        a, k = join_args(treedef, mask, dynamic, static)
        key_g, key_m = jax.random.split(jax.random.PRNGKey(0))
        guide_trace = handlers.trace(handlers.seed(guide, key_g)).get_trace(*a, **k)
        model_trace = handlers.trace(
            handlers.replay(handlers.seed(model, key_m), guide_trace)
        ).get_trace(*a, **k)
        traces["guide"] = {n: _site_summary(s) for n, s in guide_trace.items()}
        traces["model"] = {n: _site_summary(s) for n, s in model_trace.items()}
        return 0

    # traced abstractly: nothing is computed or compiled, only the site names are kept
    jax.make_jaxpr(record)(dynamic)
    guide_trace, model_trace = traces["guide"], traces["model"]
    in_guide = set(_latent_sites(guide_trace))
    in_model = set(_latent_sites(model_trace))
    # a guide site the model observes is a mismatch too
    observed_in_model = {
        n for n, s in model_trace.items() if s["type"] == "sample" and s.get("is_observed", False)
    }
    for name in sorted(in_guide - in_model):
        hint = " (the model observes it)" if name in observed_in_model else ""
        close = _closest(name, in_model - in_guide)
        raise FitInputError(
            f"guide.{name}",
            f"the guide samples {name!r} but the model has no latent site of that name{hint}"
            + (f"; did you mean {close!r}?" if close else ""),
        )
    for name in sorted(in_model - in_guide):
        close = _closest(name, in_guide - in_model)
        raise FitInputError(
            f"model.{name}",
            f"latent site {name!r} of the model is not sampled by the guide"
            + (f"; did you mean {close!r}?" if close else ""),
        )


def setup_autoguide(guide, args, kwargs) -> None:
    """An AutoGuide builds its prototype on its first call by running the model: do that
    eagerly, outside any trace, so that no tracer is stored in the guide."""
    if getattr(guide, "prototype_trace", False) is None:
        import jax
        from numpyro import handlers

        handlers.seed(guide, jax.random.PRNGKey(0))(*args, **kwargs)


def _closest(name: str, candidates: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None

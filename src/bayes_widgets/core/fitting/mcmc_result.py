"""What an MCMC fit's result holds: the draws in the model's order, tuning draws dropped
unless kept, the variables' kinds, and what a cancelled fit kept, in words.

    tree, message, done = mcmc_draws(idata, config, model, made, cancelled=True,
                                     draws_completed=None)
"""

from __future__ import annotations

import numpy as np

from bayes_widgets.core.fitting.backends.base import FitConfig
from bayes_widgets.core.fitting.trim import chain_lengths, trim_partial


def mcmc_draws(
    idata,
    config: FitConfig,
    model,
    made: tuple[int, ...],
    *,
    cancelled: bool,
    draws_completed: tuple[int, ...] | None,
) -> tuple[object, str, tuple[int, ...]]:
    """The result's draws, its message ('' when not cancelled) and the draws finished per
    chain, tuning included. ``made`` counts each chain's draws as the session saw them."""
    done = draws_completed or draws_in(idata, config.chains) or made
    message = ""
    if cancelled:
        idata, dropped = trim_partial(idata)
        message = cancel_message(idata, config, made, dropped)
        if _draws_of(idata, "posterior") > 0 and not config.keep_warmup:
            idata = drop_warmup(idata)
    elif not config.keep_warmup and idata is not None:
        idata = drop_warmup(idata)
    if idata is not None:
        idata = in_model_order(idata, model_order(model))
    return idata, message, done


def variable_kinds_of(idata, deterministics: list[str] | None) -> dict[str, str] | None:
    """'free' or 'deterministic' per posterior variable, from the model's deterministics
    (recorded in the posterior's attrs); None when the backend cannot tell."""
    has_posterior = idata is not None and "posterior" in idata.children
    if not has_posterior or deterministics is None:
        return None if deterministics is None else {}
    idata["posterior"].attrs["bw_deterministics"] = ",".join(deterministics)
    names = idata["posterior"].to_dataset().data_vars
    return {n: "deterministic" if n in deterministics else "free" for n in names}


def cancel_message(idata, config: FitConfig, made: tuple[int, ...], dropped: list[int]) -> str:
    """What a cancelled fit kept, per chain, as counted in the result's groups."""
    tune, draws, chains = config.tune, config.draws, config.chains
    n_warm = _draws_of(idata, "warmup_posterior")
    n_post = _draws_of(idata, "posterior")
    kept_chains = _chains_of(idata, "posterior" if n_post else "warmup_posterior")
    made_tune = [min(n, tune) for n in made]
    made_post = [max(n - tune, 0) for n in made]
    if not n_post:
        text = (
            "Cancelled during tuning: no posterior draws; "
            f"{n_warm} of {tune} tuning draws per chain kept in 'warmup_posterior'"
            if n_warm
            else "Cancelled before the first draw: nothing to keep"
        )
        if n_warm and len(set(made_tune)) > 1:
            text += f" (made per chain: {', '.join(map(str, made_tune))}; cut to the shortest)"
        return text + "."
    text = f"Cancelled: {n_post} of {draws} draws per chain kept in 'posterior'"
    if config.keep_warmup and n_warm:
        text += f", with {n_warm} tuning draws per chain in 'warmup_posterior'"
    started = [n for n in made_post if n > 0]
    if len(set(started)) > 1:
        text += f" (made per chain: {', '.join(map(str, made_post))}; cut to the shortest)"
    text += " (partial result)."
    if dropped:
        text += f" Chains {dropped} had no draws after tuning yet and were dropped."
    elif kept_chains and kept_chains < chains:
        empty = [c for c, n in enumerate(made_post) if n == 0]
        why = (
            f"chain{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))} had no draws after tuning"
            if empty
            else "the sampler keeps the longest chains of an interrupted fit"
        )
        text += f" {kept_chains} of {chains} chains kept ({why})."
    return text


def draws_in(tree, chains: int) -> tuple[int, ...] | None:
    """Draws per chain (tuning included) in a backend's untrimmed trace, if it has them."""
    if tree is None:
        return None
    total = np.zeros(chains, dtype=int)
    found = False
    for stats_group in ("warmup_sample_stats", "sample_stats"):
        if stats_group in tree.children:
            lengths = chain_lengths(tree[stats_group].to_dataset())
            if lengths is not None and len(lengths) == chains:
                total += lengths
                found = True
    return tuple(int(n) for n in total) if found else None


def _draws_of(tree, group: str) -> int:
    if tree is None or group not in tree.children:
        return 0
    return int(tree[group].to_dataset().sizes.get("draw", 0))


def _chains_of(tree, group: str) -> int:
    if tree is None or group not in tree.children:
        return 0
    return int(tree[group].to_dataset().sizes.get("chain", 0))


def model_order(model) -> list[str] | None:
    """A PyMC model's variables as written: its free variables (``model.free_RVs``), then
    its deterministics; None for a model that does not list them (NumPyro's samples
    already come in the order of the model's sites)."""
    free = getattr(model, "free_RVs", None)
    if free is None:
        return None
    return [rv.name for rv in free] + [d.name for d in getattr(model, "deterministics", ())]


def in_model_order(tree, order: list[str] | None):
    """``tree`` with the variables of its posterior groups in ``order`` (variables it does
    not name keep their place after those). nutpie writes a model's untransformed free
    variables before the transformed ones (eight schools: mu, theta, tau); the summary,
    the monitor and the explorer list them as the model does (mu, tau, theta)."""
    if not order:
        return tree
    rank = {name: i for i, name in enumerate(order)}
    for group in ("posterior", "warmup_posterior"):
        if group not in tree.children:
            continue
        ds = tree[group].to_dataset()
        names = list(ds.data_vars)
        ordered = sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))
        if ordered != names:
            tree[group] = ds[ordered]
    return tree


def drop_warmup(tree):
    """``tree`` without its ``warmup_*`` groups, removed in place (the backend's trace is
    the session's own)."""
    for name in [k for k in tree.children if k.startswith("warmup_")]:
        del tree[name]
    return tree

"""``%load_ext bayes_widgets``: fitted results and models that explain themselves.

After ``%load_ext bayes_widgets`` in IPython or Jupyter:

* a fit (a ``FitResult``, or an ``xarray.DataTree``/ArviZ InferenceData with a posterior)
  shows a :class:`PosteriorExplorer`;
* a PyMC model shows a model card: its variables, their distributions, dims and shapes,
  what each depends on, and a button that opens the prior editor on it;
* a fleet result shows its :class:`FleetBoard`;
* ``%fit model [backend=nutpie draws=1000 ...]`` fits ``model`` with a live
  :class:`FitMonitor`; ``%%fit [options]`` runs the cell, then fits the one PyMC model it
  defined (``model=NAME`` picks one when it defined several).

``%unload_ext bayes_widgets`` puts IPython's display formatters back as they were.
Loading registers these hooks and nothing else.
"""

from __future__ import annotations

import ast
import shlex
from typing import Any

_HOOKS: list[tuple[str, str, str]] = [
    # (module, class name, function in this module)
    ("bayes_widgets.core.fitting.result", "FitResult", "_fit_bundle"),
    ("xarray.core.datatree", "DataTree", "_tree_bundle"),
    ("arviz.data.inference_data", "InferenceData", "_tree_bundle"),
    ("pymc.model.core", "Model", "_model_bundle"),
    ("bayes_widgets.core.mmm.fleets", "FleetResult", "_fleet_bundle"),
    ("bayes_widgets.core.fleet.runs", "FleetRun", "_fleet_bundle"),
]

_state: dict[str, Any] = {}


# ------------------------------------------------------------------ display hooks
def _bundle(widget) -> tuple[dict, dict]:
    data = widget._repr_mimebundle_()
    return data if isinstance(data, tuple) else (data, {})


def _has_posterior(tree: Any) -> bool:
    children: Any = getattr(tree, "children", None)
    if children is not None:
        return "posterior" in children
    groups: Any = getattr(tree, "groups", None)
    if not callable(groups):
        return False
    names: Any = groups()
    return "posterior" in names


def _fit_bundle(result):
    if result.idata is None or not _has_posterior(result.idata):
        return None  # nothing drawn: the plain representation says why
    from bayes_widgets.widgets.posterior_explorer import PosteriorExplorer

    return _bundle(PosteriorExplorer(result))


def _tree_bundle(tree):
    if not _has_posterior(tree):
        return None
    from bayes_widgets.widgets.posterior_explorer import PosteriorExplorer

    return _bundle(PosteriorExplorer(tree))


def _model_bundle(model):
    from bayes_widgets.widgets.model_card import ModelCard

    return _bundle(ModelCard(model))


def _fleet_bundle(result):
    out = getattr(result, "out", None)
    if out is None:
        return None
    from bayes_widgets.widgets.fleet_board import FleetBoard

    return _bundle(FleetBoard(out))


# ------------------------------------------------------------------ magics
def parse_options(line: str) -> tuple[list[str], dict[str, Any]]:
    """``"model draws=500 backend='nutpie'"`` -> ``(["model"], {"draws": 500, "backend": "nutpie"})``;
    values are Python literals, or plain words taken as strings."""
    words, options = [], {}
    for token in shlex.split(line):
        if "=" in token:
            key, _, raw = token.partition("=")
            if not key.isidentifier():
                raise ValueError(f"{token!r}: options are key=value with a Python name as key")
            try:
                options[key] = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                options[key] = raw
        else:
            words.append(token)
    return words, options


def _register_magics(ip) -> None:
    from IPython.core.magic import Magics, line_cell_magic, magics_class

    @magics_class
    class BayesMagics(Magics):
        @line_cell_magic
        def fit(self, line: str, cell: str | None = None):
            """``%fit MODEL [key=value ...]``, or ``%%fit [model=NAME] [key=value ...]`` on a
            cell that defines a PyMC model: fit it with a live FitMonitor (options go to
            FitMonitor: backend, draws, tune, chains, seed, ...)."""
            import pymc as pm

            from bayes_widgets.widgets.fit_monitor import FitMonitor

            words, options = parse_options(line)
            shell = self.shell
            if shell is None:  # a magic always runs in a shell; this tells the type checker
                raise RuntimeError("%fit needs an IPython shell")
            ns = shell.user_ns
            if cell is None:
                if len(words) != 1:
                    raise ValueError("%fit: give one model, e.g. `%fit model draws=500`")
                model = ns.get(words[0])
                if not isinstance(model, pm.Model):
                    raise ValueError(f"%fit: {words[0]!r} is not a PyMC model in this namespace")
                return FitMonitor(model, **options)
            before = {k: id(v) for k, v in ns.items() if isinstance(v, pm.Model)}
            result = shell.run_cell(cell)
            if not result.success:
                return None
            new = {
                k: v for k, v in ns.items() if isinstance(v, pm.Model) and before.get(k) != id(v)
            }
            name = options.pop("model", None) or (words[0] if words else None)
            if name is not None:
                if name not in new and not isinstance(ns.get(name), pm.Model):
                    raise ValueError(f"%%fit: model={name!r} is not a PyMC model defined here")
                model = ns[name]
            elif len(new) == 1:
                model = next(iter(new.values()))
            else:
                found = sorted(new) or "none"
                raise ValueError(
                    f"%%fit: the cell must define one PyMC model (found {found}); pick one with model=NAME"
                )
            monitor = FitMonitor(model, **options)
            ns["monitor"] = monitor
            return monitor

    ip.register_magics(BayesMagics)
    _state["magics"] = BayesMagics


def _unregister_magics(ip) -> None:
    magics = ip.magics_manager.magics
    for kind in ("line", "cell"):
        if magics[kind].get("fit") is not None and _state.get("magics") is not None:
            owner = getattr(magics[kind]["fit"], "__self__", None)
            if isinstance(owner, _state["magics"]):
                del magics[kind]["fit"]
    _state.pop("magics", None)


# ------------------------------------------------------------------ load / unload
def load(ip) -> None:
    if _state.get("loaded"):
        return
    fmt = ip.display_formatter.mimebundle_formatter
    _state["before"] = (dict(fmt.type_printers), dict(fmt.deferred_printers))
    funcs = set()
    for module, name, fn in _HOOKS:
        func = globals()[fn]
        funcs.add(func)
        fmt.for_type_by_name(module, name, func)
    _state["funcs"] = funcs
    _register_magics(ip)
    _state["loaded"] = True


def unload(ip) -> None:
    if not _state.get("loaded"):
        return
    fmt = ip.display_formatter.mimebundle_formatter
    ours = _state["funcs"]
    types_before, deferred_before = _state["before"]
    for table in (fmt.type_printers, fmt.deferred_printers):
        for key, func in list(table.items()):
            if func in ours:
                del table[key]
    for key, func in deferred_before.items():
        if key not in fmt.deferred_printers and not any(
            getattr(t, "__module__", None) == key[0] and t.__name__ == key[1]
            for t in fmt.type_printers
        ):
            fmt.deferred_printers[key] = func
    for key, func in types_before.items():
        fmt.type_printers.setdefault(key, func)
    _unregister_magics(ip)
    _state.clear()

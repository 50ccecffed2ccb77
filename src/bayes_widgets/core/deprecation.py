"""Old public names kept as deprecated aliases of their new names.

    summarise = deprecated_alias(summarize, "summarise")       # a function
    class DecisionProblem:
        optimise = deprecated_alias(optimize, "optimise")       # a method, same way
    renamed_kwargs(kwargs, {"optimise_options": "optimize_options"}, where="DecisionExplorer")

    @old_keywords(parameterisation="parameterization")          # a keyword of a function
    def create(family, *, parameterization=None): ...

    class ModelCard(BayesWidget):
        graph_json = renamed_trait("graph_json", "graph_figure")  # a widget's trait, read

Using an old name works as before and warns with a ``DeprecationWarning`` naming the new
name, pointing at the caller's line.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, cast


def deprecated_alias[F: Callable[..., Any]](new: F, old_name: str) -> F:
    """``new`` under its old name: same behaviour, with a warning pointing to ``new``."""

    @functools.wraps(new)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"{old_name} is deprecated; use {new.__name__} (same arguments)",
            DeprecationWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    alias.__name__ = old_name
    alias.__doc__ = f"Deprecated alias of :func:`{new.__name__}`."
    return alias  # type: ignore[return-value]


def renamed_kwargs(kwargs: dict[str, Any], renames: Mapping[str, str], *, where: str) -> None:
    """Moves each old keyword in ``kwargs`` to its new name (in place), warning once each;
    passing both the old and the new name is an error naming both."""
    for old, new in renames.items():
        if old not in kwargs:
            continue
        if new in kwargs:
            raise TypeError(f"{where}: {old} is the deprecated name of {new}; pass only {new}")
        warnings.warn(
            f"{where}: the argument {old} is deprecated; use {new}",
            DeprecationWarning,
            stacklevel=3,
        )
        kwargs[new] = kwargs.pop(old)


def old_keywords(**renames: str):
    """A decorator: the function also takes each old keyword (``old="new"``), warning and
    passing its value under the new name (:func:`renamed_kwargs`)."""

    def decorate[F: Callable[..., Any]](fn: F) -> F:
        where = getattr(fn, "__qualname__", repr(fn))

        @functools.wraps(fn)
        def accepting_old(*args: Any, **kwargs: Any) -> Any:
            renamed_kwargs(kwargs, renames, where=where)  # warns at this call's caller
            return fn(*args, **kwargs)

        return cast(F, accepting_old)

    return decorate


def renamed_trait(old: str, new: str) -> property:
    """A read-only property under a trait's old name: warns, then gives the trait ``new``.

    Assign it in the widget's class body under the name ``old``; the warning names the
    widget's class and the new trait."""

    def read(self: Any) -> Any:
        cls = type(self).__name__
        warnings.warn(
            f"{cls}.{old} is deprecated; use {cls}.{new}", DeprecationWarning, stacklevel=2
        )
        return getattr(self, new)

    read.__name__ = old
    return property(read, doc=f"Deprecated: the old name of ``{new}``.")


__all__ = ["deprecated_alias", "old_keywords", "renamed_kwargs", "renamed_trait"]

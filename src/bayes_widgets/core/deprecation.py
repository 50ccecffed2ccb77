"""Old public names kept as deprecated aliases of their new names.

    summarise = deprecated_alias(summarize, "summarise")       # a function
    class DecisionProblem:
        optimise = deprecated_alias(optimize, "optimise")       # a method, same way
    renamed_kwargs(kwargs, {"optimise_options": "optimize_options"}, where="DecisionExplorer")

Calling an alias works as before and warns once per call site with a
``DeprecationWarning`` naming the new name.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any


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


__all__ = ["deprecated_alias", "renamed_kwargs"]

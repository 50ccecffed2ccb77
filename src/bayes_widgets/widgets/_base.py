"""Shared widget machinery: the BokehJS carrier, inline errors, strict keyword arguments."""

from __future__ import annotations

import traceback
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import ipywidgets
import traitlets

import bayes_widgets

STATIC = Path(str(files("bayes_widgets").joinpath("static")))


def static_file(name: str) -> Path:
    """A built front-end file; a clear error if the front end was never built."""
    path = STATIC / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the front end has not been built. Run `npm install && "
            "npm run build` in the source tree, or reinstall with `pip install .`"
        )
    return path


class BokehLibrary(anywidget.AnyWidget):
    """Carries BokehJS to the page once per kernel; every widget references it.

    Its module is evaluated when the front end creates the model, so it needs no
    view of its own.
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _instance: ClassVar[BokehLibrary | None] = None

    def __init__(self, **kwargs: Any):
        super().__init__(_esm=static_file("bokeh_lib.js").read_text(), **kwargs)

    @classmethod
    def instance(cls) -> BokehLibrary:
        if cls._instance is None or cls._instance.comm is None:
            cls._instance = cls()
        return cls._instance


class BayesWidget(anywidget.AnyWidget):
    """Base of every bayes_widgets widget."""

    _bokeh = traitlets.Instance(BokehLibrary, allow_none=True).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    """Reference to the page's BokehJS carrier."""
    _py_version = traitlets.Unicode(bayes_widgets.__version__).tag(sync=True)
    """Python package version; the front end warns when its build differs."""
    error = traitlets.Unicode("").tag(sync=True)
    """Message shown inline in the widget; empty when all is well."""

    def __init__(self, **kwargs: Any):
        unknown = [k for k in kwargs if not self.has_trait(k)]
        if unknown:
            allowed = sorted(n for n in self.trait_names() if not n.startswith("_") and n not in _WIDGET_TRAITS)
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(allowed)}"
            )
        super().__init__(_bokeh=BokehLibrary.instance(), **kwargs)
        self.on_msg(self._dispatch)

    def send_message(self, kind: str, **payload: Any) -> None:
        self.send({"type": kind, **payload})

    def _dispatch(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict) or "type" not in content:
            return
        handler = getattr(self, f"_on_{content['type']}", None)
        if handler is None:
            self.error = f"unknown message type {content['type']!r} from the front end"
            return
        try:
            handler(content)
        except Exception as exc:  # shown inline, never lost in a log
            self.error = f"{type(exc).__name__}: {exc}"
            self._last_traceback = traceback.format_exc()


_WIDGET_TRAITS = {"comm", "keys", "log", "layout", "tabbable", "tooltip"}
"""ipywidgets plumbing traits left out of the list of allowed keyword arguments."""

"""Shared widget machinery: the BokehJS carrier, inline errors, strict keyword arguments."""

from __future__ import annotations

import contextlib

import threading
import traceback
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import ipywidgets
import traitlets

import bayes_widgets
from bayes_widgets.widgets._urgent import install_urgent_route

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
    """Base of every bayes_widgets widget.

    Messages from the front end are ``{"type": T, ...}`` and go to ``_on_T``. Types
    listed in ``_urgent`` (cheap and thread-safe: cancel, pause, ...) are handled as
    soon as they reach the kernel, even while a cell is running, where the kernel
    offers a hook for that (ipykernel's shell-channel thread routes comm messages
    through ``Comm._reply_subshell_for``); otherwise, like every other type, they
    wait for the kernel to be idle. Each message carries a ``cmd_id`` so a message
    handled early is not handled again.
    """

    _urgent: ClassVar[frozenset[str]] = frozenset()

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
        self._handled: set[str] = set()
        self._handled_lock = threading.Lock()
        self.on_msg(self._dispatch)
        self._install_urgent_route()

    def _install_urgent_route(self) -> None:
        install_urgent_route(self)

    def send_message(self, kind: str, **payload: Any) -> None:
        self.send({"type": kind, **payload})

    def _dispatch(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict) or "type" not in content:
            return
        cmd_id = content.get("cmd_id")
        if cmd_id is not None:
            with self._handled_lock:
                if cmd_id in self._handled:
                    return
                self._handled.add(cmd_id)
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


class InputWidget(BayesWidget):
    """A widget whose page numbers each input (``seq``) and sends the latest value once the
    previous one is applied: every reply echoes the number it handled in :attr:`applied`,
    together with what it produced (see ``js/lib/inputs.js``)."""

    applied = traitlets.Dict({"seq": 0, "n": 0}).tag(sync=True)
    """The page's number of the last message handled (``seq``) and a reply counter (``n``),
    set with the values it produced: the page matches replies to its inputs."""

    @contextlib.contextmanager
    def _reply(self, msg):
        """Everything a message changes goes to the page in one update, with its number."""
        with self.hold_sync():
            try:
                yield
            finally:
                seq = msg.get("seq")
                if isinstance(seq, int) and not isinstance(seq, bool):
                    self.applied = {"seq": seq, "n": int(self.applied.get("n", 0)) + 1}


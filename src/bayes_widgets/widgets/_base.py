"""Shared widget machinery: BokehJS for the page, inline errors, strict keyword arguments."""

from __future__ import annotations

import contextlib
import functools
import gzip
import re
import threading
import traceback
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar, TypeGuard

import anywidget
import ipywidgets
import traitlets

from bayes_widgets.version import __version__
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


BOKEHJS_FILE = "bokehjs.js"
_BOKEHJS_BANNER = re.compile(rb"/\* bayes_widgets BokehJS (\S+) \*/")


@functools.cache
def bokehjs_bundle() -> tuple[str, bytes]:
    """The built BokehJS bundle (``static/bokehjs.js``): its BokehJS version and its bytes."""
    data = static_file(BOKEHJS_FILE).read_bytes()
    match = _BOKEHJS_BANNER.match(data)
    if match is None:
        raise FileNotFoundError(
            f"{STATIC / BOKEHJS_FILE} does not name its BokehJS version; rebuild the "
            "front end with `npm run build`"
        )
    return match.group(1).decode(), data


@functools.cache
def bokehjs_gzip() -> bytes:
    """The BokehJS bundle gzip-compressed (``static/bokehjs.js.gz``, about a quarter of its size)."""
    path = STATIC / (BOKEHJS_FILE + ".gz")
    if path.exists():
        return path.read_bytes()
    return gzip.compress(bokehjs_bundle()[1], compresslevel=9, mtime=0)  # a build without it


class BokehJSServer:
    """The kernel's side of a page's request for BokehJS (see ``js/lib/bokeh.js``).

    A view whose page has no BokehJS sends ``{"type": "bokehjs", "page": P, "request": R,
    "version": V, "accept": ["gzip"]}`` over its own comm. The kernel sends the bundle, as
    one binary buffer (gzip-compressed when the page accepts it: ``encoding``), once per page: a later request from a page already served is answered
    ``status="sent-before"`` without the bundle (it travelled through another widget of
    that page), unless it says ``force`` (the page lost it). A request id is answered once;
    a bad request is answered with an ``error`` naming the field.
    """

    MAX_ID = 200
    _ID_RULE = f"a non-empty string of at most {MAX_ID} characters"

    @classmethod
    def _is_id(cls, value: object) -> TypeGuard[str]:
        return isinstance(value, str) and 0 < len(value) <= cls.MAX_ID

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[str, str] = {}  # page -> the request whose answer carried the bundle
        self._answered: set[tuple[str, str]] = set()

    def served_pages(self) -> dict[str, str]:
        with self._lock:
            return dict(self._served)

    def answer(
        self, content: dict[str, Any], *, deliverable: bool = True
    ) -> tuple[dict[str, Any], list[bytes]] | None:
        """The reply (content, buffers) to one request, or None for a request already answered.

        ``deliverable`` false (the widget has no comm) answers nothing and records nothing.
        """
        request, page = content.get("request"), content.get("page")
        reply: dict[str, Any] = {
            "type": "bokehjs",
            "request": request if isinstance(request, str) else None,
            "page": page if isinstance(page, str) else None,
        }
        if not self._is_id(request):
            return _refusal(reply, "request", request, self._ID_RULE)
        if not self._is_id(page):
            return _refusal(reply, "page", page, self._ID_RULE)
        force = content.get("force", False)
        if not isinstance(force, bool):
            return _refusal(reply, "force", force, "true or false")
        accept = content.get("accept", [])
        if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
            return _refusal(reply, "accept", accept, "a list of encodings")
        wanted = content.get("version")
        try:
            version, bundle = bokehjs_bundle()
        except FileNotFoundError as exc:
            return {**reply, "error": str(exc)}, []
        if wanted != version:
            return {
                **reply,
                "error": (
                    f"this page's widgets need BokehJS {wanted!r:.40}, the kernel's bayes_widgets "
                    f"{__version__} carries BokehJS {version}: restart the kernel after "
                    "installing bayes_widgets, then run the cell again"
                ),
            }, []
        if not deliverable:
            return None
        with self._lock:
            if (page, request) in self._answered:
                return None
            self._answered.add((page, request))
            served_by = self._served.get(page)
            if served_by is not None and not force:
                return {
                    **reply,
                    "status": "sent-before",
                    "served_by": served_by,
                    "version": version,
                }, []
            self._served[page] = request
        encoding, data = ("gzip", bokehjs_gzip()) if "gzip" in accept else ("identity", bundle)
        return {
            **reply,
            "status": "sent",
            "version": version,
            "encoding": encoding,
            "bytes": len(data),
        }, [data]


def _refusal(
    reply: dict[str, Any], field: str, value: object, rule: str
) -> tuple[dict[str, Any], list[bytes]]:
    """The answer to a bad request: an error naming the field, no bundle."""
    return {
        **reply,
        "error": f"bad BokehJS request: {field!r} must be {rule}, got {value!r:.80}",
    }, []


BOKEHJS_SERVER = BokehJSServer()
"""Answers every page's requests for BokehJS in this kernel."""


_TEXTS: dict[str, tuple[int, str]] = {}


def static_text(name: str) -> str:
    """A built front-end file's text, read once (again when the file changes: a rebuild)."""
    path = static_file(name)
    stamp = path.stat().st_mtime_ns
    cached = _TEXTS.get(name)
    if cached is None or cached[0] != stamp:
        cached = _TEXTS[name] = (stamp, path.read_text())
    return cached[1]


class DeclaredAnyWidget(anywidget.AnyWidget):
    """An anywidget whose ``_esm`` and ``_anywidget_id`` are traits of its class.

    anywidget's constructor adds ``_anywidget_id`` (and ``_esm`` when a class does not
    declare it) to each instance with ``add_traits``, which makes a new class for every
    widget: traitlets sets the class up and anywidget collects its commands again, about
    6 ms per widget. Declared here, they are given values instead."""

    _esm = traitlets.Unicode().tag(sync=True)
    _anywidget_id = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_anywidget_id")
    def _default_anywidget_id(self) -> str:
        # what anywidget gives it: the widget's fully qualified class name
        return f"{type(self).__module__}.{type(self).__name__}"

    def add_traits(self, **traits: Any) -> None:
        """Adds the traits the class does not declare (the declared keep their values)."""
        new = {k: v for k, v in traits.items() if not self.has_trait(k)}
        if new:
            super().add_traits(**new)


class BokehLibrary(DeclaredAnyWidget):
    """The BokehJS carrier: a hidden model, one per kernel, whose state holds the bundle.

    Hosts that create every widget model (JupyterLab, Notebook 7, Voila, pages rendered
    from saved widget state) evaluate the bundle when they create this model, so the
    page has BokehJS before a view asks for it, and a saved notebook carries it once.
    Views never depend on it: where the host creates only displayed models (marimo,
    Colab, VS Code) they ask the kernel through their own comm (:class:`BokehJSServer`).
    """

    bundle = traitlets.Bytes().tag(sync=True)
    """``static/bokehjs.js`` gzip-compressed: a binary buffer on the wire, about 0.55 MB
    (base64) in saved widget state instead of 1.6 MB."""
    _instance: ClassVar[BokehLibrary | None] = None

    def __init__(self, **kwargs: Any):
        super().__init__(_esm=static_text("bokeh_lib.js"), bundle=bokehjs_gzip(), **kwargs)

    @classmethod
    def instance(cls) -> BokehLibrary:
        if cls._instance is None or cls._instance.comm is None:
            cls._instance = cls()
        return cls._instance


ALWAYS_URGENT: frozenset[str] = frozenset({"bokehjs"})
"""Message types urgent in every widget: a page's request for BokehJS."""


class BayesWidget(DeclaredAnyWidget):
    """Base of every bayes_widgets widget.

    Messages from the front end are ``{"type": T, ...}`` and go to ``_on_T``. Types
    a subclass lists in ``_urgent`` (cheap and thread-safe: cancel, pause, ...; see
    :attr:`urgent_types`) are handled as
    soon as they reach the kernel, even while a cell is running, where the kernel
    offers a hook for that (ipykernel's shell-channel thread routes comm messages
    through ``Comm._reply_subshell_for``); otherwise, like every other type, they
    wait for the kernel to be idle. Each message carries a ``cmd_id`` so a message
    handled early is not handled again.

    A page without BokehJS asks for it with a ``bokehjs`` message (answered by
    :data:`BOKEHJS_SERVER`), urgent in every widget: a view displayed by a running cell
    gets its figures without waiting for the cell to end, where the kernel allows it.
    """

    _urgent: ClassVar[frozenset[str]] = ALWAYS_URGENT

    _bokeh = traitlets.Instance(BokehLibrary, allow_none=True).tag(
        sync=True, **ipywidgets.widget_serialization
    )
    """Reference to the kernel's BokehJS carrier: saved widget state that keeps only a
    widget and what it references (``ipywidgets.embed``) still carries BokehJS. The
    front end never waits for it."""
    _py_version = traitlets.Unicode(__version__).tag(sync=True)
    """Python package version; the front end warns when its build differs."""
    error = traitlets.Unicode("").tag(sync=True)
    """Message shown inline in the widget; empty when all is well."""

    def __init__(self, **kwargs: Any):
        unknown = [k for k in kwargs if not self.has_trait(k)]
        if unknown:
            allowed = sorted(
                n for n in self.trait_names() if not n.startswith("_") and n not in _WIDGET_TRAITS
            )
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(allowed)}"
            )
        super().__init__(_bokeh=BokehLibrary.instance(), **kwargs)
        self._handled: set[str] = set()
        self._handled_lock = threading.Lock()
        self.on_msg(self._dispatch)
        self._install_urgent_route()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a subclass lists its own urgent types; those of every widget stay urgent
        cls._urgent = frozenset(cls._urgent) | ALWAYS_URGENT

    @property
    def urgent_types(self) -> frozenset[str]:
        """The message types handled as soon as they reach the kernel, where it allows."""
        return self._urgent

    def handle_message(self, content: dict[str, Any]) -> None:
        """Handles one message from the front end as if it had come over the comm (the
        early route of urgent types takes this way); one already handled is ignored."""
        self._dispatch(self, content, [])

    def _install_urgent_route(self) -> None:
        install_urgent_route(self)

    def _on_bokehjs(self, msg: dict[str, Any]) -> None:
        """Sends this page BokehJS (see :class:`BokehJSServer`)."""
        answer = BOKEHJS_SERVER.answer(msg, deliverable=self.comm is not None)
        if answer is not None:
            content, buffers = answer
            self.send(content, buffers=buffers or None)

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
            # the project's errors name their field first; others say what they are
            self.error = str(exc) if getattr(exc, "field", None) else f"{type(exc).__name__}: {exc}"
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

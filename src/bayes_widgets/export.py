"""Static HTML export of executed notebooks: every widget shows its final state, offline.

    export_html("examples/01_live_fitting.ipynb", "live_fitting.html")
    export_html(nb, "out.html", execute=True)      # run it first, saving the widget state

The notebook must carry its saved widget state (JupyterLab and Notebook 7: Settings >
*Save Widget State Automatically*; nbclient: ``store_widget_state=True``). The page is one
self-contained file that makes no network request: the widget manager, anywidget,
BokehJS (where the notebook did not save it) and, for a notebook with math, MathJax 3 are
inlined. Mermaid diagrams show as their source.
"""

from __future__ import annotations

import copy
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import nbformat

from bayes_widgets.widgets._base import BOKEHJS_FILE, bokehjs_bundle, static_file

# How the page works offline. nbconvert's HTML page renders the widgets from the saved
# state with @jupyter-widgets/html-manager, which it loads, with require.js and every
# widget's front end, from CDNs. Here static/html_manager.js (built by js/build.mjs) holds
# require.js, the manager's embed-amd.js (the built-in widget modules; renders the page's
# widgets on load) and anywidget's front end as the named AMD module "anywidget"; the
# manager asks require.js first, so no CDN is used. Each bayes_widgets widget carries its
# code in its saved state (_esm), imported from a blob: URL. BokehJS comes once: in the
# saved state of the kernel's hidden BokehJS carrier where the notebook saved it, else
# inlined (static/bokehjs.js, about 1.5 MB). nbconvert's MathJax 2 (from a CDN) is
# replaced by static/mathjax.js (MathJax 3, TeX to SVG, about 2.3 MB) when the notebook
# has math.
STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
RUNTIME_FILE = "html_manager.js"
MATHJAX_FILE = "mathjax.js"
INLINED_MODULES = frozenset(
    {
        "@jupyter-widgets/base",
        "@jupyter-widgets/controls",
        "@jupyter-widgets/output",
        "anywidget",
    }
)
"""Widget modules the inlined runtime defines; any other would be fetched from a CDN."""

HOW_TO_SAVE_STATE = (
    "save the widget state with the notebook: in JupyterLab or Notebook 7 tick "
    "Settings > Save Widget State Automatically, run the notebook and save it; or let "
    "this export run it (`bayes-widgets export NOTEBOOK.ipynb --out OUT.html --execute`, "
    "or export_html(..., execute=True))"
)

_TEMPLATE_FILE = "bayes_widgets_offline.html.j2"
# Extends nbconvert's lab template: the runtime replaces require.js (a CDN script) and the
# loader of embed-amd.js (another), the inlined MathJax 3 replaces MathJax 2 (another) and
# Mermaid (another) is left out.
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
<script>
{{ resources.bayes_widgets_runtime }}
</script>
{%- if resources.bayes_widgets_bokehjs %}
<script type="module">
{{ resources.bayes_widgets_bokehjs }}
</script>
{%- endif -%}
{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
{%- if resources.bayes_widgets_mathjax %}
<script>
window.MathJax = {{ resources.bayes_widgets_mathjax_config }};
</script>
<script>
{{ resources.bayes_widgets_mathjax }}
</script>
{%- endif -%}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
# nbconvert's MathJax 2 settings, in MathJax 3's words; no menu and no speech (their
# accessibility extensions fetch files from a CDN).
_MATHJAX_CONFIG = {
    "tex": {
        "inlineMath": [["$", "$"], ["\\(", "\\)"]],
        "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        "tags": "ams",
    },
    "svg": {"fontCache": "global"},
    "options": {"enableMenu": False, "enableEnrichment": False, "enableExplorer": False},
}
_MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{")
_MATH_MIMES = ("text/latex", "text/markdown")


class ExportError(ValueError):
    """A notebook that cannot be exported as it is; the message says what to do."""


def widget_state(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The notebook's saved widget models (model id -> model), empty when none were saved."""
    saved = (nb.get("metadata", {}).get("widgets") or {}).get(STATE_MIME) or {}
    return dict(saved.get("state") or {})


def widget_views(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Every widget view the notebook's outputs display (``{"model_id": ..., ...}``)."""
    return [
        o["data"][VIEW_MIME]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if VIEW_MIME in o.get("data", {})
    ]


CARRIER_ID = ".BokehLibrary"
"""How the saved state names the BokehJS carrier (the end of its ``_anywidget_id``)."""
_NEEDS_BOKEHJS = re.compile(r"__bayes_widgets_bokeh_([^_\s\"'`]+)__")


def bokehjs_in_state(state: dict[str, Any]) -> bool:
    """Whether saved widget state holds a BokehJS carrier, which gives its page BokehJS."""
    return any(
        str(m.get("state", {}).get("_anywidget_id", "")).endswith(CARRIER_ID)
        for m in state.values()
    )


def bokehjs_versions_needed(state: dict[str, Any]) -> set[str]:
    """The BokehJS versions the saved widgets' front ends wait for."""
    return {
        v
        for m in state.values()
        if not str(m.get("state", {}).get("_anywidget_id", "")).endswith(CARRIER_ID)
        for v in _NEEDS_BOKEHJS.findall(str(m.get("state", {}).get("_esm", "")))
    }


def runtime_versions(runtime: str) -> dict[str, str]:
    """Versions of require.js, the html-manager and anywidget in a built runtime."""
    match = re.match(r"/\* bayes_widgets export runtime (\{.*?\}) \*/", runtime)
    return json.loads(match.group(1)) if match else {}


def _inlined(name: str) -> str:
    """A built script, checked to be safe inside a ``<script>`` element (js/build.mjs checks it too)."""
    code = static_file(name).read_text(encoding="utf-8")
    lower = code.lower()
    if "</script" in lower or ("<!--" in lower and "<script" in lower):
        raise ExportError(
            f"{name} cannot be inlined in a <script> element; rebuild it with `npm run build`"
        )
    return code


def has_math(nb: nbformat.NotebookNode) -> bool:
    """Whether MathJax has something to typeset: math in markdown, LaTeX or markdown outputs."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _MATH.search(cell.source):
            return True
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if any(_MATH.search(_text(data[m])) for m in _MATH_MIMES if m in data):
                return True
    return False


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _compatible(wanted: str, have: str) -> bool:
    """Whether a saved module version range (``~0.11.*``, ``^8.0.0``, ``*``) admits ``have``."""
    want, got = re.findall(r"\d+", wanted), re.findall(r"\d+", have)
    if not want or not got:
        return True
    n = 1 if wanted.lstrip().startswith("^") and want[0] != "0" else 2
    return want[:n] == got[:n]


def check_exportable(
    nb: nbformat.NotebookNode, name: str = "notebook", versions: dict[str, str] | None = None
) -> dict[str, Any]:
    """The saved widget state, after checking the notebook can be exported offline.

    Raises :class:`ExportError` when the notebook has no saved widget state, or when a
    saved widget needs a front-end module the page cannot have without a CDN. Warns
    when a saved widget asks for a version of a module other than the one inlined
    (``versions``: module -> inlined version).
    """
    state = widget_state(nb)
    views = widget_views(nb)
    if not state:
        ran = any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        why = (
            "has no saved widget state"
            if ran
            else "has no outputs (it was never run, or was saved without outputs) and no saved widget state"
        )
        shown = f" although it displays {len(views)} widget(s)" if views else ""
        raise ExportError(f"{name} {why}{shown}; {HOW_TO_SAVE_STATE}")
    needed: dict[str, set[str]] = {}
    asked: dict[str, set[str]] = {}
    for model in state.values():
        inner = model.get("state", {})
        for module, version in (
            (model.get("model_module"), model.get("model_module_version")),
            (inner.get("_view_module"), inner.get("_view_module_version")),
        ):
            if module:
                wanted = needed if module not in INLINED_MODULES else asked
                wanted.setdefault(module, set()).add(str(version or "*"))
    if needed:
        listed = ", ".join(f"{m}@{'|'.join(sorted(v))}" for m, v in sorted(needed.items()))
        raise ExportError(
            f"{name} uses widget module(s) {listed}, which an offline page cannot load; the export "
            f"inlines only {', '.join(sorted(INLINED_MODULES))}"
        )
    for module, wanted in sorted(asked.items()):
        have = (versions or {}).get(module)
        off = sorted(w for w in wanted if have and not _compatible(w, have))
        if off:
            warnings.warn(
                f"{name}: saved widgets ask for {module} {', '.join(off)}, the page has {have}; "
                "they may not render",
                stacklevel=3,
            )
    missing = [v["model_id"] for v in views if v.get("model_id") not in state]
    if missing:
        warnings.warn(
            f"{name}: {len(missing)} widget view(s) refer to models missing from the saved state "
            "(closed widgets); they show nothing",
            stacklevel=3,
        )
    return state


def execute_notebook(
    nb: nbformat.NotebookNode,
    cwd: str | os.PathLike[str] | None = None,
    *,
    timeout: int = 600,
    kernel_name: str = "",
) -> nbformat.NotebookNode:
    """Runs ``nb`` in a fresh kernel (in ``cwd``) and saves its widget state into it.

    ``kernel_name`` empty means the notebook's own kernelspec. Raises nbclient's
    ``CellExecutionError`` when a cell fails.
    """
    from nbclient import NotebookClient

    resources = {"metadata": {"path": str(cwd)}} if cwd is not None else {}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, resources=resources, store_widget_state=True
    )
    client.execute()
    return nb


def export_html(
    notebook: str | os.PathLike[str] | nbformat.NotebookNode,
    out_path: str | os.PathLike[str],
    *,
    execute: bool = False,
    timeout: int = 600,
    kernel_name: str = "",
    title: str | None = None,
    exclude_input: bool = False,
    theme: str = "light",
    mathjax: bool | None = None,
) -> Path:
    """Writes ``notebook`` as one self-contained HTML file whose widgets show their saved state.

    ``notebook`` is a path or an nbformat node, executed with its widget state saved
    (see the module docstring), or run here first with ``execute=True`` (a node is
    then copied, not changed). ``title`` defaults to the notebook's file name;
    ``exclude_input`` leaves code out. MathJax is inlined when ``mathjax`` is true, or,
    when it is None, when the notebook has math (:func:`has_math`). Returns the path
    written. Raises :class:`ExportError` for a file that is not a notebook or a notebook
    without saved widget state, a missing file or anything else than a path or a notebook.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    if isinstance(notebook, nbformat.NotebookNode):
        nb = copy.deepcopy(notebook) if execute else notebook
        label, name, cwd = "notebook", title or "notebook", None
    else:
        if not isinstance(notebook, str | os.PathLike):
            raise ExportError(
                f"notebook: expected a path or an nbformat notebook, got {type(notebook).__name__}"
            )
        path = Path(notebook)
        if not path.is_file():
            raise ExportError(f"notebook: no such notebook file: {path}")
        try:
            nb = nbformat.read(path, as_version=4)
            nb.cells  # noqa: B018 - a JSON file that is not a notebook fails here
        except OSError:
            raise
        except Exception as exc:  # nbformat raises JSON, validation, key and attribute errors
            raise ExportError(f"{path} is not a notebook: {type(exc).__name__}: {exc}") from exc
        label, name, cwd = str(path), path.stem, path.resolve().parent
    if execute:
        execute_notebook(nb, cwd, timeout=timeout, kernel_name=kernel_name)
    runtime = _inlined(RUNTIME_FILE)
    check_exportable(nb, label, runtime_versions(runtime))
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_FILE: _TEMPLATE})],
        template_file=_TEMPLATE_FILE,
        exclude_input=exclude_input,
        theme=theme,
    )
    resources = {"metadata": {"name": title or name}, "bayes_widgets_runtime": runtime}
    state = widget_state(nb)
    needed = bokehjs_versions_needed(state)
    if needed and not bokehjs_in_state(state):
        version, _ = bokehjs_bundle()
        if needed != {version}:
            warnings.warn(
                f"{label}: its widgets need BokehJS {', '.join(sorted(needed))}, this bayes_widgets "
                f"has BokehJS {version}; their figures will not render (run the notebook again with "
                "this version to export it)",
                stacklevel=2,
            )
        resources["bayes_widgets_bokehjs"] = _inlined(BOKEHJS_FILE)
    if has_math(nb) if mathjax is None else mathjax:
        resources["bayes_widgets_mathjax"] = _inlined(MATHJAX_FILE)
        resources["bayes_widgets_mathjax_config"] = json.dumps(_MATHJAX_CONFIG)
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out

"""Every example, run once in a real JupyterLab with BAYES_WIDGETS_FAST=1, then saved and
exported.

Each example's notebook is built from its source ``examples/NN_name.py`` (every source,
found when the tests are collected, so a new one is included), opened in JupyterLab, all
its cells are run, and the rendered page is checked: every cell ran without an error
output and without a wall of stderr (warnings or log lines: at most ``STDERR_LINES`` per
cell), every bayes_widgets widget rendered with data (a canvas of non-zero size where it
holds a Bokeh figure, numbers in its tables, no inline error box unless the notebook shows
bad input on purpose), and the browser logged no errors and no BokehJS warnings
("[bokeh] ..."). The notebook is then saved from JupyterLab with its widget state (the
setting "Save Widget State Automatically" on), as a user would save it: the saved state
holds every fit's final figure and BokehJS once, and its static HTML export shows every
widget's final state in a browser with no network.

One screenshot per example, one cropped screenshot per widget kind
(``<module>_widget.png``) for the README, and the exports (with a screenshot of each,
under ``exports/``) go to the artifacts folder.
"""

from __future__ import annotations

import fcntl
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Browser, Page

from bayes_widgets.export import CARRIER_ID, export_html
from scripts.make_examples import example_sources, notebook, notebook_name
from tests.export_check import check_export, open_export

from .jupyter_harness import (
    JupyterServer,
    artifacts_dir,
    console_warnings,
    relevant_console_errors,
    run_all_cells,
    save_notebook,
    save_screenshot,
    wait_until,
)

EXAMPLES = example_sources()
FAST_ENV = {"BAYES_WIDGETS_FAST": "1"}
SAVE_WIDGET_STATE = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}
"""JupyterLab's "Save Widget State Automatically": a saved notebook holds its widgets' state."""
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
RUN_TIMEOUT_S = 900.0  # a whole notebook; the fast settings should need far less
RENDER_TIMEOUT_S = 60.0
VIEWPORT = (1400, 1800)  # tall, so that most widgets fit the notebook panel when cropped
STDERR_LINES = 2
"""Most lines of stderr one cell may show (a warning is a line or two; more is a wall)."""

# A markdown heading that introduces cells showing bad input on purpose ("## Bad input
# is shown inline"); a cell can also say so with the tag SHOWS_ERROR_TAG.
DELIBERATE_ERROR_HEADING = re.compile(
    r"\b(bad|invalid|wrong|malformed)\b[^.\n]*\b(input|value|data|option|argument)s?\b",
    re.IGNORECASE,
)
SHOWS_ERROR_TAG = "bw-shows-error"
# Cells tagged so (nbclient's convention) may end with an exception.
RAISES_TAG = "raises-exception"

# Figure slots (data-testid) each known widget kind must show rendered, with a canvas.
FIGURE_SLOTS: dict[str, tuple[str, ...]] = {
    "fit_monitor": ("figure",),
    "prior_editor": ("dist-figure",),
    "decision_explorer": ("outcome-figure", "frontier-figure"),
    "posterior_explorer": ("figure",),
    "hierarchical_explorer": ("forecast", "effects"),
    "model_card": ("graph",),
    "prediction_table": ("plot",),
}
# Widget kinds whose tables hold names rather than numbers.
TEXT_TABLES = {"model_card"}

# Everything the checks need about the page, collected in one pass.
_JS_PAGE_STATE = """
() => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const model = panel.content.model;
  const cellEls = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const cells = [];
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    const outputs = c.type === 'code' ? c.outputs.toJSON() : [];
    cells.push({
      type: c.type,
      executionCount: c.type === 'code' ? c.executionCount : null,
      errors: outputs.filter((o) => o.output_type === 'error')
        .map((o) => `${o.ename}: ${o.evalue}`),
      stderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr')
        .map((o) => Array.isArray(o.text) ? o.text.join('') : String(o.text)).join(''),
    });
  }
  const isRoot = (el) => el.matches('[data-bw-widget], [data-testid][class^="bw-"], [data-testid][class*=" bw-"]');
  const candidates = [...document.querySelectorAll('.jp-OutputArea-output [data-testid], .jp-OutputArea-output [data-bw-widget]')];
  const roots = candidates.filter((el) => isRoot(el) && !(el.parentElement && el.parentElement.closest(
    '[data-bw-widget], [data-testid][class^="bw-"], [data-testid][class*=" bw-"]')));
  const canvasesIn = (node) => {
    const out = [];
    const walk = (n) => {
      for (const el of n.children || []) {
        if (el.tagName === 'CANVAS' && !el.classList.contains('bk-glyph')) {
          const r = el.getBoundingClientRect();
          out.push([Math.round(r.width), Math.round(r.height)]);
        }
        if (el.shadowRoot) walk(el.shadowRoot);
        walk(el);
      }
    };
    if (node.shadowRoot) walk(node.shadowRoot);
    walk(node);
    return out;
  };
  const widgets = roots.map((root, index) => {
    const r = root.getBoundingClientRect();
    const slots = {};
    for (const el of root.querySelectorAll('[data-testid]')) {
      slots[el.dataset.testid] = slots[el.dataset.testid] || {
        rendered: el.dataset.rendered || null, canvases: canvasesIn(el) };
    }
    const bokehRoots = [...root.querySelectorAll('[class^="bk-"], [class*=" bk-"]')]
      .filter((el) => !el.parentElement.closest('[class^="bk-"], [class*=" bk-"]'))
      .map((el) => ({ cls: el.className, canvases: canvasesIn(el) }));
    return {
      index,
      module: root.dataset.bwWidget || root.dataset.testid.replaceAll('-', '_'),
      testid: root.dataset.testid,
      cell: cellEls.indexOf(root.closest('.jp-Cell')),
      width: Math.round(r.width),
      height: Math.round(r.height),
      data: { ...root.dataset },
      errors: [...root.querySelectorAll('.bw-error')]
        .filter((e) => getComputedStyle(e).display !== 'none' && e.textContent.trim())
        .map((e) => e.textContent.trim()),
      canvases: canvasesIn(root),
      bokehRoots,
      slots,
      tables: [...root.querySelectorAll('table')].map((t) =>
        [...t.querySelectorAll('td')].map((td) => td.textContent.trim())),
      text: root.innerText.slice(0, 200),
    };
  });
  return { cells, domCells: cellEls.length, widgets };
}
"""

_JS_ROOTS = """
(index) => {
  const sel = '[data-bw-widget], [data-testid][class^="bw-"], [data-testid][class*=" bw-"]';
  const roots = [...document.querySelectorAll('.jp-OutputArea-output [data-testid], .jp-OutputArea-output [data-bw-widget]')]
    .filter((el) => el.matches(sel) && !(el.parentElement && el.parentElement.closest(sel)));
  const root = roots[index];
  root.setAttribute('data-bw-shot', String(index));
  return true;
}
"""

# Figures whose range still holds the provisional extent that js/lib/bokeh.js gives an
# empty figure, although data arrived: the figure would show 0..1 instead of its data.
_JS_HELD_RANGES = """
() => {
  const entry = Object.entries(globalThis).find(([k]) => k.startsWith('__bayes_widgets_bokeh'));
  const B = entry && entry[1].lib;
  if (!B) return [];
  const out = [];
  for (const doc of B.documents) for (const plot of doc.all_models) {
    if (!(plot.renderers && plot.x_range && plot.y_range)) continue;
    const hasData = plot.renderers.some((r) => r.data_source && (r.data_source.get_length() ?? 0) > 0);
    for (const range of [plot.x_range, plot.y_range]) {
      if (range.__bw_held && hasData) out.push(plot.title?.text || plot.id);
    }
  }
  return out;
}
"""

_BEST_CROPS: dict[str, int] = {}  # widget kind -> area of the crop saved in this session


def deliberate_error_cells(nb: nbformat.NotebookNode) -> set[int]:
    """Code cells in a section whose heading says it shows bad input or errors."""
    out: set[int] = set()
    heading = ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            lines = [ln for ln in cell.source.splitlines() if ln.lstrip().startswith("#")]
            if lines:
                heading = lines[-1]
        elif cell.cell_type == "code" and (
            DELIBERATE_ERROR_HEADING.search(heading)
            or SHOWS_ERROR_TAG in cell.get("metadata", {}).get("tags", [])
        ):
            out.add(i)
    return out


def raising_cells(nb: nbformat.NotebookNode) -> set[int]:
    return {
        i for i, c in enumerate(nb.cells) if RAISES_TAG in c.get("metadata", {}).get("tags", [])
    }


def _has_number(texts: list[str]) -> bool:
    return any(re.search(r"\d", t) for t in texts)


def widget_problems(w: dict[str, Any], deliberate: bool) -> list[str]:
    """What is wrong with one rendered widget; [] when it rendered with data."""
    where = f"{w['module']} #{w['index']} (cell {w['cell']})"
    if w["width"] == 0 or w["height"] == 0:
        return [f"{where}: not visible ({w['width']}x{w['height']})"]
    if deliberate:
        # the notebook shows bad input here: the widget must say what is wrong, inline
        return (
            []
            if w["errors"]
            else [f"{where}: meant to show an inline error, shows none: {w['text']!r}"]
        )
    problems = [f"{where}: inline error {e!r}" for e in w["errors"]]
    for slot in FIGURE_SLOTS.get(w["module"], ()):
        s = w["slots"].get(slot)
        if s is None:
            problems.append(f"{where}: no {slot!r} element")
        elif s["rendered"] != "true" or not any(cw > 0 and ch > 0 for cw, ch in s["canvases"]):
            problems.append(f"{where}: figure {slot!r} not rendered (canvases {s['canvases']})")
    for b in w["bokehRoots"]:  # any Bokeh figure present, known kind or not, is drawn
        if not any(cw > 0 and ch > 0 for cw, ch in b["canvases"]):
            problems.append(f"{where}: Bokeh {b['cls']!r} without a drawn canvas")
    tables = [cells for cells in w["tables"] if cells]
    if tables and w["module"] not in TEXT_TABLES:
        for cells in tables:
            if not _has_number(cells):
                problems.append(f"{where}: a table without numbers: {cells[:8]}")
    data = w["data"]
    if w["module"] == "fit_monitor":
        if data.get("status") != "finished":
            # what the page shows of it: whether any update after its creation arrived
            problems.append(
                f"{where}: status {data.get('status')!r}, not finished; it shows {w['text']!r}"
            )
        elif data.get("method") != "svi" and (
            int(data.get("drawsDone") or 0) == 0 or data.get("drawsDone") != data.get("total")
        ):
            problems.append(f"{where}: {data.get('drawsDone')} of {data.get('total')} draws")
    elif w["module"] == "fleet_board":
        if (
            int(data.get("done") or 0) == 0
            or data.get("failed") != "0"
            or data.get("running") != "0"
        ):
            problems.append(
                f"{where}: runs done/failed/running = "
                f"{data.get('done')}/{data.get('failed')}/{data.get('running')}"
            )
    elif w["module"] == "decision_explorer" and data.get("status") != "idle":
        problems.append(f"{where}: status {data.get('status')!r}, not idle")
    return problems


def page_problems(state: dict[str, Any], nb: nbformat.NotebookNode) -> list[str]:
    problems = []
    if len(state["cells"]) != len(nb.cells) or state["domCells"] != len(nb.cells):
        problems.append(
            f"{len(nb.cells)} cells in the notebook, {len(state['cells'])} in the page model, "
            f"{state['domCells']} in the DOM"
        )
    allowed = raising_cells(nb)
    for i, cell in enumerate(state["cells"]):
        if cell["type"] != "code":
            continue
        if cell["executionCount"] is None:
            problems.append(f"cell {i} did not run")
        if cell["errors"] and i not in allowed:
            problems.append(f"cell {i} raised {cell['errors']}")
        problems += stderr_problems(i, cell.get("stderr") or "")
    deliberate = deliberate_error_cells(nb)
    for w in state["widgets"]:
        problems += widget_problems(w, w["cell"] in deliberate)
    return problems


def stderr_problems(index: int, text: str) -> list[str]:
    """A cell's stderr is a wall when it has more than ``STDERR_LINES`` lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) <= STDERR_LINES:
        return []
    shown = "\n    ".join(line[:160] for line in lines[:6])
    return [f"cell {index} shows {len(lines)} lines of stderr:\n    {shown}"]


def save_widget_crops(page: Page, state: dict[str, Any], nb: nbformat.NotebookNode) -> list[Path]:
    """Element screenshots of the largest good widget of each kind seen this session."""
    deliberate = deliberate_error_cells(nb)
    saved = []
    best: dict[str, dict[str, Any]] = {}
    for w in state["widgets"]:
        if w["cell"] in deliberate or widget_problems(w, False):
            continue
        area = w["width"] * w["height"]
        if area > best.get(w["module"], {"area": 0})["area"]:
            best[w["module"]] = {**w, "area": area}
    for module, w in best.items():
        if w["area"] <= _BEST_CROPS.get(module, 0):
            continue
        page.evaluate(_JS_ROOTS, w["index"])
        path = artifacts_dir() / f"{module}_widget.png"
        page.locator(f"[data-bw-shot='{w['index']}']").screenshot(path=str(path))
        _BEST_CROPS[module] = w["area"]
        saved.append(path)
    return saved


def kernel_eval(page: Page, expression: str) -> str:
    """``repr`` of a Python expression evaluated in the page's kernel (user_expressions)."""
    return page.evaluate(
        """async (expr) => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          const future = kernel.requestExecute({ code: "", silent: true, store_history: false,
                                                 user_expressions: { value: expr } });
          const reply = await future.done;
          const value = reply.content.user_expressions.value;
          return value.status === "ok" ? value.data["text/plain"] : `${value.ename}: ${value.evalue}`;
        }""",
        expression,
    )


def record_duration(name: str, seconds: float) -> None:
    """Adds ``name``'s run time to ``example_durations.json``, under a lock: test
    processes running side by side (pytest-xdist) each add theirs."""
    path = artifacts_dir() / "example_durations.json"
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            durations = json.loads(path.read_text())
        except (OSError, ValueError):
            durations = {}
        durations[name] = round(seconds, 1)
        path.write_text(json.dumps(durations, indent=1, sort_keys=True))


def run_and_check_example(
    server: JupyterServer, source: Path, app: str, shot: str, crops: bool = True
) -> dict[str, Any]:
    """Opens the notebook of the example ``source`` in ``app``, runs every cell and checks
    the rendered page; returns the page state, with ``seconds`` (the run's wall time),
    ``page`` and ``name`` (the notebook's path on the server)."""
    nb = notebook(source)
    name = server.add_notebook(nb, notebook_name(source))
    page = server.open_notebook(name, app=app, timeout=120, viewport=VIEWPORT)
    start = time.monotonic()
    run_all_cells(page, timeout=RUN_TIMEOUT_S)
    seconds = time.monotonic() - start
    record_duration(f"{app}:{notebook_name(source)}", seconds)

    state: dict[str, Any] = {}

    def settled() -> bool:
        state.update(page.evaluate(_JS_PAGE_STATE))
        return not page_problems(state, nb)

    wait_until(settled, timeout=RENDER_TIMEOUT_S, step=0.5)
    problems = page_problems(state, nb)
    first = page.locator(".jp-OutputArea-output [data-testid]").first
    if first.count():
        first.scroll_into_view_if_needed()
    save_screenshot(page, shot)
    assert problems == [], f"{source.name} ({seconds:.0f} s): " + "\n".join(problems)
    assert relevant_console_errors(page) == [], relevant_console_errors(page)
    held = page.evaluate(_JS_HELD_RANGES)
    assert not held, f"{source.name}: figures with data still on their provisional range: {held}"
    bokeh = console_warnings(page, r"^\[bokeh\b")
    assert not bokeh, f"{source.name}: {len(bokeh)} BokehJS warnings, e.g. {sorted(set(bokeh))[:5]}"
    if crops:
        save_widget_crops(page, state, nb)
    return {**state, "seconds": seconds, "page": page, "name": name}


def saved_notebook(server: JupyterServer, page: Page, name: str) -> nbformat.NotebookNode:
    """Saves the page's notebook from JupyterLab and reads the file it wrote."""
    save_notebook(page)
    nb = nbformat.read(server.notebook_path(name), as_version=4)
    assert STATE_MIME in nb.metadata.get("widgets", {}), (
        "the notebook was saved without widget state"
    )
    return nb


def check_saved_widget_state(nb: nbformat.NotebookNode) -> None:
    """The saved state shows every widget view, every fit at its end with its final figure,
    and BokehJS once, compressed in the carrier model (no widget module carries it)."""
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    views = [
        o["data"][WIDGET_MIME]["model_id"] for o in outputs if WIDGET_MIME in o.get("data", {})
    ]
    assert views, "no widget was displayed"
    state = nb.metadata["widgets"][STATE_MIME]["state"]
    assert not [v for v in views if v not in state], "a displayed widget's state was not saved"
    saved = {model_id: s.get("state", {}) for model_id, s in state.items()}
    monitors = [
        s for s in saved.values() if str(s.get("_anywidget_id", "")).endswith(".FitMonitor")
    ]
    for m in monitors:
        if m["status"] == "error":
            assert m["error"]
        else:
            assert m["status"] == "finished", m.get("error")
            figure = m.get("trace_figure") or m.get("figure_json")
            assert figure and json.loads(figure)  # the final figure is saved with the notebook
    carriers = [
        model_id
        for model_id, s in saved.items()
        if str(s.get("_anywidget_id", "")).endswith(CARRIER_ID)
    ]
    assert len(carriers) == 1, "BokehJS must be saved once, not once per widget"
    bundle = [b for b in state[carriers[0]].get("buffers", []) if b.get("path") == ["bundle"]]
    assert bundle and len(bundle[0]["data"]) > 300_000, "the carrier holds no BokehJS bundle"
    assert not [s for s in saved.values() if len(str(s.get("_esm", ""))) > 1_000_000], (
        "a widget's module carries BokehJS"
    )


def check_static_export(nb: nbformat.NotebookNode, name: str, browser: Browser) -> None:
    """Exports the saved notebook and checks, in headless chromium, that the page makes no
    request beyond localhost, logs no error and renders every widget view with its final data."""
    out = artifacts_dir() / "exports"
    html = export_html(nb, out / f"{name}.html", title=name)
    page = open_export(browser, html, nb, screenshot=out / f"{name}.png")
    check_export(page, nb)


@pytest.fixture(scope="module")
def fast_lab(jupyter_server_factory: Callable[..., JupyterServer]) -> JupyterServer:
    """JupyterLab whose kernels run the examples with their fast settings, and which saves
    notebooks with their widget state."""
    return jupyter_server_factory(app="lab", env=FAST_ENV, user_settings=SAVE_WIDGET_STATE)


def test_examples_are_found():
    assert EXAMPLES, "no example sources (NN_name.py) under examples/"


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S + 300)
@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_in_jupyterlab_and_exports(
    fast_lab: JupyterServer, source: Path, browser: Browser
):
    state = run_and_check_example(fast_lab, source, app="lab", shot=f"example_{source.stem}")
    page = state["page"]
    assert kernel_eval(page, "__import__('bayes_widgets').fast_mode()") == "True"
    nb = saved_notebook(fast_lab, page, state["name"])
    check_saved_widget_state(nb)
    check_static_export(nb, source.stem, browser)

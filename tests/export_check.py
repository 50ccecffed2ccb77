"""Opens a static HTML export in headless Debian chromium and checks it.

``open_export`` serves the page from a localhost HTTP server and records every request;
``check_export`` asserts that it made no request beyond that server (or ``data:``/``blob:``),
logged no error and rendered every widget view with its saved data. Used by
tests/test_export.py and tests/notebooks/test_examples.py.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest

from bayes_widgets.export import VIEW_MIME, widget_state
from tests.page_probe import page_function

LOCAL_SCHEMES = {"data", "blob", "file", "about"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
RENDER_TIMEOUT_S = 60.0

# Every widget view of the exported page, in the order of the saved views: its root's test
# id and data attributes, its error, text, tables (rows and cells), canvases and how many
# are painted.
_INSPECT_JS = page_function("""
  return [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')].map((s) => {
    const output = s.parentElement;
    const sub = output.querySelector(":scope > .widget-subarea");
    const root = sub && sub.querySelector("[data-testid]");
    const error = root && root.querySelector('[data-testid="error"]');
    return {
      model_id: JSON.parse(s.textContent).model_id,
      testid: root ? root.dataset.testid : null,
      data: root ? data(root) : {},
      error: error ? error.textContent : null,
      text: sub ? sub.innerText : "",
      tables: root ? deep(root, "table").map((t) => [...t.querySelectorAll("tr")].map((tr) => ({
        data: data(tr),
        cls: tr.className,
        cells: [...tr.querySelectorAll("td")].map((td) => ({ text: td.textContent.trim(), data: data(td) })),
      }))) : [],
      ...(root ? paintCounts(root) : { canvases: 0, painted: 0 }),
    };
  });
""")


@dataclass
class ExportedPage:
    """What a browser saw of an exported page."""

    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    probe: Any = None
    """What ``probe_js`` returned once the page had rendered (see :func:`open_export`)."""

    def outside_requests(self) -> list[str]:
        """Requests to anything but the local server, ``file:``, ``data:`` or ``blob:``."""
        return [url for url in self.requests if not _is_local(url)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def kebab(name: str) -> str:
    """``FitMonitor`` -> ``fit-monitor``, ``MMMExplorer`` -> ``mmm-explorer``: a widget's
    root ``data-testid``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def figure_traits(state: dict[str, Any]) -> list[str]:
    """Names of a saved widget's traits that hold a Bokeh figure (a ``json_item`` string)."""
    names = []
    for key, value in state.items():
        if isinstance(value, str) and value.startswith("{"):
            with contextlib.suppress(ValueError):
                item = json.loads(value)
                if isinstance(item, dict) and "doc" in item and "root_id" in item:
                    names.append(key)
    return names


def _expected_ready(view: dict[str, Any], saved: dict[str, Any]) -> bool:
    state = saved.get(view["model_id"], {}).get("state", {})
    return view["testid"] is not None and view["painted"] >= len(figure_traits(state))


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (
        parts.scheme in {"http", "https"} and parts.hostname in LOCAL_HOSTS
    )


def open_export(
    browser,
    html: Path,
    nb: nbformat.NotebookNode,
    screenshot: Path | None = None,
    timeout: float = RENDER_TIMEOUT_S,
    *,
    prepare: Callable[[Any], None] | None = None,
    probe_js: str | None = None,
    ready: Callable[[dict[str, Any]], bool] | None = None,
) -> ExportedPage:
    """Opens ``html`` (served from localhost) and waits until every widget view has rendered
    its root and painted a canvas per saved figure, or ``timeout`` passes. Every request is
    recorded; one beyond localhost is aborted, so nothing leaves the machine.

    ``prepare(context)`` runs on the browser context before the page opens (e.g. to expose
    a kernel to it); ``probe_js`` is evaluated once the page has rendered, its result kept
    in ``probe``; ``ready(view)`` replaces the test of a view being done (its root and
    painted figures)."""
    saved = widget_state(nb)
    with _serve(html.parent) as base:
        page_info = ExportedPage(url=f"{base}/{html.name}")
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, service_workers="block"
        )
        try:
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if _is_local(route.request.url)
                    else route.abort("blockedbyclient")
                ),
            )
            if prepare is not None:
                prepare(context)
            page = context.new_page()
            page.on("request", lambda r: page_info.requests.append(r.url))
            page.on(
                "console",
                lambda m: (
                    page_info.errors
                    if m.type == "error"
                    else page_info.warnings
                    if m.type == "warning"
                    else []
                ).append(m.text),
            )
            page.on(
                "requestfailed",
                lambda r: (
                    None
                    if not _is_local(r.url)
                    else page_info.errors.append(f"request failed: {r.url} ({r.failure})")
                ),
            )
            page.on("pageerror", lambda e: page_info.errors.append(f"pageerror: {e}"))
            page.goto(page_info.url, wait_until="load")
            deadline = time.monotonic() + timeout
            while True:
                page_info.views = page.evaluate(_INSPECT_JS)
                done = all(
                    ready(v) if ready else _expected_ready(v, saved) for v in page_info.views
                )
                if done or page_info.errors or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            page.wait_for_timeout(500)  # anything logged late still counts
            page_info.views = page.evaluate(_INSPECT_JS)
            if probe_js is not None:
                page_info.probe = page.evaluate(probe_js)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return page_info


def _number_cells(view: dict[str, Any]) -> list[str]:
    return [
        c["text"]
        for t in view["tables"]
        for row in t
        for c in row["cells"]
        if re.search(r"\d", c["text"])
    ]


def check_export(page: ExportedPage, nb: nbformat.NotebookNode) -> None:
    """Asserts the page stayed offline, logged no error, and shows every widget view with its
    saved data: its root element, its error (or none), its figures painted, its tables
    filled, and kind-specific numbers equal to the saved ones."""
    assert page.outside_requests() == [], f"requests beyond localhost: {page.outside_requests()}"
    assert page.errors == [], f"console/page errors: {page.errors}"
    saved = widget_state(nb)
    expected = [
        o["data"][VIEW_MIME]["model_id"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if VIEW_MIME in o.get("data", {})
    ]
    assert [v["model_id"] for v in page.views] == expected, (
        "the page lost or reordered widget views"
    )
    for view in page.views:
        state = saved[view["model_id"]]["state"]
        while "_anywidget_id" not in state and state.get(
            "children"
        ):  # a box around a widget (ModelCard)
            state = saved[state["children"][0].removeprefix("IPY_MODEL_")]["state"]
        kind = state.get("_anywidget_id", "").rsplit(".", 1)[-1]
        where = f"{kind} {view['model_id']}"
        assert view["testid"] == kebab(kind), (
            f"{where} did not render its root: {view['text'][:300]!r}"
        )
        assert (view["error"] or "") == state.get("error", ""), where
        figures = figure_traits(state)
        assert view["painted"] >= len(figures), (
            f"{where}: {view['painted']} painted canvas(es) of {view['canvases']} for figures {figures}"
        )
        if "status" in view["data"] and "status" in state:
            assert view["data"]["status"] == state["status"], where
        if any(any(row["cells"] for row in t) for t in view["tables"]):
            assert _number_cells(view), f"{where}: tables without a number"
        if (
            kind == "FitMonitor"
            and state.get("status") == "finished"
            and state.get("method") == "mcmc"
        ):
            rows = [row["data"] for t in view["tables"] for row in t if "chain" in row["data"]]
            assert [(int(r["chain"]), int(r["draws"])) for r in rows] == [
                (c["chain"], c["draws_done"]) for c in state["chains"]
            ], where
            assert int(view["data"]["drawsDone"]) == state["progress"]["draws_done"], where
        if kind == "PriorEditor" and (state.get("summary") or {}).get("mean") is not None:
            means = [
                float(c["data"]["value"])
                for t in view["tables"]
                for row in t
                for c in row["cells"]
                if c["data"].get("testid") == "mean"
            ]
            assert means == pytest.approx([state["summary"]["mean"]]), where
        if kind == "FleetBoard":
            rows = [
                (row["data"]["run"], row["data"]["status"])
                for t in view["tables"]
                for row in t
                if "run" in row["data"]
            ]
            assert rows == [(r["run_id"], r["status"]) for r in state["runs"]], where
        if kind == "DecisionExplorer":
            [this] = [row for t in view["tables"] for row in t if "bw-this" in row["cls"].split()]
            shown = {
                c["data"]["variable"]: float(c["data"]["value"])
                for c in this["cells"]
                if "variable" in c["data"]
            }
            assert shown == pytest.approx({k: float(v) for k, v in state["decision"].items()}), (
                where
            )

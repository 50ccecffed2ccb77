"""Every example notebook executes from top to bottom and leaves widget state behind, and
its static HTML export shows every widget's final state in a browser with no network.

The exports (and a screenshot of each) are kept under test-artifacts/exports/ to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from bayes_widgets.export import CARRIER_ID, export_html
from bayes_widgets.settings import FAST_ENV
from tests.browser.jupyter_harness import artifacts_dir
from tests.export_check import check_export, open_export

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STACK_DUMP_AFTER_S = 420
"""A notebook still running then has its kernel (and the kernel's children) print every
thread's stack and stop, so a hang fails with the place it hung (pytest's limit is 600 s)."""


@contextlib.contextmanager
def _stacks_on_hang(client: NotebookClient, after_s: float):
    done = threading.Event()

    def watchdog():
        if done.wait(after_s) or client.km is None or not client.km.has_kernel:
            return
        pid = client.km.provisioner.process.pid
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
        for p in [*children, str(pid)]:  # faulthandler (PYTHONFAULTHANDLER) prints on SIGABRT
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(p), signal.SIGABRT)

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        yield
    finally:
        done.set()


def test_there_are_examples():
    assert EXAMPLES, "examples/ holds no notebook"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, tmp_path, monkeypatch, browser):
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")
    monkeypatch.setenv(FAST_ENV, "1")  # the kernel inherits it: the examples' fast settings
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        store_widget_state=True,
    )
    with _stacks_on_hang(client, STACK_DUMP_AFTER_S):
        client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors, errors
    views = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if WIDGET_MIME in o.get("data", {})
    ]
    assert views, "no widget was displayed"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    monitors = [s["state"] for s in state.values() if "figure_json" in s.get("state", {})]
    for m in monitors:
        if m["status"] == "error":
            assert m["error"]
        else:
            assert m["status"] == "finished", m.get("error")
            assert json.loads(m["figure_json"])  # final figure saved with the notebook
    # BokehJS travels in one carrier model, compressed in its binary ``bundle`` trait; no
    # other model holds it
    carriers = [
        s
        for s in state.values()
        if str(s.get("state", {}).get("_anywidget_id", "")).endswith(CARRIER_ID)
    ]
    assert len(carriers) == 1, "BokehJS must be saved once, not once per widget"
    bundle = [b for b in carriers[0].get("buffers", []) if b.get("path") == ["bundle"]]
    assert bundle and len(bundle[0]["data"]) > 300_000, "the carrier holds no BokehJS bundle"
    assert not [
        s for s in state.values() if len(str(s.get("state", {}).get("_esm", ""))) > 1_000_000
    ], "a widget's module carries BokehJS"
    check_static_export(nb, path.stem, browser)


def check_static_export(nb, name: str, browser) -> None:
    """Exports the executed notebook and checks, in headless chromium, that the page makes no
    request beyond localhost, logs no error and renders every widget view with its final data."""
    out = artifacts_dir() / "exports"
    html = export_html(nb, out / f"{name}.html", title=name)
    page = open_export(browser, html, nb, screenshot=out / f"{name}.png")
    check_export(page, nb)

"""Real-browser harness for the notebook hosts besides JupyterLab: marimo and Voila.

One notebook with every widget (``EVERY_WIDGET_CELLS``) is written as a marimo app
(``write_marimo``) and as a Jupyter notebook (``write_ipynb``). ``HostServer`` starts
``marimo run`` or ``voila`` on it on localhost, with isolated configuration and no
network features; pages are opened in the session's headless Debian chromium and read
through ``widgets_on_page`` (every widget's root, its figures painted or not, any "Plot
unavailable"). Nothing is set through JavaScript: tests act with ``page.mouse``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Browser, BrowserContext, Page

from tests.page_probe import page_function

from .jupyter_harness import (
    _attach_console_collector,
    _free_port,
    _safe_name,
    _write_json,
    artifacts_dir,
    relevant_console_errors,
    stop_process_group,
)

SCHOOLS = """\
import numpy as np
import pandas as pd
import pymc as pm
import bayes_widgets as bw

# centred eight schools, written by hand with named dims
y_obs = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
sigma_obs = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
with pm.Model(coords={"school": list("ABCDEFGH")}) as schools:
    mu = pm.Normal("mu", 0, 5)
    tau = pm.HalfCauchy("tau", 5)
    theta = pm.Normal("theta", mu, tau, dims="school")
    pm.Normal("y", theta, sigma_obs, observed=y_obs, dims="school")
"""

MODEL_CARD = """\
from bayes_widgets.widgets.model_card import ModelCard

card = ModelCard(schools)
card
"""

PRIOR = """\
prior = bw.PriorEditor("Gamma")
prior
"""

LIVE_FIT = """\
monitor = bw.FitMonitor(schools, backend="pymc", draws=1000, tune=300, chains=2, cores=2, seed=7)
monitor
"""

EXPLORER = """\
result = monitor.wait()
explorer = bw.PosteriorExplorer(result, selected=["mu", "tau"])
explorer
"""

DECISION = """\
from bayes_widgets.core.decision import DecisionProblem, DecisionVariable

# stock for three days against a gamma-Poisson posterior predictive
rng = np.random.default_rng(3)
demand = rng.poisson(rng.gamma(50.0, 0.8, size=(400, 3)))
price = np.array([3.2, 3.6, 3.9])


def profit(stock, s):
    return (price * np.minimum(stock, s["y"]) - 1.0 * stock).sum(axis=1)


stock = DecisionProblem([DecisionVariable(f"stock_day{i + 1}", 0, 150) for i in range(3)],
                        {"y": demand}, profit)
decision = bw.DecisionExplorer(stock)
decision
"""

PREDICTION = """\
# a pm.Data regression; predictions for new rows
data_rng = np.random.default_rng(7)
n_obs = 40
X = np.column_stack([data_rng.normal(20, 5, n_obs), data_rng.normal(3, 1, n_obs)])
sales = 10 + X @ [0.5, -2.0] + data_rng.normal(0, 1, n_obs)
with pm.Model(coords={"obs": np.arange(n_obs), "feature": ["temp", "price"]}) as shop:
    X_data = pm.Data("X", X, dims=("obs", "feature"))
    sales_data = pm.Data("sales_obs", sales, dims="obs")
    alpha = pm.Normal("alpha", 0, 20)
    beta = pm.Normal("beta", 0, 5, dims="feature")
    noise = pm.HalfNormal("noise", 3)
    level = pm.Deterministic("level", alpha + X_data @ beta, dims="obs")
    pm.Normal("sales", level, noise, observed=sales_data, dims="obs")
shop_fit = bw.fit(shop, backend="pymc", draws=200, tune=200, chains=2, cores=1, seed=2)
table = bw.PredictionTable(shop, pd.DataFrame({"temp": [20.0, 25.0], "price": [3.0, 3.0]}),
                           posterior=shop_fit, seed=0)
table
"""

FLEET = """\
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bayes_widgets.core.fleet import RunSpec, run_fleet


def task(params, run_dir):
    dates = pd.date_range("2024-01-01", periods=20, freq="W-MON")
    mid = pd.Series(range(20), dtype=float) + params["x"]
    pd.DataFrame({"date": dates, "actual": mid + 0.5, "q05": mid - 2, "q25": mid - 1,
                  "median": mid, "q75": mid + 1, "q95": mid + 2,
                  "split": ["train"] * 16 + ["test"] * 4}).to_csv(
        Path(run_dir) / "predictions.csv", index=False)
    return {"test_mape": 0.05 * params["x"]}


fleet_dir = tempfile.mkdtemp()
run_fleet([RunSpec("h1", {"x": 1}), RunSpec("h2", {"x": 4})], task, out=fleet_dir,
          executor=ThreadPoolExecutor(1))
board = bw.FleetBoard(fleet_dir, thresholds={"test_mape": ("<=", 0.1)})
board
"""

HIERARCHICAL = """\
from bayes_widgets.core.hierarchical import evaluate_cold_start, fit_svi, make_demand

stores = make_demand(24, 60, seed=5)
known_stores = stores.data.select(groups=slice(0, 20))
new_stores = stores.data.select(groups=slice(20, 24))
store_fit = fit_svi(known_stores, steps=300, batch_size=10, chunk=100, seed=0)
cold = evaluate_cold_start(store_fit, new_stores, known=7, steps=200)
stores_view = bw.HierarchicalExplorer(cold.cold_start, data=new_stores, cold_start=cold)
stores_view
"""

LONG_FIT = """\
# a long nutpie fit, to pause, resume and cancel from the page
long_fit = bw.FitMonitor(schools, backend="nutpie", draws=3_000_000, tune=300, chains=2, seed=3)
long_fit
"""

EVERY_WIDGET_CELLS: tuple[str, ...] = (
    SCHOOLS,
    MODEL_CARD,
    PRIOR,
    LIVE_FIT,
    EXPLORER,
    DECISION,
    PREDICTION,
    FLEET,
    HIERARCHICAL,
    LONG_FIT,
)
"""Cells of the notebook with every widget, in order; each widget is its cell's last
expression, so Jupyter hosts and marimo both show it."""

MIN_PAINTED: dict[str, int] = {
    "model_card": 1,
    "prior_editor": 1,
    "fit_monitor": 1,
    "posterior_explorer": 1,
    "decision_explorer": 1,
    "prediction_table": 1,
    "fleet_board": 0,
    "hierarchical_explorer": 1,
}
"""Canvases each widget paints at least when shown (the fleet board draws a run's plots
on a click)."""


def write_ipynb(path: Path, cells: tuple[str, ...] = EVERY_WIDGET_CELLS) -> Path:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def write_marimo(path: Path, cells: tuple[str, ...] = EVERY_WIDGET_CELLS) -> Path:
    """The cells as a marimo app: marimo reads each cell's definitions and references from
    its code, and shows its last expression."""
    import marimo

    parts = [
        "import marimo",
        "",
        f'__generated_with = "{marimo.__version__}"',
        'app = marimo.App(width="medium")',
        "",
    ]
    for code in cells:
        body = "\n".join(
            ("    " + line) if line.strip() else "" for line in code.rstrip().splitlines()
        )
        parts += ["", "@app.cell", "def _():", body, "    return", ""]
    parts += ["", 'if __name__ == "__main__":', "    app.run()", ""]
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# Every widget on the page (inside shadow roots too): its kind, its root's data attributes,
# its canvases and how many are painted, its text and whether a plot is unavailable.
JS_WIDGETS = page_function(r"""
  return deep(document, "[data-bw-widget]").map((root) => {
    const error = root.querySelector("[data-testid=error]");
    return {
      kind: root.dataset.bwWidget,
      data: data(root),
      ...paintCounts(root),
      unavailable: ((root.innerText || "").match(/Plot unavailable[^\n]*/) || [""])[0],
      error: error && error.offsetParent !== null ? error.textContent : "",
      text: (root.innerText || "").slice(0, 400),
    };
  });
""")


def widgets_on_page(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(JS_WIDGETS)


def unpainted(widgets: list[dict[str, Any]]) -> list[str]:
    """Widgets that paint fewer canvases than they should, or show "Plot unavailable"."""
    bad = []
    for w in widgets:
        if w["unavailable"] or w["painted"] < MIN_PAINTED.get(w["kind"], 1):
            bad.append(
                f"{w['kind']}: {w['painted']}/{w['canvases']} canvases painted"
                f"{'; ' + w['unavailable'] if w['unavailable'] else ''}"
            )
    return bad


def click(page: Page, locator) -> None:
    """Clicks the middle of ``locator`` with the mouse, as a user does."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, "nothing to click: the element is not shown"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


HOSTS = ("marimo", "voila")


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in {"127.0.0.1", "localhost"}


class HostServer:
    """``marimo run`` or ``voila`` serving one notebook on localhost, with isolated
    configuration, state and runtime folders (the home folder stays: compiled models are
    cached there, as in the other tests).

    ``start()`` waits until the server answers; ``open()`` gives a fresh page on the
    notebook with console errors collected (``page.console_errors``); ``stop()`` closes
    pages, ends the server's process group and leaves its log in the artifacts folder.
    """

    def __init__(
        self, host: str, notebook: Path, browser: Browser, env: dict[str, str] | None = None
    ):
        if host not in HOSTS:
            raise ValueError(f"host must be one of {HOSTS}, not {host!r}")
        self.host = host
        self.notebook = Path(notebook)
        self.browser = browser
        self.extra_env = dict(env or {})
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._tmp = Path(tempfile.mkdtemp(prefix=f"bw-{host}-"))
        self.log_path = self._tmp / f"{host}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._contexts: list[BrowserContext] = []

    def _env(self) -> dict[str, str]:
        home = self._tmp / "home"
        data = home / "data"
        for d in (home / "config", data, home / "runtime", home / "ipython", home / "cache"):
            d.mkdir(parents=True, exist_ok=True)
        # Voila's kernels: the test interpreter, found first via JUPYTER_PATH
        _write_json(
            data / "kernels" / "python3" / "kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "metadata": {"debugger": False},
            },
        )
        env = dict(os.environ)
        for key in ("JUPYTER_PREFER_ENV_PATH", "JUPYTERLAB_DIR", "JUPYTER_PLATFORM_DIRS"):
            env.pop(key, None)
        env.update(
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_CACHE_HOME=str(home / "cache"),
            XDG_STATE_HOME=str(home / "state"),
            JUPYTER_CONFIG_DIR=str(home / "config" / "jupyter"),
            JUPYTER_DATA_DIR=str(data),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTER_PATH=str(data),
            IPYTHONDIR=str(home / "ipython"),
            MARIMO_SKIP_UPDATE_CHECK="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def _command(self) -> list[str]:
        if self.host == "marimo":
            return [
                sys.executable,
                "-m",
                "marimo",
                "run",
                str(self.notebook),
                "--headless",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-token",
                "--no-sandbox",
                "--session-ttl",
                "0",
            ]
        return [
            sys.executable,
            "-m",
            "voila",
            str(self.notebook),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={self.port}",
            "--Voila.port_retries=0",
            "--show_tracebacks=True",
            # jupytext (installed for the examples' sources) brings a JupyterLab extension
            # that needs JupyterLab's document manager, which Voila does not have
            "--VoilaConfiguration.extension_denylist=['jupyterlab-jupytext']",
        ]

    def start(self, timeout: float = 60.0) -> HostServer:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self._command(),
                cwd=self.notebook.parent,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.host} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self._ready_url(), timeout=2):
                    return self
            except urllib.error.HTTPError:  # it answers (Voila refuses a path it does not serve)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.host} not ready after {timeout}s:\n{self.log_tail()}")

    def _ready_url(self) -> str:
        # a path that runs no notebook (Voila runs it for each page of "/")
        return f"{self.base_url}/health" if self.host == "marimo" else f"{self.base_url}/api/status"

    def open(self, viewport: tuple[int, int] = (1400, 1000), timeout: float = 90.0) -> Page:
        context = self.browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self._contexts.append(context)
        context.set_default_timeout(timeout * 1000)
        page = context.new_page()
        _attach_console_collector(page)
        outside: list[str] = []
        page.outside_requests = outside  # type: ignore[attr-defined]
        page.on("request", lambda r: None if _is_local(r.url) else outside.append(r.url))
        page.goto(self.base_url + "/", wait_until="domcontentloaded")
        return page

    def log_tail(self, n: int = 60, width: int = 400) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "<no server log>"
        return "\n".join(line[:width] for line in lines[-n:])

    def open_pages(self) -> list[Page]:
        return [p for c in self._contexts for p in c.pages]

    def close_pages(self) -> None:
        for context in self._contexts:
            try:
                context.close()
            except Exception:
                pass
        self._contexts = []

    def stop(self) -> None:
        self.close_pages()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            stop_process_group(proc)
        try:
            shutil.copyfile(self.log_path, artifacts_dir() / f"{_safe_name(self.host)}-server.log")
        except OSError:
            pass
        shutil.rmtree(self._tmp, ignore_errors=True)
        self.proc = None


@contextlib.contextmanager
def every_widget_page(
    host: str, browser: Browser, folder: Path, viewport: tuple[int, int] = (1300, 1000)
) -> Iterator[Page]:
    """The notebook with every widget, written for ``host`` into ``folder``, served by it
    and opened in a fresh page; the server stops when the block ends. A server that does
    not start fails the test with its log."""
    if host == "marimo":
        notebook = write_marimo(folder / "every_widget.py")
    else:
        notebook = write_ipynb(folder / "every_widget.ipynb")
    server = HostServer(host, notebook, browser)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.open(viewport=viewport)
    finally:
        server.stop()


def check_page_quiet(
    page: Page, ignored_errors: tuple[str, ...], allowed_outside: tuple[str, ...] = ()
) -> None:
    """The page logged no error but ``ignored_errors`` (patterns) and asked nothing beyond
    localhost but URLs starting with ``allowed_outside``."""
    errors = relevant_console_errors(page, ignored_errors)
    assert errors == [], errors
    outside = page.outside_requests  # type: ignore[attr-defined]
    beyond = [u for u in outside if not u.startswith(allowed_outside)]
    assert beyond == [], beyond


def screenshot_full(page: Page, name: str) -> Path:
    """A full-page PNG in the artifacts folder."""
    path = artifacts_dir() / f"{_safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def dump(widgets: list[dict[str, Any]]) -> str:
    return json.dumps(
        [
            {k: w[k] for k in ("kind", "painted", "canvases", "unavailable", "error")}
            for w in widgets
        ]
    )


# -- checks shared by the host tests ----------------------------------------------------

KINDS = tuple(MIN_PAINTED)
MONITOR = "[data-bw-widget=fit_monitor]"


def wait_every_widget_painted(page: Page, timeout: float = 150.0) -> list[dict[str, Any]]:
    """Waits until every widget of the notebook is on the page with its figures painted
    (or a widget shows an error); returns what the page shows."""
    seen: list[dict[str, Any]] = []

    def ready() -> bool:
        seen[:] = widgets_on_page(page)
        kinds = sorted({w["kind"] for w in seen})
        return (
            kinds == sorted(KINDS)
            and len(seen) == len(KINDS) + 1
            and (not unpainted(seen) or any(w["error"] for w in seen))
        )

    from tests.polling import wait_for

    wait_for(ready, timeout=timeout, step=0.5)
    return seen


def check_every_widget(page: Page, host: str) -> None:
    """Every widget is shown with data: its figures painted, no "Plot unavailable", no
    inline error; the first fit reaches "finished" with its summary and trace figure."""
    widgets = wait_every_widget_painted(page)
    assert sorted(w["kind"] for w in widgets) == sorted([*KINDS, "fit_monitor"]), dump(
        widgets
    )  # two monitors: the live fit and the long one
    assert [w for w in widgets if w["error"]] == [], dump(widgets)
    assert unpainted(widgets) == [], unpainted(widgets)
    first = page.locator(MONITOR).first
    assert _wait_attr(first, "status", {"finished"}, 120), first.get_attribute("data-status")
    summary = first.locator("[data-testid=summary]")
    assert int(summary.get_attribute("data-draws-per-chain")) == 1000
    assert first.locator("[data-testid=figure][data-rendered=true]").count() == 1
    assert "Plot unavailable" not in page.locator("body").inner_text()
    with tall_viewport(page):
        for kind in KINDS:  # one picture per widget (of the monitors, the finished fit's)
            root = page.locator(f"[data-bw-widget={kind}]").first
            root.scroll_into_view_if_needed()
            root.screenshot(path=str(artifacts_dir() / f"host_{host}_{kind}.png"))


@contextlib.contextmanager
def tall_viewport(page: Page, height: int = 2400):
    """A viewport tall enough for the tallest widget while pictures are taken (hosts scroll
    an inner panel, where a picture of an element taller than the window is cut)."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        yield
    finally:
        page.set_viewport_size(size)


def _wait_attr(root, name: str, values: set[str], timeout: float) -> bool:
    from tests.polling import wait_for

    return wait_for(lambda: root.get_attribute(f"data-{name}") in values, timeout=timeout, step=0.1)


def _draws(root) -> int:
    return int(root.get_attribute("data-draws-done") or 0)


def check_long_fit_controls(page: Page, host: str) -> dict[str, float]:
    """The long fit streams (its draws and its live trace rise while it samples); Pause
    stops the draws within 2 s of the click, Resume starts them again, Cancel ends the fit
    with the draws kept. Every button is clicked with the mouse. Returns what was timed."""
    from tests.polling import wait_for

    root = page.locator(MONITOR).last
    root.scroll_into_view_if_needed()
    assert wait_for(
        lambda: root.get_attribute("data-status") == "sampling" and _draws(root) > 0,
        timeout=120,
        step=0.2,
    ), root.get_attribute("data-status")
    # draws and the live trace rise while it samples
    figure = root.locator("[data-testid=figure]")
    assert wait_for(lambda: figure.get_attribute("data-rendered") == "true", timeout=120, step=0.2)
    start, received = _draws(root), int(figure.get_attribute("data-received") or 0)
    assert wait_for(lambda: _draws(root) > start, timeout=30, step=0.1), (
        "the draw count did not rise"
    )
    assert wait_for(
        lambda: int(figure.get_attribute("data-received") or 0) > received, timeout=30, step=0.1
    ), "the live trace received no new points"
    assert root.get_attribute("data-status") == "sampling"
    total = int(root.get_attribute("data-total") or 0)
    assert _draws(root) < 0.8 * total, (
        f"the long fit is nearly over ({_draws(root)} of {total} draws): an earlier check took too "
        "long to leave time for the controls"
    )
    with tall_viewport(page):
        root.screenshot(path=str(artifacts_dir() / f"host_{host}_fit_monitor_live.png"))

    # Pause: the draws stop within 2 s of the click
    t0 = time.monotonic()
    click(page, root.locator("[data-testid=pause]"))
    assert _wait_attr(root, "status", {"paused"}, 10), root.get_attribute("data-status")
    seen_paused = time.monotonic() - t0
    time.sleep(max(0.0, 2.0 - (time.monotonic() - t0)))
    at_2s = _draws(root)
    time.sleep(2.0)
    assert _draws(root) == at_2s, f"draws went on after the pause: {at_2s} -> {_draws(root)}"
    assert root.locator("[data-testid=resume]").is_enabled()

    # Resume: sampling again
    click(page, root.locator("[data-testid=resume]"))
    assert _wait_attr(root, "status", {"sampling"}, 10), root.get_attribute("data-status")
    assert wait_for(lambda: _draws(root) > at_2s, timeout=30, step=0.1), "no draws after Resume"

    # Cancel: the fit ends and keeps its draws
    t1 = time.monotonic()
    click(page, root.locator("[data-testid=cancel]"))
    assert _wait_attr(root, "status", {"cancelled"}, 60), root.get_attribute("data-status")
    seen_cancelled = time.monotonic() - t1
    summary = root.locator("[data-testid=summary]")
    assert wait_for(lambda: summary.count() == 1, timeout=30, step=0.2)
    kept = int(summary.get_attribute("data-draws-per-chain"))
    assert 0 < kept < 3_000_000
    assert summary.get_attribute("data-partial") == "true"
    assert "per chain kept" in root.locator("[data-testid=message]").inner_text()
    assert root.locator("[data-testid=cancel]").is_disabled()
    with tall_viewport(page):
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(artifacts_dir() / f"host_{host}_fit_monitor_cancelled.png"))
    return {"paused_shown_s": seen_paused, "cancelled_shown_s": seen_cancelled}

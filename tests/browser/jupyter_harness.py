"""Real-browser harness: a JupyterLab server subprocess driven by Playwright.

The server runs with isolated config/runtime/user-data/IPython dirs, a
kernelspec pinned to ``sys.executable`` and no network features (news,
update checks). Pages are opened in Debian's ``chromium`` through
Playwright's sync API; ``playwright install`` is never needed.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright

from tests.polling import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_S = 90.0

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Console errors that are noise for widget tests (regexes, ``re.search``).
DEFAULT_CONSOLE_IGNORE: tuple[str, ...] = (
    r"favicon",
    # Notebook 7.6 upstream bug: its shortcuts plugin reads the schema of a
    # plugin missing from the registry on every page load (also on /tree).
    r"^pageerror: Cannot read properties of undefined \(reading 'schema'\)"
    r" \[at \S*/static/notebook/notebook_core\.",
)

# JupyterLab user settings (plugin id -> values) written into the isolated
# settings dir. No news/update checks (no network, no first-run prompt), and
# no notebook windowing so every cell (and widget) of a long notebook is
# rendered in the DOM, even when scrolled out of view.
DEFAULT_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}

# Upstream bug (jupyterlab 4.6 + notebook 7.6 in one server): the JupyterLab
# page handler writes treePath/workspace/mode into the shared
# ``page_config_data`` dict, which Notebook 7 pages then inherit; their
# file-browser plugin then calls the missing 'filebrowser:open-path' command.
# This hook drops those keys from Notebook 7 pages only.
_SERVER_CONFIG_PY = """\
LAB_ONLY_KEYS = ("treePath", "workspace", "mode", "notFoundUrl")


def _bw_page_config_hook(handler, page_config):
    if type(handler).__module__.split(".")[0] == "notebook":
        for key in LAB_ONLY_KEYS:
            page_config.pop(key, None)
    return page_config


c.ServerApp.tornado_settings = {"page_config_hook": _bw_page_config_hook}
"""

_JS_CURRENT_KERNEL_STATUS = """
() => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  const ctx = w && w.sessionContext;
  if (!ctx || !ctx.isReady || !w.context || !w.context.isReady) { return null; }
  const kernel = ctx.session && ctx.session.kernel;
  return kernel ? kernel.status : null;
}
"""

_JS_CELL_RUNNING = """
() => {
  const prompts = document.querySelectorAll('.jp-InputArea-prompt');
  for (const p of prompts) {
    if ((p.textContent || '').includes('[*]')) { return true; }
  }
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  const cells = w && w.content && w.content.model && w.content.model.cells;
  if (cells) {
    for (let i = 0; i < cells.length; i++) {
      const c = cells.get(i);
      if (c.type === 'code' && c.executionState === 'running') { return true; }
    }
  }
  return false;
}
"""

_JS_START_RUN_ALL = """
() => {
  window.__bwRunAll = 'pending';
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => { window.__bwRunAll = 'done'; },
    (err) => { window.__bwRunAll = 'error: ' + err; },
  );
}
"""


def artifacts_dir() -> Path:
    """Return (and create) ``$BW_TEST_ARTIFACTS``, default ``<repo>/test-artifacts``."""
    path = Path(os.environ.get("BW_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "artifact"


def save_screenshot(page: Page, name: str) -> Path:
    """Save a PNG screenshot of ``page`` as ``<artifacts>/<name>.png``."""
    stem = _safe_name(name[:-4] if name.endswith(".png") else name)
    path = artifacts_dir() / f"{stem}.png"
    page.screenshot(path=str(path))
    return path


# Prelude of a page function reading the Bokeh plots inside an element: `Bokeh` (the page's
# BokehJS, null when none loaded), `plotViews(container)`, the plot views drawn inside
# `container`, shadow roots included, `plotsInOrder(container)`, the same in page order,
# and `titleOf(view)`, a plot's title ("" when it has none). Use with `bokeh_plots_js`.
_JS_PLOT_VIEWS = """
  const key = Object.getOwnPropertyNames(globalThis).find((k) => k.startsWith("__bayes_widgets_bokeh_"));
  const Bokeh = (key && globalThis[key].lib) || null;
  const inside = (el, container) => {
    for (let n = el; n; ) {
      if (n === container) return true;
      n = n.parentNode || (n instanceof ShadowRoot ? n.host : null);
    }
    return false;
  };
  const plotViews = (container) => [...(Bokeh ? Bokeh.index.all_views() : [])].filter((view) =>
    view.model && "x_range" in view.model && view.renderer_views && inside(view.el, container));
  const titleOf = (view) => (view.model.title && view.model.title.text) || "";
  const plotsInOrder = (container) => plotViews(container)
    .map((view) => [view.el.getBoundingClientRect(), view])
    .sort(([a], [b]) => a.top - b.top || a.left - b.left)
    .map(([, view]) => view);
"""


def bokeh_plots_js(body: str) -> str:
    """A page function ``(root) => {...}`` whose ``body`` can use ``Bokeh``,
    ``plotViews(container)``, ``plotsInOrder(container)`` (the same, top to bottom and
    left to right on the page) and ``titleOf(view)`` (see ``_JS_PLOT_VIEWS``)."""
    return "(root) => {" + _JS_PLOT_VIEWS + body + "}"


_JS_PLOT_TITLES = bokeh_plots_js("return plotsInOrder(root).map(titleOf);")

# Plots that do not show their data: for every Bokeh plot inside ``root`` (shadow DOM
# included), each automatic range (DataRange1d) must span at least half of the extent of
# the data its visible glyphs hold. A figure left at a provisional 0–1 range over data at
# 40 reads as blank. Plots without data yet (a frontier not computed) are not judged.
_JS_PLOTS_WITHOUT_DATA = bokeh_plots_js("""
  if (!Bokeh) return { plots: 0, problems: ["BokehJS is not on the page"] };
  const problems = [];
  let plots = 0;
  for (const view of plotViews(root)) {
    const plot = view.model;
    plots += 1;
    const title = titleOf(view) || plot.id;
    const bounds = { x: [Infinity, -Infinity], y: [Infinity, -Infinity] };
    // the glyphs a range spans: those it names (a trace's y range on the draws after
    // tuning, a figure following invisible corners), else every visible glyph
    const spans = (axis, rv) => {
      const own = plot[`${axis}_range`] && plot[`${axis}_range`].renderers;
      return Array.isArray(own) && own.length ? own.includes(rv.model) : rv.model.visible;
    };
    let withData = 0;
    for (const rv of view.renderer_views.values()) {
      const source = rv.model && rv.model.data_source;
      if (!rv.glyph || !source || !(source.get_length() > 0)) continue;
      const b = rv.glyph.bounds();
      if (![b.x0, b.x1, b.y0, b.y1].every(Number.isFinite)) continue;
      if (rv.model.visible) withData += 1;
      if (spans("x", rv)) bounds.x = [Math.min(bounds.x[0], b.x0), Math.max(bounds.x[1], b.x1)];
      if (spans("y", rv)) bounds.y = [Math.min(bounds.y[0], b.y0), Math.max(bounds.y[1], b.y1)];
    }
    if (!withData) continue;
    for (const axis of ["x", "y"]) {
      const range = plot[`${axis}_range`];
      if (!range || range.constructor.name !== "DataRange1d") continue;
      const [s, e] = [Math.min(range.start, range.end), Math.max(range.start, range.end)];
      const [b0, b1] = bounds[axis];
      const extent = b1 - b0;
      const overlap = Math.max(0, Math.min(b1, e) - Math.max(b0, s));
      const shown = extent > 0 ? overlap / extent : (b0 >= s && b0 <= e ? 1 : 0);
      if (!(shown >= 0.5)) {
        problems.push(`${title}: ${axis} range [${s}, ${e}] shows ${Math.round(100 * shown)}% of the data's [${b0}, ${b1}]`);
      }
    }
  }
  return { plots, problems };
""")


def plot_titles(element: Locator) -> list[str]:
    """The titles of the Bokeh plots drawn inside ``element``, in page order."""
    return element.evaluate(_JS_PLOT_TITLES)


def plots_hiding_data(element: Locator) -> dict[str, Any]:
    """``{"plots": n, "problems": [...]}`` for the Bokeh plots drawn inside ``element``:
    a problem is an automatic range that shows less than half of its plot's data (see
    ``_JS_PLOTS_WITHOUT_DATA``)."""
    return element.evaluate(_JS_PLOTS_WITHOUT_DATA)


def stop_process_group(proc: subprocess.Popen) -> None:
    """Ends a server started in its own process group: SIGTERM, then SIGKILL after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


CHROMIUM_MISSING = (
    "Browser tests need a `chromium` executable on PATH, but none was found. "
    "The project setup installs Debian's `chromium` package "
    "(apt-get install chromium); do NOT run `playwright install`."
)


def chromium_path() -> str | None:
    """Path of Debian's chromium on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def find_chromium() -> str:
    """Return the path of Debian's chromium, or raise with setup instructions."""
    exe = chromium_path()
    if not exe:
        raise RuntimeError(CHROMIUM_MISSING)
    return exe


def launch_browser(playwright: Playwright) -> Browser:
    """Launch headless Debian chromium with network-quiet flags."""
    return playwright.chromium.launch(
        executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _attach_console_collector(page: Page) -> None:
    """Collect console errors and uncaught page errors into ``page.console_errors``,
    and every console message as ``(type, text)`` into ``page.console_messages``."""
    errors: list[str] = []
    messages: list[tuple[str, str]] = []
    page.console_errors = errors  # type: ignore[attr-defined]
    page.console_messages = messages  # type: ignore[attr-defined]

    def on_console(msg: Any) -> None:
        messages.append((msg.type, msg.text))
        if msg.type == "error":
            errors.append(msg.text)

    def on_pageerror(exc: Any) -> None:
        frames = re.findall(r"\bat .*?\(?(\w+://[^\s)]+)", getattr(exc, "stack", "") or "")
        where = f" [at {frames[0]}]" if frames else ""
        errors.append(f"pageerror: {exc}{where}")

    page.on("console", on_console)
    page.on("pageerror", on_pageerror)


def console_warnings(page: Page, pattern: str = "") -> list[str]:
    """The page's console warnings (``console.warn``) whose text matches ``pattern``."""
    rx = re.compile(pattern)
    messages: list[tuple[str, str]] = getattr(page, "console_messages", [])
    return [text for kind, text in messages if kind in ("warning", "warn") and rx.search(text)]


def relevant_console_errors(
    page: Page, ignore: Iterable[str] = DEFAULT_CONSOLE_IGNORE
) -> list[str]:
    """Return the page's collected console errors minus those matching ``ignore`` regexes."""
    patterns = [re.compile(p) for p in ignore]
    errors: list[str] = getattr(page, "console_errors", [])
    return [e for e in errors if not any(p.search(e) for p in patterns)]


def wait_until(predicate: Callable[[], bool], timeout: float = 120.0, step: float = 0.1) -> bool:
    """Polls ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    return wait_for(predicate, timeout=timeout, step=step)


def wait_kernel_idle(page: Page, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Wait until the current notebook's session is ready and its kernel is idle."""
    page.wait_for_function(
        f"() => ({_JS_CURRENT_KERNEL_STATUS})() === 'idle'", timeout=timeout * 1000
    )


def start_all_cells(page: Page) -> None:
    """Starts every cell of the open notebook once its kernel is idle, without waiting
    for them to finish (for tests that watch a cell while it runs)."""
    wait_kernel_idle(page)
    page.evaluate(_JS_START_RUN_ALL)


def cell_is_running(page: Page) -> bool:
    """Return True while any cell of the page shows the ``[*]`` prompt (or runs)."""
    return bool(page.evaluate(_JS_CELL_RUNNING))


def run_all_cells(page: Page, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Run all cells via the app command and wait until execution finished and kernel is idle."""
    wait_kernel_idle(page, timeout)
    page.evaluate(_JS_START_RUN_ALL)
    page.wait_for_function("() => window.__bwRunAll !== 'pending'", timeout=timeout * 1000)
    state = page.evaluate("() => window.__bwRunAll")
    if state != "done":
        raise RuntimeError(f"notebook:run-all-cells failed: {state}")
    page.wait_for_function(
        f"() => !({_JS_CELL_RUNNING})() && ({_JS_CURRENT_KERNEL_STATUS})() === 'idle'",
        timeout=timeout * 1000,
    )


def save_notebook(page: Page, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Saves the open notebook with the app's save command and waits until it is written
    (with its widget state when the JupyterLab setting ``saveState`` is on)."""
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=timeout * 1000
    )


SERVER_APPS = ("lab", "notebook")


class JupyterServer:
    """A Jupyter server subprocess in an isolated temp tree, plus page helpers.

    ``app`` picks the command: ``"lab"`` (``jupyter lab``, which also serves Notebook 7
    pages) or ``"notebook"`` (``jupyter notebook``, Notebook 7 as users start it).
    ``env`` adds environment variables to the server and so to its kernels. ``name``
    names the copy of the server log left in the artifacts folder.
    """

    def __init__(
        self,
        browser: Browser | None = None,
        user_settings: dict[str, dict[str, Any]] | None = None,
        app: str = "lab",
        env: dict[str, str] | None = None,
        name: str = "jupyter-server",
    ) -> None:
        if app not in SERVER_APPS:
            raise ValueError(f"app must be one of {SERVER_APPS}, not {app!r}")
        self.browser = browser
        self.app = app
        self.extra_env = dict(env or {})
        self.name = _safe_name(name)
        self.user_settings = {**DEFAULT_USER_SETTINGS, **(user_settings or {})}
        self.token = secrets.token_hex(24)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._tmp = Path(tempfile.mkdtemp(prefix="bw-jupyter-"))
        self.root_dir = self._tmp / "root"
        self.home = self._tmp / "home"
        self.log_path = self._tmp / "jupyter-server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._contexts: list[BrowserContext] = []
        self._counter = itertools.count(1)

    # -- process lifecycle -------------------------------------------------

    def _env(self) -> dict[str, str]:
        config = self.home / "config"
        data = self.home / "data"
        runtime = self.home / "runtime"
        ipython = self.home / "ipython"
        for d in (config, data, runtime, ipython, self.root_dir):
            d.mkdir(parents=True, exist_ok=True)
        # Kernelspec pinned to the test interpreter, found first via JUPYTER_PATH.
        _write_json(
            data / "kernels" / "python3" / "kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "metadata": {"debugger": False},
            },
        )
        # User settings shared by lab and notebook 7.
        settings = config / "lab" / "user-settings"
        for plugin, values in self.user_settings.items():
            package, _, name = plugin.partition(":")
            _write_json(settings / package / f"{name}.jupyterlab-settings", values)
        # No build check in the page (it shells out to node and yarn).
        _write_json(
            config / "labconfig" / "page_config.json",
            {"buildCheck": False, "buildAvailable": False},
        )
        (config / "jupyter_server_config.py").write_text(_SERVER_CONFIG_PY, encoding="utf-8")
        env = dict(os.environ)
        for key in ("JUPYTER_PREFER_ENV_PATH", "JUPYTERLAB_DIR", "JUPYTER_PLATFORM_DIRS"):
            env.pop(key, None)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(data),
            JUPYTER_RUNTIME_DIR=str(runtime),
            JUPYTER_PATH=str(data),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(config / "lab" / "workspaces"),
            IPYTHONDIR=str(ipython),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> JupyterServer:
        """Start ``jupyter lab`` (or ``notebook``) and wait until ``/api/status`` answers."""
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            self.app,
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--allow-root",
            "--no-browser",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class="
            "jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",
            "--JupyterNotebookApp.expose_app_in_browser=True",
        ]
        env = self._env()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.app} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "/api/status", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter {self.app} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, n: int = 60, width: int = 400) -> str:
        """Return the last ``n`` lines of the server log, each cut to ``width`` chars."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "<no server log>"
        return "\n".join(line[:width] for line in lines[-n:])

    def _kernel_pids(self) -> list[int]:
        """PIDs of kernels launched by this server (their argv names our runtime dir)."""
        marker = str(self.home / "runtime")
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        """Close pages, stop kernels and the server (process group), remove temp dir."""
        self.close_pages()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                self.shutdown_all_kernels()
                self.api("POST", "/api/shutdown", timeout=5)
            except (OSError, urllib.error.URLError):
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                stop_process_group(proc)
        for pid in self._kernel_pids():  # orphans only if the server died abruptly
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            shutil.copyfile(self.log_path, artifacts_dir() / f"{self.name}.log")
        except OSError:
            pass
        shutil.rmtree(self._tmp, ignore_errors=True)
        self.proc = None

    # -- REST --------------------------------------------------------------

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        """Call the server REST API with the token; return decoded JSON (or None)."""
        req = urllib.request.Request(
            self.base_url + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PUT", "PATCH") else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_all_kernels(self) -> None:
        """Delete all sessions and kernels through ``/api/sessions`` and ``/api/kernels``."""
        for session in self.api("GET", "/api/sessions") or []:
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass
        for kernel in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass

    # -- notebooks and pages -------------------------------------------------

    def _fresh_path(self, filename: str) -> tuple[str, Path]:
        """A new sub-folder of ``root_dir`` for ``filename``: (URL path, file path)."""
        sub = f"{next(self._counter):03d}-{_safe_name(Path(filename).stem)}"
        dest = self.root_dir / sub / filename
        dest.parent.mkdir(parents=True)
        return f"{sub}/{filename}", dest

    def copy_notebook(self, src: str | os.PathLike[str]) -> str:
        """Copy a notebook into a fresh sub-folder of ``root_dir``; return its URL path."""
        src = Path(src)
        name, dest = self._fresh_path(src.name)
        shutil.copyfile(src, dest)
        return name

    def add_notebook(self, nb: nbformat.NotebookNode, filename: str) -> str:
        """Write ``nb`` as ``filename`` in a fresh sub-folder of ``root_dir``; return its
        URL path."""
        name, dest = self._fresh_path(filename)
        nbformat.write(nb, dest)
        return name

    def notebook_path(self, name: str) -> Path:
        """The file behind a URL path returned by ``copy_notebook``/``add_notebook``."""
        return self.root_dir / name

    def notebook_url(self, name: str, app: str = "lab") -> str:
        """URL opening ``name`` (relative to root_dir) in ``lab`` or ``notebook`` (7)."""
        quoted = urllib.request.quote(name)
        if app == "lab":
            ws = f"bw-{uuid.uuid4().hex[:12]}"
            return f"{self.base_url}/lab/workspaces/{ws}/tree/{quoted}?reset&token={self.token}"
        if app == "notebook":
            return f"{self.base_url}/notebooks/{quoted}?token={self.token}"
        raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")

    def open_notebook(
        self,
        name: str,
        app: str = "lab",
        timeout: float = DEFAULT_TIMEOUT_S,
        viewport: tuple[int, int] = (1400, 1000),
    ) -> Page:
        """Open ``name`` in a fresh browser context; return the page once its kernel is idle."""
        if self.browser is None:
            raise RuntimeError("JupyterServer.browser is not set")
        width, height = viewport
        context = self.browser.new_context(viewport={"width": width, "height": height})
        self._contexts.append(context)
        context.set_default_timeout(timeout * 1000)
        page = context.new_page()
        _attach_console_collector(page)
        page.goto(self.notebook_url(name, app), wait_until="domcontentloaded")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell"
            " && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext !== undefined",
            timeout=timeout * 1000,
        )
        wait_kernel_idle(page, timeout)
        return page

    def open_pages(self) -> list[Page]:
        """All pages still open in contexts created by this server."""
        return [p for c in self._contexts for p in c.pages]

    def close_pages(self) -> None:
        """Close every browser context (and page) opened through this server."""
        while self._contexts:
            context = self._contexts.pop()
            try:
                context.close()
            except Exception:  # browser may already be gone at session end
                pass

    # Helpers re-exported as methods for fixture users.
    run_all_cells = staticmethod(run_all_cells)
    wait_kernel_idle = staticmethod(wait_kernel_idle)
    cell_is_running = staticmethod(cell_is_running)
    save_screenshot = staticmethod(save_screenshot)
    relevant_console_errors = staticmethod(relevant_console_errors)

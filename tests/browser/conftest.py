"""Fixtures for real-browser tests: JupyterLab server, chromium, notebook pages."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .jupyter_harness import (
    DEFAULT_TIMEOUT_S,
    JupyterServer,
    run_all_cells,
    save_screenshot,
)

BROWSER_DIR = Path(__file__).resolve().parent
NOTEBOOKS_DIR = BROWSER_DIR / "notebooks"
BROWSER_MARKER = "browser: real-browser end-to-end tests (JupyterLab/Notebook 7 + chromium)"
DEFAULT_TEST_TIMEOUT_S = 180

NotebookPageFactory = Callable[..., Page]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``browser`` marker (also listed in pyproject)."""
    config.addinivalue_line("markers", BROWSER_MARKER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser with ``browser`` and a bounded timeout."""
    has_timeout = config.pluginmanager.hasplugin("timeout")
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if has_timeout and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT_S))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failed browser test, save screenshots and attach console errors + server log."""
    report = yield
    servers = _servers_of(item)
    if report.when == "call" and report.failed and servers:
        lines = []
        for server in servers:
            for i, page in enumerate(server.open_pages()):
                try:
                    path = save_screenshot(page, f"FAILED-{item.name}-{i}")
                    lines.append(f"screenshot: {path}")
                except Exception as exc:  # best effort only
                    lines.append(f"could not save screenshot: {exc}")
                lines.append(f"console errors: {getattr(page, 'console_errors', [])}")
            lines.append(f"--- jupyter {server.app} server log (tail) ---\n{server.log_tail()}")
        report.sections.append(("browser test artifacts", "\n".join(lines)))
    return report


def _servers_of(item: pytest.Item) -> list[JupyterServer]:
    """The Jupyter servers among a test's fixture values (the shared one or its own)."""
    funcargs = getattr(item, "funcargs", {})
    found: list[JupyterServer] = []
    for value in funcargs.values():
        if isinstance(value, JupyterServer) and value not in found:
            found.append(value)
    return found


@pytest.fixture(scope="session")
def jupyter_server_factory(browser: Browser) -> Iterator[Callable[..., JupyterServer]]:
    """Factory: ``jupyter_server_factory(app="lab"|"notebook", env={...},
    user_settings={...}) -> JupyterServer``.

    For tests that need a server of their own kind: ``jupyter notebook`` instead of
    ``jupyter lab``, extra environment variables for the server and its kernels (e.g.
    ``BAYES_WIDGETS_FAST=1``), or JupyterLab user settings beyond the defaults (plugin id
    -> values). One server per (app, env, user_settings) for the session.
    """
    servers: dict[tuple, JupyterServer] = {}

    def make(
        app: str = "lab",
        env: dict[str, str] | None = None,
        user_settings: dict[str, dict[str, Any]] | None = None,
    ) -> JupyterServer:
        env_items = tuple(sorted((env or {}).items()))
        key = (app, env_items, json.dumps(user_settings or {}, sort_keys=True))
        if key not in servers:
            name = "jupyter-server-" + "-".join([app, *(f"{k}={v}" for k, v in env_items)])
            if user_settings:
                name += f"-settings{len(servers)}"
            server = JupyterServer(
                browser, user_settings=user_settings, app=app, env=env, name=name
            )
            try:
                server.start()
            except RuntimeError as exc:
                server.stop()
                pytest.fail(str(exc), pytrace=False)
            servers[key] = server
        return servers[key]

    try:
        yield make
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="session")
def jupyter_server(jupyter_server_factory: Callable[..., JupyterServer]) -> JupyterServer:
    """A JupyterLab server (also serving Notebook 7) on localhost, one per session: the
    factory's plain ``lab`` server, so a module asking the factory for one shares it."""
    return jupyter_server_factory(app="lab")


@pytest.fixture(autouse=True)
def _browser_test_cleanup(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used a server: close its pages and shut down kernels."""
    yield
    for server in _servers_of(request.node):
        server.close_pages()
        server.shutdown_all_kernels()


@pytest.fixture
def notebook_page(jupyter_server: JupyterServer) -> Iterator[NotebookPageFactory]:
    """Factory: ``notebook_page(path, app="lab"|"notebook", run_all=False) -> Page``.

    ``path`` is copied into the server root (relative paths are resolved against
    tests/browser/notebooks). The page is returned with its kernel idle; pages
    and kernels are cleaned up after the test.
    """

    def open_(
        path: str | os.PathLike[str],
        app: str = "lab",
        run_all: bool = False,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> Page:
        src = Path(path)
        if not src.is_absolute() and not src.exists():
            src = NOTEBOOKS_DIR / src
        name = jupyter_server.copy_notebook(src)
        page = jupyter_server.open_notebook(name, app=app, timeout=timeout)
        if run_all:
            run_all_cells(page, timeout=timeout)
        return page

    yield open_
    jupyter_server.close_pages()
    jupyter_server.shutdown_all_kernels()

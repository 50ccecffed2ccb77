"""Fixtures shared by every test folder (unit, widget, browser). Keep this small."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

_TINY_Y = np.random.default_rng(20240611).normal(1.0, 2.0, size=20)


def _tiny_model():
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        sigma = pm.HalfNormal("sigma", 5.0)
        pm.Normal("y", mu, sigma, observed=_TINY_Y)
    return model


@pytest.fixture
def make_tiny_model() -> Callable[[], object]:
    """Builds a fresh two-parameter model (Normal mean, HalfNormal sd, 20 observations).

    A fresh model object is compiled anew by nutpie (its cache is per model object).
    """
    return _tiny_model


@pytest.fixture(scope="session")
def tiny_model():
    """One shared instance of the tiny model, so nutpie compiles it once per test run."""
    return _tiny_model()


@pytest.fixture(scope="session")
def wait_until() -> Callable[..., None]:
    """``wait_until(predicate, timeout=60, what="...")`` polls until ``predicate()`` is true."""

    def wait(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.01)

    return wait


@pytest.fixture(scope="session")
def warm_diagnostics() -> None:
    """Imports and runs the ArviZ code behind diagnostics once, so that timings taken in a
    test measure the fit session and not a first import (about 1-2 s)."""
    import xarray as xr

    from bayes_widgets.core.fitting.diagnostics import summarize

    rng = np.random.default_rng(0)
    tree = xr.DataTree(
        children={
            "posterior": xr.DataTree(
                xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(2, 50)))})
            ),
        }
    )
    summarize(tree, backend="warmup", tune=0, wall_time_s=1.0, sampling_time_s=1.0)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright, one per test run (fails if chromium
    is missing). Shared by the browser tests and the static-export checks: Playwright's
    sync API runs one event loop per thread, so a second instance would refuse to start."""
    from playwright.sync_api import sync_playwright

    from tests.browser.jupyter_harness import CHROMIUM_MISSING, chromium_path, launch_browser

    if chromium_path() is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups for ``pytest -n 2 --dist loadgroup`` (``./dev test``): the browser tests run
    one after another on one worker (they share a JupyterLab server and time live pages),
    the MMM tests on one worker (they share fitted models), every other file as a unit."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        if path.startswith("tests/browser/"):
            group = "browser"
        elif path.startswith("tests/core/mmm/"):
            group = "mmm"
        else:
            group = path
        item.add_marker(pytest.mark.xdist_group(group))

"""CalibrationBoard in a real JupyterLab: histograms filling in as simulations finish, a
simulation's diagnostics on a click, Cancel by mouse keeping what is done."""

from __future__ import annotations

import time

import nbformat
import pytest
from playwright.sync_api import Page, expect

from .jupyter_harness import (
    JupyterServer,
    bokeh_plots_js,
    relevant_console_errors,
    run_all_cells,
    save_screenshot,
)

BOARD = "[data-testid=calibration-board]"
SIMULATIONS = 100

SETUP = f"""\
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import pymc as pm
from bayes_widgets.widgets.calibration_board import CalibrationBoard

x = np.linspace(-1, 1, 12)
with pm.Model(coords={{"obs": range(12)}}) as model:
    xd = pm.Data("x", x, dims="obs")
    alpha = pm.Normal("alpha", 0, 1)
    beta = pm.Normal("beta", 0, 1)
    pm.Normal("y", alpha + beta * xd, 1.0, observed=np.zeros(12), dims="obs")

board = CalibrationBoard(model, simulations={SIMULATIONS}, backend="pymc", draws=150, tune=150,
                         chains=1, thin=1, executor=ThreadPoolExecutor(1))
board
"""

# Per Bokeh plot of the board, in page order: how many rows its sources hold.
JS_ROWS = bokeh_plots_js("""
  return plotsInOrder(root).map((view) => Math.max(0, ...[...view.renderer_views.values()]
    .map((rv) => rv.model.data_source?.get_length() ?? 0)));
""")


def _notebook(code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _count(page: Page, param: str) -> int:
    text = page.locator(f"{BOARD} [data-param='{param}'] [data-testid=count]").get_attribute(
        "data-count"
    )
    return int(text or 0)


def _done(page: Page) -> int:
    return int(page.locator(BOARD).get_attribute("data-done") or 0)


@pytest.mark.timeout(420)
@pytest.mark.slow
def test_histograms_fill_in_diagnostics_on_click_and_cancel_keeps_what_is_done(
    jupyter_server: JupyterServer,
):
    name = jupyter_server.add_notebook(_notebook(SETUP), "calibration_board.ipynb")
    page = jupyter_server.open_notebook(name)
    t0 = time.monotonic()
    run_all_cells(page)  # the calibration runs in the background: the cell returns at once
    print(f"cell ran in {time.monotonic() - t0:.1f} s")
    board = page.locator(BOARD)
    expect(board).to_be_visible(timeout=60_000)
    expect(board.locator("[data-testid=parameter]")).to_have_count(2)

    # the counts shown on the page rise while the simulations run; the first histogram
    # is drawn early, well before a tenth of the simulations is done
    seen: list[int] = []
    first_drawn: int | None = None
    end = time.monotonic() + 150
    while time.monotonic() < end and (len(set(seen)) < 3 or first_drawn is None):
        n = _count(page, "alpha")
        if not seen or n != seen[-1]:
            seen.append(n)
        shown = board.locator("[data-param=alpha] [data-testid=plots]").get_attribute("data-shown")
        if first_drawn is None and shown and int(shown) > 0:
            first_drawn = int(shown)
        time.sleep(0.1)
    print(f"counts seen {seen}, first drawn {first_drawn}, at {time.monotonic() - t0:.1f} s")
    assert len({n for n in seen if n > 0}) >= 2, seen
    assert seen == sorted(seen)
    assert first_drawn is not None and first_drawn <= SIMULATIONS // 10, (first_drawn, seen)
    rows = board.evaluate(JS_ROWS)
    assert len(rows) == 4 and all(r > 0 for r in rows), rows  # 2 histograms, 2 ECDF plots

    # a click on a listed simulation shows its fit's diagnostics
    row = board.locator("tr[data-testid=simulation]").first
    expect(row).to_be_visible(timeout=60_000)
    index = row.get_attribute("data-index")
    row.click()
    diag = board.locator("[data-testid=diagnostics]")
    expect(diag).to_have_attribute("data-index", str(index), timeout=30_000)
    expect(diag).to_contain_text("alpha")
    expect(diag).to_contain_text("divergences")

    # Cancel, by mouse: the calibration stops, what was done stays on the board
    before = _done(page)
    board.locator("[data-testid=cancel]").click()
    expect(board).to_have_attribute("data-status", "cancelled", timeout=60_000)
    time.sleep(0.5)
    kept = _done(page)
    assert before <= kept < SIMULATIONS
    assert _count(page, "alpha") == kept == _count(page, "beta")
    expect(board.locator("[data-testid=message]")).to_contain_text(f"cancelled: {kept} finished")
    expect(board.locator("[data-testid=cancel]")).to_be_disabled()
    badge = board.locator("[data-param=alpha] [data-testid=verdict]")
    assert badge.get_attribute("data-passed") in ("true", "false")
    board.scroll_into_view_if_needed()
    path = save_screenshot(page, "calibration_board")
    board.screenshot(path=str(path))
    assert relevant_console_errors(page) == []


def test_bad_input_shows_inline_on_the_board(jupyter_server: JupyterServer):
    code = (
        "from bayes_widgets.widgets.calibration_board import CalibrationBoard\n"
        "CalibrationBoard(None)"
    )
    name = jupyter_server.add_notebook(_notebook(code), "calibration_bad.ipynb")
    page = jupyter_server.open_notebook(name)
    run_all_cells(page)
    board = page.locator(BOARD)
    expect(board.locator("[data-testid=error]")).to_contain_text("calibration:", timeout=60_000)
    assert board.get_attribute("data-status") == "error"
    expect(board.locator("[data-testid=cancel]")).to_be_disabled()

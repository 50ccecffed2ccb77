"""PredictionTable in a real JupyterLab: edit a cell with the keyboard, read the new
prediction from the page; for the project's LinearRegression and a hand-written pm.Data
model."""

from __future__ import annotations

import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Page, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

TABLE = "[data-testid=prediction-table]"
TIMEOUT_MS = 120_000
SLOPE = 3.0

SETUP = f"""\
import numpy as np
import pandas as pd
import bayes_widgets as bw

rng = np.random.default_rng(0)
df = pd.DataFrame({{"x1": rng.normal(size=60), "x2": rng.normal(size=60)}})
df["y"] = 1.0 + {SLOPE} * df.x1 - 2.0 * df.x2 + rng.normal(0, 0.3, 60)
reg = bw.LinearRegression(df, "y", ["x1", "x2"])
reg.fit(draws=200, tune=200, chains=2, seed=1)
"""
SHOW = """\
table = bw.PredictionTable(reg, pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.0]}), seed=0)
table
"""


OWN_SETUP = """\
import numpy as np
import pandas as pd
import pymc as pm
import bayes_widgets as bw

rng = np.random.default_rng(7)
n = 40
X = np.column_stack([rng.normal(20, 5, n), rng.normal(3, 1, n), rng.integers(0, 2, n)])
sales = 10 + X @ [0.5, -2.0, 3.0] + rng.normal(0, 1, n)
with pm.Model(coords={"obs": np.arange(n), "feature": ["temp", "price", "weekend"]}) as model:
    X_data = pm.Data("X", X, dims=("obs", "feature"))
    sales_obs = pm.Data("sales_obs", sales, dims="obs")
    alpha = pm.Normal("alpha", 0, 20)
    beta = pm.Normal("beta", 0, 5, dims="feature")
    sigma = pm.HalfNormal("sigma", 3)
    mu = pm.Deterministic("mu", alpha + X_data @ beta, dims="obs")
    pm.Normal("sales", mu, sigma, observed=sales_obs, dims="obs")
    idata = pm.sample(draws=200, tune=300, chains=2, cores=1, random_seed=2,
                      progressbar=False, nuts_sampler="pymc", compute_convergence_checks=False)
"""
OWN_SHOW = """\
rows = pd.DataFrame({"temp": [20.0, 25.0], "price": [3.0, 3.0], "weekend": [0.0, 1.0]})
table = bw.PredictionTable(model, rows, posterior=idata, seed=0)
table
"""


def write_notebook(path, *cells):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebook(tmp_path):
    return write_notebook(tmp_path / "prediction_table.ipynb", SETUP, SHOW)


@pytest.fixture
def own_notebook(tmp_path):
    return write_notebook(tmp_path / "prediction_own_model.ipynb", OWN_SETUP, OWN_SHOW)


def value(page: Page, row: int, column: str) -> float:
    cell = page.locator(f"{TABLE} tr[data-row='{row}'] td[data-column={column}]")
    return float(cell.get_attribute("data-value"))


def revision(page: Page) -> int:
    return int(page.locator(TABLE).get_attribute("data-revision"))


def edit(page: Page, row: int, column: str, text: str, key: str = "Enter") -> None:
    """Clicks the cell, replaces its text by typing, and leaves it with ``key``."""
    page.locator(f"{TABLE} [data-testid=cell-{row}-{column}]").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.keyboard.press(key)


def open_table(notebook_page, path) -> Page:
    page = notebook_page(path, app="lab", run_all=True, timeout=300)
    table = page.locator(TABLE)
    expect(table).to_be_visible(timeout=TIMEOUT_MS)
    expect(table.locator("[data-testid=plot][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    return page


@pytest.mark.timeout(420)
def test_editing_a_cell_changes_the_prediction_on_the_page(notebook_page, notebook):
    page = open_table(notebook_page, notebook)
    table = page.locator(TABLE)
    assert table.get_attribute("data-rows") == "2"
    expect(table.locator("[data-testid=title]")).to_contain_text("95% equal-tailed interval")
    before_y, before_mu = value(page, 0, "y_mean"), value(page, 0, "mu_mean")
    other = value(page, 1, "y_mean")
    lo, hi = (
        float(v)
        for v in table.locator("tr[data-row='0'] td[data-column=y_interval]")
        .get_attribute("data-value")
        .split(",")
    )
    assert lo < before_y < hi
    start = revision(page)
    edit(page, 0, "x1", "2")
    assert wait_until(lambda: revision(page) > start, timeout=30)
    after_y, after_mu = value(page, 0, "y_mean"), value(page, 0, "mu_mean")
    # x1 from 0 to 2 moves the prediction by twice the slope (about 6)
    assert after_mu - before_mu == pytest.approx(2 * SLOPE, abs=0.4)
    assert after_y - before_y == pytest.approx(after_mu - before_mu, abs=0.2)
    assert value(page, 1, "y_mean") == other  # the other row is untouched
    expect(table.locator("[data-testid=cell-0-x1]")).to_have_value("2")
    plot = table.locator("[data-testid=plot]")
    assert wait_until(
        lambda: plot.get_attribute("data-revision") == str(revision(page)), timeout=10
    )
    table.screenshot(
        path=str(save_screenshot(page, "prediction_table").with_name("prediction_table_widget.png"))
    )
    assert relevant_console_errors(page) == []


@pytest.mark.timeout(420)
def test_bad_input_shows_inline_and_rows_can_be_added_and_removed(notebook_page, notebook):
    page = open_table(notebook_page, notebook)
    table = page.locator(TABLE)
    before = value(page, 0, "y_mean")
    start = revision(page)
    edit(page, 0, "x1", "abc")
    expect(table.locator("[data-testid=error]")).to_contain_text(
        "new_rows['x1']: 'abc' in row 0 is not a number", timeout=30_000
    )
    expect(table.locator("[data-testid=cell-0-x1]")).to_have_value(
        "0", timeout=10_000
    )  # last valid value back
    assert value(page, 0, "y_mean") == before and revision(page) == start
    table.locator("[data-testid=add-row]").click()
    expect(table).to_have_attribute("data-rows", "3", timeout=30_000)
    expect(table.locator("[data-testid=error]")).to_be_hidden()
    assert value(page, 2, "mu_mean") == value(page, 1, "mu_mean")  # a copy of the last row
    expect(table.locator("[data-testid=plot]")).to_have_attribute(
        "data-points", "3", timeout=10_000
    )
    table.locator("[data-testid=remove-0]").click()
    expect(table).to_have_attribute("data-rows", "2", timeout=30_000)
    expect(table.locator("[data-testid=cell-0-x1]")).to_have_value("1")
    # another credible mass, chosen on the page
    table.locator("[data-testid=prob]").select_option("0.5")
    expect(table.locator("[data-testid=title]")).to_contain_text(
        "50% equal-tailed interval", timeout=30_000
    )
    assert relevant_console_errors(page) == []


@pytest.mark.timeout(420)
def test_a_hand_written_model_edited_with_the_keyboard(notebook_page, own_notebook):
    page = open_table(notebook_page, own_notebook)
    table = page.locator(TABLE)
    assert table.get_attribute("data-rows") == "2"
    header = table.locator("tr").first.inner_text()
    assert "mu" in header and "new sales" in header
    for column in ("temp", "price", "weekend"):
        expect(table.locator(f"[data-testid=cell-0-{column}]")).to_be_visible()
    before = [value(page, r, "mu_mean") for r in (0, 1)]
    sales_before = value(page, 0, "sales_mean")
    # click, type, Enter: ten degrees more, about five more sales (slope 0.5)
    start = revision(page)
    began = time.perf_counter()
    edit(page, 0, "temp", "30")
    assert wait_until(lambda: revision(page) > start, timeout=30)
    round_trip = time.perf_counter() - began
    assert value(page, 0, "mu_mean") - before[0] == pytest.approx(5.0, abs=1.0)
    assert value(page, 0, "sales_mean") - sales_before == pytest.approx(5.0, abs=1.2)
    assert value(page, 1, "mu_mean") == before[1]
    shown = table.locator("tr[data-row='0'] td[data-column=mu_mean]").inner_text()
    assert float(shown) == pytest.approx(value(page, 0, "mu_mean"), rel=1e-3)
    # Tab applies the value and moves on to the next cell
    start = revision(page)
    edit(page, 1, "price", "5", key="Tab")
    assert wait_until(lambda: revision(page) > start, timeout=30)
    assert value(page, 1, "mu_mean") - before[1] == pytest.approx(-4.0, abs=1.2)
    expect(table.locator("[data-testid=cell-1-weekend]")).to_be_focused()
    expect(table.locator("[data-testid=cell-1-price]")).to_have_value("5")
    # a bad value is named inline and the last valid one comes back
    start = revision(page)
    edit(page, 1, "weekend", "sunday")
    expect(table.locator("[data-testid=error]")).to_contain_text(
        "new_rows['weekend']: 'sunday' in row 1 is not a number", timeout=30_000
    )
    expect(table.locator("[data-testid=cell-1-weekend]")).to_have_value("1", timeout=10_000)
    assert revision(page) == start
    plot = table.locator("[data-testid=plot]")
    assert wait_until(
        lambda: plot.get_attribute("data-revision") == str(revision(page)), timeout=10
    )
    page.mouse.move(0, 0)
    table.screenshot(
        path=str(
            save_screenshot(page, "prediction_table_own_model").with_name(
                "prediction_table_own_model_widget.png"
            )
        )
    )
    print(f"edit round trip on the page: {round_trip:.3f} s")
    assert round_trip < 3.0
    assert relevant_console_errors(page) == []

"""A new user's first hour, in a real JupyterLab: models written by hand the way the PyMC
and NumPyro docs teach, through every widget, driven with the mouse and the keyboard.

``notebooks/own_models.ipynb`` runs once for the module: a PyMC regression with
``pm.Data`` inputs and named dims (its model card, a live fit, the posterior explorer,
the prior editor with ``apply()`` and a refit, predictions for new days, a stock decision
on the posterior predictive), a NumPyro regression with an improper flat prior fitted
live, and the centred eight schools with flat priors fitted by nutpie. Each test reads
one widget from the page, acts on it once with the real mouse or keyboard, and saves a
screenshot of the widget as ``own_models_<widget>.png`` in the artifacts folder.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Locator, Page, expect

from .jupyter_harness import (
    JupyterServer,
    artifacts_dir,
    console_warnings,
    plot_titles,
    plots_hiding_data,
    relevant_console_errors,
    run_all_cells,
    save_screenshot,
    wait_until,
)

NOTEBOOK = "own_models.ipynb"
TIMEOUT_MS = 120_000
VIEWPORT = (1400, 1800)  # tall: the widgets fit the notebook panel when cropped
STDERR_LINES = 2
"""Most lines of stderr one cell may show (a warning is a line or two; more is a wall)."""

# The notebook's code cells, by position (markdown cells count too).
CARD, MONITOR, EXPLORER, EDITOR, APPLY, REFIT, TABLE, DECISION = 3, 5, 6, 8, 9, 10, 12, 14
NUMPYRO_MONITOR, NUMPYRO_WAIT, SCHOOLS_CARD, SCHOOLS_MONITOR, SCHOOLS_EXPLORER = 16, 17, 19, 20, 21
FEATURES = ("temp", "price", "weekend")
DAYS = ("stock_day1", "stock_day2", "stock_day3")

# Per-cell error outputs and stderr text, read from the notebook model of the page.
_JS_CELL_OUTPUTS = """
() => {
  const model = window.jupyterapp.shell.currentWidget.content.model;
  const out = [];
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    const outputs = c.type === 'code' ? c.outputs.toJSON() : [];
    out.push({
      type: c.type,
      count: c.type === 'code' ? c.executionCount : null,
      errors: outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
      stderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr')
        .map((o) => Array.isArray(o.text) ? o.text.join('') : String(o.text)).join(''),
    });
  }
  return out;
}
"""


@dataclass
class OwnModels:
    """The notebook's page after every cell ran, and how long that took."""

    page: Page
    seconds: float
    cells: list[dict] = field(default_factory=list)

    def cell(self, index: int) -> Locator:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def widget(self, index: int, testid: str) -> Locator:
        return self.cell(index).locator(f".jp-OutputArea-output [data-testid={testid}]").first


@pytest.fixture(scope="module")
def own(jupyter_server_factory: Callable[..., JupyterServer]) -> Iterator[OwnModels]:
    """Runs the notebook once in JupyterLab, on the session's server taken from the
    factory: the per-test cleanup closes the pages of the servers a test asks for, and no
    test here asks for one, so this page stays open for every test of the module."""
    from .conftest import NOTEBOOKS_DIR

    server = jupyter_server_factory(app="lab")
    name = server.copy_notebook(NOTEBOOKS_DIR / NOTEBOOK)
    page = server.open_notebook(name, app="lab", timeout=120, viewport=VIEWPORT)
    start = time.monotonic()
    run_all_cells(page, timeout=300)
    state = OwnModels(page, time.monotonic() - start)
    state.cells = page.evaluate(_JS_CELL_OUTPUTS)
    print(f"own_models.ipynb ran in {state.seconds:.1f} s")
    try:
        yield state
    finally:
        server.close_pages()
        server.shutdown_all_kernels()


@contextlib.contextmanager
def shot_on_failure(own: OwnModels, name: str) -> Iterator[None]:
    """A page screenshot when the block fails (this module's server is not a test's)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            save_screenshot(own.page, f"FAILED-own_models-{name}")
        raise


def widget_shot(own: OwnModels, element: Locator, name: str) -> None:
    """The widget's element (not the whole page) as ``own_models_<name>.png``."""
    own.page.mouse.move(0, 0)  # no hover highlight or tooltip in the picture
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(artifacts_dir() / f"own_models_{name}.png"))


def type_into(page: Page, box: Locator, text: str, key: str = "Enter") -> None:
    """Clicks the box, replaces its text by typing, and presses ``key``."""
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.keyboard.press(key)


def number(locator: Locator, attribute: str = "data-value") -> float:
    return float(locator.get_attribute(attribute))


def traced(monitor: Locator) -> list[str]:
    """The variables of a FitMonitor's trace plots, read from the plots' titles."""
    titles = plot_titles(monitor.locator("[data-testid=figure]"))
    return [t for t in titles if t and not t.endswith(" ranks")]


def chain_rates(monitor: Locator) -> list[float]:
    """Per-chain draws/s as the chains table shows them."""
    table = monitor.locator("[data-testid=chains]")
    column = [t.strip() for t in table.locator("tr").first.locator("th").all_inner_texts()].index(
        "draws/s"
    )
    rows = table.locator("tr[data-chain]")
    return [
        float(rows.nth(i).locator("td").nth(column).inner_text().replace(",", ""))
        for i in range(rows.count())
    ]


# ------------------------------------------------------------------------------ the page
def test_every_cell_ran_quietly(own: OwnModels):
    """No tracebacks, no stderr walls, no console errors and no BokehJS warnings."""
    problems = []
    for i, cell in enumerate(own.cells):
        if cell["type"] != "code":
            continue
        if cell["count"] is None:
            problems.append(f"cell {i} did not run")
        if cell["errors"]:
            problems.append(f"cell {i} raised {cell['errors']}")
        lines = [ln for ln in cell["stderr"].splitlines() if ln.strip()]
        if len(lines) > STDERR_LINES:
            problems.append(f"cell {i} shows {len(lines)} lines of stderr: {lines[:4]}")
    assert problems == [], "\n".join(problems)
    assert relevant_console_errors(own.page) == []
    bokeh = console_warnings(own.page, r"^\[bokeh\b")
    assert not bokeh, f"{len(bokeh)} BokehJS warnings, e.g. {sorted(set(bokeh))[:5]}"
    assert own.seconds < 120, f"the notebook took {own.seconds:.0f} s"


# Every widget of the notebook that draws figures: (cell, data-testid, name in messages).
FIGURES = (
    (CARD, "model-card", "model card"),
    (MONITOR, "fit-monitor", "FitMonitor (PyMC)"),
    (EXPLORER, "posterior-explorer", "PosteriorExplorer"),
    (EDITOR, "prior-editor", "PriorEditor"),
    (TABLE, "prediction-table", "PredictionTable"),
    (DECISION, "decision-explorer", "DecisionExplorer"),
    (NUMPYRO_MONITOR, "fit-monitor", "FitMonitor (NumPyro)"),
    (SCHOOLS_MONITOR, "fit-monitor", "FitMonitor (nutpie)"),
    (SCHOOLS_EXPLORER, "posterior-explorer", "PosteriorExplorer (eight schools)"),
)


def test_every_plot_shows_its_data(own: OwnModels):
    """No figure of any widget is left blank: its automatic ranges span its data."""
    problems, plots = [], 0
    for index, testid, name in FIGURES:
        widget = own.widget(index, testid)
        expect(widget).to_be_visible(timeout=TIMEOUT_MS)
        found = plots_hiding_data(widget)
        plots += found["plots"]
        problems += [f"{name}: {p}" for p in found["problems"]]
    assert plots >= 20, plots
    assert problems == [], f"{len(problems)} ranges miss their data:\n" + "\n".join(problems[:20])


# ------------------------------------------------------------------------------ model card
def test_model_card_lists_the_variables_and_opens_the_editor(own: OwnModels):
    card = own.widget(CARD, "model-card")
    with shot_on_failure(own, "model_card"):
        expect(card).to_be_visible(timeout=TIMEOUT_MS)
        expect(card.locator("[data-testid=graph][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        expect(card).to_contain_text("3 free, 1 observed variable")
        expect(card).to_contain_text("obs (60)")
        expect(card).to_contain_text("feature (3)")
        kinds = {
            "alpha": "free",
            "beta": "free",
            "sigma": "free",
            "y": "observed",
            "mu": "deterministic",
            "X": "data",
            "y_obs": "data",
        }
        for name, kind in kinds.items():
            assert card.locator(f"tr[data-variable={name}]").get_attribute("data-kind") == kind, (
                name
            )
        beta = card.locator("tr[data-variable=beta]").inner_text()
        assert "Normal" in beta and "feature" in beta and "(3)" in beta, beta
        assert "sigma" in card.locator("tr[data-variable=sigma]").inner_text()
        assert "(60, 3)" in card.locator("tr[data-variable=X]").inner_text()
        mu = card.locator("tr[data-variable=mu]").inner_text()
        assert all(p in mu for p in ("X", "alpha", "beta")), mu
        widget_shot(own, card, "model_card")
        # Edit priors: the prior editor opens below the card, bound to the model
        card.locator("[data-testid=edit-priors]").click()
        below = own.widget(CARD, "prior-editor")
        expect(below).to_be_visible(timeout=60_000)
        expect(card.locator("[data-testid=edit-priors]")).to_be_disabled()
        options = below.locator("[data-testid=variable] option").all_inner_texts()
        assert [o for o in options if o.split()[0] in ("alpha", "beta", "sigma")], options


def test_model_card_of_flat_priors(own: OwnModels):
    """The centred eight schools with BDA3's flat priors: every variable on the card."""
    card = own.widget(SCHOOLS_CARD, "model-card")
    with shot_on_failure(own, "model_card_schools"):
        expect(card).to_be_visible(timeout=TIMEOUT_MS)
        expect(card.locator("[data-testid=graph][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        rows = {
            r: card.locator(f"tr[data-variable={r}] td").nth(2).inner_text()
            for r in ("mu", "tau", "theta")
        }
        widget_shot(own, card, "model_card_schools")
        assert rows["mu"] == "Flat" and rows["theta"] == "Normal", rows
        assert rows["tau"] != "", rows
        print(f"eight schools card distributions: {rows}")


def test_model_card_names_half_flat(own: OwnModels):
    card = own.widget(SCHOOLS_CARD, "model-card")
    expect(card).to_be_visible(timeout=TIMEOUT_MS)
    assert card.locator("tr[data-variable=tau] td").nth(2).inner_text() == "HalfFlat"


# ------------------------------------------------------------------------------ PyMC fit
def monitor_problems(monitor: Locator) -> list[str]:
    return [t.strip() for t in monitor.locator("[data-testid=problems] li").all_inner_texts()]


def test_fit_monitor_reads_like_a_report(own: OwnModels):
    monitor = own.widget(MONITOR, "fit-monitor")
    with shot_on_failure(own, "fit_monitor"):
        expect(monitor).to_have_attribute("data-status", "finished", timeout=TIMEOUT_MS)
        assert (
            monitor.get_attribute("data-draws-done") == monitor.get_attribute("data-total") == "800"
        )
        expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        rows = monitor.locator("[data-testid=chains] tr[data-chain]")
        assert {rows.nth(i).get_attribute("data-phase") for i in range(rows.count())} == {"done"}
        assert "ETA" not in monitor.locator("[data-testid=counts]").inner_text()
        table = monitor.locator("[data-testid=convergence]")
        names = [n.strip() for n in table.locator("tr[data-name] td:first-child").all_inner_texts()]
        # coordinate labels, the free parameters first, the deterministic on one line
        assert names[:5] == ["alpha", *(f"beta[{f}]" for f in FEATURES), "sigma"], names
        group = table.locator("tr[data-group=mu]")
        expect(group).to_contain_text("mu — 60 values")
        assert table.locator("tr[data-name='mu[0]']").count() == 0
        # the problems are named in visible text, and match the result's diagnostics
        verdict = monitor.locator("[data-testid=problems]")
        expect(verdict).to_be_visible()
        text = verdict.inner_text()
        assert text.startswith(
            ("No problems found", "1 problem", "2 problems", "3 problems", "4 problems")
        ), text
        summary = monitor.locator("[data-testid=summary]")
        assert summary.get_attribute("data-draws-per-chain") == "200"
        # the whole small vector is traced, by its labels, after alpha and before sigma
        assert traced(monitor) == ["alpha", *(f"beta[{f}]" for f in FEATURES), "sigma"], traced(
            monitor
        )
        # chains one after another (cores=1): the overall rate is the draws over the sum
        # of each chain's time, each chain's time its 400 draws over its own rate
        overall = float(re.search(r"draws/s: ([\d,.]+)", summary.inner_text())[1].replace(",", ""))
        rates = chain_rates(monitor)
        assert len(rates) == 2 and all(r > 0 for r in rates), rates
        assert overall == pytest.approx(800 / sum(400 / r for r in rates), rel=0.05), (
            overall,
            rates,
        )
        widget_shot(own, monitor, "fit_monitor")
        # one click opens the deterministic's values, labelled by position on "obs"
        group.locator("[data-testid=expand]").click()
        expect(table.locator("tr[data-name='mu[0]']")).to_be_visible(timeout=10_000)
        assert table.locator("tr[data-name^='mu[']").count() >= 10
        expect(group.locator("[data-testid=expand]")).to_have_text("collapse")
        group.locator("[data-testid=expand]").click()
        expect(table.locator("tr[data-name='mu[0]']")).to_have_count(0, timeout=10_000)


def test_posterior_explorer_labels_problems_and_a_clicked_row(own: OwnModels):
    explorer = own.widget(EXPLORER, "posterior-explorer")
    monitor = own.widget(MONITOR, "fit-monitor")
    with shot_on_failure(own, "posterior_explorer"):
        expect(explorer.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        table = explorer.locator("[data-testid=summary]")
        names = [n.strip() for n in table.locator("tr[data-quantity] td.bw-left").all_inner_texts()]
        assert names == ["alpha", *(f"beta[{f}]" for f in FEATURES), "sigma"], names
        expect(table.locator("tr[data-group=mu]")).to_contain_text("mu — 60 values, max R-hat")
        # the same problems, in the same words, as the monitor of the same fit
        listed = [
            t.strip() for t in explorer.locator("[data-testid=problems] li").all_inner_texts()
        ]
        assert listed == monitor_problems(monitor), (listed, monitor_problems(monitor))
        assert int(explorer.get_attribute("data-fit-problems") or 0) == len(listed)
        # the slope of price is negative (data made with -6): read from the page
        price = number(table.locator("tr[data-quantity='beta[price]'] td[data-col=mean]"))
        assert -7.5 < price < -4.5, price
        # a click on a row plots that quantity
        table.locator("tr[data-quantity='beta[price]'] td.bw-left").click()
        expect(
            explorer.locator("[data-testid=figure][data-quantities='beta[price]']")
        ).to_be_attached(timeout=60_000)
        widget_shot(own, explorer, "posterior_explorer")


# ------------------------------------------------------------------------------ priors
def test_prior_editor_takes_a_typed_value_and_apply_sees_it(own: OwnModels):
    page = own.page
    editor = own.widget(EDITOR, "prior-editor")
    with shot_on_failure(own, "prior_editor"):
        expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        expect(editor.locator("[data-testid=pred-figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        options = [
            o.split()[0] for o in editor.locator("[data-testid=variable] option").all_inner_texts()
        ]
        assert options[:3] == ["alpha", "beta", "sigma"], options
        # the refit in the notebook used apply(): its message is in the cell's output
        expect(own.cell(REFIT).locator(".jp-OutputArea-output")).to_contain_text(
            "100 draws per chain"
        )
        expect(own.cell(APPLY).locator(".jp-OutputArea-output")).to_contain_text(
            re.compile(r'Prior\("Normal", mu=0(\.0)?, sigma=50(\.0)?\)')
        )
        # alpha ~ Normal(0, 50): type 20 into its sigma and press Enter
        box = editor.locator("[data-testid=value-sigma]")
        expect(box).to_have_value(re.compile(r"^50(\.0*)?$"))
        type_into(page, box, "20")
        sd = editor.locator("[data-testid=sd]")
        assert wait_until(lambda: abs(number(sd) - 20) < 1e-6, timeout=30), sd.get_attribute(
            "data-value"
        )
        expect(box).to_be_focused()
        # after the notebook's own pm.set_data (3 new days) the prior predictive says so
        note = editor.locator("[data-testid=pred-note]")
        expect(note).to_be_visible(timeout=30_000)
        print(f"prior predictive note: {note.inner_text()!r}")
        expect(editor.locator("[data-testid=pred-figure][data-rendered=true]")).to_be_attached()
        widget_shot(own, editor, "prior_editor")
        # the edited prior reaches apply(): run that cell again with the keyboard
        own.cell(APPLY).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        expect(own.cell(APPLY).locator(".jp-OutputArea-output")).to_contain_text(
            re.compile(r'Prior\("Normal", mu=0(\.0)?, sigma=20(\.0)?\)'), timeout=60_000
        )


# ------------------------------------------------------------------------------ predictions
def test_prediction_table_follows_a_typed_temperature(own: OwnModels):
    page = own.page
    table = own.widget(TABLE, "prediction-table")
    explorer = own.widget(EXPLORER, "posterior-explorer")

    def value(row: int, column: str) -> float:
        return number(table.locator(f"tr[data-row='{row}'] td[data-column={column}]"))

    def revision() -> int:
        return int(table.get_attribute("data-revision"))

    with shot_on_failure(own, "prediction_table"):
        expect(table.locator("[data-testid=plot][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        assert table.get_attribute("data-rows") == "3"
        header = table.locator("tr").first.inner_text()
        assert "mu" in header and "y" in header, header
        for column in FEATURES:
            expect(table.locator(f"[data-testid=cell-0-{column}]")).to_be_visible()
        # predictions near the truth of the simulation: 40 + 0.8 temp - 6 price + 8 weekend
        truth = [40 + 0.8 * t - 6 * p + 8 * w for t, p, w in ((18, 3, 0), (25, 3.5, 1), (30, 4, 1))]
        for row, expected in enumerate(truth):
            assert abs(value(row, "mu_mean") - expected) < 3, (row, value(row, "mu_mean"), expected)
            cell = table.locator(f"tr[data-row='{row}'] td[data-column=y_interval]")
            lower, upper = (float(v) for v in cell.get_attribute("data-value").split(","))
            assert lower < value(row, "y_mean") < upper, (lower, value(row, "y_mean"), upper)
        # ten degrees more on the first day moves mu by ten times the posterior mean of
        # beta[temp], as the explorer shows it
        slope = number(explorer.locator("tr[data-quantity='beta[temp]'] td[data-col=mean]"))
        before, others = value(0, "mu_mean"), (value(1, "mu_mean"), value(2, "mu_mean"))
        start = revision()
        type_into(page, table.locator("[data-testid=cell-0-temp]"), "28")
        assert wait_until(lambda: revision() > start, timeout=30)
        assert value(0, "mu_mean") - before == pytest.approx(10 * slope, rel=1e-6, abs=1e-6)
        assert (value(1, "mu_mean"), value(2, "mu_mean")) == others
        expect(table.locator("[data-testid=cell-0-temp]")).to_have_value("28")
        shown = table.locator("tr[data-row='0'] td[data-column=mu_mean]").inner_text()
        assert float(shown) == pytest.approx(value(0, "mu_mean"), rel=1e-3), shown
        plot = table.locator("[data-testid=plot]")
        assert wait_until(
            lambda: plot.get_attribute("data-revision") == str(revision()), timeout=10
        )
        widget_shot(own, table, "prediction_table")


# ------------------------------------------------------------------------------ decision
def test_decision_explorer_stock_for_three_days(own: OwnModels):
    page = own.page
    explorer = own.widget(DECISION, "decision-explorer")

    def row(label: str) -> tuple[float, ...]:
        r = explorer.locator(f"tr[data-label='{label}']")
        return tuple(number(r.locator(f"td[data-variable={d}]")) for d in DAYS)

    def boxes() -> tuple[float, ...]:
        return tuple(
            float(explorer.locator(f"[data-testid=value-{d}]").input_value()) for d in DAYS
        )

    def at(point: tuple[float, ...], tol: float) -> bool:
        return all(abs(a - b) <= tol for a, b in zip(boxes(), point, strict=True))

    def expected() -> float:
        return number(explorer.locator("[data-testid=expected]"))

    with shot_on_failure(own, "decision_explorer"):
        expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        expect(explorer).to_have_attribute("data-status", "idle", timeout=TIMEOUT_MS)
        # opens at the optimum, which stocks more than the mean demand (a unit sells for
        # 3 to 4 and costs 1), and beats the naive plug-in-the-means decision
        best = row("optimum")
        naive = row("naive (means)")
        assert at(best, 1e-6 * 150), (boxes(), best)
        assert row("this decision") == best
        assert all(b > n for b, n in zip(best, naive, strict=True)), (best, naive)
        assert all(20 < n < 70 for n in naive), naive
        best_profit = expected()
        naive_profit = number(explorer.locator("tr[data-label='naive (means)']"), "data-mean")
        assert best_profit > naive_profit > 0, (best_profit, naive_profit)
        expect(explorer.locator("[data-testid=advice]")).to_be_hidden()
        # too little stock for day 1, typed: a lower expected profit and advice to optimise
        type_into(page, explorer.locator("[data-testid=value-stock_day1]"), "10")
        cell = explorer.locator("tr[data-label='this decision'] td[data-variable=stock_day1]")
        assert wait_until(lambda: cell.get_attribute("data-value") == "10", timeout=30)
        assert wait_until(lambda: expected() < naive_profit, timeout=30), expected()
        expect(explorer.locator("[data-testid=advice]")).to_contain_text(
            "press Optimise", timeout=30_000
        )
        # Optimise with the mouse: back to the optimum
        explorer.locator("[data-testid=optimise]").click()
        assert wait_until(lambda: at(best, 1e-3 * 150), timeout=60), (boxes(), best)
        assert expected() == pytest.approx(best_profit, rel=1e-6)
        expect(explorer.locator("[data-testid=advice]")).to_be_hidden(timeout=30_000)
        print(
            f"stock optimum {best} (profit {best_profit:.2f}), naive {naive} (profit {naive_profit:.2f})"
        )
        widget_shot(own, explorer, "decision_explorer")


# ------------------------------------------------------------------------------ NumPyro
def test_numpyro_model_with_an_improper_prior_fits_live(own: OwnModels):
    monitor = own.widget(NUMPYRO_MONITOR, "fit-monitor")
    with shot_on_failure(own, "fit_monitor_numpyro"):
        expect(monitor).to_have_attribute("data-status", "finished", timeout=TIMEOUT_MS)
        assert monitor.get_attribute("data-backend") == "numpyro"
        assert (
            monitor.get_attribute("data-draws-done") == monitor.get_attribute("data-total") == "800"
        )
        expect(own.cell(NUMPYRO_WAIT).locator(".jp-OutputArea-output")).to_contain_text(
            "200 draws per chain"
        )
        expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        table = monitor.locator("[data-testid=convergence]")
        names = [n.strip() for n in table.locator("tr[data-name] td:first-child").all_inner_texts()]
        assert names == ["alpha", "beta[0]", "beta[1]", "beta[2]", "sigma"], names
        # the slope of price, under a flat prior, is found (data made with -6)
        price = table.locator("tr[data-name='beta[1]'] td").nth(1).inner_text()
        assert -7.5 < float(price) < -4.5, price
        expect(monitor.locator("[data-testid=problems]")).to_be_visible()
        expect(monitor.locator("[data-testid=pause]")).to_be_disabled()
        group = table.locator("tr[data-group=mu]")
        expect(group).to_contain_text("mu — 60 values")
        widget_shot(own, monitor, "fit_monitor_numpyro")
        # the NumPyro deterministic opens with a click, like PyMC's
        group.locator("[data-testid=expand]").click()
        expect(table.locator("tr[data-name='mu[59]']")).to_be_visible(timeout=10_000)
        group.locator("[data-testid=expand]").click()
        expect(table.locator("tr[data-name='mu[0]']")).to_have_count(0, timeout=10_000)


def test_numpyro_monitor_traces_the_whole_small_vector(own: OwnModels):
    monitor = own.widget(NUMPYRO_MONITOR, "fit-monitor")
    expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    assert traced(monitor) == ["alpha", "beta[0]", "beta[1]", "beta[2]", "sigma"], traced(monitor)


# ------------------------------------------------------------------------------ eight schools
def test_centred_eight_schools_problems_named_in_monitor_and_explorer(own: OwnModels):
    monitor = own.widget(SCHOOLS_MONITOR, "fit-monitor")
    explorer = own.widget(SCHOOLS_EXPLORER, "posterior-explorer")
    with shot_on_failure(own, "fit_monitor_nutpie"):
        expect(monitor).to_have_attribute("data-status", "finished", timeout=TIMEOUT_MS)
        assert monitor.get_attribute("data-backend") == "nutpie"
        expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        problems = monitor_problems(monitor)
        text = " | ".join(problems)
        divergences = int(
            monitor.locator("[data-testid=summary]").get_attribute("data-divergences")
        )
        # the centred model with a flat prior on tau diverges (seeded: the same draws each run)
        assert divergences > 0
        assert re.search(rf"{divergences} divergent transitions? after tuning", text), text
        assert "ESS bulk below 200" in text or "ESS tail below 200" in text, text
        labels = [
            n.strip()
            for n in monitor.locator(
                "[data-testid=convergence] tr[data-name] td:first-child"
            ).all_inner_texts()
        ]
        assert "theta[A]" in labels and "tau" in labels, labels
        # a click on a row's problems is plain text: read it from the page
        flagged = monitor.locator("[data-testid=convergence] tr[data-problem=true]")
        assert flagged.count() > 0
        widget_shot(own, monitor, "fit_monitor_nutpie")
    with shot_on_failure(own, "posterior_explorer_schools"):
        expect(explorer.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
            timeout=TIMEOUT_MS
        )
        listed = [
            t.strip() for t in explorer.locator("[data-testid=problems] li").all_inner_texts()
        ]
        assert listed == problems, (listed, problems)
        flagged = explorer.locator("tr[data-quantity][data-problem=true]")
        assert flagged.count() > 0
        why = flagged.first.locator("[data-testid=row-problems]").inner_text()
        assert "ESS" in why or "R-hat" in why, why
        explorer.locator("tr[data-quantity='tau'] td.bw-left").click()
        expect(explorer.locator("[data-testid=figure][data-quantities='tau']")).to_be_attached(
            timeout=60_000
        )
        widget_shot(own, explorer, "posterior_explorer_schools")


# ------------------------------------------------------------------------------ the page, at the end
def test_the_console_stayed_clean_through_every_interaction(own: OwnModels):
    """Runs last: the clicks and typing of the tests above logged no errors and no BokehJS warnings."""
    assert relevant_console_errors(own.page) == []
    bokeh = console_warnings(own.page, r"^\[bokeh\b")
    assert not bokeh, f"{len(bokeh)} BokehJS warnings, e.g. {sorted(set(bokeh))[:5]}"

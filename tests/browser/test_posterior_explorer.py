"""PosteriorExplorer in a real JupyterLab: table, plots and linked selection on the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until
from .test_fit_monitor import MONITOR, check_trace_figure, plots_of

EXPLORER = "[data-testid=posterior-explorer]"
TIMEOUT_MS = 180_000
SCHOOLS = "ABCDEFGH"
MODEL_ORDER = ["mu", "tau", *(f"theta[{s}]" for s in SCHOOLS)]
"""The centred eight schools as written: mu, tau, theta (nutpie writes mu, theta, tau)."""


def rate(text: str) -> float:
    """A draws/s figure as the monitor writes it: "3,296", "64k", "4.25"."""
    text = text.strip().replace(",", "")
    return float(text[:-1]) * 1e3 if text.endswith("k") else float(text)


def check_nutpie_monitor(monitor: Locator) -> None:
    """The nutpie fit of the notebook (2 chains side by side, 600 draws each): its times
    and rates agree with each other, in the model's order, with whole ESS numbers."""
    expect(monitor).to_have_attribute("data-status", "finished", timeout=TIMEOUT_MS)
    summary = monitor.locator("[data-testid=summary]")
    text = summary.inner_text()
    sampling = float(summary.get_attribute("data-sampling-s"))
    shown = re.search(r"sampling: (?:(\d+) ms|(\d+\.\d) s)", text)
    assert shown, text
    assert "sampling: 0.0 s" not in text
    if shown[1]:  # under 0.1 s: in milliseconds
        assert sampling < 0.1 and int(shown[1]) == round(1000 * sampling), (text, sampling)
    else:
        assert float(shown[2]) == pytest.approx(sampling, abs=0.051), (text, sampling)
    overall = float(summary.get_attribute("data-draws-per-s"))
    assert overall * sampling == pytest.approx(1200, rel=1e-6)
    assert sampling < float(summary.get_attribute("data-wall-s"))
    column = [
        t.strip()
        for t in monitor.locator("[data-testid=chains] tr").first.locator("th").all_inner_texts()
    ]
    rows = monitor.locator("[data-testid=chains] tr[data-chain]")
    rates = [
        rate(rows.nth(i).locator("td").nth(column.index("draws/s")).inner_text()) for i in range(2)
    ]
    # both chains ran from the sampler's start, within the fit's sampling time
    for r in rates:
        assert 600 / r <= sampling * 1.02, (rates, sampling)
    assert max(600 / r for r in rates) == pytest.approx(sampling, rel=0.02), (rates, sampling)
    table = monitor.locator("[data-testid=convergence]")
    names = [n.strip() for n in table.locator("tr[data-name] td:first-child").all_inner_texts()]
    assert names == MODEL_ORDER, names
    for col in (5, 6):  # ESS bulk, ESS tail: whole numbers
        cells = table.locator(f"tr[data-name] td:nth-child({col})").all_inner_texts()
        assert all(re.fullmatch(r"\d+", c.strip()) for c in cells), cells
    figure = monitor.locator("[data-testid=figure][data-rendered=true]")
    expect(figure).to_have_attribute("data-y-follows", "posterior", timeout=30_000)
    plots = check_trace_figure(figure)
    assert [p["title"] for p in plots if not p["title"].endswith(" ranks")][:2] == ["mu", "tau"]


def test_summary_plots_and_linked_selection(notebook_page):
    page = notebook_page("posterior_explorer.ipynb", app="lab", run_all=True)
    check_nutpie_monitor(page.locator(MONITOR).first)
    explorer = page.locator(EXPLORER).first
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    figure = explorer.locator("[data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=forest][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    # one row per quantity, in the model's order: mu, tau and eight thetas labelled by school
    rows = explorer.locator("[data-testid=summary] tr[data-quantity]")
    assert [n.strip() for n in rows.locator("td.bw-left").all_inner_texts()] == MODEL_ORDER
    assert [
        o.split()[0] for o in explorer.locator("[data-testid=variable] option").all_inner_texts()
    ] == ["mu", "tau", "theta"]
    theta_b = explorer.locator("tr[data-quantity='theta[B]']")
    assert float(theta_b.locator("td[data-col=r_hat]").get_attribute("data-value")) > 0.9
    # effective sample sizes are counts: whole numbers, as in the monitor
    for col in ("ess_bulk", "ess_tail"):
        cells = rows.locator(f"td[data-col={col}]").all_inner_texts()
        assert all(re.fullmatch(r"\d+", c.strip()) for c in cells), cells
    # rows with a problem are marked and say why in visible text (300 draws × 2 chains is
    # below ESS 200 for tau), and the fit's problems are listed above the table
    flagged = explorer.locator("tr[data-problem=true]")
    assert flagged.count() == int(explorer.get_attribute("data-problems")) > 0
    why = flagged.first.locator("[data-testid=row-problems]").inner_text()
    assert "ESS" in why or "R-hat" in why, why
    listed = explorer.locator("[data-testid=problems] li")
    assert listed.count() == int(explorer.get_attribute("data-fit-problems")) > 0
    assert listed.first.is_visible()
    assert figure.get_attribute("data-quantities") == "mu|tau"
    # short trace plots carry few y ticks (tau runs from about 1 to 40 in ~80 px)
    traces = [p for p in plots_of(figure) if p["title"].startswith("trace: ")]
    assert [p["title"] for p in traces] == ["trace: mu", "trace: tau"]
    assert all(p["yTicks"] is not None and p["yTicks"] <= 5 for p in traces), traces
    # box-select draws in the pair plot (the fifth Bokeh figure: 2 traces, 2 ranks, pair, predictive)
    plots = figure.locator(".bk-Figure")
    assert wait_until(lambda: plots.count() >= 6, timeout=30)
    plots.nth(4).scroll_into_view_if_needed()
    box = plots.nth(4).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    assert wait_until(lambda: int(explorer.get_attribute("data-selected") or 0) > 0, timeout=20)
    # the selected draws' predictive curves are highlighted
    assert wait_until(
        lambda: int(explorer.get_attribute("data-ppc-highlighted") or 0) > 0, timeout=20
    )
    expect(explorer.locator("[data-testid=selection]")).to_contain_text("draws selected")
    explorer.screenshot(
        path=str(
            save_screenshot(page, "posterior_explorer").with_name("posterior_explorer_widget.png")
        )
    )
    # a click on a row plots it, and the selector shows what is plotted
    explorer.locator("tr[data-quantity='theta[C]'] td.bw-left").click()
    expect(explorer.locator("[data-testid=figure][data-quantities='theta[C]']")).to_be_attached(
        timeout=60_000
    )
    expect(explorer.locator("[data-testid=variable]")).to_have_value("theta")
    quantities = explorer.locator("[data-testid=quantities]")
    assert quantities.locator("option").all_inner_texts() == [f"theta[{s}]" for s in SCHOOLS]
    assert quantities.locator("option:checked").all_inner_texts() == ["theta[C]"]
    # another variable chosen with the keyboard lists its quantities until the next plot
    explorer.locator("[data-testid=variable]").click()  # opens its list
    page.keyboard.press("ArrowUp")  # theta -> tau
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=variable]")).to_have_value("tau")
    expect(quantities.locator("option")).to_have_text(["tau"])
    explorer.locator("tr[data-quantity='mu'] td.bw-left").click()
    expect(explorer.locator("[data-testid=figure][data-quantities='mu']")).to_be_attached(
        timeout=60_000
    )
    expect(explorer.locator("[data-testid=variable]")).to_have_value("mu")
    assert quantities.locator("option:checked").all_inner_texts() == ["mu"]
    assert relevant_console_errors(page) == []


def test_hand_written_regression_labels_and_collapsed_deterministic(notebook_page):
    page = notebook_page("posterior_explorer_own_model.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    table = explorer.locator("[data-testid=summary]")
    # coordinate labels, free parameters first, read from the page
    names = [n.strip() for n in table.locator("tr[data-quantity] td.bw-left").all_inner_texts()]
    assert names == ["intercept", "beta[temp]", "beta[price]", "beta[weekend]", "sigma"]
    group = table.locator("tr[data-group=mu]")
    expect(group).to_contain_text("mu — 60 values, max R-hat")
    assert table.locator("tr[data-quantity='mu[0]']").count() == 0  # collapsed
    # problems named in visible text (100 draws × 2 chains: ESS below 200 somewhere)
    problems = explorer.locator("[data-testid=problems]")
    expect(problems).to_contain_text("ESS bulk below 200")
    group.locator("[data-testid=expand]").click()
    expect(table.locator("tr[data-quantity='mu[0]']")).to_be_visible(timeout=10_000)
    assert table.locator("tr[data-quantity^='mu[']").count() == 60
    explorer.screenshot(
        path=str(
            save_screenshot(page, "posterior_explorer_regression").with_name(
                "posterior_explorer_regression_widget.png"
            )
        )
    )
    assert relevant_console_errors(page) == []

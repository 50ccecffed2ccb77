"""FitMonitor in a real JupyterLab and Notebook 7, read from the rendered DOM."""

from __future__ import annotations

import time

import bokeh
from playwright.sync_api import Locator, Page, expect

from .jupyter_harness import (
    bokeh_plots_js,
    cell_is_running,
    relevant_console_errors,
    save_screenshot,
    start_all_cells,
    wait_until,
)

MONITOR = "[data-testid=fit-monitor]"
TIMEOUT_MS = 120_000

# The Bokeh plots inside ``root`` in page order, read from BokehJS: title, y range, the
# y extent of the warm-up lines and of the lines after tuning (``warm-*``/``post-*``
# renderers), the panel sides that hold a legend, and the y axis's major ticks.
JS_PLOTS = bokeh_plots_js("""
  const out = [];
  for (const view of plotsInOrder(root)) {
    const plot = view.model;
    const views = [...view.renderer_views.values()];
    const extent = (prefix) => {
      let lo = Infinity, hi = -Infinity;
      for (const rv of views) {
        const source = rv.model.data_source;
        if (!(rv.model.name || "").startsWith(prefix) || !rv.glyph || !(source?.get_length() > 0)) continue;
        const b = rv.glyph.bounds();
        lo = Math.min(lo, b.y0);
        hi = Math.max(hi, b.y1);
      }
      return Number.isFinite(lo) ? [lo, hi] : null;
    };
    const yAxis = views.find((rv) => plot.left.includes(rv.model) && "tick_coords" in rv);
    out.push({
      title: titleOf(view),
      y: [plot.y_range.start, plot.y_range.end],
      warm: extent("warm-"), post: extent("post-"),
      legends: ["center", "above", "below", "left", "right"]
        .filter((side) => (plot[side] || []).some((m) => m.constructor.name === "Legend")),
      yTicks: yAxis ? yAxis.tick_coords.major[1].length : null,
    });
  }
  return out;
""")


def plots_of(root: Locator) -> list[dict]:
    return root.evaluate(JS_PLOTS)


def check_trace_figure(figure: Locator) -> list[dict]:
    """The monitor's trace/rank figure: one legend, beside the first rank plot (outside
    every plot's data), and each trace plot's y range on the draws after tuning."""
    plots = plots_of(figure)
    traces = [p for p in plots if p["post"] is not None]
    assert traces, plots
    legends = {p["title"]: p["legends"] for p in plots if p["legends"]}
    assert legends == {plots[1]["title"]: ["right"]}, legends
    assert plots[1]["title"].endswith(" ranks")
    for p in traces:
        lo, hi = p["post"]
        pad = 0.1 * (hi - lo) + 1e-9
        y0, y1 = sorted(p["y"])
        assert lo - pad <= y0 <= lo and hi <= y1 <= hi + pad, p  # the posterior fills the plot
        assert p["yTicks"] is not None and p["yTicks"] <= 6, p
    return plots


def monitor_attr(page: Page, name: str, index: int = 0) -> str | None:
    return page.locator(MONITOR).nth(index).get_attribute(f"data-{name}")


def draws_done(page: Page) -> int:
    return int(monitor_attr(page, "draws-done") or 0)


def stable_for(page: Page, seconds: float) -> bool:
    before = draws_done(page)
    time.sleep(seconds)
    return draws_done(page) == before


def test_draws_rise_live_while_the_cell_runs(notebook_page):
    page = notebook_page("fit_live.ipynb", app="lab")
    start_all_cells(page)
    expect(page.locator(MONITOR)).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(lambda: monitor_attr(page, "status") == "sampling" and draws_done(page) > 0)
    seen = []
    for _ in range(30):
        seen.append((draws_done(page), cell_is_running(page)))
        if len({d for d, _ in seen}) >= 3:
            break
        time.sleep(0.3)
    counts = [d for d, running in seen if running]
    assert len(set(counts)) >= 3, f"draw count did not rise while the cell ran: {seen}"
    assert counts == sorted(counts)
    # the live plot is drawn by BokehJS inside the monitor, and its trace grows
    figure = page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    first = int(figure.get_attribute("data-received") or 0)

    def received():
        return int(figure.get_attribute("data-received") or 0)

    # on a loaded machine the stream can be slow: wait for any growth, and note
    # the fit's status when it is seen (it must still be sampling)
    status_at_growth = []

    def grew():
        if received() > first:
            status_at_growth.append(monitor_attr(page, "status"))
            return True
        return False

    assert wait_until(grew, timeout=120), "the live trace received no new points"
    assert status_at_growth == ["sampling"], (
        f"the trace only grew once the fit was {status_at_growth}"
    )
    assert int(figure.get_attribute("data-points")) > 0
    # running R-hat appears while sampling, before the fit ends; and once draws after
    # tuning stream in, the trace plots' y ranges follow them (not the warm-up)
    rhat = page.locator(f"{MONITOR} [data-testid=convergence] tr[data-name=mu]")
    assert wait_until(
        lambda: (
            rhat.count() == 1
            and (rhat.get_attribute("data-rhat") or "") != ""
            and figure.get_attribute("data-y-follows") == "posterior"
        ),
        timeout=60,
    )
    assert monitor_attr(page, "status") == "sampling", (
        "running R-hat or the y ranges only came after the fit"
    )
    # divergences of the centred eight-schools model show up, per chain and in total
    assert wait_until(lambda: int(monitor_attr(page, "divergences") or 0) > 0, timeout=120)
    page.locator(MONITOR).screenshot(
        path=str(save_screenshot(page, "fit_monitor_live").with_name("fit_monitor_live_widget.png"))
    )
    assert wait_until(lambda: monitor_attr(page, "status") == "finished", timeout=180)
    assert draws_done(page) == int(monitor_attr(page, "total"))
    summary = page.locator(f"{MONITOR} [data-testid=summary]")
    expect(summary).to_be_visible()
    assert int(summary.get_attribute("data-draws-per-chain")) == 12000
    assert int(summary.get_attribute("data-divergences")) > 0
    # the divergences are named in visible text, as in result.diagnostics.problems
    expect(page.locator(f"{MONITOR} [data-testid=problems]")).to_contain_text(
        "divergent transition"
    )
    rows = page.locator(f"{MONITOR} [data-testid=chains] tr[data-chain]")
    assert rows.count() == 2
    assert {rows.nth(i).get_attribute("data-phase") for i in range(2)} == {"done"}
    page.locator(MONITOR).screenshot(
        path=str(save_screenshot(page, "fit_monitor").with_name("fit_monitor_widget.png"))
    )
    final = page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]")
    expect(final).to_have_attribute("data-y-follows", "posterior", timeout=30_000)
    check_trace_figure(final)
    # a narrow window: the summary wraps between its items, never inside one
    page.set_viewport_size({"width": 560, "height": 1000})
    summary.scroll_into_view_if_needed()
    items = summary.locator(":scope > span")
    assert items.count() == 9
    lines = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
    assert len(lines) > 1, "the summary did not wrap at 560 px"
    broken = [
        items.nth(i).inner_text()
        for i in range(items.count())
        if items.nth(i).evaluate("(e) => e.getClientRects().length") != 1
    ]
    assert broken == [], f"summary items broken across lines: {broken}"
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert relevant_console_errors(page) == []
    # BokehJS and Python bokeh are the same version: no mismatch warning
    texts = [text for _, text in page.console_messages]
    assert any(f"[bokeh {bokeh.__version__}]" in t for t in texts), texts[:20]
    assert not [t for t in texts if "mismatch" in t.lower()]


def test_pause_resume_cancel_keeps_partial_draws(notebook_page):
    page = notebook_page("fit_cancel.ipynb", app="lab", run_all=True)
    monitor = page.locator(MONITOR).first
    expect(monitor).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(
        lambda: monitor_attr(page, "status") == "sampling" and draws_done(page) > 1000
    )
    monitor.locator("[data-testid=pause]").click()
    assert wait_until(lambda: monitor_attr(page, "status") == "paused", timeout=10)
    # the count settles within a few updates, then stays put while paused
    assert wait_until(lambda: stable_for(page, 1.0), timeout=15), "draws kept rising while paused"
    paused_at = draws_done(page)
    time.sleep(1.5)
    assert draws_done(page) == paused_at, "draws kept rising while paused"
    monitor.locator("[data-testid=resume]").click()
    assert wait_until(lambda: draws_done(page) > paused_at, timeout=20)
    monitor.locator("[data-testid=cancel]").click()
    # the page says "cancelled" once the summary of every draw kept is computed: seconds
    # for the hundreds of thousands of draws nutpie makes here (how fast is a benchmark's
    # business, not a timed test's on a shared machine)
    assert wait_until(lambda: monitor_attr(page, "status") == "cancelled", timeout=45)
    summary = monitor.locator("[data-testid=summary]")
    expect(summary).to_be_visible(timeout=30_000)
    assert summary.get_attribute("data-partial") == "true"
    kept = int(summary.get_attribute("data-draws-per-chain"))
    assert kept > 0
    message = monitor.locator("[data-testid=message]").inner_text()
    assert f"{kept} of 3000000 draws per chain kept" in message
    assert monitor.locator("[data-testid=cancel]").is_disabled()
    # the second cell asked for a variable the model does not have: shown inline
    bad = page.locator(MONITOR).nth(1)
    expect(bad.locator("[data-testid=error]")).to_contain_text("var_names: 'not_a_variable'")
    assert bad.get_attribute("data-status") == "error"


def test_same_notebook_renders_in_notebook7(notebook_page):
    page = notebook_page("fit_live.ipynb", app="notebook")
    start_all_cells(page)
    expect(page.locator(MONITOR)).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(lambda: monitor_attr(page, "status") == "finished", timeout=240)
    expect(page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    assert (
        int(page.locator(f"{MONITOR} [data-testid=summary]").get_attribute("data-draws-per-chain"))
        == 12000
    )
    save_screenshot(page, "fit_monitor_notebook7")


def test_reload_shows_the_final_state(notebook_page, jupyter_server):
    page = notebook_page("fit_cancel.ipynb", app="lab", run_all=True)
    assert wait_until(lambda: draws_done(page) > 1000)
    page.locator(MONITOR).first.locator("[data-testid=cancel]").click()
    assert wait_until(lambda: monitor_attr(page, "status") == "cancelled", timeout=10)
    kept = page.locator(f"{MONITOR} [data-testid=summary]").first.get_attribute(
        "data-draws-per-chain"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_timeout(1000)
    page.reload()
    expect(page.locator(MONITOR).first).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(lambda: monitor_attr(page, "status") == "cancelled", timeout=60)
    assert (
        page.locator(f"{MONITOR} [data-testid=summary]").first.get_attribute("data-draws-per-chain")
        == kept
    )
    expect(
        page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]").first
    ).to_be_attached(timeout=TIMEOUT_MS)


def test_cancel_button_works_while_a_cell_blocks_on_the_fit(notebook_page):
    """The cell waits on the fit; the button's message is handled as it arrives."""
    page = notebook_page("fit_blocking_cancel.ipynb", app="lab")
    start_all_cells(page)
    monitor = page.locator(MONITOR)
    expect(monitor).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(
        lambda: monitor_attr(page, "status") == "sampling" and draws_done(page) > 1000
    )
    assert cell_is_running(page)
    t0 = time.monotonic()
    monitor.locator("[data-testid=cancel]").click()
    assert wait_until(lambda: not cell_is_running(page), timeout=30), "the blocked cell did not end"
    assert time.monotonic() - t0 < 10
    assert wait_until(lambda: monitor_attr(page, "status") == "cancelled", timeout=30)
    kept = int(monitor.locator("[data-testid=summary]").get_attribute("data-draws-per-chain"))
    assert kept > 0
    expect(
        page.locator(".jp-OutputArea-output").filter(has_text="ended cancelled")
    ).to_contain_text(f"ended cancelled {kept}", timeout=30_000)


def test_hand_written_model_labels_problems_and_cancel(notebook_page):
    """A pm.Data regression with named dims, chains one after another: labels and problems
    read from the page, then a clicked Cancel shows 'cancelled' in every chain and no ETA."""
    page = notebook_page("fit_own_model.ipynb", app="lab", run_all=True)
    monitor = page.locator(MONITOR)
    expect(monitor).to_be_visible(timeout=TIMEOUT_MS)
    rows = monitor.locator("[data-testid=chains] tr[data-chain]")
    # chain 0 samples while chain 1 waits for the one core, with an ETA counting both
    assert wait_until(lambda: draws_done(page) > 100, timeout=TIMEOUT_MS / 1000)
    assert rows.nth(1).get_attribute("data-phase") == "waiting"
    assert "ETA" in monitor.locator("[data-testid=counts]").inner_text()
    # running R-hat/ESS of the traced scalars, labelled by coordinate
    labelled = monitor.locator("[data-testid=convergence] tr[data-name='beta[price]']")
    assert wait_until(lambda: labelled.count() == 1, timeout=120), "no running row for beta[price]"
    expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    page.locator(MONITOR).screenshot(
        path=str(
            save_screenshot(page, "fit_monitor_own_model_live").with_name(
                "fit_monitor_own_model_live_widget.png"
            )
        )
    )
    monitor.locator("[data-testid=cancel]").click()
    assert wait_until(lambda: monitor_attr(page, "status") == "cancelled", timeout=30)
    expect(monitor.locator("[data-testid=summary]")).to_be_visible(timeout=30_000)
    phases = [rows.nth(i).get_attribute("data-phase") for i in range(rows.count())]
    assert "cancelled" in phases and set(phases) <= {"cancelled", "done"}, phases
    cancelled = rows.filter(has_text="cancelled")
    assert cancelled.count() >= 1
    for i in range(cancelled.count()):
        assert cancelled.nth(i).locator("[data-testid=chain-eta]").inner_text().strip() == "–"
    assert "ETA" not in monitor.locator("[data-testid=counts]").inner_text()
    message = monitor.locator("[data-testid=message]").inner_text()
    assert "per chain kept" in message, message
    # the final table: labels, the deterministic on one line, a problem named in visible text
    table = monitor.locator("[data-testid=convergence]")
    expect(table.locator("tr[data-name='beta[price]']")).to_be_visible()
    expect(table.locator("tr[data-group=mu]")).to_contain_text("mu — 60 values")
    # chain 1 never started: one chain is kept, and the verdict is stated in visible text
    assert "draws per chain kept in 'posterior'" in message, message
    assert "1 of 2 chains kept (chain 1 had no draws after tuning)" in message, message
    verdict = monitor.locator("[data-testid=problems]")
    expect(verdict).to_be_visible()
    assert verdict.inner_text().startswith(
        ("No problems found", "1 problem", "2 problems", "3 problems")
    ), verdict.inner_text()
    page.locator(MONITOR).screenshot(
        path=str(
            save_screenshot(page, "fit_monitor_own_model").with_name(
                "fit_monitor_own_model_widget.png"
            )
        )
    )
    # PyMC's log lines stay in the monitor: no cell output repeats them
    outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "Initializing NUTS" not in outputs.replace(monitor.inner_text(), "")
    assert relevant_console_errors(page) == []

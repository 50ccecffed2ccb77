"""DecisionExplorer in a real JupyterLab, driven by the mouse and the keyboard: numbers
read from the rendered page."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import Page, expect

from .jupyter_harness import bokeh_plots_js, relevant_console_errors, save_screenshot, wait_until

# the notebook shows two explorers: the supply chain's orders and a hand-written stock problem
EXPLORER = "[data-testid=decision-explorer]:has([data-testid=slider-order_0])"
STOCK = "[data-testid=decision-explorer]:has([data-testid=slider-stock_day1])"
TIMEOUT_MS = 120_000
NAMES = ("order_0", "order_1", "order_2")
DAYS = ("stock_day1", "stock_day2", "stock_day3")

# What the outcome plot inside `root` shows: its x range, and the extent of the chosen
# decision's bars and of the reference's outline (read from BokehJS, never set).
_JS_OUTCOME_PLOT = bokeh_plots_js("""
  const fig = root.querySelector("[data-testid=outcome-figure]");
  const view = plotViews(fig)[0];
  const glyphs = {};
  for (const rv of view.renderer_views.values()) {
    const src = rv.model.data_source;
    if (!src || !rv.model.visible || !(src.get_length() > 0)) continue;
    const d = src.data;
    const xs = d.get ? [...(d.get("left") ?? d.get("x") ?? []), ...(d.get("right") ?? [])]
                     : [...(d.left ?? d.x ?? []), ...(d.right ?? [])];
    glyphs[src.name] = { type: rv.model.glyph.type, lo: Math.min(...xs), hi: Math.max(...xs) };
  }
  const r = view.model.x_range;
  return { start: r.start, end: r.end, glyphs };
""")


def expected(page: Page) -> float:
    return float(page.locator(f"{EXPLORER} [data-testid=expected]").get_attribute("data-value"))


def evaluations(page: Page) -> int:
    return int(page.locator(EXPLORER).get_attribute("data-evaluations"))


def paints(page: Page) -> int:
    return int(page.locator(EXPLORER).get_attribute("data-paints") or 0)


def sliders(page: Page) -> tuple[float, ...]:
    return tuple(
        float(page.locator(f"{EXPLORER} [data-testid=slider-{n}]").input_value()) for n in NAMES
    )


def row_values(page: Page, label: str) -> tuple[float, ...]:
    row = page.locator(f"{EXPLORER} tr[data-label='{label}']")
    return tuple(
        float(row.locator(f"td[data-variable={n}]").get_attribute("data-value")) for n in NAMES
    )


def open_explorer(notebook_page) -> Page:
    page = notebook_page("decision_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    expect(explorer.locator("[data-testid=frontier-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    return page


def test_opens_at_the_optimum_and_a_mouse_drag_redraws_all_along(notebook_page):
    page = open_explorer(notebook_page)
    explorer = page.locator(EXPLORER)
    # opens at the optimum, which beats the naive decision: no advice to optimise
    best = row_values(page, "optimum")
    assert sliders(page) == best and best[0] <= 10
    expect(explorer.locator("[data-testid=advice]")).to_be_hidden()
    assert explorer.locator("tr[data-label='naive (means)']").count() == 1
    assert explorer.locator("tr[data-label='equal split']").count() == 1
    start = expected(page)
    assert (
        float(explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean")) == start
    )
    # drag order_1 (the cheap supplier) from near its upper bound to near zero with the mouse
    slider = explorer.locator("[data-testid=slider-order_1]")
    box = explorer.locator("[data-testid=value-order_1]")
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    before = paints(page)
    page.mouse.move(b["x"] + 0.95 * b["width"], y)
    page.mouse.down()
    seen = []
    for i in range(1, 31):
        page.mouse.move(b["x"] + (0.95 - 0.9 * i / 30) * b["width"], y, steps=2)
        page.wait_for_timeout(25)
        seen.append((float(box.input_value()), paints(page)))
    page.mouse.up()
    values = [v for v, _ in seen]
    assert len(set(values)) >= 0.8 * len(values) and values == sorted(values, reverse=True), values
    assert len({p for _, p in seen}) >= 5 and seen[-1][1] > before, seen
    final = values[-1]
    assert wait_until(
        lambda: (
            float(
                explorer.locator(
                    "tr[data-label='this decision'] td[data-variable=order_1]"
                ).get_attribute("data-value")
            )
            == final
        ),
        timeout=30,
    )
    assert float(
        explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean")
    ) == expected(page)
    # away from the optimum the naive decision does better, and the page says so
    expect(explorer.locator("[data-testid=advice]")).to_contain_text(
        "naive (means) decision is better", timeout=30_000
    )
    expect(explorer.locator("[data-testid=advice]")).to_contain_text("press Optimise")
    explorer.locator("[data-testid=optimise]").click()
    assert wait_until(lambda: sliders(page) == best, timeout=60), (sliders(page), best)
    expect(explorer.locator("[data-testid=advice]")).to_be_hidden(timeout=30_000)
    expect(explorer.locator("[data-testid=optimum]")).to_contain_text("converged")
    # the risk–return view: a monotone frontier (CVaR up, expected profit down)
    explorer.locator("[data-testid=frontier-button]").click()
    fig = explorer.locator("[data-testid=frontier-figure]")
    assert wait_until(lambda: int(fig.get_attribute("data-points") or 0) >= 2, timeout=60)
    cvars = [float(v) for v in fig.get_attribute("data-cvars").split(",")]
    means = [float(v) for v in fig.get_attribute("data-means").split(",")]
    assert cvars == sorted(cvars) and means == sorted(means, reverse=True), (cvars, means)
    explorer.screenshot(
        path=str(
            save_screenshot(page, "decision_explorer").with_name("decision_explorer_widget.png")
        )
    )
    assert relevant_console_errors(page) == []


def test_a_drag_paints_every_position_from_the_slider_s_slice_and_the_kernel_gets_the_last(
    notebook_page,
):
    """Once the pointer has come to a slider, the kernel has summarised its every position:
    a drag then repaints the histogram and the statistics on each move without waiting for
    the kernel, the kernel gets the position let go of, and its summary is the same."""
    page = open_explorer(notebook_page)
    explorer = page.locator(EXPLORER)
    slider = explorer.locator("[data-testid=slider-order_2]")
    box = explorer.locator("[data-testid=value-order_2]")
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    page.mouse.move(b["x"] + 0.5 * b["width"], y)  # the pointer comes to the slider
    page.wait_for_timeout(1500)  # the kernel summarises its positions meanwhile
    kernel_evaluations = evaluations(page)
    page.mouse.down()
    seen = []
    for i in range(1, 21):
        page.mouse.move(b["x"] + (0.5 + 0.4 * i / 20) * b["width"], y, steps=1)
        page.wait_for_timeout(40)
        seen.append((float(box.input_value()), expected(page), evaluations(page)))
    assert {e for _, _, e in seen} == {kernel_evaluations}, seen  # the kernel was not asked
    assert len({v for v, _, _ in seen}) >= 15 and len({m for _, m, _ in seen}) >= 10, seen
    shown = seen[-1][1]
    page.mouse.up()
    final = seen[-1][0]
    assert wait_until(lambda: evaluations(page) == kernel_evaluations + 1, timeout=30)
    assert wait_until(
        lambda: (
            float(
                explorer.locator(
                    "tr[data-label='this decision'] td[data-variable=order_2]"
                ).get_attribute("data-value")
            )
            == final
        ),
        timeout=30,
    )
    assert expected(page) == shown  # the kernel's summary of the position is the one painted
    # a drag that ends where it began fires no change event: the kernel still hears of it
    page.mouse.move(b["x"] + 0.9 * b["width"], y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(b["x"] + (0.9 - 0.3 * i / 10) * b["width"], y)
        page.wait_for_timeout(30)
    for i in range(1, 11):
        page.mouse.move(b["x"] + (0.6 + 0.3 * i / 10) * b["width"], y)
        page.wait_for_timeout(30)
    page.mouse.up()
    assert wait_until(lambda: evaluations(page) == kernel_evaluations + 2, timeout=30)
    assert float(box.input_value()) == final and expected(page) == shown
    assert relevant_console_errors(page) == []


def test_boxes_apply_on_enter_and_tab_and_bad_entries_are_refused_inline(notebook_page):
    page = open_explorer(notebook_page)
    explorer = page.locator(EXPLORER)
    box = explorer.locator("[data-testid=value-order_0]")
    start = expected(page)
    # Enter applies while the box keeps the focus
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    cell = explorer.locator("tr[data-label='this decision'] td[data-variable=order_0]")
    assert wait_until(lambda: cell.get_attribute("data-value") == "30", timeout=30)
    assert box.evaluate("el => el === document.activeElement") and expected(page) != start
    # Tab applies too
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("20")
    page.keyboard.press("Tab")
    assert wait_until(lambda: cell.get_attribute("data-value") == "20", timeout=30)
    # an empty box: refused inline naming the field, nothing sent, the text kept
    n = evaluations(page)
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=input-error]")).to_have_text(
        "order_0: enter a number", timeout=10_000
    )
    expect(box).to_have_value("")
    page.wait_for_timeout(500)
    assert evaluations(page) == n
    # out of bounds: the kernel's message, the box put back to the last valid decision
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=input-error]")).to_be_hidden(timeout=10_000)
    expect(explorer.locator("[data-testid=error]")).to_contain_text(
        "x.order_0: 500 is outside its bounds", timeout=30_000
    )
    expect(box).to_have_value("20", timeout=10_000)
    assert evaluations(page) == n
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=error]")).to_be_hidden(timeout=30_000)
    assert wait_until(lambda: cell.get_attribute("data-value") == "5", timeout=30)
    assert relevant_console_errors(page) == []


def x_extent(explorer) -> tuple[float, float]:
    """The outcome plot's extent as the page set it (what the axes span, before padding)."""
    lo, hi = (
        explorer.locator("[data-testid=outcome-figure]").get_attribute("data-x-range").split(",")
    )
    return float(lo), float(hi)


def test_a_stock_decision_reads_plainly(notebook_page):
    """A hand-written stock problem far from 0: the plot spans the outcomes, the reference is
    an outline over the bars, legends list what is drawn, the optimum line says converged once
    in the menu's words, each variable's bounds sit by its box; a drag widens the axes only
    while the slider is held."""
    page = open_explorer(notebook_page)
    explorer = page.locator(STOCK)
    expect(explorer.locator("[data-testid=frontier-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    # the optimum line: the objective in the menu's words, "converged" said once
    note = explorer.locator("[data-testid=optimum]").inner_text()
    menu = explorer.locator("[data-testid=objective] option:checked").inner_text()
    assert menu == "expected profit" and note.startswith(f"optimum of {menu}: "), (menu, note)
    assert note.count("converged") == 1 and note.rstrip().endswith("s)."), note
    # the plot spans the outcomes (profits far above 0), not 0 and the loss band
    plot = explorer.evaluate(_JS_OUTCOME_PLOT)
    bars, outline = plot["glyphs"]["hist"], plot["glyphs"]["reference_outline"]
    assert outline["type"] == "Line" and bars["type"] == "Quad", (
        plot
    )  # an outline, the bars stay visible
    data_lo, data_hi = min(bars["lo"], outline["lo"]), max(bars["hi"], outline["hi"])
    assert plot["start"] > 0 and data_lo > 100, plot
    assert (data_hi - data_lo) / (plot["end"] - plot["start"]) > 0.85, plot
    keys = explorer.locator("[data-testid=outcome-legend] [data-key]")
    assert keys.evaluate_all("els => els.map((e) => e.dataset.key)") == [
        "current",
        "reference",
        "mean",
        "cvar",
    ]
    expect(explorer.locator("[data-testid=outcome-legend]")).to_contain_text("naive (means)")
    # the risk–return legend lists what is drawn: before Risk–return, a hint instead of the curve
    legend = explorer.locator("[data-testid=frontier-legend]")
    expect(legend.locator("[data-key=frontier]")).to_have_count(0)
    expect(legend.locator("[data-testid=frontier-hint]")).to_have_text(
        "press Risk–return for the optimum per risk preference"
    )
    # each variable's slider, box and bounds side by side, the boxes in one column
    lefts = []
    for day in DAYS:
        row = explorer.locator(f".bw-var[data-variable={day}]")
        box = row.locator(f"[data-testid=value-{day}]").bounding_box()
        bounds = row.locator(".bw-bounds").bounding_box()
        assert 0 <= bounds["x"] - (box["x"] + box["width"]) <= 24, (day, box, bounds)
        lefts.append(box["x"])
    assert max(lefts) - min(lefts) < 1, lefts
    # a drag down and back: the axes widen while the slider is held, and tighten when let go
    start = x_extent(explorer)
    slider = explorer.locator("[data-testid=slider-stock_day1]")
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    x0 = b["x"] + b["width"] * float(slider.input_value()) / 150
    page.mouse.move(x0, y)
    page.mouse.down()
    seen = []
    path = [x0 - (x0 - b["x"] - 2) * i / 12 for i in range(1, 13)]
    for x in path + path[::-1][1:] + [x0]:
        page.mouse.move(x, y, steps=2)
        page.wait_for_timeout(40)
        seen.append(x_extent(explorer))
    page.wait_for_timeout(300)
    seen.append(x_extent(explorer))  # still held: nothing narrows
    widest = seen[-1]
    assert all(a[0] >= b_[0] and a[1] <= b_[1] for a, b_ in itertools.pairwise(seen)), seen
    assert widest[0] < start[0] - 20, (
        start,
        widest,
    )  # little stock for day 1: lower profits came into view
    page.mouse.up()
    assert wait_until(
        lambda: x_extent(explorer)[0] > widest[0] + 0.5 * (start[0] - widest[0]), timeout=30
    ), (start, widest, x_extent(explorer))
    # Risk–return: the curve and its legend entry appear, the hint goes
    explorer.locator("[data-testid=frontier-button]").click()
    expect(legend.locator("[data-key=frontier]")).to_have_text(
        "optimum per risk preference", timeout=60_000
    )
    expect(legend.locator("[data-testid=frontier-hint]")).to_have_count(0)
    explorer.screenshot(
        path=str(
            save_screenshot(page, "decision_explorer_stock").with_name(
                "decision_explorer_stock_widget.png"
            )
        )
    )
    assert relevant_console_errors(page) == []


BUDGET = "[data-testid=decision-explorer]:has([data-testid=slider-search])"


def test_a_budget_plan_beyond_the_spend_seen_is_flagged_as_it_is_dragged(notebook_page):
    """Each channel's marginal ROAS is shown at the plan; dragging search past the most it
    ever spent (600 a week) raises the extrapolation flag on its row and above the plot,
    and dragging it back clears it."""
    page = notebook_page("budget_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(BUDGET)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    flag = explorer.locator("[data-testid=extrapolation-search]")
    notice = explorer.locator("[data-testid=extrapolation]")
    # the current plan: inside the range seen, every channel's marginal ROAS on the page
    expect(notice).to_be_hidden()
    expect(flag).to_be_hidden()
    expect(explorer.locator("[data-testid=marginal-head]")).to_contain_text(
        "marginal ROAS (90% interval)"
    )
    for channel in ("tv", "search", "social"):
        cell = explorer.locator(f"[data-testid=marginal-{channel}]")
        expect(cell).to_have_text(re.compile(r"^\d[\d.]* \[\d[\d.]*, \d[\d.]*\]$"))
        assert float(cell.get_attribute("data-mean")) > 0
    at_current = float(explorer.locator("[data-testid=marginal-search]").get_attribute("data-mean"))
    # drag search from its thumb to the slider's right end (1.5 x its recent 525 = 787.5)
    slider = explorer.locator("[data-testid=slider-search]")
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    page.mouse.move(b["x"] + 0.5 * b["width"], y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(b["x"] + (0.5 + 0.52 * i / 20) * b["width"], y, steps=2)
        page.wait_for_timeout(30)
    page.mouse.up()
    value = float(explorer.locator("[data-testid=value-search]").input_value())
    assert value > 600, value
    expect(flag).to_be_visible(timeout=30_000)
    expect(flag).to_contain_text("extrapolation: above the 600 seen")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("search = ")
    expect(notice).to_contain_text("is above the range seen")
    assert notice.get_attribute("data-names") == "search"
    expect(explorer.locator("[data-testid=extrapolation-tv]")).to_be_hidden()
    # diminishing returns: more spend, a smaller marginal ROAS
    assert wait_until(
        lambda: (
            float(explorer.locator("[data-testid=marginal-search]").get_attribute("data-mean"))
            < at_current
        ),
        timeout=30,
    )
    cell = explorer.locator("tr[data-label='this decision'] td[data-variable=search]")
    expect(cell).to_have_class(re.compile("bw-extrapolated"), timeout=30_000)
    save_screenshot(page, "budget_explorer_extrapolation")
    # back inside the range: the flags go
    b = slider.bounding_box()
    page.mouse.move(b["x"] + 0.99 * b["width"], y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(b["x"] + (0.99 - 0.6 * i / 10) * b["width"], y, steps=2)
        page.wait_for_timeout(30)
    page.mouse.up()
    assert float(explorer.locator("[data-testid=value-search]").input_value()) < 600
    expect(flag).to_be_hidden(timeout=30_000)
    expect(notice).to_be_hidden()
    assert not relevant_console_errors(page)


GEO_BUDGET = "[data-testid=decision-explorer]:has([data-testid=group])"


def test_a_geo_budget_has_a_slider_per_channel_and_a_geo_s_part_follows_the_drag(
    notebook_page,
):
    """A geo MMM (3 channels x 4 geos): one slider per channel, not per channel and geo.
    Choosing the west in the geo selector with the keyboard shows its channels; dragging
    search up raises west's search spend with it, past the most the west ever spent on it,
    which the west's row flags."""
    page = notebook_page("budget_explorer_geo.ipynb", app="lab", run_all=True)
    explorer = page.locator(GEO_BUDGET)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    assert explorer.locator("input[type=range]").count() == 3
    for channel in ("tv", "search", "social"):
        expect(explorer.locator(f"[data-testid=slider-{channel}]")).to_be_visible()
    table = explorer.locator("[data-testid=breakdown]")
    assert table.locator("tr").count() == 0
    # the west is the selector's fifth entry (after "every geo")
    select = explorer.locator("[data-testid=group]")
    select.scroll_into_view_if_needed()
    box = select.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(table).to_have_attribute("data-group", "west", timeout=30_000)
    expect(table.locator("tr[data-column]")).to_have_count(3)
    note = explorer.locator("[data-testid=group-response]")
    expect(note).to_contain_text("geo west: response ")
    expect(note).to_contain_text("of the total")
    spend = explorer.locator("[data-testid=group-spend-search]")
    before = float(spend.inner_text())
    assert 200 < before < 240, before  # inside the 240 the west spent at most
    expect(table.locator("tr[data-column='search[west]'] .bw-flag")).to_have_text("")
    # drag search to the slider's right end: 1.5 x its recent spend over every geo
    slider = explorer.locator("[data-testid=slider-search]")
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    page.mouse.move(b["x"] + 0.5 * b["width"], y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(b["x"] + (0.5 + 0.52 * i / 20) * b["width"], y, steps=2)
        page.wait_for_timeout(30)
    page.mouse.up()
    assert wait_until(lambda: float(spend.inner_text()) > 1.4 * before, timeout=30)
    flag = table.locator("tr[data-column='search[west]'] .bw-flag")
    expect(flag).to_have_text("extrapolation: above the range seen", timeout=30_000)
    expect(table.locator("tr[data-column='tv[west]'] .bw-flag")).to_have_text("")
    explorer.screenshot(
        path=str(
            save_screenshot(page, "budget_explorer_geo").with_name("budget_explorer_geo_widget.png")
        )
    )
    assert not relevant_console_errors(page)

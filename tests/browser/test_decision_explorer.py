"""DecisionExplorer in a real JupyterLab, driven by the mouse and the keyboard: numbers
read from the rendered page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EXPLORER = "[data-testid=decision-explorer]"
TIMEOUT_MS = 120_000
NAMES = ("order_0", "order_1", "order_2")


def expected(page: Page) -> float:
    return float(page.locator(f"{EXPLORER} [data-testid=expected]").get_attribute("data-value"))


def evaluations(page: Page) -> int:
    return int(page.locator(EXPLORER).get_attribute("data-evaluations"))


def paints(page: Page) -> int:
    return int(page.locator(EXPLORER).get_attribute("data-paints") or 0)


def sliders(page: Page) -> tuple[float, ...]:
    return tuple(float(page.locator(f"{EXPLORER} [data-testid=slider-{n}]").input_value()) for n in NAMES)


def row_values(page: Page, label: str) -> tuple[float, ...]:
    row = page.locator(f"{EXPLORER} tr[data-label='{label}']")
    return tuple(float(row.locator(f"td[data-variable={n}]").get_attribute("data-value")) for n in NAMES)


def open_explorer(notebook_page) -> Page:
    page = notebook_page("decision_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=frontier-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
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
    assert float(explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean")) == start
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
    assert wait_until(lambda: float(explorer.locator("tr[data-label='this decision'] td[data-variable=order_1]")
                                    .get_attribute("data-value")) == final, timeout=30)
    assert float(explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean")) == expected(page)
    # away from the optimum the naive decision does better, and the page says so
    expect(explorer.locator("[data-testid=advice]")).to_contain_text("naive (means) decision is better",
                                                                     timeout=30_000)
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
    explorer.screenshot(path=str(save_screenshot(page, "decision_explorer").with_name("decision_explorer_widget.png")))
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
    expect(explorer.locator("[data-testid=input-error]")).to_have_text("order_0: enter a number", timeout=10_000)
    expect(box).to_have_value("")
    page.wait_for_timeout(500)
    assert evaluations(page) == n
    # out of bounds: the kernel's message, the box put back to the last valid decision
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=input-error]")).to_be_hidden(timeout=10_000)
    expect(explorer.locator("[data-testid=error]")).to_contain_text("x.order_0: 500 is outside its bounds",
                                                                    timeout=30_000)
    expect(box).to_have_value("20", timeout=10_000)
    assert evaluations(page) == n
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(explorer.locator("[data-testid=error]")).to_be_hidden(timeout=30_000)
    assert wait_until(lambda: cell.get_attribute("data-value") == "5", timeout=30)
    assert relevant_console_errors(page) == []

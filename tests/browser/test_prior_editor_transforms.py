"""PriorEditor bound to an MMM in a real JupyterLab: a mouse drag on an adstock prior's
slider moves the painted adstock curve, and the channel chosen with the keyboard redraws
the curves for that channel. Numbers are read from the plots BokehJS painted and from the
text on the page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bayes_widgets.datasets import mmm_example

from .jupyter_harness import (
    bokeh_plots_js,
    plots_hiding_data,
    relevant_console_errors,
    save_screenshot,
    wait_until,
)
from .test_prior_editor import EDITOR, TIMEOUT_MS, paints

# every named source of every plot drawn inside the element, with its columns
_PAINTED = bokeh_plots_js("""
  const out = {};
  for (const view of plotsInOrder(root)) {
    for (const rv of view.renderer_views.values()) {
      const source = rv.model && rv.model.data_source;
      if (!source || !source.name || out[source.name]) continue;
      const columns = {};
      for (const [k, v] of source.data instanceof Map ? source.data : Object.entries(source.data)) {
        columns[k] = Array.from(v);
      }
      out[source.name] = columns;
    }
  }
  return out;
""")


def painted(page: Page) -> dict:
    return page.locator(f"{EDITOR} [data-testid=transform-figure]").evaluate(_PAINTED)


def lag0(page: Page) -> float:
    return painted(page)["adstock_prior"]["q50"][0]


def choose_with_keyboard(page: Page, select: str, label: str) -> None:
    """Opens a select with the mouse and moves to ``label`` with the arrow keys and Enter."""
    box = page.locator(f"{EDITOR} [data-testid={select}]")
    options = box.locator("option").all_inner_texts()
    current = box.evaluate("el => el.selectedIndex")
    box.click()
    key = "ArrowDown" if options.index(label) > current else "ArrowUp"
    for _ in range(abs(options.index(label) - current)):
        page.keyboard.press(key)
    page.keyboard.press("Enter")


def drag_reading(page: Page, slider, box, moves: int = 20) -> list[tuple[float, float]]:
    """Drags ``slider`` with the mouse from 15% to 85% of its track; after each move reads
    the value box and the painted median weight at lag 0."""
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y, x0, x1 = b["y"] + b["height"] / 2, b["x"] + 0.15 * b["width"], b["x"] + 0.85 * b["width"]
    page.mouse.move(x0, y)
    page.mouse.down()
    seen = []
    for i in range(1, moves + 1):
        page.mouse.move(x0 + (x1 - x0) * i / moves, y, steps=2)
        page.wait_for_timeout(40)
        seen.append((float(box.input_value()), lag0(page)))
    page.mouse.up()
    return seen


def test_a_mouse_drag_on_an_adstock_prior_moves_the_painted_curve(notebook_page):
    page = notebook_page("prior_mmm_transforms.ipynb", app="lab", run_all=True)
    editor = page.locator(EDITOR)
    figure = editor.locator("[data-testid=transform-figure]")
    expect(figure).to_have_attribute("data-rendered", "true", timeout=TIMEOUT_MS)
    expect(figure).to_have_attribute("data-channel", "x1")
    start = painted(page)
    assert len(start["adstock_prior"]["q50"]) == 6 and start["saturation_prior"]["q50"][0] == 0
    assert start["adstock_posterior"]["x"] == []  # not fitted
    # the observed spend of x1, marked on the saturation plot
    x1 = mmm_example()["x1"].iloc[:80]
    assert abs(start["spend_range"]["right"][0] - x1.max()) < 1e-4 * x1.max()
    # the adstock prior of x1, chosen with the keyboard
    choose_with_keyboard(page, "variable", "adstock_alpha")
    expect(editor).to_have_attribute("data-variable", "adstock_alpha", timeout=30_000)
    slider = editor.locator("[data-testid=slider-alpha]")
    expect(slider).to_be_visible(timeout=30_000)
    before, repaints = lag0(page), paints(page)
    seen_lag0 = drag_reading(page, slider, editor.locator("[data-testid=value-alpha]"))
    values = [v for v, _ in seen_lag0]
    assert values == sorted(values) and values[-1] > 2 * values[0], values
    # the painted curve moved during the drag, not only at its end: a larger retention
    # rate puts less of the weight at lag 0
    assert len({round(w, 6) for _, w in seen_lag0}) >= 4, seen_lag0
    assert wait_until(lambda: lag0(page) < before - 0.1, timeout=30), (before, lag0(page))
    assert paints(page) > repaints
    # the summary line says the painted median
    summary = editor.locator("[data-testid=transform-summary]")

    def shown() -> float:
        return float(re.search(r"weight at lag 0 ([0-9.]+)", summary.inner_text()).group(1))

    assert wait_until(lambda: abs(lag0(page) - shown()) < 0.005, timeout=10), (
        summary.inner_text(),
        lag0(page),
    )
    assert plots_hiding_data(figure)["problems"] == []
    editor.screenshot(
        path=str(save_screenshot(page, "prior_editor_mmm").with_name("prior_editor_mmm_widget.png"))
    )
    # channel x2, chosen with the keyboard: its curves and its observed spend
    choose_with_keyboard(page, "transform-channel", "x2")
    expect(figure).to_have_attribute("data-channel", "x2", timeout=30_000)
    x2 = mmm_example()["x2"].iloc[:80]
    assert wait_until(
        lambda: abs(painted(page)["spend_range"]["right"][0] - x2.max()) < 1e-4 * x2.max(),
        timeout=10,
    )
    # the adstock prior being edited follows: x2's element, whose prior was not dragged
    expect(editor.locator("[data-testid=element]")).to_have_value("1", timeout=10_000)
    assert abs(lag0(page) - start["adstock_prior"]["q50"][0]) < 1e-6
    assert relevant_console_errors(page) == []

"""PriorEditor in a real JupyterLab, driven by the mouse and the keyboard: numbers read
from the rendered page."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import Locator, Page, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EDITOR = "[data-testid=prior-editor]"
TIMEOUT_MS = 120_000
HALF_NORMAL_MEAN = math.sqrt(2 / math.pi)  # mean of a HalfNormal per unit sigma


def attr(page: Page, selector: str, name: str) -> str | None:
    return page.locator(f"{EDITOR} {selector}").first.get_attribute(f"data-{name}")


def mean(page: Page) -> float:
    return float(page.locator(f"{EDITOR} [data-testid=mean]").get_attribute("data-value"))


def paints(page: Page) -> int:
    return int(page.locator(EDITOR).get_attribute("data-paints") or 0)


def drag(
    page: Page,
    slider: Locator,
    box: Locator,
    moves: int = 30,
    pause_ms: int = 25,
    start: float = 0.15,
    end: float = 0.85,
) -> list[tuple[str, int]]:
    """Drags ``slider`` with the mouse from ``start`` to ``end`` of its track in ``moves``
    moves; after each move reads the value box and the repaint count."""
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    y = b["y"] + b["height"] / 2
    x0 = b["x"] + start * b["width"]
    x1 = b["x"] + end * b["width"]
    page.mouse.move(x0, y)
    page.mouse.down()
    seen = []
    for i in range(1, moves + 1):
        page.mouse.move(x0 + (x1 - x0) * i / moves, y, steps=2)
        page.wait_for_timeout(pause_ms)
        seen.append((box.input_value(), paints(page)))
    page.mouse.up()
    return seen


def open_editor(notebook_page, name: str = "prior_editor.ipynb") -> Page:
    page = notebook_page(name, app="lab", run_all=True)
    editor = page.locator(EDITOR)
    expect(editor).to_be_visible(timeout=TIMEOUT_MS)
    expect(editor.locator("[data-testid=pred-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    return page


def choose_sigma(page: Page) -> None:
    editor = page.locator(EDITOR)
    editor.locator("[data-testid=variable]").select_option("sigma")
    expect(editor.locator("[data-testid=dist-figure][data-variable=sigma]")).to_be_attached(
        timeout=30_000
    )


def test_a_mouse_drag_redraws_density_and_prior_predictive_all_along(notebook_page):
    page = open_editor(notebook_page)
    editor = page.locator(EDITOR)
    assert attr(page, "[data-testid=pred-figure]", "mode") == "series"
    choose_sigma(page)
    q95 = float(attr(page, "[data-testid=pred-figure]", "q95-first"))
    before = paints(page)
    seen = drag(
        page,
        editor.locator("[data-testid=slider-sigma]"),
        editor.locator("[data-testid=value-sigma]"),
    )
    values = [float(v) for v, _ in seen]
    # the slider followed the mouse the whole way (never replaced under it) ...
    assert len(set(values)) >= 0.8 * len(values), values
    assert values == sorted(values) and values[-1] > values[0] * 3
    # ... and the figures were redrawn during the drag, not only at its end
    assert len({p for _, p in seen}) >= 5 and seen[-1][1] > before, seen
    final = float(editor.locator("[data-testid=value-sigma]").input_value())
    assert wait_until(
        lambda: abs(mean(page) - final * HALF_NORMAL_MEAN) < 1e-3 * final, timeout=30
    ), (mean(page), final)
    assert float(attr(page, "[data-testid=pred-figure]", "q95-first")) > q95 + 2
    share_above = float(attr(page, "[data-testid=pred-info]", "share-above"))
    assert 0 <= share_above < 1
    editor.screenshot(
        path=str(save_screenshot(page, "prior_editor").with_name("prior_editor_widget.png"))
    )
    assert relevant_console_errors(page) == []


def test_once_the_pointer_rests_on_a_slider_a_drag_paints_from_its_slice(notebook_page):
    """The kernel sends the views at every position of the slider the pointer comes to; a
    drag then paints each position without a round trip, on the slider's 1 % steps, and
    the position let go of is the kernel's: the same numbers as the page painted."""
    page = open_editor(notebook_page)
    editor = page.locator(EDITOR)
    choose_sigma(page)
    slider = editor.locator("[data-testid=slider-sigma]")
    box = editor.locator("[data-testid=value-sigma]")
    slider.scroll_into_view_if_needed()
    b = slider.bounding_box()
    page.mouse.move(b["x"] + 0.5 * b["width"], b["y"] + b["height"] / 2)
    expect(slider).to_have_attribute("data-slice-complete", "true", timeout=60_000)
    assert int(slider.get_attribute("data-slice-positions")) == 101
    lo, hi = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    step = float(slider.get_attribute("step"))
    assert step == pytest.approx((hi - lo) / 100)
    local = int(editor.get_attribute("data-local-paints") or 0)
    y = b["y"] + b["height"] / 2
    x0, x1 = b["x"] + 0.2 * b["width"], b["x"] + 0.8 * b["width"]
    page.mouse.move(x0, y)
    page.mouse.down()
    values, q95s = [], []
    for i in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * i / 20, y, steps=2)
        page.wait_for_timeout(30)
        values.append(float(box.input_value()))
        q95s.append(float(attr(page, "[data-testid=pred-figure]", "q95-first")))
    painted = float(attr(page, "[data-testid=pred-figure]", "q95-first"))
    page.mouse.up()
    # every move landed on a position of the slice and was painted from it
    assert all(abs((v - lo) / step - round((v - lo) / step)) < 1e-6 for v in values), values
    assert int(editor.get_attribute("data-local-paints")) - local >= 15
    assert values == sorted(values) and len(set(q95s)) >= 10
    # let go: the kernel applies the last position, and its reply shows what was painted
    final = values[-1]
    assert wait_until(
        lambda: abs(mean(page) - final * HALF_NORMAL_MEAN) < 1e-6 * final, timeout=30
    ), (mean(page), final)
    assert wait_until(
        lambda: (
            float(attr(page, "[data-testid=pred-figure]", "q95-first"))
            == pytest.approx(painted, rel=1e-5)
        ),
        timeout=30,
    )
    assert relevant_console_errors(page) == []


@pytest.mark.slow
def test_a_drag_keeps_up_while_a_fit_samples_in_the_same_kernel(notebook_page):
    page = open_editor(notebook_page, "prior_busy.ipynb")
    editor = page.locator(EDITOR)
    monitor = page.locator("[data-testid=fit-monitor]")
    # a regression over observations: densities of values, not bands over an index
    assert attr(page, "[data-testid=pred-figure]", "mode") == "values"
    assert wait_until(lambda: monitor.get_attribute("data-status") == "sampling", timeout=120), (
        monitor.get_attribute("data-status")
    )
    choose_sigma(page)
    before = paints(page)
    seen = drag(
        page,
        editor.locator("[data-testid=slider-sigma]"),
        editor.locator("[data-testid=value-sigma]"),
        moves=40,
        pause_ms=40,
    )
    assert monitor.get_attribute("data-status") == "sampling"  # the fit was running throughout
    values = [float(v) for v, _ in seen]
    assert len(set(values)) >= 0.8 * len(values), values
    assert values == sorted(values) and values[-1] > values[0] * 3
    assert len({p for _, p in seen}) >= 3 and seen[-1][1] > before, seen
    final = float(editor.locator("[data-testid=value-sigma]").input_value())
    # the latest value wins: the page settles on the last position, not on a queue of old ones
    assert wait_until(
        lambda: abs(mean(page) - final * HALF_NORMAL_MEAN) < 1e-3 * final, timeout=30
    ), (mean(page), final)
    editor.screenshot(
        path=str(
            save_screenshot(page, "prior_editor_regression").with_name(
                "prior_editor_regression_widget.png"
            )
        )
    )
    assert relevant_console_errors(page) == []


def test_values_apply_on_enter_and_tab_and_an_empty_box_is_refused_inline(notebook_page):
    page = open_editor(notebook_page)
    editor = page.locator(EDITOR)
    choose_sigma(page)
    box = editor.locator("[data-testid=value-sigma]")
    # Enter applies while the box keeps the focus
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("2.5")
    page.keyboard.press("Enter")
    assert wait_until(lambda: abs(mean(page) - 2.5 * HALF_NORMAL_MEAN) < 1e-6, timeout=30), mean(
        page
    )
    assert box.evaluate("el => el === document.activeElement")
    # Tab applies too
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    assert wait_until(lambda: abs(mean(page) - 3 * HALF_NORMAL_MEAN) < 1e-6, timeout=30), mean(page)
    # an empty box: refused inline naming the field, nothing sent, the text kept
    updates = editor.get_attribute("data-updates")
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(editor.locator("[data-testid=input-error]")).to_have_text(
        "sigma: enter a number", timeout=10_000
    )
    expect(box).to_have_value("")
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    expect(editor.locator("[data-testid=input-error]")).to_have_text("sigma: enter a number")
    expect(box).to_have_value("abc")
    page.wait_for_timeout(500)
    assert editor.get_attribute("data-updates") == updates
    assert abs(mean(page) - 3 * HALF_NORMAL_MEAN) < 1e-6
    # corrected: the message goes, the value applies
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(editor.locator("[data-testid=input-error]")).to_be_hidden(timeout=10_000)
    assert wait_until(lambda: abs(mean(page) - 4 * HALF_NORMAL_MEAN) < 1e-6, timeout=30), mean(page)
    # a number the prior refuses: the kernel's message, the box put back
    peak = attr(page, "[data-testid=dist-figure]", "peak")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("-1")
    page.keyboard.press("Enter")
    expect(editor.locator("[data-testid=error]")).to_contain_text(
        "sigma: must be > 0", timeout=30_000
    )
    expect(box).to_have_value("4", timeout=10_000)
    assert attr(page, "[data-testid=dist-figure]", "peak") == peak
    # elicitation: an empty bound is refused naming it, never read as 0
    updates = editor.get_attribute("data-updates")
    editor.locator("[data-testid=maxent-upper]").click()
    page.keyboard.type("5")
    editor.locator("[data-testid=maxent]").click()
    expect(editor.locator("[data-testid=input-error]")).to_have_text(
        "lower: enter a number", timeout=10_000
    )
    page.wait_for_timeout(500)
    assert editor.get_attribute("data-updates") == updates
    editor.locator("[data-testid=maxent-lower]").click()
    page.keyboard.type("0.5")
    page.keyboard.press("Enter")  # Enter in a bound fits the prior
    expect(editor.locator("[data-testid=input-error]")).to_be_hidden(timeout=10_000)
    assert wait_until(lambda: editor.get_attribute("data-updates") != updates, timeout=30)
    assert relevant_console_errors(page) == []


def test_every_family_renders(notebook_page):
    from bayes_widgets.core.priors import FAMILIES

    page = notebook_page("prior_single.ipynb", app="lab", run_all=True)
    editor = page.locator(EDITOR)
    expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    # the chosen quantiles are the rows of the summary table, and their box shows them whole
    assert editor.locator("[data-testid=summary] td[data-q]").count() == 5
    quantiles = editor.locator("[data-testid=quantiles]")
    assert quantiles.evaluate("el => el.scrollWidth <= el.clientWidth"), quantiles.input_value()
    for family in FAMILIES:
        editor.locator("[data-testid=family]").select_option(family)
        assert wait_until(lambda f=family: editor.get_attribute("data-family") == f), family
        peak = page.locator(f"{EDITOR} [data-testid=dist-figure]")
        assert wait_until(lambda f=family: peak.get_attribute("data-family") == f), family
        assert float(peak.get_attribute("data-peak")) > 0, family
        assert int(peak.get_attribute("data-points")) > 5, family
        assert editor.locator("[data-testid=error]").is_hidden(), family
        assert editor.locator("[data-testid=params] input[type=range]").count() == len(
            FAMILIES[family].params
        )
    # Gamma by mean and sd: the sliders become mu and sigma, the mean is mu
    editor.locator("[data-testid=family]").select_option("Gamma")
    assert wait_until(lambda: editor.get_attribute("data-family") == "Gamma")
    editor.locator("[data-testid=parameterization]").select_option("mean_sd")
    expect(editor.locator("[data-testid=value-mu]")).to_be_visible(timeout=30_000)
    expect(editor.locator("[data-testid=value-sigma]")).to_be_visible()
    mu = float(editor.locator("[data-testid=value-mu]").input_value())
    assert wait_until(lambda: abs(mean(page) - mu) < 1e-5 * abs(mu), timeout=30), (mean(page), mu)
    assert editor.locator("[data-testid=error]").is_hidden()
    assert relevant_console_errors(page) == []

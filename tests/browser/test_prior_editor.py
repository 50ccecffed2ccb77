"""PriorEditor in a real JupyterLab: numbers read from the rendered page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EDITOR = "[data-testid=prior-editor]"
TIMEOUT_MS = 120_000


def attr(page: Page, selector: str, name: str) -> str | None:
    return page.locator(f"{EDITOR} {selector}").first.get_attribute(f"data-{name}")



def move_slider(page: Page, name: str, value: float) -> None:
    page.locator(f"{EDITOR} [data-testid=slider-{name}]").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def test_slider_redraws_density_and_prior_predictive(notebook_page):
    page = notebook_page("prior_editor.ipynb", app="lab", run_all=True)
    editor = page.locator(EDITOR)
    expect(editor).to_be_visible(timeout=TIMEOUT_MS)
    expect(editor.locator("[data-testid=pred-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    # pick the noise prior and widen it with the slider
    editor.locator("[data-testid=variable]").select_option("sigma")
    expect(editor.locator("[data-testid=dist-figure][data-variable=sigma]")).to_be_attached(timeout=30_000)
    peak = float(attr(page, "[data-testid=dist-figure]", "peak"))
    q95 = float(attr(page, "[data-testid=pred-figure]", "q95-first"))
    move_slider(page, "sigma", 6.0)
    assert wait_until(lambda: float(attr(page, "[data-testid=dist-figure]", "peak")) < peak * 0.5)
    assert wait_until(lambda: float(attr(page, "[data-testid=pred-figure]", "q95-first")) > q95 + 2)
    expect(editor.locator("[data-testid=value-sigma]")).to_have_value("6")
    mean = float(editor.locator("[data-testid=mean]").get_attribute("data-value"))
    assert abs(mean - 6.0 * (2 / 3.141592653589793) ** 0.5) < 1e-3  # HalfNormal mean
    share_above = float(attr(page, "[data-testid=pred-info]", "share-above"))
    assert 0 <= share_above < 1
    editor.screenshot(path=str(save_screenshot(page, "prior_editor").with_name("prior_editor_widget.png")))
    assert relevant_console_errors(page) == []


def test_invalid_value_is_shown_inline_and_the_state_kept(notebook_page):
    page = notebook_page("prior_editor.ipynb", app="lab", run_all=True)
    editor = page.locator(EDITOR)
    expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    editor.locator("[data-testid=variable]").select_option("sigma")
    expect(editor.locator("[data-testid=dist-figure][data-variable=sigma]")).to_be_attached(timeout=30_000)
    peak = attr(page, "[data-testid=dist-figure]", "peak")
    updates = editor.get_attribute("data-updates")
    box = editor.locator("[data-testid=value-sigma]")
    box.fill("-1")
    box.dispatch_event("change")
    expect(editor.locator("[data-testid=error]")).to_contain_text("sigma: must be > 0", timeout=30_000)
    # nothing was applied: same density, same number of accepted edits, input put back
    assert attr(page, "[data-testid=dist-figure]", "peak") == peak
    assert editor.get_attribute("data-updates") == updates
    expect(box).to_have_value("1", timeout=10_000)
    # a valid value clears the message
    box.fill("2")
    box.dispatch_event("change")
    expect(editor.locator("[data-testid=error]")).to_be_hidden(timeout=30_000)


def test_every_family_renders(notebook_page):
    from bayes_widgets.core.priors import FAMILIES

    page = notebook_page("prior_single.ipynb", app="lab", run_all=True)
    editor = page.locator(EDITOR)
    expect(editor.locator("[data-testid=dist-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    # the chosen quantiles are the rows of the summary table
    assert editor.locator("[data-testid=summary] td[data-q]").count() == 3
    for family in FAMILIES:
        editor.locator("[data-testid=family]").select_option(family)
        assert wait_until(lambda f=family: editor.get_attribute("data-family") == f), family
        peak = page.locator(f"{EDITOR} [data-testid=dist-figure]")
        assert wait_until(lambda f=family: peak.get_attribute("data-family") == f), family
        assert float(peak.get_attribute("data-peak")) > 0, family
        assert int(peak.get_attribute("data-points")) > 5, family
        assert editor.locator("[data-testid=error]").is_hidden(), family
        assert editor.locator("[data-testid=params] input[type=range]").count() == len(FAMILIES[family].params)

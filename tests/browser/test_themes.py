"""Widgets follow the host's light and dark themes: chrome and Bokeh figures.

In JupyterLab, a FitMonitor on a one-parameter model, a DecisionExplorer and a ModelCard
are rendered in the light theme, JupyterLab is switched to "JupyterLab Dark" and back.
Outside JupyterLab, the widgets' state (made in this process, no kernel) is rendered by
``@jupyter-widgets/html-manager`` in pages that stand in for other hosts: VS Code's
notebook webview (body class ``vscode-dark`` and its ``--vscode-*`` variables), marimo
(its own stylesheet, body class ``dark dark-theme``), a page with no host variables but
a dark background, and a page that only declares ``color-scheme: light dark`` (the
browser's prefers-color-scheme decides). Each host's switch is made at run time. The
colours are read from the page: computed styles of the widget chrome, the Bokeh
documents' figure properties, and the pixels of the figures' canvases.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .jupyter_harness import artifacts_dir, relevant_console_errors, save_screenshot, wait_until

MONITOR = "[data-testid=fit-monitor]"
EXPLORER = "[data-testid=decision-explorer]"
CARD = "[data-testid=model-card]"
PRIOR = "[data-testid=prior-editor]"
LAB_CHROME = (MONITOR, EXPLORER, CARD)
LAB_FIGURES = (
    f"{MONITOR} [data-testid=figure]",
    f"{EXPLORER} [data-testid=outcome-figure]",
    f"{EXPLORER} [data-testid=frontier-figure]",
)
TIMEOUT_MS = 120_000

SETUP = """\
import numpy as np
import pymc as pm
import bayes_widgets as bw
from bayes_widgets.core.decision import supply_chain as sc

with pm.Model() as model:
    mu = pm.Normal("mu", 0, 1)
    pm.Normal("y", mu, 1, observed=np.array([0.1, -0.3, 0.5, 0.2]))
"""
MONITOR_CELL = """\
monitor = bw.FitMonitor(model, backend="pymc", draws=200, tune=200, chains=2, seed=1)
display(monitor)
_ = monitor.wait()
"""
EXPLORER_CELL = """\
problem = sc.supply_chain_problem(sc.generating_process_scenarios(2000, seed=1))
bw.DecisionExplorer(problem, x=[20, 20, 20])
"""
CARD_CELL = """\
from bayes_widgets.widgets.model_card import ModelCard

ModelCard(model)
"""

# Relative luminance (WCAG) of a CSS colour, computed in the page: the canvas 2D
# context normalises any CSS colour; alpha is composited over the given backdrop.
_JS_LUMINANCE = """
function bwLuminance(color, backdrop = [255, 255, 255]) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillStyle = color;
  let s = ctx.fillStyle, rgba;
  if (s.startsWith("#")) rgba = [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)).concat([1]);
  else rgba = s.match(/[\\d.]+/g).map(Number);
  if (rgba.length < 4) rgba.push(1);
  const a = rgba[3];
  const lin = (c) => { c = c / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const mixed = [0, 1, 2].map((i) => a * rgba[i] + (1 - a) * backdrop[i]);
  return 0.2126 * lin(mixed[0]) + 0.7152 * lin(mixed[1]) + 0.0722 * lin(mixed[2]);
}
"""

_JS_CHROME = (
    """
(root) => {
"""
    + _JS_LUMINANCE
    + """
  const cs = getComputedStyle(root);
  const bgRgb = (() => {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.fillStyle = cs.backgroundColor;
    const s = ctx.fillStyle;
    return s.startsWith("#") ? [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)) : s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  })();
  const cell = root.querySelector("td");
  const button = root.querySelector("button");
  const input = root.querySelector("input[type=number], select");
  return {
    background: cs.backgroundColor,
    bg: bwLuminance(cs.backgroundColor),
    text: bwLuminance(cs.color, bgRgb),
    cellText: cell ? bwLuminance(getComputedStyle(cell).color, bgRgb) : null,
    cellBorder: cell ? bwLuminance(getComputedStyle(cell).borderBottomColor, bgRgb) : null,
    buttonBg: button ? bwLuminance(getComputedStyle(button).backgroundColor, bgRgb) : null,
    buttonText: button ? bwLuminance(getComputedStyle(button).color, bgRgb) : null,
    inputBg: input ? bwLuminance(getComputedStyle(input).backgroundColor, bgRgb) : null,
    inputText: input ? bwLuminance(getComputedStyle(input).color, bgRgb) : null,
    theme: root.dataset.bwTheme,
  };
}
"""
)

# Colours of the Bokeh figures embedded in `container`, read from their documents.
_JS_FIGURES = (
    """
(container) => {
"""
    + _JS_LUMINANCE
    + """
  const key = Object.keys(globalThis).find((k) => k.startsWith("__bayes_widgets_bokeh_"));
  const Bokeh = globalThis[key].lib;
  const views = Bokeh.index.roots.filter((v) => container.contains(v.el));
  const value = (m, attr) => {
    const v = m.properties[attr].get_value();
    return v !== null && typeof v === "object" && "value" in v ? v.value : v;
  };
  const out = { plots: [], texts: [], blackSpans: [], views: views.length };
  for (const view of views) {
    for (const m of view.model.document.all_models) {
      if (m.type === "Figure" || m.type === "Plot") {
        out.plots.push({ background: bwLuminance(value(m, "background_fill_color")),
                         border: bwLuminance(value(m, "border_fill_color")) });
      } else if (m.type.endsWith("Axis")) {
        out.texts.push(bwLuminance(value(m, "major_label_text_color")));
      } else if (m.type === "Title" && value(m, "text")) {
        out.texts.push(bwLuminance(value(m, "text_color")));
      } else if (m.type === "Span" && m.name === "mean") {
        out.blackSpans.push(bwLuminance(value(m, "line_color")));
      }
    }
  }
  return out;
}
"""
)

# Pixel (2, 2) of each plot canvas under `container` (the plot's border area), as
# [luminance, alpha]; legend glyph canvases are left out.
_JS_CANVAS_CORNERS = (
    """
(canvases) => {
"""
    + _JS_LUMINANCE
    + """
  return canvases.filter((c) => c.width > 4 && c.height > 4 && !c.classList.contains("bk-glyph")).map((c) => {
    const ctx = c.getContext("2d");
    const [r, g, b, a] = ctx.getImageData(2, 2, 1, 1).data;
    return [bwLuminance(`rgb(${r}, ${g}, ${b})`), a];
  });
}
"""
)


def luminance(rgb: tuple[int, ...]) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])


def theme_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(src) for src in (SETUP, MONITOR_CELL, EXPLORER_CELL, CARD_CELL)
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def switch_theme(page: Page, name: str, light: bool) -> None:
    page.evaluate(
        "(name) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})", name
    )
    expected = "true" if light else "false"
    page.wait_for_function(
        "(v) => document.body.dataset.jpThemeLight === v", arg=expected, timeout=60_000
    )


def chrome(page: Page, selector: str) -> dict:
    return page.locator(selector).evaluate(_JS_CHROME)


def figures(page: Page, selector: str) -> dict:
    return page.locator(selector).evaluate(_JS_FIGURES)


def canvas_corners(page: Page, selector: str) -> list[list[float]]:
    return page.locator(f"{selector} .bk-Canvas canvas").evaluate_all(_JS_CANVAS_CORNERS)


def screen_edges(page: Page, selector: str) -> list[float]:
    """Luminance of the figure's top-left corner and of its left and top edges as drawn
    on the screen (no trace of the previous theme may stay on the edges)."""
    figure = page.locator(selector)
    figure.evaluate("(el) => el.scrollIntoView({block: 'center'})")  # clear of the toolbar's shadow
    png = figure.screenshot()
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
        w, h = rgb.size
        return [luminance(rgb.getpixel(xy)) for xy in ((2, 2), (0, h // 2), (w // 3, 0))]


def assert_theme(
    page: Page, dark: bool, chrome_selectors=LAB_CHROME, figure_selectors=LAB_FIGURES
) -> None:
    word = "dark" if dark else "light"
    for selector in chrome_selectors:
        expect(page.locator(selector)).to_have_attribute("data-bw-theme", word, timeout=30_000)
        c = chrome(page, selector)
        if dark:
            assert c["bg"] < 0.05 and c["text"] > 0.5, (selector, c)
        else:
            assert c["bg"] > 0.9 and c["text"] < 0.1, (selector, c)
        for fg in ("cellText", "buttonText", "inputText"):
            if c[fg] is not None:
                assert (c[fg] > 0.4) if dark else (c[fg] < 0.15), (selector, fg, c)
        for bg in ("buttonBg", "inputBg"):
            if c[bg] is not None:
                assert (c[bg] < 0.1) if dark else (c[bg] > 0.7), (selector, bg, c)
        if c["cellBorder"] is not None:  # table rules stay faint against the background
            assert (c["cellBorder"] < 0.1) if dark else (c["cellBorder"] > 0.6), (selector, c)

    for selector in figure_selectors:
        f = figures(page, selector)
        assert f["views"] >= 1 and f["plots"], (selector, f)

        def follows(f=f):
            return all(
                (p["background"] < 0.05) == dark and (p["border"] < 0.05) == dark
                for p in f["plots"]
            )

        if not follows():  # the re-colouring may trail the theme switch by a frame or two
            assert wait_until(lambda: follows(figures(page, selector)), timeout=10), (
                selector,
                figures(page, selector),
            )
            f = figures(page, selector)
        assert all((t > 0.5) if dark else (t < 0.1) for t in f["texts"]), (selector, f["texts"])
        # a black marker line would vanish on dark: it takes the text colour
        assert all((s > 0.5) if dark else (s < 0.01) for s in f["blackSpans"]), (
            selector,
            f["blackSpans"],
        )

        # the canvas itself is painted in the theme's colours (BokehJS paints once in view)
        page.locator(selector).scroll_into_view_if_needed()

        def pixels_follow():
            # each plot has a painted layer and a transparent overlay layer
            painted = [v for v, a in canvas_corners(page, selector) if a > 0]
            return bool(painted) and all((v < 0.05) if dark else (v > 0.9) for v in painted)

        assert wait_until(pixels_follow, timeout=10), (selector, canvas_corners(page, selector))
        edges = screen_edges(page, selector)
        assert all((v < 0.05) if dark else (v > 0.9) for v in edges), (selector, edges)
    if any(sel.startswith(EXPLORER) for sel in figure_selectors):
        explorer_figures = figures(page, f"{EXPLORER} [data-testid=outcome-figure]")
        assert explorer_figures["blackSpans"], "the outcome figure's mean marker was not found"


@pytest.mark.slow
def test_widgets_follow_light_and_dark_themes(notebook_page, tmp_path):
    page = notebook_page(
        theme_notebook(tmp_path / "themes.ipynb"), app="lab", run_all=True, timeout=180
    )
    monitor = page.locator(MONITOR)
    explorer = page.locator(EXPLORER)
    expect(monitor).to_have_attribute("data-status", "finished", timeout=TIMEOUT_MS)
    expect(monitor.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    expect(explorer.locator("[data-testid=frontier-figure][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "true"
    try:
        assert_theme(page, dark=False)
        light_chrome = chrome(page, MONITOR)
        save_screenshot(page, "theme_light")
        page.locator(CARD).screenshot(path=str(artifacts_dir() / "model_card_widget.png"))

        switch_theme(page, "JupyterLab Dark", light=False)
        assert_theme(page, dark=True)
        assert chrome(page, MONITOR)["background"] != light_chrome["background"]
        save_screenshot(page, "theme_dark")
        # the widgets still work in the dark theme: a slider move redraws the outcome
        start = explorer.locator("[data-testid=expected]").get_attribute("data-value")
        slider = explorer.locator("[data-testid=slider-order_1]")
        slider.scroll_into_view_if_needed()
        b = slider.bounding_box()
        y = b["y"] + b["height"] / 2
        page.mouse.move(b["x"] + 0.2 * b["width"], y)
        page.mouse.down()
        page.mouse.move(b["x"] + 0.7 * b["width"], y, steps=8)
        page.mouse.up()
        assert wait_until(
            lambda: explorer.locator("[data-testid=expected]").get_attribute("data-value") != start,
            timeout=30,
        )
        assert_theme(page, dark=True)
    finally:
        # the theme is a user setting of the session's server: always leave it light
        switch_theme(page, "JupyterLab Light", light=True)
    assert_theme(page, dark=False)
    assert relevant_console_errors(page) == []


# ---------------------------------------------------------------------------------------
# Hosts other than JupyterLab: the widgets' state rendered by the html-manager in pages
# that carry each host's theme conventions.

HOST_CHROME = (MONITOR, EXPLORER, PRIOR)
HOST_FIGURES = (
    f"{MONITOR} [data-testid=figure]",
    f"{EXPLORER} [data-testid=outcome-figure]",
    f"{PRIOR} [data-testid=dist-figure]",
)

# VS Code's notebook webview: its theme's colours as --vscode-* variables on <html>, the
# kind as a body class and data attribute (values of VS Code's Dark Modern / Light
# Modern themes). Widget outputs sit in a white box (the Jupyter extension's
# .cell-output-ipywidget-background): the widgets follow the theme, not that box.
VSCODE = {
    "dark": {
        "--vscode-editor-background": "#1f1f1f",
        "--vscode-editor-foreground": "#cccccc",
        "--vscode-foreground": "#cccccc",
        "--vscode-descriptionForeground": "#9d9d9d",
        "--vscode-input-background": "#313131",
        "--vscode-input-border": "#3c3c3c",
        "--vscode-focusBorder": "#0078d4",
        "--vscode-button-secondaryBackground": "#313131",
        "--vscode-notebook-cellBorderColor": "#2b2b2b",
        "--vscode-errorForeground": "#f85149",
        "--vscode-editorWarning-foreground": "#cca700",
        "--vscode-font-family": "system-ui, sans-serif",
    },
    "light": {
        "--vscode-editor-background": "#ffffff",
        "--vscode-editor-foreground": "#3b3b3b",
        "--vscode-foreground": "#3b3b3b",
        "--vscode-descriptionForeground": "#3b3b3b",
        "--vscode-input-background": "#ffffff",
        "--vscode-input-border": "#cecece",
        "--vscode-focusBorder": "#005fb8",
        "--vscode-button-secondaryBackground": "#e5e5e5",
        "--vscode-notebook-cellBorderColor": "#e5e5e5",
        "--vscode-errorForeground": "#f85149",
        "--vscode-editorWarning-foreground": "#bf8803",
        "--vscode-font-family": "system-ui, sans-serif",
    },
}
VSCODE_CSS = ".cell-output-ipywidget-background { background: white; padding: 6px; }"

_JS_SET_VSCODE_THEME = """
([kind, vars]) => {
  const html = document.documentElement;
  for (const [name, value] of Object.entries(vars)) html.style.setProperty(name, value);
  document.body.classList.remove("vscode-light", "vscode-dark");
  document.body.classList.add(kind);
  document.body.dataset.vscodeThemeKind = kind;
}
"""
# marimo's ThemeProvider puts the theme on <body>: classes `dark dark-theme` (or `light
# light-theme`) and data-theme.
_JS_SET_MARIMO_THEME = """
(theme) => {
  document.body.classList.remove("light", "light-theme", "dark", "dark-theme");
  document.body.classList.add(theme, `${theme}-theme`);
  document.body.dataset.theme = theme;
}
"""


def marimo_stylesheet() -> Path:
    """marimo's own stylesheet (its theme variables: --background, --foreground, ...)."""
    spec = importlib.util.find_spec("marimo")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("marimo is not installed (a test dependency)")
    assets = Path(next(iter(spec.submodule_search_locations))) / "_static" / "assets"
    sheets = [
        p for p in assets.glob("index-*.css") if "--foreground" in p.read_text(encoding="utf-8")
    ]
    assert len(sheets) == 1, (
        f"marimo's theme stylesheet not found among {sorted(assets.glob('index-*.css'))}"
    )
    return sheets[0]


@pytest.fixture(scope="module")
def host_state():
    """State and views of a finished FitMonitor, a DecisionExplorer and a PriorEditor, made
    in this process without a kernel, as the html-manager reads them."""
    import numpy as np
    import pymc as pm
    from ipywidgets.embed import dependency_state, embed_data

    import bayes_widgets as bw
    from bayes_widgets.core.decision import supply_chain as sc

    with pm.Model(coords={"obs": range(4)}) as model:
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu, 1, observed=np.array([0.1, -0.3, 0.5, 0.2]), dims="obs")
    monitor = bw.FitMonitor(model, backend="pymc", draws=500, tune=500, chains=2, seed=1)
    assert monitor.wait_rendered(timeout=120) and monitor.status == "finished", monitor.status
    explorer = bw.DecisionExplorer(
        sc.supply_chain_problem(sc.generating_process_scenarios(500, seed=1)), x=[20, 20, 20]
    )
    prior = bw.PriorEditor("Gamma")
    views = [monitor, explorer, prior]
    # only these widgets and what they reference: other tests' closed widgets stay out
    data = embed_data(
        views=views, drop_defaults=False, state=dependency_state(views, drop_defaults=False)
    )
    yield data
    for w in (monitor, explorer, prior):
        w.close()


def host_page(
    folder: Path,
    name: str,
    data: dict,
    *,
    head: str = "",
    body_attrs: str = "",
    html_attrs: str = "",
    output_class: str = "",
) -> Path:
    """A page that renders the widgets from their saved state with the html-manager
    (the export's inlined runtime), with `head` and the attributes standing in for a host."""
    from bayes_widgets.export import bokehjs_in_state
    from bayes_widgets.widgets._base import BOKEHJS_FILE, static_file

    def as_json(value) -> str:  # "</" may not appear in a script element; JSON may say "<\/"
        return json.dumps(value).replace("</", "<\\/")

    def code(
        file: str,
    ) -> str:  # built scripts, checked by the build to be safe in a script element
        return static_file(file).read_text(encoding="utf-8")

    bokeh = (
        ""
        if bokehjs_in_state(data["manager_state"]["state"])
        else f'<script type="module">{code(BOKEHJS_FILE)}</script>'
    )
    views = "".join(
        f'<div class="{output_class}"><script type="application/vnd.jupyter.widget-view+json">'
        f"{as_json(view)}</script></div>"
        for view in data["view_specs"]
    )
    html = (
        f'<!doctype html><html {html_attrs}><head><meta charset="utf-8"><title>{name}</title>{head}'
        f"<script>{code('html_manager.js')}</script>{bokeh}"
        f'<script type="application/vnd.jupyter.widget-state+json">{as_json(data["manager_state"])}'
        f"</script></head><body {body_attrs}>{views}</body></html>"
    )
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return path


def open_host_page(browser, path: Path, color_scheme: str = "no-preference") -> Page:
    context = browser.new_context(
        viewport={"width": 1300, "height": 1000}, color_scheme=color_scheme
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(f"pageerror: {e}"))
    page.goto(path.as_uri(), wait_until="load")
    for selector in HOST_FIGURES:
        expect(page.locator(f"{selector}[data-rendered=true]")).to_be_attached(timeout=60_000)
    return page


def root_colors(page: Page) -> list[dict]:
    """Host, theme and background of every widget root, and the background of its figures."""
    return [
        page.locator(selector).evaluate(
            """(root) => ({host: root.dataset.bwHost, theme: root.dataset.bwTheme,
                       bg: getComputedStyle(root).backgroundColor,
                       published: getComputedStyle(root).getPropertyValue("--bw-bg").trim()})"""
        )
        for selector in HOST_CHROME
    ]


def full_screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(artifacts_dir() / f"{name}.png"), full_page=True)


def rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def assert_host(page: Page, host: str, dark: bool, background: str) -> None:
    """Every widget took its theme from `host`, with the host's `background` exactly."""
    assert_theme(page, dark, HOST_CHROME, HOST_FIGURES)
    for colors in root_colors(page):
        assert colors == {
            "host": host,
            "theme": "dark" if dark else "light",
            "bg": rgb(background),
            "published": background,
        }, colors


def check_switches(
    page: Page, host: str, switch: Callable[[str], object], dark_background: str
) -> None:
    """The page opens dark: every widget takes the host's dark background, then follows
    ``switch("light")`` (a white background) and ``switch("dark")`` back, made at run time."""
    assert_host(page, host, dark=True, background=dark_background)
    full_screenshot(page, f"theme_{host}_dark")
    for kind in ("light", "dark"):
        switch(kind)
        dark = kind == "dark"
        assert_host(page, host, dark=dark, background=dark_background if dark else "#ffffff")
    assert page.console_errors == []


@pytest.mark.slow
def test_vscode_theme(browser, host_state, tmp_path):
    vars_dark = ";".join(f"{k}: {v}" for k, v in VSCODE["dark"].items())
    path = host_page(
        tmp_path,
        "vscode",
        host_state,
        head=f"<style>{VSCODE_CSS}</style>",
        html_attrs=f'style="{vars_dark}"',
        body_attrs='class="vscode-body vscode-dark" data-vscode-theme-kind="vscode-dark"',
        output_class="cell-output-ipywidget-background",
    )
    page = open_host_page(browser, path)
    try:
        check_switches(
            page,
            "vscode",
            lambda kind: page.evaluate(_JS_SET_VSCODE_THEME, [f"vscode-{kind}", VSCODE[kind]]),
            dark_background=VSCODE["dark"]["--vscode-editor-background"],
        )
    finally:
        page.context.close()


@pytest.mark.slow
def test_marimo_theme(browser, host_state, tmp_path):
    sheet = marimo_stylesheet()
    path = host_page(
        tmp_path,
        "marimo",
        host_state,
        head=f'<link rel="stylesheet" href="{sheet.as_uri()}">',
        body_attrs='class="dark dark-theme" data-theme="dark"',
    )
    page = open_host_page(browser, path)
    try:
        # marimo's own variables, as its stylesheet resolves them on this page
        marimo_bg = page.evaluate("""() => {
          const ctx = document.createElement("canvas").getContext("2d");
          ctx.fillStyle = getComputedStyle(document.body).getPropertyValue("--background").trim();
          return ctx.fillStyle; }""")
        assert marimo_bg == "#181c1a", marimo_bg  # marimo 0.25's dark background
        check_switches(
            page,
            "marimo",
            lambda kind: page.evaluate(_JS_SET_MARIMO_THEME, kind),
            dark_background=marimo_bg,
        )
    finally:
        page.context.close()


@pytest.mark.slow
def test_page_colours_without_host_variables(browser, host_state, tmp_path):
    # no host variables: the first opaque background up from the widget decides (the
    # body stays white), and a switch of the page's class is followed
    css = (
        "body { background: white; color: black; margin: 0; }"
        ".cell { background: #202124; color: #e8eaed; padding: 8px; }"
        "body.paper .cell { background: #fdf6e3; color: #073642; }"
    )
    path = host_page(
        tmp_path, "plain", host_state, head=f"<style>{css}</style>", output_class="cell"
    )
    page = open_host_page(browser, path)
    try:
        assert_host(page, "page", dark=True, background="#202124")
        full_screenshot(page, "theme_page_dark")
        page.evaluate("() => document.body.classList.add('paper')")
        assert_host(page, "page", dark=False, background="#fdf6e3")
        assert page.console_errors == []
    finally:
        page.context.close()

    # nothing paints a background: the page's color-scheme, chosen by prefers-color-scheme
    path = host_page(
        tmp_path, "scheme", host_state, head='<meta name="color-scheme" content="light dark">'
    )
    page = open_host_page(browser, path, color_scheme="dark")
    try:
        assert_host(page, "page", dark=True, background="#121212")
        full_screenshot(page, "theme_color_scheme_dark")
        page.emulate_media(color_scheme="light")
        assert_host(page, "page", dark=False, background="#ffffff")
        assert page.console_errors == []
    finally:
        page.context.close()

"""``export_html`` and ``bayes-widgets export``: offline HTML pages that show every widget's
saved state.

The pages are opened and checked in headless Debian chromium by tests/export_check.py.
"""

from __future__ import annotations

import copy
import json
import re

import nbformat
import pytest

from bayes_widgets.cli import main
from bayes_widgets.export import (
    STATE_MIME,
    VIEW_MIME,
    ExportError,
    check_exportable,
    export_html,
    has_math,
    widget_state,
)
from tests.export_check import check_export, open_export

# -- a tiny hand-made notebook: one PriorEditor, the BokehJS carrier and their layouts ----


@pytest.fixture(scope="module")
def tiny_notebook() -> nbformat.NotebookNode:
    """A notebook whose one output displays a PriorEditor, with the widget state saved the
    way nbclient saves it (every trait, defaults included)."""
    from ipywidgets.embed import dependency_state

    import bayes_widgets as bw
    from bayes_widgets.core.priors import PriorDist

    editor = bw.PriorEditor(PriorDist.create("Normal", mu=1.5, sigma=0.5))
    spec = {"version_major": 2, "version_minor": 0, "model_id": editor.model_id}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# One prior\n\nA normal prior, $\\mu = 1.5$."),
        nbformat.v4.new_code_cell(
            "bw.PriorEditor('Normal')",
            execution_count=1,
            outputs=[
                nbformat.v4.new_output(
                    "execute_result",
                    execution_count=1,
                    data={VIEW_MIME: spec, "text/plain": "PriorEditor()"},
                )
            ],
        ),
    ]
    state = dependency_state([editor], drop_defaults=False)
    nb.metadata["widgets"] = {STATE_MIME: {"version_major": 2, "version_minor": 0, "state": state}}
    yield nb
    editor.close()


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html, flags=re.I)


def test_export_inlines_everything(tiny_notebook, tmp_path):
    out = export_html(tiny_notebook, tmp_path / "sub" / "tiny.html", title="Tiny")
    html = out.read_text()
    assert "<title>Tiny</title>" in html
    assert not [s for s in _scripts(html) if "src=" in s], "a script loads from a URL"
    assert not re.search(r"<link\b[^>]*href=\"https?:", html), "a stylesheet loads from a URL"
    assert 'window.define("anywidget", deps, factory)' in html
    assert "window.MathJax = " in html  # the markdown has math
    assert "PriorEditor</span>" in html  # the code, highlighted
    bare = export_html(tiny_notebook, tmp_path / "no-input.html", exclude_input=True).read_text()
    assert "PriorEditor</span>" not in bare and "application/vnd.jupyter.widget-view+json" in bare
    state = re.search(
        r'<script type="application/vnd.jupyter.widget-state\+json">\s*(.*?)\s*</script>',
        html,
        flags=re.S,
    )
    assert json.loads(state.group(1))["state"].keys() == widget_state(tiny_notebook).keys()


def test_tiny_export_renders_offline(tiny_notebook, tmp_path, browser):
    out = export_html(tiny_notebook, tmp_path / "tiny.html")
    page = open_export(browser, out, tiny_notebook)
    check_export(page, tiny_notebook)
    [view] = page.views
    assert view["painted"] >= 2  # density and cumulative
    cells = {
        c["data"]["testid"]: c
        for t in view["tables"]
        for row in t
        for c in row["cells"]
        if "testid" in c["data"]
    }
    assert float(cells["mean"]["data"]["value"]) == pytest.approx(1.5), view["tables"]
    assert float(cells["sd"]["data"]["value"]) == pytest.approx(0.5), view["tables"]
    assert cells["mean"]["text"].startswith("1.5") and cells["sd"]["text"].startswith("0.5")
    assert page.requests == [page.url]


def test_bokehjs_reaches_the_page_once(tiny_notebook, tmp_path, browser):
    """Saved state with the carrier brings BokehJS itself; state without it (a host that saves
    only what is displayed) gets the bundle inlined, and renders offline as well."""
    from bayes_widgets.export import bokehjs_in_state
    from bayes_widgets.widgets._base import bokehjs_bundle

    banner = f"/* bayes_widgets BokehJS {bokehjs_bundle()[0]} */"
    assert bokehjs_in_state(widget_state(tiny_notebook))
    with_carrier = export_html(tiny_notebook, tmp_path / "carrier.html").read_text()
    assert banner not in with_carrier
    bare = copy.deepcopy(tiny_notebook)
    saved = bare.metadata["widgets"][STATE_MIME]["state"]
    for key in [
        k for k, m in saved.items() if m["state"].get("_anywidget_id", "").endswith(".BokehLibrary")
    ]:
        del saved[key]
    assert not bokehjs_in_state(saved)
    out = export_html(bare, tmp_path / "inlined.html")
    html = out.read_text()
    assert html.count(banner) == 1 and '<script type="module">' in html
    page = open_export(browser, out, bare)
    check_export(page, bare)
    assert page.views[0]["painted"] >= 2 and page.requests == [page.url]


def test_the_page_check_sees_a_missing_runtime(tiny_notebook, tmp_path, browser):
    """A page whose widgets cannot render fails the check (the check can fail)."""
    out = export_html(tiny_notebook, tmp_path / "broken.html")
    html = out.read_text()
    out.write_text(html.replace('window.define("anywidget", deps, factory)', "void 0"))
    page = open_export(browser, out, tiny_notebook, timeout=8)
    with pytest.raises(AssertionError, match="requests beyond localhost"):
        check_export(page, tiny_notebook)
    assert any(
        u.startswith("https://cdn.jsdelivr.net/npm/anywidget@") for u in page.outside_requests()
    )
    page.requests = [page.url]
    with pytest.raises(AssertionError, match='Script error for "anywidget"'):
        check_export(page, tiny_notebook)
    page.errors = []
    with pytest.raises(AssertionError, match="did not render its root"):
        check_export(page, tiny_notebook)


def test_math_is_only_inlined_when_needed(tiny_notebook, tmp_path):
    plain = nbformat.from_dict(json.loads(json.dumps(tiny_notebook)))
    plain.cells[0].source = "# One prior"
    assert has_math(tiny_notebook) and not has_math(plain)
    small = export_html(plain, tmp_path / "plain.html").stat().st_size
    big = export_html(tiny_notebook, tmp_path / "math.html").stat().st_size
    assert big - small > 1_000_000
    forced = export_html(plain, tmp_path / "forced.html", mathjax=True).stat().st_size
    assert forced >= big - 1000


def test_notebooks_without_saved_state_are_refused(tiny_notebook):
    bare = nbformat.from_dict(json.loads(json.dumps(tiny_notebook)))
    del bare.metadata["widgets"]
    with pytest.raises(
        ExportError, match="has no saved widget state although it displays 1 widget"
    ):
        check_exportable(bare)
    for cell in bare.cells:
        cell.pop("outputs", None)
    with pytest.raises(ExportError, match="never run.*Save Widget State Automatically.*--execute"):
        check_exportable(bare)


def test_widgets_from_other_packages_are_refused(tiny_notebook):
    nb = nbformat.from_dict(json.loads(json.dumps(tiny_notebook)))
    model = next(iter(widget_state(nb).values()))
    model["model_module"], model["model_module_version"] = "ipyleaflet", "^0.19"
    with pytest.raises(ExportError, match=r"ipyleaflet@\^0.19.*cannot load"):
        check_exportable(nb)


def test_other_anywidget_versions_warn(tiny_notebook):
    nb = nbformat.from_dict(json.loads(json.dumps(tiny_notebook)))
    for model in widget_state(nb).values():
        if model["model_module"] == "anywidget":
            model["model_module_version"] = "~0.9.*"
    with pytest.warns(UserWarning, match=r"anywidget ~0.9.\*, the page has 0.11"):
        check_exportable(nb, versions={"anywidget": "0.11.0"})


# -- the command line ---------------------------------------------------------------------


def test_cli_exports_a_notebook(tiny_notebook, tmp_path, capsys):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(tiny_notebook, path)
    assert main(["export", str(path), "--out", str(tmp_path / "out" / "page.html")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "out" / "page.html").stat().st_size > 1_000_000
    assert main(["export", str(path)]) == 0  # --out defaults to the notebook's name
    assert (tmp_path / "tiny.html").exists()


def test_cli_errors(tiny_notebook, tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "x.html")]) == 2
    assert "notebook: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.ipynb"
    for text in ("{not json", "{}", "[1, 2]"):
        bad.write_text(text)
        assert main(["export", str(bad), "--out", str(tmp_path / "x.html")]) == 2
        assert "bad.ipynb is not a notebook" in capsys.readouterr().err
    bare = nbformat.from_dict(json.loads(json.dumps(tiny_notebook)))
    del bare.metadata["widgets"]
    nbformat.write(bare, tmp_path / "bare.ipynb")
    assert main(["export", str(tmp_path / "bare.ipynb"), "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert (
        "no saved widget state" in err
        and "Save Widget State Automatically" in err
        and "--execute" in err
    )
    assert not (tmp_path / "x.html").exists()


@pytest.mark.slow
def test_cli_executes_a_notebook(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import bayes_widgets as bw\nbw.PriorEditor('Gamma')")]
    nbformat.write(nb, tmp_path / "run.ipynb")
    assert (
        main(
            [
                "export",
                str(tmp_path / "run.ipynb"),
                "--out",
                str(tmp_path / "run.html"),
                "--execute",
                "--kernel",
                "python3",
            ]
        )
        == 0
    )
    html = (tmp_path / "run.html").read_text()
    assert "bayes_widgets.widgets.prior_editor.PriorEditor" in html
    failing = nbformat.v4.new_notebook()
    failing.cells = [nbformat.v4.new_code_cell("1 / 0")]
    nbformat.write(failing, tmp_path / "fail.ipynb")
    assert main(["export", str(tmp_path / "fail.ipynb"), "--execute", "--kernel", "python3"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err

"""The examples' plain-text sources (``examples/NN_name.py``, jupytext percent format) build
their notebooks: valid, without outputs, with the cells the sources say, the same notebook
every time, rewritten only when the source changed.

Running every example (in JupyterLab, then saved with its widget state and exported to
static HTML) is tests/browser/test_examples_lab.py's job.
"""

from __future__ import annotations

import ast
import os

import nbformat
import pytest

from scripts.make_examples import (
    EXAMPLES,
    example_sources,
    main,
    notebook,
    notebook_name,
    write_notebooks,
)

SOURCES = example_sources()


def test_every_example_has_a_source_and_the_marimo_notebook_is_not_one():
    names = [p.name for p in SOURCES]
    assert names, "examples/ holds no example source (NN_name.py)"
    assert names == sorted(names)
    assert "marimo_quickstart.py" not in names
    assert (EXAMPLES / "marimo_quickstart.py").exists()
    assert [n[:2] for n in names] == [f"{i:02d}" for i in range(1, len(names) + 1)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_source_builds_its_notebook(source):
    nb = notebook(source)
    nbformat.validate(nb)
    assert nb.metadata == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    }
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and nb.cells[0].source.startswith("# "), "a title comes first"
    assert "code" in kinds
    text = source.read_text(encoding="utf-8")
    assert text.count("# %%") == len(nb.cells), "one cell per '# %%' line"
    assert text.count("# %% [markdown]") == kinds.count("markdown")
    for cell in nb.cells:
        assert cell.source.strip(), "an empty cell"
        assert cell.metadata == {}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            # IPython magics are written commented out in the source and come back as magics
            code = "\n".join(
                "pass" if line.lstrip().startswith("%") else line
                for line in cell.source.splitlines()
            )
            ast.parse(code)
        else:
            assert not cell.source.lstrip().startswith("# %%")
    assert [c.id for c in nb.cells] == [f"{source.stem[:2]}-{i:02d}" for i in range(len(nb.cells))]
    assert nbformat.writes(notebook(source)) == nbformat.writes(nb), "the build is not stable"


def test_magics_come_back_from_the_source():
    code = [c.source for c in notebook(SOURCES[0]).cells if c.cell_type == "code"]
    assert code[0].startswith("%load_ext bayes_widgets\n"), code[0]


def test_notebooks_are_written_when_missing_or_older_than_their_source(tmp_path, capsys):
    written = write_notebooks(tmp_path)
    assert [p.name for p in written] == [notebook_name(s) for s in SOURCES]
    for path, source in zip(written, SOURCES):
        assert nbformat.read(path, as_version=4) == notebook(source)
    assert write_notebooks(tmp_path) == [], "an up-to-date notebook was rewritten"

    stale = written[0]
    old = SOURCES[0].stat().st_mtime - 60
    os.utime(stale, (old, old))
    assert write_notebooks(tmp_path) == [stale]
    assert len(write_notebooks(tmp_path, force=True)) == len(SOURCES)

    assert main(["--out", str(tmp_path), "--force"]) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in written]

"""Writes the example notebooks from their plain-text sources.

Each example is kept as ``examples/NN_name.py`` in jupytext's percent format (a ``# %%``
line starts a code cell, ``# %% [markdown]`` a text cell written as comments); the notebook
``examples/NN_name.ipynb`` is built from it, without outputs, and git ignores it.
``./dev setup`` (so ``./dev lab`` and ``./dev test``) runs this script; the tests build the
notebooks they run the same way, with :func:`notebook`.

    .venv/bin/python scripts/make_examples.py            # notebooks older than their source
    .venv/bin/python scripts/make_examples.py --force    # every notebook
    .venv/bin/python scripts/make_examples.py --out DIR  # into another folder

A notebook newer than its source is left alone (it may hold the outputs of a run); edit the
``.py`` source to change an example. ``examples/marimo_quickstart.py`` is a marimo notebook,
not a source: only files named ``NN_name.py`` are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCE_GLOB = "[0-9][0-9]_*.py"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def example_sources(folder: Path = EXAMPLES) -> list[Path]:
    """The examples' sources in ``folder``, in their order (``01_...``, ``02_...``)."""
    return sorted(folder.glob(SOURCE_GLOB))


def notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook of one source: its cells, no outputs, a Python 3 kernel, and cell ids
    that depend only on the cell's place (a rebuilt notebook differs only where its source
    did)."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = nbformat.NotebookNode(kernelspec=dict(KERNELSPEC))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{i:02d}"
        cell["metadata"] = nbformat.NotebookNode()
    nbformat.validate(nb)
    return nb


def notebook_name(source: Path) -> str:
    """``01_live_fitting.py`` -> ``01_live_fitting.ipynb``."""
    return source.with_suffix(".ipynb").name


def write_notebooks(out: Path = EXAMPLES, force: bool = False) -> list[Path]:
    """Writes the notebook of every source into ``out``: those missing or older than their
    source, or all of them with ``force``. Returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in example_sources():
        target = out / notebook_name(source)
        if not force and target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        nbformat.write(notebook(source), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Writes the example notebooks from their sources.")
    parser.add_argument("--out", type=Path, default=EXAMPLES, help="folder of the notebooks")
    parser.add_argument("--force", action="store_true", help="rewrite every notebook")
    args = parser.parse_args(argv)
    if not example_sources():
        print(f"no example source ({SOURCE_GLOB}) in {EXAMPLES}", file=sys.stderr)
        return 1
    for path in write_notebooks(args.out, force=args.force):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

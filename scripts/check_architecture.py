"""Checks the package's shape, as CI does before the tests.

- no module in ``src/`` over 500 lines, no function over 80 lines;
- bokeh imported only under ``bayes_widgets/core/figures/``;
- no private name (``_name``) used outside the module that defines it: neither imported
  from another module nor reached as an attribute of anything but ``self`` or ``cls``
  (``other._helper()``); names of the standard library's and other packages' own
  conventions (dunders, ``sys._getframe``, namedtuple's ``_replace``/``_asdict``/``_fields``)
  are allowed, and so is another library's private name the code must reach, marked on its
  line with a comment ``# private of <library>: <why>``.

    .venv/bin/python scripts/check_architecture.py        # exit status 1 and a list on failure
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "bayes_widgets"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
FIGURES = PACKAGE / "core" / "figures"
ALLOWED_PRIVATE_ATTRIBUTES = {
    "_replace",
    "_asdict",
    "_fields",
    "_getframe",
    "_exit",
    "_repr_mimebundle_",
    "_repr_html_",
    "_ipython_display_",
    "_repr_png_",
    "_ipython_canary_method_should_not_exist_",
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owners(tree: ast.Module) -> set[str]:
    """Names whose private attributes this module may reach: self, cls, and the module's
    own classes (``Cls._helper``)."""
    own = {"self", "cls"}
    own |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    return own


def check_file(path: Path) -> list[str]:
    rel = path.relative_to(ROOT)
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    problems = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        problems.append(f"{rel}: {lines} lines (at most {MAX_MODULE_LINES})")
    own = _owners(tree)
    marked = {i + 1 for i, line in enumerate(text.splitlines()) if "# private of " in line}
    in_figures = FIGURES in path.parents
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if n > MAX_FUNCTION_LINES:
                problems.append(
                    f"{rel}:{node.lineno}: function {node.name} has {n} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [module] if module else [a.name for a in node.names]
            if not in_figures and any(
                m and (m == "bokeh" or m.startswith("bokeh.")) for m in names
            ):
                problems.append(f"{rel}:{node.lineno}: imports bokeh outside core/figures/")
            if isinstance(node, ast.ImportFrom) and (
                node.level or (module or "").startswith("bayes_widgets")
            ):
                for alias in node.names:
                    if _is_private(alias.name):
                        problems.append(
                            f"{rel}:{node.lineno}: imports the private name {alias.name} "
                            f"from {module}"
                        )
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            if node.attr in ALLOWED_PRIVATE_ATTRIBUTES or node.lineno in marked:
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in own:
                continue
            if (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Name)
                and base.func.id == "super"
            ):
                continue
            problems.append(
                f"{rel}:{node.lineno}: reaches the private name {node.attr} of {ast.unparse(base)}"
            )
    return problems


def main(argv: list[str]) -> int:
    files = sorted(PACKAGE.rglob("*.py"))
    problems = [p for f in files for p in check_file(f)]
    for p in problems:
        print(p)
    print(
        f"architecture: {len(files)} modules checked, "
        f"{'no problems' if not problems else f'{len(problems)} problems'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

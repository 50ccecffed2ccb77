"""Reading widgets off a page in the browser tests: JavaScript for ``page.evaluate``.

Widget views live inside shadow roots in some hosts (marimo) and paint their figures on
canvases; the helpers below find elements across shadow roots and tell a painted canvas
from a blank one. ``page_function(body)`` wraps a probe's body into the ``() => {...}``
that ``page.evaluate`` runs, with the helpers in scope::

    count = page.evaluate(page_function('return paintCounts(document.body).painted;'))
"""

from __future__ import annotations

PAGE_HELPERS_JS = r"""
  // every element matching `sel` under `root`, inside shadow roots too
  const deep = (root, sel) => {
    const out = [...root.querySelectorAll(sel)];
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) out.push(...deep(el.shadowRoot, sel));
    return out;
  };
  // a canvas with at least one pixel that is not transparent
  const painted = (c) => {
    if (!c.width || !c.height) return false;
    const ctx = c.getContext("2d");
    if (!ctx) return false;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  };
  // the canvases under `root` that have a size, and how many of them are painted
  const paintCounts = (root) => {
    const canvases = deep(root, "canvas").filter((c) => c.width > 0 && c.height > 0);
    return { canvases: canvases.length, painted: canvases.filter(painted).length };
  };
  // an element's data attributes as a plain object
  const data = (el) => Object.assign({}, el.dataset);
"""
"""Functions in scope of every probe: ``deep(root, selector)``, ``painted(canvas)``,
``paintCounts(root)`` (``{canvases, painted}``) and ``data(element)``."""


def page_function(body: str) -> str:
    """A ``() => {...}`` for ``page.evaluate``: the helpers, then ``body`` (which returns)."""
    return "() => {\n" + PAGE_HELPERS_JS + body + "\n}"

// @ts-check
// Small DOM helpers shared by the widget views.

/** @typedef {import("../types/anywidget").AnyModel<import("../types/anywidget").BaseTraits>} BaseModel */
/**
 * A child of `h` or `morph`: a node, text (numbers become text), or nothing (skipped);
 * arrays are flattened.
 * @typedef {Node | string | number | boolean | null | undefined | ChildArray} Child
 * @typedef {Array<Child>} ChildArray
 */
/**
 * Attributes of `h`: each becomes an attribute (`true` an empty one; `false`, null and
 * undefined none); `onclick` is a click listener.
 * @typedef {Record<string, any>} Attrs
 */

/**
 * Creates an element: h("div", {class: "x", "data-k": 1}, child, "text").
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "onclick") el.addEventListener("click", v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of flat(children)) el.append(c instanceof Node ? c : String(c));
  return el;
}

/**
 * Like `parent.replaceChildren(...children)`, but keeps the nodes that already show the
 * same structure and only changes their text and attributes: a table redrawn on every
 * slider move then costs the browser text updates, not a new subtree to style and lay
 * out. A node whose tag, `data-testid` or `data-label` differs is replaced (with its
 * listeners), so a button is never left with another row's click handler.
 * @param {ParentNode & Node} parent
 * @param {...Child} children
 */
export function morph(parent, ...children) {
  const next = flat(children).map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  const old = [...parent.childNodes];
  if (old.length !== next.length) {
    parent.replaceChildren(...next);
    return;
  }
  next.forEach((b, i) => morphNode(parent, old[i], b));
}

/**
 * The children to append: arrays flattened; null, undefined and false left out.
 * @param {ChildArray} children
 * @returns {Array<Node | string | number | true>}
 */
function flat(children) {
  /** @type {Array<Node | string | number | true>} */
  const out = [];
  for (const c of children) {
    if (Array.isArray(c)) out.push(...flat(c));
    else if (c !== null && c !== undefined && c !== false) out.push(c);
  }
  return out;
}

const KEYS = ["data-testid", "data-label"];

/**
 * @param {ParentNode & Node} parent
 * @param {ChildNode} a the node shown
 * @param {Node} b the node that should be shown
 */
function morphNode(parent, a, b) {
  const elements = a instanceof Element && b instanceof Element;
  const same = a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
    (!elements || KEYS.every((k) => a.getAttribute(k) === b.getAttribute(k)));
  if (!same || elements && (a.nodeName === "INPUT" || a.nodeName === "SELECT")) {
    parent.replaceChild(b, a);
    return;
  }
  if (a instanceof Text && b instanceof Text) {
    if (a.data !== b.data) a.data = b.data;
    return;
  }
  if (!(a instanceof Element && b instanceof Element)) {
    parent.replaceChild(b, a);
    return;
  }
  for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
  for (const { name, value } of [...b.attributes]) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
  morph(a, ...b.childNodes);
}

/**
 * A number for display with `digits` significant digits. With a `resolution` (the
 * smallest difference that means anything for this variable), a value whose magnitude
 * is below it reads "0", so a solver's 5.7e-10 on a spend of thousands shows as 0.
 * @param {unknown} x a number (anything else is shown as text; null, undefined and NaN as "–")
 * @param {number} [digits]
 * @param {number | null} [resolution]
 * @returns {string}
 */
export function fmt(x, digits = 3, resolution = null) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (typeof x !== "number") return String(x);
  if (resolution !== null && resolution !== undefined && resolution > 0 && Math.abs(x) < resolution) return "0";
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e7)) return si(x, digits); // 3.2e-7 -> "320n", 2.5e8 -> "250M"
  if (a >= 10 ** digits) return String(Math.round(x)); // 1234.5 -> "1235", not "1.23e+3"
  return x.toPrecision(digits);
}

/** @type {Array<[number, string]>} */
const SI = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"], [1e-12, "p"]];

/**
 * `x` in SI form with `digits` significant digits: 2.5e8 -> "250M", 3.2e-7 -> "320n".
 * @param {number} x
 * @param {number} [digits]
 * @returns {string}
 */
export function si(x, digits = 3) {
  const a = Math.abs(x);
  const [scale, suffix] = SI.find(([s]) => a >= s) ?? SI[SI.length - 1];
  return `${Number((x / scale).toPrecision(digits))}${suffix}`;
}

/**
 * A duration: "42 ms" under 0.1 s (a fast sampler's 5 ms is not "0.0 s"), "7.2 s", "2 min 41 s".
 * @param {number | null | undefined} s seconds
 * @returns {string}
 */
export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 0.1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/**
 * Inline error banner bound to the model's `error` trait.
 * @param {BaseModel} model
 * @returns {{el: HTMLDivElement, dispose: () => void}}
 */
export function errorBanner(model) {
  const el = h("div", { class: "bw-error", role: "alert", "data-testid": "error" });
  const update = () => {
    const msg = model.get("error");
    el.textContent = msg || "";
    el.style.display = msg ? "" : "none";
  };
  update();
  model.on("change:error", update);
  return { el, dispose: () => model.off("change:error", update) };
}

/**
 * Warns inline when the Python package and this front-end build differ.
 * @param {BaseModel} model
 * @returns {HTMLDivElement | null}
 */
export function versionNote(model) {
  const py = model.get("_py_version");
  if (!py || py === __BW_VERSION__) return null;
  return h(
    "div",
    { class: "bw-warning" },
    `bayes_widgets front end ${__BW_VERSION__} differs from the Python package ${py}; reinstall the package.`,
  );
}

/**
 * Batches change events: `mark(key)` returns a listener that records `key`; one microtask
 * after the first, `redraw(keys)` runs once with every key recorded meanwhile. One reply
 * changes several traits at once, and each piece of a view is redrawn once for it.
 * @template {string} K
 * @param {(keys: Set<K>) => void} redraw
 * @returns {(key: K) => () => void}
 */
export function batchChanges(redraw) {
  /** @type {Set<K>} */
  const dirty = new Set();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const keys = new Set(dirty);
    dirty.clear();
    redraw(keys);
  };
  return (key) => () => {
    dirty.add(key);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
}

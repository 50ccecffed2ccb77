// Small DOM helpers shared by the widget views.

/** Creates an element: h("div", {class: "x", "data-k": 1}, child, "text"). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "onclick") el.addEventListener("click", v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/**
 * Like `parent.replaceChildren(...children)`, but keeps the nodes that already show the
 * same structure and only changes their text and attributes: a table redrawn on every
 * slider move then costs the browser text updates, not a new subtree to style and lay
 * out. A node whose tag, `data-testid` or `data-label` differs is replaced (with its
 * listeners), so a button is never left with another row's click handler.
 */
export function morph(parent, ...children) {
  const next = children.flat().filter((c) => c !== null && c !== undefined)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  const old = [...parent.childNodes];
  if (old.length !== next.length) {
    parent.replaceChildren(...next);
    return;
  }
  next.forEach((b, i) => morphNode(parent, old[i], b));
}

const KEYS = ["data-testid", "data-label"];

function morphNode(parent, a, b) {
  const same = a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
    (a.nodeType !== Node.ELEMENT_NODE || KEYS.every((k) => a.getAttribute(k) === b.getAttribute(k)));
  if (!same || a.nodeType === Node.ELEMENT_NODE && (a.nodeName === "INPUT" || a.nodeName === "SELECT")) {
    parent.replaceChild(b, a);
    return;
  }
  if (a.nodeType === Node.TEXT_NODE) {
    if (a.data !== b.data) a.data = b.data;
    return;
  }
  if (a.nodeType !== Node.ELEMENT_NODE) {
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

const SI = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"], [1e-12, "p"]];

/** `x` in SI form with `digits` significant digits: 2.5e8 -> "250M", 3.2e-7 -> "320n". */
export function si(x, digits = 3) {
  const a = Math.abs(x);
  const [scale, suffix] = SI.find(([s]) => a >= s) ?? SI[SI.length - 1];
  return `${Number((x / scale).toPrecision(digits))}${suffix}`;
}

/** A duration: "42 ms" under 0.1 s (a fast sampler's 5 ms is not "0.0 s"), "7.2 s", "2 min 41 s". */
export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 0.1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/** Inline error banner bound to the model's `error` trait. */
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

/** Warns inline when the Python package and this front-end build differ. */
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
 */
export function batchChanges(redraw) {
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

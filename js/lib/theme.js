// @ts-check
// Light and dark themes taken from the notebook host, decided here for every widget.
//
// `readPalette(el)` looks at the page around a widget and picks its colours from the
// first host it recognises:
//   vscode   VS Code's notebook webview: body class vscode-light / vscode-dark /
//            vscode-high-contrast (or data-vscode-theme-kind) and its --vscode-* variables;
//   jupyter  JupyterLab, Notebook 7, Voila and nbconvert's HTML: the --jp-* variables;
//   marimo   marimo's --background / --foreground / --muted-foreground / --border ...
//            variables (its body carries `dark dark-theme` or `light light-theme`);
//   page     anything else: the computed background and text colour of the widget's
//            container (the first opaque background up the tree, across shadow roots),
//            and the page's color-scheme (with prefers-color-scheme) where nothing
//            paints one.
// A colour the host does not define is derived from its background and text colours,
// and one that would be unreadable on the background (text contrast < 4.5, accents < 3)
// is replaced by a derived one.
//
// `FigureTheme(el)` publishes the palette on the widget's root element as the project's
// own CSS custom properties (PALETTE_VARS: --bw-bg, --bw-fg, --bw-muted, ...), which
// CHROME_CSS and every widget's own CSS use (nothing else), sets `data-bw-theme`
// ("light" / "dark") and `data-bw-host`, and recolours the widget's Bokeh figures (built
// in Python with light defaults, see ./bokeh_theme.js) from the same palette. It follows
// switches at run time: attributes of <html> and <body> (class, style, data-jp-theme-*,
// data-theme, data-vscode-theme-kind) and changes of prefers-color-scheme.

import { blend, contrast, hex, luminance, mix, parseColor } from "./color.js";
import { themeDocument } from "./bokeh_theme.js";

export { parseColor, luminance, contrast } from "./color.js";
export { themeDocument } from "./bokeh_theme.js";

/** @typedef {import("./color.js").RGBA} RGBA */
/** @typedef {import("../types/bokeh").BokehDocument} BokehDocument */
/** @typedef {keyof typeof PALETTE_VARS} PaletteEntry */
/** @typedef {Exclude<PaletteEntry, "font">} ColorEntry */
/**
 * The page's theme as `readPalette` reads it: each colour entry as an opaque #rrggbb,
 * the host's font family (or ""), which host it is, and whether it is dark.
 * @typedef {Record<ColorEntry, string> & {font: string, host: string, dark: boolean}} Palette
 */
/**
 * Where a host keeps its colours (see HOSTS).
 * @typedef {object} Host
 * @property {string} name
 * @property {(cs: CSSStyleDeclaration) => boolean} detect whether the page is this host's
 * @property {Record<PaletteEntry, string[]>} vars custom properties to read, first found wins
 */

/** The palette's entries and the custom property each is published as on the widget root. */
export const PALETTE_VARS = {
  bg: "--bw-bg", // the widget's background: the host's notebook/output background
  fg: "--bw-fg", // text
  muted: "--bw-muted", // secondary text: notes, units, placeholders
  border: "--bw-border", // borders of inputs and buttons
  rule: "--bw-rule", // faint lines: table rules, fieldsets, figure grids
  surface: "--bw-surface", // buttons, table heads, bars: a step off the background
  inputBg: "--bw-input-bg", // text inputs and selects
  accent: "--bw-accent", // focus rings, links, sliders, progress, selections
  error: "--bw-error", // error text and outlines
  errorBg: "--bw-error-bg", // error boxes
  warn: "--bw-warn", // warnings (used as a tint)
  success: "--bw-success", // success text and tints
  font: "--bw-font", // the host's UI font family
};

/** Styles shared by every widget: root, inputs, buttons, tables, error and warning boxes. */
export const CHROME_CSS = `
.bw-root { background: var(--bw-bg); color: var(--bw-fg);
  font-family: var(--bw-font, system-ui, sans-serif); font-size: 12px; padding: 2px 4px; }
.bw-root input:not([type=range]):not([type=checkbox]):not([type=radio]), .bw-root select, .bw-root textarea {
  background: var(--bw-input-bg); color: var(--bw-fg);
  border: 1px solid var(--bw-border); border-radius: 2px; font: inherit; padding: 1px 4px; }
.bw-root input:focus, .bw-root select:focus, .bw-root textarea:focus {
  outline: 1px solid var(--bw-accent); outline-offset: 0; }
.bw-root input::placeholder { color: var(--bw-muted); }
.bw-root button { background: var(--bw-surface); color: var(--bw-fg);
  border: 1px solid var(--bw-border); border-radius: 2px; font: inherit; padding: 2px 10px; cursor: pointer; }
.bw-root button:hover:not(:disabled) { border-color: var(--bw-accent); }
.bw-root button:disabled { cursor: default; opacity: 0.5; }
.bw-root input[type=range], .bw-root input[type=checkbox], .bw-root progress { accent-color: var(--bw-accent); }
.bw-root fieldset { border: 1px solid var(--bw-rule); }
.bw-root legend { color: var(--bw-fg); }
.bw-root th, .bw-root td { border-bottom: 1px solid var(--bw-rule); }
.bw-root th { color: var(--bw-fg); }
.bw-root .bw-error { color: var(--bw-fg); background: var(--bw-error-bg);
  border: 1px solid color-mix(in srgb, var(--bw-error) 50%, var(--bw-bg)); padding: 4px 8px; margin: 4px 0; white-space: pre-wrap; }
.bw-root .bw-warning { color: var(--bw-fg); background: color-mix(in srgb, var(--bw-warn) 22%, var(--bw-bg));
  border: 1px solid color-mix(in srgb, var(--bw-warn) 55%, var(--bw-bg)); padding: 4px 8px; margin: 4px 0; }
`;

// Attributes of <html> and <body> that hosts change on a theme switch: JupyterLab
// (data-jp-theme-*), VS Code (class, data-vscode-theme-kind, and the variables in
// <html style>), marimo (class, data-theme), pages (class, style, data-mode).
const THEME_ATTRIBUTES = [
  "class", "style", "data-jp-theme-light", "data-jp-theme-name", "data-theme", "data-mode",
  "data-vscode-theme-kind", "data-vscode-theme-name",
];
// The theme's stylesheet may land a moment after the attributes change: look again.
const RECHECK_MS = [50, 250, 1000, 2500];
// Readability floors (WCAG contrast ratios) for the palette's text and accent colours.
const TEXT_CONTRAST = 4.5;
const ACCENT_CONTRAST = 3;

// Where each host keeps each palette entry: the first of these custom properties that
// holds a colour (or, for `font`, any value) wins; an entry none holds is derived.
/** @type {Host[]} */
const HOSTS = [
  {
    name: "vscode",
    detect: (cs) => vscodeKind() !== null || propColor(cs, "--vscode-editor-background") !== null,
    vars: {
      bg: ["--vscode-notebook-editorBackground", "--vscode-editor-background"],
      fg: ["--vscode-editor-foreground", "--vscode-foreground"],
      muted: ["--vscode-descriptionForeground"],
      border: ["--vscode-input-border", "--vscode-contrastBorder", "--vscode-dropdown-border"],
      rule: ["--vscode-notebook-cellBorderColor", "--vscode-panel-border", "--vscode-contrastBorder"],
      surface: ["--vscode-button-secondaryBackground", "--vscode-editorWidget-background"],
      inputBg: ["--vscode-input-background"],
      accent: ["--vscode-focusBorder", "--vscode-textLink-foreground", "--vscode-button-background"],
      error: ["--vscode-errorForeground", "--vscode-editorError-foreground"],
      errorBg: ["--vscode-inputValidation-errorBackground"],
      warn: ["--vscode-editorWarning-foreground"],
      success: ["--vscode-testing-iconPassed", "--vscode-terminal-ansiGreen"],
      font: ["--vscode-font-family"],
    },
  },
  {
    name: "jupyter",
    detect: (cs) => propColor(cs, "--jp-layout-color1") !== null,
    vars: {
      bg: ["--jp-layout-color1"],
      fg: ["--jp-ui-font-color1"],
      muted: ["--jp-ui-font-color2"],
      border: ["--jp-border-color1"],
      rule: ["--jp-border-color2"],
      surface: ["--jp-layout-color2"],
      inputBg: ["--jp-input-background"],
      accent: ["--jp-brand-color1"],
      error: ["--jp-error-color1"],
      errorBg: ["--jp-rendermime-error-background"],
      warn: ["--jp-warn-color1"],
      success: ["--jp-success-color1"],
      font: ["--jp-ui-font-family"],
    },
  },
  {
    name: "marimo",
    detect: (cs) => propColor(cs, "--background") !== null && propColor(cs, "--foreground") !== null,
    vars: {
      bg: ["--background"],
      fg: ["--foreground"],
      muted: ["--muted-foreground"],
      border: ["--input"],
      rule: ["--border"],
      surface: ["--card"],
      inputBg: ["--background"],
      accent: ["--primary", "--link"],
      error: ["--red-11", "--error"],
      errorBg: [],
      warn: ["--amber-11"],
      success: ["--grass-11", "--success"],
      font: ["--text-font", "--marimo-text-font"],
    },
  },
];

// Used where a host defines no such colour, or one unreadable on its background.
const DEFAULTS = {
  light: { accent: "#1565c0", error: "#c62828", warn: "#b45309", success: "#2e7d32" },
  dark: { accent: "#58a6ff", error: "#ff7b72", warn: "#e3b341", success: "#56d364" },
};
/** @type {RGBA} Chrome's canvas under color-scheme: dark */
const DARK_CANVAS = [18, 18, 18, 1];

/**
 * @param {CSSStyleDeclaration} cs
 * @param {string} name a custom property
 * @returns {RGBA | null}
 */
function propColor(cs, name) {
  return parseColor(cs.getPropertyValue(name));
}

/** @returns {string | null} VS Code's theme kind, or null outside VS Code */
function vscodeKind() {
  const body = document.body;
  if (!body) return null;
  for (const kind of ["vscode-high-contrast-light", "vscode-high-contrast", "vscode-dark", "vscode-light"]) {
    if (body.classList.contains(kind)) return kind;
  }
  return body.dataset.vscodeThemeKind || null;
}

/**
 * The element that contains `node`, across shadow roots (null at the top).
 * @param {Node} node
 * @returns {Element | null}
 */
function parentOf(node) {
  const p = node.parentNode;
  if (!p) return null;
  if (p instanceof ShadowRoot) return p.host ?? null; // a shadow root: its host element
  return p instanceof Element ? p : null;
}

/**
 * The colour the browser paints under the page: white, or dark under color-scheme: dark.
 * @returns {RGBA}
 */
function canvasColor() {
  const root = document.documentElement;
  let scheme = root ? getComputedStyle(root).colorScheme || "normal" : "normal";
  if (scheme === "normal") {
    scheme = document.querySelector('meta[name="color-scheme"]')?.getAttribute("content") || "normal";
  }
  const dark = /\bdark\b/.test(scheme);
  const light = /\blight\b/.test(scheme);
  if (dark && (!light || matchMedia?.("(prefers-color-scheme: dark)").matches)) return DARK_CANVAS;
  return [255, 255, 255, 1];
}

/**
 * Background and text colour of the page around `el`, read from computed styles.
 * @param {Element} el
 * @returns {{bg: RGBA, fg: RGBA | null}}
 */
function pageColors(el) {
  const container = parentOf(el) ?? el;
  /** @type {RGBA[]} */
  const layers = [];
  /** @type {RGBA | null} */
  let base = null;
  for (let node = /** @type {Element | null} */ (container); node; node = parentOf(node)) {
    const c = parseColor(getComputedStyle(node).backgroundColor);
    if (!c || c[3] === 0) continue;
    if (c[3] >= 1) {
      base = c;
      break;
    }
    layers.push(c);
  }
  /** @type {RGBA} */
  let bg = base ?? canvasColor();
  for (const c of layers.reverse()) bg = blend(c, bg);
  const fg = parseColor(getComputedStyle(container).color);
  return { bg, fg: fg ? blend(fg, bg) : null };
}

/**
 * A readable colour: `c` if it contrasts with `bg` by `min`, else the first of `alts` that does (or the last).
 * @param {RGBA | null} c
 * @param {RGBA} bg
 * @param {number} min
 * @param {...(RGBA | null)} alts the last is not null
 * @returns {RGBA}
 */
function readable(c, bg, min, ...alts) {
  for (const x of [c, ...alts]) if (x && contrast(x, bg) >= min) return x;
  return /** @type {RGBA} */ (alts[alts.length - 1]);
}

/**
 * The page's theme as seen from `el`: {host, dark, bg, fg, muted, border, rule, surface,
 * inputBg, accent, error, errorBg, warn, success} as opaque #rrggbb colours and `font`
 * (the host's font-family, or empty), or undefined while `el` is not in the document (nothing to read yet).
 * @param {Element | null | undefined} el
 * @returns {Palette | undefined}
 */
export function readPalette(el) {
  if (!el || !el.isConnected) return undefined;
  const cs = getComputedStyle(el);
  const host = HOSTS.find((h) => h.detect(cs));
  const page = host ? null : pageColors(el);
  /** @param {ColorEntry} entry @returns {RGBA | null} */
  const raw = (entry) => {
    for (const name of host ? host.vars[entry] : []) {
      const c = propColor(cs, name);
      if (c && c[3] > 0) return c;
    }
    return null;
  };
  // the background: the host's, over the page's where it is not opaque
  let bg = raw("bg");
  if (!bg || bg[3] < 1) {
    const under = (page ?? pageColors(el)).bg;
    bg = bg ? blend(bg, under) : under;
  }
  const opaqueBg = bg; // what the colours below are drawn over
  /** @param {RGBA | null} c */
  const on = (c) => (c ? blend(c, opaqueBg) : null);
  /** @type {RGBA} */
  const white = [255, 255, 255, 1];
  /** @type {RGBA} */
  const black = [17, 17, 17, 1];
  const fgRaw = on(raw("fg")) ?? (page ? page.fg : on(parseColor(cs.color)));
  const fg = readable(fgRaw, bg, TEXT_CONTRAST, contrast(white, bg) > contrast(black, bg) ? [232, 232, 232, 1] : [31, 31, 31, 1]);
  const dark = luminance(bg) < luminance(fg);
  const defaults = DEFAULTS[dark ? "dark" : "light"];
  /** @param {number} t */
  const tone = (t) => mix(fg, bg, t);
  const muted = readable(on(raw("muted")), bg, TEXT_CONTRAST, tone(0.7), fg);
  const surface = readable(on(raw("surface")), fg, TEXT_CONTRAST, tone(0.08));
  const inputBg = readable(on(raw("inputBg")), fg, TEXT_CONTRAST, bg);
  const accent = readable(on(raw("accent")), bg, ACCENT_CONTRAST, parseColor(defaults.accent), fg);
  const error = readable(on(raw("error")), bg, ACCENT_CONTRAST, parseColor(defaults.error), fg);
  const errorBg = readable(on(raw("errorBg")), fg, TEXT_CONTRAST, mix(error, bg, 0.15));
  const warn = readable(on(raw("warn")), bg, ACCENT_CONTRAST, parseColor(defaults.warn), fg);
  const success = readable(on(raw("success")), bg, ACCENT_CONTRAST, parseColor(defaults.success), fg);
  let font = "";
  // the host's UI font; a plain page's (often the browser's serif default) is not taken
  for (const name of host ? host.vars.font : []) if ((font = cs.getPropertyValue(name).trim())) break;
  return {
    host: host ? host.name : "page",
    dark,
    bg: hex(bg),
    fg: hex(fg),
    muted: hex(muted),
    border: hex(on(raw("border")) ?? tone(0.4)),
    rule: hex(on(raw("rule")) ?? tone(0.15)),
    surface: hex(surface),
    inputBg: hex(inputBg),
    accent: hex(accent),
    error: hex(error),
    errorBg: hex(errorBg),
    warn: hex(warn),
    success: hex(success),
    font,
  };
}

/**
 * @param {Palette | undefined} p
 * @returns {string}
 */
function paletteKey(p) {
  return p ? JSON.stringify(p) : "none";
}

/**
 * Sets the palette's custom properties (PALETTE_VARS) on `el`; null removes them.
 * @param {HTMLElement} el
 * @param {Palette | null} pal
 */
function publish(el, pal) {
  for (const [entry, name] of Object.entries(PALETTE_VARS)) {
    const value = pal?.[/** @type {PaletteEntry} */ (entry)];
    if (value) el.style.setProperty(name, value);
    else el.style.removeProperty(name);
  }
}

// One watcher per page (per bundle) for every live FigureTheme: the host's theme switches.
/** @type {Set<FigureTheme>} */
const LIVE = new Set();
/** @type {(() => void) | null} stops watching */
let watcher = null;

function startWatching() {
  if (watcher || typeof MutationObserver === "undefined") return;
  const changed = () => {
    for (const theme of LIVE) theme.themeChanged();
  };
  const observer = new MutationObserver(changed);
  const attrs = { attributes: true, attributeFilter: THEME_ATTRIBUTES };
  observer.observe(document.documentElement, attrs);
  if (document.body) observer.observe(document.body, attrs);
  const media = globalThis.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", changed);
  watcher = () => {
    observer.disconnect();
    media?.removeEventListener?.("change", changed);
  };
}

function stopWatching() {
  if (LIVE.size || !watcher) return;
  watcher();
  watcher = null;
}

/**
 * Keeps one widget view in the page's theme: its chrome and its Bokeh figures.
 *
 * `el` is the view's root element: it gets the palette as custom properties
 * (PALETTE_VARS), `data-bw-theme` ("light" or "dark") and `data-bw-host` ("vscode",
 * "jupyter", "marimo" or "page"). `track(container, doc)` after each embed themes the
 * Bokeh document shown there; `dispose()` when the view is removed.
 */
export class FigureTheme {
  /** @param {HTMLElement} el the view's root element */
  constructor(el) {
    this.el = el;
    /** @type {Map<Element, BokehDocument>} container element -> the document shown there */
    this.docs = new Map();
    /** @type {string | null} */
    this.key = null;
    /** @type {Palette | undefined} */
    this.pal = undefined;
    /** @type {Set<ReturnType<typeof setTimeout>>} */
    this.timers = new Set();
    LIVE.add(this);
    startWatching();
    // a view is often rendered before it is attached: read the theme once it is laid out
    this.resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.refresh());
    this.resize?.observe(el);
    this.refresh();
  }

  /**
   * Themes `doc`, now and on every theme change; replaces the document shown in `container`.
   * @param {Element} container
   * @param {BokehDocument | null | undefined} doc
   */
  track(container, doc) {
    if (!doc) return;
    this.docs.set(container, doc);
    this.refresh();
    if (this.pal !== undefined) themeDocument(doc, this.pal);
  }

  /** Re-reads the page's colours; re-colours everything when the palette changed. */
  refresh() {
    const pal = readPalette(this.el);
    if (pal === undefined) return; // not in the document yet
    const key = paletteKey(pal);
    if (key === this.key) return;
    this.key = key;
    this.pal = pal;
    publish(this.el, pal);
    this.el.dataset.bwTheme = pal.dark ? "dark" : "light";
    this.el.dataset.bwHost = pal.host;
    this.el.style.colorScheme = pal.dark ? "dark" : "light";
    for (const [container, doc] of this.docs) {
      if (!this.el.contains(container)) this.docs.delete(container);
      else themeDocument(doc, pal);
    }
  }

  themeChanged() {
    this.refresh();
    for (const t of this.timers) clearTimeout(t); // one series of re-checks at a time
    this.timers.clear();
    for (const ms of RECHECK_MS) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.refresh();
      }, ms);
      this.timers.add(t);
    }
  }

  dispose() {
    LIVE.delete(this);
    stopWatching();
    this.resize?.disconnect();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.docs.clear();
  }
}

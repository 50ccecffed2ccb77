// Light and dark themes: the widget chrome follows JupyterLab's CSS variables
// (CHROME_CSS), and Bokeh figures, built in Python with light defaults, are recoloured
// here from the same variables (FigureTheme).
//
// The colours are read from the computed style of the widget's element, so the figures
// follow whatever theme the page has (JupyterLab light/dark, Notebook 7, VS Code's
// mapped variables). Without the variables (a static HTML export, a plain page) the
// figures keep the colours they were built with. A MutationObserver on document.body
// re-applies the theme when JupyterLab switches it (data-jp-theme-light/-name).

/** Styles shared by every widget: root, inputs, buttons, tables, error and warning boxes. */
export const CHROME_CSS = `
.bw-root { background: var(--jp-layout-color1, white); color: var(--jp-ui-font-color1, #222);
  font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 12px; padding: 2px 4px; }
.bw-root input:not([type=range]):not([type=checkbox]):not([type=radio]), .bw-root select, .bw-root textarea {
  background: var(--jp-input-background, white); color: var(--jp-ui-font-color1, #222);
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 2px; font: inherit; padding: 1px 4px; }
.bw-root input:focus, .bw-root select:focus, .bw-root textarea:focus {
  outline: 1px solid var(--jp-brand-color1, #1976d2); outline-offset: 0; }
.bw-root input::placeholder { color: var(--jp-ui-font-color3, #999); }
.bw-root button { background: var(--jp-layout-color2, #eee); color: var(--jp-ui-font-color1, #222);
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 2px; font: inherit; padding: 2px 10px; cursor: pointer; }
.bw-root button:hover:not(:disabled) { border-color: var(--jp-brand-color1, #1976d2); }
.bw-root button:disabled { cursor: default; opacity: 0.5; }
.bw-root input[type=range], .bw-root input[type=checkbox], .bw-root progress { accent-color: var(--jp-brand-color1, #1976d2); }
.bw-root fieldset { border: 1px solid var(--jp-border-color2, #ddd); }
.bw-root legend { color: var(--jp-ui-font-color1, #222); }
.bw-root th, .bw-root td { border-bottom: 1px solid var(--jp-border-color2, #eee); }
.bw-root th { color: var(--jp-ui-font-color1, #333); }
.bw-root .bw-error { color: var(--jp-ui-font-color1, #842029); background: var(--jp-rendermime-error-background, #f8d7da);
  border: 1px solid var(--jp-error-color2, #f5c2c7); padding: 4px 8px; margin: 4px 0; white-space: pre-wrap; }
.bw-root .bw-warning { color: var(--jp-ui-font-color1, #664d03);
  background: color-mix(in srgb, var(--jp-warn-color2, #ffda6a) 25%, transparent);
  border: 1px solid var(--jp-warn-color2, #ffe69c); padding: 4px 8px; margin: 4px 0; }
`;

// Attributes JupyterLab (data-jp-theme-*) and VS Code (class) change on a theme switch.
const THEME_ATTRIBUTES = ["data-jp-theme-light", "data-jp-theme-name", "class"];
// The theme's stylesheet may land a moment after the attributes change: look again.
const RECHECK_MS = [50, 250, 1000, 2500];
// A data colour this close to the background (contrast ratio) is swapped for the text colour.
const MIN_CONTRAST = 1.6;

let parserCtx = null;

/** Parses any CSS colour to [r, g, b, a] (0–255, alpha 0–1), or null. */
export function parseColor(value) {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    const [r, g, b, a = 1] = value;
    return [r, g, b, a > 1 ? a / 255 : a];
  }
  if (typeof value === "number") {
    // Bokeh's packed RGBA
    return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, (value & 255) / 255];
  }
  if (typeof value !== "string" || !value.trim()) return null;
  if (!parserCtx) parserCtx = document.createElement("canvas").getContext("2d");
  // an unparsable value leaves fillStyle unchanged: detect with two sentinels
  parserCtx.fillStyle = "#010203";
  parserCtx.fillStyle = value;
  let out = parserCtx.fillStyle;
  if (out === "#010203") {
    parserCtx.fillStyle = "#030201";
    parserCtx.fillStyle = value;
    if (parserCtx.fillStyle === "#030201") return null;
    out = "#010203";
  }
  if (out.startsWith("#")) {
    return [parseInt(out.slice(1, 3), 16), parseInt(out.slice(3, 5), 16), parseInt(out.slice(5, 7), 16), 1];
  }
  const m = out.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const [r, g, b, a = "1"] = m[1].split(",").map((s) => s.trim());
  return [+r, +g, +b, +a];
}

/** Relative luminance (WCAG) of an [r, g, b, a] colour, alpha ignored. */
export function luminance(rgba) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(rgba[0]) + 0.7152 * lin(rgba[1]) + 0.0722 * lin(rgba[2]);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `fg` drawn over the opaque `bg`, as an opaque #rrggbb. */
function over(fg, bg) {
  const a = fg[3];
  const mix = (i) => Math.round(a * fg[i] + (1 - a) * bg[i]);
  return `#${[mix(0), mix(1), mix(2)].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The page's theme as seen from `el`: {dark, bg, font, font2, grid} as opaque colours,
 * null where the page defines no JupyterLab variables, undefined while `el` is not in
 * the document (nothing can be read yet).
 */
export function readPalette(el) {
  if (!el || !el.isConnected) return undefined;
  const cs = getComputedStyle(el);
  const value = (name) => cs.getPropertyValue(name).trim();
  const bgRaw = value("--jp-layout-color1");
  const bg = parseColor(bgRaw);
  if (!bg) return null;
  const base = bg[3] < 1 ? parseColor(over(bg, [255, 255, 255, 1])) : bg;
  const pick = (name, fallback) => parseColor(value(name)) || parseColor(fallback);
  const dark = luminance(base) < 0.35;
  return {
    dark,
    bg: over(base, base),
    font: over(pick("--jp-ui-font-color1", dark ? "#ddd" : "#222"), base),
    font2: over(pick("--jp-ui-font-color2", dark ? "#aaa" : "#666"), base),
    grid: over(pick("--jp-border-color2", dark ? "#444" : "#e5e5e5"), base),
  };
}

function paletteKey(p) {
  return p ? `${p.bg}|${p.font}|${p.font2}|${p.grid}` : "none";
}

/** Which palette entry a figure property takes ("bg", "font", ...), "data", or null (keep). */
function roleOf(model, attr) {
  const props = model.properties;
  const type = model.type || "";
  if ("border_fill_color" in props && "outline_line_color" in props) {
    if (attr === "background_fill_color" || attr === "border_fill_color") return "bg";
    if (attr === "outline_line_color") return "grid";
    return null;
  }
  if (type === "Title") return attr === "text_color" ? "font" : null;
  if (type.endsWith("Axis")) {
    if (attr.endsWith("_text_color")) return "font";
    if (attr.endsWith("_line_color")) return "font2";
    return null;
  }
  if (type === "Grid") return attr.endsWith("grid_line_color") ? "grid" : null;
  if (type === "Legend") {
    if (attr === "background_fill_color" || attr === "inactive_fill_color" || attr === "item_background_fill_color") return "bg";
    if (attr === "border_line_color") return "grid";
    if (attr.endsWith("_text_color")) return "font";
    return null;
  }
  if (type === "ColorBar") {
    if (attr === "background_fill_color") return "bg";
    if (attr.endsWith("_text_color")) return "font";
    if (attr.endsWith("_line_color")) return "font2";
    return null;
  }
  if (type.endsWith("Tool") || type === "Toolbar" || type.endsWith("Mapper")) return null;
  return "data";
}

function colorAttrs(model) {
  return Object.keys(model.properties || {}).filter((a) => a.endsWith("_color"));
}

function rawValue(model, attr) {
  try {
    return model.properties[attr].get_value();
  } catch {
    return undefined; // unset
  }
}

const isSpec = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

const ORIGINALS = new WeakMap(); // model -> Map(attr -> value as built)
const COLUMNS = new WeakMap(); // data source -> Map(column -> {original, themed})

function original(model, attr) {
  let byAttr = ORIGINALS.get(model);
  if (!byAttr) ORIGINALS.set(model, (byAttr = new Map()));
  if (!byAttr.has(attr)) byAttr.set(attr, rawValue(model, attr));
  return byAttr.get(attr);
}

/** A colour for `role` under `pal`, starting from the built colour `color` (a CSS colour). */
function themedColor(role, color, pal) {
  if (color === null || color === undefined) return color;
  if (role === "data") {
    const c = parseColor(color);
    if (!c || c[3] === 0) return color;
    return contrast(parseColor(over(c, parseColor(pal.bg))), parseColor(pal.bg)) < MIN_CONTRAST ? pal.font : color;
  }
  return pal[role];
}

function themeColumn(source, column, pal) {
  let byColumn = COLUMNS.get(source);
  if (!byColumn) COLUMNS.set(source, (byColumn = new Map()));
  const current = source.data?.[column];
  if (!current) return false;
  let entry = byColumn.get(column);
  // the widget replaced the column since: start over from the new values
  if (!entry || (current !== entry.themed && current !== entry.original)) entry = { original: current, themed: null };
  let next = entry.original;
  if (pal && Array.from(entry.original).some((v) => typeof v === "string")) {
    const mapped = Array.from(entry.original, (v) => (typeof v === "string" ? themedColor("data", v, pal) : v));
    if (mapped.some((v, i) => v !== entry.original[i])) next = mapped;
  }
  entry.themed = next;
  byColumn.set(column, entry);
  if (current === next) return false;
  source.data = { ...source.data, [column]: next };
  return true;
}

/**
 * Clears the canvases of every plot of `doc` and asks for a full repaint. BokehJS clears
 * its layers with a half-pixel offset, so without this the top and left edge pixels keep
 * a trace of the previous theme's colours.
 */
function repaintClean(doc) {
  const views = doc.views_manager;
  if (!views || typeof views.query !== "function") return;
  for (const view of views.query((v) => v.canvas_view != null && typeof v.request_paint === "function")) {
    for (const layer of [view.canvas_view.primary, view.canvas_view.overlays]) {
      const canvas = layer?.canvas;
      const ctx = layer?.ctx;
      if (!canvas || !ctx || typeof ctx.clearRect !== "function") continue;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
    }
    view.request_paint(); // throttled: paints everything on the next frame
  }
}

/** Recolours every model of a Bokeh document for `pal` (null: the colours it was built with). */
export function themeDocument(doc, pal) {
  if (!doc) return;
  let changed = false;
  for (const model of doc.all_models) {
    const attrs = {};
    for (const attr of colorAttrs(model)) {
      const role = roleOf(model, attr);
      if (role === null) continue;
      const built = original(model, attr);
      if (built === undefined) continue;
      if (isSpec(built)) {
        if (!("value" in built) || built.transform) continue; // fields: see the columns below
        const value = pal ? themedColor(role, built.value, pal) : built.value;
        const now = rawValue(model, attr);
        if (!isSpec(now) || now.value !== value) attrs[attr] = value === built.value ? built : { value };
      } else {
        const value = pal ? themedColor(role, built, pal) : built;
        if (rawValue(model, attr) !== value) attrs[attr] = value;
      }
    }
    if (Object.keys(attrs).length) {
      model.setv(attrs);
      changed = true;
    }
    // colours read from a data source column (e.g. one colour per row)
    if ("data_source" in (model.properties || {}) && "glyph" in model.properties) {
      const source = model.data_source;
      const glyphs = [model.glyph, model.selection_glyph, model.nonselection_glyph, model.hover_glyph, model.muted_glyph];
      const columns = new Set();
      for (const g of glyphs) {
        if (!g || typeof g !== "object" || !g.properties) continue;
        for (const attr of colorAttrs(g)) {
          const v = rawValue(g, attr);
          if (isSpec(v) && typeof v.field === "string" && !v.transform) columns.add(v.field);
        }
      }
      if (source?.data) for (const c of columns) changed = themeColumn(source, c, pal) || changed;
    }
  }
  if (changed) repaintClean(doc);
}

/**
 * Keeps the Bokeh figures of one widget view in the page's theme.
 *
 * `el` is the view's root element: its computed CSS variables give the colours, and it
 * gets `data-bw-theme` ("dark", "light", or "default" without JupyterLab variables).
 * `track(container, doc)` after each embed; `dispose()` when the view is removed.
 */
export class FigureTheme {
  constructor(el) {
    this.el = el;
    this.docs = new Map(); // container element -> Bokeh document
    this.key = null;
    this.pal = undefined;
    this.timers = new Set();
    this.observer = new MutationObserver(() => this.themeChanged());
    this.observer.observe(document.body, { attributes: true, attributeFilter: THEME_ATTRIBUTES });
    // a view is often rendered before it is attached: read the theme once it is laid out
    this.resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.refresh());
    this.resize?.observe(el);
    this.refresh();
  }

  /** Themes `doc`, now and on every theme change; replaces the document shown in `container`. */
  track(container, doc) {
    if (!doc) return;
    this.docs.set(container, doc);
    this.refresh();
    if (this.pal !== undefined) themeDocument(doc, this.pal);
  }

  /** Re-reads the variables; re-colours everything when the palette changed. */
  refresh() {
    const pal = readPalette(this.el);
    if (pal === undefined) return; // not in the document yet
    const key = paletteKey(pal);
    if (key === this.key) return;
    this.key = key;
    this.pal = pal;
    this.el.dataset.bwTheme = pal ? (pal.dark ? "dark" : "light") : "default";
    this.el.style.colorScheme = pal ? (pal.dark ? "dark" : "light") : "";
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
    this.observer.disconnect();
    this.resize?.disconnect();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.docs.clear();
  }
}

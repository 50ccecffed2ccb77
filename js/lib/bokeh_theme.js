// @ts-check
// Bokeh figures are built in Python with light defaults; here every model of a figure's
// document is recoloured for a palette (see readPalette in ./theme.js): backgrounds,
// text, axes and grids take the palette's colours, and a data colour too close to the
// background takes the text colour. The colours as built are kept, so the next palette
// starts from them.
import { contrast, over, parseColor } from "./color.js";

/** @typedef {import("../types/bokeh").BokehModel} BokehModel */
/** @typedef {import("../types/bokeh").BokehSource} BokehSource */
/** @typedef {import("../types/bokeh").BokehDocument} BokehDocument */
/** @typedef {import("./theme.js").Palette} Palette */
/**
 * A palette entry a property takes, "data" (a data colour, kept unless unreadable), or
 * null (left as built).
 * @typedef {"bg" | "fg" | "muted" | "rule" | "data" | null} Role
 */

// A data colour this close to the background (contrast ratio) is swapped for the text colour.
const MIN_CONTRAST = 1.6;

/**
 * Which palette entry a figure property takes ("bg", "fg", ...), "data", or null (keep).
 * @param {BokehModel} model
 * @param {string} attr
 * @returns {Role}
 */
function roleOf(model, attr) {
  const props = model.properties;
  const type = model.type || "";
  if ("border_fill_color" in props && "outline_line_color" in props) {
    if (attr === "background_fill_color" || attr === "border_fill_color") return "bg";
    if (attr === "outline_line_color") return "rule";
    return null;
  }
  if (type === "Title") return attr === "text_color" ? "fg" : null;
  if (type.endsWith("Axis")) {
    if (attr.endsWith("_text_color")) return "fg";
    if (attr.endsWith("_line_color")) return "muted";
    return null;
  }
  if (type === "Grid") return attr.endsWith("grid_line_color") ? "rule" : null;
  if (type === "Legend") {
    if (attr === "background_fill_color" || attr === "inactive_fill_color" || attr === "item_background_fill_color") return "bg";
    if (attr === "border_line_color") return "rule";
    if (attr.endsWith("_text_color")) return "fg";
    return null;
  }
  if (type === "ColorBar") {
    if (attr === "background_fill_color") return "bg";
    if (attr.endsWith("_text_color")) return "fg";
    if (attr.endsWith("_line_color")) return "muted";
    return null;
  }
  if (type.endsWith("Tool") || type === "Toolbar" || type.endsWith("Mapper")) return null;
  return "data";
}

/**
 * @param {BokehModel} model
 * @returns {string[]} the names of its colour properties
 */
function colorAttrs(model) {
  return Object.keys(model.properties || {}).filter((a) => a.endsWith("_color"));
}

/**
 * A property's value as set (a colour, or a spec such as `{value}` or `{field}`).
 * @param {BokehModel} model
 * @param {string} attr
 * @returns {any}
 */
function rawValue(model, attr) {
  try {
    return model.properties[attr].get_value();
  } catch {
    return undefined; // unset
  }
}

/** @param {unknown} v @returns {v is Record<string, any>} */
const isSpec = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** @type {WeakMap<BokehModel, Map<string, any>>} model -> attr -> value as built */
const ORIGINALS = new WeakMap();
/** @type {WeakMap<BokehSource, Map<string, {original: any, themed: any}>>} source -> column -> values */
const COLUMNS = new WeakMap();

/**
 * The value `attr` of `model` was built with (read the first time it is asked for).
 * @param {BokehModel} model
 * @param {string} attr
 * @returns {any}
 */
function original(model, attr) {
  let byAttr = ORIGINALS.get(model);
  if (!byAttr) ORIGINALS.set(model, (byAttr = new Map()));
  if (!byAttr.has(attr)) byAttr.set(attr, rawValue(model, attr));
  return byAttr.get(attr);
}

/**
 * A colour for `role` under `pal`, starting from the built colour `color` (a CSS colour).
 * @param {Exclude<Role, null>} role
 * @param {any} color
 * @param {Palette} pal
 * @returns {any}
 */
function themedColor(role, color, pal) {
  if (color === null || color === undefined) return color;
  if (role === "data") {
    const c = parseColor(color);
    const bg = parseColor(pal.bg);
    if (!c || c[3] === 0 || !bg) return color;
    const shown = parseColor(over(c, bg));
    return shown && contrast(shown, bg) < MIN_CONTRAST ? pal.fg : color;
  }
  return pal[role];
}

/**
 * Recolours one colour column of `source` for `pal` (null: as built); returns whether
 * the source changed.
 * @param {BokehSource} source
 * @param {string} column
 * @param {Palette | null} pal
 * @returns {boolean}
 */
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
    const built = entry.original;
    const mapped = Array.from(built, (v) => (typeof v === "string" ? themedColor("data", v, pal) : v));
    if (mapped.some((v, i) => v !== built[i])) next = mapped;
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
 * @param {BokehDocument} doc
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
    view.request_paint?.(); // throttled: paints everything on the next frame
  }
}

/**
 * Recolours every model of a Bokeh document for `pal` (null: the colours it was built with).
 * @param {BokehDocument | null | undefined} doc
 * @param {Palette | null} pal
 */
export function themeDocument(doc, pal) {
  if (!doc) return;
  let changed = false;
  for (const model of doc.all_models) {
    /** @type {Record<string, any>} */
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

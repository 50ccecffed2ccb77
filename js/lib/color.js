// @ts-check
// CSS colours as [r, g, b, a] (0–255, alpha 0–1): parsing any colour the browser knows,
// WCAG luminance and contrast, compositing and mixing.

/**
 * A colour: red, green, blue 0–255, alpha 0–1.
 * @typedef {[number, number, number, number]} RGBA
 */

/** @type {CanvasRenderingContext2D | null} */
let parserCtx = null;
/** @type {CanvasRenderingContext2D | null} */
let pixelCtx = null;
/** @type {Map<string, RGBA | null>} CSS colour -> its parse */
const PARSED = new Map();

/**
 * @param {number} size
 * @returns {CanvasRenderingContext2D}
 */
function canvas2d(size) {
  const c = document.createElement("canvas");
  c.width = c.height = size;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("this browser gives no 2D canvas to read colours with");
  return ctx;
}

/**
 * Parses any CSS colour to [r, g, b, a] (0–255, alpha 0–1), or null. Also takes an array
 * (alpha 0–1, or 0–255 when above 1) and Bokeh's packed RGBA number.
 * @param {unknown} value
 * @returns {RGBA | null}
 */
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
  const key = value.trim();
  const known = PARSED.get(key);
  if (known !== undefined) return known;
  const rgba = parseCss(key);
  if (PARSED.size > 500) PARSED.clear();
  PARSED.set(key, rgba);
  return rgba;
}

/**
 * @param {string} value
 * @returns {RGBA | null}
 */
function parseCss(value) {
  if (!parserCtx) parserCtx = canvas2d(1);
  // an unparsable value leaves fillStyle unchanged: detect with two sentinels
  parserCtx.fillStyle = "#010203";
  parserCtx.fillStyle = value;
  let out = String(parserCtx.fillStyle);
  if (out === "#010203") {
    parserCtx.fillStyle = "#030201";
    parserCtx.fillStyle = value;
    if (parserCtx.fillStyle === "#030201") return null;
    out = "#010203";
  }
  if (out.startsWith("#")) {
    return [parseInt(out.slice(1, 3), 16), parseInt(out.slice(3, 5), 16), parseInt(out.slice(5, 7), 16), 1];
  }
  const m = out.match(/^rgba?\(([^)]+)\)$/);
  if (m) {
    const [r, g, b, a = "1"] = m[1].split(",").map((s) => s.trim());
    return [+r, +g, +b, +a];
  }
  // other colour spaces (display-p3, oklch, ...): paint one pixel and read it back in sRGB
  if (!pixelCtx) pixelCtx = canvas2d(1);
  pixelCtx.clearRect(0, 0, 1, 1);
  pixelCtx.fillStyle = out;
  pixelCtx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = pixelCtx.getImageData(0, 0, 1, 1).data;
  return [r, g, b, a / 255];
}

/**
 * Relative luminance (WCAG) of an [r, g, b, a] colour, alpha ignored.
 * @param {RGBA} rgba
 * @returns {number}
 */
export function luminance(rgba) {
  /** @param {number} c */
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(rgba[0]) + 0.7152 * lin(rgba[1]) + 0.0722 * lin(rgba[2]);
}

/**
 * WCAG contrast ratio of two opaque colours.
 * @param {RGBA} a
 * @param {RGBA} b
 * @returns {number}
 */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * `fg` drawn over the opaque `bg`, as an opaque [r, g, b, 1].
 * @param {RGBA} fg
 * @param {RGBA} bg
 * @returns {RGBA}
 */
export function blend(fg, bg) {
  const a = fg[3];
  /** @param {0 | 1 | 2} i */
  const channel = (i) => Math.round(a * fg[i] + (1 - a) * bg[i]);
  return [channel(0), channel(1), channel(2), 1];
}

/**
 * An opaque colour as #rrggbb.
 * @param {RGBA} c
 * @returns {string}
 */
export const hex = (c) => `#${c.slice(0, 3).map((v) => v.toString(16).padStart(2, "0")).join("")}`;

/**
 * `fg` drawn over the opaque `bg`, as an opaque #rrggbb.
 * @param {RGBA} fg
 * @param {RGBA} bg
 * @returns {string}
 */
export function over(fg, bg) {
  return hex(blend(fg, bg));
}

/**
 * `t` of `a` mixed with `1 - t` of `b` (opaque colours).
 * @param {RGBA} a
 * @param {RGBA} b
 * @param {number} t
 * @returns {RGBA}
 */
export function mix(a, b, t) {
  return blend([a[0], a[1], a[2], t], b);
}

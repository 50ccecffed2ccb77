// @ts-check
// A prior editor's slices (Python: src/bayes_widgets/widgets/prior_editor_slices.py): what
// the page shows at every position of one parameter's slider, asked for when the pointer
// comes to the slider and sent by the kernel in parts, so that a drag paints each position
// without a round trip.

/** Positions of a slider with a slice: n + 1, the range's ends included. */
export const SLICE_INTERVALS = 100;

/**
 * A slice's basis as the kernel sends it: what its views depend on.
 * @typedef {{context: string, variable: string, element: number, family: string,
 *   parameterization: string, values: Record<string, number>, lo: number, hi: number, n: number}} Basis
 */

/**
 * The key of a slice of `param`: everything its views depend on but `param`'s own value.
 * @param {Omit<Basis, "lo" | "hi" | "n">} basis
 * @param {string} param
 * @param {number} lo
 * @param {number} hi
 * @param {number} n
 * @returns {string}
 */
export function sliceKey(basis, param, lo, hi, n) {
  const others = Object.entries(basis.values || {}).filter(([k]) => k !== param)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify([basis.context, basis.variable, basis.element, basis.family,
    basis.parameterization, others, lo, hi, n]);
}

/**
 * Numbers sent as binary buffers (`{"$f": i, "t": "f4" | "f8"}`) back to arrays.
 * @param {any} obj
 * @param {Array<DataView | ArrayBuffer>} buffers
 * @returns {any}
 */
export function unpack(obj, buffers) {
  if (Array.isArray(obj)) return obj.map((v) => unpack(v, buffers));
  if (obj && typeof obj === "object") {
    if (typeof obj.$f === "number") {
      const b = buffers[obj.$f];
      if (!b) return [];
      const view = b instanceof ArrayBuffer ? new DataView(b) : b;
      // a copy: the buffer's offset need not be aligned to the element size
      const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
      return Array.from(obj.t === "f8" ? new Float64Array(bytes) : new Float32Array(bytes));
    }
    /** @type {Record<string, any>} */
    const out = {};
    for (const [k, v] of Object.entries(obj)) out[k] = unpack(v, buffers);
    return out;
  }
  return obj;
}

/**
 * One slice: the views at a slider's positions, filled in part by part.
 * @typedef {{key: string, basis: Basis, values: number[], views: Array<any | null>,
 *   refused: Set<number>, done: boolean}} Slice
 */

export class PriorSlices {
  /**
   * @param {(param: string, ask: {lo: number, hi: number, n: number, have: Basis | null,
   *   skip: number[]}, request: string) => void} ask sends a request to the kernel
   */
  constructor(ask) {
    this.ask = ask;
    /** @type {Map<string, Slice>} by parameter */
    this.slices = new Map();
    /** @type {Map<string, string>} parameter -> request on its way */
    this.pending = new Map();
    /** @type {Map<string, number>} parameter|key -> when the kernel declined it */
    this.declined = new Map();
    this.counter = 0;
  }

  /** A declined slider is asked again after this long (the kernel may have been busy). */
  static RETRY_MS = 10000;

  /**
   * Asks for `param`'s slice (or its next part, or whether the one here still holds)
   * unless a request is on its way.
   * @param {string} param
   * @param {string} key the slice's key for the page's current state
   * @param {number} lo
   * @param {number} hi
   */
  want(param, key, lo, hi) {
    if (this.pending.has(param)) return;
    const declinedAt = this.declined.get(`${param}|${key}`);
    if (declinedAt !== undefined && performance.now() - declinedAt < PriorSlices.RETRY_MS) return;
    const s = this.slices.get(param);
    const held = s && s.key === key ? s : null;
    const skip = held ? held.views.flatMap((v, k) => (v || held.refused.has(k) ? [k] : [])) : [];
    const request = `pslice-${Date.now().toString(36)}-${++this.counter}`;
    this.pending.set(param, request);
    this.ask(param, { lo, hi, n: SLICE_INTERVALS, have: held ? held.basis : null, skip }, request);
  }

  /**
   * Takes the kernel's answer. Returns null when this cache did not ask for it, else
   * whether more parts are to come.
   * @param {any} msg
   * @param {Array<DataView | ArrayBuffer>} buffers
   * @returns {{param: string, more: boolean} | null}
   */
  receive(msg, buffers) {
    const param = msg.variable;
    if (this.pending.get(param) !== msg.request) return null;
    this.pending.delete(param);
    if (msg.same) return { param, more: false };
    if (msg.error || !msg.values?.length || !msg.basis) {
      const s = this.slices.get(param);
      this.slices.delete(param);
      this.declined.set(`${param}|${s?.key ?? ""}`, performance.now());
      return { param, more: false };
    }
    const b = msg.basis;
    const key = sliceKey(b, param, b.lo, b.hi, b.n);
    let s = this.slices.get(param);
    if (!s || s.key !== key) {
      s = { key, basis: b, values: msg.values, views: msg.values.map(() => null), refused: new Set(), done: false };
      this.slices.set(param, s);
    }
    const common = unpack(msg.common || {}, buffers);
    const views = unpack(msg.summaries || [], buffers);
    views.forEach((/** @type {any} */ v, /** @type {number} */ k) => {
      if (!v) return;
      if (v.predictive && common.predictive) v.predictive = { ...common.predictive, ...v.predictive };
      s.views[k] = v;
    });
    for (const k of msg.refused || []) s.refused.add(k);
    s.done = Boolean(msg.done);
    return { param, more: !s.done };
  }

  /**
   * The view at `value` of `param`'s slider when the slice for `key` has it, else null.
   * @param {string} param
   * @param {string} key
   * @param {number} value
   * @returns {any}
   */
  lookup(param, key, value) {
    const s = this.slices.get(param);
    if (!s || s.key !== key || s.values.length < 2) return null;
    const step = s.values[1] - s.values[0];
    const k = Math.round((value - s.values[0]) / step);
    const at = s.values[k];
    if (at === undefined || Math.abs(at - value) > 1e-9 * Math.max(1, Math.abs(value))) return null;
    return s.views[k];
  }

  /**
   * The slider step of `param` when a slice for `key` is here (its positions), else null.
   * @param {string} param
   * @param {string} key
   * @returns {number | null}
   */
  step(param, key) {
    const s = this.slices.get(param);
    return s && s.key === key && s.values.length > 1 ? (s.basis.hi - s.basis.lo) / s.basis.n : null;
  }

  /**
   * How much of `param`'s slice for `key` is here: positions known (drawn or refused) and
   * whether the kernel has sent every part; null without one.
   * @param {string} param
   * @param {string} key
   * @returns {{known: number, done: boolean} | null}
   */
  status(param, key) {
    const s = this.slices.get(param);
    if (!s || s.key !== key) return null;
    return { known: s.views.filter((v, k) => v || s.refused.has(k)).length, done: s.done };
  }

  /** Forgets every slice. */
  clear() {
    this.slices.clear();
    this.pending.clear();
    this.declined.clear();
  }
}

// @ts-check
// Inputs that keep up with a person's hands while the kernel is slow or busy.
//
// - LatestSender: at most two requests in flight; meanwhile only the newest value waits, so a
//   kernel busy with a fit gets the latest slider value, never a queue of old ones.
// - numberBox: a text box for a number that applies on Enter and on change (blur, Tab),
//   refuses an empty or non-numeric entry inline naming its field, sends nothing then,
//   and keeps the person's text until it is corrected.
// - InputLatency: performance marks from each input event to the repaint that shows it
//   (`bw-input-to-paint:<widget>` measures in the page's Performance timeline).
import { h } from "./dom.js";

let seqCounter = 0;
// Messages awaiting a reply at once: two overlap one message's trip with the next one's
// while a slider moves; a busy kernel still gets the latest value behind at most one other.
const MAX_IN_FLIGHT = 2;

/**
 * A decision: each variable's value.
 * @typedef {Record<string, number>} Decision
 */

/** A page-wide increasing number for each input event. Python echoes the number of the
 * last message it applied, and handles messages in order: an echo of n covers every
 * input numbered n or less, from any view on the page. */
export function nextSeq() {
  seqCounter += 1;
  return seqCounter;
}

/** Sends `send(payload, seq)` with at most `maxInFlight` requests awaiting their reply;
 * a push while they do replaces the waiting value (latest wins), so a slow or busy kernel
 * gets the newest value, never a queue. `done(seq)` is called when the kernel's reply for
 * `seq` (or a later one) arrives; a reply that never comes frees its slot after
 * `timeoutMs`. */
export class LatestSender {
  /**
   * @param {(payload: any, seq: number) => void} send
   * @param {object} [options]
   * @param {number} [options.timeoutMs]
   * @param {((waiting: any, newer: any) => any) | null} [options.merge] one payload for a waiting and a
   *   newer one (e.g. two sliders moved at once); without it the newer one replaces the waiting one
   * @param {number} [options.maxInFlight]
   */
  constructor(send, { timeoutMs = 3000, merge = null, maxInFlight = MAX_IN_FLIGHT } = {}) {
    this.send = send;
    this.merge = merge;
    this.timeoutMs = timeoutMs;
    this.maxInFlight = maxInFlight;
    /** @type {{payload: any, seq: number} | null} */
    this.pending = null;
    /** @type {Array<{seq: number, timer: ReturnType<typeof setTimeout>}>} */
    this.inflight = [];
    this.sent = 0;
  }

  /**
   * Sends `payload` now, or keeps it as the waiting value; returns its number.
   * @param {any} payload
   * @param {number} [seq]
   * @returns {number}
   */
  push(payload, seq = nextSeq()) {
    const merged = this.pending && this.merge ? this.merge(this.pending.payload, payload) : payload;
    this.pending = { payload: merged, seq };
    if (this.inflight.length < this.maxInFlight) this.flush();
    return seq;
  }

  flush() {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.sent += 1;
    const timer = setTimeout(() => this.done(p.seq), this.timeoutMs);
    this.inflight.push({ seq: p.seq, timer });
    this.send(p.payload, p.seq);
  }

  /**
   * The kernel's reply for `seq` (and every earlier one) arrived.
   * @param {number} seq
   */
  done(seq) {
    if (!(seq >= 0)) return;
    /** @type {Array<{seq: number, timer: ReturnType<typeof setTimeout>}>} */
    const answered = [];
    /** @type {typeof answered} */
    const waiting = [];
    for (const f of this.inflight) (f.seq <= seq ? answered : waiting).push(f);
    if (!answered.length) return;
    for (const f of answered) clearTimeout(f.timer);
    this.inflight = waiting;
    if (this.inflight.length < this.maxInFlight) this.flush();
  }

  /** Drops the waiting value (it no longer applies, e.g. the family changed). */
  clear() {
    this.pending = null;
  }

  /** True while a value is waiting or in flight. */
  get busy() {
    return Boolean(this.inflight.length || this.pending);
  }

  dispose() {
    for (const f of this.inflight) clearTimeout(f.timer);
    this.inflight = [];
    this.pending = null;
  }
}

/**
 * A finite number from a box's text, or null (empty, or not a number).
 * @param {unknown} text
 * @returns {number | null}
 */
export function parseNumber(text) {
  const t = String(text ?? "").trim();
  if (t === "") return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/** Inline messages for refused entries, one per field, shown in one element. */
export class InputErrors {
  constructor() {
    this.el = h("div", { class: "bw-error", role: "alert", "data-testid": "input-error", style: "display:none" });
    /** @type {Map<string, string>} */
    this.messages = new Map();
  }

  /**
   * Shows `message` for `field`; an empty one (or null) clears the field's message.
   * @param {string} field
   * @param {string | null} message
   */
  set(field, message) {
    if (!message && !this.messages.has(field)) return; // nothing to change: touch no DOM
    if (message) this.messages.set(field, message);
    else this.messages.delete(field);
    const text = [...this.messages.values()].join("; ");
    if (this.el.textContent !== text) this.el.textContent = text;
    this.el.style.display = text ? "" : "none";
  }
}

const BOX_CSS = "min-width:7ch;";

/**
 * Width of a box for its text: never narrower than `minChars`, never cutting it off.
 * @param {HTMLInputElement} el
 * @param {number} [minChars]
 */
export function fitWidth(el, minChars = 8) {
  const width = `${Math.max(minChars, String(el.value).length + 2)}ch`;
  if (el.style.width !== width) el.style.width = width; // unchanged: no style invalidation
}

/**
 * A text box for a number (or, with `parse`, any value) bound to `field`.
 * `onCommit(value)` runs on Enter and on change when the text changed since the last
 * commit; an empty box is `null` when `allowEmpty`, refused otherwise. `errors` (an
 * InputErrors) shows "<field>: enter a number" while the box holds a refused entry.
 * Returns the element, with `setValue(text)` to show a value from the kernel (skipped
 * while the person is editing the box) and `forceValue(text)` (always).
 * @template [V=number]
 * @param {object} options
 * @param {string} options.field the name shown in messages and in `aria-label`, `data-field`
 * @param {string} [options.value] the text shown first
 * @param {((value: V | null) => void) | null} [options.onCommit]
 * @param {(() => void) | null} [options.onEnter] after an accepted Enter
 * @param {InputErrors | null} [options.errors]
 * @param {boolean} [options.allowEmpty]
 * @param {string} [options.testid]
 * @param {string} [options.placeholder]
 * @param {number} [options.minChars]
 * @param {(text: string) => V | null} [options.parse] the value of a text, or null to refuse it
 * @param {string} [options.expected] what a refused entry should be ("a number")
 * @returns {NumberBox<V>}
 */
export function numberBox({ field, value = "", onCommit = null, onEnter = null, errors = null, allowEmpty = false,
  testid, placeholder, minChars = 8,
  parse = /** @type {(text: string) => V | null} */ (/** @type {unknown} */ (parseNumber)),
  expected = "a number" }) {
  const el = /** @type {NumberBox<V>} */ (h("input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
    "data-testid": testid, "data-field": field, placeholder, "aria-label": field, style: BOX_CSS }));
  el.value = value;
  fitWidth(el, minChars);
  let committed = el.value.trim();
  /** @param {string} message */
  const refuse = (message) => {
    el.setAttribute("aria-invalid", "true");
    el.classList.add("bw-invalid");
    errors?.set(field, message);
  };
  const accept = () => {
    if (el.hasAttribute("aria-invalid")) {
      el.removeAttribute("aria-invalid");
      el.classList.remove("bw-invalid");
    }
    errors?.set(field, null);
  };
  const commit = () => {
    const text = el.value.trim();
    if (text === "" && allowEmpty) {
      accept();
      if (text !== committed) {
        committed = text;
        onCommit?.(null);
      }
      return;
    }
    const v = parse(text);
    if (v === null) {
      refuse(`${field}: enter ${expected}`);
      return;
    }
    accept();
    if (text !== committed) {
      committed = text;
      onCommit?.(v);
    }
  };
  /** The box's value, or null after showing why it is refused (for buttons reading it). */
  el.read = () => {
    const text = el.value.trim();
    if (text === "" && allowEmpty) {
      accept();
      return null;
    }
    const v = parse(text);
    if (v === null) refuse(`${field}: enter ${expected}`);
    else accept();
    return v;
  };
  el.addEventListener("input", () => fitWidth(el, minChars));
  el.addEventListener("change", commit);
  // a refused entry corrected back to the value the box had when focused fires no change
  el.addEventListener("blur", () => { if (el.getAttribute("aria-invalid") === "true") commit(); });
  el.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      commit();
      if (onEnter && el.getAttribute("aria-invalid") !== "true") onEnter();
    }
  });
  el.setValue = (text) => {
    if (document.activeElement === el && el.value.trim() !== committed) return; // being edited
    if (el.getAttribute("aria-invalid") === "true") return; // keeps the person's text
    el.value = String(text);
    committed = String(text).trim();
    fitWidth(el, minChars);
  };
  el.forceValue = (text) => {
    if (el.value !== String(text)) el.value = String(text);
    committed = String(text).trim();
    accept();
    fitWidth(el, minChars);
  };
  el.commit = commit;
  return el;
}

/**
 * A text box of `numberBox`, with what the view calls on it.
 * @template [V=number]
 * @typedef {HTMLInputElement & {
 *   read(): V | null,
 *   setValue(text: string | number): void,
 *   forceValue(text: string | number): void,
 *   commit(): void,
 * }} NumberBox
 */

/** Performance marks from input events to the repaint showing them (see the header),
 * with two parts of it: `bw-roundtrip:<widget>` (message sent → reply arrived) and
 * `bw-reply-to-paint:<widget>` (reply arrived → frame painted). */
export class InputLatency {
  /** @param {string} widget the widget's name in the measures */
  constructor(widget) {
    this.name = `bw-input-to-paint:${widget}`;
    this.widget = widget;
    /** @type {Array<{seq: number, mark: string}>} inputs not painted yet */
    this.open = [];
    /** @type {Map<number, number>} input -> when its message left */
    this.sends = new Map();
  }

  /**
   * Marks an input event numbered `seq`.
   * @param {number} seq
   */
  input(seq) {
    const mark = `bw-input:${this.widget}:${seq}`;
    try {
      performance.mark(mark);
    } catch {
      return;
    }
    this.open.push({ seq, mark });
    if (this.open.length > 2000) this.open.splice(0, this.open.length - 2000);
  }

  /**
   * Marks the message carrying input `seq` leaving for the kernel.
   * @param {number} seq
   */
  sent(seq) {
    this.sends.set(seq, performance.now());
    if (this.sends.size > 200) {
      const oldest = this.sends.keys().next().value;
      if (oldest !== undefined) this.sends.delete(oldest);
    }
  }

  /**
   * The figures now hold the data for inputs up to `seq`: once the frame is painted,
   * measures each such input's latency and calls `after()`.
   * @param {number} seq
   * @param {(() => void) | null} [after]
   */
  painted(seq, after = null) {
    const reply = performance.now();
    const sentAt = this.sends.get(seq);
    if (sentAt !== undefined) {
      this.sends.delete(seq);
      try {
        performance.measure(`bw-roundtrip:${this.widget}`, { start: sentAt, end: reply });
      } catch {
        /* no User Timing Level 3 here */
      }
    }
    requestAnimationFrame(() => setTimeout(() => {
      const done = this.open.filter((o) => o.seq <= seq);
      this.open = this.open.filter((o) => o.seq > seq);
      try {
        if (done.length) performance.measure(`bw-reply-to-paint:${this.widget}`, { start: reply });
        for (const o of done) {
          performance.measure(this.name, o.mark);
          performance.clearMarks(o.mark);
        }
      } catch {
        /* a cleared timeline: nothing to measure */
      }
      if (after) after();
    }, 0));
  }
}

/** Tracks whether the pointer is down on `el` (a slider being dragged); `onEnd` is called
 * when a drag ends, wherever the pointer is let go (the value may be back where it began,
 * when the slider fires no change event).
 * @param {HTMLElement} el
 * @param {(() => void) | null} [onEnd]
 * @returns {() => boolean} whether a drag is under way
 */
export function trackDrag(el, onEnd = null) {
  el.dataset.dragging = "false";
  const up = () => {
    const was = el.dataset.dragging === "true";
    el.dataset.dragging = "false";
    if (was && onEnd) onEnd();
    window.removeEventListener("pointerup", up, true);
  };
  const down = () => {
    el.dataset.dragging = "true";
    window.addEventListener("pointerup", up, true); // released outside the slider too
  };
  el.addEventListener("pointerdown", down);
  el.addEventListener("pointerup", up);
  el.addEventListener("pointercancel", up);
  el.addEventListener("lostpointercapture", up);
  el.addEventListener("blur", up);
  return () => el.dataset.dragging === "true";
}

/**
 * A slider's every position, summarised by the kernel before a drag, so that a move paints
 * at once instead of waiting for a reply. The page asks (`want`) when the pointer comes to a
 * slider or it takes focus; the kernel answers with `{request, variable, values, summaries}`
 * (no values: this slider is too long or too slow to summarise whole, and every move goes
 * to the kernel as before). A slice holds for the other variables' values it was made at.
 */
export class SliceCache {
  /** @param {(variable: string, x: Decision, request: string) => void} ask sends a request */
  constructor(ask) {
    this.ask = ask;
    /** @type {Map<string, {key: string, values: number[], summaries: any[]}>} by variable */
    this.slices = new Map();
    /** @type {Map<string, {request: string, key: string}>} by variable */
    this.pending = new Map();
    /** @type {Map<string, number>} `${variable}|${key}` -> when the kernel would not summarise it */
    this.declined = new Map();
    this.counter = 0;
  }

  /** A slider the kernel would not summarise is asked for again after this long (the
   * kernel may have been busy). */
  static RETRY_MS = 10000;

  /**
   * The other variables' values, as a key.
   * @param {string} variable
   * @param {Decision} x
   * @returns {string}
   */
  static key(variable, x) {
    return JSON.stringify(Object.keys(x).filter((k) => k !== variable).sort().map((k) => [k, x[k]]));
  }

  /**
   * Asks for `variable`'s slice at decision `x` unless it is here or on its way.
   * @param {string} variable
   * @param {Decision} x
   */
  want(variable, x) {
    const key = SliceCache.key(variable, x);
    const declinedAt = this.declined.get(`${variable}|${key}`);
    if (this.slices.get(variable)?.key === key || this.pending.get(variable)?.key === key ||
      (declinedAt !== undefined && performance.now() - declinedAt < SliceCache.RETRY_MS)) return;
    const request = `slice-${Date.now().toString(36)}-${++this.counter}`;
    this.pending.set(variable, { request, key });
    this.ask(variable, x, request);
  }

  /**
   * Takes the kernel's answer; returns true when it was one this cache asked for.
   * @param {{request: string, variable: string, values?: number[] | null, summaries?: any[] | null}} msg
   * @returns {boolean}
   */
  receive(msg) {
    const p = this.pending.get(msg.variable);
    if (!p || p.request !== msg.request) return false;
    this.pending.delete(msg.variable);
    if (msg.values?.length && msg.summaries && msg.values.length === msg.summaries.length) {
      this.slices.set(msg.variable, { key: p.key, values: msg.values, summaries: msg.summaries });
    } else {
      this.declined.set(`${msg.variable}|${p.key}`, performance.now()); // asked again later
    }
    return true;
  }

  /**
   * The kernel's summary for decision `x` moved along `variable`, or null.
   * @param {string} variable
   * @param {Decision} x
   * @returns {any}
   */
  lookup(variable, x) {
    const s = this.slices.get(variable);
    if (!s || s.key !== SliceCache.key(variable, x)) return null;
    const v = x[variable];
    const step = s.values.length > 1 ? s.values[1] - s.values[0] : 1;
    const k = Math.round((v - s.values[0]) / step);
    const at = s.values[k];
    return at !== undefined && Math.abs(at - v) <= 1e-9 * Math.max(1, Math.abs(v)) ? s.summaries[k] : null;
  }

  /** Forgets every slice (the summaries depend on something that changed). */
  clear() {
    this.slices.clear();
    this.pending.clear();
    this.declined.clear();
  }
}

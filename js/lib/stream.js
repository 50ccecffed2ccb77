// @ts-check
// Commands to Python, and trace streaming into Bokeh sources with a resync.
//
// Python numbers each "trace" message (seq). A view applies stream messages as they
// come and asks for a "reset" (everything so far, current to some seq) when it
// renders. When the reset arrives it replaces the data and re-applies the stream
// messages newer than the reset. The reset may come late, or never if the kernel
// cannot answer: the view keeps streaming either way.

/** @typedef {import("../types/anywidget").AnyModel<any>} Model */
/**
 * Applies trace chunks to the figures: `replace` when they are everything so far (a reset).
 * @typedef {(chunks: any, replace: boolean) => void} ApplyChunks
 */

let counter = 0;
const MAX_KEPT = 600; // stream messages remembered while waiting for the reset (~60 s)

/**
 * Sends `{type, cmd_id, ...extra}`; the id lets Python drop a message it already handled.
 * @param {Model} model
 * @param {string} type
 * @param {Record<string, any>} [extra]
 */
export function sendCommand(model, type, extra = {}) {
  model.send({ type, cmd_id: `${Date.now().toString(36)}-${++counter}`, ...extra });
}

/** A view's trace stream: applies "trace" messages, asks for a "reset" and resyncs on it. */
export class TraceStream {
  /**
   * @param {Model} model
   * @param {ApplyChunks} apply
   */
  constructor(model, apply) {
    this.model = model;
    this.apply = apply;
    this.request = `${Date.now().toString(36)}-${++counter}`;
    this.synced = false;
    this.seq = 0;
    /** @type {Array<{seq: number, chunks: any}>} stream messages newer than the reset may be */
    this.kept = [];
    /** @param {any} msg */
    this.onMsg = (msg) => this.handle(msg);
    model.on("msg:custom", this.onMsg);
    sendCommand(model, "sync", { request: this.request });
  }

  /** @param {any} msg a custom message from the kernel */
  handle(msg) {
    if (msg.type === "reset" && msg.request === this.request) {
      this.synced = true;
      this.apply(msg.chunks, true);
      this.seq = msg.seq;
      for (const m of this.kept) {
        if (m.seq > this.seq) {
          this.apply(m.chunks, false);
          this.seq = m.seq;
        }
      }
      this.kept = [];
    } else if (msg.type === "trace" && msg.seq > this.seq) {
      this.apply(msg.chunks, false);
      this.seq = msg.seq;
      if (!this.synced) {
        this.kept.push(msg);
        if (this.kept.length > MAX_KEPT) this.kept.shift();
      }
    }
  }

  dispose() {
    this.model.off("msg:custom", this.onMsg);
  }
}

// Trace streaming into Bokeh sources, with a resync on (re)render.
//
// Python numbers each "trace" message (seq). A view asks for a "reset" with a
// request id when it renders; the reply carries everything so far and the seq it
// is current to, and the view ignores stream messages it already has.

let counter = 0;

export class TraceStream {
  constructor(model, apply) {
    this.model = model;
    this.apply = apply; // (chunks, replace: boolean) => void
    this.request = `${Date.now()}-${++counter}`;
    this.seq = null; // null until the reset arrives
    this.buffer = [];
    this.onMsg = (msg) => this.handle(msg);
    model.on("msg:custom", this.onMsg);
    model.send({ type: "sync", request: this.request });
  }

  handle(msg) {
    if (msg.type === "reset" && msg.request === this.request) {
      this.seq = msg.seq;
      this.apply(msg.chunks, true);
      const later = this.buffer.filter((m) => m.seq > this.seq);
      this.buffer = [];
      for (const m of later) this.handle(m);
    } else if (msg.type === "trace") {
      if (this.seq === null) this.buffer.push(msg);
      else if (msg.seq > this.seq) {
        this.seq = msg.seq;
        this.apply(msg.chunks, false);
      }
    }
  }

  dispose() {
    this.model.off("msg:custom", this.onMsg);
  }
}

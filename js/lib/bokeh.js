// @ts-check
// How BokehJS reaches the page: once per page, whichever way comes first, and shared by
// every widget view through a slot on `globalThis` keyed by the BokehJS version.
//
// 1. Already there: a static export inlines the bundle (src/bayes_widgets/export.py), or an
//    earlier widget loaded it.
// 2. The carrier: where the host creates every widget model (JupyterLab, Notebook 7, Voila,
//    saved widget state), the kernel's hidden BokehLibrary model holds the bundle in its
//    state (js/bokeh_lib.js) and evaluates it when the model is created.
// 3. The kernel: a view asks over its own comm (`{type: "bokehjs", page, request}`), and
//    the kernel answers once per page with the bundle as a binary buffer, gzip-compressed
//    where the browser can unpack it (hosts that create
//    only displayed models: marimo, Colab, VS Code). One request is in flight per page:
//    the first asker sends it, the others wait on it, and if it fails or times out the
//    next waiting view asks again through its own model.
// Where none of these can work (a static page without the bundle, no kernel), the views
// say so instead of staying blank.
/** @typedef {import("../types/bokeh").BokehLib} BokehLib */
/** @typedef {import("../types/bokeh").BokehDocument} BokehDocument */
/** @typedef {import("../types/bokeh").BokehModel} BokehModel */
/** @typedef {import("../types/bokeh").BokehSource} BokehSource */
/** @typedef {import("../types/bokeh").Embedded} Embedded */
/** @typedef {import("../types/anywidget").AnyModel<any>} Model */
/** @typedef {import("./theme.js").FigureTheme} FigureTheme */
/**
 * The page's BokehJS slot (`globalThis[KEY]`), shared by every view and every build of
 * this BokehJS version on the page.
 * @typedef {object} Slot
 * @property {BokehLib | null} lib BokehJS, once evaluated
 * @property {Promise<BokehLib>} promise resolves with `lib`
 * @property {(lib: BokehLib) => void} resolve
 * @property {string} page this page's id in requests to the kernel
 * @property {Promise<BokehLib> | null} loading an evaluation of the bundle under way
 * @property {Promise<BokehLib> | null} request the page's request to a kernel in flight
 * @property {{source: string | null, requests: number, answers: number, bytes: number, errors: string[]}} stats
 */
/** @typedef {string | ArrayBuffer | ArrayBufferView} BundleSource the bundle's text or bytes */

const VERSION = __BOKEHJS_VERSION__;
const KEY = `__bayes_widgets_bokeh_${__BOKEHJS_VERSION__}__`;
/** How long one request to the kernel may go unanswered before another view asks again. */
const REQUEST_TIMEOUT_MS = 10000;
/** How many failed requests a view waits through (its own or other views') before giving up. */
const MAX_FAILURES = 3;
/** How long a view waits for the page's BokehJS before showing why it has none. */
const WAIT_MS = 30000;

/** @returns {string} a random id */
function newId() {
  const rand = globalThis.crypto?.randomUUID?.();
  return rand ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** @returns {Slot} the page's slot, made on first use */
function slot() {
  const g = /** @type {Record<string, Slot>} */ (/** @type {unknown} */ (globalThis));
  if (!g[KEY]) {
    /** @type {(lib: BokehLib) => void} */
    let resolve = () => {};
    /** @type {Promise<BokehLib>} */
    const promise = new Promise((r) => (resolve = r));
    g[KEY] = /** @type {Slot} */ ({ lib: null, promise, resolve });
  }
  const s = g[KEY];
  // fields an older build on the same page may not have set
  s.page ??= newId();
  s.loading ??= null; // an evaluation of the bundle under way (a promise)
  s.request ??= null; // the page's request to a kernel in flight (a promise)
  s.stats ??= { source: null, requests: 0, answers: 0, bytes: 0, errors: [] };
  return s;
}

/**
 * Called by the BokehJS bundle (js/lib/bokehjs.js) when it has been evaluated.
 * @param {BokehLib} lib
 */
export function publishBokeh(lib) {
  const s = slot();
  if (!s.lib) {
    s.lib = lib;
    s.stats.source ??= "page";
    s.resolve(lib);
  }
}

/** Whether this browser can unpack a gzip-compressed bundle. */
const CAN_GUNZIP = typeof globalThis.DecompressionStream === "function";

/**
 * @param {BundleSource} source
 * @returns {Uint8Array | null} its bytes, or null for text
 */
function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return null;
}

/**
 * The bundle's text as a Blob: `source` is text, or bytes (gzip-compressed or not).
 * @param {BundleSource} source
 * @returns {Promise<Blob>}
 */
async function scriptBlob(source) {
  const bytes = bytesOf(source);
  // a Blob copies the bytes: one that may view a SharedArrayBuffer is typed BlobPart here
  const part = /** @type {BlobPart} */ (bytes ?? source);
  if (bytes && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    if (!CAN_GUNZIP) throw new Error("this browser cannot unpack the compressed BokehJS bundle (no DecompressionStream)");
    const stream = new Blob([part]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Blob([await new Response(stream).arrayBuffer()], { type: "text/javascript" });
  }
  return new Blob([part], { type: "text/javascript" });
}

/**
 * Evaluates the BokehJS bundle (its text, or its bytes, gzip-compressed or not) once per
 * page and resolves with BokehJS. A second call while one evaluation runs, or after
 * BokehJS is there, does not evaluate it again.
 * @param {BundleSource} source
 * @param {string} [origin] where it came from ("carrier", "kernel", ...), for messages
 * @returns {Promise<BokehLib>}
 */
export function loadBokehSource(source, origin = "page") {
  const s = slot();
  if (s.lib) return Promise.resolve(s.lib);
  if (s.loading) return s.loading;
  const loading = (async () => {
    const url = URL.createObjectURL(await scriptBlob(source));
    try {
      await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
    } finally {
      URL.revokeObjectURL(url);
    }
    if (!s.lib) throw new Error(`the BokehJS bundle from the ${origin} did not register BokehJS ${VERSION}`);
    s.stats.source = origin;
    return s.lib;
  })();
  s.loading = loading;
  loading.catch((err) => {
    s.loading = null;
    s.stats.errors.push(`${origin}: ${messageOf(err)}`);
  });
  return loading;
}

// Each widget module is bundled on its own, with its own copy of this file, and they share
// the page's slot: a request one module made may fail in another module's view. Its
// errors are told apart by name, not by class (`instanceof` fails across bundles).
/** An answer of the kernel that says it will not send BokehJS (asking again would not help). */
const REFUSED = "BokehJSRefused";
/** No answer from the kernel in time (none behind this page, or one busy running a cell). */
const NO_ANSWER = "BokehJSNoAnswer";

/**
 * An error with `name`: REFUSED or NO_ANSWER.
 * @param {string} name
 * @param {string} message
 * @returns {Error}
 */
function namedError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * Whether `err` is an error named `name` (made by any bundle on the page).
 * @param {unknown} err
 * @param {string} name
 * @returns {boolean}
 */
const isNamed = (err, name) => err instanceof Error && err.name === name;

/**
 * What went wrong, as text (anything may be thrown).
 * @param {unknown} err
 * @returns {string}
 */
export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/** @param {number} ms @returns {Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the kernel behind `model` for BokehJS; resolves once it is evaluated. Rejects after
 * REQUEST_TIMEOUT_MS without an answer, but an answer that comes later is still used.
 * @param {Model} model
 * @param {Slot} s
 * @param {boolean} [force] ask for the bundle even if the kernel sent it to this page before
 * @returns {Promise<BokehLib>}
 */
function requestFromKernel(model, s, force = false) {
  const request = newId();
  s.stats.requests += 1;
  return new Promise((resolve, reject) => {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const stop = () => {
      model.off("msg:custom", onMsg);
      clearTimeout(timer);
    };
    /** @type {import("../types/anywidget").CustomMessageHandler} */
    const onMsg = (msg, buffers) => {
      if (msg?.type !== "bokehjs" || msg.request !== request) return;
      stop();
      s.stats.answers += 1;
      if (msg.error) {
        reject(namedError(REFUSED, msg.error));
      } else if (msg.status === "sent") {
        const data = buffers?.[0];
        if (!data || !data.byteLength) {
          reject(new Error("the kernel's answer carried no BokehJS bundle"));
          return;
        }
        s.stats.bytes += data.byteLength;
        loadBokehSource(data, "kernel").then(resolve, reject);
      } else if (msg.status === "sent-before") {
        // the kernel sent this page the bundle for an earlier request, through another
        // widget; messages arrive in order, so it is here unless that answer was lost
        (async () => {
          for (let i = 0; i < 20 && !s.lib && !s.loading; i++) await sleep(100);
          if (s.lib) return s.lib;
          if (s.loading) return await s.loading;
          return await requestFromKernel(model, s, true);
        })().then(resolve, reject);
      } else {
        reject(new Error(`unexpected answer from the kernel: ${JSON.stringify(msg).slice(0, 200)}`));
      }
    };
    model.on("msg:custom", onMsg);
    s.promise.then(stop); // BokehJS came another way
    // the timeout rejects, but the listener stays until BokehJS is here: a late answer
    // (a kernel that was busy) is still evaluated, and every waiting view gets it
    timer = setTimeout(
      () => reject(namedError(NO_ANSWER, `the kernel did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      REQUEST_TIMEOUT_MS,
    );
    /** @type {Record<string, unknown>} */
    const send = { type: "bokehjs", cmd_id: request, request, page: s.page, version: VERSION,
      accept: CAN_GUNZIP ? ["gzip"] : [] };
    if (force) send.force = true;
    try {
      model.send(send);
    } catch (err) {
      stop();
      reject(new Error(`could not ask the kernel: ${messageOf(err)}`));
    }
  });
}

/**
 * Obtains BokehJS for a view of `model`: the page's, the carrier's, or the kernel's.
 * @param {Model} model
 * @param {Slot} s
 * @param {number} deadline a time (Date.now()) after which it stops asking
 * @returns {Promise<BokehLib>}
 */
async function obtain(model, s, deadline) {
  if (s.loading) {
    try {
      return await s.loading;
    } catch {
      // the carrier's bundle failed: ask the kernel
    }
  }
  /** @type {unknown} */
  let last = null;
  let failures = 0;
  while (!s.lib && Date.now() < deadline) {
    if (s.loading) {
      try {
        return await s.loading;
      } catch (err) {
        last = err;
        continue;
      }
    }
    if (!s.request) {
      const mine = requestFromKernel(model, s);
      s.request = mine;
      mine.catch(() => {}).finally(() => {
        if (s.request === mine) s.request = null;
      });
    }
    try {
      return await s.request;
    } catch (err) {
      if (isNamed(err, REFUSED) || ++failures >= MAX_FAILURES) throw err;
      last = err;
      await sleep(50); // the view whose request failed lets another one ask next
    }
  }
  if (s.lib) return s.lib;
  throw last ?? new Error("no answer");
}

/**
 * Resolves with BokehJS once this page has it: already there (a static export, another
 * widget), from the carrier model where the host created it, or from the kernel, asked
 * through `model` (the view's own model). Rejects with a readable reason after `timeout`
 * ms (default WAIT_MS).
 *
 * With a `waiting(text)` callback a view that asked a kernel waits for as long as it takes:
 * a kernel busy running cells (marimo answers a page only once every cell has run) answers
 * late, and the figures then paint. Meanwhile `waiting` is told why there is no plot yet,
 * to show in place of the figure; the promise rejects only when the kernel refuses or the
 * bundle fails.
 * @param {Model | null} [model]
 * @param {number | {timeout?: number, waiting?: ((text: string) => void) | null}} [options]
 *   the time to wait in ms (a number: the same), and `waiting`
 * @returns {Promise<BokehLib>}
 */
export function whenBokeh(model = null, options = {}) {
  const { timeout: timeoutMs = WAIT_MS, waiting = null } =
    typeof options === "number" ? { timeout: options } : options ?? {};
  const s = slot();
  if (s.lib) return Promise.resolve(s.lib);
  const patient = Boolean(model && waiting);
  return new Promise((resolve, reject) => {
    let done = false;
    /** @type {unknown} why the view's own requests failed */
    let reason = null;
    /**
     * @template T
     * @param {(value: T) => void} settle
     * @param {T} value
     */
    const finish = (settle, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (slow !== null) clearTimeout(slow);
      settle(value);
    };
    /** @param {string} text */
    const tell = (text) => {
      if (done || !waiting) return;
      try {
        waiting(text);
      } catch {
        /* a view gone meanwhile */
      }
    };
    // no answer to the first request: say why the figure is not there yet
    const slow = patient ? setTimeout(() => {
      if (!expired) tell("Loading the plots: waiting for the kernel to send BokehJS (it may be busy running cells).");
    }, REQUEST_TIMEOUT_MS) : null;
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      const why = reason && !isNamed(reason, NO_ANSWER)
        ? messageOf(reason)
        : model
          ? "the page has no BokehJS and no kernel answered (a page without a kernel, or a kernel busy running a cell)"
          : "the page has no BokehJS and this view cannot ask the kernel";
      const err = new Error(`BokehJS ${VERSION} did not load within ${timeoutMs / 1000} s: ${why}`);
      if (patient && !(reason && !isNamed(reason, NO_ANSWER))) {
        // a late answer is still evaluated (the requests keep listening): keep waiting
        tell(`Plot unavailable: ${err.message}. The plots appear as soon as the kernel answers.`);
        return;
      }
      finish(reject, err);
    }, timeoutMs);
    s.promise.then((lib) => finish(resolve, lib));
    if (model) {
      obtain(model, s, Date.now() + timeoutMs).then(
        (lib) => finish(resolve, lib),
        (err) => {
          reason = err;
          s.stats.errors.push(messageOf(err));
          // no answer yet: a late one may still come until the time is up
          if (!isNamed(err, NO_ANSWER)) finish(reject, new Error(`BokehJS ${VERSION} is unavailable: ${messageOf(err)}`));
        },
      );
    }
  });
}

/**
 * A `waiting` callback for `whenBokeh` that shows the text in `el` (the figure's place;
 * embedding the figure replaces it).
 * @param {Element} el
 * @returns {(text: string) => void}
 */
export function noteIn(el) {
  return (text) => {
    const note = document.createElement("div");
    note.className = "bw-note";
    note.dataset.testid = "plot-waiting";
    note.textContent = text;
    el.replaceChildren(note);
  };
}

/**
 * Embeds a Bokeh `json_item` string into `el` and returns the Bokeh document,
 * so callers can look sources up by name and stream into them. With a `theme`
 * (a FigureTheme from ./theme.js) the figure is recoloured for the page's theme
 * before it is shown, and again whenever the theme changes.
 *
 * Figures whose data arrive after embedding (streamed, or set by the widget) start
 * with empty sources: their automatic ranges (DataRange1d) have no data to span and
 * would be NaN, which BokehJS reports on every repaint ("could not set initial
 * ranges"). Such ranges hold a provisional extent whenever their sources are empty,
 * from before the first render on (see `holdEmptyRanges`), and range over the data
 * whenever there is some.
 * @param {BokehLib} Bokeh
 * @param {HTMLElement} el
 * @param {string | {doc: any}} itemJson a json_item, as text or parsed
 * @param {FigureTheme | null} [theme]
 * @returns {Promise<Embedded>}
 */
export async function embedFigure(Bokeh, el, itemJson, theme = null) {
  el.replaceChildren();
  const item = typeof itemJson === "string" ? JSON.parse(itemJson) : itemJson;
  if (theme) el.style.visibility = "hidden"; // no flash of the light colours on a dark page
  try {
    const { Document } = Bokeh.require("document");
    /** @type {BokehDocument} */
    const doc = Document.from_json(item.doc);
    holdEmptyRanges(Bokeh, doc);
    // as embed_item: the figure in `el`, the document's notifications in the page body
    const views = await Bokeh.embed.add_document_standalone(doc, document.body, [el]);
    theme?.track(el, doc);
    return { doc, views };
  } finally {
    if (theme) el.style.visibility = "";
  }
}

/**
 * A source with no rows yet (or no columns).
 * @param {BokehSource | null | undefined} source
 * @returns {boolean}
 */
function isEmptySource(source) {
  const n = source?.get_length?.();
  return n == null || n === 0;
}

/**
 * @param {Map<string, any> | Record<string, any> | null | undefined} m
 * @returns {any[]} its values
 */
const valuesOf = (m) => (m instanceof Map ? [...m.values()] : Object.values(m ?? {}));

/**
 * Keeps every automatic range (a DataRange1d without an explicit start or end) of
 * `doc` finite: while all the sources it spans are empty, it holds a provisional
 * extent (0–1, or 1–10 on a log axis); as soon as one has rows it follows the data
 * again, and it holds again if they are all emptied (a monitor clearing its traces).
 * Returns how many ranges hold now (for tests).
 * @param {BokehLib} Bokeh
 * @param {BokehDocument} doc
 * @returns {number}
 */
export function holdEmptyRanges(Bokeh, doc) {
  const { DataRange1d, LogScale } = Bokeh.Models;
  /** @type {Map<BokehModel, {sources: Set<BokehSource>, log: boolean}>} range -> what it spans */
  const watched = new Map();
  for (const plot of doc.all_models) {
    if (!("x_range" in plot && "renderers" in plot && "x_scale" in plot)) continue;
    /** @type {Array<[BokehModel, BokehModel | null]>} ranges and their scales */
    const axes = [
      [plot.x_range, plot.x_scale],
      [plot.y_range, plot.y_scale],
      ...valuesOf(plot.extra_x_ranges).map((r) => /** @type {[BokehModel, null]} */ ([r, null])),
      ...valuesOf(plot.extra_y_ranges).map((r) => /** @type {[BokehModel, null]} */ ([r, null])),
    ];
    for (const [range, scale] of axes) {
      if (!(range instanceof DataRange1d) || range.__bw_watched) continue;
      if (range._initial_start != null || range._initial_end != null) continue; // explicit extent
      // a range's renderers: "auto" or [] means every renderer of the plot (as BokehJS)
      const own = range.renderers;
      const covered = (own === "auto" || own == null || own.length === 0 ? plot.renderers : own)
        .filter((/** @type {BokehModel | null} */ r) => r?.data_source != null);
      const entry = watched.get(range) ?? { sources: new Set(), log: false };
      for (const r of covered) entry.sources.add(r.data_source);
      entry.log ||= scale instanceof LogScale;
      watched.set(range, entry);
    }
  }
  let held = 0;
  for (const [range, { sources, log }] of watched) {
    range.__bw_watched = true;
    const all = [...sources];
    const sync = () => {
      const empty = all.every(isEmptySource);
      if (empty && !range.__bw_held) {
        const [start, end] = log ? [1, 10] : [0, 1];
        range.__bw_held = true;
        range.setv({ _initial_start: start, _initial_end: end, start, end }, { silent: true });
        range._invalidate_dataranges?.();
      } else if (!empty && range.__bw_held) {
        range.__bw_held = false;
        range.setv({ _initial_start: null, _initial_end: null }, { silent: true });
        range._invalidate_dataranges?.();
      }
    };
    for (const source of all) {
      for (const signal of [source.change, source.streaming, source.patching, source.properties?.data?.change]) {
        signal?.connect(sync);
      }
    }
    sync();
    if (range.__bw_held) held += 1;
  }
  return held;
}

/**
 * Finds a named model (e.g. a ColumnDataSource) in an embedded document.
 * @param {BokehDocument | null | undefined} doc
 * @param {string} name
 * @returns {BokehSource | null} the model (typed as a source, the usual case), or null
 */
export function byName(doc, name) {
  return doc ? /** @type {BokehSource | null} */ (doc.get_model_by_name(name)) : null;
}

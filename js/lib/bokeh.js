// BokehJS travels to the page once (bokeh_lib.js) and is shared by every widget view.
const KEY = `__bayes_widgets_bokeh_${__BOKEHJS_VERSION__}__`;

function slot() {
  const g = globalThis;
  if (!g[KEY]) {
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    g[KEY] = { lib: null, promise, resolve };
  }
  return g[KEY];
}

/** Called by the carrier module when BokehJS has been evaluated. */
export function publishBokeh(lib) {
  const s = slot();
  if (!s.lib) {
    s.lib = lib;
    s.resolve(lib);
  }
}

/**
 * Resolves with BokehJS once the carrier model has loaded it.
 * @param {number} timeoutMs how long to wait before rejecting with a readable error
 */
export function whenBokeh(timeoutMs = 30000) {
  const s = slot();
  if (s.lib) return Promise.resolve(s.lib);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `BokehJS ${__BOKEHJS_VERSION__} did not load within ${timeoutMs / 1000} s ` +
              "(the bayes_widgets BokehJS carrier model is missing from this page)",
          ),
        ),
      timeoutMs,
    );
    s.promise.then((lib) => {
      clearTimeout(timer);
      resolve(lib);
    });
  });
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
 */
export async function embedFigure(Bokeh, el, itemJson, theme = null) {
  el.replaceChildren();
  const item = typeof itemJson === "string" ? JSON.parse(itemJson) : itemJson;
  if (theme) el.style.visibility = "hidden"; // no flash of the light colours on a dark page
  try {
    const { Document } = Bokeh.require("document");
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

/** A source with no rows yet (or no columns). */
function isEmptySource(source) {
  const n = source?.get_length?.();
  return n == null || n === 0;
}

const valuesOf = (m) => (m instanceof Map ? [...m.values()] : Object.values(m ?? {}));

/**
 * Keeps every automatic range (a DataRange1d without an explicit start or end) of
 * `doc` finite: while all the sources it spans are empty, it holds a provisional
 * extent (0–1, or 1–10 on a log axis); as soon as one has rows it follows the data
 * again, and it holds again if they are all emptied (a monitor clearing its traces).
 * Returns how many ranges hold now (for tests).
 */
export function holdEmptyRanges(Bokeh, doc) {
  const { DataRange1d, LogScale } = Bokeh.Models;
  const watched = new Map(); // range -> { sources: Set, log: bool }
  for (const plot of doc.all_models) {
    if (!("x_range" in plot && "renderers" in plot && "x_scale" in plot)) continue;
    const axes = [
      [plot.x_range, plot.x_scale],
      [plot.y_range, plot.y_scale],
      ...valuesOf(plot.extra_x_ranges).map((r) => [r, null]),
      ...valuesOf(plot.extra_y_ranges).map((r) => [r, null]),
    ];
    for (const [range, scale] of axes) {
      if (!(range instanceof DataRange1d) || range.__bw_watched) continue;
      if (range._initial_start != null || range._initial_end != null) continue; // explicit extent
      // a range's renderers: "auto" or [] means every renderer of the plot (as BokehJS)
      const own = range.renderers;
      const covered = (own === "auto" || own == null || own.length === 0 ? plot.renderers : own)
        .filter((r) => r?.data_source != null);
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

/** Finds a named model (e.g. a ColumnDataSource) in an embedded document. */
export function byName(doc, name) {
  return doc ? doc.get_model_by_name(name) : null;
}

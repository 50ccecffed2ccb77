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
 * ranges"). Such ranges get a provisional extent before the first render (see
 * `holdEmptyRanges`) and range over the data as soon as any arrives.
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

/**
 * Gives every automatic range (DataRange1d) of `doc` whose renderers all have empty
 * sources a provisional extent (0–1, or 1–10 on a log axis), and releases it to
 * follow the data when a source it covers receives rows. Returns how many ranges
 * were held (for tests).
 */
export function holdEmptyRanges(Bokeh, doc) {
  const { DataRange1d, LogScale } = Bokeh.Models;
  let held = 0;
  for (const plot of doc.all_models) {
    if (!("x_range" in plot && "renderers" in plot && "x_scale" in plot)) continue;
    const axes = [
      [plot.x_range, plot.x_scale],
      [plot.y_range, plot.y_scale],
      ...Object.values(plot.extra_x_ranges ?? {}).map((r) => [r, null]),
      ...Object.values(plot.extra_y_ranges ?? {}).map((r) => [r, null]),
    ];
    for (const [range, scale] of axes) {
      if (!(range instanceof DataRange1d) || range.__bw_held) continue;
      if (Number.isFinite(range.start) && Number.isFinite(range.end)) continue;
      const covered = (range.renderers === "auto" || range.renderers == null ? plot.renderers : range.renderers)
        .filter((r) => r?.data_source != null);
      const sources = [...new Set(covered.map((r) => r.data_source))];
      if (sources.length > 0 && !sources.every(isEmptySource)) continue;
      const log = scale instanceof LogScale;
      const [start, end] = log ? [1, 10] : [0, 1];
      range.setv({ _initial_start: start, _initial_end: end, start, end }, { silent: true });
      range.__bw_held = true;
      held += 1;
      const release = () => {
        if (!range.__bw_held || sources.every(isEmptySource)) return;
        range.__bw_held = false;
        range.setv({ _initial_start: null, _initial_end: null }, { silent: true });
        range._invalidate_dataranges?.();
      };
      for (const source of sources) {
        for (const signal of [source.change, source.streaming, source.patching, source.properties?.data?.change]) {
          signal?.connect(release);
        }
      }
    }
  }
  return held;
}

/** Finds a named model (e.g. a ColumnDataSource) in an embedded document. */
export function byName(doc, name) {
  return doc ? doc.get_model_by_name(name) : null;
}

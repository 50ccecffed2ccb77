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
 */
export async function embedFigure(Bokeh, el, itemJson, theme = null) {
  el.replaceChildren();
  const item = typeof itemJson === "string" ? JSON.parse(itemJson) : itemJson;
  if (theme) el.style.visibility = "hidden"; // no flash of the light colours on a dark page
  try {
    const views = await Bokeh.embed.embed_item(item, el);
    const first = Array.isArray(views) ? views[0] : views?.roots?.[0] ?? views;
    const doc = first?.model?.document ?? null;
    theme?.track(el, doc);
    return { doc, views };
  } finally {
    if (theme) el.style.visibility = "";
  }
}

/** Finds a named model (e.g. a ColumnDataSource) in an embedded document. */
export function byName(doc, name) {
  return doc ? doc.get_model_by_name(name) : null;
}

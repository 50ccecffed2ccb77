// @ts-check
// The BokehJS carrier: a hidden model, one per kernel, whose state holds the BokehJS bundle
// (`bundle`: static/bokehjs.js.gz, the bundle gzip-compressed, as bytes). Hosts that create every widget model
// (JupyterLab, Notebook 7, Voila, pages rendered from saved widget state) evaluate it
// when they create the model, before any view needs BokehJS. Views never depend on it:
// where a host creates only displayed models they ask the kernel (see ./lib/bokeh.js).
import { loadBokehSource } from "./lib/bokeh.js";

/** @typedef {{bundle: DataView | ArrayBuffer | null}} CarrierTraits the gzip-compressed bundle */

/** @type {import("./types/anywidget").Widget<CarrierTraits>} */
export default {
  initialize({ model }) {
    const source = model.get("bundle");
    // not awaited: views wait on the page's slot, and a failure leaves them to ask the kernel
    if (source) loadBokehSource(source, "carrier").catch((err) => console.warn(`[bayes_widgets] ${err.message}`));
  },
  render({ el }) {
    el.style.display = "none";
  },
};

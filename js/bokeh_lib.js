// Carrier of BokehJS: evaluated once per page by a single hidden widget model.
// Widget modules wait for it with `whenBokeh()` (js/lib/bokeh.js).
import * as Bokeh from "@bokeh/bokehjs/build/js/bokeh.esm.min.js";
import { publishBokeh } from "./lib/bokeh.js";

publishBokeh(Bokeh.default?.embed ? Bokeh.default : Bokeh);

export default {
  initialize() {},
  render({ el }) {
    el.style.display = "none";
  },
};

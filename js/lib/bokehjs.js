// @ts-check
// The BokehJS bundle (built into static/bokehjs.js): evaluated once per page, it registers
// BokehJS in the page's slot (./bokeh.js). It reaches the page in the carrier model's state
// (js/bokeh_lib.js), in the kernel's answer to a view's request, or inlined in a static export.
import * as Bokeh from "@bokeh/bokehjs/build/js/bokeh.esm.min.js";
import { publishBokeh } from "./bokeh.js";

publishBokeh(Bokeh.default?.embed ? Bokeh.default : Bokeh);

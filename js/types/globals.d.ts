// Names the build (js/build.mjs, esbuild) provides to every module, and the DOM extras
// the views rely on.

/** The package version (package.json), compared with the Python package's. */
declare const __BW_VERSION__: string;
/** The BokehJS version bundled into static/bokehjs.js. */
declare const __BOKEHJS_VERSION__: string;

/** A stylesheet imported by a view: esbuild's "text" loader makes it a string. */
declare module "*.css" {
  const text: string;
  export default text;
}


/** The BokehJS bundle's entry point (js/lib/bokehjs.js): its exports are the library. */
declare module "@bokeh/bokehjs/build/js/bokeh.esm.min.js" {
  type BokehLib = import("./bokeh").BokehLib;
  const Bokeh: BokehLib;
  export default Bokeh;
  export const version: BokehLib["version"];
  export const require: BokehLib["require"];
  export const embed: BokehLib["embed"];
  export const Models: BokehLib["Models"];
}

interface HTMLElement {
  /** The Bokeh document embedded in this element, kept by views for scripted inspection
   * (tests read a figure's models through it). */
  bokehDocument?: import("./bokeh").BokehDocument;
}

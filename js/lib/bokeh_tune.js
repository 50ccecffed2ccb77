// @ts-check
// Repaints without needless style work. BokehJS rewrites each view's position stylesheet
// (a <style> element) on every paint, with the same text when nothing moved. Each write
// makes the browser recompute styles, and in a notebook page that is thousands of
// elements; glyphs then read their colours with getComputedStyle, which waits for that
// recomputation, several times per repaint. Writing a stylesheet only when its text
// changes leaves a repaint that moves nothing with canvas work alone.

/**
 * Makes BokehJS's inline stylesheets skip writes of the text they hold already (once per
 * page; returns whether the guard is in place).
 * @param {import("../types/bokeh").BokehLib} Bokeh
 * @returns {boolean}
 */
export function skipUnchangedStyleWrites(Bokeh) {
  let proto = null;
  try {
    proto = Bokeh.require("core/dom")?.InlineStyleSheet?.prototype;
  } catch {
    return false;
  }
  if (!proto || typeof proto._update !== "function") return false;
  if (proto.__bwSkipsUnchanged) return true;
  const write = proto._update;
  /** @this {{el?: HTMLStyleElement}} @param {string} css */
  proto._update = function (css) {
    if (this.el?.textContent !== css) write.call(this, css);
  };
  proto.__bwSkipsUnchanged = true;
  return true;
}

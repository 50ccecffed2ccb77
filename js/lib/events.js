// @ts-check
// Model event listeners that hold in every anywidget host.
//
// anywidget's model contract is `model.on(name, callback)` and `model.off(name, callback)`
// with ONE event name. JupyterLab, Notebook 7 and Voila hand views a Backbone model, which
// also accepts several space-separated names ("change:a change:b") and `off(null, fn)`;
// marimo's model does not: there such a string registers one event that never fires, and
// `off(null, fn)` removes every listener of the model, other views' included.

/** @typedef {import("../types/anywidget").AnyModel<any>} Model */
/** @typedef {(...args: any[]) => void} Listener */

/**
 * Calls `fn` on each of the space-separated `events` ("change:status change:progress").
 * Returns a function that removes exactly these listeners.
 * @param {Model} model
 * @param {string} events
 * @param {Listener} fn
 * @returns {() => void}
 */
export function listen(model, events, fn) {
  const names = events.split(/\s+/).filter(Boolean);
  for (const name of names) model.on(name, fn);
  return () => {
    for (const name of names) model.off(name, fn);
  };
}

/**
 * Several `listen`s at once: `[[events, fn], ...]`; returns one function removing all.
 * @param {Model} model
 * @param {Array<[string, Listener]>} pairs
 * @returns {() => void}
 */
export function listenAll(model, pairs) {
  const offs = pairs.map(([events, fn]) => listen(model, events, fn));
  return () => offs.forEach((off) => off());
}

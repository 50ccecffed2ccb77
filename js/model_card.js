// @ts-check
// ModelCard view: a PyMC model's variables as a table, and a button to its prior editor.
// Python side: src/bayes_widgets/widgets/model_card.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure } from "./lib/bokeh.js";
import { h, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-card table { border-collapse: collapse; margin: 4px 0; }
.bw-card th, .bw-card td { padding: 2px 10px; text-align: left; }
.bw-card .bw-kind-free { color: var(--bw-accent); }
.bw-card .bw-kind-observed { color: var(--bw-success); font-weight: 600; }
.bw-card .bw-kind-deterministic, .bw-card .bw-kind-data { color: var(--bw-muted); }
.bw-card .bw-card-body { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
`;

/**
 * A row of the variables table (core/model_info.py: model_rows).
 * @typedef {object} VariableRow
 * @property {string} name
 * @property {string} kind                 free, observed, deterministic or data
 * @property {string} [distribution]
 * @property {string[]} [dims]
 * @property {number[]} [shape]
 * @property {string[]} [parents]          the variables it depends on
 */

/**
 * The synced traits of ModelCard (widgets/model_card.py).
 * @typedef {object} ModelCardTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string} name
 * @property {VariableRow[]} rows
 * @property {Record<string, number>} coords   dimension name -> its length
 * @property {boolean} editor_open
 * @property {string} graph_figure             a Bokeh json_item ("" for a model without variables)
 * @property {string} [graph_json]             the old name, in notebooks saved before the rename
 */

/** @type {import("./types/anywidget").Widget<ModelCardTraits>} */
export default {
  initialize() {},
  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-card", "data-bw-widget": "model_card", "data-testid": "model-card" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const title = h("div", {});
    const table = h("table", { "data-testid": "variables" });
    const edit = h("button", { "data-testid": "edit-priors" }, "Edit priors");
    const graph = h("div", { "data-testid": "graph" });
    const theme = new FigureTheme(root);
    edit.addEventListener("click", () => sendCommand(model, "edit"));
    root.append(...[note, banner.el].filter(Boolean), title,
      h("div", { class: "bw-card-body" }, h("div", {}, table, edit), graph));
    const render = () => {
      const rows = model.get("rows") || [];
      const coords = model.get("coords") || {};
      const free = rows.filter((r) => r.kind === "free").length;
      const observed = rows.filter((r) => r.kind === "observed").length;
      title.textContent = `PyMC model${model.get("name") ? ` ${model.get("name")}` : ""}: ${free} free, ` +
        `${observed} observed variable${observed === 1 ? "" : "s"}` +
        (Object.keys(coords).length ? `; dims ${Object.entries(coords).map(([k, n]) => `${k} (${n})`).join(", ")}` : "");
      table.replaceChildren(
        h("tr", {}, ...["variable", "kind", "distribution", "dims", "shape", "depends on"].map((c) => h("th", {}, c))),
        ...rows.map((r) => h("tr", { "data-variable": r.name, "data-kind": r.kind },
          h("td", {}, r.name), h("td", { class: `bw-kind-${r.kind}` }, r.kind), h("td", {}, r.distribution || ""),
          h("td", {}, (r.dims || []).join(", ")), h("td", {}, r.shape ? `(${r.shape.join(", ")})` : ""),
          h("td", {}, (r.parents || []).join(", ")))));
      edit.disabled = model.get("editor_open");
      root.dataset.variables = String(rows.length);
    };
    let shownGraph = null;
    const renderGraph = async () => {
      const json = model.get("graph_figure") || model.get("graph_json"); // old name: saved before the rename
      if (!json || json === shownGraph) return;
      shownGraph = json;
      try {
        const Bokeh = await whenBokeh(model, { waiting: noteIn(graph) });
        await embedFigure(Bokeh, graph, json, theme);
        graph.dataset.rendered = "true";
      } catch (err) {
        graph.replaceChildren(h("div", { class: "bw-error" }, `Graph unavailable: ${err.message}`));
      }
    };
    render();
    offs.push(listen(model, "change:rows change:coords change:name change:editor_open", render));
    offs.push(listen(model, "change:graph_figure change:graph_json", renderGraph));
    await renderGraph();
    return () => {
      banner.dispose();
      theme.dispose();
      for (const off of offs) off();
    };
  },
};

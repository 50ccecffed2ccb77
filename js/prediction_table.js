// @ts-check
// PredictionTable view: new rows with their posterior predictions (every predicted
// variable: a deterministic's mean and interval, an observed variable's mean, sd and
// interval); input cells are editable, rows can be added and removed, and a plot shows
// the intervals.
// Python side: src/bayes_widgets/widgets/prediction_table.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";

const css = `
.bw-predictions { font-family: var(--bw-font, system-ui, sans-serif); font-size: 12px;
  color: var(--bw-fg); background: var(--bw-bg); padding: 4px 0; max-width: 1100px; }
.bw-predictions .bw-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.bw-predictions .bw-note { color: var(--bw-muted); }
.bw-predictions table { border-collapse: collapse; margin: 4px 0; }
.bw-predictions th, .bw-predictions td { padding: 2px 8px; text-align: right; white-space: nowrap;
  border-bottom: 1px solid var(--bw-rule); }
.bw-predictions th { font-weight: 600; background: var(--bw-surface); }
.bw-predictions th.bw-group { text-align: center; }
.bw-predictions td.bw-mu { color: var(--bw-fg); }
.bw-predictions td.bw-y { font-weight: 600; }
.bw-predictions td.bw-rowno { color: var(--bw-muted); }
.bw-predictions input.bw-cell { width: 80px; text-align: right; font: inherit;
  color: var(--bw-fg); background: var(--bw-input-bg);
  border: 1px solid var(--bw-border); border-radius: 2px; padding: 1px 4px; }
.bw-predictions input.bw-cell:focus { outline: 1px solid var(--bw-accent); }
.bw-predictions button, .bw-predictions select { font: inherit; color: var(--bw-fg);
  background: var(--bw-surface); border: 1px solid var(--bw-border); border-radius: 2px; }
.bw-predictions button.bw-remove { padding: 0 6px; }
.bw-warning { color: #664d03; background: #fff3cd; border: 1px solid #ffecb5; padding: 4px 8px; margin: 4px 0; }
`;

const PROBS = [0.5, 0.8, 0.9, 0.94, 0.95, 0.99];

/** A value for an input cell: up to 6 significant digits, no float noise. */
function cellText(x) {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : "";
}

/**
 * A row of the table as Python sends it.
 * @typedef {object} PredictionRow
 * @property {number} key                      stable id of the row
 * @property {Record<string, number>} inputs   input values by column
 * @property {Record<string, number | null>} prediction   `<variable>_mean, _sd, _lower, _upper`
 */

/**
 * The synced traits of PredictionTable (widgets/prediction_table.py).
 * @typedef {object} PredictionTableTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string} target
 * @property {string[]} columns
 * @property {Array<{name: string, kind: string, label: string}>} variables
 * @property {string[]} plot_vars             the plotted deterministic and observed variable
 * @property {PredictionRow[]} rows
 * @property {number} prob
 * @property {string} interval                "eti" or "hdi"
 * @property {string} interval_label
 * @property {Record<string, string>} meaning
 * @property {number} draws
 * @property {boolean} show_plot
 * @property {string} prediction_figure       a Bokeh json_item
 * @property {string} [figure]                the old name, in notebooks saved before the rename
 * @property {number} revision
 */

/** @type {import("./types/anywidget").Widget<PredictionTableTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-predictions", "data-bw-widget": "prediction_table",
      "data-testid": "prediction-table" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const title = h("div", { "data-testid": "title" });
    const meaning = h("div", { class: "bw-note", "data-testid": "meaning" });
    const probSelect = h("select", { "data-testid": "prob", title: "credible mass" });
    const kindSelect = h("select", { "data-testid": "interval", title: "kind of interval" },
      h("option", { value: "eti" }, "equal-tailed"), h("option", { value: "hdi" }, "highest density"));
    const addButton = h("button", { "data-testid": "add-row" }, "Add row");
    const table = h("table", { "data-testid": "table" });
    const plot = h("div", { "data-testid": "plot" });
    root.append(...[note, banner.el].filter(Boolean), title, meaning,
      h("div", { class: "bw-row" }, "interval ", probSelect, kindSelect, addButton), table, plot);

    let shape = ""; // columns and row keys the table was built for
    const cells = new Map(); // `${key}/${column}` -> input element
    const outputs = new Map(); // `${key}/${stat}` -> td

    const send = (type, extra) => sendCommand(model, type, extra);

    const renderHeader = () => {
      const prob = model.get("prob");
      const probs = PROBS.includes(prob) ? PROBS : [...PROBS, prob].sort((a, b) => a - b);
      probSelect.replaceChildren(...probs.map((p) =>
        h("option", { value: p, selected: p === prob }, `${+(100 * p).toFixed(4)}%`)));
      kindSelect.value = model.get("interval");
      const n = (model.get("rows") || []).length;
      title.textContent = `Predictions of ${model.get("target")} for ${n} new row${n === 1 ? "" : "s"}: ` +
        `posterior mean, sd and ${model.get("interval_label")} over ${model.get("draws")} draws`;
      const m = model.get("meaning") || {};
      meaning.textContent = (model.get("variables") || []).map((v) => `${v.name}: ${m[v.name] || v.kind}`).join("; ") + ".";
    };

    // a deterministic shows mean and interval; an observed variable mean, sd and interval
    const statsOf = (v) => (v.kind === "observed" ? ["mean", "sd", "interval"] : ["mean", "interval"]);

    const buildTable = () => {
      const columns = model.get("columns") || [];
      const variables = model.get("variables") || [];
      const rows = model.get("rows") || [];
      cells.clear();
      outputs.clear();
      const label = model.get("interval_label").replace(/ interval$/, "");
      const head1 = h("tr", {}, h("th", {}, ""), h("th", { class: "bw-group", colspan: columns.length }, "inputs"),
        ...variables.map((v) => h("th", { class: "bw-group", colspan: statsOf(v).length, "data-variable": v.name }, v.label)),
        h("th", {}, ""));
      const head2 = h("tr", {}, h("th", {}, "row"), ...columns.map((c) => h("th", {}, c)),
        ...variables.flatMap((v) => statsOf(v).map((s) => h("th", {}, s === "interval" ? label : s))),
        h("th", {}, ""));
      const body = rows.map((r, i) => {
        const inputs = columns.map((c, j) => {
          const box = h("input", { class: "bw-cell", type: "text", inputmode: "decimal", "aria-label": `${c}, row ${i}`,
            "data-testid": `cell-${i}-${c}`, "data-column": c, value: cellText(r.inputs[c]) });
          box.addEventListener("change", () => send("edit", { key: r.key, column: c, value: box.value }));
          box.addEventListener("keydown", (ev) => { if (ev.key === "Enter") box.blur(); });
          cells.set(`${r.key}/${c}`, box);
          return h("td", {}, box);
        });
        const outs = variables.flatMap((v) => statsOf(v).map((stat) => {
          const td = h("td", { class: v.kind === "observed" ? "bw-y" : "bw-mu", "data-column": `${v.name}_${stat}` });
          outputs.set(`${r.key}/${v.name}_${stat}`, td);
          return td;
        }));
        const remove = h("button", { class: "bw-remove", "data-testid": `remove-${i}`, title: "remove this row" }, "×");
        remove.addEventListener("click", () => send("remove_row", { key: r.key }));
        return h("tr", { "data-row": i, "data-key": r.key }, h("td", { class: "bw-rowno" }, String(i)), ...inputs,
          ...outs, h("td", {}, remove));
      });
      table.replaceChildren(head1, head2, ...body);
    };

    const fillTable = (force) => {
      const columns = model.get("columns") || [];
      const rows = model.get("rows") || [];
      const variables = model.get("variables") || [];
      const next = JSON.stringify([columns, variables, rows.map((r) => r.key), model.get("interval_label")]);
      if (next !== shape) {
        shape = next;
        buildTable();
      }
      for (const r of rows) {
        for (const c of columns) {
          const box = cells.get(`${r.key}/${c}`);
          if (box && (force || document.activeElement !== box)) box.value = cellText(r.inputs[c]);
        }
        const p = r.prediction || {};
        const set = (stat, value, text) => {
          const td = outputs.get(`${r.key}/${stat}`);
          if (!td) return;
          td.textContent = text;
          td.dataset.value = value ?? "";
        };
        for (const v of variables) {
          const n = v.name;
          set(`${n}_mean`, p[`${n}_mean`], fmt(p[`${n}_mean`], 4));
          set(`${n}_sd`, p[`${n}_sd`], fmt(p[`${n}_sd`], 3));
          set(`${n}_interval`, `${p[`${n}_lower`]},${p[`${n}_upper`]}`,
            `[${fmt(p[`${n}_lower`], 4)}, ${fmt(p[`${n}_upper`], 4)}]`);
        }
      }
      root.dataset.rows = String(rows.length);
      root.dataset.revision = String(model.get("revision"));
    };

    // plot
    let doc = null;
    const fillPlot = () => {
      const source = byName(doc, "predictions");
      if (!source) return;
      const rows = model.get("rows") || [];
      const [line, point] = model.get("plot_vars") || ["mu", "y"];
      const col = (v, k) => rows.map((r) => (v ? r.prediction?.[`${v}_${k}`] ?? NaN : NaN));
      source.data = { row: rows.map((_, i) => i), mu_mean: col(line, "mean"), mu_lower: col(line, "lower"),
        mu_upper: col(line, "upper"), y_mean: col(point, "mean"), y_lower: col(point, "lower"), y_upper: col(point, "upper") };
      plot.dataset.points = String(rows.length);
      plot.dataset.revision = String(model.get("revision"));
      plot.dataset.rendered = "true";
    };
    let embedding = Promise.resolve();
    const embedPlot = () => {
      plot.style.display = model.get("show_plot") ? "" : "none";
      const figure = model.get("prediction_figure") || model.get("figure"); // old name: saved before the rename
      if (!model.get("show_plot") || !figure) return;
      embedding = embedding.then(async () => {
        try {
          const Bokeh = await whenBokeh(model, { waiting: noteIn(plot) });
          ({ doc } = await embedFigure(Bokeh, plot, figure, theme));
          fillPlot();
        } catch (err) {
          plot.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
        }
      });
    };

    const onRows = () => { renderHeader(); fillTable(false); fillPlot(); };
    const onMsg = (msg) => { if (msg.type === "rejected") { fillTable(true); renderHeader(); } };
    probSelect.addEventListener("change", () => send("interval", { prob: +probSelect.value, interval: kindSelect.value }));
    kindSelect.addEventListener("change", () => send("interval", { prob: +probSelect.value, interval: kindSelect.value }));
    addButton.addEventListener("click", () => send("add_row"));
    offs.push(listen(model, "change:rows change:revision", onRows));
    offs.push(listen(model, "change:prob change:interval change:interval_label change:draws change:meaning change:variables", renderHeader));
    offs.push(listen(model, "change:prediction_figure change:figure change:show_plot", embedPlot));
    offs.push(listen(model, "msg:custom", onMsg));
    renderHeader();
    fillTable(true);
    embedPlot();
    return () => {
      banner.dispose();
      theme.dispose();
      for (const off of offs) off();
    };
  },
};

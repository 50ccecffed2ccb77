// @ts-check
// PosteriorExplorer view: summary table with problems highlighted, variable and
// coordinate choice, linked trace/rank/pair/predictive plots, forest plot.
// Python side: src/bayes_widgets/widgets/posterior_explorer.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-posterior { max-width: 1100px; }
.bw-posterior .bw-row { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; margin: 4px 0; }
.bw-posterior .bw-table { max-height: 260px; overflow: auto; border: 1px solid var(--bw-rule); }
.bw-posterior table { border-collapse: collapse; }
.bw-posterior th, .bw-posterior td { padding: 1px 8px; text-align: right; white-space: nowrap; }
.bw-posterior th { position: sticky; top: 0; background: var(--bw-bg); }
.bw-posterior td.bw-left, .bw-posterior th.bw-left { text-align: left; }
.bw-posterior tr.bw-problem td { background: color-mix(in srgb, var(--bw-error) 16%, transparent); }
.bw-posterior tr.bw-chosen td.bw-left { font-weight: 600; }
.bw-posterior tr[data-quantity] { cursor: pointer; }
.bw-posterior tr[data-quantity]:hover td { background: color-mix(in srgb, var(--bw-accent) 8%, transparent); }
.bw-posterior select[multiple] { min-width: 160px; }
.bw-posterior .bw-note { color: var(--bw-muted); }
.bw-posterior .bw-problems { color: var(--bw-error); margin: 4px 0; }
.bw-posterior .bw-problems ul { margin: 2px 0 2px 18px; padding: 0; }
.bw-posterior .bw-ok { color: var(--bw-success); margin: 4px 0; }
.bw-posterior td.bw-why { text-align: left; white-space: normal; min-width: 160px; max-width: 320px;
  color: var(--bw-error); }
.bw-posterior tr.bw-group td { font-style: italic; }
.bw-posterior tr.bw-member td.bw-left:first-child { padding-left: 20px; }
.bw-posterior button.bw-link { border: none; background: none; color: var(--bw-accent);
  cursor: pointer; padding: 0 2px; text-decoration: underline; font-style: normal; }
`;

const COLUMNS = [["mean", "mean"], ["sd", "sd"], ["hdi_3%", "hdi 3%"], ["hdi_97%", "hdi 97%"],
  ["ess_bulk", "ess bulk"], ["ess_tail", "ess tail"], ["r_hat", "R-hat"]];

/** A cell's text: an effective sample size is a count of draws (whole, as in the monitor). */
function cellText(key, x) {
  if (key.startsWith("ess_")) return x === null || x === undefined || !Number.isFinite(x) ? "–" : String(Math.round(x));
  return fmt(x, 4);
}

/**
 * A row of the summary table: one quantity (core/fitting/diagnostics.py); also
 * "hdi_3%" and "hdi_97%".
 * @typedef {object} SummaryRow
 * @property {string} name               the quantity, e.g. "theta[0]"
 * @property {string} variable           its variable
 * @property {string} kind               free, deterministic, ...
 * @property {string[]} problems         empty when fine
 * @property {number | null} [mean]
 * @property {number | null} [sd]
 * @property {number | null} [r_hat]
 * @property {number | null} [ess_bulk]
 * @property {number | null} [ess_tail]
 */

/**
 * One line per variable of the summary (its values open below it).
 * @typedef {object} VariableGroup
 * @property {string} variable
 * @property {string} kind
 * @property {number} size
 * @property {number | null} r_hat_max
 * @property {number | null} ess_bulk_min
 * @property {number | null} ess_tail_min
 * @property {string[]} problems
 */

/**
 * A variable to choose: its dims, coordinate labels and quantities.
 * @typedef {object} VariableChoice
 * @property {string} name
 * @property {string[]} dims
 * @property {string[][]} coords        the labels of each dim
 * @property {number} size
 * @property {string[]} quantities
 */

/**
 * The synced traits of PosteriorExplorer (widgets/posterior_explorer.py).
 * @typedef {object} PosteriorExplorerTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {VariableChoice[]} variables
 * @property {SummaryRow[]} summary
 * @property {string[]} problems               every problem of the fit, one sentence each
 * @property {VariableGroup[]} groups
 * @property {string[]} selected               the quantities plotted (at most four)
 * @property {string[]} forest_variables
 * @property {string} posterior_figure         a Bokeh json_item
 * @property {string} forest_figure            a Bokeh json_item
 * @property {string} [figure]                 the old name of posterior_figure, in notebooks saved before
 * @property {string} [forest]                 the old name of forest_figure, in notebooks saved before
 * @property {{chains?: number, draws_per_chain?: number, draws_shown?: number, draws_total?: number}} facts
 */

/** @type {import("./types/anywidget").Widget<PosteriorExplorerTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-posterior", "data-bw-widget": "posterior_explorer",
      "data-testid": "posterior-explorer" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const header = h("div", { class: "bw-note", "data-testid": "header" });
    const problemBox = h("div", { "data-testid": "problems" });
    const table = h("table", { "data-testid": "summary" });
    const variableSelect = h("select", { "data-testid": "variable" });
    const quantitySelect = h("select", { multiple: true, size: 6, "data-testid": "quantities" });
    const plot = h("button", { "data-testid": "plot" }, "Plot selected");
    const forestSelect = h("select", { multiple: true, size: 4, "data-testid": "forest-variables" });
    const selection = h("div", { class: "bw-note", "data-testid": "selection" });
    const figure = h("div", { "data-testid": "figure" });
    const forest = h("div", { "data-testid": "forest" });
    root.append(...[note, banner.el].filter(Boolean), header, problemBox,
      h("div", { class: "bw-row" }, h("div", { class: "bw-table" }, table),
        h("div", {}, h("div", {}, "variable ", variableSelect), quantitySelect, h("div", {}, plot)),
        h("div", {}, h("div", {}, "forest of"), forestSelect)),
      selection, h("div", { class: "bw-row" }, figure, forest));

    const renderHeader = () => {
      const f = model.get("facts") || {};
      const rows = model.get("summary") || [];
      const flagged = rows.filter((r) => (r.problems || []).length).length;
      const problems = model.get("problems") || [];
      header.textContent = `${f.chains ?? "?"} chains × ${f.draws_per_chain ?? "?"} draws; ` +
        `${rows.length} quantities, ${flagged} with a problem` +
        (f.draws_shown < f.draws_total ? `; plots show ${f.draws_shown} of ${f.draws_total} draws` : "");
      root.dataset.problems = String(flagged);
      root.dataset.fitProblems = String(problems.length);
      problemBox.dataset.count = String(problems.length);
      problemBox.className = problems.length ? "bw-problems" : "bw-ok";
      problemBox.replaceChildren(...(problems.length
        ? [h("b", {}, `${problems.length} problem${problems.length === 1 ? "" : "s"}:`),
          h("ul", {}, problems.map((p) => h("li", {}, p)))]
        : ["No problems found: R-hat ≤ 1.01, ESS ≥ 100 per chain, no divergences, tree depth and E-BFMI fine."]));
    };

    const expanded = new Set();
    const quantityRow = (r, chosen, member) => {
      const problems = r.problems || [];
      const tr = h("tr", {
        class: [problems.length ? "bw-problem" : "", chosen.has(r.name) ? "bw-chosen" : "",
          member ? "bw-member" : ""].join(" ").trim() || null,
        "data-quantity": r.name, "data-problem": String(problems.length > 0),
      }, h("td", { class: "bw-left" }, r.name),
      ...COLUMNS.map(([k]) => h("td", { "data-col": k, "data-value": r[k] ?? "" }, cellText(k, r[k]))),
      h("td", { class: "bw-why", "data-testid": "row-problems" }, problems.join("; ")));
      tr.addEventListener("click", () => sendCommand(model, "select", { quantities: [r.name] }));
      return tr;
    };
    const renderTable = () => {
      const rows = model.get("summary") || [];
      const chosen = new Set(model.get("selected") || []);
      const groups = new Map((model.get("groups") || []).map((g) => [g.variable, g]));
      const body = [];
      const done = new Set();
      for (const r of rows) {
        const g = groups.get(r.variable);
        if (!g || g.kind === "free") {
          body.push(quantityRow(r, chosen, false));
          continue;
        }
        if (done.has(g.variable)) continue;
        done.add(g.variable);
        const open = expanded.has(g.variable);
        const toggle = h("button", { class: "bw-link", "data-testid": "expand", "data-variable": g.variable,
          "aria-expanded": open ? "true" : "false" }, open ? "collapse" : "expand");
        toggle.addEventListener("click", (e) => {
          e.stopPropagation();
          if (expanded.has(g.variable)) expanded.delete(g.variable);
          else expanded.add(g.variable);
          renderTable();
        });
        body.push(h("tr", { class: `bw-group${g.problems.length ? " bw-problem" : ""}`, "data-group": g.variable,
          "data-size": g.size, "data-problem": String(g.problems.length > 0) },
          h("td", { class: "bw-left", colspan: COLUMNS.length + 1 },
            `${g.variable} — ${g.size} values, max R-hat ${fmt(g.r_hat_max, 3)}, ` +
            `min ESS bulk ${g.ess_bulk_min === null ? "–" : Math.round(g.ess_bulk_min)}, ` +
            `min ESS tail ${g.ess_tail_min === null ? "–" : Math.round(g.ess_tail_min)} `, toggle),
          h("td", { class: "bw-why", "data-testid": "row-problems" }, g.problems.join("; "))));
        if (open) for (const m of rows.filter((x) => x.variable === g.variable)) body.push(quantityRow(m, chosen, true));
      }
      table.replaceChildren(
        h("tr", {}, h("th", { class: "bw-left" }, "quantity"), ...COLUMNS.map(([, l]) => h("th", {}, l)),
          h("th", { class: "bw-left" }, "problems")),
        ...body);
    };

    // the variable whose quantities the list shows: the one plotted first, until the
    // reader picks another in the selector
    const variableOf = (q) => ((model.get("variables") || []).find((v) => (v.quantities || []).includes(q)) || {}).name;
    let viewed = variableOf((model.get("selected") || [])[0]);
    const renderChoices = () => {
      const vars = model.get("variables") || [];
      if (!vars.some((v) => v.name === viewed)) viewed = vars[0]?.name;
      variableSelect.replaceChildren(...vars.map((v) =>
        h("option", { value: v.name, selected: v.name === viewed }, `${v.name}${v.dims.length ? ` (${v.dims.join(", ")})` : ""}`)));
      variableSelect.value = viewed ?? "";
      const chosen = new Set(model.get("selected") || []);
      const v = vars.find((x) => x.name === viewed);
      quantitySelect.replaceChildren(...(v?.quantities || []).map((q) =>
        h("option", { value: q, selected: chosen.has(q) }, q)));
      root.dataset.viewedVariable = viewed ?? "";
      const forestChosen = new Set(model.get("forest_variables") || []);
      forestSelect.replaceChildren(...vars.map((x) => h("option", { value: x.name, selected: forestChosen.has(x.name) }, x.name)));
    };
    variableSelect.addEventListener("change", () => {
      viewed = variableSelect.value;
      renderChoices();
    });
    plot.addEventListener("click", () => {
      const picked = [...quantitySelect.selectedOptions].map((o) => o.value);
      const others = (model.get("selected") || []).filter((q) => !picked.includes(q));
      sendCommand(model, "select", { quantities: picked.length ? [...picked, ...others].slice(0, 4) : [] });
    });
    forestSelect.addEventListener("change", () =>
      sendCommand(model, "forest", { variables: [...forestSelect.selectedOptions].map((o) => o.value) }));

    let Bokeh = null;
    let shownFigure = null;
    let shownForest = null;
    let unlink = null;
    const trackSelection = (doc) => {
      const draws = byName(doc, "draws");
      const ppc = byName(doc, "ppc");
      const update = () => {
        const n = draws ? draws.selected.indices.length : 0;
        root.dataset.selected = n;
        const alpha = ppc ? ppc.data.alpha : [];
        const highlighted = n ? alpha.filter((a) => a > 0.5).length : 0;
        root.dataset.ppcHighlighted = highlighted;
        selection.textContent = n ? `${n} draws selected` + (ppc ? `; ${highlighted} of their predictive curves shown in red` : "")
          : "select draws with the box or lasso tool in the pair or trace plot";
      };
      update();
      if (!draws) return null;
      // the page's own highlight runs after Bokeh's callback has updated the curves
      const onChange = () => setTimeout(update, 0);
      draws.selected.change.connect(onChange);
      return () => draws.selected.change.disconnect(onChange);
    };
    const renderFigure = async () => {
      const json = model.get("posterior_figure") || model.get("figure"); // old name: saved before the rename
      if (!json || json === shownFigure || !Bokeh) return;
      shownFigure = json;
      try {
        unlink?.();
        const { doc } = await embedFigure(Bokeh, figure, json, theme);
        unlink = trackSelection(doc);
        figure.bokehDocument = doc; // for scripted inspection of the embedded plots
        figure.dataset.quantities = (model.get("selected") || []).join("|");
        figure.dataset.rendered = "true";
      } catch (err) {
        figure.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };
    const renderForest = async () => {
      const json = model.get("forest_figure") || model.get("forest"); // old name: saved before the rename
      if (!json || json === shownForest || !Bokeh) return;
      shownForest = json;
      try {
        await embedFigure(Bokeh, forest, json, theme);
        forest.dataset.rendered = "true";
        forest.dataset.variables = (model.get("forest_variables") || []).join("|");
      } catch (err) {
        forest.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };

    const onSelected = () => {
      // what is plotted now (a row click, Plot selected, or Python's select()) leads the selector
      viewed = variableOf((model.get("selected") || [])[0]) ?? viewed;
      renderTable();
      renderChoices();
    };
    offs.push(listen(model, "change:summary change:facts change:problems", renderHeader));
    offs.push(listen(model, "change:summary change:selected change:groups", onSelected));
    offs.push(listen(model, "change:variables change:forest_variables", renderChoices));
    offs.push(listen(model, "change:posterior_figure change:figure", renderFigure));
    offs.push(listen(model, "change:forest_figure change:forest", renderForest));
    renderHeader();
    renderTable();
    renderChoices();
    try {
      Bokeh = await whenBokeh(model, { waiting: noteIn(figure) });
      await renderFigure();
      await renderForest();
    } catch (err) {
      figure.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      theme.dispose();
      banner.dispose();
      unlink?.();
      for (const off of offs) off();
    };
  },
};

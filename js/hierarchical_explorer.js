// @ts-check
// HierarchicalExplorer view: one group's forecast (bands over observed bars) and the
// densities of group effects; with a cold start, the group's coefficients by each fit.
// Python side: src/bayes_widgets/widgets/hierarchical_explorer.py.
import { listenAll } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-hier { font-family: var(--bw-font, system-ui, sans-serif); font-size: 12px; max-width: 1100px;
  color: var(--bw-fg); }
.bw-hier .bw-row { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; margin: 4px 0; }
.bw-hier .bw-controls { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.bw-hier .bw-note { color: var(--bw-muted); }
.bw-hier .bw-facts span { margin-right: 14px; }
.bw-hier select, .bw-hier input, .bw-hier button { font-size: 12px; }
.bw-hier .bw-features { display: flex; flex-wrap: wrap; gap: 2px 10px; max-width: 560px; }
.bw-hier table { border-collapse: collapse; }
.bw-hier th, .bw-hier td { padding: 1px 8px; text-align: right; border-bottom: 1px solid var(--bw-rule); }
.bw-hier td.bw-left, .bw-hier th.bw-left { text-align: left; }
.bw-hier .bw-table { max-height: 300px; overflow: auto; border: 1px solid var(--bw-rule); }
.bw-hier th { position: sticky; top: 0; background: var(--bw-bg); }
`;

/**
 * The fit, as HierarchicalExplorer._facts writes it.
 * @typedef {object} FitFacts
 * @property {string} method            "svi" or "nuts"
 * @property {string} likelihood
 * @property {number} groups
 * @property {number} times
 * @property {number} features
 * @property {string} target
 * @property {number} observed
 * @property {number} seconds
 * @property {boolean} cold_start
 * @property {number} [steps]           SVI
 * @property {number | null} [divergences]   NUTS
 */

/**
 * The group shown, as _group_facts writes it (null: not a finite number).
 * @typedef {object} GroupFacts
 * @property {number} observed_times
 * @property {number} missing_times
 * @property {number | null} mean_observed
 * @property {number | null} mean_predicted
 * @property {number} [judged_on]
 * @property {number | null} [coverage_90]
 * @property {number | null} [coverage_50]
 * @property {number | null} [median_rel_error]
 */

/**
 * The synced traits of HierarchicalExplorer (widgets/hierarchical_explorer.py).
 * @typedef {object} HierarchicalExplorerTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string[]} groups               every group's label, as text
 * @property {string} group                  the group shown
 * @property {string[]} features             features whose effects can be shown
 * @property {string[]} effects              features whose densities are shown
 * @property {string} transform              "exp" or "log"
 * @property {string} forecast_figure        a Bokeh json_item
 * @property {string} effects_figure         a Bokeh json_item
 * @property {string} [forecast_json]        the old names, in notebooks saved before the rename
 * @property {string} [effects_json]
 * @property {Partial<FitFacts>} facts
 * @property {Partial<GroupFacts>} group_facts
 * @property {Array<Record<string, any>>} coefficients   one row per feature: feature, then each fit's value
 * @property {Record<string, any>} cold_start            the cold-start report's summary
 */

/** @param {number | null | undefined} x */
const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);

/** @type {import("./types/anywidget").Widget<HierarchicalExplorerTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const root = h("div", { class: "bw-root bw-hier", "data-bw-widget": "hierarchical_explorer",
      "data-testid": "hierarchical-explorer" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const header = h("div", { class: "bw-note", "data-testid": "header" });
    const groupSelect = h("select", { "data-testid": "group" });
    const prev = h("button", { "data-testid": "prev", title: "previous group" }, "◀");
    const next = h("button", { "data-testid": "next", title: "next group" }, "▶");
    const groupFacts = h("div", { class: "bw-facts", "data-testid": "group-facts" });
    const forecast = h("div", { "data-testid": "forecast" });
    const featureBoxes = h("div", { class: "bw-features", "data-testid": "features" });
    const transform = h("select", { "data-testid": "transform" },
      h("option", { value: "exp" }, "multiplicative (exp)"), h("option", { value: "log" }, "log scale"));
    const effects = h("div", { "data-testid": "effects" });
    const coldFacts = h("div", { class: "bw-facts", "data-testid": "cold-start" });
    const coefTable = h("table", { "data-testid": "coefficients" });
    const coefBox = h("div", { class: "bw-table" }, coefTable);
    root.append(...[note, banner.el].filter(Boolean), header,
      h("div", { class: "bw-controls" }, "group ", prev, groupSelect, next, groupFacts),
      forecast,
      h("div", { class: "bw-row" },
        h("div", {}, h("div", { class: "bw-controls" }, "effects across groups, ", transform), featureBoxes, effects),
        h("div", {}, coldFacts, coefBox)));

    const renderHeader = () => {
      const f = model.get("facts") || {};
      const how = f.method === "svi" ? `SVI, ${f.steps ?? "?"} steps` : `NUTS, ${f.divergences ?? 0} divergences`;
      header.textContent = `${f.likelihood} GLM${f.cold_start ? " (cold start: global parameters fixed)" : ""}; ` +
        `${f.groups} groups × ${f.times} times × ${f.features} features, ${f.observed} observed; ${how}` +
        (f.seconds ? `, ${f.seconds} s` : "");
    };
    const renderGroups = () => {
      const groups = model.get("groups") || [];
      const current = model.get("group");
      if (groupSelect.options.length !== groups.length) {
        groupSelect.replaceChildren(...groups.map((g) => h("option", { value: g }, g)));
      }
      groupSelect.value = current;
      root.dataset.group = current;
    };
    const renderGroupFacts = () => {
      const f = model.get("group_facts") || {};
      groupFacts.replaceChildren(
        h("span", {}, `observed ${f.observed_times ?? 0}, missing ${f.missing_times ?? 0}`),
        h("span", { "data-testid": "coverage-90", "data-value": f.coverage_90 ?? "" }, `in 90% band ${pct(f.coverage_90)}`),
        h("span", { "data-testid": "coverage-50", "data-value": f.coverage_50 ?? "" }, `in 50% band ${pct(f.coverage_50)}`),
        h("span", { "data-testid": "median-error", "data-value": f.median_rel_error ?? "" },
          `median error ${pct(f.median_rel_error)}${f.judged_on !== undefined ? ` (${f.judged_on} times)` : ""}`));
    };
    const renderFeatures = () => {
      const chosen = new Set(model.get("effects") || []);
      featureBoxes.replaceChildren(...(model.get("features") || []).map((name) => {
        const box = h("input", { type: "checkbox", value: name, checked: chosen.has(name), "data-feature": name });
        box.addEventListener("change", () => {
          const picked = [...featureBoxes.querySelectorAll("input:checked")].map((b) => /** @type {HTMLInputElement} */ (b).value);
          sendCommand(model, "effects", { features: picked, transform: transform.value });
        });
        return h("label", {}, box, name);
      }));
      transform.value = model.get("transform");
      effects.dataset.features = [...chosen].join("|");
    };
    const renderCold = () => {
      const rows = model.get("coefficients") || [];
      const c = model.get("cold_start") || {};
      coefBox.style.display = rows.length ? "" : "none";
      coldFacts.style.display = Object.keys(c).length ? "" : "none";
      if (Object.keys(c).length) {
        coldFacts.replaceChildren(
          h("div", {}, `New groups fitted from their first ${c.known_days} days; median error on the later days:`),
          h("span", { "data-testid": "err-cold", "data-value": c.cold_start_median_err }, `cold start ${pct(c.cold_start_median_err)}`),
          h("span", {}, `full history ${pct(c.full_history_median_err)}`),
          h("span", { "data-testid": "err-glm", "data-value": c.glm_median_err }, `per-group Poisson regression ${pct(c.glm_median_err)}`));
      }
      if (!rows.length) return;
      const cols = Object.keys(rows[0]).filter((k) => k !== "feature");
      coefTable.replaceChildren(
        h("tr", {}, h("th", { class: "bw-left" }, "coefficient"), ...cols.map((k) => h("th", {}, k.replace("_", " ")))),
        ...rows.map((r) => h("tr", { "data-feature": r.feature }, h("td", { class: "bw-left" }, r.feature),
          ...cols.map((k) => h("td", { "data-col": k }, fmt(r[k], 3))))));
    };

    groupSelect.addEventListener("change", () => sendCommand(model, "group", { group: groupSelect.value }));
    prev.addEventListener("click", () => sendCommand(model, "step", { by: -1 }));
    next.addEventListener("click", () => sendCommand(model, "step", { by: 1 }));
    transform.addEventListener("change", () => sendCommand(model, "effects", {
      features: model.get("effects") || [], transform: transform.value }));

    let Bokeh = null;
    const shown = new Map();
    /**
     * Embeds the figure of a trait (or its old name) in ``target`` when it changed.
     * @param {"forecast_figure" | "effects_figure"} trait
     * @param {"forecast_json" | "effects_json"} oldName
     * @param {HTMLElement & {bokehDocument?: any}} target
     * @param {() => void} onDone
     */
    const show = async (trait, oldName, target, onDone) => {
      const json = model.get(trait) || model.get(oldName); // old name: saved before the rename
      if (!json || json === shown.get(trait) || !Bokeh) return;
      shown.set(trait, json);
      try {
        const { doc } = await embedFigure(Bokeh, target, json, theme);
        target.bokehDocument = doc; // for scripted inspection of the embedded plot
        onDone?.();
        target.dataset.rendered = "true";
      } catch (err) {
        target.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };
    const showForecast = () => show("forecast_figure", "forecast_json", forecast, () => { forecast.dataset.group = model.get("group"); });
    const showEffects = () => show("effects_figure", "effects_json", effects, () => {
      effects.dataset.features = (model.get("effects") || []).join("|");
      effects.dataset.transform = model.get("transform");
    });

    const stopListening = listenAll(model, [ // this view's model listeners
      ["change:facts", renderHeader], ["change:groups change:group", renderGroups],
      ["change:group_facts", renderGroupFacts], ["change:features change:effects change:transform", renderFeatures],
      ["change:coefficients change:cold_start", renderCold],
      ["change:forecast_figure change:forecast_json", showForecast],
      ["change:effects_figure change:effects_json", showEffects],
    ]);
    renderHeader();
    renderGroups();
    renderGroupFacts();
    renderFeatures();
    renderCold();
    try {
      Bokeh = await whenBokeh(model, { waiting: noteIn(forecast) });
      await showForecast();
      await showEffects();
    } catch (err) {
      forecast.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      banner.dispose();
      theme.dispose();
      stopListening();
    };
  },
};

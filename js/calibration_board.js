// @ts-check
// CalibrationBoard view: progress of a calibration, per parameter a rank histogram and an
// ECDF difference with its band and a verdict, the notable simulations (a click shows
// their fit's diagnostics), VSBC for SVI, Pause / Resume / Cancel.
// Python side: src/bayes_widgets/widgets/calibration_board.py.
import { listenAll } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, fmtSeconds, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-cal { max-width: 1120px; }
.bw-cal .bw-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 2px 0 6px; }
.bw-cal .bw-bar { width: 160px; height: 8px; background: var(--bw-surface); border: 1px solid var(--bw-rule); }
.bw-cal .bw-bar > div { height: 100%; background: var(--bw-accent); }
.bw-cal .bw-bar > div.bw-failed-part { background: var(--bw-error); float: right; }
.bw-cal .bw-params { display: flex; flex-wrap: wrap; gap: 6px 14px; }
.bw-cal .bw-param { border: 1px solid var(--bw-rule); padding: 2px 4px; }
.bw-cal .bw-param-head { display: flex; gap: 8px; align-items: baseline; }
.bw-cal .bw-param-name { font-weight: 600; }
.bw-cal .bw-count { color: var(--bw-muted); }
.bw-cal .bw-badge { border-radius: 8px; padding: 0 7px; font-size: 11px; }
.bw-cal .bw-badge[data-passed=true] { background: color-mix(in srgb, var(--bw-success) 25%, transparent); }
.bw-cal .bw-badge[data-passed=false] { background: color-mix(in srgb, var(--bw-error) 28%, transparent); }
.bw-cal .bw-badge[data-passed=""] { color: var(--bw-muted); }
.bw-cal table { border-collapse: collapse; margin: 4px 0; }
.bw-cal th, .bw-cal td { padding: 1px 8px; text-align: right; white-space: nowrap; }
.bw-cal td.bw-left, .bw-cal th.bw-left { text-align: left; }
.bw-cal tr.bw-sim { cursor: pointer; }
.bw-cal tr.bw-sim:hover { background: color-mix(in srgb, var(--bw-accent) 8%, transparent); }
.bw-cal tr.bw-selected { background: color-mix(in srgb, var(--bw-accent) 18%, transparent); }
.bw-cal .bw-st-failed { color: var(--bw-error); font-weight: 600; }
.bw-cal .bw-err { max-width: 420px; overflow: hidden; text-overflow: ellipsis; }
.bw-cal h4 { margin: 8px 0 2px; font-size: 12px; }
.bw-cal .bw-message { color: var(--bw-muted); }
.bw-cal .bw-columns { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
`;

const FINAL = new Set(["done", "cancelled", "failed", "error"]);

/**
 * One parameter's curves as Python sends them (core/figures/calibration.py: parameter_columns).
 * @typedef {object} Curves
 * @property {Record<string, number[]>} hist     left, right, count, expected, lower, upper
 * @property {Record<string, Array<number | null>>} ecdf   x, difference
 * @property {Record<string, Array<number | null>>} band   x, lower, upper (steps)
 * @property {Record<string, Array<number | null>>} outside   x, y
 * @property {number} n                          ranks so far
 */

/**
 * @typedef {object} Verdict
 * @property {number | null} p_value
 * @property {boolean} passed
 * @property {string} direction   calibrated, over-dispersed, under-dispersed, biased high, biased low
 */

/**
 * A notable simulation (failed, diverged or among the slowest).
 * @typedef {object} SimulationRow
 * @property {number} index
 * @property {string} status
 * @property {number | null} wall_s
 * @property {number | null} divergences
 * @property {number | null} rhat_max
 * @property {number | null} ess_bulk_min
 * @property {string} error
 * @property {string[]} reasons   failed, diverged, slow
 */

/**
 * The synced traits of CalibrationBoard (widgets/calibration_board.py).
 * @typedef {object} CalibrationBoardTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string} status          created, running, paused, done, cancelled, failed or error
 * @property {string} message
 * @property {string} method          nuts or svi
 * @property {string[]} parameters
 * @property {number} max_rank
 * @property {number} bins
 * @property {number} prob
 * @property {Record<string, any>} progress   total, done, failed, running, queued, sims_per_min, elapsed_s, eta_s
 * @property {string} parameter_figure   a Bokeh json_item: one parameter's empty plots
 * @property {Record<string, Curves>} curves
 * @property {Record<string, Verdict>} verdicts
 * @property {SimulationRow[]} notable
 * @property {number} selected        index of the simulation whose diagnostics are shown, -1 none
 * @property {Record<string, any>} selected_diagnostics
 * @property {Array<Record<string, any>>} vsbc   parameter, statistic, p_value, verdict
 */

/** @typedef {import("./types/anywidget").AnyModel<CalibrationBoardTraits>} Model */

/** A json_item's model ids made unique to one copy (as core/figures/base.py: fresh_ids). */
const freshIds = (/** @type {string} */ text, /** @type {string} */ suffix) =>
  text.replace(/"(id|root_id)": "([^"\\]+)"/g, (_m, key, id) => `"${key}": "${id}-${suffix}"`);

/** @param {Model} model */
function header(model) {
  const status = h("span", { class: "bw-status", "data-testid": "status" });
  const done = h("div", {});
  const failed = h("div", { class: "bw-failed-part" });
  const counts = h("span", { "data-testid": "counts" });
  const cancel = h("button", { "data-testid": "cancel", title: "Stop; keep the simulations done" }, "Cancel");
  const pause = h("button", { "data-testid": "pause", title: "Start no new simulation until resumed" }, "Pause");
  const resume = h("button", { "data-testid": "resume" }, "Resume");
  cancel.addEventListener("click", () => sendCommand(model, "cancel"));
  pause.addEventListener("click", () => sendCommand(model, "pause"));
  resume.addEventListener("click", () => sendCommand(model, "resume"));
  const el = h("div", { class: "bw-head" }, h("b", {}, "Calibration"), status,
    h("div", { class: "bw-bar" }, failed, done), counts, cancel, pause, resume);
  const update = (/** @type {HTMLElement} */ root) => {
    const st = model.get("status");
    const p = model.get("progress") || {};
    const total = p.total || 0;
    root.dataset.status = st;
    root.dataset.done = String(p.done ?? 0);
    root.dataset.failed = String(p.failed ?? 0);
    status.textContent = `${st}${model.get("method") === "svi" ? " · SVI" : ""}`;
    done.style.width = `${total ? Math.round((100 * (p.done || 0)) / total) : 0}%`;
    failed.style.width = `${total ? Math.round((100 * (p.failed || 0)) / total) : 0}%`;
    const rate = p.sims_per_min ? ` · ${fmt(p.sims_per_min)} sims/min` : "";
    const eta = !FINAL.has(st) && p.eta_s != null ? ` · ETA ${fmtSeconds(p.eta_s)}` : "";
    counts.textContent = `done ${p.done ?? 0} · failed ${p.failed ?? 0} · running ${p.running ?? 0} of ${total}` +
      `${rate} · ${fmtSeconds(p.elapsed_s)}${eta}`;
    const live = !FINAL.has(st) && st !== "created";
    cancel.disabled = !live;
    pause.disabled = st !== "running";
    resume.disabled = st !== "paused";
  };
  return { el, update };
}

/**
 * A card per parameter: name, verdict badge, ranks so far, and its plots (embedded once,
 * their sources refilled as ranks arrive).
 * @param {Model} model
 * @param {HTMLElement} container
 * @param {FigureTheme} theme
 */
function parameterCards(model, container, theme) {
  /** @type {Map<string, {card: HTMLElement, badge: HTMLElement, count: HTMLElement, plot: HTMLElement, doc: any, shown: number}>} */
  const cards = new Map();
  let template = "";
  let disposed = false;

  const fill = (/** @type {string} */ name) => {
    const c = cards.get(name);
    const curves = (model.get("curves") || {})[name];
    if (!c || !c.doc || !curves) return;
    for (const key of ["hist", "ecdf", "band", "outside"]) {
      const src = byName(c.doc, key);
      if (src) src.data = { ...curves[key] };
    }
    c.shown = curves.n;
    c.plot.dataset.shown = String(curves.n);
  };

  const build = () => {
    const names = model.get("parameters") || [];
    if (names.length === cards.size && names.every((n) => cards.has(n))) return;
    cards.clear();
    container.replaceChildren(...names.map((name) => {
      const badge = h("span", { class: "bw-badge", "data-testid": "verdict", "data-passed": "" }, "waiting");
      const count = h("span", { class: "bw-count", "data-testid": "count", "data-count": "0" }, "0 ranks");
      const plot = h("div", { "data-testid": "plots" });
      const card = h("div", { class: "bw-param", "data-param": name, "data-testid": "parameter" },
        h("div", { class: "bw-param-head" }, h("span", { class: "bw-param-name" }, name), badge, count), plot);
      cards.set(name, { card, badge, count, plot, doc: null, shown: -1 });
      return card;
    }));
    template = "";
  };

  const embedAll = async () => {
    const json = model.get("parameter_figure");
    if (!json || json === template || !cards.size) return;
    template = json;
    try {
      const Bokeh = await whenBokeh(model, { waiting: noteIn(container) });
      let k = 0;
      for (const [name, c] of cards) {
        if (disposed || template !== json) return;
        const { doc } = await embedFigure(Bokeh, c.plot, freshIds(json, `${++k}-${Math.random().toString(36).slice(2, 8)}`), theme);
        c.doc = doc;
        fill(name);
      }
    } catch (err) {
      container.prepend(h("div", { class: "bw-error" }, `Plots unavailable: ${err.message}`));
    }
  };

  const update = () => {
    const curves = model.get("curves") || {};
    const verdicts = model.get("verdicts") || {};
    for (const [name, c] of cards) {
      const n = curves[name]?.n ?? 0;
      c.count.textContent = `${n} ranks`;
      c.count.dataset.count = String(n);
      const v = verdicts[name];
      c.badge.textContent = v ? v.direction : "waiting";
      c.badge.dataset.passed = v ? String(v.passed) : "";
      c.badge.title = v && v.p_value != null ? `uniformity test p = ${fmt(v.p_value, 2)}` : "no ranks yet";
      c.card.dataset.verdict = v ? v.direction : "";
      if (n !== c.shown) fill(name);
    }
  };
  return { build, embedAll, update, dispose: () => { disposed = true; } };
}

/** @type {Array<{key: string, label: string, show: (r: SimulationRow) => string}>} */
const SIM_COLUMNS = [
  { key: "index", label: "sim", show: (r) => String(r.index) },
  { key: "status", label: "status", show: (r) => r.status },
  { key: "reasons", label: "why", show: (r) => (r.reasons || []).join(", ") },
  { key: "wall_s", label: "seconds", show: (r) => fmt(r.wall_s) },
  { key: "divergences", label: "divergences", show: (r) => fmt(r.divergences) },
  { key: "rhat_max", label: "max R-hat", show: (r) => fmt(r.rhat_max, 4) },
  { key: "ess_bulk_min", label: "min ESS", show: (r) => fmt(r.ess_bulk_min) },
];

/** @param {Model} model @param {HTMLElement} table */
function renderSimulations(model, table) {
  const rows = model.get("notable") || [];
  const selected = model.get("selected");
  const head = h("tr", {}, ...SIM_COLUMNS.map(({ label }, i) => h("th", { class: i < 3 ? "bw-left" : null }, label)),
    h("th", { class: "bw-left" }, "error"));
  table.replaceChildren(head, ...rows.map((r) => {
    const tr = h("tr", { class: `bw-sim${r.index === selected ? " bw-selected" : ""}`, "data-index": r.index,
      "data-status": r.status, "data-testid": "simulation" },
    ...SIM_COLUMNS.map(({ key, show }, i) => h("td", { class: `${i < 3 ? "bw-left" : ""}${key === "status" ? ` bw-st-${r.status}` : ""}` }, show(r))),
    h("td", { class: "bw-left bw-err", title: r.error || "" }, r.error || ""));
    tr.addEventListener("click", () => sendCommand(model, "select", { index: r.index }));
    return tr;
  }));
  table.style.display = rows.length ? "" : "none";
}

/** A value of a diagnostics dict as text or a small table. @param {any} v @returns {Node | string} */
function showValue(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return fmt(v, 4);
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return h("table", {}, h("tr", {}, ...keys.map((k) => h("th", {}, k))),
        ...v.map((x) => h("tr", {}, ...keys.map((k) => h("td", {}, showValue(x[k]))))));
    }
    return v.map((x) => (typeof x === "number" ? fmt(x, 4) : String(x))).join(", ");
  }
  return h("table", {}, ...Object.entries(v).map(([k, x]) => h("tr", {}, h("th", { class: "bw-left" }, k), h("td", { class: "bw-left" }, showValue(x)))));
}

/** @param {Model} model @param {HTMLElement} el */
function renderDiagnostics(model, el) {
  const d = model.get("selected_diagnostics") || {};
  const index = model.get("selected");
  if (index < 0 || !Object.keys(d).length) {
    el.replaceChildren();
    el.dataset.index = "";
    return;
  }
  el.dataset.index = String(index);
  el.replaceChildren(h("h4", {}, `Simulation ${index}: its fit's diagnostics`), showValue(d));
}

/** @param {Model} model @param {HTMLElement} el */
function renderVsbc(model, el) {
  const rows = model.get("vsbc") || [];
  if (!rows.length) {
    el.replaceChildren();
    return;
  }
  el.replaceChildren(h("h4", {}, "VSBC (variational fits): symmetry of the posterior quantiles of the truth"),
    h("table", { "data-testid": "vsbc-table" },
      h("tr", {}, h("th", { class: "bw-left" }, "parameter"), h("th", {}, "statistic"), h("th", {}, "p-value"), h("th", { class: "bw-left" }, "verdict")),
      ...rows.map((r) => h("tr", { "data-param": r.parameter },
        h("td", { class: "bw-left" }, r.parameter), h("td", {}, fmt(r.statistic, 3)), h("td", {}, fmt(r.p_value, 3)),
        h("td", { class: "bw-left" }, r.verdict)))));
}

/** @type {import("./types/anywidget").Widget<CalibrationBoardTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const root = h("div", { class: "bw-root bw-cal", "data-bw-widget": "calibration_board", "data-testid": "calibration-board" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const head = header(model);
    const message = h("div", { class: "bw-message", "data-testid": "message" });
    const params = h("div", { class: "bw-params", "data-testid": "parameters" });
    const simTable = h("table", { "data-testid": "simulations" });
    const simTitle = h("h4", {}, "Simulations that failed, diverged or ran slowest (click one for its diagnostics)");
    const diag = h("div", { "data-testid": "diagnostics" });
    const vsbc = h("div", { "data-testid": "vsbc" });
    root.append(...[note, head.el, banner.el, message, params,
      h("div", { class: "bw-columns" }, h("div", {}, simTitle, simTable), diag), vsbc].filter(Boolean));
    const cards = parameterCards(model, params, theme);

    const updateHead = () => {
      head.update(root);
      message.textContent = model.get("message") || "";
      message.style.display = message.textContent ? "" : "none";
    };
    const updateSims = () => {
      renderSimulations(model, simTable);
      simTitle.style.display = simTable.style.display;
    };
    const rebuild = () => { cards.build(); cards.update(); void cards.embedAll(); };
    const offs = listenAll(model, [
      ["change:status change:progress change:message change:method", updateHead],
      ["change:parameters change:parameter_figure", rebuild],
      ["change:curves change:verdicts", () => cards.update()],
      ["change:notable change:selected", updateSims],
      ["change:selected_diagnostics change:selected", () => renderDiagnostics(model, diag)],
      ["change:vsbc", () => renderVsbc(model, vsbc)],
    ]);
    updateHead();
    updateSims();
    renderDiagnostics(model, diag);
    renderVsbc(model, vsbc);
    cards.build();
    cards.update();
    await cards.embedAll();
    return () => {
      cards.dispose();
      theme.dispose();
      banner.dispose();
      offs();
    };
  },
};

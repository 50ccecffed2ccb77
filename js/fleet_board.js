// @ts-check
// FleetBoard view: live table of runs, pass/fail thresholds, a run's plots on click.
// Python side: src/bayes_widgets/widgets/fleet_board.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { InputErrors, numberBox } from "./lib/inputs.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-board { max-width: 1000px; }
.bw-board table { border-collapse: collapse; margin: 6px 0; }
.bw-board .bw-scroll { overflow-x: auto; max-width: 100%; }
.bw-board th, .bw-board td { padding: 2px 8px; text-align: right; white-space: nowrap; }
.bw-board td.bw-left, .bw-board th.bw-left { text-align: left; }
.bw-board tr.bw-run { cursor: pointer; }
.bw-board tr.bw-run:hover { background: color-mix(in srgb, var(--bw-accent) 8%, transparent); }
.bw-board tr.bw-selected { background: color-mix(in srgb, var(--bw-accent) 18%, transparent); }
.bw-board td.bw-pass { background: color-mix(in srgb, var(--bw-success) 22%, transparent); }
.bw-board td.bw-fail { background: color-mix(in srgb, var(--bw-error) 25%, transparent); }
.bw-board .bw-st-failed { color: var(--bw-error); font-weight: 600; }
.bw-board .bw-st-running { color: var(--bw-accent); }
.bw-board .bw-st-queued { color: var(--bw-muted); }
.bw-board .bw-st-waiting { color: var(--bw-muted); font-style: italic; }
.bw-board .bw-st-lost { color: var(--bw-error); font-style: italic; }
.bw-board .bw-st-unreadable { color: var(--bw-error); }
.bw-board .bw-fleet-waiting { color: var(--bw-error); font-weight: 600; }
.bw-board progress { width: 70px; height: 8px; }
`;

const OPS = { "<=": (a, b) => a <= b, ">=": (a, b) => a >= b, "<": (a, b) => a < b, ">": (a, b) => a > b };

function verdict(thresholds, metric, value) {
  const rule = thresholds[metric];
  if (!rule || value === null || value === undefined || typeof value !== "number") return null;
  return OPS[rule.op]?.(value, rule.value) ? "pass" : "fail";
}

/**
 * One run of the fleet as Python sends it (core/fleet/live.py: fleet_rows).
 * @typedef {object} FleetRow
 * @property {string} run_id
 * @property {string} status          queued, running, waiting, done, failed or lost
 * @property {number | null} [fraction]   progress of a running run, 0 to 1
 * @property {number | null} [seconds]
 * @property {string} [error]
 * @property {string} [note]
 * @property {string} [worker]
 * @property {Record<string, any>} metrics
 */

/**
 * The synced traits of FleetBoard (widgets/fleet_board.py).
 * @typedef {object} FleetBoardTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string} out
 * @property {FleetRow[]} runs
 * @property {string[]} columns          metric columns shown
 * @property {Record<string, {op: string, value: number}>} thresholds
 * @property {string} selected
 * @property {string} detail_figure      a Bokeh json_item of the selected run's plots
 * @property {boolean} running
 * @property {string} fleet_state        "running", "waiting for workers" or ""
 */

/** @type {import("./types/anywidget").Widget<FleetBoardTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-board", "data-bw-widget": "fleet_board", "data-testid": "fleet-board" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const header = h("div", {});
    const table = h("table", { "data-testid": "runs" });
    const rules = h("div", { "data-testid": "thresholds" });
    const ruleErrors = new InputErrors();
    const detail = h("div", { "data-testid": "detail" });
    root.append(...[note, banner.el, header, rules, ruleErrors.el, h("div", { class: "bw-scroll" }, table), detail].filter(Boolean));

    const renderRules = () => {
      const thresholds = model.get("thresholds") || {};
      const columns = model.get("columns") || [];
      rules.replaceChildren(h("span", {}, "thresholds: "), ...columns.map((c) => {
        /** @type {{op?: string, value?: number}} */
        const rule = thresholds[c] || {};
        const op = h("select", { "data-metric": c },
          ...["", "<=", ">=", "<", ">"].map((o) => h("option", { value: o, selected: (rule.op || "") === o }, o || "–")));
        // a threshold applies on Enter and on change (blur, Tab); an empty box removes the
        // rule, a non-numeric one is refused inline naming the metric
        let current = rule.value ?? null;
        const send = () => {
          const next = { ...(model.get("thresholds") || {}) };
          if (op.value && current !== null) next[c] = { op: op.value, value: current };
          else delete next[c];
          sendCommand(model, "thresholds", { thresholds: next });
        };
        const value = numberBox({ field: `threshold ${c}`, value: rule.value == null ? "" : String(rule.value), errors: ruleErrors,
          allowEmpty: true, testid: `threshold-${c}`, minChars: 7,
          onCommit: (v) => { current = v; send(); } });
        op.addEventListener("change", send);
        return h("label", { style: "margin-right:10px" }, `${c} `, op, value);
      }));
    };

    const renderTable = () => {
      const runs = model.get("runs") || [];
      const columns = model.get("columns") || [];
      const thresholds = model.get("thresholds") || {};
      const counts = {};
      for (const r of runs) counts[r.status] = (counts[r.status] || 0) + 1;
      // queued, waiting, running, done, failed and lost are always counted; anything else
      // a record says (e.g. unreadable) only when present
      const shown = ["queued", "waiting", "running", "done", "failed", "lost"];
      const extra = Object.keys(counts).filter((s) => !shown.includes(s));
      const state = model.get("fleet_state") || "";
      header.replaceChildren(`${model.get("out") || ""} — ` +
        [...shown.filter((s) => s !== "waiting" || counts.waiting), ...extra]
          .map((s) => `${s}: ${counts[s] || 0}`).join(" · ") +
        (model.get("running") ? " (fleet running)" : ""),
        ...(state === "waiting for workers"
          ? [" ", h("span", { class: "bw-fleet-waiting", "data-testid": "fleet-state" }, "— waiting for workers")]
          : []));
      root.dataset.fleetState = state;
      for (const s of shown) root.dataset[s] = counts[s] || 0;
      const head = h("tr", {}, h("th", { class: "bw-left" }, "run"), h("th", { class: "bw-left" }, "status"),
        h("th", {}, "seconds"), ...columns.map((c) => h("th", {}, c)));
      const body = runs.map((r) => {
        const status = r.status === "running" && r.fraction !== undefined && r.fraction !== null
          ? h("span", { class: "bw-st-running" }, h("progress", { max: 1, value: r.fraction }), ` ${Math.round(100 * r.fraction)}%`)
          : h("span", { class: `bw-st-${r.status}`,
            title: [r.error, r.note, r.worker && `worker ${r.worker}`].filter(Boolean).join("\n") }, r.status);
        const row = h("tr", {
          class: `bw-run${r.run_id === model.get("selected") ? " bw-selected" : ""}`,
          "data-run": r.run_id, "data-status": r.status,
        }, h("td", { class: "bw-left" }, r.run_id), h("td", { class: "bw-left" }, status), h("td", {}, fmt(r.seconds)),
        ...columns.map((c) => {
          const v = (r.metrics || {})[c];
          const verdictClass = verdict(thresholds, c, v);
          return h("td", { class: verdictClass ? `bw-${verdictClass}` : null, "data-metric": c,
            "data-verdict": verdictClass || "" }, fmt(v, 4));
        }));
        row.addEventListener("click", () => sendCommand(model, "select", { run_id: r.run_id }));
        return row;
      });
      table.replaceChildren(head, ...body);
    };

    let shown = null;
    const renderDetail = async () => {
      const json = model.get("detail_figure");
      if (!json || json === shown) return;
      shown = json;
      try {
        const Bokeh = await whenBokeh(model, { waiting: noteIn(detail) });
        await embedFigure(Bokeh, detail, json, theme);
        detail.dataset.run = model.get("selected");
      } catch (err) {
        detail.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };

    const onTable = () => renderTable();
    const onRules = () => { renderRules(); renderTable(); };
    offs.push(listen(model, "change:runs change:selected change:running change:out change:fleet_state", onTable));
    offs.push(listen(model, "change:thresholds change:columns", onRules));
    offs.push(listen(model, "change:detail_figure", renderDetail));
    renderRules();
    renderTable();
    await renderDetail();
    return () => {
      theme.dispose();
      banner.dispose();
      for (const off of offs) off();
    };
  },
};

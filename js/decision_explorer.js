// @ts-check
// DecisionExplorer view: a slider and a number box per decision variable, the outcome
// distribution redrawn on every move, Optimise, reference decisions, risk–return view.
// Python side: src/bayes_widgets/widgets/decision_explorer.py.
//
// A reply to a slider move repaints the outcome histogram (its data source and the mean
// and CVaR markers) and the statistics line, nothing else: the table of decisions and
// the risk–return point follow at most every SECONDARY_MS, and once more when the moves
// stop; the plot's axes only widen while a slider is held (they tighten to the data when
// it is let go), so the axes and their labels are not laid out again on every move. The
// legends are HTML below the plots (a Bokeh legend is repainted with every change of the
// plot) and list only what is drawn.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { skipUnchangedStyleWrites } from "./lib/bokeh_tune.js";
import { h, fmt, morph, errorBanner, versionNote, batchChanges } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { InputErrors, InputLatency, LatestSender, SliceCache, nextSeq, numberBox, trackDrag } from "./lib/inputs.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const SECONDARY_MS = 150;

const css = `
.bw-decision { max-width: 1040px; }
.bw-decision .bw-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
/* one grid for every variable's row, so the columns line up under their heading */
.bw-decision .bw-vars { display: grid; justify-content: start; align-items: center; gap: 4px 8px; margin: 2px 0;
  grid-template-columns: var(--bw-name-width, 12ch) minmax(140px, 260px) max-content max-content max-content max-content; }
.bw-decision .bw-var { display: contents; }
.bw-decision .bw-var-head { color: var(--bw-muted); font-size: 11px; margin: 0; white-space: nowrap; }
.bw-decision .bw-marginal { white-space: nowrap; font-variant-numeric: tabular-nums; }
.bw-decision .bw-flag { color: var(--bw-fg); background: color-mix(in srgb, var(--bw-warn) 30%, var(--bw-bg));
  padding: 0 5px; border-radius: 3px; white-space: nowrap; font-size: 11px; }
.bw-decision .bw-flag:empty { background: none; padding: 0; }
.bw-decision td.bw-extrapolated { text-decoration: underline dotted var(--bw-warn); text-underline-offset: 3px; }
.bw-decision .bw-var b { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bw-decision .bw-bounds { color: var(--bw-muted); white-space: nowrap; }
/* a legend as wide as its plot, never wider: it wraps instead of pushing the plots apart */
.bw-decision .bw-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0 0 4px 44px; font-size: 11px;
  width: 0; min-width: calc(100% - 44px); }
.bw-decision .bw-key { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.bw-decision .bw-swatch { display: inline-block; box-sizing: border-box; width: 16px; height: 10px; }
.bw-decision .bw-swatch-current { background: rgba(31, 119, 180, 0.55); border: 1px solid #1f77b4; }
.bw-decision .bw-swatch-reference { border: 1.5px solid #ff7f0e; border-bottom: none; }
.bw-decision .bw-swatch-mean { height: 0; border-top: 2px solid var(--bw-fg); }
.bw-decision .bw-swatch-cvar { height: 0; border-top: 2px dashed #9467bd; }
.bw-decision .bw-swatch-loss { background: rgba(214, 39, 40, 0.12); border-right: 1.5px dashed #d62728; }
.bw-decision .bw-swatch-frontier { height: 8px; background: radial-gradient(circle, #9467bd 3px, transparent 3.5px),
  linear-gradient(#9467bd, #9467bd) center / 100% 2px no-repeat; }
.bw-decision .bw-swatch-reference-point { width: 9px; height: 9px; background: #ff7f0e; }
.bw-decision .bw-swatch-current-point { width: 9px; height: 9px; background: #1f77b4; transform: rotate(45deg) scale(0.85); }
.bw-decision input.bw-invalid { outline: 2px solid var(--bw-error); }
.bw-decision .bw-advice { color: var(--bw-fg); background: color-mix(in srgb, var(--bw-warn) 18%, var(--bw-bg)); padding: 2px 6px; }
.bw-decision table { border-collapse: collapse; margin: 4px 0; }
.bw-decision .bw-scroll { overflow-x: auto; max-width: 100%; }
.bw-decision th, .bw-decision td { padding: 2px 8px; text-align: right; white-space: nowrap; }
.bw-decision td.bw-left, .bw-decision th.bw-left { text-align: left; }
.bw-decision .bw-stats span { margin-right: 14px; }
.bw-decision .bw-stats b { font-size: 14px; }
.bw-decision .bw-infeasible { color: var(--bw-error); font-weight: 600; }
.bw-decision .bw-ok { color: var(--bw-success); }
.bw-decision .bw-note { color: var(--bw-muted); }
.bw-decision .bw-breakdown { margin: 4px 0; }
.bw-decision .bw-breakdown select { margin-left: 6px; }
.bw-decision tr.bw-this { background: color-mix(in srgb, var(--bw-accent) 12%, transparent); }
`;

/** A value for an input box: integers as they are, others to 6 significant digits, and
 * 0 below the variable's resolution. */
function exact(x, resolution = null) {
  if (!Number.isFinite(x)) return "";
  if (resolution && Math.abs(x) < resolution) return "0";
  return String(Number(x.toPrecision(6)));
}

function percent(p) {
  return p === null || p === undefined ? "–" : `${(100 * p).toFixed(1)}%`;
}

/** A risk measure in the page's words, the same in the menu, the optimum line and the
 * advice: "expected profit", "CVaR 5%", "quantile 10%", "P(loss)". */
function measureText(name, level, outcome) {
  const at = level === null || level === undefined ? "" : ` ${+(100 * level).toFixed(2)}%`;
  if (name === "mean") return `expected ${outcome}`;
  if (name === "cvar") return `CVaR${at}`;
  if (name === "quantile") return `quantile${at}`;
  if (name === "prob_loss") return "P(loss)";
  return String(name ?? "");
}

/** A legend entry: a swatch drawn like the plot's glyph, and its label. */
function key(kind, label) {
  return h("span", { class: "bw-key", "data-key": kind },
    h("span", { class: `bw-swatch bw-swatch-${kind}`, "aria-hidden": "true" }), label);
}

function decisionText(x, variables) {
  return variables.map((v) => `${v.name}=${fmt(x?.[v.name], 4, v.resolution)}`).join(", ");
}

/**
 * A decision's outcome summary as the kernel sends it (core.decision.risk.OutcomeSummary
 * in JSON, with the decision and what the page shows beside it).
 * @typedef {object} DecisionSummary
 * @property {Record<string, number>} [x]          the decision by variable name
 * @property {number | null} [mean]
 * @property {number | null} [sd]
 * @property {number | null} [cvar]
 * @property {number | null} [prob_loss]
 * @property {Record<string, number | null>} [quantiles]
 * @property {number[]} [counts]
 * @property {number[]} [edges]
 * @property {Array<{name: string, violation: number | null, ok: boolean}>} [constraints]
 * @property {boolean} [feasible]
 * @property {Array<{label: string, by: number | null}>} [better]   references doing better
 * @property {{x: number[], y: number[]}} [view]   the outcome plot's extent
 * @property {Array<Extrapolation>} [extrapolation]   variables outside their observed range
 * @property {{label: string, prob: number, values: Record<string, {mean: number | null,
 *   lower: number | null, upper: number | null}>}} [marginals]   per variable, if the problem has them
 * @property {Breakdown} [breakdown]   the selected group's part of the decision (a geo MMM's geo)
 */

/**
 * One group's part of a decision (core.mmm.budget_view.geo_breakdown): its rows per
 * variable and its own outcome.
 * @typedef {object} Breakdown
 * @property {string} group
 * @property {string | null} label                 what a group is ("geo")
 * @property {string | null} marginal_label
 * @property {number} prob
 * @property {{mean: number | null, lower: number | null, upper: number | null, share: number | null}} response
 * @property {Array<{name: string, column: string, spend: number, share: number | null, observed: [number, number],
 *   extrapolation: Extrapolation | null, marginal: {mean: number | null, lower: number | null, upper: number | null}}>} rows
 */

/**
 * A variable outside the range its values were observed in (core.decision.ranges.Extrapolation).
 * @typedef {object} Extrapolation
 * @property {string} name
 * @property {number} value
 * @property {number} low
 * @property {number} high
 * @property {"above" | "below"} side
 * @property {string} message
 */

/**
 * The synced traits of DecisionExplorer (widgets/decision_explorer.py).
 * @typedef {object} DecisionExplorerTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {{seq: number, n: number}} applied
 * @property {Array<{name: string, lower: number, upper: number, integer: boolean, step: number, resolution: number,
 *   observed: [number, number] | null}>} variables
 * @property {Record<string, number>} decision
 * @property {DecisionSummary} summary
 * @property {string} objective                 "mean", "cvar", "quantile" or "prob_loss"
 * @property {number | null} level
 * @property {Record<string, any>} optimum      the last optimization (empty before one)
 * @property {Array<DecisionSummary & {label: string, outline: {x: number[], y: number[]}}>} references
 * @property {Record<string, any>} comparison   a held-out verdict, or empty
 * @property {Array<{alpha: number, x: Record<string, number>, mean: number, cvar: number, label?: string}>} frontier
 * @property {number[]} alphas
 * @property {number} cvar_alpha
 * @property {string} outcome                   what the outcome is called ("profit", ...)
 * @property {string} status                    "idle", "optimising" or "frontier"
 * @property {number} evaluations
 * @property {string} outcome_figure            a Bokeh json_item
 * @property {string} frontier_figure           a Bokeh json_item
 * @property {number} dominated
 * @property {string[]} groups                  what a decision can be broken down by (geos)
 * @property {string} group_label               what a group is ("geo")
 * @property {string} group                     the group shown broken down ("" for none)
 */

/** @type {import("./types/anywidget").Widget<DecisionExplorerTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-decision", "data-bw-widget": "decision_explorer",
      "data-testid": "decision-explorer" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const controls = h("div", { class: "bw-vars", "data-testid": "variables" });
    const stats = h("div", { class: "bw-row bw-stats", "data-testid": "stats" });
    const constraints = h("div", { "data-testid": "constraints" });
    const extrapolation = h("div", { class: "bw-advice", role: "status", "data-testid": "extrapolation",
      style: "display:none" });
    const objective = h("select", { "data-testid": "objective" },
      ...["mean", "cvar", "quantile", "prob_loss"]
        .map((v) => h("option", { value: v }, measureText(v, null, model.get("outcome")))));
    const level = h("input", { type: "number", step: "any", min: 0, max: 1, "data-testid": "level",
      title: "CVaR share or quantile level", style: "width:60px" });
    const optimiseButton = h("button", { "data-testid": "optimise" }, "Optimise");
    const frontierButton = h("button", { "data-testid": "frontier-button" }, "Risk–return");
    const status = h("span", { class: "bw-note", "data-testid": "status" });
    const optimumNote = h("div", { class: "bw-note", "data-testid": "optimum" });
    const advice = h("div", { class: "bw-advice", role: "status", "data-testid": "advice", style: "display:none" });
    const frontierNote = h("div", { class: "bw-note", "data-testid": "frontier-note", style: "max-width:400px" });
    const outcomeLegend = h("div", { class: "bw-legend", "data-testid": "outcome-legend" });
    const frontierLegend = h("div", { class: "bw-legend", "data-testid": "frontier-legend" });
    const errors = new InputErrors();
    const latency = new InputLatency("decision_explorer");
    let lastLocal = 0; // number of the newest input made on this page
    let paints = 0;
    const table = h("table", { "data-testid": "decisions" });
    const verdict = h("div", { "data-testid": "comparison" });
    const groupSelect = h("select", { "data-testid": "group" });
    const groupNote = h("span", { class: "bw-note", "data-testid": "group-response" });
    const groupTable = h("table", { "data-testid": "breakdown" });
    const groupBox = h("div", { class: "bw-breakdown", "data-testid": "group-box", style: "display:none" },
      h("div", { class: "bw-row" }, h("label", {}, "show ", groupSelect), groupNote), h("div", { class: "bw-scroll" }, groupTable));
    const outcomeFig = h("div", { "data-testid": "outcome-figure" });
    const frontierFig = h("div", { "data-testid": "frontier-figure" });
    root.append(
      ...[note, banner.el].filter(Boolean), errors.el,
      controls, stats, constraints, extrapolation, advice, groupBox,
      h("div", { class: "bw-row" }, "optimise ", objective, level, optimiseButton, frontierButton, status),
      optimumNote, h("div", { class: "bw-scroll" }, table), verdict,
      h("div", { class: "bw-row", style: "align-items:flex-start" }, h("div", {}, outcomeFig, outcomeLegend),
        h("div", {}, frontierFig, frontierLegend, frontierNote)),
    );

    const inputs = {}; // name -> {slider, box, dragging, spec, marginal, flag}
    const current = () => ({ ...(model.get("decision") || {}) });
    const sender = new LatestSender((x, seq) => {
      latency.sent(seq);
      sendCommand(model, "evaluate", { x, seq });
    });
    const evaluate = (x, input = true) => {
      const seq = nextSeq();
      lastLocal = seq;
      if (input) latency.input(seq); // (not for a position already painted from a slice)
      sender.push(x, seq);
    };
    // Slider positions painted from a slice (see SliceCache) are not sent while the slider
    // moves: the position let go of is, and its reply puts the same summary in the traits.
    let local = null; // {seq, x, summary, sent}: the newest position painted from a slice
    const shownSummary = () =>
      (local && (model.get("applied")?.seq || 0) < local.seq ? local.summary : model.get("summary")) || {};
    const slices = new SliceCache((variable, x, request) => sendCommand(model, "slice", { variable, x, request }));
    const paintLocal = (x, summary) => {
      const seq = nextSeq();
      lastLocal = seq;
      latency.input(seq);
      sender.clear();
      local = { seq, x, summary, sent: false };
      renderStats();
      applyOutcome(false);
      secondary();
      latency.painted(seq, repainted);
    };
    const sendLocal = () => {
      if (!local || local.sent) return;
      local.sent = true;
      evaluate(local.x, false);
    };
    const send = (type, payload = {}) => {
      local = null;
      sender.clear();
      lastLocal = nextSeq();
      sendCommand(model, type, { ...payload, seq: lastLocal });
    };

    // controls are built when the variables change, and otherwise updated in place: the
    // slider being dragged and the box being typed in are never replaced or reset
    const buildControls = () => {
      const variables = model.get("variables") || [];
      const x = model.get("decision") || {};
      for (const k of Object.keys(inputs)) delete inputs[k];
      // one column of names as wide as the longest, then slider, box and bounds side by side
      const longest = Math.max(4, ...variables.map((v) => String(v.name).length));
      controls.style.setProperty("--bw-name-width", `${Math.min(longest + 2, 28)}ch`);
      controls.replaceChildren(...variables.map((v) => {
        const value = x[v.name];
        const slider = h("input", { type: "range", min: v.lower, max: v.upper, step: v.step,
          "data-testid": `slider-${v.name}`, "aria-label": v.name });
        slider.value = String(value);
        const dragging = trackDrag(slider, () => sendLocal());
        const box = numberBox({ field: v.name, value: exact(value, v.resolution), testid: `value-${v.name}`, errors,
          minChars: 9, onCommit: (raw) => evaluate({ ...current(), ...readInputs(), [v.name]: raw }) });
        slider.addEventListener("input", () => {
          box.forceValue(exact(+slider.value, v.resolution));
          const x = { ...current(), ...readInputs(), [v.name]: +slider.value };
          const hit = slices.lookup(v.name, x);
          if (hit) paintLocal(x, hit);
          else evaluate(x);
        });
        const wantSlice = () => slices.want(v.name, { ...current(), ...readInputs() });
        slider.addEventListener("pointerenter", wantSlice);
        slider.addEventListener("pointerdown", wantSlice);
        slider.addEventListener("focus", wantSlice);
        // let go: the kernel gets the position painted from a slice, and the outcome plot's
        // axes tighten to the data again
        slider.addEventListener("change", () => {
          sendLocal();
          onRelease();
        });
        const marginal = h("span", { class: "bw-marginal", "data-testid": `marginal-${v.name}` });
        const flag = h("span", { class: "bw-flag", "data-testid": `extrapolation-${v.name}` });
        inputs[v.name] = { slider, box, dragging, spec: v, marginal, flag };
        const seen = v.observed ? `; seen in the data: ${fmt(v.observed[0], 4)} to ${fmt(v.observed[1], 4)}` : "";
        return h("div", { class: "bw-var", "data-variable": v.name },
          h("b", { title: v.name }, v.name), slider, box,
          h("span", { class: "bw-bounds", title: `bounds${seen}` },
            `[${fmt(v.lower, 4, v.resolution)}, ${fmt(v.upper, 4, v.resolution)}]${v.integer ? " whole" : ""}`),
          marginal, flag);
      }));
      renderVariableNotes(shownSummary());
    };
    // the marginals' column heading ("marginal ROAS, 90% interval"), shown when there are any
    const marginalHead = h("div", { class: "bw-var bw-var-head", "data-testid": "marginal-head" });
    const renderVariableNotes = (s) => {
      const m = s.marginals;
      const head = m ? `${m.label} (${Math.round(100 * m.prob)}% interval)` : "";
      if (marginalHead.dataset.text !== head) {
        marginalHead.dataset.text = head;
        marginalHead.replaceChildren(h("span"), h("span"), h("span"), h("span"), h("span", {}, head), h("span"));
      }
      // the heading row is there only with marginals (six cells: a row of the grid)
      if (m && marginalHead.parentNode !== controls) controls.prepend(marginalHead);
      if (!m && marginalHead.parentNode === controls) marginalHead.remove();
      const flags = new Map((s.extrapolation || []).map((e) => [e.name, e]));
      for (const [name, { marginal, flag }] of Object.entries(inputs)) {
        const v = m?.values?.[name];
        const text = v ? `${fmt(v.mean, 3)} [${fmt(v.lower, 3)}, ${fmt(v.upper, 3)}]` : "";
        if (marginal.textContent !== text) {
          marginal.textContent = text;
          marginal.dataset.mean = String(v?.mean ?? "");
        }
        const e = flags.get(name);
        const ftext = e ? `extrapolation: ${e.side} the ${fmt(e.side === "above" ? e.high : e.low, 4)} seen` : "";
        if (flag.textContent !== ftext) {
          flag.textContent = ftext;
          flag.title = e ? `${e.message}: the outcome there is extrapolated by the model, not seen in data` : "";
          flag.dataset.side = e?.side ?? "";
        }
      }
      const text = flags.size
        ? `Extrapolation: ${[...flags.values()].map((e) => `${e.name} = ${fmt(e.value, 4)} is ${e.side} the range seen ` +
          `(${fmt(e.low, 4)} to ${fmt(e.high, 4)})`).join("; ")}. The outcome there comes from the model's form, not from data.`
        : "";
      if (extrapolation.textContent !== text) extrapolation.textContent = text;
      const display = flags.size ? "" : "none";
      if (extrapolation.style.display !== display) extrapolation.style.display = display;
      extrapolation.dataset.names = [...flags.keys()].join(",");
    };

    // a geo selector (groups of the decision, e.g. a geo MMM's geos) and the chosen one's rows
    const renderGroups = () => {
      const groups = model.get("groups") || [];
      const label = model.get("group_label") || "group";
      groupBox.style.display = groups.length ? "" : "none";
      groupSelect.replaceChildren(h("option", { value: "" }, `every ${label} (the plan's total)`),
        ...groups.map((g) => h("option", { value: g }, `${label} ${g}`)));
      groupSelect.value = model.get("group") || "";
    };
    groupSelect.addEventListener("change", () => {
      model.set("group", groupSelect.value);
      model.save_changes();
    });
    const renderBreakdown = () => {
      const b = shownSummary().breakdown;
      if ((model.get("group") || "") !== groupSelect.value) groupSelect.value = model.get("group") || "";
      groupTable.dataset.group = b?.group ?? "";
      if (!b) {
        groupNote.textContent = "";
        groupTable.replaceChildren();
        return;
      }
      const r = b.response;
      const pct = Math.round(100 * b.prob);
      groupNote.textContent = `${b.label ?? "group"} ${b.group}: ${model.get("outcome")} ${fmt(r.mean, 3)} ` +
        `[${pct}%: ${fmt(r.lower, 3)} to ${fmt(r.upper, 3)}]` + (r.share === null ? "" : `, ${percent(r.share)} of the total`);
      groupNote.dataset.mean = String(r.mean ?? "");
      const head = h("tr", {}, ...["channel", "spend", "share of channel", `${b.marginal_label ?? "marginal"} (${pct}%)`,
        "seen in the data", ""].map((t, i) => h("th", { class: i ? "" : "bw-left" }, t)));
      groupTable.replaceChildren(head, ...b.rows.map((row) => {
        const m = row.marginal;
        const e = row.extrapolation;
        return h("tr", { "data-column": row.column },
          h("td", { class: "bw-left" }, row.name),
          h("td", { class: e ? "bw-extrapolated" : "", "data-testid": `group-spend-${row.name}` }, fmt(row.spend, 4)),
          h("td", {}, percent(row.share)),
          h("td", {}, `${fmt(m.mean, 3)} [${fmt(m.lower, 3)}, ${fmt(m.upper, 3)}]`),
          h("td", {}, `${fmt(row.observed[0], 4)} to ${fmt(row.observed[1], 4)}`),
          h("td", {}, h("span", { class: "bw-flag", title: e?.message ?? "" }, e ? `extrapolation: ${e.side} the range seen` : "")));
      }));
    };

    // the values on the page, for variables the user is not moving right now
    const readInputs = () => {
      const out = {};
      for (const [name, { slider }] of Object.entries(inputs)) out[name] = +slider.value;
      return out;
    };

    const syncInputs = (force = false) => {
      const x = model.get("decision") || {};
      const stale = (model.get("applied")?.seq || 0) < lastLocal; // a newer input is on its way
      for (const [name, { slider, box, dragging, spec }] of Object.entries(inputs)) {
        if (!(name in x)) continue;
        if (!force && (stale || dragging())) continue;
        if (+slider.value !== x[name]) slider.value = x[name];
        if (force) box.forceValue(exact(x[name], spec.resolution));
        else box.setValue(exact(x[name], spec.resolution));
      }
    };

    const renderStats = () => {
      const s = shownSummary();
      const outcome = model.get("outcome");
      const alpha = s.cvar_alpha ?? model.get("cvar_alpha");
      const q = s.quantiles || {};
      morph(stats,
        h("span", {}, `expected ${outcome} `,
          h("b", { "data-testid": "expected", "data-value": s.mean ?? "" }, fmt(s.mean, 5))),
        h("span", {}, `CVaR ${+(100 * alpha).toFixed(2)}% `, h("b", { "data-testid": "cvar", "data-value": s.cvar ?? "" }, fmt(s.cvar, 5))),
        h("span", {}, "P(loss) ", h("b", { "data-testid": "prob-loss", "data-value": s.prob_loss ?? "" }, percent(s.prob_loss))),
        h("span", {}, `sd ${fmt(s.sd, 4)}`),
        h("span", {}, `90% interval [${fmt(q["0.05"], 4)}, ${fmt(q["0.95"], 4)}]`),
        h("span", { class: "bw-note" }, `${s.n ?? 0} scenarios`),
      );
      const cs = s.constraints || [];
      morph(constraints, ...cs.map((c) =>
        h("span", { class: c.ok ? "bw-ok" : "bw-infeasible", "data-constraint": c.name, "data-ok": c.ok,
          style: "margin-right:12px" },
        c.ok ? `${c.name}: met` : `${c.name}: violated by ${fmt(c.violation, 4)}`)));
      renderVariableNotes(s);
      root.dataset.evaluations = String(model.get("evaluations"));
      root.dataset.feasible = s.feasible ?? true;
      const better = s.better || [];
      const measure = measureText(model.get("objective"), model.get("level"), outcome);
      const text = better.length
        ? `The ${better[0].label} decision is better on ${measure} (by ${fmt(better[0].by, 4)}) than this one — press Optimise.`
        : "";
      if (advice.textContent !== text) advice.textContent = text;
      const display = better.length ? "" : "none";
      if (advice.style.display !== display) advice.style.display = display;
      advice.dataset.better = better.map((b) => b.label).join(",");
    };

    const renderTable = () => {
      const variables = model.get("variables") || [];
      const s = shownSummary();
      const optimum = model.get("optimum") || {};
      const refs = model.get("references") || [];
      /** @type {Array<{label: string, x?: Record<string, number>, mean?: number | null, cvar?: number | null,
       *   prob_loss?: number | null, self?: boolean, use?: string}>} */
      const rows = [{ label: "this decision", x: s.x, mean: s.mean, cvar: s.cvar, prob_loss: s.prob_loss, self: true }];
      if (optimum.x) {
        rows.push({ label: "optimum", use: "optimum", x: optimum.x, mean: optimum.mean, cvar: optimum.cvar,
        prob_loss: optimum.prob_loss });
      }
      for (const r of refs) rows.push({ ...r, use: r.label });
      const head = h("tr", {}, h("th", { class: "bw-left" }, "decision"),
        ...variables.map((v) => h("th", {}, v.name)),
        h("th", {}, `expected ${model.get("outcome")}`), h("th", {}, "CVaR"), h("th", {}, "P(loss)"),
        h("th", {}, "vs this"), h("th", {}, ""));
      morph(table, head, ...rows.map((r) => h("tr", {
        class: r.self ? "bw-this" : null, "data-label": r.label, "data-mean": r.mean ?? "",
      },
      h("td", { class: "bw-left" }, r.label),
      ...variables.map((v) => {
        const value = r.x?.[v.name];
        const outside = v.observed && Number.isFinite(value) && (value > v.observed[1] || value < v.observed[0]);
        return h("td", { "data-variable": v.name, "data-value": value ?? "",
          class: outside ? "bw-extrapolated" : null, title: outside ? "outside the range seen in the data" : null },
        fmt(value, 4, v.resolution));
      }),
      h("td", {}, fmt(r.mean, 5)), h("td", {}, fmt(r.cvar, 5)), h("td", {}, percent(r.prob_loss)),
      h("td", {}, r.self || r.mean === undefined ? "" : fmt(r.mean - s.mean, 4)),
      h("td", {}, r.use ? h("button", { "data-testid": `use-${r.label}`,
        onclick: () => send("use", { label: r.use }) }, "use") : ""))));
    };

    const renderOptimum = () => {
      const o = model.get("optimum") || {};
      const variables = model.get("variables") || [];
      if (!o.x) {
        optimumNote.textContent = "";
        return;
      }
      const tag = o.converged ? "converged" : "NOT converged";
      // the optimiser's message without what this line says anyway ("converged")
      const detail = (o.detail ?? o.message ?? "").trim();
      const said = /integer/i.test(detail); // the message already explains the integers
      const integer = said ? "" : o.exact === true ? "; integer optimum proven by exhaustive search"
        : o.exact === false ? "; integer optimum approximate (neighbourhood search)" : "";
      const measure = o.measure ? measureText(o.measure, o.level, model.get("outcome")) : o.objective;
      optimumNote.textContent = `optimum of ${measure}: ${decisionText(o.x, variables)} → ${fmt(o.value, 5)} ` +
        `(${tag}${integer}; ${fmt(o.elapsed_s, 2)} s).` + (detail ? ` ${detail[0].toUpperCase()}${detail.slice(1)}.` : "") +
        (o.extrapolation?.length ? ` Outside the range seen: ${o.extrapolation.map((e) => e.name).join(", ")}.` : "");
      optimumNote.dataset.converged = o.converged;
    };

    const renderComparison = () => {
      const c = model.get("comparison") || {};
      if (c.difference === undefined || c.difference === null) {
        verdict.textContent = "";
        return;
      }
      verdict.dataset.z = c.z;
      verdict.textContent = `Bayesian vs naive on ${c.n_heldout} held-out scenarios: ` +
        `${c.difference >= 0 ? "+" : ""}${fmt(c.difference, 5)} ± ${fmt(c.se, 3)} per scenario (z = ${fmt(c.z, 3)})`;
    };

    const renderObjective = () => {
      objective.value = model.get("objective");
      const lv = model.get("level");
      level.value = lv === null || lv === undefined ? "" : String(lv);
      level.disabled = !["cvar", "quantile"].includes(objective.value);
    };

    const renderStatus = () => {
      const st = model.get("status");
      status.textContent = st === "optimising" ? "optimising…" : st === "frontier" ? "computing the risk–return view…" : "";
      root.dataset.status = st;
      optimiseButton.disabled = frontierButton.disabled = st !== "idle";
    };

    objective.addEventListener("change", () => {
      if (objective.value === "cvar" || objective.value === "quantile") {
        if (level.value === "") level.value = "0.05";
      }
      level.disabled = !["cvar", "quantile"].includes(objective.value);
    });
    optimiseButton.addEventListener("click", () =>
      send("optimize", { objective: objective.value, level: level.disabled || level.value === "" ? null : +level.value }));
    frontierButton.addEventListener("click", () => send("frontier"));

    // plots
    let outDoc = null;
    let frontDoc = null;
    let shownView = null; // [x0, x1, y0, y1]: what the outcome plot's axes span now
    let frontierView = null; // the same for the risk–return plot
    let zeroShown = false;
    const moving = () => Object.values(inputs).some((i) => i.dragging()) ||
      (model.get("applied")?.seq || 0) < lastLocal;
    /** `next` ([x0, x1, y0, y1]), widened to `shown` while a slider moves; null when it is
     * what the plot shows already. */
    const extentTo = (next, shown) => {
      const v = shown && moving()
        ? [Math.min(next[0], shown[0]), Math.max(next[1], shown[1]), Math.min(next[2], shown[2]), Math.max(next[3], shown[3])]
        : next;
      return shown && v.every((x, i) => x === shown[i]) ? null : v;
    };
    // The axes span the kernel's extent for this decision (with the reference's, and 0
    // when the outcomes come near it); while a slider is held they only widen.
    const applyView = () => {
      const view = shownSummary().view;
      const extent = byName(outDoc, "extent");
      if (!extent || !view?.x || !view?.y) return;
      const next = extentTo([...view.x, ...view.y], shownView);
      if (!next) return;
      shownView = next;
      const [x0, x1, y0, y1] = next;
      extent.data = { x: [x0, x1], y: [y0, y1] };
      outcomeFig.dataset.xRange = `${x0},${x1}`;
      const zero = x0 <= 0 && x1 >= 0;
      for (const name of ["zero", "loss"]) {
        const m = byName(outDoc, name);
        if (m && m.visible !== zero) m.visible = zero;
      }
      if (zero !== zeroShown) {
        zeroShown = zero;
        renderOutcomeLegend();
      }
    };
    const renderOutcomeLegend = () => {
      const ref = (model.get("references") || [])[0];
      const alpha = model.get("cvar_alpha");
      morph(outcomeLegend, key("current", "this decision"), ref ? key("reference", ref.label) : null,
        key("mean", "mean"), key("cvar", `CVaR ${+(100 * alpha).toFixed(2)}%`),
        zeroShown ? key("loss", `loss (${model.get("outcome")} below 0)`) : null);
    };
    const renderFrontierLegend = () => {
      const pts = model.get("frontier") || [];
      const refs = model.get("references") || [];
      morph(frontierLegend,
        pts.length ? key("frontier", "optimum per risk preference")
          : h("span", { class: "bw-note", "data-testid": "frontier-hint" },
            "press Risk–return for the optimum per risk preference"),
        refs.length ? key("reference-point", refs.length === 1 ? refs[0].label : "reference decisions") : null,
        key("current-point", "this decision"));
    };
    const applyOutcome = (all = true) => {
      if (!outDoc) return;
      const s = shownSummary();
      const hist = byName(outDoc, "hist");
      if (hist && s.edges) {
        hist.data = { left: s.edges.slice(0, -1), right: s.edges.slice(1), count: s.counts };
      }
      if (all) {
        const ref = (model.get("references") || [])[0];
        const outline = byName(outDoc, "reference_outline");
        if (outline) outline.data = ref?.outline ?? { x: [], y: [] };
        renderOutcomeLegend();
      }
      applyView();
      for (const [name, value] of [["mean", s.mean], ["cvar", s.cvar]]) {
        const span = byName(outDoc, name);
        if (span && Number.isFinite(value)) {
          if (span.location !== value) span.location = value;
          if (!span.visible) span.visible = true;
        }
      }
      outcomeFig.dataset.mean = s.mean;
      outcomeFig.dataset.bins = (s.counts || []).length;
      outcomeFig.dataset.rendered = "true";
    };
    // the risk–return plot's axes span every point drawn; while a slider moves they only widen
    const applyFrontierView = () => {
      const extent = byName(frontDoc, "extent");
      if (!extent) return;
      const rows = [...(model.get("frontier") || []), ...(model.get("references") || []), shownSummary()];
      const xs = rows.map((r) => r.cvar).filter(Number.isFinite);
      const ys = rows.map((r) => r.mean).filter(Number.isFinite);
      if (!xs.length || !ys.length) return;
      const next = extentTo([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)], frontierView);
      if (!next) return;
      frontierView = next;
      extent.data = { cvar: next.slice(0, 2), mean: next.slice(2) };
    };
    const applyFrontier = (all = true) => {
      if (!frontDoc) return;
      const variables = model.get("variables") || [];
      const s = shownSummary();
      const pts = model.get("frontier") || [];
      const cols = (rows) => ({ cvar: rows.map((r) => r.cvar), mean: rows.map((r) => r.mean),
        label: rows.map((r) => r.label), decision: rows.map((r) => decisionText(r.x, variables)) });
      const cur = byName(frontDoc, "current");
      if (cur && s.x) cur.data = cols([{ ...s, label: "this decision" }]);
      if (!all) { // a move changes only the current decision's point
        applyFrontierView();
        return;
      }
      const front = byName(frontDoc, "frontier");
      if (front) front.data = cols(pts);
      const refs = byName(frontDoc, "references");
      if (refs) refs.data = cols(model.get("references") || []);
      applyFrontierView();
      frontierFig.dataset.points = String(pts.length);
      frontierFig.dataset.cvars = pts.map((r) => r.cvar).join(",");
      frontierFig.dataset.means = pts.map((r) => r.mean).join(",");
      frontierFig.dataset.rendered = "true";
      renderFrontierLegend();
      const dropped = model.get("dominated") || 0;
      frontierNote.textContent = dropped
        ? `${dropped} of ${pts.length + dropped} optima left out: another is better on both expected ${model.get("outcome")} and CVaR`
        : "";
    };

    // During a drag the table of decisions and the risk–return view's "this decision"
    // point follow at most every SECONDARY_MS (and once more when the moves stop): the
    // outcome histogram and the statistics are what a move is about, and repainting a
    // second figure and a table on every reply slows the pace of the first. They also
    // wait for the frame that shows the histogram, so that frame paints the histogram
    // alone, and they come in the next one.
    let secondaryTimer = null;
    let secondaryAt = 0;
    let disposed = false;
    const secondary = () => {
      if (secondaryTimer) return;
      const wait = Math.max(0, secondaryAt + SECONDARY_MS - performance.now());
      secondaryTimer = setTimeout(() => requestAnimationFrame(() => setTimeout(() => {
        secondaryTimer = null;
        if (disposed) return;
        secondaryAt = performance.now();
        renderTable();
        renderBreakdown();
        applyFrontier(false);
      }, 0)), wait);
    };
    // One reply changes several traits at once: their change events only mark what to
    // redraw, and one task after them redraws each piece once.
    const mark = batchChanges((d) => {
      if (d.has("variables")) buildControls();
      if (d.has("decision")) {
        syncInputs();
        renderStats();
      }
      if (d.has("optimum")) {
        renderOptimum();
        syncInputs(true);
      }
      if (["optimum", "references", "variables"].some((k) => d.has(k))) renderTable();
      if (d.has("decision")) secondary();
      if (d.has("groups")) {
        renderGroups();
        renderBreakdown();
      }
      if (d.has("decision") || d.has("references")) applyOutcome(d.has("references"));
      else if (d.has("view")) applyView();
      if (d.has("view") && !d.has("decision")) applyFrontierView();
      if (d.has("references") || d.has("frontier")) applyFrontier(true);
      if (d.has("applied")) onApplied();
    });
    const onDecision = mark("decision");
    const onOptimum = mark("optimum");
    const onRefs = mark("references");
    const onVariables = mark("variables");
    const onFrontier = mark("frontier");
    const onRelease = mark("view");
    const onAppliedMark = mark("applied");
    const onMsg = (msg) => {
      if (msg.type === "slice") {
        slices.receive(msg);
        return;
      }
      if (msg.type !== "rejected") return;
      sender.done(msg.seq ?? Infinity);
      syncInputs(true);
    };
    const repainted = () => {
      paints += 1;
      outcomeFig.dataset.paints = String(paints);
      root.dataset.paints = String(paints);
    };
    const onApplied = () => {
      const seq = model.get("applied")?.seq || 0;
      sender.done(seq);
      syncInputs();
      latency.painted(seq, repainted);
    };
    offs.push(listen(model, "change:summary change:decision change:evaluations", onDecision));
    offs.push(listen(model, "change:optimum", onOptimum));
    offs.push(listen(model, "change:references", onRefs));
    offs.push(listen(model, "change:frontier change:dominated", onFrontier));
    offs.push(listen(model, "change:applied", onAppliedMark));
    offs.push(listen(model, "change:comparison", renderComparison));
    offs.push(listen(model, "change:objective change:level", renderObjective));
    offs.push(listen(model, "change:status", renderStatus));
    // a slice's summaries depend on these (the references, the objective's advice)
    const forgetSlices = () => slices.clear();
    offs.push(listen(model, "change:references change:objective change:level change:cvar_alpha change:variables", forgetSlices));
    offs.push(listen(model, "change:variables", onVariables));
    offs.push(listen(model, "change:groups change:group_label change:group", mark("groups")));
    offs.push(listen(model, "change:group", forgetSlices)); // a slice's summaries hold the group's rows
    offs.push(listen(model, "msg:custom", onMsg));
    buildControls();
    renderGroups();
    renderBreakdown();
    renderStats();
    renderTable();
    renderOptimum();
    renderComparison();
    renderObjective();
    renderStatus();
    renderOutcomeLegend();
    renderFrontierLegend();

    try {
      const Bokeh = await whenBokeh(model, { waiting: noteIn(outcomeFig) });
      skipUnchangedStyleWrites(Bokeh);
      ({ doc: outDoc } = await embedFigure(Bokeh, outcomeFig, model.get("outcome_figure"), theme));
      applyOutcome();
      ({ doc: frontDoc } = await embedFigure(Bokeh, frontierFig, model.get("frontier_figure"), theme));
      applyFrontier();
      requestAnimationFrame(repainted);
    } catch (err) {
      outcomeFig.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      theme.dispose();
      banner.dispose();
      sender.dispose();
      disposed = true;
      clearTimeout(secondaryTimer);
      for (const off of offs) off();
    };
  },
};

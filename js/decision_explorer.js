// DecisionExplorer view: a slider and a number box per decision variable, the outcome
// distribution redrawn on every move, Optimise, reference decisions, risk–return view.
// Python side: src/bayes_widgets/widgets/decision_explorer.py.
import { whenBokeh, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const THROTTLE_MS = 40;

const css = `
.bw-decision { max-width: 1040px; }
.bw-decision .bw-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.bw-decision .bw-var { display: grid; grid-template-columns: 110px 260px 96px 140px; gap: 8px; align-items: center; margin: 2px 0; }
.bw-decision .bw-bounds { color: var(--jp-ui-font-color2, #777); }
.bw-decision input[type=number] { width: 90px; }
.bw-decision table { border-collapse: collapse; margin: 4px 0; }
.bw-decision .bw-scroll { overflow-x: auto; max-width: 100%; }
.bw-decision th, .bw-decision td { padding: 2px 8px; text-align: right; white-space: nowrap; }
.bw-decision td.bw-left, .bw-decision th.bw-left { text-align: left; }
.bw-decision .bw-stats span { margin-right: 14px; }
.bw-decision .bw-stats b { font-size: 14px; }
.bw-decision .bw-infeasible { color: var(--jp-error-color1, #b00020); font-weight: 600; }
.bw-decision .bw-ok { color: var(--jp-success-color1, #1b7f3b); }
.bw-decision .bw-note { color: var(--jp-ui-font-color2, #666); }
.bw-decision tr.bw-this { background: color-mix(in srgb, var(--jp-brand-color1, #1f77b4) 12%, transparent); }
`;

/** Calls fn at most every `ms`, always with the latest arguments (a trailing call included). */
function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  let pending = null;
  return (...args) => {
    pending = args;
    const wait = last + ms - Date.now();
    if (wait <= 0 && !timer) {
      last = Date.now();
      fn(...pending);
      pending = null;
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        if (pending) fn(...pending);
        pending = null;
      }, Math.max(wait, 0));
    }
  };
}

/** A value for an input box: integers as they are, others to 6 significant digits. */
function exact(x) {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : "";
}

function percent(p) {
  return p === null || p === undefined ? "–" : `${(100 * p).toFixed(1)}%`;
}

function decisionText(x, variables) {
  return variables.map((v) => `${v.name}=${fmt(x?.[v.name], 4)}`).join(", ");
}

export default {
  initialize() {},

  async render({ model, el }) {
    const root = h("div", { class: "bw-root bw-decision", "data-bw-widget": "decision_explorer",
      "data-testid": "decision-explorer" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const controls = h("div", { "data-testid": "variables" });
    const stats = h("div", { class: "bw-row bw-stats", "data-testid": "stats" });
    const constraints = h("div", { "data-testid": "constraints" });
    const objective = h("select", { "data-testid": "objective" },
      ...[["mean", "expected"], ["cvar", "CVaR"], ["quantile", "quantile"], ["prob_loss", "P(loss)"]]
        .map(([v, label]) => h("option", { value: v }, label)));
    const level = h("input", { type: "number", step: "any", min: 0, max: 1, "data-testid": "level",
      title: "CVaR share or quantile level", style: "width:60px" });
    const optimiseButton = h("button", { "data-testid": "optimise" }, "Optimise");
    const frontierButton = h("button", { "data-testid": "frontier-button" }, "Risk–return");
    const status = h("span", { class: "bw-note", "data-testid": "status" });
    const optimumNote = h("div", { class: "bw-note", "data-testid": "optimum" });
    const table = h("table", { "data-testid": "decisions" });
    const verdict = h("div", { "data-testid": "comparison" });
    const outcomeFig = h("div", { "data-testid": "outcome-figure" });
    const frontierFig = h("div", { "data-testid": "frontier-figure" });
    root.append(
      ...[note, banner.el].filter(Boolean),
      controls, stats, constraints,
      h("div", { class: "bw-row" }, "optimise ", objective, level, optimiseButton, frontierButton, status),
      optimumNote, h("div", { class: "bw-scroll" }, table), verdict,
      h("div", { class: "bw-row", style: "align-items:flex-start" }, outcomeFig, frontierFig),
    );

    const inputs = {}; // name -> {slider, box}
    const current = () => ({ ...(model.get("decision") || {}) });
    const sendEvaluate = throttle((x) => sendCommand(model, "evaluate", { x }), THROTTLE_MS);

    const buildControls = () => {
      const variables = model.get("variables") || [];
      const x = model.get("decision") || {};
      controls.replaceChildren(...variables.map((v) => {
        const value = x[v.name];
        const slider = h("input", { type: "range", min: v.lower, max: v.upper, step: v.step, value,
          "data-testid": `slider-${v.name}`, "aria-label": v.name });
        const box = h("input", { type: "number", min: v.lower, max: v.upper, step: v.integer ? 1 : "any",
          value: exact(value), "data-testid": `value-${v.name}` });
        slider.addEventListener("input", () => {
          box.value = exact(+slider.value);
          sendEvaluate({ ...current(), ...readInputs(), [v.name]: +slider.value });
        });
        box.addEventListener("change", () => {
          const raw = box.value === "" ? null : +box.value;
          sendCommand(model, "evaluate", { x: { ...current(), ...readInputs(), [v.name]: raw } });
        });
        inputs[v.name] = { slider, box };
        return h("div", { class: "bw-var", "data-variable": v.name },
          h("b", {}, v.name), slider, box,
          h("span", { class: "bw-bounds" }, `[${fmt(v.lower, 4)}, ${fmt(v.upper, 4)}]${v.integer ? " whole" : ""}`));
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
      for (const [name, { slider, box }] of Object.entries(inputs)) {
        if (!(name in x)) continue;
        if (!force && (document.activeElement === slider || document.activeElement === box)) continue;
        slider.value = x[name];
        box.value = exact(x[name]);
      }
    };

    const renderStats = () => {
      const s = model.get("summary") || {};
      const outcome = model.get("outcome");
      const alpha = s.cvar_alpha ?? model.get("cvar_alpha");
      const q = s.quantiles || {};
      stats.replaceChildren(
        h("span", {}, `expected ${outcome} `,
          h("b", { "data-testid": "expected", "data-value": s.mean ?? "" }, fmt(s.mean, 5))),
        h("span", {}, `CVaR ${+(100 * alpha).toFixed(2)}% `, h("b", { "data-testid": "cvar", "data-value": s.cvar ?? "" }, fmt(s.cvar, 5))),
        h("span", {}, "P(loss) ", h("b", { "data-testid": "prob-loss", "data-value": s.prob_loss ?? "" }, percent(s.prob_loss))),
        h("span", {}, `sd ${fmt(s.sd, 4)}`),
        h("span", {}, `90% interval [${fmt(q["0.05"], 4)}, ${fmt(q["0.95"], 4)}]`),
        h("span", { class: "bw-note" }, `${s.n ?? 0} scenarios`),
      );
      const cs = s.constraints || [];
      constraints.replaceChildren(...cs.map((c) =>
        h("span", { class: c.ok ? "bw-ok" : "bw-infeasible", "data-constraint": c.name, "data-ok": c.ok,
          style: "margin-right:12px" },
        c.ok ? `${c.name}: met` : `${c.name}: violated by ${fmt(c.violation, 4)}`)));
      root.dataset.evaluations = model.get("evaluations");
      root.dataset.feasible = s.feasible ?? true;
    };

    const renderTable = () => {
      const variables = model.get("variables") || [];
      const s = model.get("summary") || {};
      const optimum = model.get("optimum") || {};
      const refs = model.get("references") || [];
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
      table.replaceChildren(head, ...rows.map((r) => h("tr", {
        class: r.self ? "bw-this" : null, "data-label": r.label, "data-mean": r.mean ?? "",
      },
      h("td", { class: "bw-left" }, r.label),
      ...variables.map((v) => h("td", { "data-variable": v.name, "data-value": r.x?.[v.name] ?? "" }, fmt(r.x?.[v.name], 4))),
      h("td", {}, fmt(r.mean, 5)), h("td", {}, fmt(r.cvar, 5)), h("td", {}, percent(r.prob_loss)),
      h("td", {}, r.self || r.mean === undefined ? "" : fmt(r.mean - s.mean, 4)),
      h("td", {}, r.use ? h("button", { "data-testid": `use-${r.label}`,
        onclick: () => sendCommand(model, "use", { label: r.use }) }, "use") : ""))));
    };

    const renderOptimum = () => {
      const o = model.get("optimum") || {};
      const variables = model.get("variables") || [];
      if (!o.x) {
        optimumNote.textContent = "";
        return;
      }
      const tag = o.converged ? "converged" : "NOT converged";
      const integer = o.exact === true ? "; integer optimum proven by exhaustive search"
        : o.exact === false ? "; integer optimum approximate (neighbourhood search)" : "";
      optimumNote.textContent = `optimum of ${o.objective}: ${decisionText(o.x, variables)} → ${fmt(o.value, 5)} ` +
        `(${tag}${integer}; ${fmt(o.elapsed_s, 2)} s). ${o.message || ""}`;
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
      level.value = lv === null || lv === undefined ? "" : lv;
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
        if (level.value === "") level.value = 0.05;
      }
      level.disabled = !["cvar", "quantile"].includes(objective.value);
    });
    optimiseButton.addEventListener("click", () =>
      sendCommand(model, "optimise", { objective: objective.value, level: level.disabled || level.value === "" ? null : +level.value }));
    frontierButton.addEventListener("click", () => sendCommand(model, "frontier"));

    // plots
    let outDoc = null;
    let frontDoc = null;
    const applyOutcome = () => {
      if (!outDoc) return;
      const s = model.get("summary") || {};
      const hist = byName(outDoc, "hist");
      if (hist && s.edges) {
        hist.data = { left: s.edges.slice(0, -1), right: s.edges.slice(1), count: s.counts };
      }
      const ref = (model.get("references") || [])[0];
      const refHist = byName(outDoc, "reference_hist");
      if (refHist && ref?.edges) {
        refHist.data = { left: ref.edges.slice(0, -1), right: ref.edges.slice(1), count: ref.counts };
      }
      for (const [name, value] of [["mean", s.mean], ["cvar", s.cvar]]) {
        const span = byName(outDoc, name);
        if (span && Number.isFinite(value)) {
          span.location = value;
          span.visible = true;
        }
      }
      outcomeFig.dataset.mean = s.mean;
      outcomeFig.dataset.bins = (s.counts || []).length;
      outcomeFig.dataset.rendered = "true";
    };
    const applyFrontier = () => {
      if (!frontDoc) return;
      const variables = model.get("variables") || [];
      const s = model.get("summary") || {};
      const pts = model.get("frontier") || [];
      const cols = (rows) => ({ cvar: rows.map((r) => r.cvar), mean: rows.map((r) => r.mean),
        label: rows.map((r) => r.label), decision: rows.map((r) => decisionText(r.x, variables)) });
      const front = byName(frontDoc, "frontier");
      if (front) front.data = cols(pts);
      const cur = byName(frontDoc, "current");
      if (cur && s.x) cur.data = cols([{ ...s, label: "this decision" }]);
      const refs = byName(frontDoc, "references");
      if (refs) refs.data = cols(model.get("references") || []);
      frontierFig.dataset.points = pts.length;
      frontierFig.dataset.rendered = "true";
    };

    const onDecision = () => { syncInputs(); renderStats(); renderTable(); applyOutcome(); applyFrontier(); };
    const onOptimum = () => { renderOptimum(); renderTable(); syncInputs(true); };
    const onRefs = () => { renderTable(); applyOutcome(); applyFrontier(); };
    const onVariables = () => { buildControls(); renderTable(); };
    const onMsg = (msg) => { if (msg.type === "rejected") syncInputs(true); };
    model.on("change:summary change:decision change:evaluations", onDecision);
    model.on("change:optimum", onOptimum);
    model.on("change:references", onRefs);
    model.on("change:frontier", applyFrontier);
    model.on("change:comparison", renderComparison);
    model.on("change:objective change:level", renderObjective);
    model.on("change:status", renderStatus);
    model.on("change:variables", onVariables);
    model.on("msg:custom", onMsg);
    buildControls();
    renderStats();
    renderTable();
    renderOptimum();
    renderComparison();
    renderObjective();
    renderStatus();

    try {
      const Bokeh = await whenBokeh();
      ({ doc: outDoc } = await embedFigure(Bokeh, outcomeFig, model.get("outcome_figure"), theme));
      applyOutcome();
      ({ doc: frontDoc } = await embedFigure(Bokeh, frontierFig, model.get("frontier_figure"), theme));
      applyFrontier();
    } catch (err) {
      outcomeFig.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      theme.dispose();
      banner.dispose();
      model.off("msg:custom", onMsg);
      model.off(null, onDecision);
      model.off(null, onOptimum);
      model.off(null, onRefs);
      model.off(null, applyFrontier);
      model.off(null, renderComparison);
      model.off(null, renderObjective);
      model.off(null, renderStatus);
      model.off(null, onVariables);
    };
  },
};

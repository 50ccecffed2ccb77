// @ts-check
// FitMonitor view: live chains table, progress, R-hat/ESS, trace and rank plots (MCMC),
// or a streamed loss curve, steps/s, ETA and current parameters (SVI); one renderer per
// fit method (RENDERERS), chosen from the `method` trait.
// Python side: src/bayes_widgets/widgets/fit_monitor.py.
import css from "./fit_monitor.css";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, fmtSeconds, errorBanner, versionNote } from "./lib/dom.js";
import { TraceStream, sendCommand } from "./lib/stream.js";
import { listenAll } from "./lib/events.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

/** Every other row of a column data source's data (the first row kept). */
function everyOther(data) {
  const out = {};
  for (const [k, col] of Object.entries(data)) out[k] = Array.from(col).filter((_, i) => i % 2 === 0);
  return out;
}

/**
 * The synced traits of FitMonitor (widgets/fit_monitor.py).
 * @typedef {object} FitMonitorTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string} status             created, compiling, sampling, paused, finished, cancelled, failed or error
 * @property {string} message
 * @property {string} backend
 * @property {string[]} trace_names       traced scalars with coordinate labels
 * @property {string[]} problems
 * @property {Array<Record<string, any>>} groups      one line per variable (final)
 * @property {Array<Record<string, any>>} warnings    category, message, count
 * @property {string[]} log
 * @property {Array<Record<string, any>>} chains      per chain: draws_done, total, phase, ...
 * @property {Record<string, any>} progress           draws_done, total, fraction, draws_per_s, eta_s, ...
 * @property {Array<Record<string, any>>} running     running R-hat/ESS per traced scalar
 * @property {Record<string, any>} diagnostics        the final diagnostics (the core's schema)
 * @property {string} trace_figure        a Bokeh json_item (MCMC: traces and ranks; SVI: the loss)
 * @property {string} [figure_json]       the old name, in notebooks saved before the rename
 * @property {number[][][]} ranks         rank-plot counts [k][chain][bin]
 * @property {boolean} can_pause
 * @property {number} tune
 * @property {number} live_points
 * @property {string} method              "mcmc" or "svi": picks the renderer
 * @property {Array<Record<string, any>>} svi_params  current guide parameters (SVI)
 * @property {number} loss_stride
 */

/** @typedef {import("./types/anywidget").AnyModel<FitMonitorTraits>} Model */
/** @typedef {import("./types/anywidget").RenderProps<FitMonitorTraits>} Props */

const FINAL = new Set(["finished", "cancelled", "failed", "error"]);

/** The figure's json_item; notebooks saved before the trait was renamed hold `figure_json`. */
function figureOf(model) {
  return model.get("trace_figure") || model.get("figure_json") || "";
}
const FIGURE_EVENTS = "change:trace_figure change:figure_json";

function chainTable(model) {
  const rows = model.get("chains") || [];
  const byDepth = rows.some((r) => r.tree_depth !== null && r.tree_depth !== undefined);
  const head = h(
    "tr",
    {},
    h("th", { class: "bw-left" }, "chain"),
    h("th", { class: "bw-left" }, "phase"),
    h("th", {}, "draws"),
    h("th", {}, "divergences"),
    h("th", {}, "step size"),
    h("th", {}, byDepth ? "tree depth" : "leapfrog steps"),
    h("th", {}, "draws/s"),
    h("th", {}, "ETA"),
  );
  const body = rows.map((r) =>
    h(
      "tr",
      {
        "data-chain": r.chain,
        "data-draws": r.draws_done,
        "data-total": r.total,
        "data-divergences": r.divergences,
        "data-phase": r.phase,
      },
      h("td", { class: "bw-left" }, r.chain),
      h("td", { class: "bw-left" }, r.phase),
      h("td", {}, `${r.draws_done} / ${r.total}`),
      h("td", { class: r.divergences > 0 ? "bw-bad" : null }, r.divergences,
        r.divergences_tuning ? ` (+${r.divergences_tuning} tuning)` : ""),
      h("td", {}, fmt(r.step_size)),
      h("td", {}, byDepth ? fmt(r.tree_depth) : fmt(r.n_steps)),
      h("td", {}, fmtRate(r.draws_per_s)),
      h("td", { "data-testid": "chain-eta" }, r.phase === "done" || r.phase === "cancelled" ? "–" : fmtSeconds(r.eta_s)),
    ),
  );
  return h("table", { class: "bw-chains", "data-testid": "chains" }, head, body);
}

/** Draws per second, rounded for reading: 166667 → "167k", 3296 → "3,296", 4.25 → "4.25". */
function fmtRate(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (x >= 1e5) return `${Math.round(x / 1e3)}k`;
  if (x >= 100) return Math.round(x).toLocaleString("en-US");
  return x.toPrecision(3);
}

/** A column of the convergence table: its label and how a row shows it. @typedef {[string, (r: any) => string | number]} Column */

/** @type {Column[]} */
const MOMENT_COLUMNS = [["mean", (r) => fmt(r.mean)], ["sd", (r) => fmt(r.sd)]];
/** @type {Column[]} */
const CONVERGENCE_COLUMNS = [
  ["R-hat", (r) => fmt(r.r_hat, 4)],
  ["ESS bulk", (r) => (r.ess_bulk === null || r.ess_bulk === undefined ? "–" : Math.round(r.ess_bulk))],
  ["ESS tail", (r) => (r.ess_tail === null || r.ess_tail === undefined ? "–" : Math.round(r.ess_tail))],
];
/**
 * The final table shows each parameter's mean and sd too; the running one does not.
 * @param {object | null} params   the final per-parameter rows (null while sampling)
 * @returns {Column[]}
 */
const ROW_COLUMNS = (params) => [...(params ? MOMENT_COLUMNS : []), ...CONVERGENCE_COLUMNS];

function paramRow(r, cols, extra = {}) {
  const problems = r.problems || [];
  return h(
    "tr",
    { "data-name": r.name, "data-rhat": r.r_hat ?? "", "data-problem": problems.length ? "true" : "false",
      class: problems.length ? "bw-flagged" : null, ...extra },
    h("td", { class: "bw-left" }, r.name),
    ...cols.map(([, f]) => h("td", {}, f(r))),
    h("td", { class: "bw-left bw-bad", "data-testid": "row-problems" }, problems.join("; ")),
  );
}

/**
 * Parameters: free ones row by row; each deterministic variable on one line that
 * opens into its rows ("mu — 120 values, max R-hat 1.00, min ESS 830").
 */
function convergenceTable(model, expanded, rerender) {
  const running = model.get("running") || [];
  const diag = model.get("diagnostics") || {};
  const params = diag.parameters && diag.parameters.length ? diag.parameters : null;
  const rows = params || running;
  if (!rows.length) return h("div");
  const cols = ROW_COLUMNS(params);
  const head = h("tr", {}, h("th", { class: "bw-left" }, params ? "parameter" : "traced (running)"),
    ...cols.map(([label]) => h("th", {}, label)), h("th", { class: "bw-left" }, "problems"));
  const body = [];
  const groups = params ? model.get("groups") || [] : [];
  const groupOf = new Map(groups.map((g) => [g.variable, g]));
  const done = new Set();
  for (const r of rows) {
    const g = groupOf.get(r.variable);
    if (!g || g.kind === "free") {
      body.push(paramRow(r, cols));
      continue;
    }
    if (done.has(g.variable)) continue;
    done.add(g.variable);
    const open = expanded.has(g.variable);
    const toggle = h("button", { class: "bw-link", "data-testid": "expand", "data-variable": g.variable,
      "aria-expanded": open ? "true" : "false" }, open ? "collapse" : "expand");
    toggle.addEventListener("click", () => {
      if (expanded.has(g.variable)) expanded.delete(g.variable);
      else expanded.add(g.variable);
      rerender();
    });
    const line = `${g.variable} — ${g.size} values, max R-hat ${fmt(g.r_hat_max, 3)}, ` +
      `min ESS bulk ${g.ess_bulk_min === null ? "–" : Math.round(g.ess_bulk_min)}, ` +
      `min ESS tail ${g.ess_tail_min === null ? "–" : Math.round(g.ess_tail_min)}`;
    body.push(h("tr", { class: `bw-group${g.problems.length ? " bw-flagged" : ""}`, "data-group": g.variable,
      "data-size": g.size, "data-problem": g.problems.length ? "true" : "false" },
      h("td", { class: "bw-left", colspan: cols.length + 1 }, line, " ", toggle),
      h("td", { class: "bw-left bw-bad", "data-testid": "row-problems" }, g.problems.join("; "))));
    if (open) {
      const members = rows.filter((x) => x.variable === g.variable);
      for (const m of members) body.push(paramRow(m, cols, { class: "bw-member" }));
      const shown = members.length;
      if (shown < g.size) {
        body.push(h("tr", { class: "bw-member" }, h("td", { class: "bw-left bw-note", colspan: cols.length + 2 },
          `first ${shown} of ${g.size} shown; all are in result.summary()`)));
      }
    }
  }
  return h("table", { class: "bw-convergence", "data-testid": "convergence" }, head, ...body);
}

/** Every problem of the fit, named in visible text (the rules of result.diagnostics). */
function problemList(model) {
  const problems = model.get("problems") || [];
  const st = model.get("status");
  const final = FINAL.has(st);
  const hasDraws = (model.get("running") || []).length || (model.get("diagnostics") || {}).draws_per_chain;
  if (!problems.length) {
    if (!hasDraws) return null;
    return h("div", { class: "bw-ok", "data-testid": "problems", "data-count": 0 },
      final ? "No problems found: R-hat ≤ 1.01, ESS ≥ 100 per chain, no divergences, tree depth and E-BFMI fine."
        : "No problems so far in the traced draws.");
  }
  return h("div", { class: "bw-problems", "data-testid": "problems", "data-count": problems.length },
    h("b", {}, `${problems.length} problem${problems.length === 1 ? "" : "s"}${final ? "" : " so far"}:`),
    h("ul", {}, problems.map((p) => h("li", {}, p))));
}

/** Warnings raised inside the fit, each once, and the sampler's log: collapsed. */
function captured(model, openState) {
  const warnings = model.get("warnings") || [];
  const log = model.get("log") || [];
  const out = [];
  if (warnings.length) {
    const total = warnings.reduce((n, w) => n + (w.count || 1), 0);
    const d = h("details", { class: "bw-captured", "data-testid": "warnings", "data-count": warnings.length,
      open: openState.warnings || null },
      h("summary", {}, `${warnings.length} warning${warnings.length === 1 ? "" : "s"} raised while fitting` +
        (total > warnings.length ? ` (${total} times)` : "")),
      h("ul", {}, warnings.map((w) => h("li", {}, h("b", {}, w.category), `: ${w.message}`,
        w.count > 1 ? ` (×${w.count})` : ""))));
    d.addEventListener("toggle", () => (openState.warnings = d.open));
    out.push(d);
  }
  if (log.length) {
    const d = h("details", { class: "bw-captured", "data-testid": "log", "data-count": log.length,
      open: openState.log || null },
      h("summary", {}, `sampler log (${log.length} line${log.length === 1 ? "" : "s"})`),
      h("pre", {}, log.join("\n")));
    d.addEventListener("toggle", () => (openState.log = d.open));
    out.push(d);
  }
  return out;
}

const TIMING_NOTES = {
  "wall time": "from the start of the fit: compiling, sampling and turning the draws into the result",
  sampling: "from the chains' start to their last draw, pauses excluded",
  "draws/s": "all chains' draws, tuning included, per second of sampling",
};

function summaryLine(model) {
  const d = model.get("diagnostics") || {};
  if (!d.backend) return null;
  const items = [
    ["divergences", d.divergences],
    ["max tree depth hits", d.max_treedepth_hits],
    ["max R-hat", fmt(d.rhat_max, 4)],
    ["min ESS bulk", d.ess_bulk_min === null ? "–" : Math.round(d.ess_bulk_min)],
    ["min ESS tail", d.ess_tail_min === null ? "–" : Math.round(d.ess_tail_min)],
    ["min E-BFMI", fmt(d.ebfmi_min)],
    ["wall time", fmtSeconds(d.wall_time_s)],
    ["sampling", fmtSeconds(d.sampling_time_s)],
    ["draws/s", fmtRate(d.draws_per_s)],
  ];
  return h(
    "div",
    { class: "bw-summary", "data-testid": "summary", "data-divergences": d.divergences,
      "data-draws-per-chain": d.draws_per_chain, "data-partial": d.partial ? "true" : "false",
      "data-wall-s": d.wall_time_s ?? "", "data-sampling-s": d.sampling_time_s ?? "",
      "data-draws-per-s": d.draws_per_s ?? "" },
    items.map(([k, v]) => h("span", { class: "bw-item", title: TIMING_NOTES[k] }, `${k}: `, h("b", {}, v))),
  );
}

function sviParamTable(model) {
  const rows = model.get("svi_params") || [];
  if (!rows.length) return h("div");
  const head = h(
    "tr",
    {},
    h("th", { class: "bw-left" }, "site"),
    h("th", { class: "bw-left" }, "shape"),
    h("th", {}, "median / mean"),
    h("th", {}, "5% – 95% / range"),
  );
  const body = rows.map((r) =>
    h(
      "tr",
      { "data-name": r.name, "data-value": r.value ?? "" },
      h("td", { class: "bw-left" }, r.name),
      h("td", { class: "bw-left" }, r.shape && r.shape.length ? `(${r.shape.join(", ")})` : "scalar"),
      h("td", {}, fmt(r.value)),
      h(
        "td",
        { title: r.kind === "range" ? "smallest and largest element median" : "90% interval of the guide" },
        r.lo === null || r.lo === undefined ? "–" : `${fmt(r.lo)} – ${fmt(r.hi)}${r.kind === "range" ? " (elements)" : ""}`,
      ),
    ),
  );
  return h("table", { class: "bw-params", "data-testid": "svi-params" }, head, body);
}

function sviSummary(model) {
  const d = model.get("diagnostics") || {};
  const svi = d.svi;
  if (!d.backend || !svi) return null;
  const items = [
    ["steps", `${svi.steps} / ${svi.steps_requested}`],
    ["converged", svi.converged ? "yes" : "no"],
    ["final loss", fmt(svi.final_loss, 6)],
    ["steps/s", fmt(svi.steps_per_s)],
    ["guide", svi.guide || "–"],
    ["draws from guide", d.draws_per_chain],
    ["wall time", fmtSeconds(d.wall_time_s)],
  ];
  return h(
    "div",
    { class: "bw-summary", "data-testid": "summary", "data-steps": svi.steps,
      "data-converged": svi.converged ? "true" : "false", "data-partial": d.partial ? "true" : "false",
      "data-draws-per-chain": d.draws_per_chain },
    items.map(([k, v]) => h("span", { class: "bw-item" }, `${k}: `, h("b", {}, v))),
  );
}

/** y range of the loss plot: all points, or (robust) those after the first 10% of the steps. */
function lossRange(data, robust) {
  const xs = Array.from(data.x || []);
  const cols = [Array.from(data.y || []), Array.from(data.s || [])];
  if (!xs.length) return null;
  const xmax = xs[xs.length - 1];
  let keep = xs.map((x) => !robust || x >= 0.1 * xmax);
  if (keep.filter(Boolean).length < 5) keep = xs.map(() => true);
  let lo = Infinity;
  let hi = -Infinity;
  for (const col of cols) {
    col.forEach((v, i) => {
      if (keep[i] && v !== null && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    });
  }
  if (!Number.isFinite(lo)) return null;
  const pad = hi > lo ? 0.05 * (hi - lo) : Math.max(Math.abs(hi) * 0.05, 1e-9);
  return [lo - pad, hi + pad];
}

/**
 * The monitor's frame, shared by the MCMC and SVI views: status, progress bar, counts,
 * Cancel/Pause/Resume, message, summary, tables and figure; `extraRows` go under the head.
 */
function monitorFrame(model, el, { label, method, cancelTitle, extraRows = [] }) {
  const root = h("div", { class: "bw-root bw-fit", "data-bw-widget": "fit_monitor", "data-testid": "fit-monitor",
    "data-method": method });
  el.append(h("style", {}, CHROME_CSS + css), root);
  const theme = new FigureTheme(root);
  const banner = errorBanner(model);
  const status = h("span", { class: "bw-status", "data-testid": "status" });
  const bar = h("div");
  const counts = h("span", { "data-testid": "counts" });
  const cancel = h("button", { "data-testid": "cancel", title: cancelTitle }, "Cancel");
  const pause = h("button", { "data-testid": "pause" }, "Pause");
  const resume = h("button", { "data-testid": "resume" }, "Resume");
  cancel.addEventListener("click", () => sendCommand(model, "cancel"));
  pause.addEventListener("click", () => sendCommand(model, "pause"));
  resume.addEventListener("click", () => sendCommand(model, "resume"));
  const message = h("div", { class: "bw-message", "data-testid": "message" });
  const tables = h("div", { class: "bw-tables" });
  const summary = h("div");
  const figure = h("div", { class: "bw-figure", "data-testid": "figure" });
  const note = versionNote(model);
  root.append(
    h("div", { class: "bw-head" }, h("b", {}, label), status,
      h("div", { class: "bw-bar" }, bar), counts, cancel, pause, resume),
    ...extraRows,
    ...[banner.el, note, message, summary, tables, figure].filter(Boolean),
  );
  return { root, theme, banner, status, bar, counts, cancel, pause, resume, message, tables, summary, figure };
}

/** @param {Props} props */
async function renderSVI({ model, el }) {
  const lossNow = h("span", { "data-testid": "loss" });
  const rangeBtn = h("button", { "data-testid": "loss-range", title: "y axis: skip the first 10% of the steps, or show all" }, "Full range");
  const { root, theme, banner, status, bar, counts, cancel, pause, resume, message, tables, summary, figure } =
    monitorFrame(model, el, { label: "SVI", method: "svi", cancelTitle: "Stop and keep the parameters so far",
      extraRows: [h("div", { class: "bw-head" }, lossNow, rangeBtn)] });

  const updateHead = () => {
    const st = model.get("status");
    const p = model.get("progress") || {};
    root.dataset.status = st;
    root.dataset.backend = model.get("backend");
    root.dataset.stepsDone = p.steps_done ?? 0;
    root.dataset.drawsDone = p.steps_done ?? 0;
    root.dataset.total = p.total ?? 0;
    root.dataset.converged = p.converged ? "true" : "false";
    status.dataset.status = st;
    const conv = p.converged && st === "finished" ? " · converged" : "";
    const shown = st === "sampling" ? "optimising" : st; // data-status keeps the session's word
    status.textContent = `${shown}${conv}${model.get("backend") ? ` · ${model.get("backend")}` : ""}`;
    bar.style.width = `${Math.round(100 * (p.fraction || 0))}%`;
    counts.textContent =
      `${p.steps_done ?? 0} / ${p.total ?? 0} steps · ${fmt(p.steps_per_s)} steps/s · ${fmtSeconds(p.elapsed_s)}` +
      (FINAL.has(st) ? "" : ` · ETA ${fmtSeconds(p.eta_s)}`);
    counts.dataset.steps = p.steps_done ?? 0;
    lossNow.textContent = `loss ${fmt(p.loss, 6)} · smoothed ${fmt(p.loss_smoothed, 6)}`;
    const live = !FINAL.has(st) && st !== "created";
    cancel.disabled = !live;
    pause.disabled = !live || !model.get("can_pause") || st === "paused";
    resume.disabled = st !== "paused";
    message.textContent = model.get("message") || "";
    message.style.display = message.textContent ? "" : "none";
  };
  const updateTables = () => {
    tables.replaceChildren(sviParamTable(model));
    const s = sviSummary(model);
    summary.replaceChildren(...(s ? [s] : []));
  };
  updateHead();
  updateTables();
  const offTables = listenAll(model, [
    ["change:status change:progress change:message change:can_pause", () => updateHead()],
    ["change:svi_params change:diagnostics", () => updateTables()],
  ]);

  let doc = null;
  let received = 0; // streamed loss points (for tests: rises while optimising)
  let stream = null;
  let disposed = false;
  let robust = true;
  const fitRange = () => {
    const src = byName(doc, "loss");
    const yr = byName(doc, "loss-y");
    if (!src || !yr) return;
    const r = lossRange(src.data, robust);
    if (r) {
      yr.start = r[0];
      yr.end = r[1];
    }
  };
  const countPoints = () => {
    const src = byName(doc, "loss");
    figure.dataset.points = String(src ? src.get_length() ?? 0 : 0);
    figure.dataset.received = String(received);
  };
  const applyChunks = (chunks, replace) => {
    const src = byName(doc, "loss");
    if (!src) return;
    for (const ch of chunks) {
      if (!ch.loss) continue;
      if (replace) src.data = ch.loss;
      else {
        received += ch.loss.x.length;
        src.stream(ch.loss);
      }
      if (src.get_length() > 4 * model.get("live_points")) src.data = everyOther(src.data);
    }
    fitRange();
    countPoints();
  };
  rangeBtn.addEventListener("click", () => {
    robust = !robust;
    rangeBtn.textContent = robust ? "Full range" : "Skip first 10%";
    rangeBtn.dataset.robust = robust ? "true" : "false";
    fitRange();
  });
  const embed = async () => {
    const json = figureOf(model);
    if (!json || disposed) return;
    try {
      const Bokeh = await whenBokeh(model, { waiting: noteIn(figure) });
      ({ doc } = await embedFigure(Bokeh, figure, json, theme));
      stream?.dispose();
      stream = null;
      if (!FINAL.has(model.get("status"))) stream = new TraceStream(model, applyChunks);
      if (!robust) fitRange();
      countPoints();
      figure.dataset.rendered = "true";
    } catch (err) {
      figure.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
  };
  const offFigure = listenAll(model, [[FIGURE_EVENTS, () => embed()]]);
  await embed();

  return () => {
    disposed = true;
    stream?.dispose();
    theme.dispose();
    banner.dispose();
    offTables();
    offFigure();
  };
}

/** @param {Props} props */
async function renderMCMC({ model, el }) {
  const { root, theme, banner, status, bar, counts, cancel, pause, resume, message, tables, summary, figure } =
    monitorFrame(model, el, { label: "Fit", method: "mcmc", cancelTitle: "Stop and keep the draws made so far" });

  const updateHead = () => {
    const st = model.get("status");
    const p = model.get("progress") || {};
    root.dataset.status = st;
    root.dataset.backend = model.get("backend");
    root.dataset.drawsDone = p.draws_done ?? 0;
    root.dataset.total = p.total ?? 0;
    root.dataset.divergences = p.divergences ?? 0;
    status.dataset.status = st;
    status.textContent = `${st}${model.get("backend") ? ` · ${model.get("backend")}` : ""}`;
    bar.style.width = `${Math.round(100 * (p.fraction || 0))}%`;
    counts.textContent =
      `${p.draws_done ?? 0} / ${p.total ?? 0} draws · ${fmtRate(p.draws_per_s)} draws/s · ${fmtSeconds(p.elapsed_s)}` +
      (FINAL.has(st) ? "" : ` · ETA ${fmtSeconds(p.eta_s)}`);
    counts.dataset.eta = FINAL.has(st) || p.eta_s === null || p.eta_s === undefined ? "" : p.eta_s;
    const live = !FINAL.has(st) && st !== "created";
    cancel.disabled = !live;
    pause.disabled = !live || !model.get("can_pause") || st === "paused";
    resume.disabled = st !== "paused";
    message.textContent = model.get("message") || "";
    message.style.display = message.textContent ? "" : "none";
  };
  const expanded = new Set();
  const openState = {};
  const updateTables = () => {
    tables.replaceChildren(chainTable(model), convergenceTable(model, expanded, updateTables));
    const s = summaryLine(model);
    const p = problemList(model);
    summary.replaceChildren(...[s, p, ...captured(model, openState)].filter(Boolean));
  };
  updateHead();
  updateTables();
  const TABLE_EVENTS = "change:chains change:running change:diagnostics change:groups change:problems change:warnings change:log change:status";
  const offTables = listenAll(model, [
    ["change:status change:progress change:message change:can_pause", () => updateHead()],
    [TABLE_EVENTS, () => updateTables()],
  ]);

  // Plots: BokehJS arrives once per page through the carrier model.
  let doc = null;
  let received = 0; // streamed trace points, all chains (for tests: rises while sampling)
  let stream = null;
  let disposed = false;
  const applyRanks = () => {
    const ranks = model.get("ranks") || [];
    ranks.forEach((perChain, j) => {
      const src = byName(doc, `rank-${j}`);
      if (!src) return;
      const data = { bin: perChain[0].map((_, b) => b + 0.5) };
      perChain.forEach((counts, c) => (data[`c${c}`] = counts));
      src.data = data;
    });
  };
  // points drawn in chain 0's trace plot: its warm-up and its draws after tuning
  const countPoints = () => {
    const n = (name) => byName(doc, name)?.get_length() ?? 0;
    figure.dataset.points = String(n("warm-0") + n("trace-0"));
    figure.dataset.received = String(received);
  };
  // once a chain has draws after tuning, each trace plot's y range spans only those:
  // the warm-up stays drawn but no longer sets the scale
  let following = false;
  const followPosterior = () => {
    if (following || !doc) return;
    const chains = (model.get("chains") || []).length;
    const posts = [];
    for (let c = 0; c < chains; c++) posts.push(byName(doc, `trace-${c}`));
    if (!posts.some((src) => src && src.get_length() > 0)) return;
    const names = model.get("trace_names") || [];
    names.forEach((_, j) => {
      const range = byName(doc, `trace-y-${j}`);
      const lines = posts.map((_, c) => byName(doc, `post-${j}-${c}`)).filter(Boolean);
      if (!range || !lines.length) return;
      range.renderers = lines;
      range._invalidate_dataranges?.(); // BokehJS recomputes a range when its options change, not its renderers
    });
    following = true;
    figure.dataset.yFollows = "posterior";
  };
  const applyChunks = (chunks, replace) => {
    const maxPoints = model.get("live_points");
    for (const ch of chunks) {
      const parts = [[byName(doc, `warm-${ch.chain}`), ch.warm], [byName(doc, `trace-${ch.chain}`), ch.trace]];
      const dv = byName(doc, `div-${ch.chain}`);
      if (parts.some(([src]) => !src) || !dv) continue;
      for (const [src, data] of parts) {
        if (!data) continue;
        if (replace) src.data = data;
        else if (data.x.length) {
          received += data.x.length;
          src.stream(data);
        }
        // keep the whole chain in view: halve the resolution instead of dropping the start
        if (src.get_length() > maxPoints) src.data = everyOther(src.data);
      }
      if (replace) dv.data = ch.div;
      else if (ch.div.x.length) dv.stream(ch.div);
    }
    followPosterior();
    countPoints();
  };
  const embed = async () => {
    const json = figureOf(model);
    if (!json || disposed) return;
    try {
      const Bokeh = await whenBokeh(model, { waiting: noteIn(figure) });
      ({ doc } = await embedFigure(Bokeh, figure, json, theme));
      following = false;
      delete figure.dataset.yFollows;
      stream?.dispose();
      stream = null;
      if (!FINAL.has(model.get("status"))) stream = new TraceStream(model, applyChunks);
      else applyRanks();
      followPosterior();
      countPoints();
      figure.dataset.rendered = "true";
    } catch (err) {
      figure.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
  };
  const offFigure = listenAll(model, [
    [FIGURE_EVENTS, () => embed()],
    ["change:ranks", () => doc && applyRanks()],
  ]);
  await embed();

  return () => {
    disposed = true;
    stream?.dispose();
    theme.dispose();
    banner.dispose();
    offTables();
    offFigure();
  };
}

/**
 * One renderer per fit method, chosen once from the `method` trait.
 * @type {Record<string, (props: Props) => Promise<() => void>>}
 */
const RENDERERS = { mcmc: renderMCMC, svi: renderSVI };

/** @type {import("./types/anywidget").Widget<FitMonitorTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const render = RENDERERS[model.get("method")] ?? renderMCMC;
    return render({ model, el });
  },
};

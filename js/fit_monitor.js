// FitMonitor view: live chains table, progress, R-hat/ESS, trace and rank plots;
// in SVI mode (method "svi") a streamed loss curve, steps/s, ETA and current parameters.
// Python side: src/bayes_widgets/widgets/fit_monitor.py.
import css from "./fit_monitor.css";
import { whenBokeh, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, fmtSeconds, errorBanner, versionNote } from "./lib/dom.js";
import { TraceStream, sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

/** Every other row of a column data source's data (the first row kept). */
function everyOther(data) {
  const out = {};
  for (const [k, col] of Object.entries(data)) out[k] = Array.from(col).filter((_, i) => i % 2 === 0);
  return out;
}

const FINAL = new Set(["finished", "cancelled", "failed", "error"]);

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
      h("td", {}, fmt(r.draws_per_s, 3)),
      h("td", {}, r.phase === "done" ? "–" : fmtSeconds(r.eta_s)),
    ),
  );
  return h("table", { class: "bw-chains", "data-testid": "chains" }, head, body);
}

function convergenceTable(model) {
  const running = model.get("running") || [];
  const diag = model.get("diagnostics") || {};
  const params = diag.parameters && diag.parameters.length ? diag.parameters : null;
  const rows = params
    ? params.map((p) => ({ name: p.name, r_hat: p.r_hat, ess_bulk: p.ess_bulk, ess_tail: p.ess_tail, mean: p.mean, sd: p.sd }))
    : running;
  if (!rows.length) return h("div");
  const head = h(
    "tr",
    {},
    h("th", { class: "bw-left" }, params ? "parameter" : "traced (running)"),
    params ? h("th", {}, "mean") : null,
    params ? h("th", {}, "sd") : null,
    h("th", {}, "R-hat"),
    h("th", {}, "ESS bulk"),
    h("th", {}, "ESS tail"),
  );
  const body = rows.map((r) =>
    h(
      "tr",
      { "data-name": r.name, "data-rhat": r.r_hat ?? "" },
      h("td", { class: "bw-left" }, r.name),
      params ? h("td", {}, fmt(r.mean)) : null,
      params ? h("td", {}, fmt(r.sd)) : null,
      h("td", { class: r.r_hat > 1.01 ? "bw-bad" : null }, fmt(r.r_hat, 4)),
      h("td", {}, fmt(r.ess_bulk === null ? null : Math.round(r.ess_bulk))),
      h("td", {}, fmt(r.ess_tail === null ? null : Math.round(r.ess_tail))),
    ),
  );
  const extra = diag.parameters_omitted ? h("div", {}, `… ${diag.parameters_omitted} more in the result`) : null;
  return h("div", {}, h("table", { class: "bw-convergence", "data-testid": "convergence" }, head, body), extra);
}

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
    ["draws/s", fmt(d.draws_per_s)],
  ];
  return h(
    "div",
    { class: "bw-summary", "data-testid": "summary", "data-divergences": d.divergences,
      "data-draws-per-chain": d.draws_per_chain, "data-partial": d.partial ? "true" : "false" },
    items.map(([k, v]) => h("span", { style: "margin-right:14px" }, `${k}: `, h("b", {}, v))),
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
    items.map(([k, v]) => h("span", { style: "margin-right:14px" }, `${k}: `, h("b", {}, v))),
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
  const onHead = () => updateHead();
  const onTables = () => updateTables();
  model.on("change:status change:progress change:message change:can_pause", onHead);
  model.on("change:svi_params change:diagnostics", onTables);

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
    figure.dataset.points = src ? src.get_length() ?? 0 : 0;
    figure.dataset.received = received;
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
    const json = model.get("figure_json");
    if (!json || disposed) return;
    try {
      const Bokeh = await whenBokeh();
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
  const onFigure = () => embed();
  model.on("change:figure_json", onFigure);
  await embed();

  return () => {
    disposed = true;
    stream?.dispose();
    theme.dispose();
    banner.dispose();
    model.off("change:status change:progress change:message change:can_pause", onHead);
    model.off("change:svi_params change:diagnostics", onTables);
    model.off("change:figure_json", onFigure);
  };
}

export default {
  initialize() {},

  async render({ model, el }) {
    if (model.get("method") === "svi") return renderSVI({ model, el });
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
        `${p.draws_done ?? 0} / ${p.total ?? 0} draws · ${fmtSeconds(p.elapsed_s)}` +
        (FINAL.has(st) ? "" : ` · ETA ${fmtSeconds(p.eta_s)}`);
      const live = !FINAL.has(st) && st !== "created";
      cancel.disabled = !live;
      pause.disabled = !live || !model.get("can_pause") || st === "paused";
      resume.disabled = st !== "paused";
      message.textContent = model.get("message") || "";
      message.style.display = message.textContent ? "" : "none";
    };
    const updateTables = () => {
      tables.replaceChildren(chainTable(model), convergenceTable(model));
      const s = summaryLine(model);
      summary.replaceChildren(...(s ? [s] : []));
    };
    updateHead();
    updateTables();
    const onHead = () => updateHead();
    const onTables = () => updateTables();
    model.on("change:status change:progress change:message change:can_pause", onHead);
    model.on("change:chains change:running change:diagnostics", onTables);

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
    const countPoints = () => {
      const tr = byName(doc, "trace-0");
      figure.dataset.points = tr ? tr.get_length() ?? 0 : 0;
      figure.dataset.received = received;
    };
    const applyChunks = (chunks, replace) => {
      const maxPoints = model.get("live_points");
      for (const ch of chunks) {
        const tr = byName(doc, `trace-${ch.chain}`);
        const dv = byName(doc, `div-${ch.chain}`);
        if (!tr || !dv) continue;
        if (replace) {
          tr.data = ch.trace;
          dv.data = ch.div;
        } else {
          received += ch.trace.x.length;
          tr.stream(ch.trace);
          if (ch.div.x.length) dv.stream(ch.div);
        }
        // keep the whole chain in view: halve the resolution instead of dropping the start
        if (tr.get_length() > maxPoints) tr.data = everyOther(tr.data);
      }
      countPoints();
    };
    const embed = async () => {
      const json = model.get("figure_json");
      if (!json || disposed) return;
      try {
        const Bokeh = await whenBokeh();
        ({ doc } = await embedFigure(Bokeh, figure, json, theme));
        stream?.dispose();
        stream = null;
        if (!FINAL.has(model.get("status"))) stream = new TraceStream(model, applyChunks);
        else applyRanks();
        countPoints();
        figure.dataset.rendered = "true";
      } catch (err) {
        figure.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };
    const onFigure = () => embed();
    const onRanks = () => doc && applyRanks();
    model.on("change:figure_json", onFigure);
    model.on("change:ranks", onRanks);
    await embed();

    return () => {
      disposed = true;
      stream?.dispose();
      theme.dispose();
      banner.dispose();
      model.off("change:status change:progress change:message change:can_pause", onHead);
      model.off("change:chains change:running change:diagnostics", onTables);
      model.off("change:figure_json", onFigure);
      model.off("change:ranks", onRanks);
    };
  },
};

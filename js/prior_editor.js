// @ts-check
// PriorEditor view: family, parameters (sliders + exact values), pdf/cdf, summary,
// elicitation, and the model's prior predictive. Python side:
// src/bayes_widgets/widgets/prior_editor.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { skipUnchangedStyleWrites } from "./lib/bokeh_tune.js";
import { h, fmt, morph, errorBanner, versionNote, batchChanges } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { InputErrors, InputLatency, LatestSender, nextSeq, numberBox, trackDrag } from "./lib/inputs.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";
import { PriorSlices, SLICE_INTERVALS, sliceKey } from "./lib/prior_slices.js";

const css = `
.bw-prior { max-width: 900px; }
.bw-prior .bw-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.bw-prior .bw-param { display: grid; grid-template-columns: 70px 220px auto; gap: 8px; align-items: center; margin: 2px 0; }
.bw-prior table { border-collapse: collapse; }
.bw-prior td, .bw-prior th { padding: 1px 8px; text-align: right; }
.bw-prior fieldset { margin: 6px 0; padding: 4px 8px; }
.bw-prior .bw-readonly { color: var(--bw-muted); }
.bw-prior .bw-note { color: var(--bw-fg); background: var(--bw-surface); padding: 2px 6px; }
.bw-prior input.bw-invalid { outline: 2px solid var(--bw-error); }
`;

/** A value for an input box: up to 6 significant digits, no trailing zeros. */
function exact(x) {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : "";
}

function sliderRange(spec, value) {
  let [lo, hi] = spec.slider;
  if (Number.isFinite(value)) {
    if (value < lo) lo = value;
    if (value > hi) hi = value;
  }
  return [lo, hi];
}

/** Probabilities from "0.05, 0.5, 0.95": a list of numbers in (0, 1), or null. */
function parseQuantiles(text) {
  const parts = String(text).split(",").map((v) => v.trim()).filter(Boolean);
  const qs = parts.map(Number);
  return qs.length && qs.every((q) => Number.isFinite(q) && q > 0 && q < 1) ? qs : null;
}

/**
 * One parameter of a parameterization (widgets/prior_editor.py: _family_specs).
 * @typedef {object} ParamSpec
 * @property {string} name
 * @property {number | null} low           null: unbounded
 * @property {number | null} high
 * @property {boolean} open_low
 * @property {boolean} open_high
 * @property {[number, number]} slider     a sensible slider range
 * @property {number} default
 */

/**
 * A family: discrete or not, and its parameterizations ("canonical" first) by name.
 * @typedef {object} FamilySpec
 * @property {boolean} discrete
 * @property {Record<string, ParamSpec[]>} [parameterizations]
 * @property {Record<string, ParamSpec[]>} [parameterisations]   the old key, in notebooks saved before
 */

/**
 * A free variable of the model (or the single prior): editable, or why not.
 * @typedef {object} VariableSpec
 * @property {string} name
 * @property {boolean} editable
 * @property {string} [reason]             why it is fixed
 * @property {string} [family]
 * @property {string[]} [dims]
 * @property {string[] | null} [elements]  labels of a vector prior's elements
 */

/**
 * The prior predictive: bands over a series, or the density of values (core/priors/predictive.py).
 * @typedef {object} PredictiveView
 * @property {number} [draws]
 * @property {string | null} [note]
 * @property {"series" | "values"} [mode]
 * @property {number[]} [x]
 * @property {Record<string, number[]>} [bands]          by probability: "0.05", "0.25", ...
 * @property {Array<number | null> | null} [observed]
 * @property {{edges: number[], density: number[]}} [histogram]
 * @property {{edges: number[], density: number[]} | null} [observed_histogram]
 * @property {Outside} [outside]
 */

/**
 * How much of the prior predictive falls outside the plausible range.
 * @typedef {object} Outside
 * @property {number | null} lower
 * @property {number | null} upper
 * @property {number} share_below          of the values
 * @property {number} share_above
 * @property {number} share_values
 * @property {number} share_draws          of the draws: any value outside
 */

/**
 * Columns of one band source of the transform figure (core/figures/mmm_transforms.py).
 * @typedef {{x: number[], q05: number[], q25: number[], q50: number[], q75: number[], q95: number[]}} BandColumns
 */

/**
 * An MMM channel's adstock and saturation bands (widgets/prior_editor_transforms.py).
 * @typedef {object} TransformsView
 * @property {string} [channel]
 * @property {string | null} [geo]
 * @property {Record<string, Record<string, Array<number | null>>>} [sources]   by source name
 * @property {[number, number]} [spend_range]   the channel's observed spend per period
 * @property {{prior: number, posterior: number}} [draws]
 * @property {{text?: string, spend?: number, prior?: {lag0: number, at_high: number},
 *   posterior?: {lag0: number, at_high: number}}} [summary]
 * @property {string} [note]
 */

/**
 * The synced traits of PriorEditor (widgets/prior_editor.py).
 * @typedef {object} PriorEditorTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {{seq: number, n: number}} applied
 * @property {Record<string, FamilySpec>} families
 * @property {VariableSpec[]} variables
 * @property {string} variable
 * @property {number} element
 * @property {string} family
 * @property {string} parameterization
 * @property {string} [parameterisation]    the old name, in notebooks saved before the rename
 * @property {Record<string, number>} values  the shown prior's parameters, in the chosen parameterization
 * @property {{mean?: number | null, sd?: number | null, quantiles?: Record<string, number | null>}} summary
 * @property {{x?: number[], pdf?: number[], cdf?: number[], variable?: string, element?: number,
 *   family?: string}} curves
 * @property {PredictiveView} predictive
 * @property {{lower: number | null, upper: number | null}} plausible
 * @property {string} dist_figure           a Bokeh json_item (a template the page fills)
 * @property {string} predictive_figure     a Bokeh json_item; "" without a model
 * @property {string} [pred_figure]         the old name, in notebooks saved before the rename
 * @property {number[]} quantiles
 * @property {number} updates
 * @property {TransformsView} transforms    an MMM's transform bands; {} otherwise
 * @property {string} transforms_figure     a Bokeh json_item; "" without an MMM
 * @property {string[]} channels
 * @property {string} channel
 * @property {string[]} geos
 * @property {string} geo                   "" pools every geo
 * @property {string} context               what the shown element's views depend on but its own parameters (keys the slices)
 */

/** @type {import("./types/anywidget").Widget<PriorEditorTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = []; // this view's model listeners, one event name each
    const root = h("div", { class: "bw-root bw-prior", "data-bw-widget": "prior_editor", "data-testid": "prior-editor" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const errors = new InputErrors();
    const latency = new InputLatency("prior_editor");
    let lastLocal = 0; // number of the newest input made on this page
    const sender = new LatestSender((payload, seq) => {
      latency.sent(seq);
      sendCommand(model, "edit", { ...payload, seq });
    }, {
      merge: (a, b) => ({ values: { ...a.values, ...b.values } }),
    });
    const send = (type, payload) => {
      sendLocal();
      local = null;
      lastLocal = nextSeq();
      sendCommand(model, type, { ...payload, seq: lastLocal });
    };
    // Slider positions painted from a slice (see lib/prior_slices.js) are not sent while
    // the slider moves: the position let go of is, and its reply shows the same views.
    let local = null; // {seq, name, value, sent}: the newest position painted from a slice
    const localActive = () => local !== null && (model.get("applied")?.seq || 0) < local.seq;
    const slices = new PriorSlices((param, ask, request) => sendCommand(model, "slice", { param, request, ...ask }));
    const sendLocal = () => {
      if (!local || local.sent) return;
      local.sent = true;
      const seq = nextSeq();
      lastLocal = seq;
      sender.push({ values: { [local.name]: local.value } }, seq);
    };
    const varSelect = h("select", { "data-testid": "variable" });
    const elemSelect = h("select", { "data-testid": "element" });
    const famSelect = h("select", { "data-testid": "family" });
    const paramSelect = h("select", { "data-testid": "parameterization" });
    const params = h("div", { "data-testid": "params" });
    const summary = h("div", { "data-testid": "summary" });
    const qInput = numberBox({ field: "quantiles", value: (model.get("quantiles") || []).join(", "), errors,
      testid: "quantiles", minChars: 18, parse: parseQuantiles, expected: "probabilities in (0, 1) separated by commas",
      onCommit: (values) => send("quantiles", { values }) });
    const distFig = h("div", { "data-testid": "dist-figure" });
    const predFig = h("div", { "data-testid": "pred-figure" });
    const predInfo = h("div", { "data-testid": "pred-info" });
    const predNote = h("div", { class: "bw-note", role: "status", "data-testid": "pred-note", style: "display:none" });
    const readOnly = h("div", { class: "bw-readonly" });
    // an MMM's transforms: channel (and geo) selects, the curves, a summary line
    const chanSelect = h("select", { "data-testid": "transform-channel", "aria-label": "channel" });
    const geoSelect = h("select", { "data-testid": "transform-geo", "aria-label": "geo" });
    const transFig = h("div", { "data-testid": "transform-figure" });
    const transSummary = h("div", { "data-testid": "transform-summary" });
    const transNote = h("div", { class: "bw-note", role: "status", "data-testid": "transform-note", style: "display:none" });

    // elicitation: each box is read when its button is pressed (or Enter in it)
    const fitBounds = () => {
      const lower = mLower.read(), upper = mUpper.read(), mass = mMass.read();
      if (lower === null || upper === null || mass === null) return;
      send("elicit", { method: "maxent", lower, upper, mass });
    };
    const fitQuartiles = () => {
      const v = [q1.read(), q2.read(), q3.read()];
      if (v.includes(null)) return;
      send("elicit", { method: "quartiles", q1: v[0], q2: v[1], q3: v[2] });
    };
    const mLower = numberBox({ field: "lower", placeholder: "lower", testid: "maxent-lower", errors, onEnter: fitBounds });
    const mUpper = numberBox({ field: "upper", placeholder: "upper", testid: "maxent-upper", errors, onEnter: fitBounds });
    const mMass = numberBox({ field: "mass", value: "0.9", testid: "maxent-mass", errors, onEnter: fitBounds, minChars: 6 });
    const mGo = h("button", { "data-testid": "maxent" }, "Fit bounds");
    const q1 = numberBox({ field: "q1", placeholder: "25%", testid: "q1", errors, onEnter: fitQuartiles });
    const q2 = numberBox({ field: "q2", placeholder: "50%", testid: "q2", errors, onEnter: fitQuartiles });
    const q3 = numberBox({ field: "q3", placeholder: "75%", testid: "q3", errors, onEnter: fitQuartiles });
    const qGo = h("button", { "data-testid": "quartiles" }, "Fit quartiles");
    mGo.addEventListener("click", fitBounds);
    qGo.addEventListener("click", fitQuartiles);
    // plausible range: an empty box is no bound
    const sendRange = () => {
      const lower = pLower.read(), upper = pUpper.read();
      if ((lower === null && pLower.value.trim() !== "") || (upper === null && pUpper.value.trim() !== "")) return;
      send("range", { lower, upper });
    };
    const range = model.get("plausible") || { lower: null, upper: null };
    const pLower = numberBox({ field: "range lower", placeholder: "lower", testid: "range-lower", errors,
      allowEmpty: true, value: String(range.lower ?? ""), onCommit: sendRange });
    const pUpper = numberBox({ field: "range upper", placeholder: "upper", testid: "range-upper", errors,
      allowEmpty: true, value: String(range.upper ?? ""), onCommit: sendRange });

    const varLabel = h("span", {}, "variable");
    const elemLabel = h("span", {}, "element");
    const paramLabel = h("span", {}, "parameters");
    // the old trait name, in notebooks saved before the rename
    const predictiveFigure = () => model.get("predictive_figure") || model.get("pred_figure");
    const parameterization = () => model.get("parameterization") || model.get("parameterisation") || "canonical";
    /** @param {FamilySpec | undefined} fam */
    const parameterizationsOf = (fam) => fam?.parameterizations || fam?.parameterisations;
    const hasModel = () => Boolean(predictiveFigure());
    root.append(
      ...[note, banner.el].filter(Boolean), errors.el,
      h("div", { class: "bw-row" }, varLabel, varSelect, elemLabel, elemSelect, "family ", famSelect,
        paramLabel, paramSelect),
      readOnly, params, h("div", { class: "bw-row" }, distFig, h("div", {}, summary, h("div", {}, "quantiles ", qInput))),
      h("fieldset", {}, h("legend", {}, "elicit"),
        h("div", { class: "bw-row" }, "mass ", mMass, " between ", mLower, " and ", mUpper, mGo),
        h("div", { class: "bw-row" }, "quartiles ", q1, q2, q3, qGo)),
      h("div", { style: model.get("transforms_figure") || model.get("transforms")?.note ? "" : "display:none",
        "data-testid": "transforms" },
        h("div", { class: "bw-row", style: model.get("transforms_figure") ? "" : "display:none" },
          h("b", {}, "transforms"), " channel ", chanSelect,
          h("span", { style: (model.get("geos") || []).length ? "" : "display:none" }, " geo ", geoSelect)),
        transNote, transFig, transSummary),
      h("div", { style: hasModel() ? "" : "display:none" },
        h("div", { class: "bw-row" }, "plausible range ", pLower, " to ", pUpper, predInfo), predNote, predFig),
    );

    const renderSelectors = () => {
      const vars = model.get("variables") || [];
      varSelect.replaceChildren(...vars.map((v) =>
        h("option", { value: v.name, selected: v.name === model.get("variable"), disabled: !v.editable },
          v.editable ? v.name : `${v.name} (fixed)`)));
      varSelect.style.display = varLabel.style.display = vars.length > 1 ? "" : "none";
      readOnly.textContent = vars.filter((v) => !v.editable).map((v) => `${v.name}: ${v.reason}`).join("; ");
      const labels = vars.find((v) => v.name === model.get("variable"))?.elements || null;
      elemSelect.replaceChildren(...(labels || []).map((l, i) =>
        h("option", { value: i, selected: i === model.get("element") }, l)));
      elemSelect.style.display = elemLabel.style.display = labels ? "" : "none";
      const fams = model.get("families") || {};
      famSelect.replaceChildren(...Object.keys(fams).map((f) =>
        h("option", { value: f, selected: f === model.get("family") }, f)));
      const pz = Object.keys(parameterizationsOf(fams[model.get("family")]) || { canonical: 1 });
      paramSelect.replaceChildren(...pz.map((p) =>
        h("option", { value: p, selected: p === parameterization() }, p === "mean_sd" ? "mean / sd" : p)));
      paramSelect.style.display = paramLabel.style.display = pz.length > 1 ? "" : "none";
      root.dataset.family = model.get("family");
      root.dataset.variable = model.get("variable");
      chanSelect.replaceChildren(...(model.get("channels") || []).map((c) =>
        h("option", { value: c, selected: c === model.get("channel") }, c)));
      geoSelect.replaceChildren(h("option", { value: "", selected: !model.get("geo") }, "all (pooled)"),
        ...(model.get("geos") || []).map((g) => h("option", { value: g, selected: g === model.get("geo") }, g)));
    };

    // The parameter controls are built when the variable, element, family or
    // parameterization changes, and otherwise updated in place: the slider being
    // dragged and the box being typed in are never replaced or reset by a reply.
    let paramsKey = null;
    const controls = {}; // name -> {slider, box, spec, dragging}
    const specsNow = () => {
      const fams = model.get("families") || {};
      return parameterizationsOf(fams[model.get("family")])?.[parameterization()] || [];
    };
    const buildParams = () => {
      const specs = specsNow();
      const values = model.get("values") || {};
      for (const k of Object.keys(controls)) delete controls[k];
      params.replaceChildren(...specs.map((spec) => {
        const value = values[spec.name];
        const [lo, hi] = sliderRange(spec, value);
        const slider = h("input", { type: "range", min: lo, max: hi, step: "any",
          "data-testid": `slider-${spec.name}`, "aria-label": spec.name });
        slider.value = String(value);
        const dragging = trackDrag(slider, () => sendLocal());
        const edit = (v) => {
          sendLocal();
          local = null;
          const seq = nextSeq();
          lastLocal = seq;
          latency.input(seq);
          sender.push({ values: { [spec.name]: v } }, seq);
        };
        const box = numberBox({ field: spec.name, value: exact(value), testid: `value-${spec.name}`, errors,
          onCommit: edit });
        slider.addEventListener("input", () => {
          const v = +slider.value;
          box.forceValue(exact(v));
          const view = slices.lookup(spec.name, keyFor(spec.name, slider), v);
          if (view) paintLocal(spec.name, v, view);
          else edit(v);
        });
        const want = () => wantSlice(spec.name);
        slider.addEventListener("pointerenter", want);
        slider.addEventListener("pointerdown", want);
        slider.addEventListener("focus", want);
        slider.addEventListener("change", () => sendLocal()); // let go, or a key pressed
        controls[spec.name] = { slider, box, spec, dragging };
        applyStep(spec.name);
        return h("div", { class: "bw-param", "data-param": spec.name }, h("b", {}, spec.name), slider, box);
      }));
    };
    const updateParams = (force = false) => {
      const values = model.get("values") || {};
      const stale = (model.get("applied")?.seq || 0) < lastLocal; // a newer input is on its way
      for (const [name, c] of Object.entries(controls)) {
        const value = values[name];
        if (!Number.isFinite(value)) continue;
        if (!force && (stale || c.dragging())) continue;
        if (force || document.activeElement !== c.slider) {
          const [lo, hi] = sliderRange(c.spec, value);
          c.slider.min = lo;
          c.slider.max = hi;
          applyStep(name);
          c.slider.value = value;
        }
        if (force) c.box.forceValue(exact(value));
        else c.box.setValue(exact(value));
      }
    };
    const renderParams = () => {
      const key = [model.get("variable"), model.get("element"), model.get("family"), parameterization(),
        specsNow().map((s) => s.name).join(",")].join("|");
      if (key !== paramsKey) {
        paramsKey = key;
        sender.clear();
        buildParams();
      } else {
        updateParams();
      }
      root.dataset.updates = String(model.get("updates"));
    };

    const renderSummary = (s = model.get("summary") || {}) => {
      const q = s.quantiles || {};
      morph(summary, h("table", {},
        h("tr", {}, h("th", {}, "mean"), h("td", { "data-testid": "mean", "data-value": s.mean ?? "" }, fmt(s.mean, 4))),
        h("tr", {}, h("th", {}, "sd"), h("td", { "data-testid": "sd", "data-value": s.sd ?? "" }, fmt(s.sd, 4))),
        ...Object.entries(q).map(([k, v]) =>
          h("tr", {}, h("th", {}, `${+(+k * 100).toFixed(1)}%`), h("td", { "data-q": k, "data-value": v ?? "" }, fmt(v, 4)))),
      ));
      qInput.setValue((model.get("quantiles") || []).join(", "));
    };

    let distDoc = null;
    let predDoc = null;
    let transDoc = null;
    let paints = 0;
    const applyCurves = (c = model.get("curves") || {}) => {
      const src = byName(distDoc, "dist");
      if (src && c.x) {
        src.data = { x: c.x, pdf: c.pdf, cdf: c.cdf };
        const maxPdf = Math.max(...c.pdf);
        distFig.dataset.peak = String(maxPdf);
        distFig.dataset.points = String(c.x.length);
        distFig.dataset.variable = c.variable;
        distFig.dataset.element = String(c.element);
        distFig.dataset.family = c.family;
      }
    };
    const applyPredictive = (p = model.get("predictive") || {}) => {
      predNote.textContent = p.note || "";
      predNote.style.display = p.note ? "" : "none";
      predFig.dataset.mode = p.mode || "";
      if (!predDoc || !p.draws) return;
      const bands = byName(predDoc, "bands");
      if (bands && p.bands) {
        bands.data = { x: p.x, q05: p.bands["0.05"], q25: p.bands["0.25"], q50: p.bands["0.5"],
          q75: p.bands["0.75"], q95: p.bands["0.95"] };
        predFig.dataset.q95First = String(p.bands["0.95"][0]);
        predFig.dataset.q05First = String(p.bands["0.05"][0]);
      }
      const obs = byName(predDoc, "observed");
      if (obs) obs.data = p.observed && p.bands ? { x: p.x, y: p.observed } : { x: [], y: [] };
      const hist = byName(predDoc, "hist");
      if (hist && p.histogram) {
        const e = p.histogram.edges;
        hist.data = { left: e.slice(0, -1), right: e.slice(1), density: p.histogram.density };
        predFig.dataset.spread = String(e[e.length - 1] - e[0]);
      }
      const obsHist = byName(predDoc, "observed_hist");
      if (obsHist) {
        const oh = p.observed_histogram;
        const e = oh?.edges || [];
        obsHist.data = oh ? { left: e.slice(0, -1), right: e.slice(1), density: oh.density }
          : { left: [], right: [], density: [] };
      }
      const o = p.outside || /** @type {Partial<Outside>} */ ({});
      predInfo.dataset.shareBelow = String(o.share_below);
      predInfo.dataset.shareAbove = String(o.share_above);
      predInfo.textContent = (o.lower !== null && o.lower !== undefined) || (o.upper !== null && o.upper !== undefined)
        ? `below: ${(100 * o.share_below).toFixed(1)}% · above: ${(100 * o.share_above).toFixed(1)}% of values; ` +
          `${(100 * o.share_draws).toFixed(1)}% of draws leave the range`
        : "";
      predFig.dataset.rendered = "true";
    };
    const applyTransforms = (t = model.get("transforms") || {}) => {
      transNote.textContent = t.note || "";
      transNote.style.display = t.note ? "" : "none";
      transSummary.textContent = t.summary?.text || "";
      const post = t.summary?.posterior;
      transSummary.dataset.priorLag0 = String(t.summary?.prior?.lag0 ?? "");
      transSummary.dataset.priorAtHigh = String(t.summary?.prior?.at_high ?? "");
      transSummary.dataset.posteriorLag0 = String(post?.lag0 ?? "");
      transFig.dataset.channel = t.channel || "";
      transFig.dataset.geo = t.geo || "";
      if (!transDoc || !t.sources) return;
      for (const [name, columns] of Object.entries(t.sources)) {
        const src = byName(transDoc, name);
        if (src) src.data = columns;
      }
      for (let i = 0; i < 3; i += 1) {
        const item = transDoc.get_model_by_name(`legend_posterior_${i}`);
        if (item) item.visible = Boolean(post);
      }
      transFig.dataset.posterior = post ? "true" : "false";
      transFig.dataset.rendered = "true";
    };
    // after the figures show the kernel's reply: count the repaint, measure input latency
    const repainted = () => {
      paints += 1;
      root.dataset.paints = String(paints);
      distFig.dataset.paints = String(paints);
      if (predDoc) predFig.dataset.paints = String(paints);
      if (transDoc) transFig.dataset.paints = String(paints);
    };

    // -- slices: the views at every position of the slider the pointer is on -----------------
    const basisNow = () => ({ context: model.get("context"), variable: model.get("variable"),
      element: model.get("element"), family: model.get("family"), parameterization: parameterization(),
      values: model.get("values") || {} });
    const keyFor = (name, slider) => sliceKey(basisNow(), name, +slider.min, +slider.max, SLICE_INTERVALS);
    // a slider with a slice moves on its positions (1 % of its range apart), else freely
    function applyStep(name) {
      const c = controls[name];
      if (!c) return;
      const key = keyFor(name, c.slider);
      const step = slices.step(name, key);
      const want = step === null ? "any" : String(step);
      if (c.slider.step !== want) c.slider.step = want;
      const got = slices.status(name, key);
      c.slider.dataset.sliced = step === null ? "false" : "true";
      c.slider.dataset.slicePositions = String(got?.known ?? 0);
      c.slider.dataset.sliceComplete = got?.done ? "true" : "false";
    }
    function wantSlice(name) {
      const c = controls[name];
      if (!c || !model.get("variable")) return;
      slices.want(name, keyFor(name, c.slider), +c.slider.min, +c.slider.max);
    }
    const paintLocal = (name, value, view) => {
      const seq = nextSeq();
      lastLocal = seq;
      latency.input(seq);
      sender.clear();
      local = { seq, name, value, sent: false };
      renderSummary(view.summary);
      applyCurves(view.curves);
      if (view.predictive) applyPredictive(view.predictive);
      if (view.transforms) applyTransforms(view.transforms);
      root.dataset.localPaints = String(+(root.dataset.localPaints || 0) + 1);
      latency.painted(seq, repainted);
    };

    varSelect.addEventListener("change", () => { sender.clear(); send("select", { variable: varSelect.value, element: 0 }); });
    elemSelect.addEventListener("change", () => { sender.clear(); send("select", { variable: model.get("variable"), element: +elemSelect.value }); });
    famSelect.addEventListener("change", () => { sender.clear(); send("edit", { family: famSelect.value }); });
    paramSelect.addEventListener("change", () => { sender.clear(); send("edit", { parameterization: paramSelect.value }); });
    chanSelect.addEventListener("change", () => { sender.clear(); send("channel", { channel: chanSelect.value, geo: geoSelect.value }); });
    geoSelect.addEventListener("change", () => { sender.clear(); send("channel", { channel: chanSelect.value, geo: geoSelect.value }); });

    const onSeq = () => {
      const seq = model.get("applied")?.seq || 0;
      sender.done(seq);
      updateParams();
      latency.painted(seq, repainted);
    };
    // One reply changes several traits at once: their change events only mark what to
    // redraw, and one task after them redraws each piece once.
    const mark = batchChanges((d) => {
      if (d.has("selectors")) renderSelectors();
      if (d.has("selectors") || d.has("values")) renderParams();
      // while a drag paints from a slice, older replies do not paint over it
      const older = localActive();
      if (d.has("values") && !older) renderSummary();
      if (d.has("curves") && !older) applyCurves();
      if (d.has("predictive") && !older) applyPredictive();
      if (d.has("transforms") && !older) applyTransforms();
      if (d.has("context") || d.has("values")) for (const name of Object.keys(controls)) applyStep(name);
      if (d.has("applied")) onSeq();
    });
    const onSelectors = mark("selectors");
    const onValues = mark("values");
    const onCurves = mark("curves");
    const onPredictive = mark("predictive");
    const onTransforms = mark("transforms");
    const onApplied = mark("applied");
    const onContext = mark("context");
    offs.push(listen(model, "change:variables change:variable change:element change:family change:parameterization " +
      "change:parameterisation change:channels change:channel change:geos change:geo", onSelectors));
    offs.push(listen(model, "change:transforms", onTransforms));
    offs.push(listen(model, "change:values change:summary change:quantiles change:updates", onValues));
    offs.push(listen(model, "change:curves", onCurves));
    offs.push(listen(model, "change:predictive", onPredictive));
    offs.push(listen(model, "change:applied", onApplied));
    offs.push(listen(model, "change:context", onContext));
    // a refused value: put the inputs back to the last valid state
    const onMsg = (msg, buffers) => {
      if (msg.type === "slice") {
        const got = slices.receive(msg, buffers || []);
        if (got) {
          applyStep(got.param);
          if (got.more) wantSlice(got.param); // the next part
        }
        return;
      }
      if (msg.type !== "rejected") return;
      sender.done(msg.seq ?? Infinity);
      updateParams(true);
    };
    offs.push(listen(model, "msg:custom", onMsg));
    renderSelectors();
    renderParams();
    renderSummary();

    try {
      const Bokeh = await whenBokeh(model, { waiting: noteIn(distFig) });
      skipUnchangedStyleWrites(Bokeh);
      ({ doc: distDoc } = await embedFigure(Bokeh, distFig, model.get("dist_figure"), theme));
      applyCurves();
      distFig.dataset.rendered = "true";
      if (predictiveFigure()) {
        ({ doc: predDoc } = await embedFigure(Bokeh, predFig, predictiveFigure(), theme));
        applyPredictive();
      }
      if (model.get("transforms_figure")) {
        ({ doc: transDoc } = await embedFigure(Bokeh, transFig, model.get("transforms_figure"), theme));
        applyTransforms();
      }
      requestAnimationFrame(repainted);
    } catch (err) {
      distFig.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      theme.dispose();
      banner.dispose();
      sender.dispose();
      for (const off of offs) off();
    };
  },
};

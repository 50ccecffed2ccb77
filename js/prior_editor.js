// PriorEditor view: family, parameters (sliders + exact values), pdf/cdf, summary,
// elicitation, and the model's prior predictive. Python side:
// src/bayes_widgets/widgets/prior_editor.py.
import { whenBokeh, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const DEBOUNCE_MS = 60;

const css = `
.bw-prior { max-width: 900px; }
.bw-prior .bw-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.bw-prior .bw-param { display: grid; grid-template-columns: 70px 220px 90px; gap: 8px; align-items: center; margin: 2px 0; }
.bw-prior input[type=number] { width: 86px; }
.bw-prior table { border-collapse: collapse; }
.bw-prior td, .bw-prior th { padding: 1px 8px; text-align: right; }
.bw-prior fieldset { margin: 6px 0; padding: 4px 8px; }
.bw-prior .bw-readonly { color: var(--jp-ui-font-color2, #777); }
`;

function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

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

export default {
  initialize() {},

  async render({ model, el }) {
    const root = h("div", { class: "bw-root bw-prior", "data-bw-widget": "prior_editor", "data-testid": "prior-editor" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const varSelect = h("select", { "data-testid": "variable" });
    const elemSelect = h("select", { "data-testid": "element" });
    const famSelect = h("select", { "data-testid": "family" });
    const paramSelect = h("select", { "data-testid": "parameterisation" });
    const params = h("div", { "data-testid": "params" });
    const summary = h("div", { "data-testid": "summary" });
    const qInput = h("input", { type: "text", size: 18, "data-testid": "quantiles",
      value: (model.get("quantiles") || []).join(", ") });
    qInput.addEventListener("change", () =>
      sendCommand(model, "quantiles", { values: qInput.value.split(",").map((v) => v.trim()).filter(Boolean) }));
    const distFig = h("div", { "data-testid": "dist-figure" });
    const predFig = h("div", { "data-testid": "pred-figure" });
    const predInfo = h("div", { "data-testid": "pred-info" });
    const readOnly = h("div", { class: "bw-readonly" });

    // elicitation
    const mLower = h("input", { type: "number", step: "any", placeholder: "lower", "data-testid": "maxent-lower" });
    const mUpper = h("input", { type: "number", step: "any", placeholder: "upper", "data-testid": "maxent-upper" });
    const mMass = h("input", { type: "number", step: "any", value: "0.9", "data-testid": "maxent-mass" });
    const mGo = h("button", { "data-testid": "maxent" }, "Fit bounds");
    const q1 = h("input", { type: "number", step: "any", placeholder: "25%" });
    const q2 = h("input", { type: "number", step: "any", placeholder: "50%" });
    const q3 = h("input", { type: "number", step: "any", placeholder: "75%" });
    const qGo = h("button", { "data-testid": "quartiles" }, "Fit quartiles");
    mGo.addEventListener("click", () =>
      sendCommand(model, "elicit", { method: "maxent", lower: +mLower.value, upper: +mUpper.value, mass: +mMass.value }));
    qGo.addEventListener("click", () =>
      sendCommand(model, "elicit", { method: "quartiles", q1: +q1.value, q2: +q2.value, q3: +q3.value }));
    // plausible range
    const pLower = h("input", { type: "number", step: "any", placeholder: "lower", "data-testid": "range-lower" });
    const pUpper = h("input", { type: "number", step: "any", placeholder: "upper", "data-testid": "range-upper" });
    const sendRange = debounce(() => sendCommand(model, "range", {
      lower: pLower.value === "" ? null : +pLower.value, upper: pUpper.value === "" ? null : +pUpper.value }), 300);
    pLower.addEventListener("input", sendRange);
    pUpper.addEventListener("input", sendRange);

    const varLabel = h("span", {}, "variable");
    const elemLabel = h("span", {}, "element");
    const paramLabel = h("span", {}, "parameters");
    const range = model.get("plausible") || {};
    if (range.lower !== null && range.lower !== undefined) pLower.value = range.lower;
    if (range.upper !== null && range.upper !== undefined) pUpper.value = range.upper;
    const hasModel = () => (model.get("variables") || []).some((v) => v.name !== "prior");
    root.append(
      ...[note, banner.el].filter(Boolean),
      h("div", { class: "bw-row" }, varLabel, varSelect, elemLabel, elemSelect, "family ", famSelect,
        paramLabel, paramSelect),
      readOnly, params, h("div", { class: "bw-row" }, distFig, h("div", {}, summary, h("div", {}, "quantiles ", qInput))),
      h("fieldset", {}, h("legend", {}, "elicit"),
        h("div", { class: "bw-row" }, "mass ", mMass, " between ", mLower, " and ", mUpper, mGo),
        h("div", { class: "bw-row" }, "quartiles ", q1, q2, q3, qGo)),
      h("div", { style: hasModel() ? "" : "display:none" },
        h("div", { class: "bw-row" }, "plausible range ", pLower, " to ", pUpper, predInfo), predFig),
    );

    const sendEdit = debounce((values) => sendCommand(model, "edit", { values }), DEBOUNCE_MS);

    const renderSelectors = () => {
      const vars = model.get("variables") || [];
      varSelect.replaceChildren(...vars.map((v) =>
        h("option", { value: v.name, selected: v.name === model.get("variable"), disabled: !v.editable },
          v.editable ? v.name : `${v.name} (fixed)`)));
      varSelect.style.display = varLabel.style.display = vars.length > 1 ? "" : "none";
      readOnly.textContent = vars.filter((v) => !v.editable).map((v) => `${v.name}: ${v.reason}`).join("; ");
      const current = vars.find((v) => v.name === model.get("variable")) || {};
      const labels = current.elements || null;
      elemSelect.replaceChildren(...(labels || []).map((l, i) =>
        h("option", { value: i, selected: i === model.get("element") }, l)));
      elemSelect.style.display = elemLabel.style.display = labels ? "" : "none";
      const fams = model.get("families") || {};
      famSelect.replaceChildren(...Object.keys(fams).map((f) =>
        h("option", { value: f, selected: f === model.get("family") }, f)));
      const pz = Object.keys(fams[model.get("family")]?.parameterisations || { canonical: 1 });
      paramSelect.replaceChildren(...pz.map((p) =>
        h("option", { value: p, selected: p === model.get("parameterisation") }, p === "mean_sd" ? "mean / sd" : p)));
      paramSelect.style.display = paramLabel.style.display = pz.length > 1 ? "" : "none";
      root.dataset.family = model.get("family");
      root.dataset.variable = model.get("variable");
      root.dataset.updates = model.get("updates");
    };

    const renderParams = () => {
      const fams = model.get("families") || {};
      const specs = fams[model.get("family")]?.parameterisations?.[model.get("parameterisation")] || [];
      const values = model.get("values") || {};
      params.replaceChildren(...specs.map((spec) => {
        const value = values[spec.name];
        const [lo, hi] = sliderRange(spec, value);
        const slider = h("input", { type: "range", min: lo, max: hi, step: "any", value,
          "data-testid": `slider-${spec.name}` });
        const box = h("input", { type: "number", step: "any", value: exact(value),
          "data-testid": `value-${spec.name}` });
        slider.addEventListener("input", () => {
          box.value = exact(+slider.value);
          sendEdit({ [spec.name]: +slider.value });
        });
        box.addEventListener("change", () => sendCommand(model, "edit", { values: { [spec.name]: box.value === "" ? null : +box.value } }));
        return h("div", { class: "bw-param" }, h("b", {}, spec.name), slider, box);
      }));
    };

    const renderSummary = () => {
      const s = model.get("summary") || {};
      const q = s.quantiles || {};
      summary.replaceChildren(h("table", {},
        h("tr", {}, h("th", {}, "mean"), h("td", { "data-testid": "mean", "data-value": s.mean ?? "" }, fmt(s.mean, 4))),
        h("tr", {}, h("th", {}, "sd"), h("td", { "data-testid": "sd", "data-value": s.sd ?? "" }, fmt(s.sd, 4))),
        ...Object.entries(q).map(([k, v]) =>
          h("tr", {}, h("th", {}, `${+(+k * 100).toFixed(1)}%`), h("td", { "data-q": k, "data-value": v ?? "" }, fmt(v, 4)))),
      ));
    };

    let distDoc = null;
    let predDoc = null;
    const applyCurves = () => {
      const c = model.get("curves") || {};
      const src = byName(distDoc, "dist");
      if (src && c.x) {
        src.data = { x: c.x, pdf: c.pdf, cdf: c.cdf };
        const maxPdf = Math.max(...c.pdf);
        distFig.dataset.peak = maxPdf;
        distFig.dataset.points = c.x.length;
        distFig.dataset.variable = c.variable;
        distFig.dataset.element = c.element;
        distFig.dataset.family = c.family;
      }
    };
    const applyPredictive = () => {
      const p = model.get("predictive") || {};
      if (!predDoc || !p.draws) return;
      const bands = byName(predDoc, "bands");
      if (bands && p.bands) {
        bands.data = { x: p.x, q05: p.bands["0.05"], q25: p.bands["0.25"], q50: p.bands["0.5"],
          q75: p.bands["0.75"], q95: p.bands["0.95"] };
        predFig.dataset.q95First = p.bands["0.95"][0];
        predFig.dataset.q05First = p.bands["0.05"][0];
      }
      const obs = byName(predDoc, "observed");
      if (obs && p.observed) obs.data = { x: p.x, y: p.observed };
      const hist = byName(predDoc, "hist");
      if (hist && p.histogram) {
        const e = p.histogram.edges;
        hist.data = { left: e.slice(0, -1), right: e.slice(1), count: p.histogram.counts };
      }
      const o = p.outside || {};
      predInfo.dataset.shareBelow = o.share_below;
      predInfo.dataset.shareAbove = o.share_above;
      predInfo.textContent = (o.lower !== null && o.lower !== undefined) || (o.upper !== null && o.upper !== undefined)
        ? `below: ${(100 * o.share_below).toFixed(1)}% · above: ${(100 * o.share_above).toFixed(1)}% of values; ` +
          `${(100 * o.share_draws).toFixed(1)}% of draws leave the range`
        : "";
      predFig.dataset.rendered = "true";
    };

    varSelect.addEventListener("change", () => sendCommand(model, "select", { variable: varSelect.value, element: 0 }));
    elemSelect.addEventListener("change", () => sendCommand(model, "select", { variable: model.get("variable"), element: +elemSelect.value }));
    famSelect.addEventListener("change", () => sendCommand(model, "edit", { family: famSelect.value }));
    paramSelect.addEventListener("change", () => sendCommand(model, "edit", { parameterisation: paramSelect.value }));

    const onSelectors = () => { renderSelectors(); renderParams(); };
    const onValues = () => { renderSelectors(); renderParams(); renderSummary(); };
    model.on("change:variables change:variable change:element change:family change:parameterisation change:updates", onSelectors);
    model.on("change:values change:summary", onValues);
    model.on("change:curves", applyCurves);
    model.on("change:predictive", applyPredictive);
    // a refused value: put the inputs back to the last valid state
    const onMsg = (msg) => { if (msg.type === "rejected") renderParams(); };
    model.on("msg:custom", onMsg);
    onValues();

    try {
      const Bokeh = await whenBokeh();
      ({ doc: distDoc } = await embedFigure(Bokeh, distFig, model.get("dist_figure"), theme));
      applyCurves();
      distFig.dataset.rendered = "true";
      if (model.get("pred_figure")) {
        ({ doc: predDoc } = await embedFigure(Bokeh, predFig, model.get("pred_figure"), theme));
        applyPredictive();
      }
    } catch (err) {
      distFig.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
    }
    return () => {
      theme.dispose();
      banner.dispose();
      model.off("msg:custom", onMsg);
      model.off(null, onSelectors);
      model.off(null, onValues);
      model.off("change:curves", applyCurves);
      model.off("change:predictive", applyPredictive);
    };
  },
};

// @ts-check
// MMMExplorer view: a fitted MMM's one-pager. Fit against actuals, decomposition, the
// channel table (share bars, ROAS, marginal ROAS), the selected channel's response and
// adstock curves; a channel and a geo selector. Choosing a channel (a row, a bar or the
// selector) or a geo sends "select"; Python redraws the linked views into the traits.
// Python side: src/bayes_widgets/widgets/mmm_explorer.py.
import { listen } from "./lib/events.js";
import { whenBokeh, noteIn, embedFigure, byName } from "./lib/bokeh.js";
import { h, fmt, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";
import { CHROME_CSS, FigureTheme } from "./lib/theme.js";

const css = `
.bw-mmm { max-width: 1100px; }
.bw-mmm .bw-row { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; margin: 4px 0; }
.bw-mmm .bw-note { color: var(--bw-muted); }
.bw-mmm table { border-collapse: collapse; margin: 4px 0; }
.bw-mmm th, .bw-mmm td { padding: 2px 8px; text-align: right; white-space: nowrap; }
.bw-mmm td.bw-left, .bw-mmm th.bw-left { text-align: left; }
.bw-mmm tr[data-channel] { cursor: pointer; }
.bw-mmm tr[data-channel]:hover td { background: color-mix(in srgb, var(--bw-accent) 8%, transparent); }
.bw-mmm tr.bw-chosen td { background: color-mix(in srgb, var(--bw-error) 14%, transparent); font-weight: 600; }
.bw-mmm .bw-bar { display: inline-block; height: 10px; background: var(--bw-accent); opacity: 0.7;
  vertical-align: middle; margin-right: 6px; }
.bw-mmm tr.bw-chosen .bw-bar { background: var(--bw-error); }
.bw-mmm label { margin-right: 12px; }
`;

const ALL_GEOS = "All geos";

/**
 * A row of the channel table (core/mmm/explorer_views.py: OnePager.channels_table).
 * @typedef {object} ChannelRow
 * @property {string} channel
 * @property {number | null} spend
 * @property {number | null} current_spend
 * @property {number | null} contribution
 * @property {number | null} share
 * @property {number | null} share_low
 * @property {number | null} share_high
 * @property {number | null} roas
 * @property {number | null} roas_low
 * @property {number | null} roas_high
 * @property {number | null} mroas
 * @property {number | null} mroas_low
 * @property {number | null} mroas_high
 */

/**
 * The synced traits of MMMExplorer (widgets/mmm_explorer.py).
 * @typedef {object} MMMExplorerTraits
 * @property {string} error
 * @property {string} _py_version
 * @property {string[]} channels
 * @property {string[]} geos                  empty for a national model
 * @property {string} channel                 the selected channel
 * @property {string} geo                     the selected geo, "" for every geo together
 * @property {ChannelRow[]} summary
 * @property {{train_dates?: number, test_dates?: number, first_date?: string, last_date?: string,
 *   draws?: number, prob?: number, last?: number, geo?: string, train_mape?: number | null,
 *   test_mape?: number | null}} facts
 * @property {string} fit_figure              a Bokeh json_item
 * @property {string} decomposition_figure    a Bokeh json_item
 * @property {string} channels_figure         a Bokeh json_item
 * @property {string} response_figure         a Bokeh json_item
 * @property {string} adstock_figure          a Bokeh json_item
 */

/** @typedef {"fit" | "decomposition" | "channels" | "response" | "adstock"} FigureName */
/** @type {FigureName[]} */
const FIGURES = ["fit", "decomposition", "channels", "response", "adstock"];

/** @param {number | null | undefined} x a fraction */
const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);

/** @type {import("./types/anywidget").Widget<MMMExplorerTraits>} */
export default {
  initialize() {},

  async render({ model, el }) {
    const offs = [];
    const root = h("div", { class: "bw-root bw-mmm", "data-bw-widget": "mmm_explorer",
      "data-testid": "mmm-explorer" });
    el.append(h("style", {}, CHROME_CSS + css), root);
    const theme = new FigureTheme(root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const header = h("div", { class: "bw-note", "data-testid": "header" });
    const geoSelect = h("select", { "data-testid": "geo", "aria-label": "geo" });
    const channelSelect = h("select", { "data-testid": "channel", "aria-label": "channel" });
    const geoLabel = h("label", {}, "geo ", geoSelect);
    const table = h("table", { "data-testid": "channels-table" });
    /** @type {Record<FigureName, HTMLDivElement>} */
    const boxes = /** @type {any} */ (Object.fromEntries(FIGURES.map((n) => [n, h("div", { "data-testid": `${n}-figure` })])));
    root.append(...[note, banner.el].filter(Boolean), header,
      h("div", { class: "bw-row" }, geoLabel, h("label", {}, "channel ", channelSelect)),
      boxes.fit, boxes.decomposition,
      h("div", { class: "bw-row" }, table, boxes.channels),
      h("div", { class: "bw-row" }, boxes.response, boxes.adstock));

    /** @param {Record<string, any>} extra */
    const select = (extra) => sendCommand(model, "select", extra);

    const renderHeader = () => {
      const f = model.get("facts") || {};
      const geos = model.get("geos") || [];
      root.dataset.channel = model.get("channel") || "";
      root.dataset.geo = model.get("geo") || (geos.length ? ALL_GEOS : "");
      if (!f.draws) {
        header.textContent = "";
        return;
      }
      const test = f.test_dates ? `, then ${f.test_dates} test dates (shaded)` : "";
      const shown = geos.length ? ` ${f.geo || ALL_GEOS}:` : "";
      header.textContent = `${shown} fitted on ${f.train_dates} dates${test}, ${f.first_date} to ${f.last_date}; ` +
        `${f.draws} posterior draws, intervals hold ${Math.round(100 * (f.prob ?? 0))}% of them; ` +
        `current spend: the average of the last ${f.last} training periods; ` +
        `MAPE of the fitted mean ${pct(f.train_mape)} (train)` + (f.test_dates ? `, ${pct(f.test_mape)} (test)` : "");
    };

    const renderChoices = () => {
      const geos = model.get("geos") || [];
      const geo = model.get("geo") || "";
      geoLabel.style.display = geos.length ? "" : "none";
      geoSelect.replaceChildren(h("option", { value: "" }, ALL_GEOS),
        ...geos.map((g) => h("option", { value: g }, g)));
      geoSelect.value = geo;
      const channel = model.get("channel");
      channelSelect.replaceChildren(...(model.get("channels") || []).map((c) => h("option", { value: c }, c)));
      channelSelect.value = channel;
    };
    geoSelect.addEventListener("change", () => select({ geo: geoSelect.value }));
    channelSelect.addEventListener("change", () => select({ channel: channelSelect.value }));

    const renderTable = () => {
      const rows = model.get("summary") || [];
      const chosen = model.get("channel");
      const top = Math.max(1e-12, ...rows.map((r) => r.share ?? 0));
      table.replaceChildren(
        h("tr", {}, h("th", { class: "bw-left" }, "channel"), h("th", { class: "bw-left" }, "share"),
          h("th", {}, "ROAS"), h("th", {}, "marginal ROAS"), h("th", {}, "spend"), h("th", {}, "current / period")),
        ...rows.map((r) => {
          const tr = h("tr", { "data-channel": r.channel, class: r.channel === chosen ? "bw-chosen" : null,
            "data-share": r.share ?? "", "data-roas": r.roas ?? "", "data-mroas": r.mroas ?? "" },
          h("td", { class: "bw-left" }, r.channel),
          h("td", { class: "bw-left", "data-col": "share" },
            h("span", { class: "bw-bar", style: `width:${Math.round(80 * Math.max(0, r.share ?? 0) / top)}px` }),
            `${pct(r.share)} (${pct(r.share_low)}–${pct(r.share_high)})`),
          h("td", { "data-col": "roas" }, `${fmt(r.roas)} (${fmt(r.roas_low)}–${fmt(r.roas_high)})`),
          h("td", { "data-col": "mroas" }, `${fmt(r.mroas)} (${fmt(r.mroas_low)}–${fmt(r.mroas_high)})`),
          h("td", { "data-col": "spend" }, fmt(r.spend)),
          h("td", { "data-col": "current" }, fmt(r.current_spend)));
          tr.addEventListener("click", () => select({ channel: r.channel }));
          return tr;
        }));
    };

    let Bokeh = null;
    /** @type {Record<string, string>} */
    const shown = {};
    /** @type {(() => void) | null} */
    let unlinkBars = null;
    /** A tap on a channel's share bar selects that channel. @param {any} doc */
    const linkBars = (doc) => {
      const bars = byName(doc, "channels:share");
      if (!bars) return null;
      const onTap = () => {
        const i = bars.selected.indices[0];
        const channel = i === undefined ? null : bars.data.channel[i];
        if (channel && channel !== model.get("channel")) select({ channel });
      };
      bars.selected.change.connect(onTap);
      return () => bars.selected.change.disconnect(onTap);
    };
    /** @param {FigureName} name */
    const renderFigure = async (name) => {
      const json = model.get(`${name}_figure`);
      const box = boxes[name];
      if (!Bokeh || !json || json === shown[name]) return;
      shown[name] = json;
      try {
        const { doc } = await embedFigure(Bokeh, box, json, theme);
        if (name === "channels") {
          unlinkBars?.();
          unlinkBars = linkBars(doc);
        }
        if (name !== "fit") box.dataset.channel = model.get("channel"); // the fit shows no channel
        box.dataset.geo = model.get("geo") || "";
        box.dataset.rendered = "true";
      } catch (err) {
        box.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
      }
    };
    const renderFigures = async () => {
      if (!FIGURES.some((n) => model.get(`${n}_figure`))) return; // nothing to draw (an error)
      try {
        Bokeh = Bokeh || (await whenBokeh(model, { waiting: noteIn(boxes.fit) }));
      } catch (err) {
        boxes.fit.replaceChildren(h("div", { class: "bw-error" }, `Plot unavailable: ${err.message}`));
        return;
      }
      for (const name of FIGURES) await renderFigure(name);
    };

    offs.push(listen(model, "change:facts change:channel change:geo change:geos", renderHeader));
    offs.push(listen(model, "change:channels change:geos change:channel change:geo", renderChoices));
    offs.push(listen(model, "change:summary change:channel", renderTable));
    offs.push(listen(model, FIGURES.map((n) => `change:${n}_figure`).join(" "), renderFigures));
    renderHeader();
    renderChoices();
    renderTable();
    await renderFigures();
    return () => {
      theme.dispose();
      banner.dispose();
      unlinkBars?.();
      for (const off of offs) off();
    };
  },
};

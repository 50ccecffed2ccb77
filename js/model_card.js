// ModelCard view: a PyMC model's variables as a table, and a button to its prior editor.
// Python side: src/bayes_widgets/widgets/model_card.py.
import { h, errorBanner, versionNote } from "./lib/dom.js";
import { sendCommand } from "./lib/stream.js";

const css = `
.bw-card { font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 12px; color: var(--jp-ui-font-color1, #222); }
.bw-card table { border-collapse: collapse; margin: 4px 0; }
.bw-card th, .bw-card td { padding: 2px 10px; text-align: left; border-bottom: 1px solid var(--jp-border-color2, #eee); }
.bw-card .bw-kind-free { color: #1f5fa8; }
.bw-card .bw-kind-observed { color: #1b7f3b; font-weight: 600; }
.bw-card .bw-kind-deterministic, .bw-card .bw-kind-data { color: var(--jp-ui-font-color2, #666); }
.bw-error { color: #842029; background: #f8d7da; border: 1px solid #f5c2c7; padding: 4px 8px; margin: 4px 0; white-space: pre-wrap; }
`;

export default {
  initialize() {},
  render({ model, el }) {
    const root = h("div", { class: "bw-card", "data-testid": "model-card" });
    el.append(h("style", {}, css), root);
    const banner = errorBanner(model);
    const note = versionNote(model);
    const title = h("div", {});
    const table = h("table", { "data-testid": "variables" });
    const edit = h("button", { "data-testid": "edit-priors" }, "Edit priors");
    edit.addEventListener("click", () => sendCommand(model, "edit"));
    root.append(...[note, banner.el].filter(Boolean), title, table, edit);
    const render = () => {
      const rows = model.get("rows") || [];
      const coords = model.get("coords") || {};
      const free = rows.filter((r) => r.kind === "free").length;
      const observed = rows.filter((r) => r.kind === "observed").length;
      title.textContent = `PyMC model${model.get("name") ? ` ${model.get("name")}` : ""}: ${free} free, ` +
        `${observed} observed variable${observed === 1 ? "" : "s"}` +
        (Object.keys(coords).length ? `; dims ${Object.entries(coords).map(([k, n]) => `${k} (${n})`).join(", ")}` : "");
      table.replaceChildren(
        h("tr", {}, ...["variable", "kind", "distribution", "dims", "shape", "depends on"].map((c) => h("th", {}, c))),
        ...rows.map((r) => h("tr", { "data-variable": r.name, "data-kind": r.kind },
          h("td", {}, r.name), h("td", { class: `bw-kind-${r.kind}` }, r.kind), h("td", {}, r.distribution || ""),
          h("td", {}, (r.dims || []).join(", ")), h("td", {}, r.shape ? `(${r.shape.join(", ")})` : ""),
          h("td", {}, (r.parents || []).join(", ")))));
      edit.disabled = model.get("editor_open");
      root.dataset.variables = rows.length;
    };
    render();
    model.on("change:rows change:coords change:name change:editor_open", render);
    return () => {
      banner.dispose();
      model.off("change:rows change:coords change:name change:editor_open", render);
    };
  },
};

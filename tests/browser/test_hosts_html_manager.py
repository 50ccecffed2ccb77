"""Hosts that create only the displayed widgets' models (VS Code, Colab, marimo), played by a
page built with ``@jupyter-widgets/html-manager``: its saved state holds every displayed
widget and nothing else (no BokehJS carrier, no BokehJS on the page), and each model's comm
leads to the real widget objects of this test process, which answer as a kernel would.

Every widget kind must paint every figure with BokehJS obtained through the views' own
comms, the bundle travelling once for the whole page; where no kernel answers, or the
kernel refuses, every figure says why instead of staying blank.
"""

from __future__ import annotations

import base64
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayes_widgets as bw
from bayes_widgets.export import RUNTIME_FILE, STATE_MIME, VIEW_MIME
from bayes_widgets.widgets import _base
from bayes_widgets.widgets._base import bokehjs_bundle, bokehjs_gzip, static_file
from tests.browser.jupyter_harness import artifacts_dir
from tests.export_check import check_export, figure_traits, kebab, open_export
from tests.page_probe import page_function

# The page: the html-manager runtime the static export inlines (require.js, embed-amd.js,
# anywidget), one output per displayed widget, their state. Before the manager renders
# anything, every model it creates gets a comm whose messages go to `bwKernel`, exposed by
# the test, and whose answers come back the way a kernel's comm messages do.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>displayed widgets only</title>
<script>
{runtime}
</script>
<script>
window.bwKernelMessages = 0;
window.require(["@jupyter-widgets/html-manager"], (hm) => {{
  const proto = hm.HTMLManager.prototype;
  const setState = proto.set_state;
  proto.set_state = async function (state) {{
    const models = await setState.call(this, state);
    if (typeof window.bwKernel === "function") for (const model of models) attachComm(model);
    return models;
  }};
}});
function bytes(b64) {{
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return new DataView(out.buffer);
}}
function attachComm(model) {{
  model.comm = {{
    comm_id: model.model_id,
    target_name: "jupyter.widget",
    send(data, callbacks, metadata, buffers) {{
      if (!data || data.method !== "custom") return ""; // state updates: nothing to answer
      window.bwKernelMessages += 1;
      window.bwKernel(model.model_id, JSON.stringify(data.content)).then((replies) => {{
        for (const reply of replies) {{
          model._handle_comm_msg({{
            content: {{ comm_id: model.model_id, data: {{ method: "custom", content: reply.content }} }},
            buffers: reply.buffers.map(bytes),
          }});
        }}
      }});
      return "";
    }},
    open() {{}}, close() {{}}, on_msg() {{}}, on_close() {{}},
  }};
}}
</script>
</head><body>
{outputs}
<script type="{state_mime}">
{state}
</script>
</body></html>
"""

# What the page's BokehJS slot (js/lib/bokeh.js) says: where BokehJS came from, how many
# requests went to the kernel.
PROBE_JS = """
() => {
  const key = Object.getOwnPropertyNames(globalThis).find((k) => k.startsWith("__bayes_widgets_bokeh_"));
  const s = key && globalThis[key];
  return s ? { lib: !!s.lib, ...s.stats, kernelMessages: window.bwKernelMessages } : null;
}
"""


class Kernel:
    """The widgets of this process behind the page's comms: a message from the page goes
    through the widget's comm like a kernel's; what the widget sends back is returned."""

    def __init__(self, widgets):
        self.widgets = {w.model_id: w for w in widgets}
        self.received: list[dict] = []
        self.answers: list[tuple[dict, int]] = []  # bokehjs answers: content, buffer bytes

    def __call__(self, model_id: str, content_json: str) -> list[dict]:
        widget = self.widgets[model_id]
        content = json.loads(content_json)
        self.received.append(content)
        sent: list[tuple[dict, list]] = []
        comm = widget.comm
        comm.publish_msg = lambda msg_type, data=None, metadata=None, buffers=None, **_: (
            sent.append((data, list(buffers or [])))
        )
        try:
            comm.handle_msg(
                {
                    "content": {
                        "comm_id": comm.comm_id,
                        "data": {"method": "custom", "content": content},
                    },
                    "buffers": [],
                }
            )
        finally:
            del comm.publish_msg
        replies = []
        for data, buffers in sent:
            if (data or {}).get("method") != "custom":
                continue
            if data["content"].get("type") == "bokehjs":
                self.answers.append((data["content"], sum(len(b) for b in buffers)))
            replies.append(
                {
                    "content": data["content"],
                    "buffers": [base64.b64encode(bytes(b)).decode() for b in buffers],
                }
            )
        return replies


@pytest.fixture(scope="module")
def displayed():
    """One widget of every kind, built on small hand-written models and data."""
    from bayes_widgets.core.decision import DecisionProblem, DecisionVariable
    from bayes_widgets.core.fleet import RunSpec, run_fleet
    from bayes_widgets.core.hierarchical import fit_svi, make_demand
    from bayes_widgets.widgets.model_card import ModelCard

    rng = np.random.default_rng(11)
    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    sigma = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    with pm.Model(coords={"school": list("ABCDEFGH")}) as schools:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 5)
        theta = pm.Normal("theta", mu, tau, dims="school")
        pm.Normal("y", theta, sigma, observed=y, dims="school")
    monitor = bw.FitMonitor(schools, backend="pymc", draws=150, tune=150, chains=2, cores=1, seed=2)
    result = monitor.wait()
    assert result.status == "finished", result.status

    df = pd.DataFrame({"x1": rng.normal(size=40), "x2": rng.normal(size=40)})
    df["y"] = 1.0 + 2.0 * df.x1 - 0.5 * df.x2 + rng.normal(0, 0.3, 40)
    regression = bw.LinearRegression(df, "y", ["x1", "x2"])
    regression.fit(draws=150, tune=150, chains=2, seed=3)

    demand = rng.poisson(rng.gamma(40.0, 1.0, size=(300, 2)))

    def profit(stock, s):
        return (np.array([3.0, 3.5]) * np.minimum(stock, s["y"]) - stock).sum(axis=1)

    stock = DecisionProblem(
        [DecisionVariable(f"stock_{d}", 0, 100) for d in ("mon", "tue")], {"y": demand}, profit
    )

    def task(params, run_dir):
        dates = pd.date_range("2024-01-01", periods=12, freq="W-MON")
        mid = pd.Series(range(12), dtype=float) + params["x"]
        pd.DataFrame(
            {
                "date": dates,
                "actual": mid + 0.5,
                "q05": mid - 2,
                "q25": mid - 1,
                "median": mid,
                "q75": mid + 1,
                "q95": mid + 2,
                "split": ["train"] * 9 + ["test"] * 3,
            }
        ).to_csv(Path(run_dir) / "predictions.csv", index=False)
        return {"test_mape": 0.05 * params["x"]}

    fleet_dir = tempfile.mkdtemp(prefix="bw-hosts-fleet-")
    run_fleet(
        [RunSpec("a", {"x": 1}), RunSpec("b", {"x": 3})],
        task,
        out=fleet_dir,
        executor=ThreadPoolExecutor(1),
    )
    hier = make_demand(12, 60, seed=4)
    svi = fit_svi(hier.data, steps=150, batch_size=6, chunk=50, seed=0)

    widgets = [
        bw.PriorEditor("Gamma"),
        monitor,
        bw.PosteriorExplorer(result, selected=["mu", "tau"]),
        ModelCard(schools),
        bw.PredictionTable(regression, pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, -0.5]}), seed=1),
        bw.DecisionExplorer(stock),
        bw.FleetBoard(fleet_dir),
        bw.HierarchicalExplorer(svi),
    ]
    yield widgets
    for w in widgets:
        w.close()


def displayed_only(widgets) -> tuple[nbformat.NotebookNode, dict]:
    """A notebook whose outputs display ``widgets`` and whose state holds those widgets and
    what their views need (layouts), without the BokehJS carrier."""
    from ipywidgets.embed import dependency_state

    state = {
        k: v
        for k, v in dependency_state(widgets, drop_defaults=False).items()
        if not v["state"].get("_anywidget_id", "").endswith(".BokehLibrary")
    }
    assert not any("bayes_widgets BokehJS" in json.dumps(v) for v in state.values())
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            type(w).__name__,
            execution_count=i + 1,
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        VIEW_MIME: {"version_major": 2, "version_minor": 0, "model_id": w.model_id}
                    },
                )
            ],
        )
        for i, w in enumerate(widgets)
    ]
    nb.metadata["widgets"] = {STATE_MIME: {"version_major": 2, "version_minor": 0, "state": state}}
    return nb, state


def write_page(path: Path, nb: nbformat.NotebookNode, state: dict) -> Path:
    outputs = "\n".join(
        f'<div class="output"><script type="{VIEW_MIME}">{json.dumps(o["data"][VIEW_MIME])}</script></div>'
        for c in nb.cells
        for o in c.outputs
    )
    payload = json.dumps({"version_major": 2, "version_minor": 0, "state": state})
    path.write_text(
        PAGE.format(
            runtime=static_file(RUNTIME_FILE).read_text(encoding="utf-8"),
            outputs=outputs,
            state_mime=STATE_MIME,
            state=payload.replace("</", "<\\/"),
        ),
        encoding="utf-8",
    )
    return path


def _unavailable(view) -> bool:
    return "Plot unavailable" in view["text"] or "Graph unavailable" in view["text"]


def test_displayed_widgets_get_bokehjs_from_the_kernel_once(displayed, browser, tmp_path):
    nb, state = displayed_only(displayed)
    kernel = Kernel(displayed)
    html = write_page(tmp_path / "displayed_only.html", nb, state)
    page = open_export(
        browser,
        html,
        nb,
        screenshot=artifacts_dir() / "hosts_html_manager.png",
        timeout=90,
        prepare=lambda context: context.expose_function("bwKernel", kernel),
        probe_js=PROBE_JS,
    )

    assert not [v["model_id"] for v in page.views if _unavailable(v)], [
        v["text"][:300] for v in page.views
    ]
    check_export(page, nb)  # every root, every figure painted, tables and numbers as saved
    kinds = [kebab(type(w).__name__) for w in displayed]
    assert [v["testid"] for v in page.views] == kinds
    assert sum(len(figure_traits(state[w.model_id]["state"])) for w in displayed) >= len(displayed)
    # BokehJS came over the views' comms, once for the whole page
    assert page.probe["lib"] and page.probe["source"] == "kernel", page.probe
    requests = [m for m in kernel.received if m.get("type") == "bokehjs"]
    sent = [(c, n) for c, n in kernel.answers if c.get("status") == "sent"]
    assert len(sent) == 1, kernel.answers
    assert sent[0][0]["encoding"] == "gzip" and sent[0][1] == len(bokehjs_gzip())
    assert len(requests) == page.probe["requests"] == 1, (requests, page.probe)
    assert page.probe["bytes"] == len(bokehjs_gzip())


def test_a_kernel_that_refuses_is_shown_in_every_figure(displayed, browser, tmp_path, monkeypatch):
    version, data = bokehjs_bundle()
    monkeypatch.setattr(_base, "bokehjs_bundle", lambda: ("9.9.9", data))
    widgets = [displayed[0], displayed[3]]  # a PriorEditor and a ModelCard
    nb, state = displayed_only(widgets)
    kernel = Kernel(widgets)
    html = write_page(tmp_path / "refused.html", nb, state)
    page = open_export(
        browser,
        html,
        nb,
        timeout=30,
        ready=lambda v: _unavailable(v),
        prepare=lambda context: context.expose_function("bwKernel", kernel),
        probe_js=PROBE_JS,
    )
    assert all(_unavailable(v) for v in page.views), [v["text"][:300] for v in page.views]
    for view in page.views:
        assert f"BokehJS {version} is unavailable" in view["text"]
        assert "carries BokehJS 9.9.9" in view["text"] and "restart the kernel" in view["text"]
    assert page.probe["lib"] is False
    assert all(c.get("error") for c, _ in kernel.answers)


@pytest.mark.slow
def test_a_page_without_kernel_or_bokehjs_says_so(displayed, browser, tmp_path):
    nb, state = displayed_only([displayed[0]])
    html = write_page(tmp_path / "no_kernel.html", nb, state)  # no bwKernel: models keep no comm
    page = open_export(browser, html, nb, timeout=45, ready=lambda v: _unavailable(v))
    [view] = page.views
    assert view["testid"] == "prior-editor" and view["painted"] == 0
    assert "Plot unavailable: BokehJS" in view["text"] and "no kernel answered" in view["text"], (
        view["text"][:400]
    )


def test_jupyterlab_takes_bokehjs_from_the_carrier(notebook_page):
    """Where the host creates every model (JupyterLab), the carrier's state brings BokehJS
    before any view needs it: no view asks the kernel, nothing travels twice."""
    page = notebook_page("prior_single.ipynb", run_all=True)
    page.wait_for_function(
        page_function(
            """
          const root = document.querySelector("[data-testid=prior-editor]");
          return !!root && paintCounts(root).painted >= 2;  // density and cumulative
        """
        ),
        timeout=60_000,
    )
    probe = page.evaluate(PROBE_JS)
    assert probe["lib"] and probe["source"] == "carrier", probe
    assert probe["requests"] == 0 and probe["errors"] == [], probe
    assert "Plot unavailable" not in page.inner_text("[data-testid=prior-editor]")

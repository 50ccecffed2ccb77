"""Size of a saved notebook showing five FitMonitors, with widget state stored.

Builds a notebook (nbformat) that imports bayes_widgets, builds eight schools
(non-centred) and shows five FitMonitors, each a short nutpie fit (200 draws /
200 tuning draws, 2 chains). It is executed with nbclient on a kernel that runs
this virtual environment's Python (a temporary kernelspec, found through
JUPYTER_PATH), with ``store_widget_state=True``, and saved as an .ipynb under
``benchmarks/out/`` (git-ignored).

Reported: the file size in MB (1 MB = 1,000,000 bytes), how many widget models
the saved state holds, and how many of them carry the BokehJS bundle (should be
exactly one, the kernel's hidden BokehJS carrier: BokehJS travels once per page,
not once per widget; views that ask the kernel for it get it as a custom message,
which is not saved). The last line of output is one JSON object.

    .venv/bin/python benchmarks/bench_notebook_size.py [--monitors 5] [--show display|last]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import last_line, table  # noqa: E402

TARGET_MB = 2.5
KERNEL_NAME = "bw-bench-venv"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def make_kernelspec(root: Path) -> Path:
    """A kernelspec running this interpreter (the venv's python); returns its JUPYTER_PATH dir."""
    share = root / "share" / "jupyter"
    spec = share / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (bayes_widgets venv, benchmark)",
                "language": "python",
                "metadata": {"debugger": False},
            }
        )
    )
    return share


def build_notebook(n_monitors: int, draws: int, tune: int, show: str):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [
        new_markdown_cell(
            "# Five live fits\n\nEight schools (non-centred), nutpie, one FitMonitor per cell."
        ),
        new_code_cell(
            "import sys\n"
            "import bayes_widgets as bw\n"
            "from bayes_widgets.datasets import eight_schools_noncentered\n\n"
            "model = eight_schools_noncentered()\n"
            "print(sys.prefix)"
        ),
    ]
    for i in range(n_monitors):
        create = (
            f'mon{i} = bw.FitMonitor(model, backend="nutpie", draws={draws}, tune={tune}, '
            f"chains=2, seed={i})\n"
        )
        if show == "display":  # shown while it runs, as in live use
            src = create + f"display(mon{i})\nresult{i} = mon{i}.wait()\nprint(result{i}.status)"
        else:  # shown once finished, as the cell's last expression
            src = create + f"result{i} = mon{i}.wait()\nmon{i}"
        cells.append(new_code_cell(src))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": KERNEL_NAME,
        "language": "python",
    }
    nbformat.validate(nb)
    return nb


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def bokeh_fingerprints() -> list[str]:
    """Substrings from across the built BokehJS bundle, as text and as the base64 of its
    gzip-compressed form (the carrier's binary ``bundle``, saved as base64): a model
    holding any of them carries it."""
    import base64

    from bayes_widgets.widgets._base import bokehjs_gzip, static_file

    prints = []
    for text in (static_file("bokehjs.js").read_text(), base64.b64encode(bokehjs_gzip()).decode()):
        n = len(text)
        prints += [text[int(n * f) : int(n * f) + 200] for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    return prints


def analyse(path: Path) -> dict:
    raw = path.read_bytes()
    nb = json.loads(raw)
    ws = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {})
    state = ws.get("state", {})
    fps = bokeh_fingerprints()
    by_name: Counter[str] = Counter()
    bytes_by_name: Counter[str] = Counter()
    carriers = []
    trait_bytes: dict[str, Counter[str]] = {}
    for model_id, m in state.items():
        name = f"{m.get('model_module', '?')}.{m.get('model_name', '?')}"
        st = m.get("state", {})
        carries = any(fp in s for s in _strings([st, m.get("buffers", [])]) for fp in fps)
        if carries:
            carriers.append(model_id)
            name += " (BokehJS carrier)"
        elif "trace_figure" in st and "chains" in st:
            name += " (FitMonitor)"
        by_name[name] += 1
        bytes_by_name[name] += len(json.dumps(m, ensure_ascii=False).encode())
        per = trait_bytes.setdefault(name, Counter())
        for k, v in st.items():
            per[k] += len(json.dumps(v, ensure_ascii=False).encode())
    outputs_bytes = 0
    views, errors = [], []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            outputs_bytes += len(json.dumps(out, ensure_ascii=False).encode())
            data = out.get("data", {})
            if WIDGET_VIEW_MIME in data:
                views.append(data[WIDGET_VIEW_MIME]["model_id"])
            if out.get("output_type") == "error":
                errors.append(f"{out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                errors.append("stderr: " + "".join(out.get("text", ""))[:300])
    return {
        "bytes": len(raw),
        "models": len(state),
        "by_name": by_name,
        "trait_bytes": trait_bytes,
        "bytes_by_name": bytes_by_name,
        "widget_state_bytes": len(json.dumps(ws, ensure_ascii=False, indent=1).encode()),
        "outputs_bytes": outputs_bytes,
        "carriers": carriers,
        "views": views,
        "views_missing": [v for v in views if v not in state],
        "problems": errors,
        "statuses": [
            m["state"].get("status")
            for m in state.values()
            if m.get("model_name") == "AnyModel" and "status" in m.get("state", {})
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--monitors", type=int, default=5)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--tune", type=int, default=200)
    ap.add_argument(
        "--show",
        choices=("display", "last"),
        default="display",
        help="display(mon) then wait (default), or wait then make mon the last expression",
    )
    ap.add_argument("--out", type=Path, default=HERE / "out" / "notebook_size.ipynb")
    args = ap.parse_args()

    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="bw-nb-bench-") as tmp:
        tmp = Path(tmp)
        share = make_kernelspec(tmp)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(share), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
        )
        nb = build_notebook(args.monitors, args.draws, args.tune, args.show)
        client = NotebookClient(
            nb,
            timeout=600,
            kernel_name=KERNEL_NAME,
            store_widget_state=True,
            resources={"metadata": {"path": str(tmp)}},
        )
        t0 = time.perf_counter()
        client.execute()
        t_exec = time.perf_counter() - t0

    args.out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(args.out))
    kernel_prefix = (
        "".join(nb.cells[1].outputs[0].get("text", "")).strip() if nb.cells[1].outputs else ""
    )
    venv_ok = kernel_prefix == sys.prefix
    a = analyse(args.out)
    mb = a["bytes"] / 1e6

    print(
        f"executed {args.monitors} FitMonitors (nutpie, eight schools, {args.draws}/{args.tune}, "
        f"2 chains, show={args.show}) in {t_exec:.1f} s"
    )
    print(
        f"kernel sys.prefix: {kernel_prefix}  (this venv: {sys.prefix}; kernel argv[0] {sys.executable})"
    )
    print(f"saved: {args.out}")
    print()
    rows = [
        [name, a["by_name"][name], f"{a['bytes_by_name'][name] / 1e6:.3f}"]
        for name in sorted(a["by_name"], key=lambda k: -a["bytes_by_name"][k])
    ]
    rows.append(["(cell outputs)", "", f"{a['outputs_bytes'] / 1e6:.3f}"])
    rows.append(["notebook file", "", f"{mb:.3f}"])
    print(table(rows, ["widget model", "count", "MB"]))
    print(
        "\nMB = 1,000,000 bytes; model sizes are their compact JSON, the file is nbformat's indented JSON."
    )
    for name, per in a["trait_bytes"].items():
        n = a["by_name"][name]
        top = ", ".join(f"{k} {v / n / 1e3:.1f}" for k, v in per.most_common(6))
        print(f"  largest traits of {name}, kB per model: {top}")
    print(
        f"widget models in saved state: {a['models']}; carrying BokehJS: {len(a['carriers'])} "
        f"(expected 1); views displayed: {len(a['views'])}, missing from state: {len(a['views_missing'])}"
    )
    print(f"FitMonitor statuses: {a['statuses']}")
    if a["problems"]:
        print("problems in outputs:")
        for p in a["problems"]:
            print("  " + p.replace("\n", "\n  "))
    if not venv_ok:
        print("WARNING: the kernel did not run this venv's python")

    last_line(
        {
            "notebook_mb": round(mb, 4),
            "notebook_bytes": a["bytes"],
            "mb_unit": "1e6 bytes",
            "target_mb": TARGET_MB,
            "widget_models": a["models"],
            "widget_models_by_name": dict(a["by_name"]),
            "bokehjs_carriers": len(a["carriers"]),
            "monitors": args.monitors,
            "views": len(a["views"]),
            "views_missing_from_state": len(a["views_missing"]),
            "statuses": a["statuses"],
            "kernel_python_is_venv": venv_ok,
            "show": args.show,
            "path": str(args.out),
        }
    )


if __name__ == "__main__":
    main()

"""Command line: run MMM fleets from a configuration file, without Jupyter, and export
executed notebooks as static HTML pages that show every widget's final state.

    bayes-widgets fleet CONFIG.toml --out DIR
    bayes-widgets export NOTEBOOK.ipynb --out OUT.html [--execute]

CONFIG.toml::

    data = "data.csv"              # relative to the config file
    [model]                        # MMMModel options
    target = "sales"
    date_column = "week"
    channels = ["tv", "search"]
    controls = ["price"]
    lag_max = 8
    [fit]                          # sampler options for every run
    draws = 500
    tune = 500
    [fleets.production]            # any of: production, holdout, forecast, recovery, stability
    [fleets.holdout]
    horizons = [4, 8, 12]
    [fleets.recovery]
    runs = 5
    [fleets.stability]
    seeds = [0, 1, 2]
    trims = [0, 8]
    [fleets.forecast]
    future = "future.csv"

Each fleet's runs go to DIR/<fleet>/ (a rerun resumes), and DIR/report.html sums them up.
Exit status: 0 when every run is done, 1 when some failed, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

FLEETS = ("production", "holdout", "forecast", "recovery", "stability")

EXPORT_HELP = """\
Writes NOTEBOOK.ipynb as one self-contained HTML file in which every widget shows the
state saved with the notebook; the page loads nothing from the network.

The notebook needs its widget state saved: in JupyterLab or Notebook 7 tick
Settings > Save Widget State Automatically, run it and save it; or pass --execute to
run it here (in its own folder) first.

Exit status: 0 when written, 1 when a cell failed under --execute, 2 for bad input.
"""


def run_config(config_path: Path, out: Path) -> int:
    import pandas as pd

    from bayes_widgets.core.fleet import mmm_fleets as mf
    from bayes_widgets.core.mmm import MMMDataError, MMMModel
    from bayes_widgets.core.report import fleet_report

    config = tomllib.loads(config_path.read_text())
    base = config_path.parent
    try:
        if "data" not in config:
            raise MMMDataError("data", "the config needs data = 'path/to/data.csv'")
        unknown = set(config.get("fleets", {})) - set(FLEETS)
        if unknown:
            raise MMMDataError("fleets", f"unknown fleet(s) {sorted(unknown)}; choose from {', '.join(FLEETS)}")
        if not config.get("fleets"):
            raise MMMDataError("fleets", f"no fleet to run; add a [fleets.<name>] table ({', '.join(FLEETS)})")
        model = MMMModel(pd.read_csv(base / config["data"]), **config.get("model", {}))
    except (MMMDataError, TypeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fit = config.get("fit", {})

    def progress(run_id, info):
        print(f"  {run_id}: {info.get('status')}" + (f" ({info['error']})" if info.get("error") else ""), flush=True)

    results = []
    for name, options in config["fleets"].items():
        print(f"{name} fleet", flush=True)
        options = dict(options)
        target = out / name
        if name == "production":
            results.append(mf.production_fleet(model, out=target, fit=fit, on_update=progress, **options))
        elif name == "holdout":
            results.append(mf.holdout_fleet(model, out=target, fit=fit, on_update=progress, **options))
        elif name == "recovery":
            results.append(mf.recovery_fleet(model, out=target, fit=fit, on_update=progress, **options))
        elif name == "stability":
            results.append(mf.stability_fleet(model, out=target, fit=fit, on_update=progress, **options))
        else:
            future = pd.read_csv(base / options.pop("future"))
            results.append(mf.forecast_fleet(model, future, out=target, fit=fit, on_update=progress, **options))
    report = fleet_report(results, out / "report.html", title=f"Fleets: {config_path.name}")
    print(f"report: {report}")
    return 1 if any(r.run.failed for r in results) else 0


def run_export(notebook: Path, out: Path | None, execute: bool, timeout: int, kernel: str) -> int:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from bayes_widgets.export import ExportError, export_html

    if not notebook.is_file():
        print(f"error: notebook: no such file {notebook}", file=sys.stderr)
        return 2
    out = out if out is not None else notebook.with_suffix(".html")
    if execute:
        print(f"running {notebook}", flush=True)
    try:
        written = export_html(notebook, out, execute=execute, timeout=timeout, kernel_name=kernel)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        print(f"error: running {notebook} failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bayes-widgets", description="bayes_widgets from the command line")
    sub = parser.add_subparsers(dest="command", required=True)
    fleet = sub.add_parser("fleet", help="run MMM fleets from a TOML config and write a report",
                           description=__doc__.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    fleet.add_argument("config", type=Path, help="the TOML configuration (format above)")
    fleet.add_argument("--out", type=Path, required=True, help="directory for the runs and report.html")
    export = sub.add_parser("export", help="write an executed notebook as offline HTML with its widgets",
                            description=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("notebook", type=Path, help="the notebook (.ipynb)")
    export.add_argument("--out", type=Path, default=None, help="the HTML file to write (default: NOTEBOOK.html)")
    export.add_argument("--execute", action="store_true",
                        help="run the notebook first (in its folder) and save its widget state")
    export.add_argument("--timeout", type=int, default=600, help="seconds per cell under --execute (default 600)")
    export.add_argument("--kernel", default="", help="kernel under --execute (default: the notebook's)")
    args = parser.parse_args(argv)
    if args.command == "export":
        return run_export(args.notebook, args.out, args.execute, args.timeout, args.kernel)
    if not args.config.exists():
        print(f"error: config: no such file {args.config}", file=sys.stderr)
        return 2
    return run_config(args.config, args.out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``bayes-widgets`` command: MMM fleets from a TOML file, notebooks as static HTML.

    bayes-widgets fleet CONFIG.toml --out DIR
    bayes-widgets export NOTEBOOK.ipynb --out OUT.html [--execute]

``bayes-widgets fleet --help`` shows the configuration's format (:data:`FLEET_HELP`).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from bayes_widgets.core.checks import check_positive_int, check_probability, check_seed
from bayes_widgets.core.errors import InputError

FLEETS = ("production", "holdout", "forecast", "recovery", "stability", "geo")

FLEET_HELP = """\
Runs MMM fleets from a configuration file, without Jupyter:

    bayes-widgets fleet CONFIG.toml --out DIR

CONFIG.toml::

    data = "data.csv"              # relative to the config file
    [model]                        # MMMModel options
    target = "sales"
    date_column = "week"
    channels = ["tv", "search"]
    controls = ["price"]
    lag_max = 8
    dims = ["geo"]                 # a geo model: one row per week and geo, a "geo" column
    [lift_tests]                   # experiments added to the model's likelihood:
    path = "lift.csv"              # a CSV relative to the config file, or rows inline:
    # rows = [{channel = "tv", geo = "north", x = 1000, delta_x = 500, delta_y = 240, sigma = 40}]
    # columns: channel, geo (geo models), x (spend per week before), delta_x (its change),
    # delta_y (the measured lift per week, target units), sigma (the lift's sd)
    [fit]                          # sampler options for every run
    draws = 500
    tune = 500
    [fleets.production]            # any of: production, holdout, forecast, recovery, stability, geo
    [fleets.holdout]
    horizons = [4, 8, 12]
    [fleets.recovery]
    runs = 5
    lift_tests = true              # each run again with the lift tests (true: those above,
                                   # or a CSV path): how much they tighten the recovered ROAS
    [fleets.stability]
    seeds = [0, 1, 2]
    trims = [0, 8]
    [fleets.forecast]
    future = "future.csv"
    [fleets.geo]                   # geo models: pooled vs each geo on its own, scored on
    holdout = 8                    # the last 8 weeks (geos = ["north", ...] picks some)

Each fleet's runs go to DIR/<fleet>/ (a rerun resumes), and DIR/report.html sums them up.
The whole configuration is checked before any run starts: a bad one prints one line
``error: <field>: <what is wrong>`` (e.g. ``error: fleets.holdout.horizons: ...``).
Exit status: 0 when every run is done, 1 when some failed or were lost, 2 for bad input.
"""

EXPORT_HELP = """\
Writes NOTEBOOK.ipynb as one self-contained HTML file in which every widget shows the
state saved with the notebook; the page loads nothing from the network.

The notebook needs its widget state saved: in JupyterLab or Notebook 7 tick
Settings > Save Widget State Automatically, run it and save it; or pass --execute to
run it here (in its own folder) first.

Exit status: 0 when written, 1 when a cell failed under --execute, 2 for bad input.
"""


class ConfigError(InputError):
    """A bad configuration; ``field`` names the key to fix (``fleets.holdout.horizons``)."""


TOP_LEVEL = ("data", "model", "lift_tests", "fit", "fleets")
LIFT_OPTIONS = ("path", "rows")
FIT_OPTIONS = (
    "backend",
    "draws",
    "tune",
    "chains",
    "cores",
    "seed",
    "target_accept",
    "sampler_kwargs",
    "keep_warmup",
)
_NOT_OPTIONS = {"model", "out", "fit", "executor", "on_update", "kind", "future_X"}


def _fleet_functions():
    from bayes_widgets.core.mmm import fleets as mf
    from bayes_widgets.core.mmm.geo_fleets import geo_fleet

    return {
        "geo": geo_fleet,
        "production": mf.production_fleet,
        "holdout": mf.holdout_fleet,
        "recovery": mf.recovery_fleet,
        "stability": mf.stability_fleet,
        "forecast": mf.forecast_fleet,
    }


def fleet_options(name: str) -> tuple[str, ...]:
    """The options a ``[fleets.<name>]`` table may hold: the fleet function's keyword
    arguments that a file can give (and ``future``, the forecast's CSV file)."""
    import inspect

    params = inspect.signature(_fleet_functions()[name]).parameters
    names = [
        k
        for k, p in params.items()
        if k not in _NOT_OPTIONS and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return tuple(["future", *names] if name == "forecast" else names)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _table(field: str, value, *, required: bool = False) -> dict:
    if value is None:
        if required:
            raise ConfigError(field, f"required: add a [{field}] table")
        return {}
    if not isinstance(value, dict):
        raise ConfigError(field, f"expected a table ([{field}]), got {value!r}")
    return value


def _unknown(field: str, table: dict, allowed) -> None:
    for key in table:
        if key not in allowed:
            where = f"{field}.{key}" if field else key
            raise ConfigError(where, f"unknown option; choose from {', '.join(allowed)}")


def _read_csv(field: str, base: Path, value):
    import pandas as pd

    if not isinstance(value, str) or not value:
        raise ConfigError(field, f"expected the path of a CSV file, got {value!r}")
    path = base / value
    if not path.is_file():
        raise ConfigError(field, f"no such file {path}")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ConfigError(field, f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(field, f"cannot read {path} as CSV ({_one_line(exc)})") from None


def load_config(config_path: Path) -> tuple[dict, object, dict, dict]:
    """Reads and checks the whole configuration before anything runs: the model, the fit
    options and every fleet's options. Returns (config, model, fit, {fleet: options})."""
    import inspect

    if not config_path.is_file():
        raise ConfigError("config", f"no such file {config_path}")
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "config", f"{config_path.name} is not valid TOML: {_one_line(exc)}"
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError("config", f"cannot read {config_path.name} ({_one_line(exc)})") from None
    _unknown("", config, TOP_LEVEL)

    from bayes_widgets.core.fitting.validation import FitInputError
    from bayes_widgets.core.mmm import (  # PyMC and pymc-marketing: after the file parses
        MMMDataError,
        MMMModel,
    )

    base = config_path.parent
    if "data" not in config:
        raise ConfigError("data", "the config needs data = 'path/to/data.csv'")
    data = _read_csv("data", base, config["data"])

    model_options = _table("model", config.get("model"), required=True)
    allowed = [k for k in inspect.signature(MMMModel).parameters if k not in ("data", "lift_tests")]
    _unknown("model", model_options, allowed)
    for key in ("target", "date_column", "channels"):
        if key not in model_options:
            raise ConfigError(f"model.{key}", "required")
    try:
        model = MMMModel(data, **model_options)
    except (MMMDataError, FitInputError) as exc:
        raise ConfigError(
            f"model.{exc.field}" if exc.field in allowed else exc.field,
            str(exc).removeprefix(f"{exc.field}: "),
        ) from None
    except ValueError as exc:  # e.g. a prior that pymc-marketing refuses
        raise ConfigError("model", _one_line(exc)) from None
    lift_tests = _lift_tests(config, base)
    if lift_tests is not None:
        _add_lift_tests(model, lift_tests)

    fit = _check_fit(_table("fit", config.get("fit")))

    fleets = _table("fleets", config.get("fleets"))
    unknown = [name for name in fleets if name not in FLEETS]
    if unknown:
        raise ConfigError(
            "fleets", f"unknown fleet(s) {sorted(unknown)}; choose from {', '.join(FLEETS)}"
        )
    if not fleets:
        raise ConfigError(
            "fleets", f"no fleet to run; add a [fleets.<name>] table ({', '.join(FLEETS)})"
        )
    checked = {}
    for name, options in fleets.items():
        field = f"fleets.{name}"
        options = dict(_table(field, options, required=True))
        _unknown(field, options, fleet_options(name))
        try:
            checked[name] = _check_fleet(name, options, model, base, lift_tests)
        except (MMMDataError, FitInputError) as exc:
            raise ConfigError(
                f"{field}.{exc.field}" if exc.field in fleet_options(name) else exc.field,
                str(exc).removeprefix(f"{exc.field}: "),
            ) from None
    return config, model, fit, checked


def _lift_tests(config: dict, base: Path):
    """The ``[lift_tests]`` table's rows (from ``path`` or inline ``rows``), or None."""
    import pandas as pd

    if "lift_tests" not in config:
        return None
    table = _table("lift_tests", config["lift_tests"])
    _unknown("lift_tests", table, LIFT_OPTIONS)
    if ("path" in table) == ("rows" in table):
        raise ConfigError(
            "lift_tests", "give either path = 'lift.csv' or rows = [{channel = ..., ...}]"
        )
    if "path" in table:
        return _read_csv("lift_tests.path", base, table["path"])
    rows = table["rows"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ConfigError("lift_tests.rows", f"expected a list of tables, got {rows!r}")
    return pd.DataFrame(rows)


def _add_lift_tests(model, rows) -> None:
    from bayes_widgets.core.mmm import MMMDataError

    try:
        model.add_lift_tests(rows)
    except MMMDataError as exc:
        raise ConfigError(exc.field, exc.message) from None


def _check_fit(fit: dict) -> dict:
    from bayes_widgets.core.fitting.backends import get_backend

    _unknown("fit", fit, FIT_OPTIONS)
    if "backend" in fit:
        try:
            get_backend(fit["backend"])
        except InputError as exc:
            raise ConfigError(f"fit.{exc.field}", exc.message) from None
    for key in ("draws", "chains", "cores"):
        if key in fit:
            check_positive_int(f"fit.{key}", fit[key], error=ConfigError)
    if "tune" in fit:
        check_positive_int("fit.tune", fit["tune"], allow_zero=True, error=ConfigError)
    if "seed" in fit:
        check_seed("fit.seed", fit["seed"], allow_none=False, error=ConfigError)
    if "target_accept" in fit:
        check_probability("fit.target_accept", fit["target_accept"], error=ConfigError)
    if "keep_warmup" in fit and not isinstance(fit["keep_warmup"], bool):
        raise ConfigError("fit.keep_warmup", f"must be true or false, got {fit['keep_warmup']!r}")
    if "sampler_kwargs" in fit and not isinstance(fit["sampler_kwargs"], dict):
        raise ConfigError("fit.sampler_kwargs", f"expected a table, got {fit['sampler_kwargs']!r}")
    return dict(fit)


def _recovery_lift_tests(value, model, base: Path, lift_tests):
    """``[fleets.recovery] lift_tests``: true (the configuration's), false, or a CSV path."""
    from bayes_widgets.core.mmm import lift

    if value is False:
        return None
    if value is True:
        if lift_tests is None:
            raise ConfigError(
                "fleets.recovery.lift_tests", "true needs a [lift_tests] table in the config"
            )
        rows = lift_tests
    elif isinstance(value, str):
        rows = _read_csv("fleets.recovery.lift_tests", base, value)
    else:
        raise ConfigError(
            "fleets.recovery.lift_tests", f"expected true, false or a CSV path, got {value!r}"
        )
    try:
        return lift.check_lift_tests(model, rows)
    except lift.MMMDataError as exc:
        raise ConfigError(
            f"fleets.recovery.{exc.field}", str(exc).removeprefix(f"{exc.field}: ")
        ) from None


def _check_fleet(name: str, options: dict, model, base: Path, lift_tests=None) -> dict:
    """One fleet's options, checked as the fleet function would before any run."""
    import inspect

    from bayes_widgets.core.mmm import validation as v

    n = len(model.data)
    defaults = {
        k: p.default
        for k, p in inspect.signature(_fleet_functions()[name]).parameters.items()
        if p.default is not p.empty
    }
    if name == "geo":
        from bayes_widgets.core.mmm.geo_fleets import check_geo_fleet

        check_geo_fleet(model, options.get("holdout", defaults["holdout"]), options.get("geos"))
    elif name == "production":
        v.check_holdout(options.get("holdout", defaults.get("holdout", 4)), n)
    elif name == "holdout":
        v.check_horizons(options.get("horizons", defaults.get("horizons", (4, 8, 12))), n)
    elif name == "recovery":
        from bayes_widgets.core.mmm.fleets import check_truth

        truth = options.get("truth")
        for key in ("truth", "truth_roas"):
            if options.get(key) is not None:
                check_truth(key, options[key], model.channels, share=key == "truth")
        if "runs" in options:
            options["runs"] = v.whole_number(
                "runs", options["runs"], minimum=0 if truth is not None else 1
            )
        if "seed" in options:
            options["seed"] = v.whole_number("seed", options["seed"], minimum=0)
        if "lift_tests" in options:
            options["lift_tests"] = _recovery_lift_tests(
                options["lift_tests"], model, base, lift_tests
            )
    elif name == "stability":
        if "seeds" in options:
            options["seeds"] = v.check_seeds(options["seeds"])
        if "trims" in options:
            options["trims"] = v.check_trims(options["trims"], n)
    elif name == "forecast":
        if "future" not in options:
            raise v.MMMDataError(
                "future",
                "a forecast fleet needs future = 'path/to/future.csv' "
                "(the weeks to forecast, with their spend and controls)",
            )
        try:
            future = _read_csv("future", base, options.pop("future"))
        except ConfigError as exc:
            raise v.MMMDataError(exc.field, str(exc).removeprefix(f"{exc.field}: ")) from None
        try:
            checked = v.validate_mmm_data(
                future,
                date_column=model.date_column,
                target=None,
                channels=model.channels,
                controls=model.controls,
                min_train_rows=1,
            )
        except v.MMMDataError as exc:
            raise v.MMMDataError("future", _one_line(exc)) from None
        if checked[model.date_column].iloc[0] <= model.data[model.date_column].iloc[-1]:
            raise v.MMMDataError(
                "future",
                f"{model.date_column}: the future dates must come after the last "
                f"date of the data ({model.data[model.date_column].iloc[-1].date()})",
            )
        options["future_X"] = future
    return options


def run_config(config_path: Path, out: Path) -> int:
    from bayes_widgets.core.report import fleet_report

    try:
        if out.exists() and not out.is_dir():
            raise ConfigError("out", f"{out} is a file, not a directory")
        _, model, fit, fleets = load_config(config_path)
    except ConfigError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2

    def progress(run_id, info):
        detail = info.get("error") or info.get("note")  # a failure, or e.g. "waiting for workers"
        print(f"  {run_id}: {info.get('status')}" + (f" ({detail})" if detail else ""), flush=True)

    functions = _fleet_functions()
    results = []
    for name, options in fleets.items():
        print(f"{name} fleet", flush=True)
        options = dict(options)
        future = options.pop("future_X", None)
        args = (model,) if future is None else (model, future)
        try:
            results.append(
                functions[name](*args, out=out / name, fit=fit, on_update=progress, **options)
            )
        except (TypeError, ValueError) as exc:
            if not hasattr(
                exc, "field"
            ):  # not an input the checks above missed: a bug to see in full
                raise
            print(f"error: fleets.{name}: {_one_line(exc)}", file=sys.stderr)
            return 2
    report = fleet_report(results, out / "report.html", title=f"Fleets: {config_path.name}")
    print(f"report: {report}")
    return 1 if any(r.run.failed or r.run.lost for r in results) else 0


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
    parser = argparse.ArgumentParser(
        prog="bayes-widgets", description="bayes_widgets from the command line"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fleet = sub.add_parser(
        "fleet",
        help="run MMM fleets from a TOML config and write a report",
        description=FLEET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fleet.add_argument("config", type=Path, help="the TOML configuration (format above)")
    fleet.add_argument(
        "--out", type=Path, required=True, help="directory for the runs and report.html"
    )
    export = sub.add_parser(
        "export",
        help="write an executed notebook as offline HTML with its widgets",
        description=EXPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("notebook", type=Path, help="the notebook (.ipynb)")
    export.add_argument(
        "--out", type=Path, default=None, help="the HTML file to write (default: NOTEBOOK.html)"
    )
    export.add_argument(
        "--execute",
        action="store_true",
        help="run the notebook first (in its folder) and save its widget state",
    )
    export.add_argument(
        "--timeout", type=int, default=600, help="seconds per cell under --execute (default 600)"
    )
    export.add_argument(
        "--kernel", default="", help="kernel under --execute (default: the notebook's)"
    )
    args = parser.parse_args(argv)
    if args.command == "export":
        return run_export(args.notebook, args.out, args.execute, args.timeout, args.kernel)
    return run_config(args.config, args.out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

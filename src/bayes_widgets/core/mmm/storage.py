"""An :class:`~bayes_widgets.core.mmm.model.MMMModel` as plain values and files: its
configuration (options, priors, dims, lift tests) as JSON, its data as CSV, its draws as
netCDF."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def records(table: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates as ISO text)."""
    if table is None:
        return []
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in out.to_dict(orient="records")
    ]


def model_config(model) -> dict[str, Any]:
    """The keyword arguments that rebuild ``model`` from its data, as JSON-ready values."""
    return {
        "target": model.target,
        "date_column": model.date_column,
        "channels": model.channels,
        "controls": model.controls,
        "lag_max": model.lag_max,
        "adstock": model.adstock,
        "saturation": model.saturation,
        "scale_data": model.scale_data,
        "time_varying_media": model.time_varying_media,
        "yearly_seasonality": model.yearly_seasonality,
        "priors": {k: v.to_dict() for k, v in model.priors.items() if hasattr(v, "to_dict")},
        "dims": list(model.dims),
        "lift_tests": records(model.lift_tests if len(model.lift_tests) else None),
    }


def save_model(model, directory) -> None:
    """config.json, data.csv and, when fitted, fit.nc in ``directory``."""
    import json
    from pathlib import Path

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(model_config(model), indent=2))
    model.data.to_csv(path / "data.csv", index=False)
    if getattr(model.mmm, "is_fitted_", False):
        model.mmm.idata.to_netcdf(path / "fit.nc")


def load_model(cls, directory):
    """The model :func:`save_model` wrote, with its draws attached when it was fitted."""
    import json
    from pathlib import Path

    import xarray as xr

    from bayes_widgets.core.mmm.fitting import attach_fit

    path = Path(directory)
    config = json.loads((path / "config.json").read_text())
    dims = config.get("dims") or []
    data = pd.read_csv(path / "data.csv", dtype=dict.fromkeys(dims, str) if dims else None)
    model = cls(data, **config)
    if (path / "fit.nc").exists():
        idata = xr.open_datatree(path / "fit.nc").load()
        model.mmm = model.build(fitted_rows(model, idata))
        attach_fit(model.mmm, idata)
    return model


def fitted_rows(model, idata) -> slice:
    """The slice of the model's weeks a fit's draws were drawn on (its scales are those
    of these weeks)."""
    if "posterior" not in idata.children or "date" not in idata["posterior"].coords:
        return slice(None)
    fitted = pd.DatetimeIndex(np.asarray(idata["posterior"]["date"].values))
    dates = pd.DatetimeIndex(pd.unique(model.data[model.date_column].to_numpy()))
    at = dates.get_indexer(fitted)
    if len(at) == 0 or (at < 0).any():
        return slice(None)
    return slice(int(at.min()), int(at.max()) + 1)


__all__ = ["fitted_rows", "load_model", "model_config", "records", "save_model"]

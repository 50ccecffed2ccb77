"""Time per redraw of an MMM's transform bands, as a slider of an adstock or saturation
prior is dragged in the PriorEditor.

The case-study MMM (161 weeks, 10 channels, geometric adstock l_max 8, logistic
saturation), 300 prior draws per band (the editor's). Measured, per step of a drag:

* ``bands_adstock_ms`` / ``bands_saturation_ms``: ``TransformBands.bands`` after a change
  of channel 0's ``adstock_alpha`` / ``saturation_lam`` prior (draws at fixed
  probabilities, the compiled transform, the quantile bands);
* ``editor_edit_ms`` / ``editor_edit_without_transforms_ms``: the editor's whole handling
  of one ``edit`` message from the page (prior, density, prior predictive of 500 draws,
  and the transform bands), with and without the transform panel.

    .venv/bin/python benchmarks/bench_transform_bands.py          # ~1 min on 2 cores

Last line: JSON with the medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import json
import time

import numpy as np


def timed(fn, steps: int) -> tuple[float, float]:
    out = []
    for i in range(steps):
        t = time.perf_counter()
        fn(i)
        out.append(1e3 * (time.perf_counter() - t))
    return float(np.median(out)), float(np.percentile(out, 95))


def main(steps: int = 60) -> dict:
    from bayes_widgets.core.mmm import MMMModel
    from bayes_widgets.core.mmm.transform_bands import TransformBands
    from bayes_widgets.datasets import mmm_case_study
    from bayes_widgets.widgets.prior_editor import PriorEditor

    data = mmm_case_study(161)
    channels = [c for c in data.columns if c.startswith("mdsp_")]
    model = MMMModel(
        data,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=["me_ics_all", "me_gas_dpg"],
        lag_max=8,
    )
    editor = PriorEditor(model.build(), draws=500, seed=1, lower=0)
    assert editor.model_priors is not None
    priors = dict(editor.model_priors.priors)
    tb = TransformBands(editor.mmm, draws=300)
    tb.bands(priors, channels[0])
    out: dict[str, float] = {}
    for name, var, param in (
        ("adstock", "adstock_alpha", "alpha"),
        ("saturation", "saturation_lam", "alpha"),
    ):

        def step(i, var=var, param=param):
            priors[var] = priors[var].with_element(0, **{param: 1.0 + 0.05 * i})
            tb.bands(priors, channels[0])

        out[f"bands_{name}_ms"], out[f"bands_{name}_p95_ms"] = timed(step, steps)

    def edit(i):
        editor._dispatch(editor, {"type": "edit", "values": {"alpha": 1.0 + 0.05 * i}}, [])

    editor._dispatch(editor, {"type": "select", "variable": "adstock_alpha", "element": 0}, [])
    out["editor_edit_ms"], out["editor_edit_p95_ms"] = timed(edit, steps)
    editor.transform_panel = None
    out["editor_edit_without_transforms_ms"], out["editor_edit_without_transforms_p95_ms"] = timed(
        edit, steps
    )
    return {k: round(v, 2) for k, v in out.items()}


if __name__ == "__main__":
    print(json.dumps(main()))

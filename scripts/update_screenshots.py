"""Copies the widget screenshots taken by the browser tests into docs/images/ for the README.

    ./dev test tests/browser          # takes them, into test-artifacts/
    .venv/bin/python scripts/update_screenshots.py

Each README picture is ``docs/images/<widget>_widget.png``; a picture the tests did not
take is reported, not left silently stale.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
IMAGES = ROOT / "docs" / "images"
WIDGETS = (
    "fit_monitor",
    "fit_monitor_svi",
    "prior_editor",
    "fleet_board",
    "decision_explorer",
    "posterior_explorer",
    "model_card",
    "hierarchical_explorer",
    "prediction_table",
    "mmm_explorer",
)
TAKEN_WHOLE = {"calibration_board_widget.png": "calibration_board.png"}
"""README pictures taken by a widget's own browser test rather than cropped from an example
(the calibration board in its example is taller than the page)."""


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in WIDGETS:
        src = ARTIFACTS / f"{name}_widget.png"
        if not src.exists():
            missing.append(src.name)
            continue
        shutil.copyfile(src, IMAGES / src.name)
        print(f"docs/images/{src.name}")
    for target, source in TAKEN_WHOLE.items():
        if (ARTIFACTS / source).exists():
            shutil.copyfile(ARTIFACTS / source, IMAGES / target)
            print(f"docs/images/{target}")
        else:
            missing.append(source)
    for extra in ("theme_light.png", "theme_dark.png"):
        if (ARTIFACTS / extra).exists():
            shutil.copyfile(ARTIFACTS / extra, IMAGES / extra)
            print(f"docs/images/{extra}")
        else:
            missing.append(extra)
    if missing:
        print(f"not taken by the browser tests: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tasks for the fleet-runner tests (importable by worker processes)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(params, run_dir):
    Path(run_dir, "note.txt").write_text(f"pid {os.getpid()}")
    if params.get("fail"):
        raise RuntimeError(f"run {params['x']} was made to fail")
    return {"x": params["x"], "square": params["x"] ** 2}


def slow(params, run_dir):
    time.sleep(params.get("seconds", 1.0))
    return {"x": params["x"]}

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


def returns(params, run_dir):
    """Returns whatever the run asks for (checks of what a task may return)."""
    import threading

    kind = params["kind"]
    if kind == "float":
        return 3.5
    if kind == "not finite":
        return {"rhat_max": float("nan"), "ess": float("inf"), "ok": 1.0, "status": "mine"}
    if kind == "lock":
        return {"fine": 1, "lock": threading.Lock()}
    return None


def counted(params, run_dir):
    """Logs its start and end (with its PID) to a side channel, then sleeps; crashes its
    process when asked."""
    log = Path(params["log"])
    with log.open("a") as f:
        f.write(f"start {params['x']} {os.getpid()}\n")
    if params.get("crash"):
        os._exit(3)
    time.sleep(params.get("seconds", 0.2))
    with log.open("a") as f:
        f.write(f"end {params['x']} {os.getpid()}\n")
    Path(run_dir, "out.txt").write_text(str(params["x"]))
    return {"x": params["x"]}


def executions(log) -> dict[str, dict[str, int]]:
    """``{"start": {x: n}, "end": {x: n}}`` from a side channel written by :func:`counted`."""
    out: dict[str, dict[str, int]] = {"start": {}, "end": {}}
    if Path(log).exists():
        for line in Path(log).read_text().splitlines():
            what, x, _ = line.split()
            out[what][x] = out[what].get(x, 0) + 1
    return out

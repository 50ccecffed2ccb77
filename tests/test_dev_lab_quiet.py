"""``./dev lab``, the README's main command, starts JupyterLab without error walls."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "dev"

pytestmark = pytest.mark.skipif(
    not (DEV.exists() and (ROOT / ".venv" / "bin" / "jupyter").exists() and shutil.which("bash")),
    reason="needs the checkout's ./dev and its .venv",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_is_what_dev_lab_runs():
    out = subprocess.run(
        [str(DEV), "lab-command", "--port", "9"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    assert out[:2] == [str(ROOT / ".venv" / "bin" / "jupyter"), "lab"]
    assert f"--notebook-dir={ROOT / 'examples'}" in out
    assert "--LabApp.extension_manager=readonly" in out
    assert out[-2:] == ["--port", "9"]


def test_dev_lab_starts_without_errors(tmp_path):
    """Starts the lab as ``./dev lab`` does (setup skipped), loads the page and the
    server calls the page makes at once (build check, extension listing), and reads the
    whole of stderr: only the server's normal lines."""
    port, token = _free_port(), secrets.token_hex(8)
    env = {
        **os.environ,
        "BW_SKIP_SETUP": "1",
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [
            str(DEV),
            "lab",
            "--port",
            str(port),
            "--no-browser",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "JupyterLab exited:\n" + proc.stderr.read()
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                time.sleep(0.3)
        for path in ("/lab", "/lab/api/build", "/lab/api/extensions?query=&page=1&per_page=30"):
            with urllib.request.urlopen(
                f"{base}{path}{'&' if '?' in path else '?'}token={token}", timeout=30
            ) as response:
                assert response.status == 200, path
        time.sleep(1.0)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
    lines = stderr.splitlines()
    assert any("is running at" in line for line in lines), stderr
    bad = [
        line
        for line in lines
        if re.search(r"error|traceback|yarn|Dynamic require", line, re.IGNORECASE)
        or re.match(r"\[[EW] ", line)
    ]
    assert not bad, "stderr of ./dev lab:\n" + "\n".join(line[:200] for line in bad[:20])
    # no screen of minified JavaScript either: every long line is a server log line
    long = [line for line in lines if len(line) > 300 and not re.match(r"\[[IC] ", line)]
    assert not long, long[0][:300]

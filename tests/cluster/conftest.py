"""A real Dask cluster on localhost: ``dask scheduler`` and ``dask worker`` processes.

Workers run with their own working directory and, where the test runs as root (CI, the
dev container), in their own mount namespace with an empty tmpfs mounted over the
client's directory (``unshare -m``): the run store the client writes does not exist for
them, and what they would write under that path lands on their own tmpfs. The side
channel that counts executions lives outside that directory, so workers and tests both
see it. Without ``unshare`` the workers still get their own directory, and the tests say
that the store was reachable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /mnt && umount /mnt",
        ],
        capture_output=True,
        timeout=10,
    )
    return probe.returncode == 0


class Cluster:
    """A scheduler and the workers started on it, all in their own process groups."""

    def __init__(self, base: Path):
        self.base = base
        self.client_dir = base / "client"  # hidden from workers (tmpfs over it)
        self.store = self.client_dir / "runs"
        self.counts = base / "counts"  # the side channel, seen by everyone
        for d in (self.client_dir, self.counts):
            d.mkdir(parents=True, exist_ok=True)
        self.scheduler_file = base / "scheduler.json"
        self.isolated = _can_unshare()
        self.workers: dict[str, subprocess.Popen] = {}
        self.logs: list = []
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "3",
        }
        self.scheduler = self._spawn(
            "scheduler",
            [
                DASK,
                "scheduler",
                "--scheduler-file",
                str(self.scheduler_file),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
            ],
            base,
        )
        deadline = time.monotonic() + 60
        while not self.scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.scheduler_file.exists(), "the scheduler did not start"

    def _spawn(self, name: str, argv: list[str], cwd: Path) -> subprocess.Popen:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - closed at teardown
        self.logs.append(log)
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, name: str) -> subprocess.Popen:
        """A worker with its own directory; it cannot see the client's directory."""
        cwd = self.base / f"worker-{name}"
        cwd.mkdir(exist_ok=True)
        argv = [
            DASK,
            "worker",
            "--scheduler-file",
            str(self.scheduler_file),
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--name",
            name,
            "--local-directory",
            str(cwd / "dask"),
        ]
        if self.isolated:  # unshare execs sh, which execs the worker: one PID
            script = f"mount -t tmpfs tmpfs {self.client_dir} && cd {cwd} && exec " + " ".join(argv)
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script]
        self.workers[name] = proc = self._spawn(f"worker-{name}", argv, cwd)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def client(self, workers: int):
        """A client of the scheduler with at least ``workers`` workers connected (started
        here where fewer are: an earlier test may have killed them, or they may have left)."""
        from distributed import Client

        client = Client(scheduler_file=str(self.scheduler_file), timeout=60)
        if workers:
            self.ensure_workers(client, workers)
        return client

    def ensure_workers(self, client, n: int, prefix: str = "w") -> None:
        """Starts as many workers as the scheduler lacks for ``n`` and waits for them."""
        connected = len(client.scheduler_info()["workers"])
        starting = sum(
            1
            for name, proc in self.workers.items()
            if proc.poll() is None and name not in self._registered(client)
        )
        for i in range(n - connected - starting):
            self.start_worker(f"{prefix}{len(self.workers)}-{i}")
        self.wait_for_workers(client, n)

    def _registered(self, client) -> set[str]:
        return {str(w.get("name")) for w in client.scheduler_info()["workers"].values()}

    def wait_for_workers(self, client, n: int, timeout: float = 180) -> None:
        """Waits for ``n`` connected workers; on a timeout the error carries what each
        worker process and the scheduler last logged."""
        try:
            client.wait_for_workers(n, timeout=timeout)
        except Exception as exc:  # re-raised with the cluster's own account
            raise AssertionError(f"{exc}\n{self.diagnostics(client)}") from exc

    def diagnostics(self, client=None) -> str:
        lines = []
        if client is not None:
            try:
                lines.append(f"registered: {sorted(self._registered(client))}")
            except Exception as exc:  # a report, never a second failure
                lines.append(f"registered: unknown ({exc!r})")
        for name, proc in [("scheduler", self.scheduler), *self.workers.items()]:
            log = self.base / f"{name if name == 'scheduler' else 'worker-' + name}.log"
            tail = log.read_text(errors="replace").splitlines()[-8:] if log.exists() else []
            lines.append(f"--- {name} (pid {proc.pid}, exit code {proc.poll()})")
            lines.extend(tail)
        return "\n".join(lines)

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            self.kill(proc)
        for log in self.logs:
            log.close()


@pytest.fixture(scope="package")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield cluster
    finally:
        cluster.close()

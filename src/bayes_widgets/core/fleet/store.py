"""The run store: one directory per run, at any fsspec URL.

    <store>/<run_id>/summary.json   status ("done", "failed" or "lost"), metrics, timings, error
    <store>/<run_id>/status.json    while the run is queued or running: its claim (who submitted
                                    it, which worker runs it, heartbeats, progress)
    <store>/<run_id>/...            the files the task wrote (e.g. predictions.csv)
    <store>/_owners/<nonce>.json    each submitting process: PID, host, heartbeat, state
    <store>/_fleet.json             the store's epoch (a new one when the store is recreated)

The store is a URL handled by fsspec: a plain path (made absolute where the store is
opened, so every worker and every rerun mean the same place), ``file://...``,
``memory://...`` (tests; one process), or an object store such as ``s3://bucket/runs``
when its fsspec package is installed. The submitting process writes every record;
workers never need to reach the store.

Writes are atomic where the store allows: on a local disk a temporary file is written
and renamed into place; object stores replace an object in one request; other
filesystems write a temporary file and move it. A run is recorded whole or not at all.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from bayes_widgets.core.fleet.records import plain_record

SUMMARY = "summary.json"
STATUS = "status.json"
OWNERS = "_owners"
FLEET = "_fleet.json"
FINAL = ("done", "failed")
"""Statuses that end a run: a rerun skips them (``lost`` runs are run again)."""
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")
_ATOMIC_PUT = {"memory", "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"}


def check_run_id(run_id: str) -> str:
    """Run ids become directory names: letters, digits and ``._=-`` only."""
    if not isinstance(run_id, str) or not _SAFE.match(run_id) or run_id in (".", ".."):
        raise ValueError(
            f"run_id: {run_id!r} must be letters, digits and . _ = - (it names a directory)"
        )
    return run_id


def store_url(root: str | os.PathLike[str]) -> str:
    """The store's canonical URL: a plain or relative path becomes an absolute one."""
    if isinstance(root, os.PathLike):
        root = os.fspath(root)
    if not isinstance(root, str) or not root:
        raise TypeError(f"out: expected a path or a URL, got {root!r}")
    if "://" in root and not root.startswith("file://"):
        return root.rstrip("/")
    path = root.removeprefix("file://")
    return os.path.abspath(os.path.expanduser(path))


class StoreError(OSError):
    """The store cannot be read or written; names the store and the record."""


class RunStore:
    """The runs of one fleet, at a path or URL (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True):
        import fsspec
        from fsspec.implementations.local import LocalFileSystem

        self.url = store_url(root)
        try:
            self.fs, self.path = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"out: cannot open the run store {self.url!r}: {exc}") from exc
        self.local = isinstance(self.fs, LocalFileSystem)
        self.protocol = (
            self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        )
        self.root: Path | str = Path(self.path) if self.local else self.url
        try:
            if create:
                self.fs.makedirs(self.path, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"out: cannot create the run store {self.url}: {exc}") from exc

    def __repr__(self) -> str:
        return f"RunStore({self.url!r})"

    # -- paths ------------------------------------------------------------------------------
    def _p(self, *parts: str) -> str:
        return (
            str(PurePosixPath(self.path, *parts))
            if not self.local
            else os.path.join(self.path, *parts)
        )

    def run_dir(self, run_id: str) -> Path | str:
        """A run's directory: a local ``Path`` (created) or, for other stores, its URL."""
        path = self._p(check_run_id(run_id))
        if self.local:
            os.makedirs(path, exist_ok=True)
            return Path(path)
        return f"{self.url}/{run_id}"

    # -- raw records --------------------------------------------------------------------------
    def _write_bytes(self, path: str, data: bytes) -> None:
        if self.local:
            directory = os.path.dirname(path)
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        elif self.protocol in _ATOMIC_PUT:
            self.fs.pipe_file(path, data)
        else:
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, path)

    def _write_json(self, path: str, data: dict[str, Any]) -> None:
        text = json.dumps(plain_record(data), indent=1, allow_nan=False)
        self._write_bytes(path, text.encode())

    def _read_json(self, path: str) -> Any:
        """The parsed record, None when absent; raises ValueError when unreadable."""
        try:
            with self.fs.open(path, "rb") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        return json.loads(text)

    def _remove(self, path: str) -> None:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass

    # -- summaries ----------------------------------------------------------------------------
    def summary(self, run_id: str) -> dict[str, Any] | None:
        """The run's summary; a record that cannot be read comes back as
        ``{"status": "unreadable", "error": ...}`` (not final: a rerun redoes the run)."""
        try:
            record = self._read_json(self._p(check_run_id(run_id), SUMMARY))
        except (ValueError, UnicodeDecodeError) as exc:
            return {"run_id": run_id, "status": "unreadable", "error": f"summary.json: {exc}"}
        if record is None:
            return None
        if not isinstance(record, dict):
            return {
                "run_id": run_id,
                "status": "unreadable",
                "error": f"summary.json: holds a {type(record).__name__}, not a record",
            }
        return record

    def finished(self, run_id: str) -> bool:
        """True when the run ended for good (done or failed; lost runs are run again, and
        failures only when asked)."""
        return (self.summary(run_id) or {}).get("status") in FINAL

    def write_summary(self, run_id: str, summary: dict[str, Any]) -> str:
        path = self._p(check_run_id(run_id), SUMMARY)
        self._write_json(path, summary)
        return path

    def forget(self, run_id: str) -> None:
        """Drops a run's summary so the next run of the fleet does it again."""
        self._remove(self._p(check_run_id(run_id), SUMMARY))

    def summaries(self) -> dict[str, dict[str, Any]]:
        out = {}
        for run_id in self.run_ids():
            summary = self.summary(run_id)
            if summary is not None:
                out[run_id] = summary
        return out

    # -- claims (status.json) ------------------------------------------------------------------
    def write_status(self, run_id: str, status: dict[str, Any]) -> None:
        """A queued or running run's claim and latest state (boards read it)."""
        self._write_json(self._p(check_run_id(run_id), STATUS), status)

    def status(self, run_id: str) -> dict[str, Any] | None:
        try:
            record = self._read_json(self._p(check_run_id(run_id), STATUS))
        except (ValueError, UnicodeDecodeError):
            return None
        return record if isinstance(record, dict) else None

    def clear_status(self, run_id: str) -> None:
        self._remove(self._p(check_run_id(run_id), STATUS))

    # -- a run's files -------------------------------------------------------------------------
    def write_file(self, run_id: str, name: str, data: bytes) -> None:
        parts = PurePosixPath(name).parts
        if (
            not parts
            or any(p in ("", ".", "..") for p in parts)
            or PurePosixPath(name).is_absolute()
        ):
            raise ValueError(f"file: {name!r} is not a path inside the run's directory")
        self._write_bytes(self._p(check_run_id(run_id), *parts), data)

    def files(self, run_id: str) -> list[str]:
        """The run's files (relative names), records excluded."""
        base = self._p(check_run_id(run_id))
        try:
            found = self.fs.find(base)
        except FileNotFoundError:
            return []
        names = []
        for path in found:
            rel = (
                str(PurePosixPath(path).relative_to(PurePosixPath(base)))
                if not self.local
                else os.path.relpath(path, base).replace(os.sep, "/")
            )
            if rel not in (SUMMARY, STATUS) and not PurePosixPath(rel).name.startswith(".tmp-"):
                names.append(rel)
        return sorted(names)

    def local_dir(self, run_id: str) -> Path:
        """The run's files in a local directory: the run directory itself on a local
        store, else a fresh copy (for reading them with local tools)."""
        if self.local:
            return Path(self._p(check_run_id(run_id)))
        target = Path(tempfile.mkdtemp(prefix=f"bw-{run_id}-"))
        for name in self.files(run_id):
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(self.fs.cat_file(self._p(run_id, *PurePosixPath(name).parts)))
        return target

    def exists(self) -> bool:
        return self.fs.isdir(self.path)

    def has_run(self, run_id: str) -> bool:
        return self.fs.isdir(self._p(check_run_id(run_id)))

    def run_ids(self) -> list[str]:
        try:
            entries = self.fs.ls(self.path, detail=True)
        except FileNotFoundError:
            return []
        names = []
        for entry in entries:
            name = PurePosixPath(str(entry["name"]).rstrip("/")).name
            if entry.get("type") == "directory" and _SAFE.match(name):
                names.append(name)
        return sorted(names)

    # -- submitters and epoch -----------------------------------------------------------------
    def write_owner(self, nonce: str, record: dict[str, Any]) -> None:
        self._write_json(self._p(OWNERS, f"{nonce}.json"), record)

    def owner(self, nonce: str) -> dict[str, Any] | None:
        try:
            record = self._read_json(self._p(OWNERS, f"{nonce}.json"))
        except (ValueError, UnicodeDecodeError):
            return None
        return record if isinstance(record, dict) else None

    def owners(self) -> dict[str, dict[str, Any]]:
        try:
            names = self.fs.ls(self._p(OWNERS), detail=False)
        except FileNotFoundError:
            return {}
        out = {}
        for name in names:
            stem = PurePosixPath(str(name)).name
            if stem.endswith(".json") and not stem.startswith(".tmp-"):
                record = self.owner(stem[:-5])
                if record is not None:
                    out[stem[:-5]] = record
        return out

    def epoch(self) -> str:
        """An id of this store, made when it is first used (a recreated store gets a new one)."""
        try:
            record = self._read_json(self._p(FLEET))
        except (ValueError, UnicodeDecodeError):
            record = None
        if isinstance(record, dict) and isinstance(record.get("epoch"), str):
            return record["epoch"]
        epoch = uuid.uuid4().hex
        self._write_json(self._p(FLEET), {"epoch": epoch, "created": time.time()})
        return self._read_json(self._p(FLEET)).get("epoch", epoch)

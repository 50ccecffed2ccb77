"""Chain processes forked by a PyMC session write to the real stdout/stderr, not to the
parent's replaced streams (in a kernel: ipykernel's, whose locks may be held at the fork)."""

from __future__ import annotations

import io
import os
import sys
import threading

from bayes_widgets.core.fitting.backends import pymc_backend


def _fork_and_report(mark_sampling: bool) -> str:
    read, write = os.pipe()
    ident = threading.get_ident()
    if mark_sampling:
        pymc_backend._sampling_threads.add(ident)
    try:
        pid = os.fork()
        if pid == 0:  # child
            verdict = (
                b"real"
                if sys.stdout is sys.__stdout__ and sys.stderr is sys.__stderr__
                else b"replaced"
            )
            os.write(write, verdict)
            os._exit(0)
    finally:
        pymc_backend._sampling_threads.discard(ident)
    os.close(write)
    os.waitpid(pid, 0)
    out = os.read(read, 16).decode()
    os.close(read)
    return out


def test_fork_from_sampling_thread_gets_real_streams(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _fork_and_report(mark_sampling=True) == "real"


def test_other_forks_keep_their_streams(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _fork_and_report(mark_sampling=False) == "replaced"

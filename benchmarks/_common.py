"""Helpers shared by the benchmarks (not part of the package).

The important one is :class:`SerializingComm`: without a kernel, ipywidgets gives
every widget a ``comm.DummyComm`` whose ``publish_msg`` does nothing, so the cost
of turning messages into bytes would never be paid. ipykernel installs its own
comm class by replacing ``comm.create_comm``; :func:`serializing_comms` does the
same with a comm that builds and serialises each message exactly as ipykernel's
``Comm.publish_msg`` does (``jupyter_client.Session.msg`` + ``Session.serialize``:
JSON packing of header, parent, metadata and content, plus the HMAC signature),
then counts the bytes and drops them instead of writing to a ZMQ socket.

Every path to the front end goes through it: the comm-open message (the widget's
full state), trait syncs (``send_state``) and custom messages (``send``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import threading
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence


def quiet() -> None:
    """Silences PyMC's progress logging and the usual numerical warnings."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # inherited by sampler worker processes
    warnings.filterwarnings("ignore")
    for name in ("pymc", "pymc.sampling", "pymc.stats.convergence", "pytensor", "nutpie"):
        logging.getLogger(name).setLevel(logging.ERROR)


class Traffic:
    """Messages and bytes that widgets sent, by message type (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()

    def add(self, kind: str, nbytes: int) -> None:
        with self._lock:
            self.messages[kind] += 1
            self.bytes[kind] += nbytes

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        with self._lock:
            return Counter(self.messages), Counter(self.bytes)


def _make_comm_class(traffic: Traffic):
    from comm.base_comm import BaseComm
    from jupyter_client.session import Session

    session = Session(key=b"benchmark-signing-key")  # signing on, as in a real kernel

    class SerializingComm(BaseComm):
        """A comm that serialises like ipykernel's and counts the bytes it would send."""

        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            data = {} if data is None else data
            metadata = {} if metadata is None else metadata
            content = dict(data=data, comm_id=self.comm_id, **keys)
            msg = session.msg(msg_type, content, metadata=metadata)
            frames = session.serialize(msg, ident=self.topic)
            nbytes = sum(len(f) for f in frames) + sum(memoryview(b).nbytes for b in buffers or ())
            if msg_type == "comm_msg":
                kind = f"{msg_type}:{data.get('method', '?')}"
            else:
                kind = msg_type
            traffic.add(kind, nbytes)

    return SerializingComm


@contextlib.contextmanager
def serializing_comms() -> Iterator[Traffic]:
    """Within the block, new widgets get a :class:`SerializingComm`; yields its counters."""
    import comm

    traffic = Traffic()
    cls = _make_comm_class(traffic)
    old = comm.create_comm
    comm.create_comm = lambda *args, **kwargs: cls(*args, **kwargs)
    try:
        yield traffic
    finally:
        comm.create_comm = old


def n_parameters(model) -> int:
    """Number of unconstrained scalar parameters of a PyMC model."""
    return int(sum(v.size for v in model.initial_point().values()))


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
    )
    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def last_line(obj: dict) -> None:
    """Prints the machine-readable result: one JSON object, the last line of output."""
    print(json.dumps(obj, sort_keys=False), flush=True)

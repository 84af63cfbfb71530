"""Who holds a lease on a stored row (an inbox update, outbox messages), and whether that process is gone.

A worker is named `host:pid:tag`. A lease normally runs out after a couple of minutes, so that the
rows of a worker that died are handled by another; but a worker restarted after a crash on the same
host would wait out its dead predecessor's lease. A lease held by a process of this host that no
longer runs (or by an earlier process that had our pid, as in a container that always runs as pid 1)
is free at once. Runtimes in this process register themselves in `_LIVE` while they run.
"""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()
_LIVE: set[str] = set()


def worker_id(tag: str) -> str:
    """A name for one running worker, at most 64 characters (the leases' column)."""
    return f"{HOST}:{os.getpid()}:{tag}"[-64:]


def register(worker: str) -> None:
    _LIVE.add(worker)


def unregister(worker: str) -> None:
    _LIVE.discard(worker)


def gone(holder: str | None) -> bool:
    """True when `holder` is a worker of this host whose process has ended (its lease is free at once)."""
    if not holder:
        return False
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[0] or not HOST.endswith(parts[0]):
        return False  # another host's worker, or a name such as "polling": its lease runs out in time
    pid = int(parts[1])
    if pid == os.getpid():
        return holder not in _LIVE  # our pid, but not one of our runtimes: an earlier process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user runs with that pid
        return False
    return False

"""Recovering from crawls that died without saying so (SIGKILL, power loss, an OOM kill).

A crawl writes its ``crawl_runs`` row as ``running`` when it starts and
updates it when it closes. A process killed in between never updates it, so
the row would claim forever that the crawl is still going.
:func:`mark_interrupted_runs` finds such rows and records them as failed.

The database itself needs no repair: every posting is written in its own
transaction and the file is in WAL mode, so a killed crawl leaves whole
postings or none, and the next crawl updates them by their stable ids.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import UTC, datetime, timedelta

import sqlite_utils

from medcoder.db import utcnow

INTERRUPTED_REASON = "interrupted"
#: a ``running`` row older than this is stale even when its process cannot be checked (another host, no pid)
DEFAULT_MAX_AGE = timedelta(hours=48)
# A process that started this long after the run did is another program that reused the pid.
_PID_REUSE_SLACK = timedelta(minutes=2)


def process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``), None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    # Field 22 of /proc/PID/stat (index 19 after the command name) is the start time in clock ticks since boot.
    return datetime.fromtimestamp(boot + int(fields[19]) / os.sysconf("SC_CLK_TCK"), UTC)


def process_alive(pid: int, run_started_at: str | None = None) -> bool:
    """True when ``pid`` is a live process that may be the crawl which started at ``run_started_at``.

    A zombie (killed, not yet reaped) is dead; so is a process that started
    well after the run did, since its pid was reused.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (OSError, IndexError):
        pass
    started = process_started_at(pid)
    if started and run_started_at:
        if started > _parse(run_started_at) + _PID_REUSE_SLACK:
            return False
    return True


def _parse(timestamp: str) -> datetime:
    value = datetime.fromisoformat(timestamp)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def mark_interrupted_runs(
    db: sqlite_utils.Database,
    *,
    now: str | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    host: str | None = None,
) -> list[int]:
    """Record ``running`` crawl runs whose process is gone as ``failed`` (``interrupted``); return their ids.

    A row that names its process (``pid`` and ``host`` columns, when the
    schema has them) on this host is stale as soon as that process is dead.
    Any other ``running`` row is stale once it is older than ``max_age``:
    a run on another machine, or one recorded before the pid was kept.
    """
    if not db["crawl_runs"].exists():
        return []
    now = now or utcnow()
    host = host or socket.gethostname()
    outer_transaction = db.conn.in_transaction
    columns = set(db["crawl_runs"].columns_dict)
    has_pid, has_host = "pid" in columns, "host" in columns
    select = ", ".join(["id", "started_at", "pid" if has_pid else "null", "host" if has_host else "null"])
    stale = []
    for run_id, started_at, pid, run_host in db.execute(f"select {select} from crawl_runs where status = 'running'").fetchall():
        if pid is not None and (run_host is None or run_host == host):
            dead = not process_alive(int(pid), started_at)
        else:
            dead = started_at is None or _parse(started_at) < _parse(now) - max_age
        if dead:
            stale.append(run_id)
    if stale:
        # One statement, so atomic; "status = 'running'" again: a crawl that finished meanwhile keeps its record.
        db.execute(f"update crawl_runs set status = 'failed', finish_reason = ?, finished_at = ? "
                   f"where status = 'running' and id in ({', '.join('?' * len(stale))})", [INTERRUPTED_REASON, now, *stale])
        if db.conn.in_transaction and not outer_transaction:
            db.conn.commit()
    return stale


class DatabaseUnwritable(RuntimeError):
    """The database cannot take writes: read-only, locked past the busy timeout, or on a full disk."""


def check_writable(path=None) -> None:
    """Open the database (creating and migrating it) and prove it takes a write; raise :class:`DatabaseUnwritable` if not.

    Run before a crawl starts, so a read-only or locked database is a clear
    error up front instead of a crawl that fetches pages it cannot keep. The
    trial row is rolled back.
    """
    from medcoder.db import connect, resolve_db_path

    try:
        db = connect(path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnwritable(f"cannot open the database {resolve_db_path(path)} for writing: {exc}") from exc
    try:
        db.conn.execute("begin immediate")
        try:
            # BEGIN IMMEDIATE alone succeeds on a read-only file; only a real write finds out.
            db.conn.execute("insert into schema_migrations (version, name, applied_at) values (-1, 'write check', '')")
        finally:
            db.conn.execute("rollback")
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnwritable(f"cannot write to the database {resolve_db_path(path)}: {exc}") from exc
    finally:
        db.conn.close()

"""One crawl at a time per database: an advisory ``flock`` on ``<db>.lock``.

Two overlapping ``medcoder crawl`` runs on one database (a slow run still
going when cron starts the next) would interleave their runs and analysis.
The second one must say so at once and stop, not queue behind the first.

``flock`` is released by the kernel when the holding process dies, however it
dies (SIGKILL, power loss), so a stale lock file never blocks the next run:
the file stays, the lock does not. The file only tells who holds the lock
(PID, start time, command) for the error message; it is cleared on release.
Python opens files non-inheritable, so the Scrapy subprocesses of a crawl do
not hold the lock: if the parent is killed, its children may still finish
their writes while a new run starts (SQLite keeps both consistent).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from medcoder.db import resolve_db_path, utcnow


class CrawlLockError(RuntimeError):
    """The crawl lock could not be taken (the message says why)."""


class LockHeld(CrawlLockError):
    """Another crawl holds the database's lock; ``pid`` and ``since`` say which one (None when unknown)."""

    def __init__(self, db_path: Path, pid: int | None, since: str | None):
        self.db_path, self.pid, self.since = db_path, pid, since
        who = f"pid {pid} since {since}" if pid else "holder unknown"
        super().__init__(f"another crawl is running on {db_path} ({who})")


@dataclass
class Holder:
    pid: int | None
    since: str | None
    command: str | None = None


def lock_path(db_path: str | os.PathLike | None) -> Path:
    """The lock file of a database: ``<db>.lock`` beside it, from the resolved path so aliases share one lock."""
    path = resolve_db_path(db_path).resolve()
    return path.with_name(path.name + ".lock")


def read_holder(db_path: str | os.PathLike | None) -> Holder | None:
    """Who last took the lock, from the lock file (None when the file is absent or was cleared on release).

    The holder may be dead (killed without releasing): check :func:`holder_alive`.
    """
    try:
        text = lock_path(db_path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
        return Holder(int(info["pid"]), info.get("since"), info.get("command"))
    except (ValueError, KeyError, TypeError):
        return Holder(None, None)


def holder_alive(holder: Holder | None) -> bool:
    """True when the recorded holder's process still exists (for status; the lock itself is the kernel's word)."""
    if holder is None or holder.pid is None:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def crawl_lock(db_path: str | os.PathLike | None) -> Iterator[Path]:
    """Hold the database's crawl lock for the ``with`` block, or raise :class:`LockHeld` at once.

    :class:`CrawlLockError` when the lock file cannot be created (a read-only folder).

    Never waits: a second crawl on the same database is refused, naming the
    PID and start time of the one that holds it.
    """
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CrawlLockError(f"cannot open the crawl lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(db_path) or Holder(None, None)
            raise LockHeld(resolve_db_path(db_path), holder.pid, holder.since) from None
        info = {"pid": os.getpid(), "since": utcnow(), "command": " ".join(sys.argv)[:500]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        try:
            yield path
        finally:
            # Cleared before unlocking, so nobody reads our PID as a live holder afterwards.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

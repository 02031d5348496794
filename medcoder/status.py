"""``medcoder status``: each source's last run, freshness and failing checks, and a verdict for monitoring.

A source is *healthy* when its last run did not fail or degrade and its last
good run (``ok`` or ``partial``, not degraded) is younger than ``max_age``.
The verdict is the exit code: 0 when every enabled registry source is
healthy, 1 otherwise, so ``medcoder status || alert`` works from cron or a
monitoring agent. Sources in the database but not in the registry are shown
and never affect the verdict.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from medcoder.db import resolve_db_path
from medcoder.health import BASELINE_STATUSES, FAIL, effective_status
from medcoder.lock import holder_alive, read_holder

DEFAULT_MAX_AGE = "2d"


def parse_age(text: str) -> float:
    """``2d``, ``36h``, ``90m`` or ``1w`` as seconds (a bare number is days)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([wdhm]?)\s*", text.lower())
    if not m:
        raise ValueError(f"{text!r}: use a duration like 2d, 36h, 90m or 1w")
    return float(m.group(1)) * {"w": 604800, "d": 86400, "": 86400, "h": 3600, "m": 60}[m.group(2)]


def format_age(seconds: float | None) -> str:
    """A short age: ``45m``, ``5h``, ``3d 4h``; ``never`` for None."""
    if seconds is None:
        return "never"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"


def _parse_time(ts: str | None) -> datetime | None:
    if not ts:
        return None
    dt = datetime.fromisoformat(ts)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass
class SourceStatus:
    source_id: str
    in_registry: bool
    last_run: str | None = None  # started_at of the latest run
    status: str = "never"  # ok, partial, degraded, failed, gone, skipped, running, interrupted, never
    items: int | None = None  # postings kept by the latest run
    errors: int | None = None
    last_good: str | None = None  # started_at of the latest good run
    age: float | None = None  # seconds since the latest good run
    checks: list[dict] = field(default_factory=list)  # the latest run's checks that warn or fail
    problem: str | None = None  # why the source is unhealthy; None when healthy

    @property
    def healthy(self) -> bool:
        return self.problem is None


@dataclass
class Status:
    sources: list[SourceStatus]
    db_path: str
    crawl_running: dict | None = None  # pid and since of a crawl holding the lock right now

    @property
    def healthy(self) -> bool:
        """Every registry source healthy (the exit code is 0 exactly then)."""
        return all(s.healthy for s in self.sources if s.in_registry)

    def as_dict(self) -> dict:
        return {"healthy": self.healthy, "db": self.db_path, "crawl_running": self.crawl_running,
                "sources": [{**asdict(s), "healthy": s.healthy} for s in self.sources]}


def source_status(conn: sqlite3.Connection, source_id: str, *, in_registry: bool, max_age: float, now: datetime,
                  crawl_running: bool) -> SourceStatus:
    """One source's status from its crawl runs."""
    s = SourceStatus(source_id, in_registry)
    last = conn.execute("select id, started_at, status, health, items_kept, errors from crawl_runs where source_id = ? "
                        "order by id desc limit 1", [source_id]).fetchone()
    marks = ",".join("?" * len(BASELINE_STATUSES))
    good = conn.execute(f"select started_at from crawl_runs where source_id = ? and status in ({marks}) "
                        f"and coalesce(health, '') != ? order by id desc limit 1", [source_id, *BASELINE_STATUSES, FAIL]).fetchone()
    if good:
        s.last_good = good[0]
        s.age = max((now - _parse_time(good[0])).total_seconds(), 0.0)
    if last is None:
        s.problem = "never crawled"
        return s
    run_id, s.last_run, status, health, s.items, s.errors = last
    s.status = effective_status(status, health)
    if status == "running" and not crawl_running:
        s.status = "interrupted"  # the crawl died before finishing its run
    s.checks = [{"check": c, "status": st, "detail": d} for c, st, d in conn.execute(
        "select [check], status, detail from run_checks where crawl_run_id = ? and status != 'ok' "
        "order by status = 'fail' desc, id", [run_id])]
    if s.status in ("failed", "gone", "interrupted", "degraded"):
        s.problem = f"last run {s.status}"
    elif s.age is None:
        s.problem = f"no good run yet (last run {s.status})"
    elif s.age > max_age:
        s.problem = f"stale: last good run {format_age(s.age)} ago"
    return s


def collect_status(entries, db: str | os.PathLike | None = None, *, max_age: float = parse_age(DEFAULT_MAX_AGE),
                   now: datetime | None = None) -> Status:
    """The status of every enabled registry entry (and of other sources found in the database).

    Raises FileNotFoundError when there is no database.
    """
    path = resolve_db_path(db)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path} (run `medcoder crawl` first)")
    now = now or datetime.now(UTC)
    holder = read_holder(path)
    running = {"pid": holder.pid, "since": holder.since} if holder_alive(holder) else None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        has_checks = conn.execute("select 1 from sqlite_master where name = 'run_checks'").fetchone()
        if not has_checks:  # an old database not yet migrated by a crawl: nothing to judge beyond runs
            conn.close()
            from medcoder.db import connect

            connect(path).conn.close()
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        ids = [e.id for e in entries if e.enabled]
        others = [r[0] for r in conn.execute("select distinct source_id from crawl_runs order by source_id")
                  if r[0] not in ids]
        sources = [source_status(conn, i, in_registry=True, max_age=max_age, now=now, crawl_running=bool(running)) for i in ids]
        sources += [source_status(conn, i, in_registry=False, max_age=max_age, now=now, crawl_running=bool(running)) for i in others]
    finally:
        conn.close()
    return Status(sources, str(path), running)

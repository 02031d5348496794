"""One log file per ``medcoder crawl`` run, with rotation, and a summary line per source.

Layout of the log folder (default ``logs/`` beside the database)::

    crawl-20261128T031700.log      what the run did, ending with one summary line per source
    crawl-20261128T031700/         that run's Scrapy logs, one file per source
        greenhouse_lakeside.log

File names carry the UTC start time, like every timestamp in the database,
so they sort in run order. Rotation keeps the newest ``keep`` runs (file and
folder) and deletes older ones when a run starts.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from medcoder.db import resolve_db_path

DEFAULT_KEEP = 30
_RUN_NAME = re.compile(r"^crawl-(\d{8}T\d{6})(?:-(\d+))?\.log$")


def default_log_dir(db: str | os.PathLike | None) -> Path:
    """``logs/`` beside the database."""
    return resolve_db_path(db).resolve().parent / "logs"


@dataclass
class SourceReport:
    """What one source's crawl came to, for the summary line, ``medcoder status`` and notifications."""

    source_id: str
    status: str  # ok, partial, failed, gone, skipped, or degraded (finished but a health check failed)
    kept: int = 0
    filtered: int = 0
    problems: int = 0
    duration: float = 0.0  # seconds
    run_id: int | None = None
    checks: list = field(default_factory=list)  # medcoder.health.Check that warn or fail
    message: str | None = None
    log_path: Path | None = None


def summary_line(r: SourceReport) -> str:
    """``SOURCE: STATUS kept=N filtered=N problems=N duration=Ns`` and, when any, the checks that fail or warn."""
    line = f"{r.source_id}: {r.status} kept={r.kept} filtered={r.filtered} problems={r.problems} duration={r.duration:.1f}s"
    if r.checks:
        line += " checks: " + "; ".join(f"{c.check} {c.status} ({c.detail})" for c in r.checks)
    if r.message:
        line += f" ({r.message})"
    return line


def run_logs(log_dir: str | os.PathLike) -> list[Path]:
    """The run log files in ``log_dir``, oldest first."""
    found = []
    for p in Path(log_dir).glob("crawl-*.log"):
        m = _RUN_NAME.match(p.name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 0)), p))
    return [p for _, p in sorted(found)]


def rotate(log_dir: str | os.PathLike, keep: int = DEFAULT_KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` runs' logs (each run's file and Scrapy-log folder); return the files deleted."""
    logs = run_logs(log_dir)
    old = logs[: max(len(logs) - max(keep, 1), 0)]
    for path in old:
        path.unlink(missing_ok=True)
        shutil.rmtree(path.with_suffix(""), ignore_errors=True)
    return old


def _stamped(message: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "".join(f"{stamp} {line}\n" for line in message.splitlines() or [""])


def append(path: str | os.PathLike, message: str) -> None:
    """Add time-stamped lines to a finished run's log (what happened after the run: notifications)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(_stamped(message))


class RunLog:
    """The log of one run: ``with RunLog(folder) as log: log.write(...)``."""

    def __init__(self, log_dir: str | os.PathLike, *, keep: int = DEFAULT_KEEP, now: datetime | None = None):
        self.log_dir = Path(log_dir)
        self.keep = keep
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
        self.path = self.log_dir / f"crawl-{stamp}.log"
        n = 1
        while self.path.exists():  # two runs in one second (the lock allows it when the first was quick)
            n += 1
            self.path = self.log_dir / f"crawl-{stamp}-{n}.log"
        self.scrapy_dir = self.path.with_suffix("")
        self._file: TextIO | None = None

    def __enter__(self) -> RunLog:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        rotate(self.log_dir, self.keep)
        return self

    def __exit__(self, *exc) -> None:
        if exc[1] is not None and self._file:
            self.write(f"run aborted: {exc[1]!r}")
        if self._file:
            self._file.close()
            self._file = None

    def write(self, message: str) -> None:
        """One line, stamped with the UTC time; flushed so a killed run leaves what it did."""
        assert self._file is not None, "use RunLog as a context manager"
        self._file.write(_stamped(message))
        self._file.flush()

    def source(self, report: SourceReport) -> str:
        """Write a source's summary line and return it."""
        line = summary_line(report)
        self.write(line)
        return line

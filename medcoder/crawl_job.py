"""One ``medcoder crawl``, the unit of work a scheduler runs: lock, sources, analysis, health, log, notification.

In order: take the database's crawl lock (a second overlapping run stops at
once with :class:`medcoder.lock.LockHeld`), open this run's log, crawl each
source in its own Scrapy process (Spidermon checks each run as it closes),
run the analysis stage, check what only the analysis knows, write one
summary line per source, and notify when a source failed or degraded.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from medcoder.db import connect, resolve_db_path
from medcoder.health import effective_status, evaluate_after_analysis, failing_checks, record_checks
from medcoder.lock import crawl_lock
from medcoder.notify import COMMAND_ENV, Notice, SmtpSettings, notify
from medcoder.recovery import check_writable
from medcoder.runlog import DEFAULT_KEEP, RunLog, SourceReport, append, default_log_dir, summary_line


@dataclass
class CrawlJob:
    """The result of :func:`run_crawl_job`."""

    reports: list[SourceReport]
    log_path: Path
    analysed: object | None = None  # analysis.pipeline.AnalyseResult when the analysis stage ran
    notified: list[str] = field(default_factory=list)
    notify_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return [r.source_id for r in self.reports if r.status in ("failed", "gone")]

    @property
    def degraded(self) -> list[str]:
        return [r.source_id for r in self.reports if r.status == "degraded"]

    @property
    def status(self) -> str:
        """failed, degraded or ok: the worst of the sources."""
        return "failed" if self.failed else "degraded" if self.degraded else "ok"

    def summary(self) -> str:
        """The per-source summary lines and a closing line, as written to the run log."""
        lines = [summary_line(r) for r in self.reports]
        lines.append(f"run {self.status}: {len(self.reports)} sources, {len(self.failed)} failed, "
                     f"{len(self.degraded)} degraded; log {self.log_path}")
        return "\n".join(lines)


def _latest_run(db, source_id: str, after: int) -> dict | None:
    row = db.execute("select id, status, health from crawl_runs where source_id = ? and id > ? order by id desc limit 1",
                     [source_id, after]).fetchone()
    return {"id": row[0], "status": row[1], "health": row[2]} if row else None


def run_crawl_job(
    entries,
    *,
    db: str | os.PathLike | None = None,
    settings: dict[str, str] | None = None,
    log_dir: str | os.PathLike | None = None,
    keep_logs: int = DEFAULT_KEEP,
    analyse: bool = True,
    notify_command: str | None = None,
    smtp: SmtpSettings | None = None,
    on_start: Callable[[object], None] | None = None,
    on_source: Callable[[SourceReport], None] | None = None,
) -> CrawlJob:
    """Crawl ``entries`` (registry entries) into the database under its lock; see the module docstring.

    ``notify_command`` defaults to ``$MEDCODER_NOTIFY_COMMAND``; ``smtp`` is
    read from ``$MEDCODER_SMTP_*`` by the caller (:meth:`SmtpSettings.from_env`).
    Raises :class:`medcoder.lock.LockHeld` when another crawl holds the database, and
    :class:`medcoder.recovery.DatabaseUnwritable` (before anything is fetched) when it cannot take writes.
    """
    from medcoder.crawl import crawl_sources

    db_path = resolve_db_path(db)
    notify_command = notify_command if notify_command is not None else os.environ.get(COMMAND_ENV) or None
    with crawl_lock(db_path):
        # Create and migrate once, and prove the database takes writes, before any crawl process starts.
        check_writable(db_path)
        database = connect(db_path)
        try:
            with RunLog(log_dir or default_log_dir(db_path), keep=keep_logs) as log:
                log.write(f"crawl of {len(entries)} sources into {db_path.resolve()} (pid {os.getpid()})")
                before = database.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
                reports: list[SourceReport] = []
                started: dict[str, float] = {}

                def start(entry):
                    started[entry.id] = time.monotonic()
                    log.write(f"{entry.id}: crawling ({entry.spider})")
                    if on_start:
                        on_start(entry)

                def done(outcome):
                    run = _latest_run(database, outcome.entry_id, before)
                    report = SourceReport(
                        outcome.entry_id, outcome.status, outcome.kept, outcome.filtered, outcome.errors,
                        time.monotonic() - started.get(outcome.entry_id, time.monotonic()),
                        run["id"] if run else None, failing_checks(database, run["id"]) if run else [],
                        outcome.message, outcome.log_path)
                    if report.status == "running":  # the Scrapy process died before it could finish its run
                        report.status = "failed"
                        report.message = report.message or "the crawl process ended without finishing its run"
                    elif run and outcome.status == run["status"]:
                        report.status = effective_status(run["status"], run["health"])
                    reports.append(report)
                    log.write(f"{report.source_id}: {report.status}, Scrapy log {report.log_path}")
                    if on_source:
                        on_source(report)

                crawl_sources(entries, db=db_path, settings=settings, log_dir=log.scrapy_dir, on_start=start, on_done=done)
                job = CrawlJob(reports, log.path)
                if analyse and any(r.status not in ("skipped", "failed") for r in reports):
                    from analysis.pipeline import analyse_db

                    job.analysed = analyse_db(database)
                    log.write(f"analysed {job.analysed.analysed} postings ({job.analysed.skipped} unchanged)")
                    _check_after_analysis(database, reports)
                log.write("summary:\n" + job.summary())
        finally:
            database.conn.close()
    # Outside the lock: a slow mail server must not make the next scheduled crawl fail.
    if job.status != "ok" and (notify_command or smtp):
        job.notified, job.notify_errors = notify(_notice(job, db_path), command=notify_command, smtp=smtp)
        append(job.log_path, "\n".join([*(f"notified: {w}" for w in job.notified),
                                        *(f"notification failed: {e}" for e in job.notify_errors)]))
    return job


def _check_after_analysis(database, reports: list[SourceReport]) -> None:
    """Requirement share per run, now that extraction ran; a failure degrades the run after the fact."""
    for report in reports:
        if report.run_id is None or report.status not in ("ok", "partial", "degraded"):
            continue
        checks = evaluate_after_analysis(database, report.run_id)
        if not checks:
            continue
        health = record_checks(database, report.run_id, checks)
        report.checks = failing_checks(database, report.run_id)
        status = database.execute("select status from crawl_runs where id = ?", [report.run_id]).fetchone()[0]
        report.status = effective_status(status, health)


def _notice(job: CrawlJob, db_path: Path) -> Notice:
    host = socket.gethostname()
    bad = job.failed + job.degraded
    subject = f"medcoder: crawl {job.status} on {host} ({', '.join(bad[:3])}{'...' if len(bad) > 3 else ''})"
    env = {"MEDCODER_DB": str(db_path.resolve()), "MEDCODER_LOG_FILE": str(job.log_path),
           "MEDCODER_FAILED_SOURCES": " ".join(job.failed), "MEDCODER_DEGRADED_SOURCES": " ".join(job.degraded)}
    return Notice(job.status, subject, job.summary() + "\n", env)

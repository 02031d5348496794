"""Running spiders: each crawl in its own Scrapy process, judged by what it recorded.

A subprocess per crawl keeps Twisted's reactor (which cannot restart) out
of the caller, so the CLI, tests and the scheduler can run many crawls in
one Python process. ``scrapy crawl`` exits 0 even on failure, so the
result is read from the ``crawl_runs`` row the crawl wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from medcoder.db import connect, resolve_db_path, write_transaction

# Our own loopback servers (demo board, tests) need no politeness delay.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


@dataclass
class CrawlResult:
    spider: str
    returncode: int
    run: dict | None  # the crawl_runs row, None if the crawl never got as far as recording one
    log_path: Path | None

    @property
    def status(self) -> str:
        if self.run is None:
            return "failed"
        return self.run["status"]


def scrapy_env(db_path: Path) -> dict[str, str]:
    """Environment for a Scrapy subprocess: our settings module and the database, wherever it runs from."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "crawlers.settings"
    env["MEDCODER_DB"] = str(db_path.resolve())
    return env


def run_spider(
    spider: str,
    args: dict[str, str] | None = None,
    *,
    db: str | os.PathLike | None = None,
    settings: dict[str, str] | None = None,
    log_path: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
) -> CrawlResult:
    """Run ``scrapy crawl SPIDER`` into the database and return what the run recorded."""
    db_path = resolve_db_path(db)
    conn = connect(db_path)
    before = conn.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for k, v in (args or {}).items():
        cmd += ["-a", f"{k}={v}"]
    for k, v in {"MEDCODER_DB": str(db_path.resolve()), **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    log_file = Path(log_path) if log_path else None
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file or os.devnull, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=scrapy_env(db_path), stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            if progress:
                row = conn.execute(
                    "select coalesce(sum(c), 0) from (select count(*) c from postings where last_crawl_run_id > ? "
                    "union all select count(*) from filtered_postings where last_crawl_run_id > ?)", [before, before]
                ).fetchone()
                progress(row[0])
            time.sleep(0.2)
    row = conn.execute("select * from crawl_runs where id > ? and spider = ? order by id desc limit 1", [before, spider]).fetchone()
    run = None
    if row:
        cols = [d[0] for d in conn.execute("select * from crawl_runs limit 0").description]
        run = dict(zip(cols, row))
    conn.conn.close()
    return CrawlResult(spider=spider, returncode=proc.returncode, run=run, log_path=log_file)


@dataclass
class SourceOutcome:
    entry_id: str
    spider: str
    status: str  # ok, partial, failed, gone, skipped
    kept: int = 0
    filtered: int = 0
    errors: int = 0
    message: str | None = None
    log_path: Path | None = None


def record_skipped(db, entry, message: str) -> None:
    """A crawl_runs row for a source that could not start (no API key): visible in Datasette and `medcoder sources`."""
    from medcoder.db import utcnow

    now = utcnow()
    with write_transaction(db):
        db["sources"].upsert({"id": entry.id, "name": entry.label, "spider": entry.spider, "country": entry.country}, pk="id")
        db["crawl_runs"].insert({"source_id": entry.id, "spider": entry.spider, "started_at": now, "finished_at": now,
                                 "status": "skipped", "finish_reason": message, "items_scraped": 0, "items_kept": 0,
                                 "items_filtered": 0, "errors": 0, "args_json": json.dumps(entry.args, sort_keys=True)})


def crawl_sources(
    entries,
    *,
    db: str | os.PathLike | None = None,
    settings: dict[str, str] | None = None,
    log_dir: str | os.PathLike | None = None,
    on_start: Callable[[object], None] | None = None,
    on_done: Callable[[SourceOutcome], None] | None = None,
) -> list[SourceOutcome]:
    """Crawl each registry entry in its own process; one failing source never stops the others."""
    from medcoder.registry import spider_class

    db_path = resolve_db_path(db)
    outcomes = []
    for entry in entries:
        if on_start:
            on_start(entry)
        try:
            missing = spider_class(entry.spider).missing_env()
        except Exception as exc:  # an unloadable spider is that source's failure, not the run's
            missing, outcome = [], SourceOutcome(entry.id, entry.spider, "failed", message=f"cannot load spider: {exc}")
        else:
            outcome = None
        if missing:
            message = f"missing environment variable(s) {', '.join(missing)}"
            record_skipped(connect(db_path), entry, message)
            outcome = SourceOutcome(entry.id, entry.spider, "skipped", message=message)
        elif outcome is None:
            log_path = Path(log_dir) / f"{entry.id.replace(':', '_')}.log" if log_dir else None
            try:
                result = run_spider(entry.spider, {**entry.args, "source": entry.id}, db=db_path, settings=settings, log_path=log_path)
                run = result.run or {}
                outcome = SourceOutcome(entry.id, entry.spider, result.status, run.get("items_kept") or 0,
                                        run.get("items_filtered") or 0, run.get("errors") or 0,
                                        None if result.run else f"the crawl process exited {result.returncode} before recording a run",
                                        log_path)
            except Exception as exc:
                outcome = SourceOutcome(entry.id, entry.spider, "failed", message=str(exc)[:500])
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes

"""Record every crawl in ``crawl_runs``: start, end, status, counts, problems and the full stats.

``scrapy crawl`` exits 0 even when a site was unreachable, so a run is
judged here from its stats: the row says ``ok``, ``partial`` (items stored
but problems met) or ``failed``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3

from scrapy import signals
from scrapy.exceptions import CloseSpider

from crawlers.redact import redact
from crawlers.spiders.base import BOARD_GONE_STAT, INCOMPLETE_STAT, MISSING_CREDENTIALS_REASON, PROBLEMS_ATTR
from medcoder.db import connect, utcnow, write_transaction
from medcoder.lifecycle import CLOSING_STATUSES, close_missing
from medcoder.recovery import mark_interrupted_runs

ERROR_STATS = ("medcoder/problems", "log_count/ERROR", "spider_exceptions/count")


def run_status(finish_reason: str, items: int, errors: int, *, board_gone: bool = False) -> str:
    """ok, partial, failed, gone (the board no longer exists) or skipped (no API key), from how the run ended."""
    if finish_reason == MISSING_CREDENTIALS_REASON:
        return "skipped"
    if board_gone:
        return "gone"
    if finish_reason != "finished":
        return "failed"
    if errors and not items:
        return "failed"
    return "partial" if errors else "ok"


def run_verdict(crawler, reason: str) -> tuple[str, int, int]:
    """(status, items scraped, errors) of a finished run, from its stats: one verdict for every recorder."""
    stats = crawler.stats.get_stats()
    items = stats.get("item_scraped_count", 0)
    errors = sum(int(stats.get(k, 0)) for k in ERROR_STATS)
    return run_status(reason, items, errors, board_gone=bool(stats.get(BOARD_GONE_STAT))), items, errors


def stats_json(stats: dict) -> str:
    return redact(json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}, sort_keys=True, default=str))


class CrawlRunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        try:
            self._record_start(spider)
        except sqlite3.DatabaseError as exc:
            # A database that cannot take the run's row (read-only, locked, full) cannot take postings either.
            spider.logger.error("cannot record the crawl in the database (%s: %s); not crawling",
                                getattr(exc, "sqlite_errorname", type(exc).__name__), exc)
            self.crawler.stats.set_value("medcoder/database_error", str(exc))
            raise CloseSpider("database_error") from exc

    def _record_start(self, spider):
        self.db = connect(self.crawler.settings.get("MEDCODER_DB"))
        mark_interrupted_runs(self.db)  # rows left 'running' by killed crawls become 'failed' (interrupted)
        source = spider.source_record() if hasattr(spider, "source_record") else {"id": spider.name, "name": spider.name, "spider": spider.name}
        with write_transaction(self.db):
            self.db["sources"].upsert({k: v for k, v in source.items() if v is not None}, pk="id")
            run = self.db["crawl_runs"].insert({
                "source_id": source["id"],
                "spider": spider.name,
                "started_at": utcnow(),
                "status": "running",
                # Who runs it, so a later crawl can tell a killed run from a live one (medcoder/recovery.py).
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "args_json": json.dumps(public_args(spider), sort_keys=True),
            })
        self.crawler.medcoder_run_id = run.last_pk
        spider.logger.info("crawl run %s recorded in %s", run.last_pk, self.db.conn.execute("pragma database_list").fetchone()[2])

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        problems = getattr(self.crawler, PROBLEMS_ATTR, [])
        status, items, errors = run_verdict(self.crawler, reason)
        run_id = getattr(self.crawler, "medcoder_run_id", None)
        if run_id is None:  # the run could not even be recorded (see spider_opened)
            if self.db is not None:
                self.db.conn.close()
            return
        now = utcnow()
        closed = 0
        # Only a complete, healthy crawl may close postings: a partial one may simply have missed them.
        if status in CLOSING_STATUSES and not stats.get(INCOMPLETE_STAT):
            closed = close_missing(self.db, spider.source_id if hasattr(spider, "source_id") else spider.name, run_id, now)
        self.crawler.stats.set_value("medcoder/closed", closed)
        stats = self.crawler.stats.get_stats()
        with write_transaction(self.db):
            self.db["crawl_errors"].insert_all(({"crawl_run_id": run_id, "at": now, **p} for p in problems))
            self.db["crawl_runs"].update(run_id, {
                "finished_at": now,
                "status": status,
                "finish_reason": reason,
                "items_scraped": items,
                "items_kept": stats.get("medcoder/stored/kept", 0),
                "items_filtered": stats.get("medcoder/stored/filtered", 0),
                "errors": errors,
                "stats_json": stats_json(stats),
            })
        self.db.conn.close()


SECRET_HINTS = ("key", "token", "secret", "password", "email")


def public_args(spider) -> dict:
    """Spider arguments worth recording; anything that looks like a credential is left out."""
    args = {}
    for k, v in vars(spider).items():
        if k.startswith("_") or k in ("crawler", "settings", "start_urls") or not isinstance(v, (str, int, float, bool)):
            continue
        if any(h in k.lower() for h in SECRET_HINTS):
            continue
        args[k] = v
    return args

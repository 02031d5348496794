"""Running a spider in a test: a real Scrapy process against a local fixture server, into a temporary database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from medcoder.crawl import LOCAL_SETTINGS, CrawlResult, run_spider

# Loopback fixtures need no politeness delay; keep retries and backoff short so tests stay fast.
TEST_SETTINGS = {**LOCAL_SETTINGS, "RETRY_TIMES": "2", "RETRY_BACKOFF_BASE": "0.01", "RETRY_BACKOFF_MAX": "0.05",
                 "DOWNLOAD_TIMEOUT": "10"}


def crawl(spider: str, db_path: Path, settings: dict | None = None, **args: str) -> CrawlResult:
    """Run ``spider`` with ``args`` into ``db_path``; the crawl log lands beside the database."""
    return run_spider(spider, args, db=db_path, settings={**TEST_SETTINGS, **(settings or {})},
                      log_path=db_path.with_suffix(f".{spider}.log"))


def rows(db_path: Path, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def run_stats(result: CrawlResult) -> dict:
    return json.loads(result.run["stats_json"]) if result.run and result.run.get("stats_json") else {}

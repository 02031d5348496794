"""Store: write each posting to SQLite through :func:`medcoder.postings.upsert_posting`.

When the database itself refuses a write (disk full, read-only file, a
lock never released) every later posting would fail the same way, so the
crawl stops at once with ``database_error`` and says why; the posting's
own transaction has rolled back, so no partial row is left.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from medcoder.db import connect, resolve_db_path
from medcoder.postings import upsert_posting

DATABASE_ERROR_REASON = "database_error"
DATABASE_ERROR_STAT = "medcoder/database_error"

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.db = connect(self.crawler.settings.get("MEDCODER_DB"))
        max_pages = self.crawler.settings.getint("MEDCODER_MAX_PAGE_COUNT")
        if max_pages:
            # Fault-injection hook: a database that may not grow past this many pages fails as a full disk does.
            self.db.execute(f"pragma max_page_count = {max_pages}")

    def close_spider(self, spider=None):
        if self.db is not None:
            self.db.conn.close()

    def process_item(self, item):
        try:
            table = upsert_posting(self.db, item, run_id=getattr(self.crawler, "medcoder_run_id", None))
        except sqlite3.IntegrityError:
            raise  # this posting's problem, not the database's
        except sqlite3.DatabaseError as exc:
            self.stop(exc)
            raise DropItem(f"not stored: {exc}") from exc
        self.crawler.stats.inc_value("medcoder/stored/" + ("kept" if table == "postings" else "filtered"))
        return item

    def stop(self, exc: sqlite3.DatabaseError) -> None:
        """Stop the crawl once, saying which database refused the write and why."""
        if self.failed:
            return
        self.failed = True
        message = f"{getattr(exc, 'sqlite_errorname', type(exc).__name__)}: {exc}"
        logger.error("cannot write to the database %s (%s); stopping the crawl",
                     resolve_db_path(self.crawler.settings.get("MEDCODER_DB")), message)
        self.crawler.stats.set_value(DATABASE_ERROR_STAT, message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=DATABASE_ERROR_REASON))

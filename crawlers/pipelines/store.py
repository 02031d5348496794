"""Store: write each posting to SQLite through :func:`medcoder.postings.upsert_posting`."""

from __future__ import annotations

from medcoder.db import connect
from medcoder.postings import upsert_posting


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.db = connect(self.crawler.settings.get("MEDCODER_DB"))

    def close_spider(self, spider=None):
        if self.db is not None:
            self.db.conn.close()

    def process_item(self, item):
        table = upsert_posting(self.db, item, run_id=getattr(self.crawler, "medcoder_run_id", None))
        self.crawler.stats.inc_value("medcoder/stored/" + ("kept" if table == "postings" else "filtered"))
        return item

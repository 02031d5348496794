"""Posting lifecycle: closing postings a complete crawl no longer finds.

A posting missing from a complete, healthy crawl of its source is closed
(``closed_at``). A failed, partial or truncated crawl closes nothing, so a
source that starts returning garbage never wipes its postings. A closed
posting seen again is reopened by :func:`medcoder.postings.upsert_posting`.
"""

from __future__ import annotations

from datetime import date

import sqlite_utils

from medcoder.db import write_transaction

CLOSING_STATUSES = ("ok",)


def close_missing(db: sqlite_utils.Database, source_id: str, run_id: int, now: str) -> int:
    """Close the open postings of ``source_id`` that run ``run_id`` did not see; return how many."""
    with write_transaction(db):
        cursor = db.execute(
            "update postings set closed_at = ? where source_id = ? and closed_at is null "
            "and (last_crawl_run_id is null or last_crawl_run_id != ?)",
            [now, source_id, run_id],
        )
    return cursor.rowcount


def open_as_of(day: str) -> str:
    """SQL condition for postings open on ``day`` (ISO date): seen by then and not closed before it."""
    day = date.fromisoformat(day).isoformat()  # a real date, never text spliced into SQL
    return f"(substr(first_seen, 1, 10) <= '{day}' and (closed_at is null or substr(closed_at, 1, 10) > '{day}'))"

"""Writing postings: stable ids, and the idempotent upsert every importer uses.

A posting's id is derived from its source and the source's own job id (or
its canonical URL), so re-crawling updates the same row: ``last_seen``
moves, ``first_seen`` stays. In-scope postings go to ``postings``,
out-of-scope ones to ``filtered_postings`` with their reason; a posting is
never in both, so a reclassification moves it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from crawlers.items import PostingItem
from medcoder.db import utcnow, write_transaction


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters or a trailing slash, host lower-cased."""
    parts = urlsplit(url.strip())
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.lower().startswith(("utm_", "gh_src", "source=", "ref="))
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", query, ""))


def posting_id(source: str, source_job_id: str | None, url: str) -> str:
    """Stable posting id: 16 hex digits of SHA-1 over the source and its job id (else canonical URL)."""
    key = f"{source}\x1f{source_job_id.strip() if source_job_id else canonical_url(url)}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def content_hash(item: PostingItem) -> str:
    """Hash of what the analysis reads, so unchanged postings are not re-analysed."""
    text = "\x1f".join([item.title or "", item.description or ""])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _jsonable(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return str(value)


def posting_row(item: PostingItem) -> dict:
    """The ``postings`` columns an item provides (timestamps and run id are added by the upsert)."""
    relevance = item.extras.get("relevance", {})
    salary = item.extras.get("salary")
    extras = {k: v for k, v in item.extras.items() if k not in ("relevance", "salary")}
    return {
        "id": posting_id(item.source, item.source_job_id, item.url),
        "source_id": item.source,
        "source_job_id": item.source_job_id,
        "url": item.url,
        "title": item.title,
        "employer": item.employer,
        "location_text": item.location_text,
        "city": item.city,
        "region": item.region,
        "country": item.country,
        "remote": item.remote,
        "employment_type": item.employment_type,
        "salary_min": getattr(salary, "min", None),
        "salary_max": getattr(salary, "max", None),
        "salary_currency": getattr(salary, "currency", None),
        "salary_period": getattr(salary, "period", None),
        "salary_annual_min": getattr(salary, "annual_min", None),
        "salary_annual_max": getattr(salary, "annual_max", None),
        "salary_text": getattr(salary, "text", None) or item.salary_text,
        "posted_at": item.posted_at,
        "valid_through": item.valid_through,
        "description": item.description,
        "attribution": item.attribution,
        "salary_predicted": 1 if getattr(salary, "predicted", False) or item.salary_predicted else 0,
        "scope": relevance.get("scope"),
        "relevance_score": relevance.get("score"),
        "relevance_reason": relevance.get("reason"),
        "content_hash": content_hash(item),
        "extras": json.dumps(extras, default=_jsonable, ensure_ascii=False, sort_keys=True) if extras else None,
    }


def upsert_posting(db: sqlite_utils.Database, item: PostingItem, *, run_id: int | None = None, now: str | None = None) -> str:
    """Insert or update one posting in one transaction; return the table it now lives in."""
    now = now or utcnow()
    row = posting_row(item)
    pid = row["id"]
    out_of_scope = row["scope"] == "out"
    table, other = ("filtered_postings", "postings") if out_of_scope else ("postings", "filtered_postings")
    with write_transaction(db):
        previous = _first_seen(db, pid)
        if not out_of_scope:
            _keep_history_and_reopen(db, pid, row, now)
        if out_of_scope:
            record = {
                "id": pid, "source_id": row["source_id"], "url": row["url"], "title": row["title"],
                "employer": row["employer"], "country": row["country"], "relevance_score": row["relevance_score"],
                "reason": row["relevance_reason"],
                "item_json": json.dumps(dataclasses.asdict(item), default=_jsonable, ensure_ascii=False),
            }
        else:
            record = row
        record.update({"first_seen": previous or now, "last_seen": now, "last_crawl_run_id": run_id})
        db.execute("insert or ignore into sources (id, name) values (?, ?)", [item.source, item.source])
        if other == "postings":
            db.execute("delete from posting_requirements where posting_id = ?", [pid])
        db.execute(f"delete from [{other}] where id = ?", [pid])
        db[table].upsert(record, pk="id", alter=False)
        if not out_of_scope:
            # A new posting is its own cluster until de-duplication says otherwise.
            db.execute("update postings set cluster_id = id, is_representative = 1, times_reopened = coalesce(times_reopened, 0) "
                       "where id = ? and cluster_id is null", [pid])
    return table


def _keep_history_and_reopen(db: sqlite_utils.Database, pid: str, row: dict, now: str) -> None:
    """Before an update: keep the previous text if it changed; reopen a closed posting seen again."""
    old = db.execute("select title, description, content_hash, first_seen, last_seen, closed_at from postings where id = ?", [pid]).fetchone()
    if old is None:
        return
    title, description, old_hash, first_seen, last_seen, closed_at = old
    if old_hash and old_hash != row["content_hash"]:
        db["posting_history"].insert({"posting_id": pid, "replaced_at": now, "title": title, "description": description,
                                      "content_hash": old_hash, "first_seen": first_seen, "last_seen": last_seen})
    if closed_at:
        db.execute("update postings set closed_at = null, reopened_at = ?, times_reopened = coalesce(times_reopened, 0) + 1 "
                   "where id = ?", [now, pid])


def _first_seen(db: sqlite_utils.Database, pid: str) -> str | None:
    for table in ("postings", "filtered_postings"):
        row = db.execute(f"select first_seen from [{table}] where id = ?", [pid]).fetchone()
        if row:
            return row[0]
    return None

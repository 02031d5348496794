"""The analysis stage: extract requirements for every stored posting that needs it.

Runs after each crawl and by ``medcoder analyse``. A posting is analysed
again only when its text or the extractor changed (``analysed_hash``), so
the stage is idempotent and cheap to repeat; ``force=True`` redoes all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from medcoder.db import write_transaction

from analysis.analytics import refresh_analytics
from analysis.dedup import deduplicate_db
from analysis.extract import EXTRACTOR_VERSION, extract
from analysis.roles import role_family, role_level
from analysis.taxonomy import load_taxonomy


@dataclass
class AnalyseResult:
    analysed: int
    skipped: int
    requirements: int
    clusters: int = 0
    duplicates: int = 0


def sync_skills(db: sqlite_utils.Database) -> int:
    """Write the taxonomy into the ``skills`` table (names for Datasette's label columns)."""
    tax = load_taxonomy()
    rows = [{"id": s.id, "name": s.name, "category": s.category, "issuer": s.issuer} for s in tax.skills.values()]
    with write_transaction(db):
        db["skills"].upsert_all(rows, pk="id")
    return len(rows)


def analysis_key(content_hash: str | None) -> str:
    return f"{content_hash}:{EXTRACTOR_VERSION}:{load_taxonomy().version}"


# Postings analysed, and their requirements written, per transaction: few enough that only a
# batch's texts are in memory at once, enough that commits (one fsync each) cost little.
BATCH = 200


def analyse_db(db: sqlite_utils.Database, *, force: bool = False, progress: Callable[[int, int], None] | None = None) -> AnalyseResult:
    """Extract requirements for postings whose text or extractor changed; return the counts.

    What needs analysing is decided from ids and hashes alone; texts are read
    and analysed BATCH at a time, each batch written in one transaction (a
    killed run loses at most its current batch, which the next run redoes:
    ``analysed_hash`` is set in the same transaction as the requirements).
    No text is held during the whole-market passes that follow.
    """
    sync_skills(db)
    # rowid order: postings are analysed in the order they were stored, as before batching.
    rows = db.execute("select id, content_hash, analysed_hash from postings order by rowid").fetchall()
    todo = [pid for pid, chash, done in rows if force or done != analysis_key(chash)]
    skipped = len(rows) - len(todo)
    del rows
    analysed = total_reqs = 0
    for start in range(0, len(todo), BATCH):
        done, reqs = _analyse_batch(db, todo[start:start + BATCH])
        analysed += done
        total_reqs += reqs
        if progress:
            progress(analysed, len(todo))
    dedup = deduplicate_db(db)
    refresh_analytics(db)  # Datasette's market tables, once de-duplication has chosen representatives
    return AnalyseResult(analysed=analysed, skipped=skipped, requirements=total_reqs,
                         clusters=dedup["clusters"], duplicates=dedup["duplicates"])


def _analyse_batch(db: sqlite_utils.Database, ids: list[str]) -> tuple[int, int]:
    """Read, analyse and write back the postings ``ids`` (one transaction); return (postings, requirements)."""
    marks = ", ".join("?" * len(ids))
    found = {r[0]: r for r in db.execute(
        f"select id, title, description, content_hash, remote from postings where id in ({marks})", ids)}
    reqs: list[dict] = []
    updates: list[tuple] = []
    for pid in ids:
        if pid not in found:  # deleted since the ids were read: nothing left to analyse
            continue
        _, title, description, chash, remote = found[pid]
        result = extract(description or "")
        reqs += [
            {
                "posting_id": pid, "skill_id": r.id, "category": r.category, "level": r.level,
                "alt_group": r.group, "within_months": r.within_months, "detail": r.detail, "evidence": r.evidence,
            }
            for r in result.requirements()
        ]
        updates.append((result.experience_years_min, result.experience_setting, result.education_min,
                        role_family(title, description), role_level(title), remote or result.remote, analysis_key(chash), pid))
    with write_transaction(db):
        db.conn.executemany("delete from posting_requirements where posting_id = ?", [(u[-1],) for u in updates])
        if reqs:
            db["posting_requirements"].insert_all(reqs)
        db.conn.executemany(
            "update postings set experience_years_min = ?, experience_setting = ?, education_min = ?, role_family = ?, "
            "role_level = ?, remote = ?, analysed_hash = ? where id = ?", updates)
    return len(updates), len(reqs)

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


def analyse_db(db: sqlite_utils.Database, *, force: bool = False, progress: Callable[[int, int], None] | None = None) -> AnalyseResult:
    """Extract requirements for postings whose text or extractor changed; return the counts."""
    sync_skills(db)
    rows = list(db.execute("select id, title, description, content_hash, analysed_hash, remote from postings").fetchall())
    todo = [r for r in rows if force or r[4] != analysis_key(r[3])]
    total_reqs = 0
    for n, (pid, title, description, chash, _, remote) in enumerate(todo, start=1):
        result = extract(description or "")
        reqs = [
            {
                "posting_id": pid, "skill_id": r.id, "category": r.category, "level": r.level,
                "alt_group": r.group, "within_months": r.within_months, "detail": r.detail, "evidence": r.evidence,
            }
            for r in result.requirements()
        ]
        with write_transaction(db):
            db.execute("delete from posting_requirements where posting_id = ?", [pid])
            if reqs:
                db["posting_requirements"].insert_all(reqs)
            db["postings"].update(pid, {
                "experience_years_min": result.experience_years_min,
                "experience_setting": result.experience_setting,
                "education_min": result.education_min,
                "role_family": role_family(title, description),
                "role_level": role_level(title),
                "remote": remote or result.remote,
                "analysed_hash": analysis_key(chash),
            })
        total_reqs += len(reqs)
        if progress:
            progress(n, len(todo))
    dedup = deduplicate_db(db)
    refresh_analytics(db)  # Datasette's market tables, once de-duplication has chosen representatives
    return AnalyseResult(analysed=len(todo), skipped=len(rows) - len(todo), requirements=total_reqs,
                         clusters=dedup["clusters"], duplicates=dedup["duplicates"])

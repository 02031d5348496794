"""The postings database: where it lives, its schema and its migrations.

One SQLite file holds everything Datasette serves. The schema is created and
migrated by code: each migration is a function applied once, in order, and
recorded in ``schema_migrations`` so later releases can add tables and columns
without losing data. Candidate profiles never enter this database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

DEFAULT_DB = Path("data") / "medcoder.db"
ENV_VAR = "MEDCODER_DB"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database to use: ``explicit`` (``--db``), else ``$MEDCODER_DB``, else ``data/medcoder.db``."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return DEFAULT_DB


def utcnow() -> str:
    """Current UTC time as an ISO-8601 string with seconds, the format every timestamp column uses."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _m001_initial(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "id": str,  # the spider name, or spider:argument for multi-board spiders
            "name": str,
            "spider": str,
            "url": str,
            "country": str,
            "attribution": str,
        },
        pk="id",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "source_id": str,
            "spider": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running, ok, partial, failed
            "finish_reason": str,
            "items_scraped": int,
            "items_kept": int,
            "items_filtered": int,
            "errors": int,
            "args_json": str,
            "stats_json": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["crawl_errors"].create(
        {
            "id": int,
            "crawl_run_id": int,
            "url": str,
            "kind": str,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
    )
    db["postings"].create(
        {
            "id": str,  # stable: hash of source + the source's job id or canonical URL
            "source_id": str,
            "source_job_id": str,
            "url": str,
            "title": str,
            "employer": str,
            "location_text": str,
            "city": str,
            "region": str,
            "country": str,
            "remote": str,  # remote, hybrid, onsite or null
            "employment_type": str,
            "salary_min": float,
            "salary_max": float,
            "salary_currency": str,
            "salary_period": str,  # hour, day, week, month, year
            "salary_annual_min": float,
            "salary_annual_max": float,
            "salary_text": str,
            "posted_at": str,
            "valid_through": str,
            "first_seen": str,
            "last_seen": str,
            "description": str,  # plain text keeping headings and bullets
            "attribution": str,
            "scope": str,  # in or review (out-of-scope postings live in filtered_postings)
            "relevance_score": float,
            "relevance_reason": str,
            "role_family": str,
            "experience_years_min": float,
            "experience_setting": str,
            "education_min": str,
            "content_hash": str,
            "analysed_hash": str,  # content_hash + extractor version last analysed
            "last_crawl_run_id": int,
            "extras": str,  # JSON: source-specific fields that do not earn a column
        },
        pk="id",
        foreign_keys=[
            ("source_id", "sources", "id"),
            ("last_crawl_run_id", "crawl_runs", "id"),
        ],
    )
    # Out-of-scope postings are kept, with the reason, so a wrong call can be reversed.
    db["filtered_postings"].create(
        {
            "id": str,
            "source_id": str,
            "url": str,
            "title": str,
            "employer": str,
            "country": str,
            "relevance_score": float,
            "reason": str,
            "first_seen": str,
            "last_seen": str,
            "last_crawl_run_id": int,
            "item_json": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id"), ("last_crawl_run_id", "crawl_runs", "id")],
    )
    db["skills"].create(
        {"id": str, "name": str, "category": str, "issuer": str}, pk="id"
    )
    db["posting_requirements"].create(
        {
            "id": int,
            "posting_id": str,
            "skill_id": str,
            "category": str,
            "level": str,  # required, preferred
            "alt_group": int,  # alternatives share a number within a posting; null when alone
            "within_months": int,  # grace period: "must obtain within N months of hire"
            "detail": str,
            "evidence": str,
        },
        pk="id",
        foreign_keys=[("posting_id", "postings", "id"), ("skill_id", "skills", "id")],
    )
    for table, cols in {
        "postings": [["source_id"], ["country"], ["remote"], ["role_family"], ["posted_at"], ["last_seen"], ["employer"]],
        "posting_requirements": [["posting_id"], ["skill_id", "level"], ["level"], ["category"]],
        "crawl_runs": [["source_id", "started_at"]],
        "filtered_postings": [["source_id"]],
    }.items():
        for columns in cols:
            db[table].create_index(columns, if_not_exists=True)
    db["postings"].enable_fts(["title", "description"], create_triggers=True, tokenize="porter")


def _m002_quality_and_lifecycle(db: sqlite_utils.Database) -> None:
    postings = db["postings"]
    for column, kind in (("role_level", str), ("salary_predicted", int), ("cluster_id", str), ("is_representative", int),
                         ("closed_at", str), ("reopened_at", str), ("times_reopened", int)):
        postings.add_column(column, kind)
    # Existing rows: each posting is its own cluster until de-duplication runs.
    db.execute("update postings set cluster_id = id, is_representative = 1, times_reopened = 0")
    # Earlier versions of a posting whose text changed, to study how requirements move.
    db["posting_history"].create(
        {"id": int, "posting_id": str, "replaced_at": str, "title": str, "description": str, "content_hash": str,
         "first_seen": str, "last_seen": str},
        pk="id",
        foreign_keys=[("posting_id", "postings", "id")],
    )
    for columns in (["cluster_id"], ["closed_at"], ["is_representative"], ["salary_currency", "salary_period"], ["region"]):
        postings.create_index(columns, if_not_exists=True)
    db["posting_history"].create_index(["posting_id"], if_not_exists=True)


def _m003_run_checks(db: sqlite_utils.Database) -> None:
    # One row per health check of a crawl run (medcoder/health.py); a run with a failing check is "degraded".
    db["run_checks"].create(
        {
            "id": int,
            "crawl_run_id": int,
            "check": str,  # items, description_share, requirement_share, error_rate, retries, board_gone
            "status": str,  # ok, warn, fail
            "detail": str,
            "value": float,  # the measured figure (a share, a rate, a count), the baseline for later runs
            "at": str,
        },
        pk="id",
        foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
    )
    # Datasette facets on check, status and health: each needs an index that starts with it.
    for columns in (["crawl_run_id"], ["check", "status"], ["status"]):
        db["run_checks"].create_index(columns, if_not_exists=True)
    # The worst check of the run, so Datasette and `medcoder status` see degraded runs without a join.
    db["crawl_runs"].add_column("health", str)
    db["crawl_runs"].create_index(["health"], if_not_exists=True)


def _m004_run_process(db: sqlite_utils.Database) -> None:
    # The process that runs a crawl, so the next one can tell a killed run from a live one (medcoder/recovery.py).
    db["crawl_runs"].add_column("pid", int)
    db["crawl_runs"].add_column("host", str)


# Append new migrations here; never edit one that has shipped.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _m001_initial),
    (2, "de-duplication clusters, lifecycle and posting history", _m002_quality_and_lifecycle),
    (3, "run health checks", _m003_run_checks),
    (4, "the process and host of each crawl run", _m004_run_process),
]


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest migration applied to ``db`` (0 for an empty database)."""
    if not db["schema_migrations"].exists():
        return 0
    row = db.execute("select max(version) from schema_migrations").fetchone()
    return row[0] or 0


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One transaction: every write inside commits together or not at all.

    ``with db.conn:`` is not one: sqlite-utils commits each write statement
    run outside an open transaction. BEGIN IMMEDIATE takes the write lock
    first (waiting up to the busy timeout), so what is read inside is current
    and the commit never fails because another process wrote meanwhile.
    Nested, it is a savepoint.
    """
    if db.conn.in_transaction:
        db.conn.execute("SAVEPOINT write_transaction")
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK TO write_transaction")
            raise
        finally:
            db.conn.execute("RELEASE write_transaction")
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply every pending migration, each in its own transaction; return the versions applied.

    The version is read again under the write lock, so processes opening a
    new database at once (two crawls, the workers of a distributed crawl)
    apply each migration exactly once.
    """
    applied = []
    for version, name, fn in MIGRATIONS:
        if version <= schema_version(db):
            continue
        with write_transaction(db):
            if not db["schema_migrations"].exists():
                db["schema_migrations"].create({"version": int, "name": str, "applied_at": str}, pk="version")
            if version <= schema_version(db):
                continue
            fn(db)
            db["schema_migrations"].insert({"version": version, "name": name, "applied_at": utcnow()})
        applied.append(version)
    return applied


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite_utils.Database:
    """Open the postings database (see :func:`resolve_db_path`), in WAL mode and migrated.

    WAL lets Datasette read while a crawl writes. ``create=False`` refuses to
    make a new file, for read-only commands pointed at a wrong path.
    """
    db_path = resolve_db_path(path)
    if not create and not db_path.exists():
        raise FileNotFoundError(f"no database at {db_path} (run `medcoder demo` or `medcoder crawl` first)")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=30)
    conn.execute("pragma foreign_keys = on")
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    migrate(db)
    return db

"""Schema, migrations, database location and the idempotent posting upsert."""

import sqlite3

import sqlite_utils

from crawlers.items import PostingItem
from medcoder import db as dbmod
from medcoder.postings import canonical_url, posting_id, upsert_posting


def test_migrations_are_recorded_and_not_reapplied(fresh_db):
    assert dbmod.schema_version(fresh_db) == len(dbmod.MIGRATIONS)
    assert dbmod.migrate(fresh_db) == []
    tables = set(fresh_db.table_names())
    assert {"sources", "crawl_runs", "crawl_errors", "postings", "filtered_postings", "skills", "posting_requirements",
            "schema_migrations", "postings_fts"} <= tables


def test_a_new_migration_keeps_existing_data(fresh_db, monkeypatch):
    fresh_db["sources"].insert({"id": "s", "name": "S"})
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, (99, "add a column", lambda d: d["sources"].add_column("note", str))])
    assert dbmod.migrate(fresh_db) == [99]
    assert list(fresh_db["sources"].rows) == [{"id": "s", "name": "S", "spider": None, "url": None, "country": None,
                                               "attribution": None, "note": None}]


def test_db_path_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDCODER_DB", raising=False)
    assert str(dbmod.resolve_db_path()) == "data/medcoder.db"
    monkeypatch.setenv("MEDCODER_DB", str(tmp_path / "env.db"))
    assert dbmod.resolve_db_path() == tmp_path / "env.db"
    assert dbmod.resolve_db_path(tmp_path / "flag.db") == tmp_path / "flag.db"


def test_connect_uses_wal_and_refuses_to_create_when_asked(tmp_path):
    db = dbmod.connect(tmp_path / "x.db")
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    try:
        dbmod.connect(tmp_path / "missing.db", create=False)
    except FileNotFoundError as exc:
        assert "missing.db" in str(exc)
    else:
        raise AssertionError("expected FileNotFoundError")


def test_stable_ids():
    assert canonical_url("HTTPS://Jobs.Example/a/?utm_source=x&id=3#top") == "https://jobs.example/a?id=3"
    assert posting_id("s", None, "https://jobs.example/a/?utm_source=x") == posting_id("s", None, "https://jobs.example/a")
    assert posting_id("s", "REQ-1", "https://a") == posting_id("s", "REQ-1", "https://b")
    assert posting_id("s", "REQ-1", "https://a") != posting_id("t", "REQ-1", "https://a")


def _item(**kw):
    item = PostingItem(source="s", url="https://jobs.example/1", title="Coder", description="CPC required", source_job_id="1")
    item.extras["relevance"] = {"scope": "in", "score": 0.9, "reason": "title"}
    for k, v in kw.items():
        setattr(item, k, v)
    return item


def test_upsert_is_idempotent_and_keeps_first_seen(fresh_db):
    upsert_posting(fresh_db, _item(), now="2026-01-01T00:00:00+00:00")
    upsert_posting(fresh_db, _item(title="Coder II"), now="2026-02-01T00:00:00+00:00")
    rows = list(fresh_db["postings"].rows)
    assert len(rows) == 1
    assert (rows[0]["title"], rows[0]["first_seen"], rows[0]["last_seen"]) == ("Coder II", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")


def test_reclassified_posting_moves_between_tables(fresh_db):
    upsert_posting(fresh_db, _item(), now="2026-01-01T00:00:00+00:00")
    fresh_db["posting_requirements"].insert({"posting_id": posting_id("s", "1", ""), "skill_id": None, "level": "required"})
    out = _item()
    out.extras["relevance"] = {"scope": "out", "score": 0.1, "reason": "AR caller"}
    assert upsert_posting(fresh_db, out, now="2026-01-02T00:00:00+00:00") == "filtered_postings"
    assert fresh_db["postings"].count == 0 and fresh_db["posting_requirements"].count == 0
    row = next(fresh_db["filtered_postings"].rows)
    assert (row["reason"], row["first_seen"]) == ("AR caller", "2026-01-01T00:00:00+00:00")


def test_fts_finds_postings(fresh_db):
    upsert_posting(fresh_db, _item(description="Risk adjustment HCC coding"))
    assert [r["title"] for r in fresh_db["postings"].search("adjustment")] == ["Coder"]

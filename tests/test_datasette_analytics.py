"""The analytics tables Datasette reads: what they count, idempotent and atomic rebuilds, indexed facets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from analysis import analytics
from analysis.analytics import ANALYTICS_TABLES, refresh_analytics, salary_band
from medcoder.serve import metadata_for
from tests.test_datasette_market import build_market_db


@pytest.mark.parametrize("currency, annual, band", [
    ("USD", 39_999, "USD under 40k"), ("USD", 40_000, "USD 40-50k"), ("USD", 57_200, "USD 50-60k"),
    ("USD", 99_999.5, "USD 75-100k"), ("USD", 250_000, "USD 100k+"),
    ("INR", 249_000, "INR under 2.5 LPA"), ("INR", 425_000, "INR 4-6 LPA"), ("INR", 1_000_000, "INR 10+ LPA"),
    ("EUR", 50_000, "EUR stated"), ("USD", None, "not stated"), (None, 50_000, "not stated"),
])
def test_salary_band(currency, annual, band):
    assert salary_band(currency, annual) == band


@pytest.fixture
def db(tmp_path):
    path = build_market_db(tmp_path / "medcoder.db")
    database = sqlite_utils.Database(sqlite3.connect(path))
    yield database
    database.conn.close()


def snapshot(db) -> dict[str, list]:
    # refreshed_at moves with the clock; everything else must be identical.
    return {t: sorted(map(repr, db.execute(f"select * from [{t}]").fetchall())) for t in ANALYTICS_TABLES
            if t != "market_summary"}


def test_market_counts_open_in_scope_representatives_only(db):
    assert [r[0] for r in db.execute("select posting from market_postings order by posting")] == [
        "p1", "p2", "p3", "p4", "p5", "p6"]
    # p1 is also listed on Remotive (p1dup): one job, two listings.
    assert db.execute("select listings from market_postings where posting = 'p1'").fetchone() == (2,)
    summary = dict(zip(["open_postings", "open_listings", "employers", "with_salary"],
                       db.execute("select open_postings, open_listings, employers, with_salary from market_summary").fetchone()))
    assert summary == {"open_postings": 6, "open_listings": 7, "employers": 5, "with_salary": 4}
    # A board-predicted salary (p3) is no stated salary.
    assert db.execute("select salary_band, salary_annual_mid from market_postings where posting = 'p3'").fetchone() == (
        "not stated", None)


def test_refresh_is_idempotent(db):
    before = snapshot(db)
    counts = refresh_analytics(db)
    assert snapshot(db) == before
    assert counts["market_postings"] == 6 and counts["market_summary"] == 1


def test_refresh_is_all_or_nothing(db, monkeypatch):
    before = snapshot(db)
    db.execute("update postings set closed_at = '2026-11-27T00:00:00+00:00' where id = 'p2'")
    db.conn.commit()

    def broken(conn):
        raise RuntimeError("disk full")

    monkeypatch.setattr(analytics, "_fill_pairs", broken)
    with pytest.raises(RuntimeError):
        refresh_analytics(db)
    # The failed rebuild left the previous figures whole, and the connection usable.
    assert snapshot(db) == before
    monkeypatch.undo()
    refresh_analytics(db)
    assert "p2" not in [r[0] for r in db.execute("select posting from market_postings")]


def test_every_faceted_column_is_indexed(db):
    tables = metadata_for(Path("medcoder.db"))["databases"]["medcoder"]["tables"]
    checked = 0
    for table, config in tables.items():
        leading = {db.execute(f"pragma index_info([{name}])").fetchone()[2]
                   for _, name, *_ in db.execute(f"pragma index_list([{table}])").fetchall()}
        for facet in config.get("facets", []):
            column = facet if isinstance(facet, str) else next(iter(facet.values()))
            assert column in leading, f"{table}.{column} is faceted but no index starts with it"
            checked += 1
    assert checked >= 30

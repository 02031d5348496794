"""End to end: a real Scrapy crawl of the demo board on 127.0.0.1 into a real SQLite file."""

import json
import sqlite3

from medcoder.demo.board import DISALLOWED_PREFIX, load_postings
from tests.conftest import crawl_demo


def labelled(value):
    return [p for p in load_postings() if p.expected.get("relevant") is value]


def query(db_path, sql, *params):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_demo_board_meets_the_brief():
    postings = load_postings()
    coding, off, broken = labelled(True), labelled(False), labelled(None)
    assert len(coding) >= 60 and len(off) >= 10 and len(broken) >= 1
    countries = {(p.data.get("location") or {}).get("country") or p.data.get("applicant_country") for p in coding}
    assert countries == {"US", "IN"}
    assert len(postings) == len(coding) + len(off) + len(broken)


def test_kept_and_filtered_match_the_labels(demo_crawl):
    kept = {r[0] for r in query(demo_crawl.db_path, "select title from postings where scope = 'in'")}
    filtered = {r[0] for r in query(demo_crawl.db_path, "select title from filtered_postings")}
    assert kept == {p.data["title"] for p in labelled(True)}
    assert filtered == {p.data["title"] for p in labelled(False)}
    reasons = query(demo_crawl.db_path, "select reason from filtered_postings")
    assert all(r[0] and "not" in r[0] for r in reasons)


def test_robots_disallowed_page_never_fetched(demo_crawl):
    assert "/robots.txt" in demo_crawl.requests
    assert not [p for p in demo_crawl.requests if p.startswith(DISALLOWED_PREFIX)]
    stats = json.loads(query(demo_crawl.db_path, "select stats_json from crawl_runs")[0][0])
    assert stats["robotstxt/forbidden"] == 1


def test_malformed_jsonld_is_counted_and_the_crawl_completes(demo_crawl):
    broken = labelled(None)
    (status, reason, errors, kept, filtered), = query(
        demo_crawl.db_path, "select status, finish_reason, errors, items_kept, items_filtered from crawl_runs")
    assert (status, reason, errors) == ("partial", "finished", len(broken))
    assert (kept, filtered) == (len(labelled(True)), len(labelled(False)))
    urls = {r[0].rsplit("/", 1)[-1] for r in query(demo_crawl.db_path, "select url from crawl_errors where kind = 'invalid_jsonld'")}
    assert urls == {p.slug + ".html" for p in broken}


def test_postings_are_normalised_and_analysed(demo_crawl):
    rows = query(demo_crawl.db_path, "select count(*), count(description), count(role_family), count(analysed_hash) from postings")
    assert rows[0][0] == rows[0][1] == rows[0][2] == rows[0][3]
    assert query(demo_crawl.db_path, "select count(*) from postings where description like '%<p>%'")[0][0] == 0
    inr = query(demo_crawl.db_path, "select count(*) from postings where salary_currency = 'INR' and salary_period is not null")[0][0]
    assert inr >= 10
    required_cpc = query(demo_crawl.db_path, "select count(distinct posting_id) from posting_requirements where skill_id = 'CPC' and level = 'required'")[0][0]
    assert required_cpc >= 20
    assert query(demo_crawl.db_path, "select count(*) from posting_requirements where evidence is null or evidence = ''")[0][0] == 0


def test_recrawl_is_idempotent(tmp_path):
    db_path = tmp_path / "twice.db"
    crawl_demo(db_path)
    first = dict(query(db_path, "select id, first_seen || '|' || last_seen from postings"))
    crawl_demo(db_path)  # a new board process: new port, same postings by source job id
    second = dict(query(db_path, "select id, first_seen || '|' || last_seen from postings"))
    assert set(first) == set(second)
    for pid, both in first.items():
        f1, l1 = both.split("|")
        f2, l2 = second[pid].split("|")
        assert f2 == f1 and l2 >= l1
    assert query(db_path, "select count(*) from crawl_runs")[0][0] == 2
    assert query(db_path, "select count(*) from filtered_postings")[0][0] == len(labelled(False))

"""Lifecycle across successive real crawls: closing, not closing on failure, reopening, history."""

import json

from tests.fixture_server import FixtureServer, json_reply
from tests.spider_run import crawl, rows

BOARD = "/v1/boards/lake/jobs"


def job(jid, title, text):
    return {"id": jid, "title": title, "location": {"name": "Austin, TX"}, "updated_at": "2026-11-01T00:00:00Z",
            "absolute_url": f"https://jobs.example/{jid}", "content": f"&lt;h3&gt;Requirements&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;{text}&lt;/li&gt;&lt;/ul&gt;"}


def board(*jobs):
    return json_reply(json.dumps({"jobs": list(jobs)}))


A = job(1, "Inpatient Coder", "CCS required")
A2 = job(1, "Inpatient Coder", "CCS or CIC required; 2 years of inpatient coding")
B = job(2, "Outpatient Coder", "CPC or COC required")


def state(db):
    return {r["source_job_id"]: r["closed_at"] is not None for r in rows(db, "select source_job_id, closed_at from postings")}


def test_three_crawls_and_a_failure(tmp_path):
    db = tmp_path / "life.db"
    replies = [board(A, B), json_reply("{}", 500), json_reply("{}", 500), json_reply("{}", 500), board(A2), board(A2, B)]
    with FixtureServer({BOARD: replies}) as server:
        first = crawl("greenhouse", db, board="lake", api_base=server.url)
        assert first.status == "ok" and state(db) == {"1": False, "2": False}
        failed = crawl("greenhouse", db, board="lake", api_base=server.url)  # 500 three times: request + 2 retries
        assert failed.status == "failed" and state(db) == {"1": False, "2": False}  # a failed crawl closes nothing
        third = crawl("greenhouse", db, board="lake", api_base=server.url)
        assert third.status == "ok" and state(db) == {"1": False, "2": True}  # B is gone from a complete crawl
        fourth = crawl("greenhouse", db, board="lake", api_base=server.url)
    assert fourth.status == "ok" and state(db) == {"1": False, "2": False}
    (b,) = rows(db, "select times_reopened, reopened_at, first_seen from postings where source_job_id = '2'")
    assert b["times_reopened"] == 1 and b["reopened_at"] is not None
    history = rows(db, "select p.source_job_id, h.description from posting_history h join postings p on p.id = h.posting_id")
    assert [h["source_job_id"] for h in history] == ["1"] and "CCS required" in history[0]["description"]
    assert rows(db, "select count(*) n from postings") == [{"n": 2}]
    stats = [json.loads(r["stats_json"]).get("medcoder/closed") for r in rows(db, "select stats_json from crawl_runs order by id")]
    assert stats == [0, 0, 1, 0]


def test_partial_crawl_closes_nothing(tmp_path):
    db = tmp_path / "life.db"
    broken = {"id": 3, "title": ""}  # reported as incomplete: the run is partial
    with FixtureServer({BOARD: [board(A, B), board(A, broken)]}) as server:
        crawl("greenhouse", db, board="lake", api_base=server.url)
        second = crawl("greenhouse", db, board="lake", api_base=server.url)
    assert second.status == "partial" and state(db) == {"1": False, "2": False}

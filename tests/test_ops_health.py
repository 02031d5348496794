"""Run health: the checks on literal figures, and a real source that flips healthy -> empty -> garbage -> healthy."""

import json

from analysis.pipeline import analyse_db
from medcoder.db import connect
from medcoder.health import (
    FAIL,
    OK,
    WARN,
    Thresholds,
    check_board_gone,
    check_error_rate,
    check_items,
    check_retries,
    check_share,
    effective_status,
    evaluate_after_analysis,
    record_checks,
)
from tests.fixture_server import FixtureServer, json_reply
from tests.spider_run import crawl, rows, run_stats

TH = Thresholds()


def test_zero_items_fails_only_when_the_source_usually_has_some():
    assert check_items(0, [3, 4, 2]).status == FAIL
    assert check_items(0, [0, 0, 0, 4, 5]).status == OK  # three empty runs in a row: the board really is empty
    assert check_items(0, []).status == OK  # nothing to compare with
    assert (check_items(2, [40, 50]).status, check_items(2, [40, 50]).value) == (OK, 2)


def test_share_collapse_against_the_usual_level():
    assert check_share("d", "x", 1, 10, [1.0, 0.9, 1.0], TH).status == FAIL  # 10% where 100% is usual
    assert check_share("d", "x", 7, 10, [1.0, 0.9, 1.0], TH).status == WARN  # 70%: below 80% of usual
    assert check_share("d", "x", 9, 10, [1.0, 0.9, 1.0], TH).status == OK
    assert check_share("d", "x", 0, 10, [0.1, 0.05], TH).status == OK  # usually too rare to judge
    assert check_share("d", "x", 0, 10, [], TH).status == OK  # first measurement
    empty = check_share("d", "x", 0, 0, [1.0], TH)
    assert (empty.status, empty.value) == (OK, None)  # nothing stored: the items check speaks for that
    assert check_share("d", "have it", 1, 4, [1.0], TH).detail == "25% of 4 postings have it, usually 100%"


def test_error_rate_and_retries():
    assert check_error_rate(0, 10, TH).status == OK
    assert check_error_rate(1, 2, TH).status == WARN  # one broken job in a small board: worth a look, not an outage
    assert check_error_rate(6, 10, TH).status == FAIL
    assert check_error_rate(6, 100, TH).status == OK
    assert check_retries(0, 0, 10, TH).status == OK
    assert check_retries(2, 1, 3, TH).status == WARN  # gave up on one request
    assert check_retries(8, 0, 10, TH).status == FAIL
    assert check_board_gone(404).status == FAIL and check_board_gone(None).status == OK


def test_thresholds_from_settings_and_status_shown():
    th = Thresholds.from_settings({"MEDCODER_HEALTH_ERROR_RATE_FAIL": "0.3", "MEDCODER_HEALTH_HISTORY_RUNS": "3"}.get)
    assert (th.error_rate_fail, th.history_runs, th.collapse_fail) == (0.3, 3, 0.5)
    assert effective_status("ok", FAIL) == "degraded" and effective_status("partial", FAIL) == "degraded"
    assert effective_status("ok", WARN) == "ok" and effective_status("failed", FAIL) == "failed"


BOARD = "/v1/boards/lake/jobs"


def job(n, content):
    return {"id": 7000 + n, "title": f"Outpatient Medical Coder {n}", "absolute_url": f"https://jobs.example/{7000 + n}",
            "location": {"name": "Remote, US"}, "updated_at": "2026-11-01T00:00:00Z", "content": content}


HEALTHY = json.dumps({"jobs": [job(n, "&lt;h3&gt;Requirements&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;CPC required&lt;/li&gt;"
                                       "&lt;li&gt;2 years of outpatient coding&lt;/li&gt;&lt;/ul&gt;") for n in range(3)]})
EMPTY = json.dumps({"jobs": []})
# Garbage: the API still answers, but with other ids and no text at all.
GARBAGE = json.dumps({"jobs": [job(50 + n, "") for n in range(3)]})


def crawl_and_analyse(db_path, server):
    """One run as `medcoder crawl` does it: the spider (Spidermon checks it on closing), then analysis and its check."""
    result = crawl("greenhouse", db_path, board="lake", api_base=server.url)
    db = connect(db_path)
    analyse_db(db)
    record_checks(db, result.run["id"], evaluate_after_analysis(db, result.run["id"]))
    db.conn.close()
    return result


def open_ids(db_path):
    return sorted(r["source_job_id"] for r in rows(db_path, "select source_job_id from postings where closed_at is null"))


def failing(db_path, run_id):
    return {r["check"]: r["status"] for r in rows(db_path, "select [check], status from run_checks where crawl_run_id = ? "
                                                             "and status != 'ok'", run_id)}


def test_a_source_that_goes_empty_then_garbage_keeps_its_postings_and_is_flagged(tmp_path):
    db = tmp_path / "flip.db"
    with FixtureServer({BOARD: [json_reply(HEALTHY), json_reply(EMPTY), json_reply(GARBAGE), json_reply(HEALTHY)]}) as server:
        healthy = crawl_and_analyse(db, server)
        empty = crawl_and_analyse(db, server)
        garbage = crawl_and_analyse(db, server)
        assert open_ids(db) == ["7000", "7001", "7002", "7050", "7051", "7052"]  # nothing closed by the bad runs
        recovered = crawl_and_analyse(db, server)

    assert failing(db, healthy.run["id"]) == {}
    assert failing(db, empty.run["id"]) == {"items": "fail"}
    assert failing(db, garbage.run["id"]) == {"description_share": "fail", "requirement_share": "fail"}
    assert failing(db, recovered.run["id"]) == {}
    # Scrapy called each of them "ok"; the health column is what tells them apart.
    runs = rows(db, "select status, health from crawl_runs order by id")
    assert runs == [{"status": "ok", "health": "ok"}, {"status": "ok", "health": "fail"},
                    {"status": "ok", "health": "fail"}, {"status": "ok", "health": "ok"}]
    assert run_stats(empty)["medcoder/incomplete"] == "health checks failed: items"
    assert run_stats(empty)["medcoder/closed"] == 0 and run_stats(garbage)["medcoder/closed"] == 0
    # A healthy crawl again closes what it no longer finds: only the garbage postings.
    assert open_ids(db) == ["7000", "7001", "7002"] and run_stats(recovered)["medcoder/closed"] == 3
    detail = rows(db, "select detail from run_checks where crawl_run_id = ? and [check] = 'items'", empty.run["id"])
    assert detail == [{"detail": "no postings kept; the last 1 runs kept 3 (median)"}]

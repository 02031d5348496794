"""A whole-board API answer larger than the 10 MB page limit: real Scrapy crawls of a big local Greenhouse board.

Greenhouse answers a board in one response with every description (about
6 KB a posting), so a board of 2,000 postings is over ``DOWNLOAD_MAXSIZE``;
the board request has its own bound (``MEDCODER_BOARD_MAXSIZE``), pages keep
theirs (tests/test_hostile.py).
"""

from __future__ import annotations

import json

import pytest

from bench.synthetic import generate, greenhouse_job
from crawlers import settings
from tests.fixture_server import FixtureServer, json_reply
from tests.spider_run import crawl, rows

BOARD = "/v1/boards/bighealth/jobs"
POSTINGS = 2_000  # a realistic big board: about 12 MB with its descriptions


@pytest.fixture(scope="module")
def big_board() -> tuple[bytes, list[dict]]:
    synthetic = list(generate(POSTINGS, seed=11))
    body = json.dumps({"jobs": [greenhouse_job(r, "bighealth", n) for n, r in enumerate(synthetic, start=1)],
                       "meta": {"total": POSTINGS}}).encode()
    assert len(body) > settings.DOWNLOAD_MAXSIZE  # else this would test nothing
    return body, synthetic


def test_a_board_over_the_page_limit_is_stored_whole(tmp_path, big_board):
    body, synthetic = big_board
    db = tmp_path / "gh.db"
    with FixtureServer({BOARD: json_reply(body)}) as server:
        result = crawl("greenhouse", db, board="bighealth", api_base=server.url)
    assert result.status == "ok", rows(db, "select kind, message from crawl_errors")
    assert result.run["items_scraped"] == POSTINGS
    # Every posting is stored: the coding jobs in postings, the neighbouring ones filtered with a reason.
    in_scope = sum(r["scope"] == "in" for r in synthetic)
    assert rows(db, "select count(*) n from postings") == [{"n": in_scope}]
    assert rows(db, "select count(*) n from filtered_postings") == [{"n": POSTINGS - in_scope}]
    assert rows(db, "select count(distinct source_job_id) n from postings where source_id = 'greenhouse:bighealth'") == [{"n": in_scope}]


def test_the_board_bound_still_refuses_a_board_over_it(tmp_path, big_board):
    body, _ = big_board
    db = tmp_path / "gh.db"
    limit = len(body) // 2  # the same board against a board bound it exceeds: refused whole, as too_large
    with FixtureServer({BOARD: json_reply(body)}) as server:
        result = crawl("greenhouse", db, settings={"MEDCODER_BOARD_MAXSIZE": str(limit)}, board="bighealth",
                       api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind, message from crawl_errors") == [
        {"kind": "too_large", "message": f"larger than MEDCODER_BOARD_MAXSIZE ({limit} bytes): skipped"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]

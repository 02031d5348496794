"""Distributed crawls: two real Scrapy processes share one scrapy-redis queue on a real redis-server.

The redis-server is Debian's (``.ci/run`` installs it), started on a free
loopback port without persistence and stopped after the module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections import Counter

import pytest

from crawlers.distributed import DistributedConfigError, crawl_keys, distributed_settings, items_key_pattern
from medcoder.crawl import scrapy_env
from medcoder.db import connect
from medcoder.demo.board import PAGE_SIZE
from tests.slow_board import ROOT, SlowBoardServer, count, free_port, run_workers, scrapy_cmd, wait_until, well_formed_postings
from tests.spider_run import TEST_SETTINGS, rows


def _missing(what: str):
    """Skip on a developer's machine without ``what``; fail in CI, where .ci/run and dev.py must provide it."""
    message = f"{what} (CI installs it: .ci/run and dev.py)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if not server:
        _missing("redis-server is not installed: apt-get install redis-server")
    try:
        import scrapy_redis  # noqa: F401
    except ImportError:
        _missing("scrapy-redis is not installed: pip install -e '.[distributed]'")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)

    def up():
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    try:
        wait_until(up, "redis-server to answer PING", limit=30, procs=[proc])
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_keys_name_the_crawl_and_the_source():
    keys = crawl_keys("2026-11-28", "greenhouse:acme")
    assert keys == {"queue": "medcoder:2026-11-28:greenhouse:acme:requests",
                    "dupefilter": "medcoder:2026-11-28:greenhouse:acme:dupefilter",
                    "items": "medcoder:2026-11-28:greenhouse:acme:items"}
    # scrapy-redis formats keys with %: a stray % or space must not reach it.
    assert crawl_keys("a %s b", "x")["queue"] == "medcoder:a__s_b:x:requests"
    # The drain finds every source's items list with one SCAN pattern; a glob character in a name must not widen it.
    assert items_key_pattern("night*ly") == "medcoder:night_ly:*:items"
    settings = distributed_settings("redis://127.0.0.1:6379/0", "nightly", "demo_board")
    assert settings["SCHEDULER_PERSIST"] is True and settings["SCHEDULER_QUEUE_KEY"] == "medcoder:nightly:demo_board:requests"
    assert "REDIS_ITEMS_KEY" not in settings  # only a relay worker pushes its items
    relay = distributed_settings("redis://127.0.0.1:6379/0", "nightly", "demo_board", relay=True)
    assert relay["REDIS_ITEMS_KEY"] == "medcoder:nightly:demo_board:items" and relay["MEDCODER_REDIS_RELAY"] is True
    with pytest.raises(DistributedConfigError, match="MEDCODER_REDIS_CRAWL"):
        distributed_settings("redis://127.0.0.1:6379/0", "", "demo_board")


def test_two_processes_split_one_crawl_and_store_each_posting_once(tmp_path, redis_url):
    postings = well_formed_postings()
    in_scope = {p.data["title"] for p in postings if p.expected.get("relevant") is True}
    off_target = [p for p in postings if p.expected.get("relevant") is False]
    db_path = tmp_path / "shared.db"
    connect(db_path).conn.close()  # as `medcoder crawl` does: migrate once, before the crawl processes start
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    settings = {**TEST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
                "MEDCODER_REDIS_URL": redis_url, "MEDCODER_REDIS_CRAWL": crawl, "MEDCODER_REDIS_IDLE_WAIT": "3"}
    with SlowBoardServer(postings, job_page_delay=0.1) as board:
        cmd = scrapy_cmd("demo_board", db_path, {"url": board.listing_url}, settings)
        run_workers(cmd, db_path, tmp_path)
        requests = list(board.requests)

    # Every job page fetched exactly once across both processes; the listing (the start request of both) once per page.
    fetched = Counter(p for p in requests if p.startswith("/jobs/") and p.endswith(".html"))
    assert fetched == Counter({p.path: 1 for p in postings})
    assert requests.count("/jobs/") == -(-len(postings) // PAGE_SIZE)

    # Every posting stored exactly once: the rows match the labels and the two runs' item counts add up to them.
    assert {r["title"] for r in rows(db_path, "select title from postings")} == in_scope
    assert count(db_path, "select count(*) from postings") == len(in_scope)
    assert count(db_path, "select count(*) from filtered_postings") == len(off_target)
    runs = rows(db_path, "select * from crawl_runs order by id")
    assert len(runs) == 2
    assert sum(r["items_kept"] for r in runs) == len(in_scope)
    assert sum(r["items_filtered"] for r in runs) == len(off_target)
    for run in runs:
        stats = json.loads(run["stats_json"])
        assert (run["status"], run["finish_reason"]) == ("ok", "finished")
        assert stats["medcoder/distributed/crawl"] == crawl
        assert "distributed" in stats["medcoder/incomplete"]
        assert stats["medcoder/closed"] == 0
    # Neither process closed what the other one stored.
    assert count(db_path, "select count(*) from postings where closed_at is not null") == 0


def test_a_distributed_crawl_without_a_crawl_name_refuses_to_start(tmp_path, redis_url):
    db_path = tmp_path / "refused.db"
    with SlowBoardServer(job_page_delay=0) as board:
        proc = subprocess.run(scrapy_cmd("demo_board", db_path, {"url": board.listing_url},
                                         {**TEST_SETTINGS, "MEDCODER_REDIS_URL": redis_url}),
                              cwd=ROOT, env=scrapy_env(db_path), capture_output=True, text=True, timeout=120)
        fetched = list(board.requests)
    assert proc.returncode != 0
    assert "needs MEDCODER_REDIS_CRAWL" in proc.stderr
    assert fetched == []  # it did not fall back to an undistributed crawl of the whole board

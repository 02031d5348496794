"""Relayed crawls: workers without the database push to a real redis-server, one writer drains into SQLite.

Two real relay workers crawl the demo board once (module fixture) and never
open a database; their messages are kept so each test can replay them into
its own crawl's list and its own database. Every database the drain writes
is compared with a direct, single-process crawl of the same board: the same
rows prove the drain runs the store pipeline's code, not a copy of it.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.distributed import crawl_keys
from crawlers.items import PostingItem
from crawlers.pipelines.clean import normalise_item
from crawlers.pipelines.relevance import RelevancePipeline
from medcoder.crawl import scrapy_env
from medcoder.db import connect
from medcoder.demo.board import DISALLOWED_PREFIX, load_postings
from medcoder.postings import posting_row, upsert_posting
from medcoder.relay import (ITEM, PROCESSING_SUFFIX, REJECTED_SUFFIX, RUN_FINISHED, DrainRunning, decode_message, drain,
                            drain_lock, encode_message, item_from, message)
from tests.slow_board import ROOT, SlowBoardServer, count, run_workers, scrapy_cmd, wait_until
from tests.spider_run import TEST_SETTINGS, crawl, rows
from tests.test_distributed import redis_url  # noqa: F401  (the module's real redis-server fixture)
from tests.test_faults import read_only_db  # noqa: F401  (a database even root cannot write)

# Columns that differ between two crawls of the same postings by design: when, and by which run.
VOLATILE = {"first_seen", "last_seen", "last_crawl_run_id"}


@dataclass
class Relayed:
    crawl: str
    messages: list[bytes]  # what the two workers pushed, in order
    reference: Path  # a direct crawl of the same board
    worker_db: Path
    job_page_fetches: Counter
    logs: list[Path]


def _redis(url):
    import redis

    return redis.Redis.from_url(url)


@pytest.fixture(scope="module")
def relayed(tmp_path_factory, redis_url):  # noqa: F811
    tmp = tmp_path_factory.mktemp("relay")
    reference = tmp / "reference.db"
    # The whole board, broken pages included: their problems must reach crawl_errors through the relay too.
    with SlowBoardServer(load_postings(), job_page_delay=0.05) as board:
        assert crawl("demo_board", reference, url=board.listing_url).status in ("ok", "partial")
        before = len(board.requests)
        name = f"relay-{uuid.uuid4().hex[:8]}"
        # A path in a folder that does not exist: connect() would create both, so their absence proves no worker opened it.
        worker_db = tmp / "no-database-here" / "worker.db"
        settings = {**TEST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "4", "MEDCODER_REDIS_URL": redis_url,
                    "MEDCODER_REDIS_CRAWL": name, "MEDCODER_REDIS_IDLE_WAIT": "3", "MEDCODER_REDIS_RELAY": "1"}
        cmd = scrapy_cmd("demo_board", worker_db, {"url": board.listing_url}, settings)
        logs = run_workers(cmd, worker_db, tmp)
        requested = list(board.requests)[before:]
        fetched = Counter(p for p in requested if p.startswith("/jobs/") and p.endswith(".html"))
    # Each worker read robots.txt for itself (retries aside), and neither fetched what it disallows, not even the
    # requests a worker took from the shared queue while its robots.txt was still on the way (tests/test_robots.py).
    assert requested.count("/robots.txt") >= 2, requested
    assert not [p for p in requested if p.startswith(DISALLOWED_PREFIX)], [log.read_text()[-3000:] for log in logs]
    messages = _redis(redis_url).lrange(crawl_keys(name, "demo_board")["items"], 0, -1)
    return Relayed(name, messages, reference, worker_db, fetched, logs)


def _replay(redis_url, relayed, messages=None) -> str:  # noqa: F811
    """Push the workers' messages to a new crawl's list, as if its workers had just run; return the crawl's name."""
    name = f"replay-{uuid.uuid4().hex[:8]}"
    _redis(redis_url).rpush(crawl_keys(name, "demo_board")["items"], *(relayed.messages if messages is None else messages))
    return name


def medcoder_drain(db, redis_url, name, *extra, check=True):  # noqa: F811
    proc = subprocess.run([sys.executable, "-m", "medcoder", "relay", "drain", "--db", str(db), "--redis-url", redis_url,
                           "--crawl", name, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _table(db_path, table) -> dict[str, dict]:
    return {r["id"]: {k: v for k, v in r.items() if k not in VOLATILE} for r in rows(db_path, f"select * from {table}")}


def assert_same_postings_as_a_direct_crawl(db_path, reference):
    """Every posting stored once, in the right table, with exactly the columns a direct crawl writes; nothing closed."""
    for table in ("postings", "filtered_postings"):
        assert _table(db_path, table) == _table(reference, table), table
    assert count(db_path, "select count(*) from postings") > 20 and count(db_path, "select count(*) from filtered_postings") > 0
    assert count(db_path, "select count(*) from postings where closed_at is not null") == 0


def _problems(db_path):
    return sorted((r["url"], r["kind"], r["message"]) for r in rows(db_path, "select url, kind, message from crawl_errors"))


def test_two_workers_without_the_database_relay_one_crawl_to_one_writer(tmp_path, redis_url, relayed):  # noqa: F811
    # Neither worker opened a database (connect() would have made the folder), and the crawl was still split.
    assert not relayed.worker_db.parent.exists()
    assert relayed.job_page_fetches == Counter({p.path: 1 for p in load_postings()})
    for log in relayed.logs:
        assert "Traceback" not in log.read_text()

    db_path = tmp_path / "writer.db"
    # A posting of the source this crawl no longer finds: a complete crawl would close it, a relayed one must not.
    db = connect(db_path)
    gone = upsert_posting(db, PostingItem(source="demo_board", url="https://demo-board.medcoder.example/jobs/gone.html",
                                          title="Medical Coder", extras={"relevance": {"scope": "in", "score": 1.0, "reason": "test"}}))
    db.conn.close()
    assert gone == "postings"
    proc = medcoder_drain(db_path, redis_url, relayed.crawl)
    assert rows(db_path, "select closed_at from postings where url like '%/gone.html'") == [{"closed_at": None}]
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("delete from postings where url like '%/gone.html'")
    conn.close()
    assert_same_postings_as_a_direct_crawl(db_path, relayed.reference)
    kept, filtered = count(db_path, "select count(*) from postings"), count(db_path, "select count(*) from filtered_postings")
    assert f"{kept} postings kept, {filtered} filtered, 2 runs finished, 0 rejected" in proc.stdout

    # One run per worker, recorded as the worker would have recorded it, the counts from what the writer stored.
    runs = rows(db_path, "select * from crawl_runs order by id")
    assert len(runs) == 2
    assert sum(r["items_kept"] for r in runs) == kept and sum(r["items_filtered"] for r in runs) == filtered
    assert sum(r["items_scraped"] for r in runs) == kept + filtered
    for run in runs:
        stats = json.loads(run["stats_json"])
        assert run["finish_reason"] == "finished" and run["status"] in ("ok", "partial")
        assert run["pid"] and run["host"] and json.loads(run["args_json"])["url"].endswith("/jobs/")
        assert "distributed" in stats["medcoder/incomplete"] and stats["medcoder/closed"] == 0
        assert stats.get("medcoder/relay/pushed", 0) == run["items_scraped"]  # a worker may get no job page at all
    # The broken pages' problems reached crawl_errors, each once, under the relayed runs.
    assert _problems(db_path) == _problems(relayed.reference) and _problems(db_path)
    assert {r["crawl_run_id"] for r in rows(db_path, "select crawl_run_id from crawl_errors")} <= {r["id"] for r in runs}

    # Nothing is left in Redis: the lists are gone once drained.
    server = _redis(redis_url)
    items = crawl_keys(relayed.crawl, "demo_board")["items"]
    assert server.exists(items, items + PROCESSING_SUFFIX, items + REJECTED_SUFFIX) == 0


def test_a_drain_killed_mid_batch_loses_nothing_and_stores_nothing_twice(tmp_path, redis_url, relayed):  # noqa: F811
    server = _redis(redis_url)
    db_path = tmp_path / "killed.db"
    half = len(relayed.messages) // 2
    name = _replay(redis_url, relayed, relayed.messages[:half])
    items = crawl_keys(name, "demo_board")["items"]
    drainer = subprocess.Popen([sys.executable, "-m", "medcoder", "relay", "drain", "--db", str(db_path), "--redis-url",
                                redis_url, "--crawl", name, "--batch", "7", "--until-idle", "120"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    blocker = sqlite3.connect(db_path, timeout=30)
    try:
        wait_until(lambda: count(db_path, "select count(*) from postings") > 0 and not server.exists(items, items + PROCESSING_SUFFIX),
                   "the drain to store the first half", procs=[drainer])
        # Hold the database's write lock, then hand the drain the second half: it moves a batch onto its processing
        # list and waits for the lock. Killed there, it has popped messages it never committed: the window that matters.
        blocker.execute("begin immediate")
        server.rpush(items, *relayed.messages[half:])
        wait_until(lambda: server.llen(items + PROCESSING_SUFFIX) > 0, "the drain to take a batch", procs=[drainer])
        stored_before_kill = count(db_path, "select count(*) from postings") + count(db_path, "select count(*) from filtered_postings")
    finally:
        drainer.send_signal(signal.SIGKILL)
        drainer.wait(timeout=30)
    blocker.close()  # rolls back: the lock is released
    assert server.llen(items + PROCESSING_SUFFIX) == 7
    assert stored_before_kill < len(_table(relayed.reference, "postings")) + len(_table(relayed.reference, "filtered_postings"))

    medcoder_drain(db_path, redis_url, name)
    assert_same_postings_as_a_direct_crawl(db_path, relayed.reference)
    assert _problems(db_path) == _problems(relayed.reference)
    assert len(rows(db_path, "select id from crawl_runs")) == 2

    # A drain killed after its commit but before it released the batch stores it again on restart: nothing changes.
    runs_before = rows(db_path, "select id, status, items_kept, items_filtered, items_scraped from crawl_runs order by id")
    server.rpush(items + PROCESSING_SUFFIX, *relayed.messages[-20:])  # the runs' ends, with their problems, among them
    assert any(decode_message(m)["kind"] == RUN_FINISHED for m in relayed.messages[-20:])
    medcoder_drain(db_path, redis_url, name)
    assert_same_postings_as_a_direct_crawl(db_path, relayed.reference)
    assert _problems(db_path) == _problems(relayed.reference)
    assert rows(db_path, "select id, status, items_kept, items_filtered, items_scraped from crawl_runs order by id") == runs_before


def test_bad_messages_are_reported_where_they_are_kept_aside_and_the_drain_goes_on(tmp_path, redis_url, relayed):  # noqa: F811
    good = relayed.messages
    first_item = json.loads(next(m for m in good if decode_message(m)["kind"] == ITEM))
    without_url = {**first_item, "item": {k: v for k, v in first_item["item"].items() if k != "url"}}
    bad = [b"this is not JSON", b"[1, 2]", json.dumps(without_url).encode(), json.dumps({**first_item, "kind": "surprise"}).encode(),
           json.dumps({**first_item, "item": {**first_item["item"], "title": ["a", "list"]}}).encode(),
           # A run's end that cannot be stored, in the middle of its run: the run's later postings must still find it.
           json.dumps({**{k: v for k, v in first_item.items() if k != "item"}, "kind": "run_finished", "finished_at": "2026-11-28",
                       "status": "ok", "finish_reason": "finished", "problems": "oops"}).encode()]
    # Bad messages in the middle of good ones: the good ones on either side must all be stored.
    name = _replay(redis_url, relayed, [*good[:10], *bad, *good[10:]])
    db_path = tmp_path / "bad.db"
    proc = medcoder_drain(db_path, redis_url, name, "--batch", "8", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    items = crawl_keys(name, "demo_board")["items"]
    stderr = " ".join(proc.stderr.split())  # rich wraps long lines
    for number, reason in ((11, "not JSON"), (12, "not a JSON object but list"), (13, "item without url"),
                           (14, "unknown kind 'surprise'"), (15, "item field title is list, not str | None"),
                           (16, "problems is not a list of objects")):
        assert f"rejected: {items} message {number}: {reason}" in stderr, stderr
    assert "this is not JSON" in stderr  # what it was, not only where
    assert "6 rejected" in proc.stdout
    assert_same_postings_as_a_direct_crawl(db_path, relayed.reference)
    server = _redis(redis_url)
    assert server.lrange(items + REJECTED_SUFFIX, 0, -1) == bad
    assert not server.exists(items, items + PROCESSING_SUFFIX)


def test_a_database_that_refuses_writes_stops_the_drain_and_keeps_the_batch(redis_url, relayed, read_only_db):  # noqa: F811
    name = _replay(redis_url, relayed)
    items = crawl_keys(name, "demo_board")["items"]
    proc = medcoder_drain(read_only_db, redis_url, name, "--batch", "10", check=False)
    assert proc.returncode == 1 and "cannot write to the database" in proc.stderr and "readonly" in proc.stderr
    server = _redis(redis_url)
    # The batch it took waits on the processing list, the rest where the workers put it: nothing lost.
    assert server.llen(items + PROCESSING_SUFFIX) == 10
    assert server.llen(items) == len(relayed.messages) - 10
    subprocess.run(["chattr", "-i", str(read_only_db)], check=True)
    medcoder_drain(read_only_db, redis_url, name)
    assert_same_postings_as_a_direct_crawl(read_only_db, relayed.reference)


def _posting_message(source: str) -> str:
    item = PostingItem(source=source, url=f"https://{source.replace(':', '-')}.example/jobs/1", title="Medical Coder",
                       extras={"relevance": {"scope": "in", "score": 1.0, "reason": "test"}})
    return encode_message(message(ITEM, f"run-{source}", source, "demo_board", item=item))


def test_one_source_is_drained_alone_and_a_second_drain_is_refused(tmp_path, redis_url):  # noqa: F811
    name = f"sources-{uuid.uuid4().hex[:8]}"
    server = _redis(redis_url)
    for source in ("board:a", "board:b"):
        server.rpush(crawl_keys(name, source)["items"], _posting_message(source))
    db_path = tmp_path / "one-source.db"
    result = drain(db_path, redis_url=redis_url, crawl=name, source="board:a")
    assert (result.kept, result.runs_started) == (1, 1)
    assert [r["source_id"] for r in rows(db_path, "select source_id from postings")] == ["board:a"]
    assert server.llen(crawl_keys(name, "board:b")["items"]) == 1  # untouched, for its own drain

    # Two drains would take each other's batches off the processing lists: the second refuses at once.
    with drain_lock(db_path), pytest.raises(DrainRunning, match="another drain"):
        drain(db_path, redis_url=redis_url, crawl=name)
    assert drain(db_path, redis_url=redis_url, crawl=name).kept == 1
    assert {r["source_id"] for r in rows(db_path, "select source_id from postings")} == {"board:a", "board:b"}


def test_a_relayed_posting_is_the_posting_the_store_pipeline_would_get():
    relevance = RelevancePipeline()
    sample = load_postings()[::6]  # in-scope and off-target ones, from every file
    assert {p.expected.get("relevant") for p in sample} >= {True, False}
    for posting in sample:
        data = posting.data
        item = relevance.process_item(normalise_item(PostingItem(
            source="demo_board", url=f"https://demo.example/jobs/{data['slug']}", title=data.get("title"),
            description_html=data.get("description_html"), salary_text="$20 - $25 an hour", location_text="Austin, TX",
            posted_at="2026-11-01")))
        assert "salary" in item.extras and "relevance" in item.extras
        msg = decode_message(encode_message(message(ITEM, "run-1", "demo_board", "demo_board", item=item)))
        relayed = item_from(msg["item"])
        assert posting_row(relayed) == posting_row(item)
        assert relayed == item  # the Salary comes back as a Salary, so filtered_postings.item_json is the same too


def test_relayed_messages_carry_no_api_keys(monkeypatch):
    monkeypatch.setenv("ADZUNA_APP_KEY", "s3cr3t-adzuna-key")
    item = PostingItem(source="adzuna:us", url="https://api.adzuna.com/jobs/1?app_id=abc&app_key=s3cr3t-adzuna-key",
                       title="Coder", description="pasted by mistake: s3cr3t-adzuna-key", extras={"feed": "?token=xyz9 next"})
    text = encode_message(message(RUN_FINISHED, "r", "adzuna:us", "adzuna", item=item, problems=[
        {"url": "https://api.adzuna.com/x?app_key=s3cr3t-adzuna-key", "kind": "http", "message": "500"}]))
    assert "s3cr3t-adzuna-key" not in text and "xyz9" not in text
    msg = json.loads(text)  # still JSON: the values are redacted, not the text
    assert msg["item"]["url"] == "https://api.adzuna.com/jobs/1?app_id=***&app_key=***"
    assert msg["item"]["extras"]["feed"] == "?token=*** next"


def test_a_relay_worker_without_redis_refuses_to_start(tmp_path):
    # Without MEDCODER_REDIS_URL a relay worker would quietly write a local database nobody reads.
    db_path = tmp_path / "absent" / "x.db"
    with SlowBoardServer(job_page_delay=0) as board:
        proc = subprocess.run(scrapy_cmd("demo_board", db_path, {"url": board.listing_url},
                                         {**TEST_SETTINGS, "MEDCODER_REDIS_RELAY": "1"}),
                              cwd=ROOT, env=scrapy_env(db_path), capture_output=True, text=True, timeout=120)
        fetched = list(board.requests)
    assert proc.returncode != 0
    assert "MEDCODER_REDIS_RELAY needs MEDCODER_REDIS_URL" in proc.stderr
    assert fetched == [] and not db_path.parent.exists()



def test_a_drain_until_idle_waits_for_workers_still_pushing(tmp_path, redis_url):  # noqa: F811
    # Run beside the workers, the drain must take what arrives after it started, from a source it had not seen yet.
    name = f"idle-{uuid.uuid4().hex[:8]}"
    server = _redis(redis_url)
    late = threading.Timer(1.0, lambda: server.rpush(crawl_keys(name, "board:late")["items"], _posting_message("board:late")))
    late.start()
    started = time.monotonic()
    result = drain(tmp_path / "idle.db", redis_url=redis_url, crawl=name, until_idle=3, poll=0.1)
    late.join()
    assert result.kept == 1
    assert 4 <= time.monotonic() - started < 30  # the late posting at 1 s, then 3 s of quiet

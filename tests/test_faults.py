"""Fault injection with real processes: crawls killed, interrupted, read while writing, refused by their database.

Each test drives real Scrapy processes (through ``medcoder crawl`` or
``scrapy crawl``) against the demo board on 127.0.0.1 and checks the rows
they left, not only their exit codes. A slow board (job pages delayed)
keeps a crawl in flight long enough to strike it; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from medcoder.crawl import scrapy_env
from medcoder.db import connect
from medcoder.demo.board import load_postings
from medcoder.recovery import INTERRUPTED_REASON, DatabaseUnwritable, check_writable, mark_interrupted_runs
from tests.slow_board import ROOT, SlowBoardServer, count, free_port, scrapy_cmd, wait_until
from tests.spider_run import TEST_SETTINGS, crawl, rows

IN_SCOPE = {p.data["title"] for p in load_postings() if p.expected.get("relevant") is True}
OFF_TARGET = [p for p in load_postings() if p.expected.get("relevant") is False]
# Few requests at a time on a slow board: the crawl stays in flight for seconds, long enough to strike mid-way.
SLOW = {**TEST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "4"}


def medcoder_crawl(db_path, board, settings, log_dir) -> list[str]:
    cmd = [sys.executable, "-m", "medcoder", "crawl", "--spider", "demo_board", "-a", f"url={board.listing_url}",
           "--db", str(db_path), "--no-analyse", "--log-dir", str(log_dir)]
    for k, v in settings.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def whole_postings(db_path) -> int:
    """Postings with every part a write makes: text, hash, cluster and full-text entry."""
    return count(db_path, "select count(*) from postings where title is not null and description is not null "
                          "and content_hash is not null and cluster_id is not null "
                          "and rowid in (select rowid from postings_fts)")


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("insert into postings_fts(postings_fts) values ('integrity-check')")  # FTS index matches its table
        return conn.execute("pragma integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_killed_crawl_leaves_whole_rows_and_the_rerun_completes_it(tmp_path):
    db_path = tmp_path / "killed.db"
    with SlowBoardServer() as board:
        proc = subprocess.Popen(medcoder_crawl(db_path, board, SLOW, tmp_path / "logs"), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: count(db_path, "select count(*) from postings") >= 10, "10 postings stored", procs=[proc])
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its Scrapy process, as a power cut would
            proc.wait(timeout=30)

        stored = {r["id"]: r["first_seen"] for r in rows(db_path, "select id, first_seen from postings")}
        assert 10 <= len(stored) < len(IN_SCOPE), "the kill must land mid-crawl"
        assert integrity(db_path) == "ok"
        assert whole_postings(db_path) == len(stored)  # no half-written posting
        (killed,) = rows(db_path, "select id, status from crawl_runs")
        assert killed["status"] == "running"  # nobody was left to say otherwise

        board.job_page_delay = 0
        rerun = subprocess.run(medcoder_crawl(db_path, board, TEST_SETTINGS, tmp_path / "logs"), cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    assert {r["title"] for r in rows(db_path, "select title from postings")} == IN_SCOPE
    assert count(db_path, "select count(*) from postings") == len(IN_SCOPE)  # each exactly once
    assert count(db_path, "select count(*) from filtered_postings") == len(OFF_TARGET)
    after = {r["id"]: r["first_seen"] for r in rows(db_path, "select id, first_seen from postings")}
    assert {pid: after[pid] for pid in stored} == stored  # nothing stored before the kill was lost or re-dated
    assert whole_postings(db_path) == len(IN_SCOPE) and integrity(db_path) == "ok"
    runs = rows(db_path, "select id, status, finish_reason from crawl_runs order by id")
    assert runs[0] == {"id": killed["id"], "status": "failed", "finish_reason": INTERRUPTED_REASON}
    assert runs[1]["status"] == "partial" and runs[1]["finish_reason"] == "finished"  # the board has 3 broken pages


def test_mark_interrupted_runs_judges_rows_without_a_live_process_by_age(fresh_db):
    fresh_db["sources"].insert({"id": "s", "name": "s"})
    fresh_db["crawl_runs"].insert_all([
        {"id": 1, "source_id": "s", "started_at": "2026-11-20T06:00:00+00:00", "status": "running"},
        {"id": 2, "source_id": "s", "started_at": "2026-11-28T05:00:00+00:00", "status": "running"},
        {"id": 3, "source_id": "s", "started_at": "2026-11-19T06:00:00+00:00", "status": "ok"},
    ])
    marked = mark_interrupted_runs(fresh_db, now="2026-11-28T06:00:00+00:00", max_age=timedelta(hours=48))
    assert marked == [1]
    assert [tuple(r) for r in fresh_db.execute("select id, status, finish_reason from crawl_runs order by id")] == [
        (1, "failed", INTERRUPTED_REASON), (2, "running", None), (3, "ok", None)]


def test_datasette_and_a_long_reader_never_block_a_crawl(tmp_path):
    db_path = tmp_path / "medcoder.db"
    connect(db_path).conn.close()
    # A reader that holds one snapshot for the whole crawl, as a slow report or a forgotten shell would.
    reader = sqlite3.connect(db_path)
    reader.execute("begin")
    assert reader.execute("select count(*) from postings").fetchone()[0] == 0
    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "medcoder", "serve", "--db", str(db_path), "--port", str(port)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def up() -> bool:
        try:
            return get("/-/versions.json")[0] == 200
        except OSError:
            return False

    reads = [
        "/medcoder.json?sql=select+count(*)+as+n+from+postings&_shape=array",
        "/medcoder/postings.json?_shape=array&_size=20&_sort_desc=last_seen",
        "/medcoder/postings?_search=coder",
        "/medcoder/crawl_runs.json?_shape=array",
    ]
    statuses, counts = [], []
    try:
        wait_until(up, "Datasette to answer", limit=60, procs=[serve])
        with SlowBoardServer(job_page_delay=0.15) as board:
            writer = subprocess.Popen(scrapy_cmd("demo_board", db_path, {"url": board.listing_url}, SLOW), cwd=ROOT,
                                      env=scrapy_env(db_path), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            # Bounded: at most 2,000 reads, however long the crawl takes.
            for i in range(2000):
                if writer.poll() is not None:
                    break
                status, body = get(reads[i % len(reads)])
                statuses.append(status)
                if i % len(reads) == 0 and status == 200:
                    counts.append(json.loads(body)[0]["n"])
            writer.wait(timeout=300)
        assert reader.execute("select count(*) from postings").fetchone()[0] == 0  # still inside its old snapshot
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
        reader.close()

    assert writer.returncode == 0
    assert statuses and set(statuses) == {200}, f"{len(statuses)} reads: {sorted(set(statuses))}"
    final = count(db_path, "select count(*) from postings")
    assert final == len(IN_SCOPE)
    assert any(0 < n < final for n in counts), f"no read landed mid-crawl: {counts}"  # reads really overlapped writes
    assert integrity(db_path) == "ok"


def test_interrupted_crawl_resumes_from_its_jobdir(tmp_path):
    db_path = tmp_path / "resumed.db"
    jobdir = tmp_path / "job"
    settings = {**SLOW, "JOBDIR": str(jobdir)}
    with SlowBoardServer() as board:
        cmd = scrapy_cmd("demo_board", db_path, {"url": board.listing_url}, settings)
        first = subprocess.Popen(cmd, cwd=ROOT, env=scrapy_env(db_path), stdout=(tmp_path / "first.log").open("w"),
                                 stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: count(db_path, "select count(*) from postings") >= 10, "10 postings stored", procs=[first])
            first.send_signal(signal.SIGINT)  # once: Scrapy's graceful stop, which saves the pending requests
            first.wait(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
        stored_first = count(db_path, "select count(*) from postings")
        assert stored_first < len(IN_SCOPE), "the stop must land mid-crawl"

        board.job_page_delay = 0
        second = subprocess.run(cmd, cwd=ROOT, env=scrapy_env(db_path), capture_output=True, text=True, timeout=300)
        fetches = board.job_page_fetches()
    assert second.returncode == 0, second.stderr[-3000:]

    runs = rows(db_path, "select finish_reason, items_kept from crawl_runs order by id")
    assert [r["finish_reason"] for r in runs] == ["shutdown", "finished"]
    assert runs[1]["items_kept"] == len(IN_SCOPE) - stored_first  # the resumed run did only what was left
    assert count(db_path, "select count(*) from postings") == len(IN_SCOPE)
    assert count(db_path, "select count(*) from filtered_postings") == len(OFF_TARGET)
    assert fetches == {p.path: 1 for p in load_postings()}  # no job page fetched twice across the two runs


def test_full_disk_stops_the_crawl_with_a_failed_run_and_no_partial_rows(tmp_path):
    db_path = tmp_path / "full.db"
    db = connect(db_path)
    pages = db.execute("pragma page_count").fetchone()[0]
    db.conn.close()
    with SlowBoardServer(job_page_delay=0) as board:
        # Room for a few postings, then SQLITE_FULL, as on a full disk (the limit binds the store pipeline's connection).
        result = crawl("demo_board", db_path, {"MEDCODER_MAX_PAGE_COUNT": str(pages + 40)}, url=board.listing_url)
        fetched = sum(board.job_page_fetches().values())
    run = result.run
    stats = json.loads(run["stats_json"])
    assert (run["status"], run["finish_reason"]) == ("failed", "database_error")
    assert "SQLITE_FULL" in stats["medcoder/database_error"]
    assert "cannot write to the database" in result.log_path.read_text()
    assert fetched < len(load_postings())  # it stopped instead of fetching pages it could not keep
    stored = count(db_path, "select count(*) from postings") + count(db_path, "select count(*) from filtered_postings")
    assert stored == run["items_kept"] + run["items_filtered"] < len(load_postings())
    assert whole_postings(db_path) == count(db_path, "select count(*) from postings")
    assert integrity(db_path) == "ok"


@pytest.fixture
def read_only_db(tmp_path):
    """A database file even root cannot write: the immutable attribute (chattr +i), removed afterwards."""
    if not shutil.which("chattr"):
        pytest.skip("chattr (e2fsprogs) is not installed")
    db_path = tmp_path / "ro.db"
    connect(db_path).conn.close()
    if subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode != 0:
        pytest.skip(f"this filesystem has no immutable attribute ({tmp_path})")
    try:
        yield db_path
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)


def test_read_only_database_is_a_clear_error_before_anything_is_fetched(tmp_path, read_only_db):
    with pytest.raises(DatabaseUnwritable, match="readonly"):
        check_writable(read_only_db)
    with SlowBoardServer(job_page_delay=0) as board:
        cli = subprocess.run(medcoder_crawl(read_only_db, board, TEST_SETTINGS, tmp_path / "logs"), cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        # Scrapy on its own, past the CLI's check: the crawl recorder refuses to start the crawl.
        direct = subprocess.run(scrapy_cmd("demo_board", read_only_db, {"url": board.listing_url}, TEST_SETTINGS),
                                cwd=ROOT, env=scrapy_env(read_only_db), capture_output=True, text=True, timeout=120)
        fetched = [p for p in board.requests if p.startswith("/jobs/")]
    assert cli.returncode == 1 and "readonly" in cli.stdout + cli.stderr
    assert "cannot record the crawl in the database" in direct.stderr and "not crawling" in direct.stderr
    assert fetched == []
    assert count(read_only_db, "select count(*) from crawl_runs") == 0


def test_a_dead_or_zombie_process_is_not_alive_and_this_one_is():
    from medcoder.db import utcnow
    from medcoder.recovery import process_alive

    assert process_alive(os.getpid(), utcnow())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    # Not reaped yet: a zombie, as a killed crawl is until its parent collects it.
    state = lambda: Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]  # noqa: E731
    wait_until(lambda: state() == "Z", "a zombie", limit=30)
    assert not process_alive(child.pid, utcnow())
    child.wait()
    assert not process_alive(child.pid, utcnow())

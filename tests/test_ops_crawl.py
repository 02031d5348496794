"""`medcoder crawl` as a scheduled unit of work: run logs with rotation, summary lines, notification, the lock."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from medcoder.crawl_job import run_crawl_job
from medcoder.registry import SourceEntry
from medcoder.runlog import RunLog, SourceReport, rotate, run_logs, summary_line
from tests.fixture_server import FixtureServer, json_reply
from tests.spider_run import TEST_SETTINGS, rows
from tests.test_ops_lock import hold


def test_summary_line():
    report = SourceReport("gh:lake", "partial", kept=3, filtered=1, problems=1, duration=2.04)
    assert summary_line(report) == "gh:lake: partial kept=3 filtered=1 problems=1 duration=2.0s"


def test_rotation_keeps_the_newest_runs_with_their_scrapy_logs(tmp_path):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        with RunLog(tmp_path, keep=30, now=start + timedelta(days=day)) as log:
            log.scrapy_dir.mkdir()
            (log.scrapy_dir / "gh_lake.log").write_text("scrapy log")
    (tmp_path / "notes.txt").write_text("not a run log: never rotated")
    with RunLog(tmp_path, keep=3, now=start + timedelta(days=5)) as log:
        log.write("sixth run")
    assert [p.name for p in run_logs(tmp_path)] == [f"crawl-2026010{d}T000000.log" for d in (4, 5, 6)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["crawl-20260104T000000", "crawl-20260105T000000"]
    assert (tmp_path / "notes.txt").exists()
    assert rotate(tmp_path, 1) == [tmp_path / "crawl-20260104T000000.log", tmp_path / "crawl-20260105T000000.log"]
    # Two runs in the same second get distinct files, in order.
    same = datetime(2026, 2, 1, tzinfo=UTC)
    with RunLog(tmp_path, now=same) as a, RunLog(tmp_path, now=same) as b:
        pass
    assert (a.path.name, b.path.name) == ("crawl-20260201T000000.log", "crawl-20260201T000000-2.log")
    assert run_logs(tmp_path)[-2:] == [a.path, b.path]


BOARD = "/v1/boards/lake/jobs"
JOBS = {"jobs": [{"id": 8000 + n, "title": f"Inpatient Coder {n}", "absolute_url": f"https://jobs.example/{8000 + n}",
                  "location": {"name": "Austin, TX"}, "updated_at": "2026-11-01T00:00:00Z",
                  "content": "&lt;p&gt;CCS required; 3 years of inpatient coding.&lt;/p&gt;"} for n in range(2)]}


def test_an_empty_run_is_logged_degraded_and_notified(tmp_path):
    db = tmp_path / "radar.db"
    hook = tmp_path / "hook.txt"
    command = f'cat > {hook}; echo "status=$MEDCODER_RUN_STATUS degraded=$MEDCODER_DEGRADED_SOURCES log=$MEDCODER_LOG_FILE" >> {hook}'
    with FixtureServer({BOARD: [json_reply(json.dumps(JOBS)), json_reply('{"jobs": []}')]}) as server:
        entry = SourceEntry("gh:lake", "greenhouse", "Lake", "US", True, {"board": "lake", "api_base": server.url})
        first = run_crawl_job([entry], db=db, settings=TEST_SETTINGS, notify_command=command)
        assert first.status == "ok" and first.notified == [] and not hook.exists()  # a healthy run notifies nobody
        second = run_crawl_job([entry], db=db, settings=TEST_SETTINGS, notify_command=command)

    assert first.log_path.parent == tmp_path / "logs" and first.analysed.analysed == 2
    text = first.log_path.read_text()
    assert re.search(r"gh:lake: ok kept=2 filtered=0 problems=0 duration=\d+\.\ds\n", text)
    assert (first.log_path.with_suffix("") / "gh_lake.log").read_text().count("Spider closed (finished)") == 1

    assert second.status == "degraded" and second.degraded == ["gh:lake"] and second.notified == ["command"]
    (report,) = second.reports
    assert (report.status, [c.check for c in report.checks]) == ("degraded", ["items"])
    hook_text = hook.read_text()
    assert hook_text.startswith("gh:lake: degraded kept=0 filtered=0 problems=0")
    assert "items fail (no postings kept; the last 1 runs kept 2 (median))" in hook_text
    assert f"status=degraded degraded=gh:lake log={second.log_path}" in hook_text
    assert "notified: command" in second.log_path.read_text()
    assert rows(db, "select count(*) n from postings where closed_at is null") == [{"n": 2}]


def medcoder(*args, env=None):
    return subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, timeout=300,
                          env=env)


def test_a_second_medcoder_crawl_exits_2_at_once_naming_the_first(tmp_path):
    db = tmp_path / "radar.db"
    holder = hold(db)
    try:
        proc = medcoder("crawl", "--spider", "demo_board", "-a", "url=http://127.0.0.1:9/jobs/", "--db", db)
    finally:
        holder.stdin.close()
        holder.wait()
    assert proc.returncode == 2
    assert re.search(rf"another crawl is running on {re.escape(str(db))} \(pid {holder.pid} since 20\d\d-", proc.stderr)
    assert not db.exists()  # refused before creating or touching anything


def test_crawl_cli_writes_the_run_log_and_honours_the_notify_variable(tmp_path):
    db = tmp_path / "radar.db"
    hook = tmp_path / "hook.txt"
    env = {**os.environ, "MEDCODER_NOTIFY_COMMAND": f"cat > {hook}"}
    settings = [x for k, v in TEST_SETTINGS.items() for x in ("-s", f"{k}={v}")]
    with FixtureServer({BOARD: json_reply("{}", 500)}) as server:
        proc = medcoder("crawl", "--spider", "greenhouse", "-a", "board=lake", "-a", f"api_base={server.url}",
                        "-a", "source=gh:lake", "--db", db, "--log-dir", tmp_path / "runs", *settings, env=env)
    assert proc.returncode == 1 and "gh:lake: failed" in proc.stderr
    (log,) = run_logs(tmp_path / "runs")
    assert f"run log: {log}" in proc.stderr.replace("\n", "")
    assert "run failed: 1 sources, 1 failed, 0 degraded" in log.read_text()
    assert hook.read_text().startswith("gh:lake: failed kept=0 filtered=0 problems=")

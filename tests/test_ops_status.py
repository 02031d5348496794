"""`medcoder status` on crafted databases: what it shows and the exit code monitoring reads."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from medcoder.db import connect
from medcoder.registry import load_registry
from medcoder.status import collect_status, format_age, parse_age

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def registry(tmp_path, *ids, disabled=()):
    path = tmp_path / "reg.toml"
    path.write_text("version = 1\n" + "".join(
        f'[[source]]\nid = "{i}"\nspider = "greenhouse"\nlabel = "{i}"\ncountry = "US"\nenabled = {str(i not in disabled).lower()}\n'
        f'args = {{ board = "{i.split(":")[1]}" }}\n' for i in (*ids, *disabled)))
    return path


def add_run(db, source, hours_ago, status, health="ok", kept=5, errors=0, checks=()):
    with db.conn:
        db["sources"].upsert({"id": source, "name": source}, pk="id")
        run = db["crawl_runs"].insert({"source_id": source, "spider": "greenhouse", "started_at": at(hours_ago),
                                       "finished_at": at(hours_ago - 0.1), "status": status, "health": health,
                                       "items_kept": kept, "errors": errors}).last_pk
        db["run_checks"].insert_all({"crawl_run_id": run, "check": c, "status": s, "detail": d} for c, s, d in checks)
    return run


@pytest.fixture
def crafted(tmp_path):
    """Four sources: fresh and ok; degraded last night; failing since a good run 3 days ago; interrupted."""
    db_path = tmp_path / "s.db"
    db = connect(db_path)
    add_run(db, "gh:fresh", 30, "ok")
    add_run(db, "gh:fresh", 6, "partial", errors=1)
    add_run(db, "gh:degraded", 30, "ok")
    add_run(db, "gh:degraded", 6, "ok", health="fail", kept=0,
            checks=[("items", "fail", "no postings kept; the last 1 runs kept 5 (median)"), ("retries", "warn", "2 retries")])
    add_run(db, "gh:old", 72, "ok")
    add_run(db, "gh:old", 6, "failed", kept=0, errors=3)
    add_run(db, "gh:killed", 30, "ok")
    add_run(db, "gh:killed", 6, "running", health=None)
    add_run(db, "demo_board", 1, "failed")  # not in the registry: shown, never judged
    db.conn.close()
    return db_path


def test_each_source_verdict(crafted, tmp_path):
    reg = load_registry(registry(tmp_path, "gh:fresh", "gh:degraded", "gh:old", "gh:killed", disabled=("gh:off",)))
    st = collect_status(reg, crafted, max_age=parse_age("2d"), now=NOW)
    got = {s.source_id: (s.status, s.problem, format_age(s.age)) for s in st.sources}
    assert got == {
        "gh:fresh": ("partial", None, "6h"),
        "gh:degraded": ("degraded", "last run degraded", "30h"),
        "gh:old": ("failed", "last run failed", "3d 0h"),
        "gh:killed": ("interrupted", "last run interrupted", "30h"),  # no crawl holds the lock: it died
        "demo_board": ("failed", "last run failed", "never"),
    }
    degraded = next(s for s in st.sources if s.source_id == "gh:degraded")
    assert [c["check"] for c in degraded.checks] == ["items", "retries"]  # failures first
    assert not st.healthy
    only_fresh = collect_status(load_registry(registry(tmp_path, "gh:fresh")), crafted, now=NOW)
    assert only_fresh.healthy  # demo_board's failure does not count: it is not a registry source
    stale = collect_status(load_registry(registry(tmp_path, "gh:fresh")), crafted, max_age=parse_age("3h"), now=NOW)
    assert [s.problem for s in stale.sources if s.in_registry] == ["stale: last good run 6h ago"]


def medcoder(*args):
    return subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_exit_codes_for_monitoring(tmp_path):
    db_path = tmp_path / "s.db"
    db = connect(db_path)
    now = datetime.now(UTC)
    for source in ("gh:a", "gh:b"):
        with db.conn:
            db["sources"].insert({"id": source, "name": source})
            db["crawl_runs"].insert({"source_id": source, "spider": "greenhouse", "status": "ok", "health": "ok",
                                     "started_at": (now - timedelta(hours=3)).replace(microsecond=0).isoformat(), "items_kept": 4})
    reg = registry(tmp_path, "gh:a", "gh:b")
    healthy = medcoder("status", "--db", db_path, "--registry", reg, "--format", "json")
    assert healthy.returncode == 0, healthy.stderr
    report = json.loads(healthy.stdout)
    assert report["healthy"] is True and [s["status"] for s in report["sources"]] == ["ok", "ok"]

    add_run(db, "gh:b", 1, "ok", health="fail", kept=0, checks=[("items", "fail", "no postings kept; usually 4")])
    degraded = medcoder("status", "--db", db_path, "--registry", reg)
    assert degraded.returncode == 1
    lines = degraded.stdout.splitlines()
    assert lines[0].split() == ["source", "last", "run", "status", "kept", "problems", "fresh", "verdict"]
    source, _, status, kept, *_ = lines[2].split()
    assert (source, status, kept) == ("gh:b", "degraded", "0") and lines[2].endswith("last run degraded")
    assert lines[3:] == ["gh:b: items fail: no postings kept; usually 4", "unhealthy"]

    missing = medcoder("status", "--db", tmp_path / "nope.db", "--registry", reg)
    assert missing.returncode == 2 and "no database" in missing.stderr

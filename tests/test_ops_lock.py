"""The per-database crawl lock, between real processes: refused at once, named holder, free again after SIGKILL."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from medcoder.crawl_job import run_crawl_job
from medcoder.lock import LockHeld, crawl_lock, holder_alive, lock_path, read_holder
from medcoder.registry import SourceEntry

# Takes the lock, says so on stdout, then holds it until killed or its stdin closes.
HOLDER = textwrap.dedent("""
    import sys
    from medcoder.lock import crawl_lock
    with crawl_lock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()
""")


def hold(db):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_taker_is_refused_at_once_with_the_holder_named(tmp_path):
    db = tmp_path / "m.db"
    holder = hold(db)
    try:
        with pytest.raises(LockHeld) as err:
            with crawl_lock(db):
                pass
        assert err.value.pid == holder.pid and err.value.since
        assert str(err.value) == f"another crawl is running on {db} (pid {holder.pid} since {err.value.since})"
        # Another path to the same file is the same lock.
        with pytest.raises(LockHeld):
            with crawl_lock(tmp_path / "." / "m.db"):
                pass
        # A different database is not blocked.
        with crawl_lock(tmp_path / "other.db"):
            pass
    finally:
        holder.stdin.close()
        holder.wait()
    # Released normally: the file is cleared and the lock is free.
    assert read_holder(db) is None
    with crawl_lock(db):
        assert read_holder(db).pid == os.getpid()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    db = tmp_path / "m.db"
    holder = hold(db)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # The file still names the dead process: only the kernel's lock went away.
    stale = read_holder(db)
    assert stale.pid == holder.pid and not holder_alive(stale) and lock_path(db).exists()
    with crawl_lock(db):
        assert read_holder(db).pid == os.getpid()


def test_crawl_job_refuses_to_start_while_another_holds_the_database(tmp_path):
    db = tmp_path / "m.db"
    holder = hold(db)
    entry = SourceEntry("gh:x", "greenhouse", "x", "US", True, {"board": "x", "api_base": "http://127.0.0.1:9"})
    try:
        with pytest.raises(LockHeld):
            run_crawl_job([entry], db=db, log_dir=tmp_path / "logs")
    finally:
        holder.stdin.close()
        holder.wait()
    assert not db.exists() and not (tmp_path / "logs").exists()  # nothing was started, not even the database

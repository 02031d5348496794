"""`medcoder backup` while another process keeps writing: every copy is whole, consistent and self-contained."""

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from medcoder.backup import BackupError, backup_database
from medcoder.db import connect

# Writes until told to stop: each transaction adds a crawl run and one error row for it, so in any consistent
# snapshot the two tables have exactly as many rows. A short busy timeout makes a blocked writer fail loudly.
WRITER = textwrap.dedent("""
    import os, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], timeout=2)
    n = 0
    while n < 200000 and not (n % 50 == 0 and os.path.exists(sys.argv[2])):
        with conn:
            cur = conn.execute("insert into crawl_runs (source_id, spider, status) values (null, 'w', 'ok')")
            conn.execute("insert into crawl_errors (crawl_run_id, kind, message) values (?, 'w', ?)", (cur.lastrowid, 'x' * 200))
        n += 1
        if n == 50:
            print("writing", flush=True)
    print(n, flush=True)
""")


def medcoder(*args):
    return subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, timeout=120)


def counts(path):
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("pragma quick_check").fetchone()[0], conn.execute("pragma journal_mode").fetchone()[0],
                conn.execute("select count(*) from crawl_runs").fetchone()[0],
                conn.execute("select count(*) from crawl_errors").fetchone()[0])
    finally:
        conn.close()


def test_backups_taken_during_writes_are_consistent(tmp_path):
    db = tmp_path / "live.db"
    connect(db).conn.close()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        first = backup_database(db, tmp_path / "b1.db")
        (tmp_path / "backups").mkdir()
        cli = medcoder("backup", tmp_path / "backups", "--db", db)  # a folder: a time-stamped file inside it
        second = backup_database(db, tmp_path / "b2.db")
    finally:
        stop.touch()
        written = int(writer.stdout.readline())
        assert writer.wait() == 0  # never blocked long enough to hit "database is locked"
    assert cli.returncode == 0, cli.stderr
    (from_cli,) = (tmp_path / "backups").glob("live-*.db")
    assert "backup written to" in cli.stdout and str(from_cli) in cli.stdout
    copies = [first.path, from_cli, second.path]
    for path in copies:
        check, mode, runs, errors = counts(path)
        assert (check, mode) == ("ok", "delete")  # whole, and one file: no -wal beside it to forget
        assert runs == errors and 50 <= runs <= written  # a snapshot of one moment: never a run without its error row
    assert first.tables["crawl_runs"] <= second.tables["crawl_runs"]
    assert not list(tmp_path.glob(".*partial*"))


def test_backup_refuses_to_overwrite_or_copy_onto_itself(tmp_path):
    db = tmp_path / "m.db"
    connect(db).conn.close()
    backup_database(db, tmp_path / "b.db")
    with pytest.raises(BackupError, match="exists; use --force"):
        backup_database(db, tmp_path / "b.db")
    assert backup_database(db, tmp_path / "b.db", overwrite=True).path == tmp_path / "b.db"
    with pytest.raises(BackupError, match="the database itself"):
        backup_database(db, db, overwrite=True)
    with pytest.raises(BackupError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "c.db")

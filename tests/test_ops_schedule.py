"""`medcoder schedule`: what --print shows, and install/status/remove in a temporary crontab.

The crontab is a fake ``crontab`` executable first on PATH that keeps the
"user crontab" in a temporary file: a real process, as cron's own
``crontab -l`` / ``crontab -`` are, and the real user crontab is never touched.
"""

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from medcoder.schedule import MARKER, Schedule
from tests.fixture_server import FixtureServer, json_reply
from tests.spider_run import rows
from tests.test_ops_crawl import BOARD, JOBS

FAKE_CRONTAB = """#!/bin/sh
# Test double of cron's crontab(1): the user's crontab is the file $FAKE_CRONTAB_FILE.
case "$1" in
  -l) if [ -f "$FAKE_CRONTAB_FILE" ]; then cat "$FAKE_CRONTAB_FILE"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$FAKE_CRONTAB_FILE" ;;
  *) echo "fake crontab: unsupported $*" >&2; exit 2 ;;
esac
"""


@pytest.fixture
def cron_env(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(FAKE_CRONTAB)
    fake.chmod(0o755)
    table = tmp_path / "crontab.txt"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_CRONTAB_FILE": str(table),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return env, table


def medcoder(env, *args):
    return subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, timeout=120,
                          env=env)


def test_print_shows_the_cron_line_and_installs_nothing(cron_env, tmp_path):
    env, table = cron_env
    proc = medcoder(env, "schedule", "install", "--every", "6h", "--at", "01:15", "--db", tmp_path / "r.db", "--print",
                    "--notify-command", "logger -t medcoder %s")
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.splitlines()[1]
    venv_medcoder = Path(sys.executable).parent / "medcoder"
    assert line.startswith("15 1,7,13,19 * * * mkdir -p ")
    assert f"{venv_medcoder} crawl --db {tmp_path / 'r.db'} --log-dir {tmp_path / 'logs'}" in line
    assert "'logger -t medcoder \\%s'" in line  # cron reads a bare % as a newline
    assert f">> {tmp_path / 'logs' / 'scheduled.log'} 2>&1" in line and line.endswith(f"{MARKER}{tmp_path / 'r.db'}")
    assert not table.exists()


def test_print_systemd_units(cron_env, tmp_path):
    env, _ = cron_env
    proc = medcoder(env, "schedule", "install", "--every", "weekly", "--method", "systemd", "--print", "--db", tmp_path / "r.db")
    assert proc.returncode == 0, proc.stderr
    assert f"# {tmp_path / 'config' / 'systemd' / 'user'}/medcoder-crawl-" in proc.stdout
    assert "OnCalendar=Mon *-*-* 03:30:00\nPersistent=true" in proc.stdout
    assert re.search(rf"ExecStart=\S+/medcoder crawl --db {re.escape(str(tmp_path / 'r.db'))} --log-dir ", proc.stdout)
    assert not (tmp_path / "config").exists()


def test_next_run():
    sched = Schedule("6h", "01:15", Path("/d/r.db"), Path("/d/logs"))
    assert sched.next_run(datetime(2026, 11, 28, 20, 0)) == datetime(2026, 11, 29, 1, 15)
    weekly = Schedule("weekly", "03:30", Path("/d/r.db"), Path("/d/logs"))
    assert weekly.next_run(datetime(2026, 11, 28, 20, 0)) == datetime(2026, 11, 30, 3, 30)  # the Monday after


def test_install_status_remove_in_a_temporary_crontab(cron_env, tmp_path):
    env, table = cron_env
    table.write_text("MAILTO=me@example.org\n0 5 * * * /usr/bin/backup-photos\n")
    db, other = tmp_path / "r.db", tmp_path / "other.db"
    first = medcoder(env, "schedule", "install", "--every", "daily", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "installed (cron): 30 3 * * * " in first.stdout and "next run: " in first.stdout
    medcoder(env, "schedule", "install", "--every", "12h", "--at", "02:00", "--db", db)  # replaces, never duplicates
    medcoder(env, "schedule", "install", "--every", "daily", "--db", other)
    lines = table.read_text().splitlines()
    assert lines[:2] == ["MAILTO=me@example.org", "0 5 * * * /usr/bin/backup-photos"]
    assert [line.split(" crawl ")[0].split(" mkdir")[0] for line in lines[2:]] == ["0 2,14 * * *", "30 3 * * *"]
    assert lines[2].endswith(f"{MARKER}{db}") and lines[3].endswith(f"{MARKER}{other}")

    status = medcoder(env, "schedule", "status", "--db", db)
    assert "scheduled with cron: 0 2,14 * * *" in status.stdout
    assert re.search(r"next run: 20\d\d-\d\d-\d\d (02|14):00\n", status.stdout)
    assert "last run: none logged" in status.stdout

    removed = medcoder(env, "schedule", "remove", "--db", db)
    assert removed.returncode == 0 and "removed crontab: 0 2,14 * * *" in removed.stdout
    assert table.read_text().splitlines() == lines[:2] + lines[3:]  # the other database's schedule and the user's own lines stay
    assert "nothing to remove" in medcoder(env, "schedule", "remove", "--db", db).stdout


def test_the_installed_cron_command_runs_a_crawl(cron_env, tmp_path):
    """What cron would do: hand the installed command to /bin/sh, and a crawl lands in the database."""
    env, table = cron_env
    db = tmp_path / "data" / "r.db"
    with FixtureServer({BOARD: json_reply(json.dumps(JOBS))}) as server:
        reg = tmp_path / "reg.toml"
        reg.write_text(f'version = 1\n[[source]]\nid = "gh:lake"\nspider = "greenhouse"\nlabel = "Lake"\ncountry = "US"\n'
                       f'args = {{ board = "lake", api_base = "{server.url}" }}\n')
        installed = medcoder(env, "schedule", "install", "--db", db, "--registry", reg)
        assert installed.returncode == 0, installed.stderr
        (line,) = table.read_text().splitlines()
        command = line.split(" ", 5)[5].replace("\\%", "%")  # after the five time fields, as cron reads it
        cron_like = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}  # cron's bare environment
        assert subprocess.run(["/bin/sh", "-c", command], env=cron_like, cwd=tmp_path, timeout=300).returncode == 0
    assert rows(db, "select count(*) n from postings") == [{"n": 2}]
    assert "gh:lake: ok" in (tmp_path / "data" / "logs" / "scheduled.log").read_text()
    status = medcoder(env, "schedule", "status", "--db", db)
    assert re.search(r"last run: 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.*crawl-\d{8}T\d{6}\.log\)", status.stdout)

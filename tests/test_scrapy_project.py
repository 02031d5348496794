"""The Scrapy project works as Scrapy users expect, from the repository root."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from medcoder.demo.board import DemoBoardServer

ROOT = Path(__file__).resolve().parent.parent


def scrapy(*args, env=None):
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_scrapy_list_from_the_root():
    proc = scrapy("list")
    assert proc.returncode == 0, proc.stderr
    assert "demo_board" in proc.stdout.split()


def test_scrapy_crawl_writes_to_the_database_named_by_the_setting(tmp_path):
    db = tmp_path / "direct.db"
    with DemoBoardServer() as board:
        proc = scrapy("crawl", "demo_board", "-a", f"url={board.listing_url}", "-s", f"MEDCODER_DB={db}",
                      "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from postings").fetchone()[0] > 50
    assert conn.execute("select spider, status from crawl_runs").fetchall() == [("demo_board", "partial")]


def test_scrapy_crawl_honours_the_environment_variable(tmp_path):
    import os

    db = tmp_path / "env.db"
    with DemoBoardServer() as board:
        proc = scrapy("crawl", "demo_board", "-a", f"url={board.listing_url}", "-s", "DOWNLOAD_DELAY=0",
                      "-s", "AUTOTHROTTLE_ENABLED=False", env=dict(os.environ, MEDCODER_DB=str(db)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sqlite3.connect(db).execute("select count(*) from filtered_postings").fetchone()[0] >= 10


def test_user_agent_names_medcoder_with_a_contact():
    from crawlers import settings

    assert "medcoder" in settings.USER_AGENT and "+http" in settings.USER_AGENT
    assert settings.ROBOTSTXT_OBEY is True and 429 in settings.RETRY_HTTP_CODES
    assert settings.REMOTE_CONTROL_ENABLED is False and settings.TELNETCONSOLE_ENABLED is False

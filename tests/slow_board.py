"""Helpers for the fault and distributed-crawl tests: a demo board that serves job pages slowly, and bounded waits.

A slow board keeps a crawl in flight long enough to kill, interrupt or
read from it; the waits poll for a condition (rows stored, a server up)
and give up after a bound, so a broken crawl fails the test instead of
hanging it.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from medcoder.crawl import scrapy_env
from medcoder.demo.board import DemoBoardServer, _Handler, load_postings

ROOT = Path(__file__).resolve().parent.parent


class _SlowHandler(_Handler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.startswith("/jobs/") and self.path.endswith(".html"):
            time.sleep(self.server.job_page_delay)
        super().do_GET()


class SlowBoardServer(DemoBoardServer):
    """The demo board with every job page delayed by ``job_page_delay`` seconds (changeable while serving)."""

    def __init__(self, postings=None, job_page_delay: float = 0.2):
        super().__init__(postings)
        self.RequestHandlerClass = _SlowHandler
        self.job_page_delay = job_page_delay

    def job_page_fetches(self) -> dict[str, int]:
        """How many times each job page was asked for."""
        counts: dict[str, int] = {}
        for path in list(self.requests):
            if path.startswith("/jobs/") and path.endswith(".html"):
                counts[path] = counts.get(path, 0) + 1
        return counts


def well_formed_postings():
    """The demo postings without the three broken pages: a crawl of them is ``ok``, so it could close postings."""
    return tuple(p for p in load_postings() if p.data["layout"] != "broken")


def count(db_path: Path, sql: str, *params) -> int:
    """One number from ``db_path``; 0 while the file or the table does not exist yet."""
    if not Path(db_path).exists():
        return 0
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        conn.close()


def wait_until(condition, what: str, *, limit: float = 90.0, procs=()) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``limit`` seconds or if a watched process exits."""
    deadline = time.monotonic() + limit
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"process exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit:.0f}s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrapy_cmd(spider: str, db_path: Path, args: dict[str, str], settings: dict[str, str]) -> list[str]:
    """``python -m scrapy crawl`` with medcoder's test settings, as :func:`medcoder.crawl.run_spider` builds it."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for k, v in args.items():
        cmd += ["-a", f"{k}={v}"]
    for k, v in {"MEDCODER_DB": str(db_path), **settings}.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def run_workers(cmd: list[str], db_path: Path, log_dir: Path, n: int = 2, timeout: float = 240) -> list[Path]:
    """Start ``n`` copies of one crawl command at once (the workers of a distributed crawl), wait for all; their logs.

    Each must exit 0; a failure shows the end of its log.
    """
    logs = [log_dir / f"worker{i}.log" for i in range(1, n + 1)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=scrapy_env(db_path), stdout=log.open("w"), stderr=subprocess.STDOUT)
             for log in logs]
    for proc in procs:
        proc.wait(timeout=timeout)
    for proc, log in zip(procs, logs):
        assert proc.returncode == 0, log.read_text()[-3000:]
    return logs

"""The Scrapyd route: a real scrapyd on 127.0.0.1, the project egg deployed, demo_board scheduled via schedule.json."""

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from configparser import ConfigParser
from pathlib import Path

import pytest

from medcoder.demo.board import DemoBoardServer, load_postings
from medcoder.scrapyd_egg import build_egg

ROOT = Path(__file__).resolve().parent.parent
# Bounds for waiting on other processes: generous, so a slow machine is not a failure, yet a hang ends the test.
START_BOUND, JOB_BOUND = 60, 180


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, fields=None, files=None):
    """GET (no fields) or POST form fields (a list of pairs, repeats allowed) and files; the JSON answer."""
    if fields is None:
        request = urllib.request.Request(url)
    elif files:
        boundary = uuid.uuid4().hex
        body = b""
        for name, value in fields:
            body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, path in files.items():
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    else:
        request = urllib.request.Request(url, urllib.parse.urlencode(fields).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_for(condition, bound, what):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what} after {bound}s")


@pytest.fixture
def scrapyd(tmp_path):
    """scrapyd in its own folder (its config there), on a free loopback port; stopped after the test."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.2\nmax_proc = 1\n")
    log = open(home / "scrapyd.out", "w")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"

    def up():
        if proc.poll() is not None:
            pytest.fail(f"scrapyd exited {proc.returncode}: {(home / 'scrapyd.out').read_text()[-2000:]}")
        try:
            return call(url + "daemonstatus.json")["status"] == "ok"
        except OSError:
            return False

    wait_for(up, START_BOUND, "scrapyd to answer")
    yield url, home
    proc.terminate()
    proc.wait(timeout=60)
    log.close()


def test_scrapyd_schedules_demo_board_into_the_database(scrapyd, tmp_path):
    url, home = scrapyd
    egg = build_egg(tmp_path / "dist")
    deployed = call(url + "addversion.json", [("project", "medcoder"), ("version", "1")], {"egg": egg})
    assert deployed["status"] == "ok" and deployed["spiders"] >= 10, deployed
    assert "demo_board" in call(url + "listspiders.json?project=medcoder")["spiders"]

    db = tmp_path / "scrapyd.db"
    with DemoBoardServer() as board:
        job = call(url + "schedule.json", [
            ("project", "medcoder"), ("spider", "demo_board"), ("url", board.listing_url),
            ("setting", f"MEDCODER_DB={db}"), ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ])
        assert job["status"] == "ok", job

        def finished():
            jobs = call(url + "listjobs.json?project=medcoder")
            return next((j for j in jobs["finished"] if j["id"] == job["jobid"]), None)

        done = wait_for(finished, JOB_BOUND, "the Scrapyd job to finish")
    conn = sqlite3.connect(db)
    try:
        (status, errors, kept, spider), = conn.execute("select status, errors, items_kept, spider from crawl_runs").fetchall()
        titles = {r[0] for r in conn.execute("select title from postings where scope = 'in'")}
    finally:
        conn.close()
    # The same outcome as a direct crawl (tests/test_crawl_demo.py): every coding job, the broken pages counted.
    coding = [p for p in load_postings() if p.expected.get("relevant") is True]
    broken = [p for p in load_postings() if p.expected.get("relevant") is None]
    assert (spider, status, errors, kept) == ("demo_board", "partial", len(broken), len(coding))
    assert titles == {p.data["title"] for p in coding}
    job_log = home / "logs" / "medcoder" / "demo_board" / f"{job['jobid']}.log"
    assert "Spider closed (finished)" in job_log.read_text() and done["log_url"]
    assert scrapy_cfg_deploy_target() == ("http://127.0.0.1:6800/", "medcoder")


def scrapy_cfg_deploy_target():
    """The [deploy] target scrapyd-deploy reads from scrapy.cfg."""
    cfg = ConfigParser()
    cfg.read(ROOT / "scrapy.cfg")
    return cfg["deploy"]["url"], cfg["deploy"]["project"]

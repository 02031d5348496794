"""The ``medcoder`` command, run as a user runs it (a real subprocess)."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from medcoder.cli import app

ROOT = Path(__file__).resolve().parent.parent


def medcoder(*args, cwd=None, check=True, env=None):
    proc = subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"medcoder {' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def command_names():
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_help_lists_every_command_with_a_purpose():
    text = medcoder("--help").stdout
    for name in command_names():
        line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 10 and "..." not in line, line


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in command_names():
        assert f"medcoder {name}" in readme, f"`medcoder {name}` is not in README.md"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-demo")
    proc = medcoder("demo", "--out", out / "run")
    return out / "run", proc


def test_demo_writes_database_report_and_summary(demo_dir):
    out, proc = demo_dir
    assert (out / "medcoder.db").exists()
    for name in ("gap-report.html", "gap-report.md", "gap-report.json"):
        assert (out / name).stat().st_size > 500
    assert "postings kept:" in proc.stdout and "filtered out" in proc.stdout and "top required credentials: CPC" in proc.stdout
    assert f"medcoder serve --db {out / 'medcoder.db'}" in proc.stdout
    serve_line = next(line for line in proc.stdout.splitlines() if "serve --db" in line).split()
    assert Path(serve_line[0]).name == "medcoder" and (serve_line[0] == "medcoder" or Path(serve_line[0]).exists())
    assert "[2/4]" in proc.stderr  # progress while it works
    report = json.loads((out / "gap-report.json").read_text())
    assert report["postings_considered"] > 50


def test_demo_db_option_and_rerun_adds_no_duplicates(tmp_path):
    import sqlite3

    db = tmp_path / "elsewhere.db"
    counts = []
    for _ in range(2):
        medcoder("demo", "--out", tmp_path / "o", "--db", db)
        conn = sqlite3.connect(db)
        counts.append(conn.execute("select (select count(*) from postings), (select count(*) from filtered_postings), "
                                   "(select count(*) from posting_requirements), (select count(*) from crawl_runs)").fetchone())
        conn.close()
    assert counts[0][:3] == counts[1][:3] and counts[0][0] > 50
    assert (counts[0][3], counts[1][3]) == (1, 2)
    assert not (tmp_path / "o" / "medcoder.db").exists()


def test_analyse_is_idempotent(demo_dir):
    out, _ = demo_dir
    proc = medcoder("analyse", "--db", out / "medcoder.db")
    assert proc.stdout.startswith("analysed 0 postings")


def test_medcoder_db_environment_variable(demo_dir, tmp_path):
    out, _ = demo_dir
    import os

    env = dict(os.environ, MEDCODER_DB=str(out / "medcoder.db"))
    proc = medcoder("analyse", cwd=tmp_path, env=env)
    assert proc.stdout.startswith("analysed 0 postings") and not (tmp_path / "data").exists()


def test_missing_database_is_a_clear_error(tmp_path):
    proc = medcoder("analyse", "--db", tmp_path / "nope.db", check=False)
    assert proc.returncode == 1 and "no database at" in proc.stderr and not (tmp_path / "nope.db").exists()


def test_extract_jsonl_in_input_order(tmp_path):
    a = tmp_path / "a.html"
    a.write_text("<h3>Requirements</h3><ul><li>CPC or CCS required</li><li>2+ years of coding experience</li></ul><p>Remote</p>")
    b = tmp_path / "b.txt"
    b.write_text("Inpatient Coder\nRequired:\n- CCS\n- Associate degree in HIM\nPay: $30 - $38 per hour")
    lines = medcoder("extract", a, b).stdout.strip().splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["input"] for r in recs] == [str(a), str(b)]
    assert [(c["id"], c["level"], c["group"]) for c in recs[0]["certifications"]] == [("CPC", "required", 1), ("CCS", "required", 1)]
    assert (recs[0]["experience_years_min"], recs[0]["remote"]) == (2, "remote")
    assert (recs[1]["education_min"], recs[1]["salary"]["currency"], recs[1]["salary"]["period"]) == ("associate", "USD", "hour")
    for key in ("certifications", "code_sets", "experience_years_min", "education_min", "remote", "tools", "skills", "salary", "scope", "role_family"):
        assert key in recs[1]


def test_gap_json_and_html(demo_dir, tmp_path):
    out, _ = demo_dir
    from analysis.profile import sample_profile_path

    proc = medcoder("gap", sample_profile_path(), "--db", out / "medcoder.db", "--format", "json", "--country", "IN")
    report = json.loads(proc.stdout)
    assert report["filters"]["country"] == "IN" and 0 < report["postings_considered"] < 40
    assert 0 <= report["qualified_share"] <= 1
    html = tmp_path / "r.html"
    medcoder("gap", sample_profile_path(), "--db", out / "medcoder.db", "--format", "html", "-o", html)
    assert "demand-chart" in html.read_text()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_datasette_on_loopback(demo_dir):
    out, _ = demo_dir
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "medcoder", "serve", "--db", str(out / "medcoder.db"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/medcoder/postings.json?_facet=remote&_size=0", timeout=5) as r:
                    data = json.load(r)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        assert {f["value"] for f in data["facet_results"]["remote"]["results"]} == {"remote", "hybrid", "onsite"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Stopping `medcoder serve` stops Datasette too: nothing is left listening on the port.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)

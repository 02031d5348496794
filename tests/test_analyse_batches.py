"""``analyse_db`` writes a batch of postings per transaction: a process killed mid-batch loses that batch whole.

The kill is real (SIGKILL from inside the write, as a power cut would
strike), and the next run must finish exactly what the killed one left.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from medcoder.db import connect

ROOT = Path(__file__).resolve().parents[1]
CREDENTIALS = ["CPC", "CCS", "RHIT", "CRC", "COC"]

# A child that analyses in batches of 2 and kills itself while writing the batch holding "p4"
# (postings p3 and p4): a temporary trigger calls a function that sends SIGKILL mid-transaction,
# after p3's requirements were written in the same transaction.
KILLED_CHILD = """
import os, signal, sys
import analysis.pipeline as pipeline
from medcoder.db import connect
db = connect(sys.argv[1])
db.conn.create_function("die", 0, lambda: os.kill(os.getpid(), signal.SIGKILL))
db.execute("create temp trigger die_on_p4 before update of analysed_hash on main.postings "
           "when new.id = 'p4' begin select die(); end")
pipeline.BATCH = 2
pipeline.analyse_db(db)
"""


def make_db(path: Path) -> None:
    db = connect(path)
    db["sources"].insert({"id": "workday:test", "name": "test"})
    db["postings"].insert_all(
        {"id": f"p{n}", "source_id": "workday:test", "title": "Outpatient Coder", "employer": f"Employer {n}",
         "country": "US", "scope": "in", "content_hash": f"h{n}",
         "description": f"## Requirements\n- {cred} required\n- {n}+ years of outpatient coding experience\n"
                        "- Knowledge of ICD-10-CM and CPT"}
        for n, cred in enumerate(CREDENTIALS, start=1))
    db.conn.close()


def state(path: Path) -> tuple[dict, set]:
    """Each posting's analysis columns and every requirement row (ids left out: only content counts)."""
    conn = sqlite3.connect(path)
    try:
        postings = {r[0]: r[1:] for r in conn.execute(
            "select id, analysed_hash, experience_years_min, role_family, role_level, remote from postings")}
        reqs = set(conn.execute("select posting_id, skill_id, category, level, alt_group, within_months, detail, evidence "
                                "from posting_requirements"))
        return postings, reqs
    finally:
        conn.close()


def test_a_killed_analysis_loses_one_whole_batch_and_the_next_run_completes_it(tmp_path):
    from analysis.pipeline import analyse_db

    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    make_db(killed)
    shutil.copy(killed, clean)
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(killed)], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr  # it died mid-write, not by an error of its own

    postings, reqs = state(killed)
    assert sqlite3.connect(killed).execute("pragma integrity_check").fetchone()[0] == "ok"
    # The first batch (p1, p2) committed whole; the killed batch (p3, p4) left nothing, p3 included; p5 was never reached.
    assert {pid for pid, cols in postings.items() if cols[0]} == {"p1", "p2"}
    assert {r[0] for r in reqs} == {"p1", "p2"}

    db = connect(killed)
    rerun = analyse_db(db)
    db.conn.close()
    assert (rerun.analysed, rerun.skipped) == (3, 2)  # exactly what the killed run left

    db = connect(clean)
    analyse_db(db)
    db.conn.close()
    assert state(killed) == state(clean)  # as if it had never been killed
    assert {r[1] for r in state(clean)[1] if r[3] == "required"} >= set(CREDENTIALS)  # the postings were really analysed

"""Emerging-term discovery on a crafted market: planted unknown terms rank high, known ones never appear."""

import json
import subprocess
import sys

import pytest

from analysis.emerging import emerging_terms, emerging_terms_db, requirement_sentences
from analysis.taxonomy import load_taxonomy
from medcoder.db import connect

CREDS = ["CPC", "CCS", "CRC", "COC"]


def posting(i: int) -> str:
    """A coding posting; some plant terms the taxonomy does not know, in requirements, benefits or boilerplate."""
    lines = ["## Requirements", f"- {CREDS[i % 4]} required", f"- {i % 3 + 1}+ years of coding experience",
             "- Knowledge of ICD-10-CM and CPT; Epic experience a plus"]
    if i % 3 == 0:  # postings 0, 3, 6, 9
        lines.append("- CRCR certification preferred for revenue cycle roles")
    if i % 4 == 1:  # postings 1, 5, 9
        lines.append("- CPC-P or CPC required for payer audit work")
    if i % 4 == 2:  # postings 2, 6, 10
        lines.append("- Experience with Apixio chart review preferred")
    if i in (4, 7):  # two postings only: below --min-postings 3
        lines.append("- Zentrafold experience is a plus")
    lines += ["## Benefits", "- We pay for your Quasarix exam and AAPC membership",
              "## About us", "Our 300 CPC-certified coders use Norvanta every day."]
    return "\n".join(lines)


POSTINGS = [posting(i) for i in range(12)]


def test_planted_terms_rank_first_and_known_or_rare_ones_never_appear():
    terms = emerging_terms(POSTINGS, top=10, min_postings=3)
    assert [(t.term, t.postings) for t in terms[:3]] == [("CRCR", 4), ("CPC-P", 3), ("Apixio", 3)]
    assert terms[0].example == "CRCR certification preferred for revenue cycle roles"
    found = {t.term for t in terms}
    # Benefits and company boilerplate are not requirement sentences; Zentrafold is in two postings only.
    assert not found & {"Quasarix", "Norvanta", "Zentrafold"}
    tax = load_taxonomy()
    for t in terms:  # no term is one the taxonomy matches whole
        assert not any(m.start == 0 and m.end == len(t.term) for m in tax.find(t.term)), t


def test_min_postings_and_top():
    assert [t.term for t in emerging_terms(POSTINGS, top=1, min_postings=3)] == ["CRCR"]
    assert "Zentrafold" in {t.term for t in emerging_terms(POSTINGS, top=30, min_postings=2)}
    assert emerging_terms(POSTINGS[:2], min_postings=3) == []


def test_requirement_sentences_leave_out_perks_and_boilerplate():
    assert requirement_sentences(posting(0)) == [
        "CPC required", "1+ years of coding experience", "Knowledge of ICD-10-CM and CPT;", "Epic experience a plus",
        "CRCR certification preferred for revenue cycle roles"]


@pytest.fixture
def market_db(tmp_path):
    path = tmp_path / "market.db"
    db = connect(path)
    rows = [{"id": f"p{i}", "title": "Medical Coder", "description": text, "scope": "in"} for i, text in enumerate(POSTINGS)]
    # A duplicate of a CRCR posting from another source must not count twice.
    rows.append({"id": "p0-dup", "title": "Medical Coder", "description": POSTINGS[0], "scope": "in", "is_representative": 0})
    db["postings"].insert_all(rows, alter=False)
    db.conn.close()
    return path


def test_database_counts_one_posting_per_duplicate_cluster(market_db):
    terms = emerging_terms_db(connect(market_db), top=3, min_postings=3)
    assert [(t.term, t.postings) for t in terms] == [("CRCR", 4), ("CPC-P", 3), ("Apixio", 3)]


def test_cli_emerging_json(market_db):
    proc = subprocess.run([sys.executable, "-m", "medcoder", "emerging", "--db", str(market_db), "--top", "2", "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert [(t["term"], t["postings"]) for t in json.loads(proc.stdout)] == [("CRCR", 4), ("CPC-P", 3)]


def test_cli_emerging_refuses_a_missing_database(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "medcoder", "emerging", "--db", str(tmp_path / "none.db")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "no database" in proc.stderr

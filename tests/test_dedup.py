"""De-duplication on a crafted set, on a synthetic market, and in the database."""

import numpy as np
import pytest

from analysis.dedup import BOUND_MARGIN, TEXT_THRESHOLD, DedupPosting, _sub_blocks, cluster, deduplicate_db, employer_key, \
    text_vectors, titles_compatible
from bench.synthetic import generate

BODY = ("## Requirements\n- CPC or CCS required\n- 2+ years of outpatient coding experience\n- Knowledge of ICD-10-CM and CPT\n"
        "## About us\nHarbor Valley Health is a 400-bed community system serving the Central Valley since 1951. " * 3)


def p(pid, source, employer, title, city="Fresno", country="US", remote="onsite", description=BODY, first_seen="2026-11-01"):
    return DedupPosting(pid, source, employer, title, city, country, remote, description, first_seen)


def test_employer_key():
    assert employer_key("R1 RCM, Inc.") == employer_key("r1 rcm") == "r1 rcm"
    assert employer_key("Kaveri Health Services Pvt. Ltd.") == "kaveri health"
    assert employer_key(None) == ""


def test_titles():
    assert titles_compatible("Outpatient Coder II", "Outpatient Coder")
    assert not titles_compatible("Outpatient Coder", "Inpatient DRG Validation Auditor")
    assert not titles_compatible("Outpatient Coder II", "Outpatient Coder III")
    assert not titles_compatible("Senior Outpatient Coder", "Outpatient Coder I")


# None: every block compared all-pairs; 2: every block split by _sub_blocks first. Both must give the same clusters.
@pytest.mark.parametrize("subblock_min", [None, 2])
def test_crafted_set(subblock_min):
    postings = [
        p("ats", "workday:harbor", "Harbor Valley Health", "Outpatient Coder II"),
        p("agg", "adzuna:us", "Harbor Valley Health, Inc.", "Outpatient Coder", first_seen="2026-10-30"),  # exact dupe
        p("near", "jobposting_pages:harbor", "harbor valley health", "Outpatient Coder II",
          description=BODY.replace("2+ years", "two or more years").replace("since 1951", "since 1951!")),  # near dupe
        p("other-employer", "workday:sierra", "Sierra Mercy Health", "Outpatient Coder II"),  # same text, other employer
        p("other-city", "workday:harbor", "Harbor Valley Health", "Outpatient Coder II", city="Modesto"),  # other place
        p("other-job", "workday:harbor", "Harbor Valley Health", "Inpatient DRG Coder",
          description="## Requirements\n- CCS required\n- 3 years of inpatient DRG coding\n- ICD-10-PCS and MS-DRG"),
        p("remote-copy", "remotive", "Harbor Valley Health", "Outpatient Coder II", city=None, remote="remote"),
        p("next-level", "workday:harbor", "Harbor Valley Health", "Outpatient Coder III"),  # same body, another level
    ]
    got = cluster(postings, subblock_min=subblock_min)
    assert got["ats"] == got["agg"] == got["near"] == got["remote-copy"] == "ats"  # the employer's ATS represents
    assert got["other-employer"] == "other-employer"
    assert got["other-city"] == "other-city"
    assert got["other-job"] == "other-job"
    assert got["next-level"] == "next-level"


@pytest.fixture(scope="module")
def market() -> list[DedupPosting]:
    """2,000 synthetic postings (bench/synthetic.py): 14 employers, about 12% cross-source duplicates."""
    return [DedupPosting(r["id"], r["source_id"], r["employer"], r["title"], r["city"], r["country"], r["remote"],
                         r["description"], r["first_seen"]) for r in generate(2000, seed=3) if r["scope"] == "in"]


def test_sub_blocks_keep_every_pair_that_can_match(market):
    # One employer's 142 postings, as the rows cluster() compares.
    block = [p for p in market if p.employer == "Harbor Valley Health"]
    sub = text_vectors(block)
    floor = TEXT_THRESHOLD - BOUND_MARGIN
    group_of = {row: g for g, rows in enumerate(_sub_blocks(sub, floor, batch=64)) for row in rows}
    sims = (sub @ sub.T).toarray()
    close = [(a, b) for a, b in zip(*np.nonzero(np.triu(sims, 1) >= floor))]
    assert len(close) >= 10  # the block holds duplicates, or this would test nothing
    assert all(a in group_of and group_of[a] == group_of[b] for a, b in close)
    assert len(group_of) < len(block) / 2  # and rows that can match nothing were left out


def test_sub_blocking_finds_the_same_clusters(market):
    whole = cluster(market, subblock_min=None)
    assert len(set(whole.values())) < len(market) - 100  # duplicates were found
    assert cluster(market, subblock_min=2) == whole


def test_in_the_database(fresh_db):
    rows = [dict(id=i, source_id=s, employer="Harbor Valley Health", title="Outpatient Coder", city="Fresno", country="US",
                 remote="onsite", description=BODY, first_seen="2026-11-01", scope="in") for i, s in
            (("a", "workday:harbor"), ("b", "adzuna:us"))]
    rows.append(dict(rows[0], id="c", employer="Sierra Mercy Health"))
    fresh_db["postings"].insert_all(rows)
    counts = deduplicate_db(fresh_db)
    assert counts == {"postings": 3, "clusters": 2, "duplicates": 1}
    got = {r["id"]: (r["cluster_id"], r["is_representative"]) for r in fresh_db["postings"].rows}
    assert got == {"a": ("a", 1), "b": ("a", 0), "c": ("c", 1)}
    assert deduplicate_db(fresh_db) == counts  # idempotent

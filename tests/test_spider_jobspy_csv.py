"""jobspy_csv: real Scrapy imports of JobSpy CSV exports (file:// through Scrapy) into a temporary database."""

import re
import shutil
import sqlite3

from crawlers.spiders.jobspy_csv import markdown_to_text
from tests.fixture_server import FIXTURES
from tests.spider_run import crawl, rows

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def import_csv(tmp_path, name: str, **settings):
    db = tmp_path / "jobspy.db"
    path = tmp_path / name  # a copy: the run records the path, and a test must not depend on the checkout's
    shutil.copy(FIXTURES / "jobspy_csv" / name, path)
    return db, crawl("jobspy_csv", db, settings=settings, path=str(path))


def test_jobspy_export_lands_under_each_site(tmp_path):
    db, result = import_csv(tmp_path, "jobs.csv")
    assert result.status == "partial"  # the Latin-1 row is reported and skipped
    (error,) = rows(db, "select kind, message from crawl_errors")
    assert error["kind"] == "invalid_encoding" and error["message"].startswith("row 6 ")
    assert (result.run["source_id"], result.run["items_scraped"]) == ("jobspy_csv", 7)

    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert set(kept) == {"in-7c1e52a0b9d34f11", "in-03f9d1e6a8b27c55", "li-4107735521", "nk-171126900412",
                         "in-5ab2e7c9014f8d3e", "li-4107801145"}
    assert rows(db, "select source_id, title from filtered_postings") == [
        {"source_id": "jobspy:linkedin", "title": "AR Caller - Medical Billing (Night Shift)"}]
    assert {r["source_id"] for r in kept.values()} == {"jobspy:indeed", "jobspy:linkedin", "jobspy:naukri"}
    # Every posting's source exists in sources, beside the run's own.
    assert {r["id"] for r in rows(db, "select id from sources")} == {"jobspy_csv", "jobspy:indeed", "jobspy:linkedin", "jobspy:naukri"}

    remote = kept["in-7c1e52a0b9d34f11"]  # markdown: bold-line headings, * bullets, escapes, a link
    assert (remote["remote"], remote["salary_min"], remote["salary_max"], remote["salary_period"]) == ("remote", 24.0, 29.0, "hour")
    assert remote["description"].splitlines()[1:4] == [
        "## Responsibilities",
        "- Code outpatient and ED encounters using ICD-10-CM, CPT and HCPCS",
        "- Append modifiers (25, 59, XU) per NCCI guidance"]
    assert "## Requirements\n- CPC, COC or CCS required\n- 2+ years of outpatient coding\n- Working knowledge of Epic and 3M 360" in remote["description"]
    assert '"job_url_direct": "https://careers.bluestem-health.example/jobs/4410"' in remote["extras"]
    assert "company_logo" not in remote["extras"] and "Prairie Ave" not in remote["extras"]

    inpatient = kept["in-03f9d1e6a8b27c55"]  # underlined headings, numbered list, a rule
    assert "## Qualifications\n- CCS or CIC certification\n- 3 years of inpatient coding with ICD-10-PCS and MS-DRG" in inpatient["description"]
    assert (inpatient["salary_annual_min"], inpatient["salary_annual_max"], inpatient["city"]) == (62000.0, 78000.0, "Dallas")

    risk = kept["li-4107735521"]  # empty min_amount
    assert (risk["salary_min"], risk["salary_max"], risk["salary_period"]) == (None, 31.0, "hour")
    assert "## You have\n- CRC required; CPC accepted with CRC within 6 months" in risk["description"]

    naukri = kept["nk-171126900412"]  # an HTML description, Naukri's extra columns
    assert "Roles & Responsibilities\n- Code E/M and surgery charts for US clients" in naukri["description"]
    assert (naukri["salary_currency"], naukri["salary_annual_min"], naukri["remote"], naukri["country"]) == ("INR", 300000.0, "onsite", "IN")
    assert '"skills": ["Medical Coding", "CPC", "ICD-10-CM", "E/M Coding"]' in naukri["extras"]
    assert '"experience_range": "1-3 Yrs"' in naukri["extras"] and '"vacancy_count": 25,' in naukri["extras"]

    denials = kept["in-5ab2e7c9014f8d3e"]  # quoted, multi-line, with commas and doubled quotes
    assert denials["employer"] == "Harbor Point Physicians, LLC"
    assert 'hiring a "Coding Denials Specialist", on site in Tampa.' in denials["description"]
    assert '- Educate providers on documentation, "medical necessity" and modifiers' in denials["description"]
    assert kept["li-4107801145"]["remote"] == "hybrid"


def test_no_email_address_reaches_the_database(tmp_path):
    exported = (FIXTURES / "jobspy_csv" / "jobs.csv").read_bytes().decode("utf-8", "replace")
    assert len(set(EMAIL.findall(exported))) == 4  # in the emails column and in descriptions
    db, result = import_csv(tmp_path, "jobs.csv")
    assert result.run["items_scraped"] == 7
    conn = sqlite3.connect(db)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "Summit Care Analytics" in dump and "Kaveri RCM Services" in dump  # kept and filtered rows are there...
    assert EMAIL.findall(dump) == []  # ...their e-mail addresses are not, in any table or column
    assert "[e-mail removed]" in dump


def test_missing_title_column_is_a_clear_error(tmp_path):
    db, result = import_csv(tmp_path, "no_title.csv")
    assert result.status == "failed"
    (error,) = rows(db, "select kind, message from crawl_errors")
    assert error["kind"] == "missing_columns" and "no column title" in error["message"]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]


def test_missing_file_is_a_clear_error_and_a_failed_run(tmp_path):
    db = tmp_path / "jobspy.db"
    missing = tmp_path / "not-exported-yet.csv"
    result = crawl("jobspy_csv", db, path=str(missing))
    assert result.status == "failed" and result.run["source_id"] == "jobspy_csv"
    (error,) = rows(db, "select kind, message from crawl_errors")
    assert error["kind"] == "file_missing" and str(missing) in error["message"]


def test_markdown_to_text():
    markdown = (
        "Intro with *emphasis*, __bold__ and `code`.\n\nOverview\n========\n\n#### Skills ####\n\n"
        "* CPC \\*required\\*\n    + nested item\n2. numbered\n\n***\n\n**Benefits**\n\n"
        "**This bold sentence is far too long to be a heading line**\n![logo](https://x.example/l.png)"
    )
    assert markdown_to_text(markdown) == (
        "Intro with emphasis, bold and code.\n## Overview\n## Skills\n- CPC *required*\n- nested item\n- numbered\n"
        "## Benefits\nThis bold sentence is far too long to be a heading line"
    )

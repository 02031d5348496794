"""Hostile input: whatever the web serves, the crawl completes, skips are logged and counted, stored data stays intact.

Each input and the behaviour expected of it is listed in
``tests/hostile/README.md``. Career pages are served by the misbehaving
raw-socket server (``tests/hostile_server.py``) and crawled once, through
a sitemap, by the real ``jobposting_pages`` spider with the project's own
size limits (``DOWNLOAD_MAXSIZE`` 10 MB, ``DOWNLOAD_WARNSIZE`` 2 MB);
Greenhouse boards are crawled by the real ``greenhouse`` spider. The tests
then read what each input left behind. The weak spots this suite found,
and how they were fixed, are in ``docs/reliability.md``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawlers.items import PostingItem
from medcoder.crawl import CrawlResult
from medcoder.db import connect
from medcoder.postings import upsert_posting
from tests.fixture_server import FixtureServer, json_reply
from tests.hostile_server import CloseMidBody, Drip, HostileServer, Page, Redirect, Stall
from tests.spider_run import crawl, rows, run_stats

CORPUS = Path(__file__).resolve().parent / "hostile"
MB = 2**20
SQL = "'; DROP TABLE postings; --"
TABLES = {"sources", "crawl_runs", "crawl_errors", "postings", "filtered_postings", "skills", "posting_requirements"}
# Short timeouts and one retry keep the stalled servers from slowing the suite; size limits stay the project's own.
HOSTILE_SETTINGS = {"DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "1", "MEMUSAGE_CHECK_INTERVAL_SECONDS": "0.5"}


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def job_page(ident: str, title: str, description_html: str) -> str:
    """The head of a career page whose JSON-LD carries ``description_html`` (the caller closes the body)."""
    job = {"@context": "https://schema.org", "@type": "JobPosting", "identifier": ident, "title": title,
           "description": description_html, "datePosted": "2026-11-06", "hiringOrganization": {"name": "Generated Health"},
           "jobLocation": {"address": {"addressLocality": "Austin", "addressRegion": "TX", "addressCountry": "US"}}}
    return ('<!doctype html><html><head><meta charset="utf-8"><script type="application/ld+json">'
            + json.dumps(job).replace("</", "<\\/") + "</script></head><body>")


def big_page(ident: str, size: int):
    """A valid job page of exactly ``size`` bytes, streamed in 64 KB chunks (its bulk is a long paragraph)."""
    head = job_page(ident, f"Medical Coder ({ident})", "<p>CPC required</p>").encode()
    tail = b"</body></html>"

    def chunks():
        yield head
        left = size - len(head) - len(tail)
        block = b"<p>" + b"x" * (64 * 1024 - 8) + b"</p>\n"
        while left > 0:
            yield block[:left]
            left -= len(block)
        yield tail

    return chunks


def gzip_bomb(expanded: int) -> bytes:
    """A job page followed by ``expanded`` bytes of spaces, gzip-compressed to about 1/1000 of that."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    parts = [packer.compress(job_page("bomb", "Medical Coder (bomb)", "<p>CPC required</p>").encode())]
    spaces = b" " * MB
    parts += [packer.compress(spaces) for _ in range(expanded // MB)]
    parts.append(packer.flush())
    return b"".join(parts)


DEEP = 10_000
LONG = 100_000


def routes() -> dict:
    html = {"Content-Type": "text/html; charset=utf-8"}
    deep = job_page("deep", "Medical Coder (deep nesting)", "<div>" * DEEP + "<p>CPC required</p>" + "</div>" * DEEP) + "</body></html>"
    long_line = (job_page("long", "Medical Coder (long lines)", "<p>" + ("CPC required; ICD-10-CM and CPT daily. " * 2600)[:LONG] + "</p>")
                 + "<p>" + "y" * LONG + "</p></body></html>")
    out = {
        "/jobs/control": Page(corpus("control.html")),
        "/jobs/invalid-utf8": Page(corpus("invalid_utf8.html")),
        # No charset in the HTTP header: the page's own <meta> (windows-1252) decides.
        "/jobs/mixed-encodings": Page(corpus("mixed_encodings.html"), {"Content-Type": "text/html"}),
        "/jobs/wrong-types": Page(corpus("wrong_types.html")),
        "/jobs/script-sql": Page(corpus("script_sql.html")),
        "/jobs/zero-width": Page(corpus("zero_width_rtl.html")),
        "/jobs/deep-nesting": Page(deep.encode()),
        "/jobs/long-lines": Page(long_line.encode()),
        "/jobs/huge-with-length": Page(big_page("huge-with-length", 20 * MB), html, length=20 * MB),
        "/jobs/huge-without-length": Page(big_page("huge-without-length", 20 * MB), html, content_length=False),
        "/jobs/warn-size": Page(big_page("warn-size", 3 * MB), html, length=3 * MB),
        "/jobs/gzip-bomb": Page(gzip_bomb(200 * MB), {**html, "Content-Encoding": "gzip"}),
        "/jobs/loop-a": Redirect("/jobs/loop-b"),
        "/jobs/loop-b": Redirect("/jobs/loop-a"),
        "/jobs/stall": Stall(60),
        "/jobs/drip": Drip(10_000, 0.5),
        "/jobs/cut": CloseMidBody(corpus("control.html") * 50, 2000),
    }
    for k in range(12):  # a chain of ever-new URLs, longer than REDIRECT_MAX_TIMES (5)
        out[f"/jobs/hop-{k}"] = Redirect(f"/jobs/hop-{k + 1}", 301)
    return out


@dataclass
class Crawled:
    db: Path
    result: CrawlResult
    stats: dict
    log: str
    requests: list[str] = field(default_factory=list)

    def errors(self, page: str) -> list[str]:
        return [r["kind"] for r in rows(self.db, "select kind, url from crawl_errors") if r["url"].endswith(page)]

    def posting(self, job_id: str) -> dict | None:
        found = rows(self.db, "select * from postings where source_job_id = ?", job_id)
        return found[0] if found else None


KEEPER = PostingItem(source="greenhouse:earlier", url="https://boards.example/earlier/1", title="Inpatient Coder II",
                     source_job_id="earlier-1", employer="Earlier Health", description="CCS required.",
                     extras={"relevance": {"scope": "in", "score": 0.9, "reason": "seeded"}})


def seeded_db(path: Path) -> Path:
    """A database that already holds a posting from an earlier crawl of another source."""
    db = connect(path)
    upsert_posting(db, KEEPER, now="2026-11-01T00:00:00+00:00")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Crawled:
    """One real jobposting_pages crawl of every hostile career page, through a sitemap."""
    db = seeded_db(tmp_path_factory.mktemp("hostile") / "medcoder.db")
    server_routes = routes()
    with HostileServer(server_routes) as server:
        listed = [p for p in server_routes if p.startswith("/jobs/") and p not in ("/jobs/loop-b",)
                  and not (p.startswith("/jobs/hop-") and p != "/jobs/hop-0")]
        urls = "".join(f"<url><loc>{server.url}{p}</loc></url>" for p in listed)
        server.routes["/sitemap.xml"] = Page(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                             f"{urls}</urlset>".encode(), {"Content-Type": "application/xml"})
        result = crawl("jobposting_pages", db, sitemap=f"{server.url}/sitemap.xml", settings=HOSTILE_SETTINGS)
        requests = list(server.requests)
    return Crawled(db, result, run_stats(result), result.log_path.read_text(encoding="utf-8", errors="replace"), requests)


# --- the run as a whole -------------------------------------------------------------------------


def test_the_crawl_completes_and_counts_its_skips(pages):
    run = pages.result.run
    assert run["finish_reason"] == "finished" and run["status"] == "partial"
    # Every skip is a crawl_errors row and in the run's error count (log errors add the given-up retries).
    kinds = [r["kind"] for r in rows(pages.db, "select kind from crawl_errors")]
    assert run["errors"] >= len(kinds) == pages.stats["medcoder/problems"]
    assert sorted(set(kinds)) == ["incomplete_jobposting", "network_error", "redirect_loop", "too_large"]


def test_stored_data_stays_intact(pages):
    conn = sqlite3.connect(pages.db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert TABLES <= {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    finally:
        conn.close()
    # The earlier source's posting is untouched, and a partial crawl closes nothing.
    (earlier,) = rows(pages.db, "select * from postings where source_id = 'greenhouse:earlier'")
    assert (earlier["title"], earlier["description"], earlier["closed_at"]) == ("Inpatient Coder II", "CCS required.", None)
    assert rows(pages.db, "select count(*) n from postings where closed_at is not null") == [{"n": 0}]
    control = pages.posting("control-1")
    assert control["title"] == "Outpatient Coder" and control["description"].startswith("## Requirements\n- CPC or CCS required")


def test_memory_stays_bounded(pages):
    # Two 20 MB pages and a 200 MB gzip bomb: the crawl process grows by what the limits allow, not by what was sent.
    growth = pages.stats["memusage/max"] - pages.stats["memusage/startup"]
    assert growth < 150 * MB, f"crawl grew by {growth / MB:.0f} MB"


# --- encodings and text ---------------------------------------------------------------------------


def test_invalid_utf8_is_replaced_not_fatal(pages):
    p = pages.posting("bad-utf8")
    assert p["title"] == "Medical Coder \ufffd\ufffd Invalid UTF-8" and p["employer"] == "Byt\ufffd Health"
    assert p["description"].startswith("CPC required. Broken bytes:") and p["description"].endswith("end.")
    assert pages.errors("/jobs/invalid-utf8") == []


def test_mixed_encodings_follow_the_page_declaration(pages):
    p = pages.posting("mixed-1")
    # windows-1252 as declared: the dash, accent and curly quotes read right; the pasted UTF-8 bytes stay mojibake.
    assert p["title"] == "Medical Coder \u2013 Caf\u00e9 Health" and p["employer"] == "Caf\u00e9 Health"
    assert p["description"].startswith("\u201cCPC\u201d required.")
    assert (p["city"], p["country"]) == ("Chennai", "IN")


def test_zero_width_and_right_to_left_characters_are_dropped(pages):
    p = pages.posting("zero-width-1")
    assert p["title"] == "Medical Coder \u0645\u0628\u0631\u0645\u062c \u0637\u0628\u064a"
    assert p["employer"] == "ZeroWidth Health" and p["city"] == "Hyderabad"
    assert p["description"].startswith("CPC required. CCS preferred.")
    levels = {r["skill_id"]: r["level"] for r in rows(pages.db, "select skill_id, level from posting_requirements where posting_id = ?", p["id"])}
    if levels:  # requirements exist once the run was analysed (medcoder crawl does; the bare spider may not)
        assert levels.get("CPC") == "required"


def test_100k_character_lines(pages):
    p = pages.posting("long")
    assert len(p["description"]) == LONG - 1  # the trailing space is trimmed
    assert p["description"].startswith("CPC required; ICD-10-CM and CPT daily.")


# --- structure ------------------------------------------------------------------------------------


def test_jsonld_with_wrong_types_in_every_field(pages):
    stored = {r["title"]: r for r in rows(pages.db, "select * from postings where url like '%/jobs/wrong-types' or url = '12345'")}
    # Lists and objects are read as text where they hold text; what holds none is left empty.
    first = stored["Medical Coder, Wrong Types"]
    assert (first["source_job_id"], first["employer"], first["posted_at"], first["valid_through"]) == ("1, 2", "7", None, None)
    assert first["url"].endswith("/jobs/wrong-types")  # a "url" of 12345 is no address: the page's own is kept
    assert first["salary_min"] is None and first["remote"] == "remote"
    second = stored["Inpatient Coder"]
    assert second["description"].startswith("CCS required") and second["employer"] is None
    # The two JobPostings with no usable title are reported; JSON-LD that is a bare number or string is ignored.
    assert pages.errors("/jobs/wrong-types") == ["incomplete_jobposting", "incomplete_jobposting"]


def test_deeply_nested_description_is_kept(pages):
    # 10,000 nested elements: html_to_text walks them without recursion, so the posting is text, not a crash.
    p = pages.posting("deep")
    assert p is not None and p["description"] == "CPC required"
    assert "RecursionError" not in pages.log and "Error processing" not in pages.log


# --- size limits ----------------------------------------------------------------------------------


def test_20mb_page_with_content_length_is_refused_before_download(pages):
    assert pages.errors("/jobs/huge-with-length") == ["too_large"]
    assert pages.posting("huge-with-length") is None
    assert "Expected to receive 20971520 bytes which is larger than download max size" in pages.log


def test_20mb_page_without_content_length_is_cut_at_the_limit(pages):
    assert pages.errors("/jobs/huge-without-length") == ["too_large"]
    assert pages.posting("huge-without-length") is None
    assert re.search(r"Received \d+ bytes which is larger than download max size \(10485760\)", pages.log)


def test_page_over_warnsize_is_kept_with_a_warning(pages):
    assert pages.posting("warn-size")["title"] == "Medical Coder (warn-size)"
    assert "larger than download warn size (2097152)" in pages.log and pages.errors("/jobs/warn-size") == []


def test_gzip_bomb_is_refused_while_unpacking(pages):
    assert pages.posting("bomb") is None
    assert re.search(r"Ignored response <200 \S+/jobs/gzip-bomb> because its body .* exceeded DOWNLOAD_MAXSIZE", pages.log)
    assert pages.stats["log_count/WARNING"] >= 1


def test_gzip_bomb_is_a_counted_problem(pages):
    assert pages.errors("/jobs/gzip-bomb") == ["too_large"]


# --- misbehaving servers --------------------------------------------------------------------------


def test_redirect_loops_are_reported(pages):
    assert pages.errors("/jobs/loop-a") == ["redirect_loop"]
    assert pages.errors("/jobs/hop-0") == ["redirect_loop"]
    assert "/jobs/hop-5" in pages.requests and "/jobs/hop-6" not in pages.requests


def test_slow_servers_time_out(pages):
    for page in ("/jobs/stall", "/jobs/drip"):
        assert pages.errors(page) == ["network_error"], page
    messages = [r["message"] for r in rows(pages.db, "select message from crawl_errors where kind = 'network_error'")]
    assert sum("took longer than 3.0 seconds" in m for m in messages) == 2
    assert pages.requests.count("/jobs/stall") == 2  # the first try and one retry


def test_connection_closed_mid_body(pages):
    assert pages.errors("/jobs/cut") == ["network_error"]
    assert pages.stats["downloader/exception_type_count/scrapy.exceptions.ResponseDataLossError"] == 2


# --- <script> and SQL in every field --------------------------------------------------------------


def test_script_and_sql_strings_are_stored_verbatim(pages):
    p = pages.posting("1' OR '1'='1")
    assert p["title"] == f'Medical Coder <script>alert("title")</script> {SQL}'
    assert p["employer"] == "<script>alert(\"employer\")</script> Robert'); DROP TABLE sources;--"
    assert p["salary_text"] == f"<b>$20</b>{SQL}" and p["employment_type"] == '<script>alert("type")</script>'
    assert p["posted_at"] == "2026-11-01"
    assert p["url"].endswith("/jobs/script-sql")  # the JobPosting's "javascript:..." url is not an address
    # Text that was escaped in the page is kept as text; a live <script> element is markup, and dropped.
    assert '<script>alert("description")</script> 1; DELETE FROM postings WHERE 1=1; --' in p["description"]
    assert 'alert("live")' not in p["description"] and "{{ 7*7 }} ${7*7}" in p["description"]
    assert rows(pages.db, "select count(*) n from postings")[0]["n"] >= 9


@pytest.fixture(scope="module")
def analysed(pages, tmp_path_factory) -> Path:
    """A copy of the hostile crawl's database, analysed as ``medcoder crawl`` leaves it."""
    from analysis.pipeline import analyse_db

    path = tmp_path_factory.mktemp("analysed") / "medcoder.db"
    shutil.copy(pages.db, path)
    db = connect(path)
    analyse_db(db)
    db.conn.close()
    return path


def _gap_html(db_path: Path) -> str:
    from analysis.gap import gap_report
    from analysis.profile import load_profile, sample_profile_path
    from analysis.report import render

    db = connect(db_path)
    profile = load_profile(sample_profile_path())
    try:
        report = gap_report(db, profile)
    finally:
        db.conn.close()
    assert any("<script>" in (b["title"] or "") for b in report["best_matches"]), "the hostile posting must be in the report"
    return render(report, "html", profile_name=profile.name)


def test_gap_report_html_escapes_hostile_text(analysed):
    page = _gap_html(analysed)
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "Medical Coder &lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&#34;city&#34;)&gt;" in page


def test_gap_report_links_only_web_addresses(analysed):
    hrefs = re.findall(r'href="([^"]*)"', _gap_html(analysed))
    assert hrefs and all(h.startswith(("http://", "https://", "#")) for h in hrefs), hrefs


def test_datasette_serves_hostile_text_inert(analysed):
    from medcoder.serve import datasette_app

    title = f'Medical Coder <script>alert("title")</script> {SQL}'

    async def fetch():
        ds = datasette_app(analysed)
        await ds.invoke_startup()
        pid = rows(analysed, "select id from postings where title = ?", title)[0]["id"]
        as_json = await ds.client.get(f"/medcoder/postings.json?id={pid}&_shape=objects")
        table = await ds.client.get(f"/medcoder/postings?id={pid}")
        row = await ds.client.get(f"/medcoder/postings/{pid}")
        return as_json, table, row

    as_json, table, row = asyncio.run(fetch())
    assert as_json.status_code == 200 and as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["rows"][0]["title"] == title  # JSON carries the text as data, byte for byte
    for page in (table, row):
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<script>alert(" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;title&#34;)" in page.text
        assert 'href="javascript:' not in page.text


# --- the Greenhouse API ---------------------------------------------------------------------------


def crawl_board(tmp: Path, fixture_name: str) -> tuple[Path, CrawlResult]:
    db = seeded_db(tmp / "medcoder.db")
    with FixtureServer({"/v1/boards/hostile/jobs": json_reply(corpus(fixture_name))}) as server:
        result = crawl("greenhouse", db, board="hostile", api_base=server.url)
    return db, result


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> tuple[Path, CrawlResult]:
    return crawl_board(tmp_path_factory.mktemp("gh"), "greenhouse_board.json")


def test_greenhouse_hostile_strings_bytes_and_invisible_characters(board):
    db, result = board
    assert result.status == "ok" and result.run["items_kept"] == 4
    by_id = {r["source_job_id"]: r for r in rows(db, "select * from postings where source_id = 'greenhouse:hostile'")}
    assert by_id["501"]["title"] == f'Medical Coder <script>alert("title")</script> {SQL}'
    assert '<script>alert("description")</script> 1; DELETE FROM postings WHERE 1=1; --' in by_id["501"]["description"]
    assert 'alert("live")' not in by_id["501"]["description"]
    assert json.loads(by_id["501"]["extras"])["metadata"] == {'<script>alert("meta")</script>': SQL}
    assert by_id["502"]["title"] == "Medical Coder \ufffd\ufffd bytes" and by_id["502"]["employer"] == "Byte \ufffd Health"
    assert by_id["503"]["title"] == "Risk Adjustment Coder \u0645\u0628\u0631\u0645\u062c"
    assert by_id["503"]["description"] == "CRC required. CPC preferred."
    assert by_id["504"]["description"] == "## Requirements\n- CPC required"
    assert rows(db, "select title from postings where source_id = 'greenhouse:earlier'") == [{"title": "Inpatient Coder II"}]


@pytest.fixture(scope="module")
def wrong_board(tmp_path_factory) -> tuple[Path, CrawlResult]:
    return crawl_board(tmp_path_factory.mktemp("gh-wrong"), "greenhouse_wrong_types.json")


def test_greenhouse_job_with_wrong_types_is_skipped_and_the_rest_kept(wrong_board):
    db, result = wrong_board
    # The run finishes, says it met problems, and closes nothing (the earlier source's posting stays open).
    assert result.run["finish_reason"] == "finished" and result.status == "partial" and result.run["errors"] >= 1
    assert rows(db, "select count(*) n from postings where closed_at is not null") == [{"n": 0}]
    # The job with wrong types, the one without an id and the entry that is not a job are each reported;
    # the jobs before and after them are stored.
    titles = {r["title"] for r in rows(db, "select title from postings")}
    assert titles == {"Inpatient Coder", "Pro-Fee Coder", "Inpatient Coder II"}
    kinds = [r["kind"] for r in rows(db, "select kind from crawl_errors")]
    assert len(kinds) == 3 and "incomplete_job" in kinds

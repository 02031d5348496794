"""feed: real Scrapy crawls of local RSS 2.0 and Atom job feeds."""

import pytest

from crawlers.spiders.feed import decode_xml, rfc822_to_iso, xml_ready
from tests.fixture_server import FixtureServer, Reply, fixture
from tests.spider_run import crawl, rows, run_stats

RSS = "/feeds/coding.rss"
ATOM = "/feeds/him.atom"
# The feeds' own addresses: api_base sends the requests to the fixture server instead.
RSS_URL = "https://jobs.example.org" + RSS


def rss_reply(body: bytes | str, status: int = 200, content_type: str = "application/rss+xml; charset=UTF-8") -> Reply:
    return Reply(body, status, {"Content-Type": content_type})


def test_rss_feed_with_pages_extensions_and_entities(tmp_path):
    db = tmp_path / "feed.db"
    routes = {f"{RSS}?page=2": rss_reply(fixture("feed", "rss_page2.xml")), RSS: rss_reply(fixture("feed", "rss.xml"))}
    with FixtureServer(routes) as server:
        result = crawl("feed", db, url=RSS_URL, api_base=server.url)
    assert server.paths() == ["/robots.txt", RSS, f"{RSS}?page=2"]
    assert result.status == "partial"  # page 2 has an item without title and link
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "incomplete_item", "url": f"{server.url}{RSS}?page=2"}]
    kept = {r["title"]: r for r in rows(db, "select * from postings")}
    assert set(kept) == {"Outpatient Coder – Remote (CPC/CCS)", "Medical Coder - CPC Certified Freshers (Noida)",
                         "Risk Adjustment Coder (CRC)", "Inpatient DRG Coder"}
    assert {r["source_id"] for r in kept.values()} == {"feed:jobs.example.org"}

    remote = kept["Outpatient Coder – Remote (CPC/CCS)"]  # <job:...> extensions, CDATA HTML, RFC 822 date in GMT
    assert (remote["source_job_id"], remote["url"]) == ("hij-8812", "https://jobs.example.org/job/8812-outpatient-coder")
    assert (remote["employer"], remote["remote"], remote["employment_type"]) == ("Northwind Health Partners", "remote", "Full-time")
    assert remote["posted_at"] == "2026-11-17"
    assert (remote["salary_min"], remote["salary_max"], remote["salary_period"]) == (24.0, 30.0, "hour")
    assert "## Requirements\n- CPC or CCS required" in remote["description"]
    assert "- Code ED & clinic encounters with ICD-10-CM, CPT and HCPCS" in remote["description"]
    extras = remote["extras"]
    assert '"author": "Maya Ortiz"' in extras and '"categories": ["Medical Coding", "Remote"]' in extras
    assert "@" not in extras  # RSS <author> is an e-mail address: only the name is kept

    noida = kept["Medical Coder - CPC Certified Freshers (Noida)"]  # unprefixed <company>, entity-escaped HTML, &nbsp;
    assert (noida["employer"], noida["city"], noida["country"], noida["posted_at"]) == ("Yamuna Healthcare Solutions", "Noida", "IN", "2026-11-16")
    assert "Walk-in drive on Saturday for CPC certified freshers." in noida["description"]
    assert (noida["salary_currency"], noida["salary_annual_min"], noida["salary_annual_max"]) == ("INR", 240000.0, 300000.0)

    risk = kept["Risk Adjustment Coder (CRC)"]  # no pubDate; content:encoded preferred over the short description
    assert risk["posted_at"] is None and "- CRC required, or CPC with CRC within 6 months" in risk["description"]
    assert "Short summary" not in risk["description"] and '"author": "Priya Raman"' in risk["extras"]
    assert kept["Inpatient DRG Coder"]["country"] == "IN"  # from page 2

    (developer,) = rows(db, "select title, reason from filtered_postings")
    assert developer["title"] == "Python Developer – Claims Platform" and "software" in developer["reason"]


def test_atom_feed(tmp_path):
    db = tmp_path / "feed.db"
    with FixtureServer({ATOM: Reply(fixture("feed", "atom.xml"), headers={"Content-Type": "application/atom+xml"})}) as server:
        result = crawl("feed", db, url=server.url + ATOM)
    assert result.status == "ok"
    kept = {r["title"]: r for r in rows(db, "select * from postings")}
    assert set(kept) == {"Coding Quality Auditor & Educator", "E/M Coder – Bengaluru"}
    assert {r["source_id"] for r in kept.values()} == {"feed:127.0.0.1"}
    auditor = kept["Coding Quality Auditor & Educator"]  # content type="html", rel=alternate chosen over the enclosure
    assert auditor["url"] == "https://careers.example.net/jobs/4471"
    assert auditor["source_job_id"] == "tag:careers.example.net,2026:job-4471"
    assert (auditor["employer"], auditor["city"], auditor["region"], auditor["posted_at"]) == ("Meridian Health", "Columbus", "OH", "2026-11-19")
    assert "## Required\n- CCS and CPMA" in auditor["description"]
    assert "- Teach coders about documentation & query practice" in auditor["description"]
    assert (auditor["salary_annual_min"], auditor["salary_annual_max"]) == (68000.0, 82000.0)
    assert '"author": "Meridian Health Talent Team"' in auditor["extras"] and "recruiting@" not in auditor["extras"]
    bengaluru = kept["E/M Coder – Bengaluru"]  # content type="xhtml", only <updated>
    assert bengaluru["posted_at"] == "2026-11-18" and bengaluru["country"] == "IN"
    assert "## Requirements\n- CPC or CPC-A" in bengaluru["description"]
    assert rows(db, "select title from filtered_postings") == [{"title": "AR Caller (Voice Process)"}]


def test_wrongly_declared_encoding_is_decoded_by_what_the_bytes_are(tmp_path):
    db = tmp_path / "feed.db"
    body = fixture("feed", "rss_latin1.xml")
    assert b'encoding="UTF-8"' in body and "José".encode("latin-1") in body  # ISO-8859-1 bytes that claim UTF-8
    with FixtureServer({RSS: rss_reply(body)}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert result.status == "ok"
    (coder,) = rows(db, "select * from postings")
    assert coder["employer"] == "Sahyadri Médica Services"
    assert "José Núñez" in coder["description"] and "Zoë Müller" in coder["description"]
    assert coder["salary_currency"] == "INR" and coder["salary_annual_min"] == 300000.0
    assert run_stats(result)["medcoder/feed_encoding"] == "cp1252"


def test_truncated_feed_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "feed.db"
    with FixtureServer({RSS: rss_reply(fixture("feed", "truncated.xml"))}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_feed"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]
    assert rows(db, "select count(*) n from filtered_postings") == [{"n": 0}]


def test_an_html_page_is_not_a_feed(tmp_path):
    db = tmp_path / "feed.db"
    page = "<html><head><title>Jobs</title></head><body><p>Our feed moved.</p></body></html>"
    with FixtureServer({RSS: Reply(page, headers={"Content-Type": "text/html"})}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert result.status == "failed"
    (error,) = rows(db, "select kind, message from crawl_errors")
    assert error["kind"] == "invalid_feed" and "<html>" in error["message"]


def test_empty_feed_is_ok(tmp_path):
    db = tmp_path / "feed.db"
    with FixtureServer({RSS: rss_reply(fixture("feed", "empty.xml"))}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_feed_that_is_gone(tmp_path):
    db = tmp_path / "feed.db"
    with FixtureServer({}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "feed.db"
    replies = [rss_reply("busy", 429), rss_reply(fixture("feed", "empty.xml"))]
    with FixtureServer({RSS: replies}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert server.paths().count(RSS) == 2
    assert result.status == "ok" and run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "feed.db"
    with FixtureServer({RSS: rss_reply("oops", 500)}) as server:
        result = crawl("feed", db, url=server.url + RSS)
    assert server.paths().count(RSS) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


@pytest.mark.parametrize("body, header, expected", [
    ("Zoë".encode(), None, ("Zoë", "utf-8")),
    ("Zoë".encode("latin-1"), "utf-8", ("Zoë", "cp1252")),
    ('<?xml version="1.0" encoding="ISO-8859-1"?>é'.encode("latin-1"), None, ('<?xml version="1.0" encoding="ISO-8859-1"?>é', "iso8859-1")),
    ("Zoë".encode("utf-16"), None, ("Zoë", "utf-16")),
    (b"caf\xc3\xa9", "iso-8859-1", ("café", "utf-8")),  # valid UTF-8 wins over a Latin-1 label
])
def test_decode_xml(body, header, expected):
    assert decode_xml(body, header) == expected


def test_xml_ready_and_rfc822():
    assert xml_ready('<?xml version="1.0" encoding="UTF-8"?>\n<a>&nbsp;&amp;&eacute;&bogus;</a>') == "\n<a>&#160;&amp;&#233;&bogus;</a>"
    assert rfc822_to_iso("Mon, 16 Nov 2026 18:45:00 +0530") == "2026-11-16T18:45:00+05:30"
    assert rfc822_to_iso("Sun, 15 Nov 2026 12:00:00 EST") == "2026-11-15T12:00:00-05:00"
    assert rfc822_to_iso("last Tuesday") is None

"""jobposting_pages: real Scrapy crawls of a local career site, through its sitemap or its listing pages."""

import gzip

from tests.fixture_server import FixtureServer, Reply, fixture, html_reply
from tests.spider_run import crawl, rows, run_stats

SPIDER = "jobposting_pages"
JOB_PAGES = {  # path on the sitemap site -> fixture
    "/jobs/remote-outpatient-coder": "job_plain.html",
    "/jobs/chennai-hcc-coder": "job_graph.html",
    "/jobs/inpatient-coder-ii": "job_array.html",
    "/jobs/em-coder-hyderabad": "job_blocks.html",
    "/jobs/coding-quality-auditor": "job_invalid.html",
    "/jobs/ar-caller-noida": "job_ar_caller.html",
    "/jobs/surgical-coder-filled": "job_filled.html",
    "/jobs/internal-hcc-audit-lead": "job_profee.html",  # disallowed by robots.txt
    "/about-us": "job_filled.html",
    "/blog/five-modifier-mistakes": "job_filled.html",
}


def page(name: str) -> Reply:
    return html_reply(fixture("jobposting_pages", name))


def xml_reply(body: bytes | str, status: int = 200) -> Reply:
    return Reply(body, status, {"Content-Type": "application/xml; charset=utf-8"})


def site(routes: dict | None = None) -> FixtureServer:
    """A server with the career site's robots.txt; routes can be added until it is entered."""
    server = FixtureServer({}, robots=fixture("jobposting_pages", "robots.txt").decode())
    for path, reply in (routes or {}).items():
        server.routes[path] = reply if isinstance(reply, list) else [reply]
    return server


def localised(server: FixtureServer, name: str) -> bytes:
    """A sitemap fixture with ``BASE`` replaced by the server's address (sitemaps list absolute URLs)."""
    return fixture("jobposting_pages", name).replace(b"BASE", server.url.removeprefix("http://").encode())


def sitemap_site() -> FixtureServer:
    server = site({path: page(name) for path, name in JOB_PAGES.items()})
    server.routes["/sitemap_index.xml"] = [xml_reply(localised(server, "sitemap_index.xml"))]
    server.routes["/sitemaps/jobs-1.xml"] = [xml_reply(localised(server, "sitemap_jobs_1.xml"))]
    # A .xml.gz file as servers send it: gzip bytes, no Content-Encoding, so Scrapy does not unpack it.
    server.routes["/sitemaps/jobs-2.xml.gz"] = [Reply(gzip.compress(localised(server, "sitemap_jobs_2.xml")),
                                                      headers={"Content-Type": "application/x-gzip"})]
    return server


def test_sitemap_index_plain_and_gzipped_sitemaps(tmp_path):
    db = tmp_path / "jp.db"
    with sitemap_site() as server:
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap_index.xml", follow="^/jobs/",
                       employer="Deccan Health Services")
    paths = server.paths()
    assert {"/sitemaps/jobs-1.xml", "/sitemaps/jobs-2.xml.gz"} <= set(paths)
    # robots.txt disallows it, and the follow pattern keeps the about page and the blog out.
    assert "/jobs/internal-hcc-audit-lead" not in paths
    assert "/about-us" not in paths and "/blog/five-modifier-mistakes" not in paths
    stats = run_stats(result)
    assert stats["robotstxt/forbidden"] == 1 and stats["medcoder/sitemap_urls_skipped"] == 2
    # The filled position is listed as a job page but has no JobPosting: counted, not an error.
    assert stats["medcoder/pages_without_jobposting"] == 1
    assert result.status == "partial"
    assert rows(db, "select kind, url from crawl_errors") == [
        {"kind": "invalid_jsonld", "url": f"{server.url}/jobs/coding-quality-auditor"}]

    kept = {r["title"]: r for r in rows(db, "select * from postings")}
    assert set(kept) == {"Outpatient Coder – Remote", "HCC Risk Adjustment Coder", "Inpatient Coder II",
                         "E&M Coder (Certified)"}
    assert {r["source_id"] for r in kept.values()} == {"jobposting_pages:127.0.0.1"}
    plain = kept["Outpatient Coder – Remote"]  # one block; entities in title and description
    assert (plain["source_job_id"], plain["employer"], plain["remote"], plain["country"]) == ("LVH-20417", "Lakeview Health", "remote", "US")
    assert (plain["salary_min"], plain["salary_max"], plain["salary_period"]) == (24.0, 30.0, "hour")
    assert "- Assign ICD-10-CM, CPT & HCPCS Level II codes to outpatient encounters" in plain["description"]
    assert "## What you'll do" in plain["description"]
    graph = kept["HCC Risk Adjustment Coder"]  # @graph
    assert (graph["city"], graph["country"], graph["salary_currency"], graph["salary_period"]) == ("Chennai", "IN", "INR", "month")
    assert graph["posted_at"] == "2026-11-12"
    array = kept["Inpatient Coder II"]  # array, no datePosted
    assert array["posted_at"] is None and array["salary_annual_min"] == 58000.0
    blocks = kept["E&M Coder (Certified)"]  # several blocks, no hiringOrganization: -a employer= fills it
    assert blocks["employer"] == "Deccan Health Services" and blocks["country"] == "IN"
    assert rows(db, "select title from filtered_postings") == [{"title": "AR Caller - US Healthcare (Night Shift)"}]


def test_listing_pages_with_pagination(tmp_path):
    db = tmp_path / "jp.db"
    routes = {
        "/careers/?page=2": page("careers_page2.html"),
        "/careers/?page=3": page("careers_page3.html"),
        "/careers/teams/coding": page("careers_team_coding.html"),
        "/careers/job/remote-outpatient-coder": page("job_plain.html"),
        "/careers/job/chennai-hcc-coder": page("job_graph.html"),
        "/careers/job/inpatient-coder-ii": page("job_array.html"),
        "/careers/job/ar-caller-noida": page("job_ar_caller.html"),
        "/careers/job/em-coder-hyderabad": page("job_blocks.html"),
        "/careers/job/profee-coder-cardiology": page("job_profee.html"),
    }
    with site(routes) as server:
        other = f"localhost:{server.server_address[1]}"  # same server, another host name: must not be fetched
        server.routes["/careers/"] = [html_reply(fixture("jobposting_pages", "careers_page1.html").replace(b"OTHERHOST", other.encode()))]
        result = crawl(SPIDER, db, url=f"{server.url}/careers/")
    paths = server.paths()
    assert {"/careers/?page=2", "/careers/?page=3", "/careers/teams/coding", "/careers/job/profee-coder-cardiology"} <= set(paths)
    # Not the about page (path does not match), not links on job pages, not another host.
    assert "/about-us" not in paths and "/careers/job/similar-not-followed" not in paths
    assert all(r.headers.get("Host") != other for r in server.requests)
    assert result.status == "ok" and result.run["errors"] == 0
    stats = run_stats(result)
    assert stats["medcoder/listing_pages"] == 4 and "medcoder/pages_without_jobposting" not in stats
    assert sorted(r["title"] for r in rows(db, "select title from postings")) == [
        "E&M Coder (Certified)", "HCC Risk Adjustment Coder", "Inpatient Coder II", "Outpatient Coder – Remote",
        "Pro-Fee Coder, Cardiology"]
    assert {r["source_id"] for r in rows(db, "select source_id from postings")} == {"jobposting_pages:127.0.0.1"}
    assert len(rows(db, "select id from filtered_postings")) == 1


def test_max_pages_bounds_the_listing_crawl(tmp_path):
    db = tmp_path / "jp.db"
    routes = {"/careers/": page("careers_page1.html"), "/careers/?page=2": page("careers_page2.html"),
              "/careers/?page=3": page("careers_page3.html"), "/careers/teams/coding": page("careers_team_coding.html")}
    with site(routes) as server:
        result = crawl(SPIDER, db, url=f"{server.url}/careers/", max_pages="2")
    assert "/careers/?page=3" not in server.paths()
    stats = run_stats(result)
    assert stats["medcoder/listing_pages"] == 2 and stats["medcoder/max_pages_reached"] >= 1


def one_page_sitemap(server: FixtureServer, *paths: str) -> Reply:
    urls = "".join(f"<url><loc>{server.url}{p}</loc></url>" for p in paths)
    return xml_reply(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def test_page_over_download_maxsize_is_skipped_and_reported(tmp_path):
    db = tmp_path / "jp.db"
    huge = fixture("jobposting_pages", "job_plain.html").replace(b"</body>", b"<p>" + b"x" * 200_000 + b"</p></body>")
    with site({"/jobs/huge": html_reply(huge), "/jobs/profee": page("job_profee.html")}) as server:
        server.routes["/sitemap.xml"] = [one_page_sitemap(server, "/jobs/huge", "/jobs/profee")]
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml", settings={"DOWNLOAD_MAXSIZE": "50000"})
    assert result.status == "partial"
    # Scrapy cancels the download (Content-Length is over the limit) and counts the exception type.
    assert run_stats(result)["downloader/exception_type_count/scrapy.exceptions.DownloadCancelledError"] == 1
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "too_large", "url": f"{server.url}/jobs/huge"}]
    assert rows(db, "select title from postings") == [{"title": "Pro-Fee Coder, Cardiology"}]


def test_redirect_loops_are_reported_and_the_crawl_completes(tmp_path):
    db = tmp_path / "jp.db"
    with site({"/jobs/profee": page("job_profee.html")}) as server:
        # A loop back to a URL already crawled: the dupe filter drops it, the spider reports it.
        server.routes["/jobs/moved-a"] = [Reply(b"", 302, {"Location": f"{server.url}/jobs/moved-b"})]
        server.routes["/jobs/moved-b"] = [Reply(b"", 302, {"Location": "/jobs/moved-a"})]
        # A chain of ever new URLs: REDIRECT_MAX_TIMES stops it.
        for n in range(8):
            server.routes[f"/jobs/hop-{n}"] = [Reply(b"", 301, {"Location": f"/jobs/hop-{n + 1}"})]
        server.routes["/sitemap.xml"] = [one_page_sitemap(server, "/jobs/moved-a", "/jobs/hop-0", "/jobs/profee")]
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml", settings={"REDIRECT_MAX_TIMES": "3"})
    paths = server.paths()
    assert paths.count("/jobs/moved-a") == 1 and paths.count("/jobs/moved-b") == 1
    assert "/jobs/hop-3" in paths and "/jobs/hop-4" not in paths
    assert result.status == "partial" and result.run["finish_reason"] == "finished"
    errors = {e["url"].rsplit("/", 1)[1]: e for e in rows(db, "select kind, url, message from crawl_errors")}
    assert set(errors) == {"moved-a", "hop-0"} and {e["kind"] for e in errors.values()} == {"redirect_loop"}
    assert "moved-b" in errors["moved-a"]["message"] and "3 redirects" in errors["hop-0"]["message"]
    assert rows(db, "select title from postings") == [{"title": "Pro-Fee Coder, Cardiology"}]


def test_empty_sitemap_is_ok(tmp_path):
    db = tmp_path / "jp.db"
    with site() as server:
        server.routes["/sitemap.xml"] = [one_page_sitemap(server)]
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml")
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_sitemap_that_is_gone(tmp_path):
    db = tmp_path / "jp.db"
    with site() as server:
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml")
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "jp.db"
    with site({"/jobs/profee": page("job_profee.html")}) as server:
        server.routes["/sitemap.xml"] = [xml_reply("slow down", 429), one_page_sitemap(server, "/jobs/profee")]
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml")
    assert server.paths().count("/sitemap.xml") == 2
    assert result.status == "ok" and len(rows(db, "select id from postings")) == 1
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "jp.db"
    with site({"/careers/": html_reply("<h1>Server error</h1>", 500)}) as server:
        result = crawl(SPIDER, db, url=f"{server.url}/careers/")
    assert server.paths().count("/careers/") == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_sitemap_that_is_not_xml_is_reported(tmp_path):
    db = tmp_path / "jp.db"
    with site({"/sitemap.xml": html_reply("<html><body><h1>Page not found</h1></body></html>")}) as server:
        result = crawl(SPIDER, db, sitemap=f"{server.url}/sitemap.xml")
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_sitemap"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]

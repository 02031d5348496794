"""robots.txt as RFC 9309 reads it, through real crawls: unreadable means disallow all, missing means allow all.

Scrapy on its own allows everything when robots.txt cannot be fetched; a
distributed worker whose robots.txt request timed out once then fetched a
disallowed page. These crawls pin the strict reading down.
"""

import pytest

from tests.fixture_server import FixtureServer, Reply
from tests.spider_run import crawl, rows, run_stats
from tests.test_spider_jobposting_pages import JOB_PAGES, SPIDER, sitemap_site

SITEMAP_ARGS = {"follow": "^/jobs/", "employer": "Deccan Health Services"}


def _robots_only(server, db, settings=None):
    result = crawl(SPIDER, db, settings, sitemap=f"{server.url}/sitemap_index.xml", **SITEMAP_ARGS)
    return result, server.paths()


@pytest.mark.parametrize("reply, settings, why", [
    (Reply("busy", 503, {"Content-Type": "text/plain"}), None, "answered HTTP 503"),
    # Still 429 after the retries: refusing, so treated like a 5xx.
    (Reply("slow down", 429, {"Content-Type": "text/plain"}), None, "answered HTTP 429"),
    # Slower than the download timeout on every attempt: the fetch fails.
    (Reply("User-agent: *\nAllow: /\n", 200, {"Content-Type": "text/plain"}, delay=3), {"DOWNLOAD_TIMEOUT": "1"}, "could not be fetched"),
])
def test_an_unreadable_robots_txt_forbids_the_whole_host(tmp_path, reply, settings, why):
    db = tmp_path / "strict.db"
    with sitemap_site() as server:
        server.routes["/robots.txt"] = [reply]
        result, paths = _robots_only(server, db, settings)
    # Only robots.txt itself, retried within the usual bound; not the sitemap, not a job page.
    assert set(paths) == {"/robots.txt"} and 1 < len(paths) <= 3
    stats = run_stats(result)
    assert stats["medcoder/robots_unreachable"] == 1 and stats["robotstxt/forbidden"] == 1  # the sitemap, refused
    problems = rows(db, "select url, kind, message from crawl_errors")
    assert [(p["url"], p["kind"]) for p in problems] == [(f"{server.url}/robots.txt", "robots_unreachable")]
    assert why in problems[0]["message"] and "nothing is fetched from 127.0.0.1" in problems[0]["message"]
    assert rows(db, "select count(*) as n from postings") == [{"n": 0}]


def test_a_missing_robots_txt_allows_everything(tmp_path):
    db = tmp_path / "open.db"
    with sitemap_site() as server:
        server.routes["/robots.txt"] = [Reply("not here", 404, {"Content-Type": "text/plain"})]
        result, paths = _robots_only(server, db)
    # The page the career site's robots.txt would have disallowed is fetched: there is no robots.txt to obey.
    assert "/jobs/internal-hcc-audit-lead" in paths and "/jobs/internal-hcc-audit-lead" in JOB_PAGES
    stats = run_stats(result)
    assert "medcoder/robots_unreachable" not in stats and "robotstxt/forbidden" not in stats
    assert "robots_unreachable" not in {r["kind"] for r in rows(db, "select kind from crawl_errors")}


def test_pages_waiting_together_for_a_hosts_robots_txt_all_obey_it(tmp_path):
    """A sitemap on one host listing job pages on another: they all wait for the second host's robots.txt at once.

    Scrapy 2.19 hands the parsed robots.txt to the first waiting request and
    "no rules" to the others (the Deferred's result is consumed by the first
    waiter's Future), so a disallowed page among them was fetched. That is how
    distributed workers, which pop many requests before their robots.txt is
    in, fetched the demo board's draft page.
    """
    db = tmp_path / "waiting.db"
    job_pages = [path for path in JOB_PAGES if path.startswith("/jobs/")]
    # The disallowed page first: Scrapy's scheduler is last-in first-out, so it is the last of them to ask.
    job_pages.sort(key=lambda path: "internal" not in path)
    with sitemap_site() as pages, FixtureServer({}) as index:
        urls = "".join(f"<url><loc>{pages.url}{path}</loc></url>" for path in job_pages)
        index.routes["/sitemap.xml"] = [Reply(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                                              headers={"Content-Type": "application/xml"})]
        result = crawl(SPIDER, db, sitemap=f"{index.url}/sitemap.xml", **SITEMAP_ARGS)
        paths = pages.paths()
    assert paths.count("/robots.txt") == 1
    assert set(paths) == {"/robots.txt", *job_pages} - {"/jobs/internal-hcc-audit-lead"}
    stats = run_stats(result)
    assert stats["robotstxt/forbidden"] == 1 and "medcoder/robots_unreachable" not in stats

"""`medcoder serve` as a person sees it: a real Datasette server and headless Chromium, offline.

Home page, a faceted table, a posting page and the dashboards render (charts
drawn from the bundled vega library, no request leaves 127.0.0.1), a search
typed in the box narrows the rows, and hostile posting text never runs: any
JavaScript dialog fails the test. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from medcoder.serve import datasette_command, metadata_for
from tests.browser import browser_page
from tests.test_datasette_market import XSS_TITLE, build_market_db

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = build_market_db(tmp_path_factory.mktemp("served") / "medcoder.db")
    port = free_port()
    proc = subprocess.Popen(datasette_command(db, port=port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"datasette exited: {proc.stderr.read().decode()}")
                time.sleep(0.05)
        else:
            pytest.fail("datasette did not start within 10 s")
        yield base, metadata_for(db)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    """One headless page for the module, recording requests that leave the server and script dialogs."""
    base, _ = server
    with browser_page() as pg:
        pg.set_viewport_size({"width": 1280, "height": 900})
        seen = SimpleNamespace(page=pg, outside=[], dialogs=[])
        # Everything must come from the local server: abort (and record) any other request.
        pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                 else (seen.outside.append(route.request.url), route.abort()))
        pg.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        yield seen


@pytest.fixture
def page(browser):
    yield browser.page
    assert browser.dialogs == [], "posting text ran as script"
    assert browser.outside == [], "a page reached outside 127.0.0.1"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"datasette-{name}.png"), full_page=True)


def test_home_page(server, page):
    base, _ = server
    page.goto(base + "/")
    assert page.title().startswith("medcoder")
    assert page.locator("#medcoder-figures li").first.inner_text().split() == ["6", "open", "jobs"]
    assert page.locator("#medcoder-freshness tbody tr").count() == 4
    assert page.locator("#medcoder-queries dt").count() == 12
    shot(page, "home")


def test_faceted_table_and_search_box(server, page):
    base, _ = server
    rows = page.locator("table.rows-and-columns tbody tr")
    page.goto(base + "/medcoder/market_postings")
    assert rows.count() == 6
    for facet in ("country", "region", "remote", "role_family", "salary_band", "employer", "source_id"):
        assert page.locator(f"#facet-{facet}").is_visible(), facet
    page.locator("#facet-country a", has_text="IN").click()
    page.wait_for_url("**country=IN**")
    assert rows.count() == 2
    shot(page, "market-facet-country-IN")
    page.goto(base + "/medcoder/market_postings")
    page.fill("#_search", "hierarchical condition")
    page.press("#_search", "Enter")
    page.wait_for_url("**_search=**")
    assert rows.count() == 1
    assert "Harbor Health" in rows.first.inner_text()
    shot(page, "market-search")


def test_search_from_the_home_page_highlights_matches(server, page):
    base, _ = server
    page.goto(base + "/")
    page.fill("#medcoder-q", "DRG")
    page.press("#medcoder-q", "Enter")
    page.wait_for_url("**search_postings?q=DRG**")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 2
    assert page.locator("td.col-snippet mark").first.inner_text() == "DRG"
    shot(page, "search-postings")


def test_posting_pages(server, page):
    base, _ = server
    page.goto(base + "/medcoder/postings/p1")
    assert page.locator("#medcoder-posting-title").inner_text() == "Inpatient Coder II"
    assert page.locator("#medcoder-requirements tbody tr").count() == 4
    assert page.locator("#medcoder-duplicates tbody tr").count() == 1
    assert "Jobs via Acme's Greenhouse board" in page.locator("#medcoder-attribution").inner_text()
    shot(page, "posting")
    # Hostile text is shown as text; the dialog listener fails the test if it runs.
    page.goto(base + "/medcoder/postings/p6")
    assert page.locator("#medcoder-posting-title").inner_text() == XSS_TITLE
    assert page.locator("#medcoder-posting-title b").count() == 0
    shot(page, "posting-hostile-text")


def test_dashboards_render_their_charts_offline(server, page):
    base, meta = server
    for slug, dashboard in meta["plugins"]["datasette-dashboards"].items():
        page.goto(f"{base}/-/dashboards/{slug}")
        for chart_slug, chart in dashboard["charts"].items():
            card = page.locator(f"#chart-{chart_slug}")
            if chart["library"] == "vega-lite":
                # vega-embed draws each chart as SVG once its data has loaded.
                card.locator("svg.marks").wait_for(state="attached", timeout=10_000)
            else:
                card.locator("p").wait_for(timeout=10_000)
                assert card.locator("p").inner_text().rstrip("%").isdigit(), (slug, chart_slug)
        shot(page, f"dashboard-{slug}")
    page.goto(f"{base}/-/dashboards/market-overview")
    page.locator("#chart-open-jobs p").wait_for()
    assert page.locator("#chart-open-jobs p").inner_text() == "6"
    # The hostile employer name is a chart label: drawn as SVG text, never parsed as HTML.
    page.locator("#chart-top-employers svg.marks").wait_for(state="attached")
    assert page.locator("#chart-top-employers svg.marks text", has_text="Evil & Co").count() == 1
    # A filter narrows the figures.
    page.select_option("#country", "IN")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url("**country=IN**")
    page.locator("#chart-open-jobs p").wait_for()
    assert page.locator("#chart-open-jobs p").inner_text() == "2"
    page.locator("#chart-top-employers svg.marks").wait_for(state="attached")
    assert page.locator("#chart-top-employers svg.marks text", has_text="Evil & Co").count() == 0
    shot(page, "dashboard-market-overview-IN")

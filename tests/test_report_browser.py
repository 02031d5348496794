"""The HTML gap report, opened as a person would: in headless Chromium."""

from pathlib import Path

from analysis.gap import gap_report
from analysis.profile import load_profile, sample_profile_path
from analysis.report import render
from medcoder.db import connect
from tests.browser import browser_page

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def test_report_renders_with_charts_and_no_network(demo_crawl, tmp_path):
    db = connect(demo_crawl.db_path)
    report = gap_report(db, load_profile(sample_profile_path()))
    html_path = tmp_path / "gap-report.html"
    html_path.write_text(render(report, "html", profile_name="Sample"), encoding="utf-8")
    requests = []
    with browser_page() as page:
        page.on("request", lambda r: requests.append(r.url))
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.goto(html_path.as_uri())
        assert page.title().startswith("Skills-gap report")
        assert page.locator("#demand-chart .bar").count() == len(report["demand"]) > 0
        assert page.locator("#plan-chart .bar").count() == len(report["plan"]) > 0
        assert page.locator("#best-matches tr").count() == len(report["best_matches"]) + 1
        assert page.locator("#qualified-share").inner_text() == f"{report['qualified_share'] * 100:.0f}%"
        # Readable on a phone: nothing wider than the viewport but the scrollable tables.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "gap-report-phone.png"), full_page=True)
    assert requests == [html_path.as_uri()]

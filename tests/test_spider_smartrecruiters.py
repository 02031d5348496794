"""smartrecruiters: real Scrapy crawls of a local SmartRecruiters-format API (paged list, then one detail per posting)."""

import json

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

COMPANY = "SummitValleyHealth"
POSTINGS = f"/v1/companies/{COMPANY}/postings"
IDS = [f"74400010100000{n}" for n in range(1, 7)]


def list_page(offset: int, limit: int = 2) -> str:
    return f"{POSTINGS}?limit={limit}&offset={offset}"


def routes(**overrides) -> dict:
    """Three list pages of two (totalFound 6); details for the first four, a 500 for the fifth, broken JSON for the sixth."""
    table = {
        list_page(0): json_reply(fixture("smartrecruiters", "list_0.json")),
        list_page(2): json_reply(fixture("smartrecruiters", "list_2.json")),
        list_page(4): json_reply(fixture("smartrecruiters", "list_4.json")),
        f"{POSTINGS}/{IDS[4]}": json_reply('{"message": "internal error"}', 500),
        f"{POSTINGS}/{IDS[5]}": json_reply('{"id": "744000101000006", "name": "Pro-Fee Coder (CPC)", "jobAd": {'),
    }
    for pid in IDS[:4]:
        table[f"{POSTINGS}/{pid}"] = json_reply(fixture("smartrecruiters", f"detail_{pid}.json"))
    return {**table, **overrides}


def test_company_is_paged_and_each_detail_stored(tmp_path):
    db = tmp_path / "sr.db"
    with FixtureServer(routes()) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, limit="2", api_base=server.url)
    paths = server.paths()
    assert [p for p in paths if "?" in p] == [list_page(0), list_page(2), list_page(4)]  # stops at totalFound
    assert {p for p in paths if "?" not in p and p != "/robots.txt"} == {f"{POSTINGS}/{pid}" for pid in IDS}
    assert paths.count(f"{POSTINGS}/{IDS[4]}") == 3  # the failing detail: the request and 2 retries

    # The failing and the malformed detail are reported; the other postings land.
    assert result.status == "partial"
    assert sorted(e["kind"] for e in rows(db, "select kind from crawl_errors")) == ["http_error", "invalid_json"]
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == [IDS[0], IDS[1], IDS[3]]

    ip = kept[IDS[0]]
    assert ip["source_id"] == f"smartrecruiters:{COMPANY}" and ip["employer"] == "Summit Valley Health"
    assert ip["url"] == "https://jobs.smartrecruiters.example/SummitValleyHealth/744000101000001-inpatient-coding-specialist"
    assert (ip["city"], ip["region"], ip["country"], ip["remote"]) == ("Sacramento", "CA", "US", "remote")
    assert (ip["employment_type"], ip["posted_at"]) == ("Full-time", "2026-11-20")
    # Each section under its own heading; the employer's "What You'll Bring" sits under "Qualifications".
    assert "## Company description\nSummit Valley Health runs four acute-care hospitals across Northern California & Nevada." in ip["description"]
    assert "## Qualifications\n- CCS, RHIT or RHIA required\n- Minimum of three (3) years" in ip["description"]
    assert "level II trauma centre" in ip["description"] and "## Additional information\nPay range" in ip["description"]
    assert (ip["salary_min"], ip["salary_max"], ip["salary_period"]) == (34.1, 45.8, "hour")  # read from the text
    extras = json.loads(ip["extras"])
    assert extras["ref_number"] == "REQ-24817" and extras["type_of_employment"] == "Full-time"
    assert extras["experience_level"] == "Mid-Senior Level" and extras["department"] == "Health Information Management"

    india = kept[IDS[1]]
    assert india["url"].endswith("744000101000002-medical-coder-radiology?oga=true")  # no postingUrl: the apply URL
    assert (india["city"], india["region"], india["country"], india["remote"]) == ("Hyderabad", "Telangana", "IN", "onsite")
    assert "## Company description" not in india["description"]  # an empty section gets no heading
    assert "## Qualifications\n- B.Sc / M.Sc life sciences, B.Pharm or BPT\n- CPC or CPC-A" in india["description"]
    assert (india["salary_min"], india["salary_max"], india["salary_currency"]) == (300000.0, 420000.0, "INR")
    assert json.loads(india["extras"])["experience_level"] == "Entry Level"

    # Missing fields: nothing but an id and a name in the list and the detail.
    bare = kept[IDS[3]]
    assert bare["url"] == f"https://jobs.smartrecruiters.com/{COMPANY}/{IDS[3]}"
    assert (bare["employer"], bare["location_text"], bare["posted_at"], bare["description"]) == (COMPANY, None, None, None)

    (ar,) = rows(db, "select title, reason from filtered_postings")
    assert ar["title"] == "AR Caller (Night Shift)" and "accounts receivable" in ar["reason"]


def test_empty_company_is_ok_and_the_keyword_is_sent(tmp_path):
    db = tmp_path / "sr.db"
    with FixtureServer({POSTINGS: json_reply(fixture("smartrecruiters", "empty.json"))}) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, q="medical coder", api_base=server.url)
    assert server.paths()[-1] == f"{POSTINGS}?limit=100&offset=0&q=medical%20coder"
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_company_that_is_gone(tmp_path):
    db = tmp_path / "sr.db"
    with FixtureServer({}) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0
    assert [p for p in server.paths() if p.startswith(POSTINGS)] == [f"{POSTINGS}?limit=100&offset=0"]


def test_429_then_success(tmp_path):
    db = tmp_path / "sr.db"
    first = [json_reply('{"message": "Too Many Requests"}', 429, **{"Retry-After": "0"}),
             json_reply(fixture("smartrecruiters", "list_0.json"))]
    with FixtureServer(routes(**{list_page(0): first})) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, limit="2", api_base=server.url)
    assert server.paths().count(list_page(0)) == 2
    assert len(rows(db, "select id from postings")) == 3
    assert run_stats(result)["medcoder/backoff"] >= 1


def test_500_on_the_list_stays_failed(tmp_path):
    db = tmp_path / "sr.db"
    with FixtureServer({POSTINGS: json_reply("{}", 500)}) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, api_base=server.url)
    assert server.paths().count(f"{POSTINGS}?limit=100&offset=0") == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_list_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "sr.db"
    with FixtureServer({POSTINGS: json_reply('{"totalFound": 3, "content": [{"id": "1"')}) as server:
        result = crawl("smartrecruiters", db, company=COMPANY, api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]
    assert not [p for p in server.paths() if p.startswith(POSTINGS + "/")]  # no detail requested

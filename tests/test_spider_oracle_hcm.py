"""oracle_hcm: real Scrapy crawls of a local Oracle Recruiting Cloud site (paged requisition search, one detail call each)."""

import json

import pytest

from crawlers.spiders.oracle_hcm import OracleHcmSpider
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

HOST = "https://ekqz.fa.ocs.oraclecloud.com"  # only ever written into posting URLs: api_base points at the fixture server
API = "/hcmRestApi/resources/latest"
ARGS = {"host": HOST, "site_number": "CX_1"}
IDS = [str(300000412345 + i) for i in range(8)]


def list_target(offset: int, limit: int = 200) -> str:
    """The list request exactly as it must reach the server: ``;`` and ``,`` inside ``finder`` not percent-encoded."""
    return (f"{API}/recruitingCEJobRequisitions?onlyData=true&expand=requisitionList.secondaryLocations,flexFieldsFacet.values"
            f"&finder=findReqs;siteNumber=CX_1,limit={limit},offset={offset},sortBy=POSTING_DATES_DESC")


def detail_target(req_id: str) -> str:
    return f"{API}/recruitingCEJobRequisitionDetails?expand=all&onlyData=true&finder=ById;Id=%22{req_id}%22,siteNumber=CX_1"


def detail_routes(ids) -> dict:
    return {f"GET {detail_target(i)}": json_reply(fixture("oracle_hcm", "detail", f"{i}.json")) for i in ids}


def test_site_is_paged_and_stored(tmp_path):
    db = tmp_path / "orc.db"
    routes = detail_routes(IDS)
    routes.update({f"GET {list_target(off, 3)}": json_reply(fixture("oracle_hcm", f"reqs_page{n}.json"))
                   for n, off in enumerate((0, 3, 6), start=1)})
    with FixtureServer(routes) as server:
        result = crawl("oracle_hcm", db, api_base=server.url, limit="3", employer="Coastline Health Services", **ARGS)
        seen = server.paths()

    # Exact targets: any encoding of ";", "," or "=" inside finder would miss these (and 404).
    assert [p for p in seen if "recruitingCEJobRequisitions?" in p] == [list_target(0, 3), list_target(3, 3), list_target(6, 3)]
    assert sorted(p for p in seen if "Details?" in p) == sorted(detail_target(i) for i in IDS)
    assert not [p for p in seen if "%3B" in p.upper() or "%2C" in p.upper()]

    # 8 listed: the withdrawn one is reported, the AR caller, biller and developer kept apart, 4 coders stored.
    assert result.status == "partial"
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "missing_detail", "url": server.url + detail_target(IDS[7])}]
    assert sorted(r["title"] for r in rows(db, "select title from filtered_postings")) == [
        "AR Caller - Voice Process", "Medical Billing Executive", "Software Developer - Coding Automation"]
    by_id = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(by_id) == IDS[0:2] + IDS[4:6]

    chennai = by_id[IDS[0]]
    assert chennai["source_id"] == "oracle_hcm:ekqz:cx_1" and chennai["title"] == "Medical Coder - Multispecialty"
    assert chennai["url"] == f"{HOST}/hcmUI/CandidateExperience/en/sites/CX_1/job/{IDS[0]}"
    assert chennai["employer"] == "Coastline Health Services"
    assert (chennai["city"], chennai["country"], chennai["remote"]) == ("Chennai", "IN", "onsite")
    assert chennai["posted_at"] == "2026-11-19" and chennai["employment_type"] == "Full time"
    text = chennai["description"]
    # Description, then the qualifications under their own heading, then the responsibilities.
    assert text.index("US practices & hospitals") < text.index("## Qualifications") < text.index("- CPC, CCS or COC certification – mandatory") \
        < text.index("## Responsibilities") < text.index("- Meet 95% accuracy")
    assert "&amp;" not in text and "&rsquo;" not in text
    extras = json.loads(chennai["extras"])
    assert extras["skills"] == ["ICD-10-CM", "CPT", "E/M coding"]
    assert extras["secondaryLocations"] == ["Tiruchirappalli, Tamil Nadu, India"]
    assert extras["requisitionFlexFields"] == {"Shift": "US shift", "Notice period": "Immediate joiners preferred"}

    remote = by_id[IDS[1]]
    assert (remote["country"], remote["remote"], remote["posted_at"]) == ("US", "remote", "2026-11-18")
    assert (remote["salary_min"], remote["salary_max"], remote["salary_period"]) == (30.0, 38.0, "hour")

    # Sparse detail: no qualifications, responsibilities or skills; the description alone.
    auditor = by_id[IDS[4]]
    assert (auditor["city"], auditor["remote"]) == ("Alpharetta", "hybrid")
    assert "## Qualifications" not in auditor["description"] and "CRC or CPC required" in auditor["description"]
    assert "skills" not in json.loads(auditor["extras"])

    # No date, workplace type or job family anywhere.
    ed = by_id[IDS[5]]
    assert ed["posted_at"] is None and ed["city"] == "Noida" and "JobFamily" not in json.loads(ed["extras"])


def test_empty_site_is_ok_and_pages_are_200_by_default(tmp_path):
    db = tmp_path / "orc.db"
    with FixtureServer({f"GET {list_target(0)}": json_reply(fixture("oracle_hcm", "reqs_empty.json"))}) as server:
        result = crawl("oracle_hcm", db, api_base=server.url, **ARGS)
        assert server.paths()[-1] == list_target(0)
    assert (result.status, result.run["items_scraped"]) == ("ok", 0)


def test_site_that_is_gone(tmp_path):
    db = tmp_path / "orc.db"
    with FixtureServer({}) as server:
        result = crawl("oracle_hcm", db, api_base=server.url, **ARGS)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "orc.db"
    routes = detail_routes(IDS[0:2])
    routes[f"GET {list_target(0)}"] = [json_reply('{"title": "Too Many Requests"}', 429, **{"Retry-After": "0"}),
                                       json_reply(fixture("oracle_hcm", "reqs_small.json"))]
    with FixtureServer(routes) as server:
        result = crawl("oracle_hcm", db, api_base=server.url, **ARGS)
        assert server.paths().count(list_target(0)) == 2
    assert result.status == "ok" and len(rows(db, "select id from postings")) == 2
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "orc.db"
    with FixtureServer({f"GET {list_target(0)}": json_reply("{}", 500)}) as server:
        result = crawl("oracle_hcm", db, api_base=server.url, **ARGS)
        assert server.paths().count(list_target(0)) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_corrupted(tmp_path):
    db = tmp_path / "orc.db"
    routes = detail_routes(IDS[0:2])
    routes[f"GET {list_target(0)}"] = [json_reply(fixture("oracle_hcm", "reqs_small.json")),
                                       json_reply('{"items": [{"TotalJobsCount": 2, "requisitionList": [')]
    with FixtureServer(routes) as server:
        assert crawl("oracle_hcm", db, api_base=server.url, **ARGS).status == "ok"
        before = rows(db, "select * from postings order by id")
        result = crawl("oracle_hcm", db, api_base=server.url, **ARGS)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert len(before) == 2 and rows(db, "select * from postings order by id") == before
    # Without -a employer the host's first label names the employer.
    assert {r["employer"] for r in before} == {"ekqz"}


def test_arguments():
    spider = OracleHcmSpider(host=HOST + "/", site_number="CX_1")
    assert (spider.api_base, spider.host, spider.limit, spider.employer) == (HOST, HOST, 200, "ekqz")
    assert spider.posting_url("42") == f"{HOST}/hcmUI/CandidateExperience/en/sites/CX_1/job/42"
    assert OracleHcmSpider(host="ekqz.fa.ocs.oraclecloud.com", site_number="CX_1").host == HOST
    with pytest.raises(ValueError, match="site_number"):
        OracleHcmSpider(host=HOST)
    with pytest.raises(ValueError, match="limit"):
        OracleHcmSpider(limit="500", **ARGS)

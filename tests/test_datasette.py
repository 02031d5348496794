"""Datasette serves the crawled database with medcoder's metadata (in-process client)."""

import asyncio
import shutil

from datasette.app import Datasette

from medcoder.demo.board import load_postings
from medcoder.serve import metadata_for


def get_json(db_path, path):
    async def go():
        ds = Datasette([str(db_path)], metadata=metadata_for(db_path))
        await ds.invoke_startup()
        response = await ds.client.get(path)
        return response.status_code, response.json()

    return asyncio.run(go())


def test_tables_and_metadata(demo_crawl):
    status, data = get_json(demo_crawl.db_path, "/medcoder.json")
    assert status == 200
    tables = {t["name"]: t for t in data["tables"]}
    for name in ("postings", "posting_requirements", "skills", "sources", "crawl_runs", "filtered_postings"):
        assert name in tables
    status, meta = get_json(demo_crawl.db_path, "/-/metadata.json")
    assert meta["databases"]["medcoder"]["tables"]["postings"]["label_column"] == "title"


def test_country_facet_counts(demo_crawl):
    status, data = get_json(demo_crawl.db_path, "/medcoder/postings.json?_facet=country&_size=0")
    assert status == 200
    counts = {r["value"]: r["count"] for r in data["facet_results"]["country"]["results"]}
    coding = [p for p in load_postings() if p.expected.get("relevant")]
    expected_in = sum(1 for p in coding if ((p.data.get("location") or {}).get("country") or p.data.get("applicant_country")) == "IN")
    assert counts == {"IN": expected_in, "US": len(coding) - expected_in}


def test_requirement_level_facet_and_labels(demo_crawl):
    status, data = get_json(demo_crawl.db_path, "/medcoder/posting_requirements.json?_facet=level&skill_id=CPC&_labels=on&_shape=objects&_size=1")
    assert status == 200
    levels = {r["value"] for r in data["facet_results"]["level"]["results"]}
    assert levels <= {"required", "preferred"} and "required" in levels
    row = data["rows"][0]
    assert row["skill_id"] == {"value": "CPC", "label": "Certified Professional Coder"}
    assert isinstance(row["posting_id"]["label"], str) and row["posting_id"]["label"]


def test_full_text_search(demo_crawl):
    status, data = get_json(demo_crawl.db_path, "/medcoder/postings.json?_search=HCC&_shape=objects")
    assert status == 200 and data["rows"]
    assert all("hcc" in (r["title"] + r["description"]).lower() for r in data["rows"])


def test_metadata_follows_a_renamed_database(demo_crawl, tmp_path):
    other = tmp_path / "market.db"
    shutil.copy(demo_crawl.db_path, other)
    status, meta = get_json(other, "/-/metadata.json")
    assert "market" in meta["databases"] and "medcoder" not in meta["databases"]

"""The sources registry and `medcoder crawl` / `medcoder sources` over it."""

import json
import subprocess
import sys

import pytest

from medcoder.registry import RegistryError, load_registry, parse_registry, select
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import TEST_SETTINGS, rows

GOOD = """
version = 1
[[source]]
id = "greenhouse:lakeside"
spider = "greenhouse"
label = "Lakeside"
country = "US"
args = { board = "lakeside" }
[[source]]
id = "off"
spider = "greenhouse"
label = "Off"
country = "IN"
enabled = false
args = { board = "x" }
"""


def test_shipped_registry_is_valid_and_covers_both_countries():
    entries = load_registry()
    enabled = [e for e in entries if e.enabled]
    assert {e.country for e in enabled} >= {"US", "IN"}
    assert {"usajobs", "adzuna:in", "adzuna:us", "remotive", "remoteok", "himalayas"} <= {e.id for e in enabled}
    assert all(e.note for e in entries if not e.enabled)  # every disabled entry says why


def test_parse_and_select():
    entries = parse_registry(GOOD)
    assert [e.id for e in select(entries)] == ["greenhouse:lakeside"]
    assert [e.id for e in select(entries, ["off"])] == ["off"]
    assert select(entries, country="IN") == []
    with pytest.raises(RegistryError, match="unknown source"):
        select(entries, ["nope"])


@pytest.mark.parametrize("text,message", [
    ('version = 1\n[[source]]\nid = "a"\nspider = "greenhouse"\nlabel = "A"\ncountry = "US"\ncolour = "red"', "unknown key(s) ['colour']"),
    ('version = 1\n[[source]]\nid = "a"\nspider = "nosuch"\nlabel = "A"\ncountry = "US"', "unknown spider 'nosuch'"),
    ('version = 1\n[[source]]\nid = "a"\nspider = "greenhouse"\nlabel = "A"\ncountry = "UK"', "country 'UK'"),
    ('version = 2', "'version = 1' is required"),
    ('version = 1\n[[source]]\nid = "a"\nspider = "greenhouse"\nlabel = "A"\ncountry = "US"\n'
     '[[source]]\nid = "a"\nspider = "greenhouse"\nlabel = "B"\ncountry = "US"', "source a: duplicate id"),
    ('version = 1\n[[source]]\nid = "a"\nspider = "greenhouse"\nlabel = "A"\ncountry = "US"\nenabled = "yes"', "'enabled' must be true or false"),
    ("version = [", "not valid TOML"),
])
def test_invalid_registries(text, message):
    with pytest.raises(RegistryError) as err:
        parse_registry(text, "reg.toml")
    assert message in str(err.value) and str(err.value).startswith("reg.toml")


def medcoder(*args, env=None):
    return subprocess.run([sys.executable, "-m", "medcoder", *map(str, args)], capture_output=True, text=True, timeout=300, env=env)


def test_crawl_over_a_registry_where_one_source_is_broken(tmp_path):
    routes = {
        "/v1/boards/lakeside/jobs": json_reply(fixture("greenhouse", "board.json")),
        "/v1/boards/broken/jobs": json_reply("{}", 500),
        "/v1/boards/garbage/jobs": json_reply("<html>not json"),
    }
    with FixtureServer(routes) as server:
        reg = tmp_path / "reg.toml"
        reg.write_text("version = 1\n" + "".join(
            f'[[source]]\nid = "gh:{b}"\nspider = "greenhouse"\nlabel = "{b}"\ncountry = "US"\n'
            f'args = {{ board = "{b}", api_base = "{server.url}" }}\n' for b in ("broken", "lakeside", "garbage")))
        db = tmp_path / "reg.db"
        settings = [x for k, v in TEST_SETTINGS.items() for x in ("-s", f"{k}={v}")]
        proc = medcoder("crawl", "--registry", reg, "--db", db, *settings)
        listing = medcoder("sources", "--registry", reg, "--db", db, "--format", "json")
    assert proc.returncode == 1  # a source failed, and the exit status says so
    assert "gh:broken: failed" in proc.stderr and "gh:lakeside: partial" in proc.stderr and "gh:garbage: failed" in proc.stderr
    assert [r["source_id"] for r in rows(db, "select source_id from postings")] == ["gh:lakeside"]
    runs = {r["source_id"]: r["status"] for r in rows(db, "select source_id, status from crawl_runs")}
    assert runs == {"gh:broken": "failed", "gh:lakeside": "partial", "gh:garbage": "failed"}
    assert rows(db, "select count(*) n from posting_requirements") [0]["n"] > 0  # analysed after the crawl
    status = {r["id"]: (r["status"], r["items"]) for r in json.loads(listing.stdout)}
    assert status == {"gh:broken": ("failed", 0), "gh:lakeside": ("partial", 2), "gh:garbage": ("failed", 0)}


def test_a_source_without_its_api_key_is_skipped_with_a_message(tmp_path):
    import os

    reg = tmp_path / "reg.toml"
    reg.write_text('version = 1\n[[source]]\nid = "usajobs"\nspider = "usajobs"\nlabel = "USAJOBS"\ncountry = "US"\n'
                   'args = { api_base = "http://127.0.0.1:9" }\n')
    db = tmp_path / "keys.db"
    env = {k: v for k, v in os.environ.items() if k not in ("USAJOBS_API_KEY", "USAJOBS_EMAIL")}
    proc = medcoder("crawl", "--registry", reg, "--db", db, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "usajobs: skipped" in proc.stderr and "USAJOBS_API_KEY" in proc.stderr
    (run,) = rows(db, "select status, finish_reason from crawl_runs")
    assert run["status"] == "skipped" and "USAJOBS_API_KEY" in run["finish_reason"]

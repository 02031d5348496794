"""`medcoder publish`'s bundle: a consistent database copy without personal data, ready for `datasette package`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from importlib import metadata as importlib_metadata

import pytest
from datasette.app import Datasette

from medcoder.publish import PersonalDataError, PublishError, build_bundle
from tests.test_datasette_market import build_market_db


@pytest.fixture(scope="module")
def source_db(tmp_path_factory):
    path = build_market_db(tmp_path_factory.mktemp("publish") / "medcoder.db")
    with sqlite3.connect(path) as conn:
        conn.execute("pragma journal_mode = wal")  # as medcoder.db.connect leaves it
    return path


def test_bundle_contents(source_db, tmp_path):
    bundle = build_bundle(source_db, tmp_path / "site", name="coders")
    files = sorted(p.relative_to(bundle.folder).as_posix() for p in bundle.folder.rglob("*") if p.is_file())
    assert files == ["README.md", "coders.db", "metadata.json", "plugins/medcoder_pages.py", "requirements.txt",
                     "templates/index.html", "templates/row.html"]
    with sqlite3.connect(bundle.database) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
        assert conn.execute("select count(*) from postings").fetchone() == (10,)
        assert conn.execute("select count(*) from market_postings").fetchone() == (6,)
    meta = json.loads((bundle.folder / "metadata.json").read_text())
    assert list(meta["databases"]) == ["coders"]
    requirements = (bundle.folder / "requirements.txt").read_text().split()
    assert requirements == [f"{n}=={importlib_metadata.version(n)}" for n in ("datasette", "datasette-dashboards", "datasette-block-robots")]
    readme = (bundle.folder / "README.md").read_text()
    assert "datasette package coders.db" in readme and "datasette publish cloudrun coders.db" in readme
    assert bundle.package_command[:3] == ["datasette", "package", "coders.db"]
    for option in ("--metadata", "--plugins-dir", "--template-dir", "--install", "--extra-options"):
        assert option in bundle.package_command and option in bundle.publish_command
    extra = bundle.publish_command[bundle.publish_command.index("--extra-options") + 1]
    assert "--setting sql_time_limit_ms 3000" in extra


def test_bundle_serves_as_published(source_db, tmp_path):
    bundle = build_bundle(source_db, tmp_path / "site")

    async def fetch():
        # As `datasette package` runs it: immutable file, the bundle's own metadata, plugins and templates.
        ds = Datasette(immutables=[str(bundle.database)], metadata=json.loads((bundle.folder / "metadata.json").read_text()),
                       plugins_dir=str(bundle.folder / "plugins"), template_dir=str(bundle.folder / "templates"))
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in ("/", "/medcoder/credentials_in_demand.json?_shape=objects",
                                                  "/-/dashboards/market-overview")]

    home, query, dashboard = asyncio.run(fetch())
    assert home.status_code == 200 and "<strong>6</strong> open jobs" in home.text
    assert query.json()["rows"][0]["credential"] == "CPC"
    assert dashboard.status_code == 200


def test_copy_is_a_consistent_snapshot_while_a_crawl_writes(source_db, tmp_path):
    writer = sqlite3.connect(source_db)
    try:
        writer.execute("begin immediate")
        writer.execute("insert into postings (id, title, scope) values ('pending', 'Not committed yet', 'in')")
        bundle = build_bundle(source_db, tmp_path / "site")
    finally:
        writer.rollback()
        writer.close()
    with sqlite3.connect(bundle.database) as conn:
        assert conn.execute("select count(*) from postings where id = 'pending'").fetchone() == (0,)


@pytest.mark.parametrize("ddl", [
    "create table candidate_profiles (name text, email text, credentials text)",
    "create view people as select 'Asha' as name",
])
def test_refuses_a_database_with_unknown_tables(source_db, tmp_path, ddl):
    dirty = tmp_path / "dirty.db"
    with sqlite3.connect(source_db) as src, sqlite3.connect(dirty) as dst:
        src.backup(dst)
        dst.execute(ddl)
    out = tmp_path / "site"
    with pytest.raises(PersonalDataError, match="candidate_profiles|people"):
        build_bundle(dirty, out)
    assert not out.exists()


def test_refuses_to_overwrite_without_force(source_db, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(PublishError, match="not empty"):
        build_bundle(source_db, out)
    assert (out / "keep.txt").exists()
    build_bundle(source_db, out, force=True)
    assert not (out / "keep.txt").exists()
    with pytest.raises(PublishError, match="no database"):
        build_bundle(tmp_path / "missing.db", tmp_path / "other")

"""Serving the database with Datasette and the shipped configuration.

One configuration for every way Datasette runs: ``medcoder serve`` (a
``datasette serve`` subprocess), the in-process app the tests and the
benchmark use, and the bundle ``medcoder publish`` writes. Serving is
read-only: no write plugins are installed, canned queries only read, and the
SQL box accepts only SELECTs within ``sql_time_limit_ms``.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

import yaml

CONFIG_DB_KEY = "medcoder"  # the database name metadata.yml is written for

# Datasette settings medcoder runs with, as `--setting NAME VALUE` pairs.
SETTINGS: dict[str, object] = {
    # The SQL box stays for power users, bounded so one query cannot hog the server.
    "sql_time_limit_ms": 3000,
    # A configured facet takes 5-60 ms on 100,000 postings (docs/benchmarks.md); the default
    # 200 ms limit would silently drop facets whenever the machine is busy.
    "facet_time_limit_ms": 1000,
    # Suggestions run one query per column on every table page; the configured facets are the useful ones.
    "suggest_facets": False,
}

# Plugins medcoder runs with. None of them writes to the database (see tests/test_datasette_market.py).
PLUGIN_REQUIREMENTS = ("datasette-dashboards", "datasette-block-robots")


def config_dir() -> Path:
    """The shipped ``datasette_config`` folder (metadata, plugins, templates)."""
    return Path(str(resources.files("datasette_config")))


def metadata_for(db: Path) -> dict:
    """The shipped metadata with its database section under ``db``'s Datasette name (the file stem).

    metadata.yml describes a database called ``medcoder``; a user's file may
    be called anything, and Datasette matches metadata by name. Dashboard
    charts and filters name their database too, so they follow.
    """
    meta = yaml.safe_load((config_dir() / "metadata.yml").read_text(encoding="utf-8"))
    name = db.stem
    if name == CONFIG_DB_KEY:
        return meta
    databases = meta.get("databases", {})
    if CONFIG_DB_KEY in databases:
        databases[name] = databases.pop(CONFIG_DB_KEY)
    for key in ("description_html",):
        if key in meta:
            meta[key] = meta[key].replace(f"/{CONFIG_DB_KEY}/", f"/{name}/")
    dashboards = (meta.get("plugins") or {}).get("datasette-dashboards") or {}
    for dashboard in dashboards.values():
        for part in ("charts", "filters"):
            for item in (dashboard.get(part) or {}).values():
                if item.get("db") == CONFIG_DB_KEY:
                    item["db"] = name
    return meta


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def datasette_command(db: Path, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line for ``db`` with medcoder's metadata, plugins and templates."""
    cfg = config_dir()
    meta_file = Path(tempfile.mkdtemp(prefix="medcoder-serve-")) / "metadata.json"
    meta_file.write_text(json.dumps(metadata_for(db)), encoding="utf-8")
    cmd = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(meta_file),
           "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        cmd += ["--setting", name, _setting_value(value)]
    if (cfg / "plugins").is_dir():
        cmd += ["--plugins-dir", str(cfg / "plugins")]
    if (cfg / "templates").is_dir():
        cmd += ["--template-dir", str(cfg / "templates")]
    return cmd


def datasette_app(db: Path, *, metadata: dict | None = None, settings: dict | None = None):
    """An in-process Datasette for ``db`` configured exactly as ``medcoder serve`` runs it.

    For tests and benchmarks: talk to it with ``await app.client.get(path)``
    after ``await app.invoke_startup()``.
    """
    from datasette.app import Datasette

    cfg = config_dir()
    return Datasette(
        [str(db)],
        metadata=copy.deepcopy(metadata) if metadata is not None else metadata_for(Path(db)),
        settings={**SETTINGS, **(settings or {})},
        plugins_dir=str(cfg / "plugins"),
        template_dir=str(cfg / "templates"),
    )

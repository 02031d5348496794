"""Serving the database with Datasette and the shipped configuration."""

from __future__ import annotations

import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

import yaml

CONFIG_DB_KEY = "medcoder"  # the database name metadata.yml is written for


def config_dir() -> Path:
    """The shipped ``datasette_config`` folder (metadata, plugins, templates)."""
    return Path(str(resources.files("datasette_config")))


def metadata_for(db: Path) -> dict:
    """The shipped metadata with its database section under ``db``'s Datasette name (the file stem).

    metadata.yml describes a database called ``medcoder``; a user's file may
    be called anything, and Datasette matches metadata by name.
    """
    meta = yaml.safe_load((config_dir() / "metadata.yml").read_text(encoding="utf-8"))
    databases = meta.get("databases", {})
    if CONFIG_DB_KEY in databases and db.stem != CONFIG_DB_KEY:
        databases[db.stem] = databases.pop(CONFIG_DB_KEY)
        for key in ("description_html",):
            if key in meta:
                meta[key] = meta[key].replace(f"/{CONFIG_DB_KEY}/", f"/{db.stem}/")
    return meta


def datasette_command(db: Path, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line for ``db`` with medcoder's metadata and plugins."""
    cfg = config_dir()
    meta_file = Path(tempfile.mkdtemp(prefix="medcoder-serve-")) / "metadata.json"
    meta_file.write_text(json.dumps(metadata_for(db)), encoding="utf-8")
    cmd = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(meta_file),
           "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]
    if (cfg / "plugins").is_dir():
        cmd += ["--plugins-dir", str(cfg / "plugins")]
    return cmd

"""Serving the database with Datasette and the shipped configuration."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path


def config_dir() -> Path:
    """The shipped ``datasette_config`` folder (metadata, plugins, templates)."""
    return Path(str(resources.files("datasette_config")))


def datasette_command(db: Path, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line for ``db``: read-only (immutable off so crawls can keep writing)."""
    cfg = config_dir()
    cmd = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(cfg / "metadata.yml"),
           "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]
    if (cfg / "plugins").is_dir():
        cmd += ["--plugins-dir", str(cfg / "plugins")]
    return cmd

"""A deployable Datasette bundle of the postings database, checked for personal data.

:func:`build_bundle` writes a folder that ``datasette package`` or
``datasette publish`` turns into a public site:

- ``<name>.db``: the database, copied with SQLite's backup API (a consistent
  snapshot even while a crawl writes) and switched out of WAL mode so it is
  one self-contained file;
- ``metadata.json``: medcoder's metadata for that database name;
- ``plugins/`` and ``templates/``: medcoder's home page, posting page and cells;
- ``requirements.txt``: Datasette and its plugins at the versions tested here;
- ``README.md``: how to try it locally, package it and publish it.

The copy is refused (:class:`PersonalDataError`) when it holds any table or
view medcoder's own schema does not create. Candidate profiles never enter
the postings database; this check makes sure nothing else that might be
personal (an ad-hoc table, an imported spreadsheet) leaves the machine.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

import sqlite_utils

from analysis.analytics import ANALYTICS_TABLES
from medcoder.db import migrate
from medcoder.serve import PLUGIN_REQUIREMENTS, SETTINGS, config_dir, metadata_for

# SQLite's own bookkeeping tables (ANALYZE statistics, AUTOINCREMENT counters).
SQLITE_INTERNAL = {"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4", "sqlite_sequence"}


class PublishError(Exception):
    """The bundle could not be built."""


class PersonalDataError(PublishError):
    """The database holds tables medcoder does not know, which may hold personal data."""


@dataclass
class Bundle:
    """What :func:`build_bundle` wrote, and the commands (run inside ``folder``) that deploy it."""

    folder: Path
    database: Path
    tables: list[str]
    package_command: list[str]
    publish_command: list[str]


def known_schema() -> set[str]:
    """Every table and view medcoder's own schema creates (migrations, full-text index, analytics)."""
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    migrate(db)
    names = {r[0] for r in db.execute("select name from sqlite_master where type in ('table', 'view')")}
    db.conn.close()
    return names | set(ANALYTICS_TABLES) | SQLITE_INTERNAL


def unknown_tables(path: Path) -> list[str]:
    """Tables and views in the database at ``path`` that medcoder's schema does not create."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    return sorted(names - known_schema())


def _copy_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # One self-contained file for `datasette -i`. No VACUUM: it may renumber the rowids
        # that the full-text index and market_postings.postings_rowid point at.
        dst.execute("pragma journal_mode = delete")
    finally:
        dst.close()
        src.close()


def _serve_options() -> list[str]:
    options = []
    for name, value in SETTINGS.items():
        options += ["--setting", name, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return options


def _requirements() -> list[str]:
    """Datasette and medcoder's plugins pinned to the installed (tested) versions."""
    return [f"{name}=={importlib_metadata.version(name)}" for name in ("datasette", *PLUGIN_REQUIREMENTS)]


def build_bundle(db_path: Path, out_dir: Path, *, name: str = "medcoder", force: bool = False) -> Bundle:
    """Write a deployable Datasette bundle of ``db_path`` into ``out_dir``; return what was written.

    ``name`` becomes the database's file stem and so its URL (``/name``).
    Raises :class:`PersonalDataError` (and leaves no bundle) when the copied
    database holds a table or view medcoder does not know, and
    :class:`PublishError` when ``out_dir`` exists and is not empty unless
    ``force`` replaces it.
    """
    db_path = Path(db_path)
    out_dir = Path(out_dir)
    if not db_path.is_file():
        raise PublishError(f"no database at {db_path}")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise PublishError(f"{out_dir} is not empty (use force to replace it)")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.db"
    try:
        _copy_database(db_path, target)
        # Checked on the copy: what is shipped is what is verified.
        unknown = unknown_tables(target)
        if unknown:
            raise PersonalDataError(
                f"{db_path} holds tables medcoder does not create, which may be personal data: {', '.join(unknown)}. "
                "Remove them (or publish a copy without them) and try again.")
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    (out_dir / "metadata.json").write_text(json.dumps(metadata_for(target), indent=2), encoding="utf-8")
    for part in ("plugins", "templates"):
        shutil.copytree(config_dir() / part, out_dir / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    requirements = _requirements()
    (out_dir / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    # Commands as groups of words (one option and its value per group), for a readable README.
    common = [["--metadata", "metadata.json"], ["--plugins-dir", "plugins"], ["--template-dir", "templates"]]
    installs = [["--install", req] for req in requirements]
    extra = [["--extra-options", " ".join(_serve_options())]]
    serve = [["datasette", "serve", "-i", target.name], *common,
             *[_serve_options()[i:i + 3] for i in range(0, len(_serve_options()), 3)]]
    package = [["datasette", "package", target.name], *common, *installs, *extra, ["--tag", f"{name}-market"]]
    publish = [["datasette", "publish", "cloudrun", target.name], *common, *installs, *extra,
               ["--service", f"{name}-market"]]
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
        tables = sorted(r[0] for r in conn.execute("select name from sqlite_master where type = 'table'"))
    (out_dir / "README.md").write_text(_readme(name, requirements, serve, package, publish), encoding="utf-8")
    return Bundle(out_dir, target, tables, _flat(package), _flat(publish))


def _flat(groups: list[list[str]]) -> list[str]:
    return [word for group in groups for word in group]


def _shell(groups: list[list[str]]) -> str:
    return " \\\n  ".join(shlex.join(group) for group in groups)


def _readme(name: str, requirements: list[str], serve: list[list[str]], package: list[list[str]],
            publish: list[list[str]]) -> str:
    return f"""# {name}: the medical-coder job market, ready to publish

Written by `medcoder publish`. The database `{name}.db` holds public job
postings and what medcoder derived from them; it was checked to contain only
the tables medcoder's own schema creates (no candidate profiles, nothing
else). Posting text belongs to its publishers: keep each posting's source and
attribution visible, as the posting pages here do.

## Try it locally

```sh
python -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/{_shell(serve)}
```

## Package it as a Docker image

```sh
{_shell(package)}
```

## Publish it (Google Cloud Run; `datasette publish heroku` takes the same options)

```sh
{_shell(publish)}
```

Tested with: {", ".join(requirements)}.
"""

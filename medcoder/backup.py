"""``medcoder backup``: a consistent copy of the database while crawls write and Datasette reads.

SQLite's online backup API copies the database as one read transaction when
asked for all pages in one step: the copy is a snapshot of a single moment,
and in WAL mode writers and readers go on meanwhile (a step-by-step backup
would restart whenever another connection writes, and might never finish
during a crawl). The copy is written beside the destination, checked with
``pragma quick_check``, switched to a self-contained rollback journal (no
``-wal`` file to forget) and renamed into place, so DEST is either the old
file or a complete new copy, never half of one.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from medcoder.db import resolve_db_path


class BackupError(RuntimeError):
    """The backup could not be made (the message says why); DEST is left untouched."""


@dataclass
class BackupResult:
    path: Path
    size: int  # bytes
    tables: dict[str, int]  # row counts of the main tables in the copy


COUNTED = ("postings", "filtered_postings", "posting_requirements", "crawl_runs")


def backup_path(db_path: Path, dest: Path) -> Path:
    """DEST itself, or ``DEST/<db name>-YYYYmmddTHHMMSS.db`` (UTC) when DEST is an existing folder."""
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return dest / f"{db_path.stem}-{stamp}.db"
    return dest


def backup_database(db: str | os.PathLike | None, dest: str | os.PathLike, *, overwrite: bool = False) -> BackupResult:
    """Copy the database (see :func:`medcoder.db.resolve_db_path`) to ``dest`` consistently; see the module docstring."""
    src = resolve_db_path(db)
    if not src.exists():
        raise BackupError(f"no database at {src}")
    target = backup_path(src, Path(dest))
    if target.resolve() == src.resolve():
        raise BackupError("the backup would overwrite the database itself")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    # A plain connection: the backup must not migrate or otherwise change the database it copies.
    source = sqlite3.connect(src, timeout=60)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # pages=-1: every page in one step, one read transaction
            copy.execute("pragma journal_mode = delete")
            check = copy.execute("pragma quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            names = {r[0] for r in copy.execute("select name from sqlite_master where type = 'table'")}
            tables = {t: copy.execute(f"select count(*) from [{t}]").fetchone()[0] for t in COUNTED if t in names}
        finally:
            copy.close()
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {src} failed: {exc}") from None
    finally:
        source.close()
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, tables)

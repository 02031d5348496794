"""Benchmark: how big the database is for N postings, with and without full-text search.

    python -m bench.dbsize_bench [--n 100000] [--sizes 10000,100000] [--seed 7] [--cache DIR]

Measures a copy of the analysed market ``bench/market.py`` builds (postings
and filtered postings, requirements, clusters, analytics tables: what a
crawl and ``medcoder analyse`` leave), after a WAL checkpoint, as file +
WAL:

* ``with_fts_mb``: as written (the FTS index over title and description kept
  up by triggers, as ``medcoder`` runs);
* ``with_fts_vacuumed_mb``: the same after ``VACUUM``;
* ``without_fts_mb``: after dropping the FTS table and its triggers, vacuumed.

``*_per_100k_mb`` scale each to 100,000 postings; ``tables_mb`` gives the
largest tables and indexes (SQLite's ``dbstat``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
from pathlib import Path

from bench.common import OUT_DIR, parser, run
from bench.market import market_db

FIGURES = ("postings", "with_fts_mb", "with_fts_vacuumed_mb", "without_fts_mb", "fts_share", "with_fts_per_100k_mb",
           "without_fts_per_100k_mb", "bytes_per_posting")


def on_disk(path: Path) -> int:
    """Bytes of the database file and its WAL, after checkpointing the WAL into the file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("pragma wal_checkpoint(truncate)")
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def largest_tables(path: Path, top: int = 8) -> dict[str, float]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("select name, sum(pgsize) from dbstat group by name order by 2 desc limit ?", [top]).fetchall()
    except sqlite3.OperationalError:  # SQLite built without dbstat
        return {}
    finally:
        conn.close()
    return {name: round(size / 2**20, 2) for name, size in rows}


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    import sqlite_utils

    source = market_db(n, args.seed, out_dir=Path(args.cache))
    copy = workdir / f"dbsize-{n}.db"
    for f in (copy, copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
        f.unlink(missing_ok=True)
    shutil.copyfile(source, copy)
    with_fts = on_disk(copy)
    conn = sqlite3.connect(copy)
    postings, filtered, requirements = (conn.execute(f"select count(*) from {t}").fetchone()[0]
                                        for t in ("postings", "filtered_postings", "posting_requirements"))
    conn.execute("vacuum")
    conn.close()
    vacuumed = on_disk(copy)
    tables = largest_tables(copy)
    db = sqlite_utils.Database(copy)
    db["postings"].disable_fts()
    db.execute("vacuum")
    db.conn.close()
    without_fts = on_disk(copy)
    scale = 100_000 / n
    mb = 2**20
    return {
        "postings": postings,
        "filtered_postings": filtered,
        "requirements": requirements,
        "with_fts_mb": round(with_fts / mb, 1),
        "with_fts_vacuumed_mb": round(vacuumed / mb, 1),
        "without_fts_mb": round(without_fts / mb, 1),
        "fts_share": round(1 - without_fts / vacuumed, 3),
        "with_fts_per_100k_mb": round(with_fts * scale / mb, 1),
        "without_fts_per_100k_mb": round(without_fts * scale / mb, 1),
        "bytes_per_posting": round(with_fts / n),
        "tables_mb": tables,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, 100_000)
    ap.add_argument("--cache", default=str(OUT_DIR), help="where analysed market databases are kept (default bench/out)")
    args = ap.parse_args(argv)
    return run("dbsize_bench", measure, args, argv)


if __name__ == "__main__":
    main()

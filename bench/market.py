"""A fully analysed synthetic market database, built once per size and cached in ``bench/out/``.

The gap-report and database-size benchmarks need N postings as a real
crawl and ``medcoder analyse`` leave them: requirements extracted by the
real extractor, clusters from the real de-duplication, analytics tables.
``analyse_db`` handles about 200 postings a second on one core, so the
postings are split into shards analysed in parallel (each shard by the real
``analyse_db`` in its own process), merged into one file, then
de-duplicated and summarised once over the whole market. The result is
cached under a key of the size, the seed, the generator's source, the
extractor and taxonomy versions and the schema version: a changed
generator, a new extractor or taxonomy version or a migration rebuilds it.

    python -m bench.market --n 100000 [--workers 2]   # build (or find) it and print its path
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import OUT_DIR, REPO_ROOT, child_env

# posting_requirements' own id is left to the merged file to number.
REQUIREMENT_COLUMNS = "posting_id, skill_id, category, level, alt_group, within_months, detail, evidence"


def cache_key(n: int, seed: int) -> dict:
    """What the cached database depends on; any change means a rebuild."""
    from analysis.extract import EXTRACTOR_VERSION
    from analysis.taxonomy import load_taxonomy
    from medcoder.db import MIGRATIONS

    generator = (REPO_ROOT / "bench" / "synthetic.py").read_bytes()
    return {"n": n, "seed": seed, "generator": hashlib.sha1(generator).hexdigest()[:12], "extractor": EXTRACTOR_VERSION,
            "taxonomy": load_taxonomy().version, "schema": max(v for v, _, _ in MIGRATIONS)}


def market_db(n: int, seed: int = 7, *, out_dir: Path = OUT_DIR, workers: int | None = None, rebuild: bool = False,
              log=print) -> Path:
    """The path of an analysed market of ``n`` postings (built now unless a matching one is cached)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"market-{n}-{seed}.db"
    key_file = path.with_suffix(".json")
    key = cache_key(n, seed)
    if not rebuild and path.exists() and key_file.exists() and json.loads(key_file.read_text()) == key:
        return path
    t0 = time.perf_counter()
    shards = _finished_shards(path, key, rebuild)
    if shards is None:
        workers = max(1, min(workers or os.cpu_count() or 1, 8, n))
        for stale in (path, key_file, *out_dir.glob(f"{path.name}-*"), *out_dir.glob(f"{path.stem}.shard*")):
            stale.unlink(missing_ok=True)
        shards = [out_dir / f"{path.stem}.shard{k}.db" for k in range(workers)]
        log(f"building {path.name}: {n:,} postings in {workers} shard(s)")
        procs = [subprocess.Popen([sys.executable, "-m", "bench.market", "--shard", str(k), "--of", str(workers), "--n", str(n),
                                   "--seed", str(seed), "--db", str(shard)], cwd=REPO_ROOT, env=child_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for k, shard in enumerate(shards)]
        failures = []
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                failures.append(f"{' '.join(map(str, proc.args))} exited {proc.returncode}:\n{err[-3000:]}")
        if failures:
            raise RuntimeError("shard build failed: " + failures[0])
        # Analysed shards are the expensive part: mark them, so a failed merge is retried without them.
        for shard in shards:
            shard.with_suffix(".done").write_text(json.dumps(key))
    else:
        log(f"merging the {len(shards)} finished shard(s) of {path.name}")
    path.unlink(missing_ok=True)
    merge(path, shards)
    for shard in shards:
        for f in (shard, shard.with_name(shard.name + "-wal"), shard.with_name(shard.name + "-shm"), shard.with_suffix(".done")):
            f.unlink(missing_ok=True)
    key_file.write_text(json.dumps(key, indent=1) + "\n")
    log(f"built {path.name} in {time.perf_counter() - t0:.0f} s")
    return path


def _finished_shards(path: Path, key: dict, rebuild: bool) -> list[Path] | None:
    """The shards of an earlier build that finished analysing for this very key, or None."""
    if rebuild:
        return None
    shards = sorted(path.parent.glob(f"{path.stem}.shard*.db"))
    done = [s.with_suffix(".done") for s in shards]
    if shards and all(d.exists() and json.loads(d.read_text()) == key for d in done):
        return shards
    return None


def build_shard(db_path: Path, n: int, seed: int, shard: int, of: int) -> None:
    """Write every ``of``-th synthetic posting (from ``shard``) into ``db_path`` and analyse it with ``analyse_db``."""
    import analysis.pipeline as pipeline
    from bench.synthetic import generate, write_db
    from medcoder.db import connect

    # De-duplication and analytics need the whole market: :func:`merge` runs them once over it,
    # so the shard's analyse_db skips its own (partial, thrown-away) passes.
    for name in ("deduplicate_db", "refresh_analytics"):
        if hasattr(pipeline, name):
            setattr(pipeline, name, _skipped_pass)
    db = connect(db_path)
    write_db(db, (row for i, row in enumerate(generate(n, seed)) if i % of == shard))
    pipeline.analyse_db(db)
    db.conn.close()


def _skipped_pass(db) -> dict:
    return {"postings": 0, "clusters": 0, "duplicates": 0}


def merge(path: Path, shards: list[Path]) -> None:
    """Merge analysed shards into one database, then de-duplicate and refresh analytics over all of it."""
    from analysis.dedup import deduplicate_db
    from analysis.pipeline import sync_skills
    from medcoder.db import connect

    db = connect(path)
    sync_skills(db)
    for shard in shards:
        connect(shard).conn.close()  # brings a shard built by an older tree up to the current schema
        db.execute("attach database ? as shard", [str(shard)])
        with db.conn:
            for table, verb in (("sources", "insert or ignore"), ("postings", "insert"), ("filtered_postings", "insert")):
                columns = ", ".join(f"[{c.name}]" for c in db[table].columns)
                db.execute(f"{verb} into [{table}] ({columns}) select {columns} from shard.[{table}]")
            db.execute(f"insert into posting_requirements ({REQUIREMENT_COLUMNS}) select {REQUIREMENT_COLUMNS} "
                       "from shard.posting_requirements order by id")
        db.execute("detach database shard")
    deduplicate_db(db)
    try:
        from analysis.analytics import refresh_analytics
    except ImportError:  # older trees: the market is complete without the summary tables
        pass
    else:
        refresh_analytics(db)
    db.execute("pragma wal_checkpoint(truncate)")
    db.conn.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--shard", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--of", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.shard is not None:
        build_shard(Path(args.db), args.n, args.seed, args.shard, args.of)
        return
    print(market_db(args.n, args.seed, workers=args.workers, rebuild=args.rebuild))


if __name__ == "__main__":
    main()

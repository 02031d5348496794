"""Benchmark: the full analysis of N postings, stage by stage, with time and peak memory.

    python -m bench.analysis_bench [--n 10000] [--sizes 5000,20000] [--seed 7] [--no-trace]

Stages, each in a fresh process against one database file, so each one's
peak resident memory (``ru_maxrss``) is its own:

* ``load``: N synthetic postings written into a new database (not part of
  the analysis; it sets the stage, FTS triggers included);
* ``normalise``: :func:`crawlers.pipelines.clean.normalise_item` on each
  posting as a crawl delivers it (HTML description, location and pay as
  text): HTML to text, location, salary and date parsing;
* ``relevance``: :func:`analysis.relevance.judge` on each posting;
* ``extract``: :func:`analysis.pipeline.analyse_db` on the database
  (requirements of every posting, written back, then its whole-market
  passes: de-duplication and, in newer trees, the analytics refresh);
  ``extract_only_seconds`` leaves those passes out;
* ``dedup``: :func:`analysis.dedup.deduplicate_db` alone;
* ``analytics``: :func:`analysis.analytics.refresh_analytics` (skipped,
  with a note, when the tree has no analytics module).

Times come from an untraced run. Memory: ``*_peak_rss_mb`` is the stage
process's peak resident set (Python, imports and SQLite's page cache
included), ``*_rss_growth_mb`` its growth over the process after imports,
and ``*_traced_peak_mb`` the peak of Python allocations under
``tracemalloc`` in a second run of the stage (skipped with ``--no-trace``:
tracing slows Python code 1.5-4x, so the traced run is not timed).
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.common import parser, peak_rss_mb, rss_mb, run, run_child_json

STAGES = ("normalise", "relevance", "extract", "dedup", "analytics")
FIGURES = ("postings", "load_seconds", "total_seconds", *(f"{s}_{k}" for s in STAGES for k in ("seconds", "peak_rss_mb")),
           "extract_only_seconds")


def _rows(n: int, seed: int):
    from bench.synthetic import generate

    return generate(n, seed)


# Each stage imports and warms up what it needs, then returns the work to time and measure;
# the work returns (seconds, postings handled, extra figures).
Work = Callable[[], tuple[float, int, dict]]


def stage_load(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    from bench.synthetic import write_db
    from medcoder.db import connect

    db = connect(db_path)

    def work():
        t0 = time.perf_counter()
        count = write_db(db, _rows(n, seed))
        seconds = time.perf_counter() - t0
        db.conn.close()
        return seconds, count, {}

    return work


def stage_normalise(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    from bench.synthetic import description_html
    from crawlers.items import PostingItem
    from crawlers.pipelines.clean import normalise_item

    normalise_item(PostingItem(source="warm-up", url="https://x.example/1", location_text="Austin, TX", salary_text="$20/hr",
                               description_html="<p>CPC required</p>"))

    def work():
        seconds, count, with_salary = 0.0, 0, 0
        for row in _rows(n, seed):
            # The crawl's view of a posting: HTML description, place and pay as the source writes them.
            item = PostingItem(source=row["source_id"], url=row["url"], title=row["title"], source_job_id=row["source_job_id"],
                               employer=row["employer"], location_text=row["location_text"], salary_text=row["salary_text"],
                               posted_at=row["posted_at"], description_html=description_html(row))
            t0 = time.perf_counter()
            item = normalise_item(item)
            seconds += time.perf_counter() - t0
            count += 1
            with_salary += "salary" in item.extras
        return seconds, count, {"with_salary": with_salary}

    return work


def stage_relevance(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    from analysis.relevance import judge

    judge("Medical Coder", "warm-up: trains the classifier once per process")

    def work():
        seconds, count, scopes = 0.0, 0, {}
        for row in _rows(n, seed):
            t0 = time.perf_counter()
            verdict = judge(row["title"], row["description"])
            seconds += time.perf_counter() - t0
            count += 1
            scopes[verdict.scope] = scopes.get(verdict.scope, 0) + 1
        return seconds, count, {"scopes": scopes}

    return work


def stage_extract(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    import analysis.pipeline as pipeline
    from medcoder.db import connect

    # analyse_db ends with whole-market passes (de-duplication, analytics); time them as
    # they run so extraction can be reported without them. The real functions do the work.
    passes: dict[str, float] = {}
    for name in ("deduplicate_db", "refresh_analytics"):
        real = getattr(pipeline, name, None)
        if real is not None:
            setattr(pipeline, name, _timed(real, name, passes))
    db = connect(db_path)
    pipeline.load_taxonomy()

    def work():
        t0 = time.perf_counter()
        result = pipeline.analyse_db(db, force=rerun)
        seconds = time.perf_counter() - t0
        db.conn.close()
        return seconds, result.analysed, {"requirements": result.requirements,
                                          "passes_seconds": {k: round(v, 3) for k, v in passes.items()}}

    return work


def _timed(fn, name: str, into: dict[str, float]):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - t0
    return wrapper


def stage_dedup(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    from analysis.dedup import deduplicate_db
    from medcoder.db import connect

    db = connect(db_path)

    def work():
        t0 = time.perf_counter()
        counts = deduplicate_db(db)
        seconds = time.perf_counter() - t0
        db.conn.close()
        return seconds, counts["postings"], {"clusters": counts["clusters"]}

    return work


def stage_analytics(db_path: Path, n: int, seed: int, rerun: bool) -> Work:
    try:
        from analysis.analytics import refresh_analytics
    except ImportError:
        return lambda: (0.0, 0, {"skipped": "analysis/analytics.py is not in this tree"})
    from medcoder.db import connect

    db = connect(db_path)

    def work():
        t0 = time.perf_counter()
        counts = refresh_analytics(db)
        seconds = time.perf_counter() - t0
        db.conn.close()
        return seconds, counts.get("market_postings", 0), {"rows": sum(counts.values())}

    return work


STAGE_FUNCTIONS = {"load": stage_load, "normalise": stage_normalise, "relevance": stage_relevance,
                   "extract": stage_extract, "dedup": stage_dedup, "analytics": stage_analytics}


def run_stage(stage: str, db_path: Path, n: int, seed: int, *, trace: bool, rerun: bool) -> dict:
    """Run one stage in this process; its figures as a dict (printed as JSON by the child)."""
    work = STAGE_FUNCTIONS[stage](db_path, n, seed, rerun)
    baseline = rss_mb()  # imports done, models trained: what is left is the stage's own memory
    if trace:
        tracemalloc.start()
    seconds, items, extra = work()
    out = {"stage": stage, "seconds": round(seconds, 3), "items": items, "baseline_rss_mb": baseline,
           "peak_rss_mb": peak_rss_mb(), **extra}
    if trace:
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return out


def _child(stage: str, db_path: Path, n: int, seed: int, *, trace: bool = False, rerun: bool = False) -> dict:
    args = ["-m", "bench.analysis_bench", "--stage", stage, "--db", str(db_path), "--n", str(n), "--seed", str(seed)]
    return run_child_json(args + (["--trace"] if trace else []) + (["--rerun"] if rerun else []))


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    db_path = workdir / f"analysis-{n}.db"
    for f in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")):
        f.unlink(missing_ok=True)
    load = _child("load", db_path, n, args.seed)
    figures: dict = {"postings": n, "load_seconds": load["seconds"]}
    total = 0.0
    notes = []
    for stage in STAGES:
        timed = _child(stage, db_path, n, args.seed)
        if timed.get("skipped"):
            notes.append(f"{stage}: {timed['skipped']}")
            continue
        total += timed["seconds"]
        figures[f"{stage}_seconds"] = timed["seconds"]
        figures[f"{stage}_items"] = timed["items"]
        figures[f"{stage}_per_second"] = round(timed["items"] / timed["seconds"], 1) if timed["seconds"] else None
        figures[f"{stage}_peak_rss_mb"] = timed["peak_rss_mb"]
        figures[f"{stage}_rss_growth_mb"] = round(timed["peak_rss_mb"] - timed["baseline_rss_mb"], 1)
        if stage == "extract":
            passes = timed["passes_seconds"]
            figures["extract_only_seconds"] = round(timed["seconds"] - sum(passes.values()), 3)
            figures["extract_only_per_second"] = round(timed["items"] / figures["extract_only_seconds"], 1)
            figures["requirements"] = timed["requirements"]
        if not args.no_trace:
            # extract must redo every posting (force) to allocate what the timed run did.
            traced = _child(stage, db_path, n, args.seed, trace=True, rerun=True)
            figures[f"{stage}_traced_peak_mb"] = traced["traced_peak_mb"]
    figures["total_seconds"] = round(total, 2)
    if notes:
        figures["notes"] = "; ".join(notes)
    return figures


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, 10_000)
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run of each stage")
    ap.add_argument("--stage", choices=sorted(STAGE_FUNCTIONS), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rerun", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage:  # a child process: one stage, its figures as one JSON line
        print(json.dumps(run_stage(args.stage, Path(args.db), args.n, args.seed, trace=args.trace, rerun=args.rerun)))
        return {}
    return run("analysis_bench", measure, args, argv)


if __name__ == "__main__":
    main()

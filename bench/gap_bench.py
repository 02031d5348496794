"""Benchmark: the skills-gap report on an analysed market of N postings; time and peak memory.

    python -m bench.gap_bench [--n 100000] [--sizes 10000,100000] [--seed 7] [--cache DIR] [--no-trace]

The market is built once per size by ``bench/market.py`` (real extraction,
de-duplication and analytics; cached in ``bench/out/``; building it is not
timed here). The report is :func:`analysis.gap.gap_report` for the bundled
sample profile (``analysis/sample_profile.toml``: India and US, CPC, 1.5
years), run in a fresh process against the database file, then rendered as
HTML. ``gap_cpu_seconds`` is the report's CPU time in that process (on a
shared machine, wall time also counts waiting for a core; CPU time does
not). ``peak_rss_mb`` is that process's peak resident set,
``rss_growth_mb`` its growth over the process after imports, and
``traced_peak_mb`` the peak of Python allocations under ``tracemalloc`` in
a second, untimed run.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

from bench.common import OUT_DIR, parser, peak_rss_mb, rss_mb, run, run_child_json
from bench.market import market_db

FIGURES = ("market_postings", "gap_seconds", "gap_cpu_seconds", "render_html_seconds", "peak_rss_mb", "rss_growth_mb",
           "qualified", "near_miss", "plan_steps")


def report_once(db_path: Path, *, trace: bool) -> dict:
    """One gap report (and its HTML) in this process; the figures."""
    from analysis.gap import gap_report
    from analysis.profile import load_profile, sample_profile_path
    from analysis.report import render
    from analysis.taxonomy import load_taxonomy
    from medcoder.db import connect

    db = connect(db_path)
    profile = load_profile(sample_profile_path())
    load_taxonomy()
    baseline = rss_mb()
    if trace:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = gap_report(db, profile)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    t0 = time.perf_counter()
    page = render(report, "html", profile_name=profile.name)
    render_seconds = time.perf_counter() - t0
    out = {"gap_seconds": round(seconds, 3), "gap_cpu_seconds": round(cpu_seconds, 3), "render_html_seconds": round(render_seconds, 3),
           "html_kb": round(len(page) / 1024, 1), "baseline_rss_mb": baseline, "peak_rss_mb": peak_rss_mb(),
           "summary": _summary(report)}
    if trace:
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    db.conn.close()
    return out


def _summary(report: dict) -> dict:
    """A few counts from the report, so a run that measured an empty market shows it."""
    return {"postings_considered": report["postings_considered"], "status_counts": report["status_counts"],
            "qualified": report["qualified"], "plan_steps": len(report["plan"])}


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    path = market_db(n, args.seed, out_dir=Path(args.cache))
    timed = run_child_json(["-m", "bench.gap_bench", "--report", str(path)])
    summary = timed["summary"]
    figures = {
        "market_postings": summary["postings_considered"],
        "gap_seconds": timed["gap_seconds"],
        "gap_cpu_seconds": timed["gap_cpu_seconds"],
        "render_html_seconds": timed["render_html_seconds"],
        "html_kb": timed["html_kb"],
        "peak_rss_mb": timed["peak_rss_mb"],
        "rss_growth_mb": round(timed["peak_rss_mb"] - timed["baseline_rss_mb"], 1),
        "qualified": summary["qualified"],
        "near_miss": summary["status_counts"].get("near_miss", 0),
        "plan_steps": summary["plan_steps"],
    }
    if not args.no_trace:
        figures["traced_peak_mb"] = run_child_json(["-m", "bench.gap_bench", "--report", str(path), "--trace"])["traced_peak_mb"]
    return figures


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, 100_000)
    ap.add_argument("--cache", default=str(OUT_DIR), help="where analysed market databases are kept (default bench/out)")
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    ap.add_argument("--report", help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.report:  # a child process: one report, its figures as one JSON line
        print(json.dumps(report_once(Path(args.report), trace=args.trace)))
        return {}
    return run("gap_bench", measure, args, argv)


if __name__ == "__main__":
    main()

"""Run every benchmark and save their figures in one JSON file.

    python -m bench.run_all                 # each benchmark at its recorded sizes (long: see docs/benchmarks.md)
    python -m bench.run_all --short         # 5,000 postings each, one size: the quick check
    python -m bench.run_all --n 300         # any one size (the test suite's smoke run)
    python -m bench.run_all --only extract_bench,gap_bench

Figures are printed as each benchmark finishes and written to
``bench/out/results.json`` (``--out``). The Datasette benchmark
(``bench/datasette_bench.py``) is run on its own.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

from bench.common import OUT_DIR, machine

# Benchmark module -> the sizes docs/benchmarks.md records (two each, for the growth ratio).
# The largest size of each fits in about ten minutes on the 2-core machine the figures come from.
FULL_SIZES = {
    "crawl_bench": "2000,10000",
    "extract_bench": "2000,10000",
    "analysis_bench": "5000,20000",
    "dedup_bench": "10000,100000",
    "gap_bench": "10000,100000",
    "dbsize_bench": "10000,100000",
}
SHORT_N = 5000


def argv_for(name: str, args: argparse.Namespace, cache: Path) -> list[str]:
    """The arguments ``run_all`` gives one benchmark's ``main``."""
    argv = ["--sizes", FULL_SIZES[name]] if args.n is None and not args.short else ["--n", str(args.n or SHORT_N)]
    if name in ("gap_bench", "dbsize_bench"):
        argv += ["--cache", str(cache)]
    if args.no_trace and name in ("analysis_bench", "gap_bench"):
        argv.append("--no-trace")
    return argv


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help=f"{SHORT_N:,} postings per benchmark, one size")
    ap.add_argument("--n", type=int, help="one size for every benchmark")
    ap.add_argument("--only", help="comma-separated benchmark names (default: all)")
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    ap.add_argument("--out", default=str(OUT_DIR / "results.json"), help="where the figures are saved")
    ap.add_argument("--cache", default=str(OUT_DIR), help="where analysed market databases are kept")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(FULL_SIZES)
    unknown = set(names) - set(FULL_SIZES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(FULL_SIZES)}")
    results: dict = {"machine": machine(), "benchmarks": {}}
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        t0 = time.perf_counter()
        results["benchmarks"][name] = module.main(argv_for(name, args, Path(args.cache)))
        results["benchmarks"][name]["wall_seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures saved to {out}")
    return results


if __name__ == "__main__":
    main()

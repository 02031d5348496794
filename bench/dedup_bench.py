"""Benchmark: de-duplicate N synthetic postings in memory (:func:`analysis.dedup.cluster`); time and peak memory.

    python -m bench.dedup_bench [--n 100000] [--sizes 10000,100000] [--seed 7]

Only the clustering itself, on the in-scope postings held in memory: the
database round trip is in ``bench.analysis_bench`` (stage ``dedup``).
``peak_traced_mb`` is the peak of Python allocations during clustering
(``tracemalloc``; numpy and SciPy buffers included); ``max_rss_mb`` the
process's peak resident set, generated postings included.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

from analysis.dedup import DedupPosting, cluster
from bench.common import parser, peak_rss_mb, run
from bench.synthetic import generate

FIGURES = ("postings", "clusters", "duplicates", "seconds", "postings_per_second", "peak_traced_mb", "max_rss_mb")


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    postings = [DedupPosting(r["id"], r["source_id"], r["employer"], r["title"], r["city"], r["country"], r["remote"],
                             r["description"], r["first_seen"]) for r in generate(n, args.seed) if r["scope"] == "in"]
    # Time first, untraced; then the same clustering again under tracemalloc for its memory.
    t0 = time.perf_counter()
    mapping = cluster(postings)
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    cluster(postings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    clusters = len(set(mapping.values()))
    return {"postings": len(postings), "clusters": clusters, "duplicates": len(postings) - clusters,
            "seconds": round(seconds, 2), "postings_per_second": round(len(postings) / seconds),
            "peak_traced_mb": round(peak / 2**20, 1), "max_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__, 100_000).parse_args(argv)
    return run("dedup_bench", measure, args, argv)


if __name__ == "__main__":
    main()

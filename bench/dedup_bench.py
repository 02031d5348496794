"""Benchmark: de-duplicate N synthetic postings in memory (:func:`analysis.dedup.cluster`); time and peak memory.

    python -m bench.dedup_bench [--n 100000] [--sizes 10000,100000] [--seed 7]

Only the clustering itself, on the in-scope postings held in memory: the
database round trip is in ``bench.analysis_bench`` (stage ``dedup``).
``peak_traced_mb`` is the peak of Python allocations during clustering
(``tracemalloc``; numpy and SciPy buffers included); ``max_rss_mb`` the
process's peak resident set, generated postings included.

``all_pairs_seconds`` is the same clustering with every (employer, role
family) block compared all-pairs (``subblock_min=None``, as before blocks
were split), and ``differing_from_all_pairs`` the postings whose cluster
differs between the two (0: the split changes the time, not the result).
``one_employer_*`` clusters the same postings as if one employer had posted
them all: blocks are then role families, each about a tenth of the market.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

from analysis.dedup import DedupPosting, cluster
from bench.common import parser, peak_rss_mb, run
from bench.synthetic import generate

FIGURES = ("postings", "clusters", "duplicates", "seconds", "postings_per_second", "peak_traced_mb", "max_rss_mb",
           "all_pairs_seconds", "differing_from_all_pairs", "one_employer_clusters", "one_employer_seconds")


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
    max_rss = peak_rss_mb()  # before the all-pairs run, whose batches of similarities are larger
    t0 = time.perf_counter()
    all_pairs = cluster(postings, subblock_min=None)
    all_pairs_seconds = time.perf_counter() - t0
    one_employer = [replace(p, employer="One Health System") for p in postings]
    t0 = time.perf_counter()
    one_mapping = cluster(one_employer)
    one_seconds = time.perf_counter() - t0
    clusters = len(set(mapping.values()))
    return {"postings": len(postings), "clusters": clusters, "duplicates": len(postings) - clusters,
            "seconds": round(seconds, 2), "postings_per_second": round(len(postings) / seconds),
            "peak_traced_mb": round(peak / 2**20, 1), "max_rss_mb": max_rss,
            "all_pairs_seconds": round(all_pairs_seconds, 2),
            "differing_from_all_pairs": sum(mapping[k] != all_pairs[k] for k in mapping),
            "one_employer_clusters": len(set(one_mapping.values())), "one_employer_seconds": round(one_seconds, 2)}


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__, 100_000).parse_args(argv)
    return run("dedup_bench", measure, args, argv)


if __name__ == "__main__":
    main()

"""Benchmark: de-duplicate N synthetic postings (default 100,000); time and peak memory.

    python -m bench.dedup_bench [--n 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from analysis.dedup import DedupPosting, cluster
from bench.synthetic import generate


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rows = [r for r in generate(args.n, args.seed) if r["scope"] == "in"]
    postings = [DedupPosting(r["id"], r["source_id"], r["employer"], r["title"], r["city"], r["country"], r["remote"],
                             r["description"], r["first_seen"]) for r in rows]
    tracemalloc.start()
    t0 = time.perf_counter()
    mapping = cluster(postings)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    clusters = len(set(mapping.values()))
    figures = {"postings": len(postings), "clusters": clusters, "duplicates": len(postings) - clusters,
               "seconds": round(seconds, 2), "postings_per_second": round(len(postings) / seconds),
               "peak_traced_mb": round(peak / 2**20, 1),
               "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    for k, v in figures.items():
        print(f"{k}: {v}")
    return figures


if __name__ == "__main__":
    main()

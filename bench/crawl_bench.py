"""Benchmark: crawl throughput, postings per second through real Scrapy and the pipelines.

    python -m bench.crawl_bench [--n 2000] [--sizes 2000,10000] [--seed 7]

Serves N synthetic postings from a loopback board (``bench/board.py``) and
crawls them the way ``medcoder crawl`` does (``run_spider``: a Scrapy
process of its own, clean -> relevance -> store into a fresh SQLite file):

* ``greenhouse``: one API call returns the whole board (the ``greenhouse`` spider);
* ``jsonld``: listing pages of 50 links, then one career page per posting
  with JobPosting JSON-LD (the ``jobposting_pages`` spider in listing mode).

Politeness is off for the benchmark only (``medcoder.crawl.LOCAL_SETTINGS``:
no download delay, no AutoThrottle, 8 requests at a time to the host).
The Greenhouse board of N postings is one JSON body of about 5 KB per
posting, so ``MEDCODER_BOARD_MAXSIZE`` (the bound for whole-board API
answers) is raised to fit it when it is over the default 100 MB. A crawl of a
one-posting board gives the fixed cost of a crawl process (Python and
Scrapy start-up, training the relevance model, opening the database, the
first item), reported as ``startup_seconds``;
``*_steady_postings_per_second`` leaves it out.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.board import SyntheticBoard
from bench.common import parser, run
from bench.synthetic import generate
from medcoder.crawl import LOCAL_SETTINGS, run_spider

FIGURES = ("startup_seconds", "greenhouse_seconds", "greenhouse_postings", "greenhouse_postings_per_second",
           "greenhouse_steady_postings_per_second", "jsonld_seconds", "jsonld_postings", "jsonld_requests",
           "jsonld_postings_per_second", "jsonld_steady_postings_per_second", "kept", "filtered")


def _crawl(spider: str, args: dict, db: Path, settings: dict) -> tuple[float, dict]:
    """Run one crawl; its wall time and its ``crawl_runs`` row (which must say the crawl finished)."""
    t0 = time.perf_counter()
    result = run_spider(spider, args, db=db, settings=settings, log_path=db.with_suffix(".log"))
    seconds = time.perf_counter() - t0
    if result.run is None or result.run.get("finish_reason") != "finished":
        raise RuntimeError(f"{spider} crawl did not finish (status {result.status}); see {result.log_path}")
    return seconds, result.run


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    """Crawl N postings from the loopback board through each source format; the figures."""
    with SyntheticBoard(list(generate(n, args.seed))) as board:
        body = board.board_json("synthetic")
        settings = {**LOCAL_SETTINGS,
                    "MEDCODER_BOARD_MAXSIZE": str(max(len(body) * 2, 100 * 2**20)),
                    "MEDCODER_BOARD_WARNSIZE": str(max(len(body) * 2, 50 * 2**20))}
        startup, _ = _crawl("greenhouse", {"board": "one", "api_base": board.base_url}, workdir / f"crawl-one-{n}.db", settings)
        gh_seconds, gh = _crawl("greenhouse", {"board": "synthetic", "api_base": board.base_url}, workdir / f"crawl-greenhouse-{n}.db",
                                settings)
        before = board.requests
        jl_seconds, jl = _crawl("jobposting_pages", {"url": board.listing_url, "max_pages": str(board.pages + 1)},
                                workdir / f"crawl-jsonld-{n}.db", settings)
        requests = board.requests - before
    for name, run_row in (("greenhouse", gh), ("jsonld", jl)):
        if run_row["items_scraped"] != n:
            raise RuntimeError(f"{name} crawl scraped {run_row['items_scraped']} of {n} postings")

    def rate(items: int, seconds: float) -> float:
        return round(items / seconds, 1) if seconds > 0 else 0.0

    return {
        "startup_seconds": round(startup, 2),
        "greenhouse_seconds": round(gh_seconds, 2),
        "greenhouse_postings": gh["items_scraped"],
        "greenhouse_postings_per_second": rate(gh["items_scraped"], gh_seconds),
        "greenhouse_steady_postings_per_second": rate(gh["items_scraped"], gh_seconds - startup),
        "greenhouse_body_mb": round(len(body) / 2**20, 1),
        "jsonld_seconds": round(jl_seconds, 2),
        "jsonld_postings": jl["items_scraped"],
        "jsonld_requests": requests,
        "jsonld_postings_per_second": rate(jl["items_scraped"], jl_seconds),
        "jsonld_steady_postings_per_second": rate(jl["items_scraped"], jl_seconds - startup),
        "kept": jl["items_kept"],
        "filtered": jl["items_filtered"],
    }


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__, 2000).parse_args(argv)
    return run("crawl_bench", measure, args, argv)


if __name__ == "__main__":
    main()

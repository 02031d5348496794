"""Benchmark: Datasette pages on 100,000 synthetic postings (facets, search, canned queries, dashboards).

    python -m bench.datasette_bench [--n 100000] [--reps 10] [--db bench/out/datasette-bench.db] [--reuse]

Builds a migrated medcoder database with N postings (about 12% duplicates
across sources, 10% closed, 3% under review), their requirements, sources and
crawl runs, straight through sqlite-utils (FTS built once at the end, not
row by row), runs the analytics refresh, then times each page in-process
through ``datasette.client`` exactly as ``medcoder serve`` configures it:
median and 95th percentile over ``--reps`` repetitions after one warm-up.
Descriptions are under 1 KB: enough words for realistic search posting lists,
short enough to build in well under a minute. Dates are relative to today.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlite_utils

from analysis.analytics import refresh_analytics
from analysis.pipeline import sync_skills
from medcoder.db import migrate

US = [("Sacramento", "CA"), ("Austin", "TX"), ("Columbus", "OH"), ("Tampa", "FL"), ("Denver", "CO"), ("Raleigh", "NC"),
      ("Phoenix", "AZ"), ("Nashville", "TN"), ("Boston", "MA"), ("Atlanta", "GA"), ("Seattle", "WA"), ("Chicago", "IL")]
IN = [("Chennai", "Tamil Nadu"), ("Hyderabad", "Telangana"), ("Noida", "Uttar Pradesh"), ("Gurugram", "Haryana"),
      ("Bengaluru", "Karnataka"), ("Pune", "Maharashtra"), ("Kochi", "Kerala"), ("Coimbatore", "Tamil Nadu")]
FAMILIES = {  # family: (title, credentials, code sets)
    "inpatient": ("Inpatient Coder", ["CCS", "CIC", "RHIT"], ["ICD-10-CM", "ICD-10-PCS", "DRG"]),
    "outpatient": ("Outpatient Coder", ["CPC", "COC", "CCS"], ["ICD-10-CM", "CPT", "HCPCS"]),
    "pro-fee": ("Professional Fee Coder", ["CPC", "CCS-P"], ["CPT", "ICD-10-CM", "E/M"]),
    "ed": ("ED Facility Coder", ["CPC", "CEDC", "COC"], ["ICD-10-CM", "CPT", "E/M"]),
    "risk-adjustment": ("Risk Adjustment Coder", ["CRC", "CPC"], ["ICD-10-CM", "HCC"]),
    "audit": ("Coding Quality Auditor", ["CPMA", "CCS", "CPC"], ["ICD-10-CM", "CPT", "DRG"]),
    "cdi": ("Clinical Documentation Integrity Specialist", ["CCDS", "CDIP"], ["ICD-10-CM", "DRG"]),
    "education": ("Coding Educator", ["CPC", "CCS"], ["ICD-10-CM", "CPT"]),
    "management": ("Coding Manager", ["RHIA", "RHIT", "CCS"], ["ICD-10-CM", "CPT"]),
    "general": ("Medical Coder", ["CPC", "CPC-A", "CCA"], ["ICD-10-CM", "CPT"]),
}
TOOLS = ["epic", "cerner", "3m-encoder", "optum-encoder", "trucode", "excel"]
SOURCES = ["workday:acme", "greenhouse:harbor", "lever:summit", "ashby:cascadia", "smartrecruiters:kaveri",
           "remotive", "remoteok", "himalayas", "oracle_hcm:tidewater", "demo_board"]
SENTENCES = [
    "You will review medical records, abstract diagnoses and procedures and assign accurate codes.",
    "Query providers when documentation is unclear and meet productivity and 95% accuracy standards.",
    "Our benefits include medical, dental and vision coverage, paid time off and CEU reimbursement.",
    "Work closely with physicians, CDI colleagues and the revenue cycle team on denials and audits.",
    "Training is provided on our encoder, EHR workflows and payer-specific guidelines.",
    "Night shift allowance, cab facility and quarterly performance incentives are offered.",
    "We are an equal opportunity employer and value diversity at our company.",
]


def _postings(n: int, seed: int, now: str):
    """Posting rows and requirement rows for ``n`` synthetic postings, deterministic from ``seed``."""
    rng = random.Random(seed)
    today = datetime.fromisoformat(now)
    employers = {"US": [f"{rng.choice(['Harbor', 'Sierra', 'Prairie', 'Summit'])} Health {k}" for k in range(900)],
                 "IN": [f"{rng.choice(['Kaveri', 'Deccan', 'Malabar', 'Indus'])} Coding Services {k} Pvt Ltd" for k in range(600)]}
    postings, requirements, recent = [], [], []
    for i in range(n):
        pid = f"p{i:07d}"
        if recent and rng.random() < 0.12:
            # The same job listed by another source: same cluster, not counted again.
            orig = rng.choice(recent)
            postings.append(dict(orig, id=pid, source_id=rng.choice(SOURCES), url=f"https://board.example/{i}",
                                 is_representative=0, cluster_id=orig["cluster_id"]))
            continue
        country = "US" if rng.random() < 0.6 else "IN"
        city, region = rng.choice(US if country == "US" else IN)
        family = rng.choice(list(FAMILIES))
        title, creds, code_sets = FAMILIES[family]
        if rng.random() < 0.4:
            hourly = country == "US" and rng.random() < 0.5
            if hourly:
                low = rng.randint(20, 32) * 2080  # $20-32 an hour, annualised
            else:
                low = rng.randint(40, 90) * 1000 if country == "US" else rng.randint(20, 90) * 10000  # 2-9 LPA
            salary = {"salary_currency": "USD" if country == "US" else "INR", "salary_period": "hour" if hourly else "year",
                      "salary_annual_min": float(low), "salary_annual_max": float(low * rng.choice([1.1, 1.2, 1.3]))}
        else:
            salary = {}
        posted = (today - timedelta(days=rng.randint(0, 540))).date().isoformat()  # 18 months of postings
        chosen = rng.sample(creds, rng.randint(1, len(creds)))
        words = [rng.choice(SENTENCES) for _ in range(8)]
        description = "\n".join([f"## {title}", *words[:4], "## Requirements",
                                 f"- {' or '.join(chosen)} certification required",
                                 f"- Knowledge of {', '.join(code_sets)}", *words[4:]])
        # 10% closed, spread over the last 120 days as a steady market closes them.
        closed = (today - timedelta(days=rng.randint(0, 120))).isoformat() if rng.random() < 0.10 else None
        row = {
            "id": pid, "source_id": rng.choice(SOURCES), "source_job_id": f"R{i}", "url": f"https://careers.example/{i}",
            "title": rng.choice(["", "Senior ", "Remote "]) + title + rng.choice(["", " I", " II", " III"]),
            "employer": rng.choice(employers[country]), "city": city, "region": region, "country": country,
            "remote": rng.choice(["remote", "hybrid", "onsite", "onsite", None]), "posted_at": posted,
            "first_seen": posted + "T06:00:00+00:00", "last_seen": now, "description": description,
            "scope": "review" if rng.random() < 0.03 else "in", "role_family": family,
            "experience_years_min": rng.choice([None, 0, 1, 2, 3, 5]), "education_min": rng.choice([None, "high_school", "bachelor"]),
            "closed_at": closed, "cluster_id": pid, "is_representative": 1, "salary_predicted": 0, **salary,
        }
        postings.append(row)
        recent = (recent + [row])[-200:]
        group = 1 if len(chosen) > 1 else None
        for cred in chosen:
            requirements.append((pid, cred, "credential", "required", group))
        if rng.random() < 0.5:
            requirements.append((pid, rng.choice(["CRC", "CDIP", "RHIT", "CPMA", "COC"]), "credential", "preferred", None))
        for code_set in code_sets:
            requirements.append((pid, code_set, "code_set", rng.choice(["required", "required", "preferred"]), None))
        requirements.append((pid, rng.choice(TOOLS), "tool", "preferred", None))
    return postings, requirements


def build(path: Path, n: int, seed: int = 7) -> dict:
    """Write a fresh benchmark database at ``path``; return the seconds each step took."""
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("pragma journal_mode = wal")
    db.execute("pragma synchronous = off")  # a throwaway file: durability buys nothing here
    migrate(db)
    sync_skills(db)
    timings = {}
    t0 = time.perf_counter()
    # Dates relative to today, so "this week" and "last 30 days" mean the same whenever it runs.
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    postings, requirements = _postings(n, seed, now)
    db["sources"].insert_all(({"id": s, "name": s.replace(":", " "), "spider": s.split(":")[0]} for s in SOURCES), pk="id")
    runs, run_id = [], 0
    rng = random.Random(seed)
    for days_ago in range(30, 0, -1):  # a month of daily crawls per source
        started = (datetime.fromisoformat(now) - timedelta(days=days_ago)).isoformat()
        finished = (datetime.fromisoformat(now) - timedelta(days=days_ago, minutes=-10)).isoformat()
        for source in SOURCES:
            run_id += 1
            status = rng.choices(["ok", "partial", "failed"], [90, 7, 3])[0]
            runs.append({"id": run_id, "source_id": source, "spider": source.split(":")[0], "started_at": started,
                         "finished_at": finished, "status": status,
                         "items_kept": 0 if status == "failed" else rng.randint(50, 900), "errors": rng.randint(0, 5)})
    db["crawl_runs"].insert_all(runs)
    # FTS triggers would tokenise row by row; dropping them and indexing once at the end is far faster.
    db["postings"].disable_fts()
    with db.conn:
        db["postings"].insert_all(postings, batch_size=5000, alter=False)
        db.conn.executemany("insert into posting_requirements (posting_id, skill_id, category, level, alt_group) "
                            "values (?, ?, ?, ?, ?)", requirements)
    timings["insert postings and requirements"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    db["postings"].enable_fts(["title", "description"], create_triggers=True, tokenize="porter")
    timings["build full-text index"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    refresh_analytics(db)
    timings["refresh_analytics"] = time.perf_counter() - t0
    db.conn.close()
    return timings


def pages(name: str) -> list[tuple[str, str]]:
    """(label, path) for every page the benchmark times on database ``name``."""
    from datasette_dashboards import replace_opts_in_query

    from medcoder.serve import metadata_for

    meta = metadata_for(Path(f"{name}.db"))
    queries = meta["databases"][name]["queries"]
    params = {"search_postings": {"q": "inpatient DRG"}, "postings_requiring_credential_in_region": {"credential": "CPC", "region": "TX"},
              "salary_by_credential_and_country": {"country": "US"}, "requirements_together": {"skill": "CPC"},
              "demand_trend_by_month": {"credential": "CPC"}}
    tables = meta["databases"][name]["tables"]

    def facets(table):
        return f"{table}: {len(tables[table]['facets'])} facets"

    out = [
        ("home page", "/"),
        (facets("market_postings"), f"/{name}/market_postings"),
        (facets("market_postings") + ", country=IN&role_family=inpatient", f"/{name}/market_postings?country=IN&role_family=inpatient"),
        ("market_postings: search 'inpatient'", f"/{name}/market_postings?_search=inpatient"),
        (facets("market_requirements"), f"/{name}/market_requirements"),
        (facets("market_requirements") + ", skill_id=CPC&region=TX", f"/{name}/market_requirements?skill_id=CPC&region=TX"),
        (facets("postings") + " (raw)", f"/{name}/postings"),
        ("postings (raw): search 'risk adjustment'", f"/{name}/postings?_search=risk+adjustment"),
        ("posting page", f"/{name}/postings/p0000001"),
    ]
    for qname in queries:
        qs = urlencode(params.get(qname, {}))
        out.append((f"query {qname}", f"/{name}/{qname}" + (f"?{qs}" if qs else "")))
    for slug, dashboard in meta["plugins"]["datasette-dashboards"].items():
        out.append((f"dashboard {slug} (page)", f"/-/dashboards/{slug}"))
        for chart_slug, chart in dashboard["charts"].items():
            sql = replace_opts_in_query(chart["query"], {})
            out.append((f"dashboard {slug}: {chart_slug}", f"/{name}.json?" + urlencode({"sql": sql, "_shape": "objects"})))
    return out


async def _time_pages(path: Path, reps: int) -> list[dict]:
    from medcoder.serve import datasette_app

    ds = datasette_app(path)
    await ds.invoke_startup()
    results = []
    for label, url in pages(path.stem):
        samples = []
        for i in range(reps + 1):
            t0 = time.perf_counter()
            response = await ds.client.get(url)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{label}: HTTP {response.status_code} for {url}")
            if i:  # the first request warms caches and is not counted
                samples.append(elapsed)
        timed_out = []
        if "_facet" in url or "/market_" in url or url.endswith("/postings"):
            data = (await ds.client.get(url.replace("?", ".json?", 1) if "?" in url else url + ".json")).json()
            timed_out = data.get("facets_timed_out") or []
        samples.sort()
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]
        results.append({"page": label, "median_ms": statistics.median(samples), "p95_ms": p95, "facets_timed_out": timed_out})
    return results


def main(argv=None) -> list[dict]:
    """Build (or reuse) the benchmark database, time every page, print the figures; return them."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="synthetic postings (default 100,000)")
    ap.add_argument("--reps", type=int, default=10, help="timed repetitions per page (default 10)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", type=Path, default=Path("bench/out/datasette-bench.db"))
    ap.add_argument("--reuse", action="store_true", help="time an existing --db instead of rebuilding it")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--markdown", action="store_true", help="print the results as a Markdown table (docs/benchmarks.md)")
    args = ap.parse_args(argv)
    if not (args.reuse and args.db.exists()):
        for step, seconds in build(args.db, args.n, args.seed).items():
            print(f"{step}: {seconds:.1f} s", file=sys.stderr)
    results = asyncio.run(_time_pages(args.db, args.reps))
    if args.json:
        print(json.dumps(results, indent=2))
        return results
    # The machine may be shared: the load average says how much to trust the figures.
    print(f"{args.n:,} postings, {args.reps} repetitions; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
          f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.markdown:
        print("| page | median ms | p95 ms |\n|---|---:|---:|")
    else:
        print(f"{'page':<66} {'median ms':>10} {'p95 ms':>8}")
    for r in results:
        flag = f"  facets timed out: {', '.join(r['facets_timed_out'])}" if r["facets_timed_out"] else ""
        if args.markdown:
            print(f"| {r['page']}{flag} | {r['median_ms']:.0f} | {r['p95_ms']:.0f} |")
        else:
            print(f"{r['page']:<66} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f}{flag}")
    return results


if __name__ == "__main__":
    main()

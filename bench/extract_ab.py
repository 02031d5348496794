"""Benchmark: this checkout's extraction against another checkout's, alternately, in fresh processes.

    python -m bench.extract_ab --against DIR [--n 10000] [--rounds 3] [--cold-n 3000] [--cold-rounds 2]

On a shared machine a rate measured now and one measured an hour ago
differ more by the load than by the code. This runs the same loop over the
same texts for both checkouts, one fresh process after another (A, B, B,
A, A, B...: neither always goes second), so both see the same load, and
reports every run and the medians.
Make the other checkout with ``git worktree add /tmp/base COMMIT``.

* ``warm``: :func:`analysis.extract.extract` over the first N synthetic
  texts of ``bench.extract_bench``, one after another (memos kept, as a
  crawl's analysis runs);
* ``cold``: the same over the first ``--cold-n`` texts with every memo
  cleared before each posting (text never seen before).

Each child imports ``analysis`` from the checkout it measures and the texts
and the timed loop from this one (``bench.extract_bench.timed_extraction``),
so both sides run the same loop over the same texts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import REPO_ROOT, machine

# Runs inside the child, from this checkout: argv = the measured checkout, mode, n, seed. The texts and the timed
# loop are this checkout's (bench.extract_bench), so both sides are measured alike; only `analysis` is the other's.
CHILD = r"""
import json, os, sys
root, mode, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
from bench.extract_bench import texts, timed_extraction
sys.path.insert(0, root)
import analysis.extract
assert analysis.extract.__file__.startswith(root), analysis.extract.__file__
wall, cpu, _ = timed_extraction(texts(n, seed), cold=mode == "cold")
print(json.dumps({"rate": round(n / wall, 1), "cpu_rate": round(n / cpu, 1), "load": round(os.getloadavg()[0], 2)}))
"""


def run_once(root: Path, mode: str, n: int, seed: int) -> dict:
    # cwd is this checkout, so `bench` is this checkout's; the child puts ``root`` first for `analysis`.
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), mode, str(n), str(seed)], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} run in {root} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(this: Path, other: Path, mode: str, n: int, rounds: int, seed: int) -> dict:
    runs: dict[str, list[dict]] = {"this": [], "other": []}
    pair = [("other", other), ("this", this)]
    for i in range(rounds):
        # A, B, B, A...: on a machine whose load drifts, whichever ran second in every round would gain from it.
        for name, root in (pair if i % 2 == 0 else pair[::-1]):
            result = run_once(root, mode, n, seed)
            runs[name].append(result)
            print(f"  {mode} n={n:,} {name:5} {result['rate']:7.1f}/s wall, {result['cpu_rate']:7.1f}/s cpu, load {result['load']}",
                  flush=True)
    medians = {name: statistics.median(r["rate"] for r in rs) for name, rs in runs.items()}
    return {"n": n, "runs": runs, "median_rate": medians, "speedup": round(medians["this"] / medians["other"], 2)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", required=True, help="the other checkout (a git worktree of the commit to compare with)")
    ap.add_argument("--n", type=int, default=10_000, help="texts in each warm run (default 10,000)")
    ap.add_argument("--rounds", type=int, default=3, help="warm runs per checkout (default 3)")
    ap.add_argument("--cold-n", type=int, default=3_000, help="texts in each cold run (default 3,000)")
    ap.add_argument("--cold-rounds", type=int, default=2, help="cold runs per checkout (default 2; 0 skips them)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", dest="json_out", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    other = Path(args.against).resolve()
    if not (other / "analysis" / "extract.py").exists():
        raise SystemExit(f"--against {other}: not a medcoder checkout (no analysis/extract.py)")
    result = {"machine_at_start": machine(), "this": str(REPO_ROOT), "other": str(other)}
    result["warm"] = compare(REPO_ROOT, other, "warm", args.n, args.rounds, args.seed)
    if args.cold_rounds:
        result["cold"] = compare(REPO_ROOT, other, "cold", args.cold_n, args.cold_rounds, args.seed)
    result["machine_at_end"] = machine()
    for mode in ("warm", "cold"):
        if mode in result:
            m = result[mode]
            print(f"{mode}: median {m['median_rate']['this']:.1f}/s against {m['median_rate']['other']:.1f}/s ({m['speedup']}x)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()

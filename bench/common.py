"""What every benchmark shares: options, the machine it ran on, memory readings, sizes and their ratios.

A benchmark module defines ``measure(n, args) -> dict`` (its figures for N
postings) and calls :func:`run` from its ``main``; ``--sizes A,B`` measures
at two sizes and reports how each figure grows (B's value over A's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# bench/ sits at the repository root, beside the packages it measures; child
# processes need that root on their path whatever the caller's directory.
REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "bench" / "out"


def machine() -> dict:
    """The machine and moment a figure was measured on: cores, CPU, RAM, Python, date, load."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": ram_gb, "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_average": [round(x, 2) for x in os.getloadavg()]}


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss, KB on Linux), in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_env() -> dict[str, str]:
    """Environment for a benchmark's child process: the repository importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child_json(args: list[str], *, timeout: float | None = None, stdin: str | None = None,
                   env: dict[str, str] | None = None) -> dict:
    """Run ``python ARGS`` in a fresh process (``stdin`` as its input; ``env`` added to its environment) and return
    the JSON object it prints last."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env={**child_env(), **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, input=stdin)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"benchmark child {' '.join(args)} printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def parser(description: str | None, default_n: int) -> argparse.ArgumentParser:
    """The options every benchmark takes: ``--n``, ``--sizes A,B``, ``--seed``, ``--workdir``, ``--json``."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=default_n, help=f"postings (default {default_n:,})")
    ap.add_argument("--sizes", help="two or more sizes, comma-separated (e.g. 10000,100000): measure each and report the ratios")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", help="where databases are written (default: a temporary directory, removed after)")
    ap.add_argument("--json", dest="json_out", help="also write the figures to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table (for docs/benchmarks.md)")
    return ap


def sizes_of(args: argparse.Namespace) -> list[int]:
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
        if not sizes or any(s < 1 for s in sizes):
            raise SystemExit("--sizes needs positive whole numbers, e.g. --sizes 10000,100000")
        return sizes
    return [args.n]


def ratios(small: dict, big: dict) -> dict:
    """Each numeric figure at the bigger size over the smaller one (how it grows with N)."""
    out = {}
    for key, a in small.items():
        b = big.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and a:
            out[key] = round(b / a, 2)
    return out


def print_figures(name: str, n: int, figures: dict) -> None:
    print(f"[{name} n={n:,}]")
    for key, value in figures.items():
        print(f"  {key}: {value}")


def run(name: str, measure: Callable[[int, argparse.Namespace, Path], dict], args: argparse.Namespace,
        argv: list[str] | None) -> dict:
    """Measure at each size, print the figures and ratios, return (and optionally save) them all.

    ``argv`` is what the benchmark's ``main`` was given, recorded as the command that reproduces the figures.
    """
    sizes = sizes_of(args)
    given = sys.argv[1:] if argv is None else argv
    result: dict = {"benchmark": name, "machine": machine(), "command": " ".join(["python -m", f"bench.{name}", *given]),
                    "sizes": sizes, "runs": {}}
    with tempfile.TemporaryDirectory(prefix=f"medcoder-bench-{name}-") as tmp:
        workdir = Path(args.workdir) if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            figures = measure(n, args, workdir)
            result["runs"][str(n)] = figures
            print_figures(name, n, figures)
    # The machine may be shared: the load before and after says how much the figures can be trusted.
    result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if len(sizes) >= 2:
        small, big = result["runs"][str(sizes[0])], result["runs"][str(sizes[-1])]
        result["ratios"] = {"n": round(sizes[-1] / sizes[0], 2), **ratios(small, big)}
        print(f"[{name} ratio n={sizes[-1]:,} / n={sizes[0]:,}]")
        for key, value in result["ratios"].items():
            print(f"  {key}: {value}x")
    if getattr(args, "markdown", False):
        print(markdown(result))
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
    return result


def markdown(result: dict) -> str:
    """One benchmark's figures as a Markdown table: a column per size, and the growth ratio when there are two."""
    sizes = [str(n) for n in result["sizes"]]
    ratio = result.get("ratios")
    head = ["figure", *(f"n={int(n):,}" for n in sizes)] + ([f"ratio (n {ratio['n']}x)"] if ratio else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = [k for k in result["runs"][sizes[-1]] if not isinstance(result["runs"][sizes[-1]][k], (dict, list))]
    for key in keys:
        cells = [key, *(_cell(result["runs"][n].get(key)) for n in sizes)]
        if ratio:
            cells.append(f"{ratio[key]}x" if key in ratio else "")
        lines.append("| " + " | ".join(cells) + " |")
    m = result["machine"]
    lines.append("")
    lines.append(f"`{result['command']}` -- {m['date']}; {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
                 f"Python {m['python']}; load average (1/5/15 min) {' / '.join(str(x) for x in m['load_average'])} at the start, "
                 f"{' / '.join(str(x) for x in m.get('load_average_end', []))} at the end")
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)

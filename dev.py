#!/usr/bin/env python3
"""Bootstrap and run medcoder from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo [ARGS...]   set up .venv if needed, then `medcoder demo ARGS`
    python3 dev.py test [ARGS...]   set up .venv if needed, then `pytest ARGS`
    python3 dev.py medcoder ARGS    any other medcoder command inside the venv

The virtual environment is (re)installed when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".medcoder-install-stamp"


def ensure_venv() -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"medcoder needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    python = BIN / "python"
    if not python.exists():
        print("creating .venv ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != want:
        print("installing medcoder and its dependencies into .venv ...", file=sys.stderr, flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test,distributed]"], check=True)
        STAMP.write_text(want)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "medcoder"):
        print(__doc__, file=sys.stderr)
        return 2
    python = ensure_venv()
    what, rest = argv[0], argv[1:]
    if what == "test":
        cmd = [str(python), "-m", "pytest", *rest]
    elif what == "demo":
        cmd = [str(python), "-m", "medcoder", "demo", *rest]
    else:
        cmd = [str(python), "-m", "medcoder", *rest]
    return subprocess.call(cmd, cwd=ROOT if what == "test" else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The egg Scrapyd runs: the ``crawlers`` Scrapy project with its settings entry point.

Scrapyd runs each job from an egg uploaded with ``addversion.json``. Only the
Scrapy project travels in the egg (spiders, pipelines, settings); medcoder
itself (database, analysis) must be installed where Scrapyd runs, as any
Scrapyd project's dependencies are. The egg is built from the installed
``crawlers`` package in a temporary folder, so nothing is written into the
source tree (``scrapyd-deploy`` would add a ``setup.py`` and ``build/`` there).

    python -m medcoder.scrapyd_egg dist/        # prints the egg's path

then upload it: ``curl http://127.0.0.1:6800/addversion.json -F project=medcoder
-F version=1 -F egg=@dist/medcoder_crawlers-1-py3.11.egg`` (or
``scrapyd-deploy local --egg FILE`` with the ``[deploy:local]`` target of scrapy.cfg).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SETUP_PY = """\
from setuptools import find_packages, setup

setup(
    name="medcoder-crawlers",
    version={version!r},
    packages=find_packages(),
    entry_points={{"scrapy": ["settings = crawlers.settings"]}},
    zip_safe=True,
)
"""


class EggError(RuntimeError):
    """The egg could not be built (the message carries setuptools' output)."""


def build_egg(out_dir: str | Path, version: str = "1") -> Path:
    """Build ``medcoder_crawlers-VERSION-pyX.Y.egg`` into ``out_dir`` and return its path."""
    spec = importlib.util.find_spec("crawlers")
    if spec is None or not spec.submodule_search_locations:
        raise EggError("the crawlers package is not importable: install medcoder first")
    source = Path(next(iter(spec.submodule_search_locations)))
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="medcoder-egg-") as tmp:
        shutil.copytree(source, Path(tmp) / "crawlers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (Path(tmp) / "setup.py").write_text(SETUP_PY.format(version=version), encoding="utf-8")
        proc = subprocess.run([sys.executable, "setup.py", "-q", "bdist_egg", "--dist-dir", str(out)], cwd=tmp,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise EggError(f"bdist_egg failed:\n{proc.stdout}\n{proc.stderr}")
    eggs = sorted(out.glob(f"medcoder_crawlers-{version}-*.egg"))
    if not eggs:
        raise EggError(f"bdist_egg wrote no egg into {out}")
    return eggs[-1]


if __name__ == "__main__":  # pragma: no cover - a two-line command-line shim
    print(build_egg(sys.argv[1] if len(sys.argv) > 1 else "dist", *(sys.argv[2:3])))

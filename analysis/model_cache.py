"""Fitted models kept between processes as plain JSON, so a process that only predicts never imports scikit-learn.

Fitting a model, and importing scikit-learn to do it, costs a process one to
two seconds. It also leaves about 100,000 objects that the garbage collector
walks on every full collection for the rest of the process's life. Crawls,
``medcoder extract`` and ``medcoder analyse`` only predict, so they load the
fitted weights from ``$MEDCODER_CACHE_DIR`` (default ``~/.cache/medcoder``)
and score them in plain Python. Each file is named for the bytes it was
fitted from and the scikit-learn version that fitted it: an edited training
file or taxonomy, or another scikit-learn, is fitted afresh. A file that cannot
be read or decoded is refitted, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    return Path(os.environ.get("MEDCODER_CACHE_DIR") or Path.home() / ".cache" / "medcoder")


def cache_path(kind: str, sources: Iterable[bytes]) -> Path:
    """Where the model ``kind`` fitted from ``sources`` is kept."""
    from importlib.metadata import version  # the version without importing scikit-learn itself

    digest = hashlib.sha1()
    for part in sources:
        digest.update(hashlib.sha1(part).digest())
    return cache_dir() / f"{kind}-{digest.hexdigest()[:12]}-sklearn{version('scikit-learn')}.json"


def load_or_fit(kind: str, sources: Iterable[bytes], fit: Callable[[], dict], decode: Callable[[dict], T]) -> T:
    """``decode`` of the cached JSON for ``kind``; on a miss, ``fit()``'s JSON-able data, written for next time.

    JSON keeps every float exactly (``repr`` round-trips), so a loaded model scores as the fitted one did.
    """
    path = cache_path(kind, sources)
    try:
        if path.exists():
            return decode(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass  # unreadable or malformed: fitted again below and rewritten
    data = fit()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)  # atomic: concurrent processes never read a half-written file
    except OSError:
        pass  # a read-only home still works, fitting each time
    return decode(data)

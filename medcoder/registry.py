"""The sources registry: what a scheduled crawl covers.

A versioned TOML file, validated on load with messages that name the entry:
each entry is a spider plus its arguments, a label, a country and an
enabled flag. The default registry ships with the package
(``medcoder/sources.toml``); ``--registry FILE`` or ``$MEDCODER_REGISTRY``
points elsewhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

REGISTRY_ENV = "MEDCODER_REGISTRY"
ENTRY_KEYS = {"id", "spider", "label", "country", "enabled", "args", "note"}
COUNTRIES = ("US", "IN", "ANY")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")


class RegistryError(ValueError):
    """The registry file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class SourceEntry:
    id: str
    spider: str
    label: str
    country: str
    enabled: bool = True
    args: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def default_registry_path() -> Path:
    return Path(str(resources.files("medcoder").joinpath("sources.toml")))


@cache
def spider_names() -> frozenset[str]:
    """Names of the spiders in the Scrapy project (``scrapy list``)."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    return frozenset(SpiderLoader.from_settings(get_project_settings()).list())


def spider_class(name: str):
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    return SpiderLoader.from_settings(get_project_settings()).load(name)


def parse_registry(text: str, where: str = "registry") -> list[SourceEntry]:
    """Validate registry TOML text; raise :class:`RegistryError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{where}: not valid TOML: {exc}") from exc
    problems: list[str] = []
    if data.get("version") != 1:
        problems.append(f"{where}: 'version = 1' is required (found {data.get('version')!r})")
    unknown_top = set(data) - {"version", "source"}
    if unknown_top:
        problems.append(f"{where}: unknown top-level key(s) {sorted(unknown_top)}; entries are [[source]] tables")
    raw = data.get("source", [])
    if not isinstance(raw, list):
        raise RegistryError(f"{where}: 'source' must be an array of tables ([[source]])")
    entries, seen = [], set()
    known_spiders = spider_names()
    for i, e in enumerate(raw, start=1):
        name = e.get("id", f"#{i}") if isinstance(e, dict) else f"#{i}"
        at = f"{where}: source {name}"
        bad = set(e) - ENTRY_KEYS
        if bad:
            problems.append(f"{at}: unknown key(s) {sorted(bad)}; allowed: {sorted(ENTRY_KEYS)}")
        for key in ("id", "spider", "label", "country"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                problems.append(f"{at}: '{key}' must be a non-empty string")
        if problems and problems[-1].startswith(at):
            continue
        if not ID_RE.match(e["id"]):
            problems.append(f"{at}: id must be lower-case letters, digits and _ . : -")
        if e["id"] in seen:
            problems.append(f"{at}: duplicate id")
        seen.add(e["id"])
        if e["spider"] not in known_spiders:
            problems.append(f"{at}: unknown spider {e['spider']!r}; known: {', '.join(sorted(known_spiders))}")
        if e["country"] not in COUNTRIES:
            problems.append(f"{at}: country {e['country']!r} is not one of {', '.join(COUNTRIES)}")
        enabled = e.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"{at}: 'enabled' must be true or false")
        args = e.get("args", {})
        if not isinstance(args, dict) or not all(isinstance(v, (str, int)) for v in args.values()):
            problems.append(f"{at}: 'args' must be a table of strings, e.g. args = {{ board = \"acme\" }}")
            args = {}
        if "source" in args:
            problems.append(f"{at}: 'source' is set from the entry id; remove it from args")
        entries.append(SourceEntry(e["id"], e["spider"], e["label"], e["country"], enabled is True,
                                   {k: str(v) for k, v in args.items()}, e.get("note")))
    if problems:
        raise RegistryError("\n".join(problems))
    return entries


def load_registry(path: str | os.PathLike | None = None) -> list[SourceEntry]:
    """The registry at ``path``, else ``$MEDCODER_REGISTRY``, else the shipped default."""
    path = Path(path or os.environ.get(REGISTRY_ENV) or default_registry_path())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry ({exc.strerror})") from exc
    return parse_registry(text, str(path))


def select(entries: list[SourceEntry], names: list[str] | None = None, country: str | None = None) -> list[SourceEntry]:
    """Entries to crawl: the named ones (enabled or not), else every enabled one; ``country`` narrows either."""
    if names:
        by_id = {e.id: e for e in entries}
        unknown = [n for n in names if n not in by_id]
        if unknown:
            raise RegistryError(f"unknown source(s) {', '.join(unknown)}; see `medcoder sources`")
        chosen = [by_id[n] for n in names]
    else:
        chosen = [e for e in entries if e.enabled]
    if country:
        chosen = [e for e in chosen if e.country in (country.upper(), "ANY")]
    return chosen

"""Candidate profiles: a documented TOML file, read with tomllib and validated with clear messages.

A profile is personal. It is read from the file the person names and is
never written into the postings database.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from analysis.extract import EDUCATION_LEVELS
from analysis.taxonomy import Taxonomy, load_taxonomy

WORK_MODES = ("remote", "hybrid", "onsite")
TOP_KEYS = {"name", "location", "countries", "work_mode", "relocate", "credentials", "code_sets", "tools", "skills",
            "experience", "education", "salary"}


class ProfileError(ValueError):
    """A profile problem; ``str()`` names the file, the line where known, and a suggestion."""


@dataclass
class Profile:
    name: str | None = None
    location: str | None = None
    countries: list[str] = field(default_factory=list)
    work_modes: list[str] = field(default_factory=list)
    relocate: bool = False
    credentials: dict[str, str] = field(default_factory=dict)  # id -> status (active, apprentice, in_progress)
    code_sets: set[str] = field(default_factory=set)
    tools: set[str] = field(default_factory=set)
    skills: set[str] = field(default_factory=set)
    experience_years: float = 0.0
    experience_by_setting: dict[str, float] = field(default_factory=dict)
    education_level: str | None = None
    education_field: str | None = None
    salary_target: float | None = None
    salary_currency: str | None = None

    def held_credentials(self) -> set[str]:
        """Credentials that count today (an "in_progress" one does not)."""
        return {c for c, status in self.credentials.items() if status in ("active", "apprentice")}


def sample_profile_path() -> Path:
    """The bundled sample candidate profile used by ``medcoder demo``."""
    return Path(str(resources.files("analysis").joinpath("sample_profile.toml")))


def _line_of(text: str, key: str) -> int | None:
    """The first line naming ``key``: as a key (also inside an inline table), a table header or a quoted value."""
    k = re.escape(key)
    patterns = (rf"(?:^|[{{,\s.])\s*{k}\s*=", rf"^\s*\[+\s*(?:[\w.-]+\.)?{k}\s*\]", rf"[\"']{k}[\"']")
    for pattern in patterns:
        for i, line in enumerate(text.splitlines(), start=1):
            if re.search(pattern, line.split("#", 1)[0]):
                return i
    return None


def _suggest(value: str, choices) -> str:
    norm = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in choices}
    key = re.sub(r"[^a-z0-9]", "", value.lower())
    if key in norm:
        return f" (did you mean {norm[key]}?)"
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def load_profile(path: str | Path, taxonomy: Taxonomy | None = None) -> Profile:
    """Read and validate a profile TOML file; raise :class:`ProfileError` listing every problem found."""
    tax = taxonomy or load_taxonomy()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc.strerror})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    problems: list[str] = []

    def problem(key: str, message: str) -> None:
        line = _line_of(text, key)
        problems.append(f"{path}{':' + str(line) if line else ''}: {message}")

    for key in set(data) - TOP_KEYS:
        problem(key, f"unknown setting {key!r}{_suggest(key, TOP_KEYS)}")

    def str_list(key: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problem(key, f"{key!r} must be a list of strings, e.g. {key} = [\"...\"]")
            return []
        return value

    prof = Profile(name=data.get("name"), location=data.get("location"))
    prof.countries = [c.upper() for c in str_list("countries")]
    for c in prof.countries:
        if c not in ("US", "IN"):
            problem("countries", f"country {c!r}: use ISO codes, e.g. \"US\" or \"IN\"")
    prof.work_modes = str_list("work_mode")
    for m in prof.work_modes:
        if m not in WORK_MODES:
            problem("work_mode", f"work mode {m!r} is not one of {', '.join(WORK_MODES)}{_suggest(m, WORK_MODES)}")
    relocate = data.get("relocate", False)
    if not isinstance(relocate, bool):
        problem("relocate", "'relocate' must be true or false")
    prof.relocate = relocate is True

    creds = tax.by_category("credential")
    cred_ids = {s.id for s in creds if s.issuer != "generic"}
    raw_creds = data.get("credentials", [])
    if not isinstance(raw_creds, list):
        problem("credentials", "'credentials' must be a list, e.g. credentials = [\"CPC\"]")
        raw_creds = []
    for entry in raw_creds:
        if isinstance(entry, str):
            cid, status = entry, "active"
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            cid, status = entry["id"], entry.get("status", "active")
        else:
            problem("credentials", f"credential {entry!r}: write a name like \"CPC\" or {{id = \"CPC\", status = \"active\"}}")
            continue
        if status not in ("active", "apprentice", "in_progress"):
            problem(cid, f"credential {cid}: status {status!r} is not active, apprentice or in_progress")
        if cid not in cred_ids:
            problem(cid, f"unknown credential {cid!r}{_suggest(cid, cred_ids)}")
            continue
        prof.credentials[cid] = status

    for key, category, target in (("code_sets", "code_set", prof.code_sets), ("tools", "tool", prof.tools)):
        known = {s.id for s in tax.by_category(category)}
        for v in str_list(key):
            match = next((k for k in known if k.lower() == v.lower()), None) or tax.skill_for_text(v)
            if match in known:
                target.add(match)
            else:
                problem(v, f"unknown {key[:-1].replace('_', ' ')} {v!r}{_suggest(v, known)}")
    skill_ids = {s.id for s in tax.skills.values() if s.category in ("knowledge", "soft_skill", "setting")}
    for v in str_list("skills"):
        match = v if v in skill_ids else tax.skill_for_text(v)
        if match in skill_ids:
            prof.skills.add(match)
        else:
            problem(v, f"unknown skill {v!r}{_suggest(v, skill_ids)}")

    exp = data.get("experience", {})
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        exp = {"years": exp}
    if not isinstance(exp, dict):
        problem("experience", "'experience' must be a table: [experience] years = 2")
        exp = {}
    years = exp.get("years", 0)
    if not isinstance(years, (int, float)) or isinstance(years, bool) or years < 0:
        problem("years", f"experience years must be a number >= 0, not {years!r}")
    else:
        prof.experience_years = float(years)
    settings = {s.id for s in tax.by_category("setting")}
    by_setting = exp.get("settings") or {}
    if not isinstance(by_setting, dict):
        problem("settings", "experience 'settings' must be a table of years, e.g. settings = { inpatient = 2 }")
        by_setting = {}
    for setting, value in by_setting.items():
        if setting not in settings:
            problem(setting, f"unknown experience setting {setting!r}{_suggest(setting, settings)}")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            problem(setting, f"experience in {setting} must be a number of years >= 0, not {value!r}")
        else:
            prof.experience_by_setting[setting] = float(value)

    edu = data.get("education", {})
    if isinstance(edu, str):
        edu = {"level": edu}
    level = edu.get("level") if isinstance(edu, dict) else None
    if level is not None and level not in EDUCATION_LEVELS:
        problem("level", f"education level {level!r} is not one of {', '.join(EDUCATION_LEVELS)}{_suggest(str(level), EDUCATION_LEVELS)}")
    else:
        prof.education_level = level
    prof.education_field = edu.get("field") if isinstance(edu, dict) else None

    sal = data.get("salary", {})
    if isinstance(sal, dict):
        target, currency = sal.get("target"), sal.get("currency")
        if target is not None and (not isinstance(target, (int, float)) or isinstance(target, bool)):
            problem("target", "salary target must be a number (annual, in its currency)")
        else:
            prof.salary_target = target
        if currency is not None and currency not in ("USD", "INR"):
            problem("currency", f"salary currency {currency!r} is not USD or INR")
        else:
            prof.salary_currency = currency
    if problems:
        raise ProfileError("\n".join(problems))
    return prof

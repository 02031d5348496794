"""The skills taxonomy: validated data shipped with the package, compiled into a matcher.

``load_taxonomy()`` reads ``taxonomy.yaml`` once, rejects anything malformed
with a message naming the entry, and returns a :class:`Taxonomy` whose
``find`` gives every alias in a text: an Aho-Corasick automaton (pyahocorasick)
names the word starts where an alias may begin, and one compiled pattern,
all aliases as a character trie, decides there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import ahocorasick
import yaml

CATEGORIES = ("credential", "code_set", "tool", "knowledge", "soft_skill", "setting")
ISSUERS = ("AAPC", "AHIMA", "ACDIS", "NHA", "PMI", "generic")
ENTRY_KEYS = {"id", "name", "category", "issuer", "coding", "aliases", "strict", "satisfies"}
GENERIC_BY_ISSUER = {"AAPC": "AAPC_ANY", "AHIMA": "AHIMA_ANY"}
CODING_ANY = "CODING_CERT_ANY"
FIND_CACHE_SIZE = 20_000


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    category: str
    issuer: str | None = None
    coding: bool = False
    aliases: tuple[str, ...] = ()
    strict: tuple[str, ...] = ()
    satisfies: frozenset[str] = frozenset()


# Slots: the extractor keeps tens of thousands of matches in its per-sentence memo.
@dataclass(frozen=True, slots=True)
class Match:
    skill_id: str
    start: int
    end: int
    text: str


@dataclass
class Taxonomy:
    version: int
    skills: dict[str, Skill]
    _pattern: re.Pattern = field(repr=False, default=None)
    _alias_to_id: dict[str, str] = field(repr=False, default_factory=dict)
    _found: dict[str, tuple[Match, ...]] = field(repr=False, default_factory=dict)
    _id_by_spelling: dict[str, str | None] = field(repr=False, default_factory=dict)
    _starts: "ahocorasick.Automaton | None" = field(repr=False, default=None, compare=False)
    _matches: dict[tuple[int, str], Match] = field(repr=False, default_factory=dict, compare=False)
    # Readings of whole sentences that depend only on the sentence and this taxonomy (analysis.extract keeps
    # its per-sentence facts here, so a changed taxonomy never sees another's).
    memo: dict = field(repr=False, default_factory=dict, compare=False)

    def clear_caches(self) -> None:
        """Forget every per-sentence match and memo (to measure the extractor on text it has never seen)."""
        self._found.clear()
        self._matches.clear()
        self.memo.clear()

    def by_category(self, category: str) -> list[Skill]:
        return [s for s in self.skills.values() if s.category == category]

    def satisfied_by(self, held: str) -> frozenset[str]:
        """Every id that holding ``held`` satisfies, itself included (CPC -> CPC-A, AAPC_ANY...)."""
        skill = self.skills[held]
        out = {held, *skill.satisfies}
        if skill.issuer in GENERIC_BY_ISSUER:
            out.add(GENERIC_BY_ISSUER[skill.issuer])
        if skill.coding:
            out.add(CODING_ANY)
        return frozenset(out)

    def find(self, text: str) -> list[Match]:
        """Every alias occurrence in ``text``, longest alias first, non-overlapping, in order."""
        return list(self.find_shared(text))

    def find_shared(self, text: str) -> tuple[Match, ...]:
        """:meth:`find` as the memoised tuple itself: immutable, so callers share it instead of copying it per call."""
        cached = self._found.get(text)
        if cached is None:
            cached = self.scan(text)
            # Postings repeat sentences (one employer's boilerplate, a board's template), so a sentence
            # is matched once; the bound keeps a long crawl's memory flat.
            if len(self._found) >= FIND_CACHE_SIZE:
                self._found.clear()
            self._found[text] = cached
        return cached

    def scan(self, text: str) -> tuple[Match, ...]:
        """:meth:`find` without the memo: the compiled pattern's matches, left to right, each alias once."""
        if self._starts is None or not text.isascii():
            return tuple(found for m in self._pattern.finditer(text) if (found := self._match_at(m.start(), m.group(0))))
        # The pattern tries every position, most of them in vain; the automaton names, in one pass in C, the
        # few word starts where an alias may begin (_start_automaton). Tried there in order, with the same
        # non-overlapping rule, the pattern matches exactly what its own scan would.
        starts = [end - length for end, length in self._starts.iter((" " + text + " ").translate(WORD_START_TABLE))]
        if not starts:
            return ()
        if len(starts) > 1:
            starts = sorted(set(starts))  # reported by end: keys of different lengths may end out of order
        found, pos, match = [], 0, self._pattern.match
        for start in starts:
            if start < pos:
                continue
            m = match(text, start)
            if m:
                pos = m.end()
                if one := self._match_at(start, m.group(0)):
                    found.append(one)
        return tuple(found)

    def _match_at(self, start: int, spelled: str) -> Match | None:
        """The match of alias text ``spelled`` at ``start`` (None when it names no skill), one object per distinct match.

        Matches repeat: the extractor's memo held 57,378 after 10,000 benchmark postings, 628 of them distinct.
        Sharing them spares the garbage collector, which walks every object the memo keeps.
        """
        key = (start, spelled)
        one = self._matches.get(key)
        if one is None:
            sid = self.skill_for_text(spelled)
            if sid is None:
                return None
            if len(self._matches) >= FIND_CACHE_SIZE:
                self._matches.clear()
            one = self._matches[key] = Match(sid, start, start + len(spelled), spelled)
        return one

    def skill_for_text(self, text: str) -> str | None:
        """The skill id a matched alias text stands for (spacing and hyphens normalised)."""
        # Matched spellings are few ("CPC", "ICD-10-CM", "Epic"); each is normalised once.
        try:
            return self._id_by_spelling[text]
        except KeyError:
            key = _norm_key(text)
            sid = self._alias_to_id.get(key) or self._alias_to_id.get("ci:" + key.casefold())
            if len(self._id_by_spelling) < FIND_CACHE_SIZE:
                self._id_by_spelling[text] = sid
            return sid


# ASCII text with word characters lower-cased and every other character a space: the same length as the
# text, so " cpc" found in " " + text.translate(WORD_START_TABLE) is a word start where "CPC" may begin.
WORD_START_TABLE = str.maketrans({chr(i): chr(i).lower() if chr(i).isalnum() or chr(i) == "_" else " " for i in range(128)})


def _start_automaton(aliases: list[str]) -> "ahocorasick.Automaton | None":
    """An Aho-Corasick automaton of how every alias begins, as a word start in :data:`WORD_START_TABLE` form.

    Any match of an alias begins with its first word, spelled out, and then comes either a separator, a
    non-word character (or the text's end), or straight away the next word ("ICD10"). So the keys are
    the first word after a space (the word start) and before a space, and, for an alias of several
    words, the first word run into the next word's first character. Strict aliases are lower-cased too:
    the automaton finds a superset of the places the pattern matches, and the pattern decides.
    """
    if not all(a.isascii() for a in aliases):
        return None  # the table is ASCII-only; such a taxonomy is scanned by the pattern alone
    automaton = ahocorasick.Automaton()
    for alias in aliases:
        words = [w.translate(WORD_START_TABLE) for w in re.split(r"[\s\-]+", alias.strip())]
        for key in {" " + words[0] + " ", *([" " + words[0] + words[1][:1]] if len(words) > 1 else [])}:
            automaton.add_word(key, len(key) - 1)  # the alias starts len(key) - 1 before the key's end
    automaton.make_automaton()
    return automaton


def _norm_key(alias: str) -> str:
    return re.sub(r"[\s\-]+", "-", alias.strip())


SEPARATOR = r"[\s\-]*"


def _alias_atoms(alias: str, ignore_case: bool) -> tuple[str, ...]:
    """An alias as regex atoms: one per character (a two-case class when case is ignored), separators as one atom."""
    atoms: list[str] = []
    for i, part in enumerate(re.split(r"[\s\-]+", alias.strip())):
        if i:
            atoms.append(SEPARATOR)
        for ch in part:
            low, up = ch.lower(), ch.upper()
            if ignore_case and low != up and len(low) == len(up) == 1:
                atoms.append("[" + re.escape(low) + re.escape(up) + "]")
            else:
                atoms.append(re.escape(ch))
    return tuple(atoms)


def _trie_regex(aliases: list[tuple[str, ...]]) -> str:
    """One regex for many aliases, factored as a trie so each position tries a few first characters, not every alias.

    Deeper branches come first and an alias that ends at a node makes the rest optional, so the
    longest alias that fits wins; the caller's word-boundary check backtracks to a shorter one.
    """
    trie: dict = {}
    for atoms in aliases:
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        ends = "" in node
        branches = [atom + emit(child) for atom, child in sorted(((a, c) for a, c in node.items() if a), key=lambda ac: ac[0] == SEPARATOR)]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            body = (body if len(branches) > 1 else "(?:" + body + ")") + "?"
        return body

    return emit(trie)


def _validate(raw: object) -> tuple[int, list[dict]]:
    if not isinstance(raw, dict) or set(raw) - {"version", "skills"}:
        raise TaxonomyError("taxonomy: top level must be a mapping with 'version' and 'skills' only")
    entries = raw.get("skills")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError("taxonomy: 'skills' must be a non-empty list")
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"taxonomy entry #{i + 1} ({e.get('id', '?') if isinstance(e, dict) else e!r})"
        if not isinstance(e, dict):
            raise TaxonomyError(f"{where}: must be a mapping")
        unknown = set(e) - ENTRY_KEYS
        if unknown:
            raise TaxonomyError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(ENTRY_KEYS)}")
        for key in ("id", "name", "category"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise TaxonomyError(f"{where}: '{key}' must be a non-empty string")
        if e["id"] in seen:
            raise TaxonomyError(f"{where}: duplicate id {e['id']!r}")
        seen.add(e["id"])
        if e["category"] not in CATEGORIES:
            raise TaxonomyError(f"{where}: category {e['category']!r} is not one of {CATEGORIES}")
        if e["category"] == "credential" and e.get("issuer") not in ISSUERS:
            raise TaxonomyError(f"{where}: credential needs an issuer in {ISSUERS}")
        if e["category"] != "credential" and ("issuer" in e or "coding" in e):
            raise TaxonomyError(f"{where}: only credentials have 'issuer' and 'coding'")
        for key in ("aliases", "strict", "satisfies"):
            value = e.get(key, [])
            if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
                raise TaxonomyError(f"{where}: '{key}' must be a list of non-empty strings")
    for e in entries:
        for target in e.get("satisfies", []):
            if target not in seen:
                raise TaxonomyError(f"taxonomy entry {e['id']}: satisfies unknown id {target!r}")
    version = raw.get("version")
    if not isinstance(version, int):
        raise TaxonomyError("taxonomy: 'version' must be an integer")
    return version, entries


def build_taxonomy(raw: object) -> Taxonomy:
    """Validate parsed taxonomy data and compile its matcher (tests use small literal taxonomies)."""
    version, entries = _validate(raw)
    skills: dict[str, Skill] = {}
    alias_to_id: dict[str, str] = {}
    patterns: list[tuple[str, tuple[str, ...]]] = []  # (alias, regex atoms)
    for e in entries:
        skill = Skill(
            id=e["id"],
            name=e["name"],
            category=e["category"],
            issuer=e.get("issuer"),
            coding=bool(e.get("coding", False)),
            aliases=tuple(e.get("aliases", [])),
            strict=tuple(e.get("strict", [])),
            satisfies=frozenset(e.get("satisfies", [])),
        )
        skills[skill.id] = skill
        for alias in skill.aliases:
            key = "ci:" + _norm_key(alias).casefold()
            if alias_to_id.setdefault(key, skill.id) != skill.id:
                raise TaxonomyError(f"taxonomy: alias {alias!r} belongs to both {alias_to_id[key]} and {skill.id}")
            patterns.append((alias, _alias_atoms(alias, ignore_case=True)))
        for alias in skill.strict:
            alias_to_id[_norm_key(alias)] = skill.id
            patterns.append((alias, _alias_atoms(alias, ignore_case=False)))
    # Whole words only, so "CCS" never fires inside "CCSP" or "access"; longest
    # alias first, so "CPC-A" wins over "CPC" and "ICD-10-CM" over "ICD-10".
    pattern = re.compile(r"(?<!\w)(?:" + _trie_regex([atoms for _, atoms in patterns]) + r")(?!\w)")
    return Taxonomy(version=version, skills=skills, _pattern=pattern, _alias_to_id=alias_to_id,
                    _starts=_start_automaton([alias for alias, _ in patterns]))


@cache
def load_taxonomy() -> Taxonomy:
    """The shipped taxonomy, validated and compiled once per process."""
    text = resources.files(__package__).joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return build_taxonomy(yaml.safe_load(text))

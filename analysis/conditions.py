"""Conditions of a job stated in its text: work mode, shift and the languages it asks for.

Pure functions on one sentence each; :mod:`analysis.extract` decides which
sentences count and how to combine them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from analysis.text import may_match, substring_gate

WORK_MODE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("hybrid", re.compile(r"\bhybrid\b", re.I)),
    ("remote", re.compile(r"\b(?:fully |100% |100 % )?remote\b|\bwork from home\b|\bwork[\s-]from[\s-]home\b|\bWFH\b|\btelecommut\w*|\btelework\b|\bhome[\s-]based\b|\bwork remotely\b", re.I)),
    ("onsite", re.compile(r"\bon[\s-]?site\b|\bwork from office\b|\bWFO\b|\bin[\s-]office\b|\bin[\s-]person\b|\bon[\s-]premises?\b", re.I)),
]
NOT_REMOTE_RE = re.compile(
    r"\bnot (?:a )?(?:remote|hybrid)\b|\bno (?:remote|wfh|work from home|hybrid)\b|\bremote (?:is )?not (?:available|possible|an option)\b|"
    r"\bnot (?:a )?work[\s-]from[\s-]home\b",
    re.I,
)
# "Hybrid work flexibility after probation" is a perk, "remote within US only" a condition: both count.
MODE_ORDER = ("hybrid", "remote", "onsite")

SHIFT_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("night", re.compile(r"\bnight[\s-]?shifts?\b|\bnight[\s-]time (?:shift|hours)|\bgraveyard\b|\bovernight shifts?\b|\bnight process\b", re.I)),
    ("us", re.compile(r"\bU\.?S\.? shifts?\b|\bU\.?S\.? (?:time[\s-]?zones?|business hours|process hours)\b|\bUS EST hours\b", re.I)),
    ("rotational", re.compile(r"\brotat(?:ional|ing) shifts?\b|\bshifts? rotation\b", re.I)),
    ("evening", re.compile(r"\bevening shifts?\b|\bafternoon shifts?\b|\bsecond shift\b|\bmid[\s-]shift\b", re.I)),
    ("day", re.compile(r"\bday[\s-]?shifts?\b|\bgeneral shift\b|\bmorning shifts?\b|\bfirst shift\b", re.I)),
]
NO_SHIFT_RE = re.compile(r"\bno (?:night|rotational|evening) shifts?\b|\bnot (?:a )?night shift\b", re.I)
# Night wins over US shift (from India a US shift is a night shift), both over the rest.
SHIFT_ORDER = ("night", "us", "rotational", "evening", "day")

LANGUAGES = (
    "English", "Spanish", "Hindi", "Tamil", "Telugu", "Kannada", "Malayalam", "Marathi", "Bengali", "Gujarati", "Punjabi",
    "Urdu", "Odia", "French", "Tagalog", "Filipino", "Mandarin", "Cantonese", "Vietnamese", "Portuguese", "Arabic",
    "Russian", "Korean", "Haitian Creole", "American Sign Language",
)
LANGUAGE_RE = re.compile(r"\b(" + "|".join(LANGUAGES) + r")\b")
# A language name counts only where the sentence talks about language use ("Spanish Fork, Utah" does not).
LANGUAGE_CONTEXT_RE = re.compile(
    r"\bspeak\w*|\bspoken\b|\bwritten\b|\bverbal\b|\bfluen\w*|\bproficien\w*|\bcommunicat\w*|\bbilingual\b|\blanguages?\b|"
    r"\bread(?:ing)?\b|\bwrit(?:e|ing)\b|\bknowledge of\b|\bcomprehension\b|\bgrammar\b|\bconversant\b|\bcommand of\b",
    re.I,
)


# Cheap substring gates: a sentence without any of these words cannot match the patterns below,
# and most sentences have none, so the regexes run on few of them.
MODE_WORDS = ("hybrid", "remote", "home", "wfh", "telecommut", "telework", "site", "office", "wfo", "person", "premise")
SHIFT_WORDS = ("shift", "night", "graveyard", "time zone", "timezone", "hours", "process")
LANGUAGE_WORDS = tuple(name.lower() for name in LANGUAGES)
MODE_GATE, SHIFT_GATE, LANGUAGE_GATE = (substring_gate(w) for w in (MODE_WORDS, SHIFT_WORDS, LANGUAGE_WORDS))
# Per pattern, words every match of it contains: a sentence that passes the gate above ("process claims",
# "office staff") usually cannot match most of the patterns, and these tests are cheaper than their scans.
NOT_REMOTE_WORDS, NO_SHIFT_WORDS = ("not ", "no "), ("shift",)
MODE_PATTERN_WORDS = {"hybrid": ("hybrid",), "remote": ("remote", "home", "wfh", "telecommut", "telework"),
                      "onsite": ("site", "office", "wfo", "person", "premise")}
SHIFT_PATTERN_WORDS = {"night": ("night", "graveyard"), "us": ("shift", "time", "hours"), "rotational": ("rotat",),
                       "evening": ("shift",), "day": ("shift",)}


@lru_cache(maxsize=8192)
def work_modes(sentence: str) -> tuple[str, ...]:
    """The work modes a sentence names; "no hybrid / WFH" and "not remote" mean onsite."""
    low = sentence.lower()
    if not MODE_GATE.search(low):
        return ()
    if may_match(NOT_REMOTE_WORDS, sentence, low) and NOT_REMOTE_RE.search(sentence):
        return ("onsite",)
    return tuple(mode for mode, rx in WORK_MODE_PATTERNS if may_match(MODE_PATTERN_WORDS[mode], sentence, low) and rx.search(sentence))


def work_mode(modes: list[str]) -> str | None:
    """One mode for a posting: hybrid wins (it names both), then remote, then onsite."""
    return next((m for m in MODE_ORDER if m in modes), None)


def shifts(sentence: str) -> tuple[str, ...]:
    """The shifts a sentence names (night, us, rotational, evening, day)."""
    low = sentence.lower()
    if not SHIFT_GATE.search(low) or (may_match(NO_SHIFT_WORDS, sentence, low) and NO_SHIFT_RE.search(sentence)):
        return ()
    return tuple(name for name, rx in SHIFT_PATTERNS if may_match(SHIFT_PATTERN_WORDS[name], sentence, low) and rx.search(sentence))


def shift(found: list[str]) -> str | None:
    """One shift for a posting, by :data:`SHIFT_ORDER`."""
    return next((s for s in SHIFT_ORDER if s in found), None)


def languages(sentence: str) -> tuple[str, ...]:
    """Languages a sentence asks for, lower-case ("english", "spanish"), when it talks about language use."""
    low = sentence.lower()
    if not LANGUAGE_GATE.search(low) or not LANGUAGE_CONTEXT_RE.search(sentence):
        return ()
    return tuple(dict.fromkeys(m.group(1).lower().replace(" ", "-") for m in LANGUAGE_RE.finditer(sentence)))

"""Where a sentence sits in a posting, and what it signals: requirement, preference, duty, benefit.

A credential named under "Benefits" ("we reimburse your CPC exam") is not a
requirement, and "CCS preferred" under "Requirements" is a preference. The
section a heading opens gives the default; cue words in the clause override it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from analysis.text import may_match, split_sentences, substring_gate

# Section kinds, in the order the level logic cares about them.
REQUIRED, PREFERRED, DUTIES, BENEFITS, ABOUT, OTHER = (
    "required", "preferred", "duties", "benefits", "about", "other",
)

HEADING_RULES: list[tuple[str, re.Pattern]] = [
    # Naukri's "Desired Candidate Profile" lists requirements, whatever "desired" suggests.
    (REQUIRED, re.compile(r"desired (?:candidate )?profile|candidate profile", re.I)),
    (PREFERRED, re.compile(r"prefer|nice to have|nice-to-have|bonus|desir|plus\b|good to have|added advantage|preferred", re.I)),
    (BENEFITS, re.compile(r"benefit|perks|we offer|what you.?ll get|what we offer|compensation|pay\b|salary|why (?:join|work)|rewards", re.I)),
    (REQUIRED, re.compile(r"require|qualif|must|eligib|skills|who you are|what you.?ll (?:need|bring)|what (?:you|we) (?:need|require|want|look for|are looking for)|you (?:have|bring)|experience|education|criteria|candidate profile|desired profile|knowledge|competenc|certif|minimum|basic", re.I)),
    (DUTIES, re.compile(r"responsib|duties|what you.?ll do|role|job description|about the (?:job|role|position)|the job|what you.?ll code|day to day|key result|accountab|summary|overview|position", re.I)),
    (ABOUT, re.compile(r"about (?:us|the company|our)|who we are|equal (?:opportunity|employment)|eeo|disclaimer|our (?:company|mission|values)|company", re.I)),
]

PREFERRED_CUE = re.compile(
    r"\b(?:prefer(?:red|ably|ence)?|nice[\s-]to[\s-]have|(?:is|are|a|an) (?:big |huge )?(?:plus|bonus|advantage)|added advantage|advantageous|desir(?:ed|able)|ideal(?:ly)?|good to have|beneficial|a plus|welcome[d]?|considered|helpful)\b",
    re.I,
)
REQUIRED_CUE = re.compile(
    r"\b(?:requir(?:ed|es|ement)|must|mandatory|is a must|essential|need(?:ed|s)?|minimum|at least|only\b|necessary|compulsory|should (?:have|hold|possess|be)|active|current)\b",
    re.I,
)
BENEFIT_CUE = re.compile(
    # "Reimbursement" alone is also the payment a code drives ("APR-DRG drives reimbursement"): only the
    # verb, or reimbursement of something a person pays for, is a perk.
    r"\b(?:reimburs(?:e|ed|es|ing)\b|(?:tuition|exam|certification|credential|ceu|membership|fee|fees|course|education|dues|travel|relocation|internet)\s+reimbursement|"
    r"reimbursement (?:of|for) (?:your |the )?(?:[\w-]+ ){0,2}?(?:exam|certification|credential|ceus?|tuition|membership|fees?|course|dues|cost)|we (?:will )?(?:pay|cover|sponsor|fund)|paid (?:for|exam|membership)|sponsor(?:ship|ed)?|tuition|membership|ceus?\b|continuing education (?:units|credits)|stipend|allowance|voucher|bonus (?:for|on|after)|support (?:you|your)|help you (?:get|earn|obtain)|free (?:training|exam|certification)|training (?:will be )?provided|opportunit(?:y|ies) to (?:earn|obtain|get))",
    re.I,
)
# Every PREFERRED_CUE match contains one of the first words, every REQUIRED_CUE match one of the second;
# most clauses contain none, and each gate is several times cheaper than its case-insensitive pattern.
PREFERRED_CUE_WORDS = ("prefer", "nice", "plus", "bonus", "advantage", "desir", "ideal", "good to have", "beneficial", "welcome",
                       "considered", "helpful")
REQUIRED_CUE_WORDS = ("requir", "must", "mandatory", "essential", "need", "minimum", "at least", "only", "necessary", "compulsory",
                      "should", "active", "current")
# Every BENEFIT_CUE alternative contains one of these; most sentences contain none.
BENEFIT_GATE = ("reimburs", "we ", "paid", "sponsor", "tuition", "membership", "ceu", "continuing", "stipend", "allowance",
                "voucher", "bonus", "support", "help you", "free", "training", "opportunit")
BENEFIT_GATE_RE = substring_gate(BENEFIT_GATE)
# The same, phrase by phrase: a quarter of sentences pass the gate above on "we ", "support" or "training"
# alone, and these longer words rule most of them out before the long pattern scans them.
BENEFIT_CUE_WORDS = ("reimburs", "we will ", "we pay", "we cover", "we sponsor", "we fund", "paid ", "sponsor", "tuition",
                     "membership", "ceu", "continuing education", "stipend", "allowance", "voucher", "bonus ", "support you",
                     "help you ", "free ", "training provided", "training will be provided", "opportunity to ", "opportunities to ")
GRACE_RE = re.compile(
    r"\bwithin\s+(?:the\s+first\s+)?(\d{1,2}|one|two|three|four|six|nine|twelve|eighteen|twenty[\s-]four)\s*(?:\(\d+\)\s*)?(months?|years?|yrs?|days?)\b",
    re.I,
)
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18,
    "twenty-four": 24, "twenty four": 24,
}


@lru_cache(maxsize=4096)
def heading_kind(heading: str) -> str:
    """The section a heading opens: required, preferred, duties, benefits, about or other."""
    for kind, rule in HEADING_RULES:
        if rule.search(heading):
            return kind
    return OTHER


LEAD_RE = re.compile(r"^([A-Za-z][A-Za-z /&'-]{2,40}):\s+(?=\S)")


# Slots, not frozen: a posting yields dozens of these, and a frozen dataclass's __init__ costs 3-4x as much.
@dataclass(slots=True)
class Sentence:
    text: str
    section: str  # the kind of the heading above it
    heading: str | None
    is_bullet: bool
    line: int = 0  # sentences of one line (one bullet) share it


def sentences(text: str) -> Iterator[Sentence]:
    """Each sentence of structured posting text (see :func:`analysis.text.html_to_text`) with its section."""
    for line_no, section, heading, is_bullet, parts in lines(text):
        for s in parts:
            yield Sentence(s, section, heading, is_bullet, line_no)


def lines(text: str) -> Iterator[tuple[int, str, str | None, bool, tuple[str, ...]]]:
    """Each body line of structured posting text: (number, section, heading above it, is a bullet, its sentences)."""
    section, heading = OTHER, None
    for line_no, line in enumerate(text.split("\n")):
        if line.startswith("## "):
            heading = line[3:]
            section = heading_kind(heading)
            continue
        is_bullet, lead_kind, parts = line_parts(line)
        yield line_no, lead_kind or section, heading, is_bullet, parts


# Postings repeat whole lines: each distinct line is split once.
@lru_cache(maxsize=65536)
def line_parts(line: str) -> tuple[bool, str | None, tuple[str, ...]]:
    """A body line's bullet mark, the section its own lead-in opens (if any), and its sentences."""
    is_bullet = line.startswith("- ")
    body = line[2:] if is_bullet else line
    # A bold lead-in inside a line ("Preferred: CCS") acts as a heading for that line only.
    lead = LEAD_RE.match(body) if ":" in body else None
    kind = heading_kind(lead.group(1)) if lead else OTHER
    return is_bullet, (kind if kind != OTHER else None), tuple(split_sentences(body))


# "CCS required; an active CIC will be accepted in lieu", "CPC-A candidates can also apply":
# the credential named here is another way to meet the requirement just stated.
ACCEPT_CUE = re.compile(
    r"\b(?:(?:also |will be |is |are )?(?:accepted|acceptable|considered|eligible)|in lieu|(?:also )?welcome[ds]?|can also apply|"
    r"may also apply|also (?:qualify|qualifies|apply)|equivalent|substitut\w*|in place of|instead)\b",
    re.I,
)
SEGMENT_SPLIT_RE = re.compile(r";|\(|\)|\bbut\b|\bwhile\b|\bhowever\b|\bwhereas\b|\s[–—]\s|(?<!\d)\s-\s(?!\d)|\.\s", re.I)


# Every clause and segment cut matches these looser patterns (on lowercased text, no word boundaries);
# most sentences match neither and are one clause.
CLAUSE_GATE = re.compile(r";|but|while|however|whereas|[–—]|\s-\s|\.\s")
# CLAUSE_GATE spelled out as words for ASCII text (the extractor's one-pass word spotter): "\s" is one of six characters there.
ASCII_SPACES = " \t\n\r\x0b\x0c"
CLAUSE_GATE_WORDS = (";", "but", "while", "however", "whereas", *(a + "-" + b for a in ASCII_SPACES for b in ASCII_SPACES),
                     *("." + b for b in ASCII_SPACES))
SEGMENT_GATE = re.compile(r"[;()]|but|while|however|whereas|[–—]|\s-\s|\.\s")


def segments(sentence: str) -> tuple[tuple[int, int], ...]:
    """Character spans of a sentence cut at clauses and parentheses (where "also accepted" asides sit)."""
    if not SEGMENT_GATE.search(sentence.lower()):
        return ((0, len(sentence)),) if sentence else ()
    spans, start = [], 0
    for m in SEGMENT_SPLIT_RE.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return tuple((a, b) for a, b in spans if b > a)


CLAUSE_SPLIT_RE = re.compile(r";|\bbut\b|\bwhile\b|\bhowever\b|\bwhereas\b|\s[–—]\s|(?<!\d)\s-\s(?!\d)|\.\s", re.I)


def clauses(sentence: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the clauses of a sentence: cue words bind within a clause."""
    if not CLAUSE_GATE.search(sentence.lower()):
        return ((0, len(sentence)),)
    spans, start = [], 0
    for m in CLAUSE_SPLIT_RE.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return tuple(spans)


@lru_cache(maxsize=16384)
def cue_level(clause: str) -> str | None:
    """required or preferred when the clause says so; the cue nearest the end wins ties."""
    low = clause.lower()
    pref = [m.start() for m in PREFERRED_CUE.finditer(clause)] if may_match(PREFERRED_CUE_WORDS, clause, low) else []
    req = [m.start() for m in REQUIRED_CUE.finditer(clause)] if may_match(REQUIRED_CUE_WORDS, clause, low) else []
    if pref and not req:
        return PREFERRED
    if req and not pref:
        return REQUIRED
    if pref and req:
        # "required; ... preferred" within one clause is rare; "must have ... preferably" means preferred
        return PREFERRED if max(pref) > max(req) else REQUIRED
    return None


def grace_months(text: str) -> int | None:
    """The grace period of "must obtain X within N months of hire", in months."""
    m = GRACE_RE.search(text)
    if not m:
        return None
    raw, unit = m.group(1).lower(), m.group(2).lower()
    n = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw.replace("-", " "), NUMBER_WORDS.get(raw, 0))
    if unit.startswith("y"):
        return n * 12
    if unit.startswith("d"):
        return max(1, round(n / 30))
    return n


def is_benefit(text: str, section: str) -> bool:
    """True when a sentence offers something (exam reimbursement, CEUs) rather than asking for it."""
    if section == BENEFITS:
        return True
    low = text.lower()
    if not BENEFIT_GATE_RE.search(low) or not may_match(BENEFIT_CUE_WORDS, text, low):
        return False
    # "Knowledge of CPT preferred (training provided)" asks first and offers second.
    return bool(BENEFIT_CUE.search(text)) and not re.search(r"\b(?:must|required|preferred|mandatory)\b", text, re.I)

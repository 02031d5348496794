"""Relevance: is this posting a medical-coding job?

Job boards mix coders with AR callers, billers, front-desk staff, scribes and
software "coders". Every posting gets a scope (``in``, ``out`` or
``review``), a score in [0, 1] and a reason a person can read. Out-of-scope
postings are kept apart with that reason, never silently lost.

This module holds the explicit rules; they decide when a rule is clearly
right (a title that names the job). The rest is weighed from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IN, OUT, REVIEW = "in", "out", "review"


@dataclass(frozen=True)
class Verdict:
    scope: str
    score: float  # belief that this is a coding job, 0..1
    reason: str


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


# Titles that name a coding job outright.
CODING_TITLE = _rx(
    r"(?:medical|clinical|hospital|inpatient|outpatient|pro[\s-]?fee|profee|physician|facility|surgical|surgery|radiology|"
    r"cardiology|ed|e/m|e&m|em|emergency|hcc|risk[\s-]adjustment|ipdrg|drg|ivr|anesthesia|oncology|ortho\w*|home health|"
    r"denials?|certified|senior|sr\.?|junior|jr\.?|trainee|apprentice|remote|lead|quality|him|health information)\s+(?:medical\s+)?cod(?:er|ing)",
    r"cod(?:er|ing)\s+(?:specialist|analyst|auditor|educator|trainer|supervisor|manager|lead|quality|validator|reviewer|professional|associate|executive|coordinator|integrity|compliance|consultant|denials?)",
    r"(?:coder|coding)\s*(?:i{1,3}|iv|[1-4])\b",
    r"medical records technician\s*\(?coder\)?",
    r"clinical documentation (?:integrity|improvement|specialist|specialists)",
    r"cdi (?:specialist|analyst|manager|educator|reviewer|lead)",
    r"(?:cpc|ccs|crc|cic|coc)[\s-]?(?:a\s+)?(?:certified\s+)?(?:coder|fresher|trainee)s?",
    r"medical cod(?:er|ing)",
    r"coders?",
)
# Titles of neighbouring jobs that are not coding, whatever their text says.
NOT_CODING_TITLE: list[tuple[re.Pattern, str]] = [
    (_rx(r"software", r"developer", r"engineer", r"programmer", r"python", r"java(?:script)?", r"full[\s-]?stack", r"front[\s-]?end", r"back[\s-]?end", r"devops", r"data scientist"), "software job, not medical coding"),
    (_rx(r"bootcamp", r"coding (?:instructor|teacher|tutor|camp|club)", r"teach(?:ing)? (?:kids|children|students) to code", r"stem instructor", r"computer science"), "teaches programming, not medical coding"),
    (_rx(r"ar caller", r"a/?r (?:caller|analyst|associate|executive|specialist|representative|follow[\s-]?up)", r"accounts? receivable", r"collections?", r"voice process"), "accounts receivable / AR calling, not coding"),
    (_rx(r"payment post\w*", r"cash posting", r"charge entry", r"cash applications?"), "payment posting, not coding"),
    (_rx(r"front desk", r"receptionist", r"patient (?:access|registration|service)", r"registration", r"scheduler", r"admitting"), "front desk / patient access, not coding"),
    (_rx(r"release of information", r"roi (?:specialist|associate|analyst)"), "release of information, not coding"),
    (_rx(r"scribe"), "medical scribe, not coding"),
    (_rx(r"transcription\w*", r"transcriptionist"), "medical transcription, not coding"),
    (_rx(r"insurance verification", r"eligibility (?:verification|specialist)", r"prior authori[sz]ation", r"pre[\s-]?authori[sz]ation"), "insurance verification, not coding"),
    (_rx(r"pharmacy tech\w*", r"pharmacist"), "pharmacy job, not coding"),
    (_rx(r"(?:medical |insurance )?biller", r"billing (?:specialist|analyst|associate|executive|representative|coordinator|manager|clerk)", r"denial management", r"credentialing"), "billing only, not coding"),
]
NURSE_TITLE = _rx(r"registered nurse", r"staff nurse", r"\bRN\b", r"nurse", r"LPN", r"nursing")
CDI_WORDS = _rx(r"clinical documentation", r"cdi", r"documentation integrity", r"coding")

# Text signals, weighed when the title alone does not decide.
CODING_SIGNALS = _rx(
    r"assign(?:s|ing)? (?:accurate |appropriate )?(?:icd|cpt|diagnosis|procedure|codes)", r"abstract(?:s|ing)?",
    r"code (?:charts|records|encounters|inpatient|outpatient|medical records)", r"cpc", r"ccs", r"crc", r"cic", r"coc",
    r"icd-?10-?(?:cm|pcs)", r"ms-?drg", r"hcc", r"coding guidelines", r"medical coding", r"chart review",
)
NON_CODING_SIGNALS = _rx(
    r"calling (?:insurance|payers|patients)", r"voice process", r"collections?", r"claim follow[\s-]?up", r"payment posting",
    r"check[\s-]?in", r"schedul(?:e|ing) appointments", r"typing speed", r"transcrib\w+", r"python", r"javascript",
    r"patients? (?:care|assessment)", r"bedside",
)
BILLING_AND_CODING = _rx(r"billing (?:and|&|/) coding", r"coding (?:and|&|/) billing")


def judge(title: str | None, description: str | None = None) -> Verdict:
    """Decide whether a posting is a medical-coding job, with a score and a readable reason."""
    title = (title or "").strip()
    text = description or ""
    if not title and not text:
        return Verdict(REVIEW, 0.5, "no title or description to judge")

    if NURSE_TITLE.search(title) and not (CDI_WORDS.search(title) or CODING_TITLE.search(title)):
        return Verdict(OUT, 0.05, f"title {title!r}: nursing role, not coding")
    for rx, why in NOT_CODING_TITLE:
        if rx.search(title):
            if CODING_TITLE.search(title) and BILLING_AND_CODING.search(title):
                break  # "Billing & Coding Specialist" codes; decided below
            if CODING_TITLE.search(title) and not re.search(r"software|developer|engineer|programmer|python|java|bootcamp|instructor|teach", title, re.I):
                break  # "Denials Coding Specialist", "Coding Quality Auditor" name coding first
            return Verdict(OUT, 0.05, f"title {title!r}: {why}")

    coding_hits = len(CODING_SIGNALS.findall(text))
    other_hits = len(NON_CODING_SIGNALS.findall(text))
    if CODING_TITLE.search(title):
        if coding_hits == 0 and other_hits >= 2:
            return Verdict(REVIEW, 0.5, f"title {title!r} says coding but the text reads like another job")
        return Verdict(IN, 0.95, f"title {title!r} names a coding job")
    # Title is neutral ("Specialist II", "HIM Analyst"): let the text decide.
    if coding_hits >= 3 and coding_hits > 2 * other_hits:
        return Verdict(IN, 0.8, f"text has {coding_hits} coding signals, {other_hits} of other jobs")
    if coding_hits == 0 or other_hits > coding_hits:
        return Verdict(OUT, 0.15, f"title {title!r} is not a coding job and the text has {coding_hits} coding signals")
    return Verdict(REVIEW, 0.5, f"unclear: {coding_hits} coding signals, {other_hits} of other jobs")

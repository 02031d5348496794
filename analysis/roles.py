"""Role family and level from a posting's title (and, when the title is vague, its text)."""

from __future__ import annotations

import re

# Order matters: the first family whose pattern matches the title wins.
FAMILIES: list[tuple[str, re.Pattern]] = [
    ("management", re.compile(r"\b(?:manager|director|supervisor|head of|team lead(?:er)?|lead coder|coding lead|coding manager)\b", re.I)),
    ("education", re.compile(r"\b(?:educator|trainer|instructor|education specialist|training)\b", re.I)),
    ("cdi", re.compile(r"\b(?:cdi|clinical documentation|documentation integrity|documentation improvement|cdip|ccds)\b", re.I)),
    ("audit", re.compile(r"\b(?:audit\w*|quality (?:analyst|reviewer|assurance|specialist)|QA|validator|validation|compliance)\b", re.I)),
    ("risk-adjustment", re.compile(r"\b(?:risk[\s-]adjustment|hcc|crc|medicare advantage|retrospective review)\b", re.I)),
    ("ed", re.compile(r"\b(?:ED|ER|emergency)\b", re.I)),
    ("inpatient", re.compile(r"\b(?:inpatient|in-patient|IP|DRG|IPDRG|facility inpatient)\b", re.I)),
    ("outpatient", re.compile(r"\b(?:outpatient|out-patient|OP|ambulatory|ASC|same[\s-]day surgery|observation|ancillary|facility)\b", re.I)),
    ("pro-fee", re.compile(r"\b(?:pro[\s-]?fee|profee|professional|physician|provider|E/?&?M|radiology|cardiology|orthop\w*|anesthesia|anaesthesia|surgery|surgical|IVR|oncology|pathology|specialty|multi[\s-]?specialty|denials?)\b", re.I)),
    ("him-coder", re.compile(r"\b(?:medical records technician|health information|HIM)\b", re.I)),
]
LEVELS: list[tuple[str, re.Pattern]] = [
    ("manager", re.compile(r"\b(?:manager|director|head)\b", re.I)),
    ("lead", re.compile(r"\b(?:lead|supervisor|team leader)\b", re.I)),
    ("senior", re.compile(r"\b(?:senior|sr\.?|principal|expert)\b", re.I)),
    ("III", re.compile(r"\b(?:III|3)\b")),
    ("II", re.compile(r"\b(?:II|2)\b")),
    ("trainee", re.compile(r"\b(?:trainee|fresher|freshers|apprentice|entry[\s-]level|junior|jr\.?|intern|CPC-A)\b", re.I)),
    ("I", re.compile(r"\b(?:I|1)\b")),
]


def role_family(title: str | None, text: str | None = None) -> str:
    """inpatient, outpatient, pro-fee, ed, risk-adjustment, audit, cdi, education, management, him-coder or general."""
    for family, rx in FAMILIES:
        if title and rx.search(title):
            return family
    return "general"


def role_level(title: str | None) -> str | None:
    """trainee, I, II, III, senior, lead or manager, when the title says so."""
    for level, rx in LEVELS:
        if title and rx.search(title):
            return level
    return None

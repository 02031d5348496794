"""Education in a posting clause: the levels it names, the fields of study, and whether experience may stand in.

US postings name levels ("High school diploma or GED", "Associate degree in
HIM"); Indian postings name degrees ("B.Sc / B.Pharm / BPT / BDS", "any life
science graduate", "Graduation mandatory"). Both map to one ladder,
:data:`LEVELS`, and to fields of study (:data:`FIELD_PATTERNS`).
"""

from __future__ import annotations

import re

from analysis.text import may_match, substring_gate

LEVELS = ("high_school", "certificate", "associate", "bachelor", "master")

LEVEL_PATTERNS: dict[str, re.Pattern] = {
    "master": re.compile(
        r"\bmaster'?s?\b|\bM\.?\s?Pharm\b|\bM\.?Sc\b|\bMBA\b|\bMHA\b|\bpost[\s-]?graduat\w*|\bgraduate[\s-]level\b", re.I),
    "bachelor": re.compile(
        r"\bbachelor'?s?\b|\bB\.?\s?S\.?c\b|\bB\.?\s?Pharm|\bPharm\.?\s?D\b|\bBDS\b|\bBPT\b|\bBAMS\b|\bBHMS\b|\bBUMS\b|\bMBBS\b|\bBSN\b|"
        r"\bB\.?A\.?\b(?= degree| in)|\bBS (?:degree|in)\b|\b4[\s-]year degree|\bcollege degree|\bany (?:life[\s-]?science )?graduate\b|"
        r"\b(?:life[\s-]?science|science|paramedical|nursing|pharmacy|allied health) graduates?\b|\bgraduat(?:e|ion) (?:degree |in )|"
        r"\bgraduates? (?:in|from|with)\b(?! (?:a|an) (?:coding|certificate))|\bgraduates? only\b|\bUG\b|\bgraduation\b(?! from high)|"
        r"^\W*graduate\b(?![\s-]level| of an? (?:accredited |approved )?(?:medical )?coding)|\bgraduate \((?:any|life)|\bany degree\b",
        re.I,
    ),
    "associate": re.compile(r"\bassociate'?s?\s+(?:degree|of|in)\b|\bassociates? degree\b|\bA\.?A\.?S\.?\b|\b2[\s-]year degree|\bADN\b", re.I),
    "certificate": re.compile(
        r"\bcertificate (?:program|programme|course|in)\b|\bdiploma (?:in|program)\b|\bcoding (?:program|programme|course|school|certificate)\b|"
        r"\b(?:completion of|graduate of) an? (?:accredited |approved )?(?:medical )?coding\b|\bGNM\b|\bvocational\b",
        re.I,
    ),
    "high_school": re.compile(r"\bhigh[\s-]school\b|\bGED\b|\bHSD\b|\bsecondary school\b|\b10\s?\+\s?2\b|\b12th\b|\bHSC\b|\bintermediate pass\b", re.I),
}

# Fields of study, in the order a reader would list them.
FIELD_PATTERNS: dict[str, re.Pattern] = {
    "him": re.compile(r"\bHIM\b|\bHIT\b|\bhealth information (?:management|technology|administration)|\bhealth informatics\b|\bmedical records? (?:science|technology)", re.I),
    "medical_coding": re.compile(r"\bcoding (?:certificate|program|programme|course|school|diploma)|\bcertificate (?:program |programme |course )?in (?:medical )?coding", re.I),
    "life_sciences": re.compile(
        r"\blife[\s-]?sciences?\b|\bmicrobiology\b|\bbiotechnology\b|\bbiochemistry\b|\bzoology\b|\bbotany\b|\bbiology\b|\bgenetics\b|"
        r"\b[BM]\.?\s?Sc\b\.?(?!\s*\(?\s*(?:\w+\s)?nursing)", re.I),
    "nursing": re.compile(r"\bnursing\b|\bGNM\b|\bANM\b|\bBSN\b|\bADN\b", re.I),
    "pharmacy": re.compile(r"\b[BM]\.?\s?Pharm\w*|\bPharm\.?\s?D\b|\bpharmacy\b", re.I),
    "dental": re.compile(r"\bBDS\b|\bMDS\b|\bdental\b|\bdentistry\b", re.I),
    "physiotherapy": re.compile(r"\bBPT\b|\bMPT\b|\bphysiotherapy\b|\bphysical therapy\b", re.I),
    "ayush": re.compile(r"\bBAMS\b|\bBHMS\b|\bBUMS\b|\bBSMS\b|\bayurved\w*|\bhomeopath\w*|\bunani\b", re.I),
    "medicine": re.compile(r"\bMBBS\b|\b(?:foreign|international) medical graduates?\b|\bFMG\b", re.I),
    "allied_health": re.compile(r"\bparamedical\b|\ballied health\b|\bD?MLT\b|\bBOT\b|\boptometry\b|\bradiography\b", re.I),
    "health_administration": re.compile(r"\bMBA\b|\bMHA\b|\bhealth(?:care)? administration\b|\bbusiness administration\b", re.I),
    "any": re.compile(r"\bany (?:graduate|discipline|degree|stream)\b|\bgraduates? (?:in|of) any\b|\ball graduates\b", re.I),
}

# "Associate degree in HIM or equivalent combination of education and experience": experience may replace the degree.
EXPERIENCE_SUBSTITUTES_RE = re.compile(
    r"\bor (?:an? )?(?:equivalent|comparable) (?:combination of )?(?:(?:education|training) and |(?:relevant |related |work |professional )+)?experience\b|"
    r"\bor (?:an? )?equivalent combination\b|\bexperience (?:may|can|will) (?:substitute|be substituted|be accepted in lieu)|"
    r"\bin lieu of (?:a |the )?(?:degree|education)\b|\bequivalent (?:work )?experience (?:will be|is|are) (?:accepted|considered)",
    re.I,
)
# "10+2 with coding certificate": the certificate is the requirement, school is its prerequisite.
WITH_RE = re.compile(r"\bwith\b|\bplus\b|\band\b|\+|&", re.I)


# Every level pattern needs one of these (lower-cased) substrings; most clauses have none.
LEVEL_GATE = ("school", "ged", "hsd", "10+2", "10 +", "12th", "hsc", "intermediate", "certificate", "diploma", "program",
              "course", "coding", "graduat", "gnm", "vocational", "associate", "a.a", "aas", "year degree", "adn", "degree",
              "bachelor", "sc", "s.c", "pharm", "bds", "bpt", "bams", "bhms", "bums", "mbbs", "bsn", "b.a", "ba ", "bs ",
              "college", "ug", "master", "mba", "mha", "post")
FIELD_GATE = ("him", "hit", "health info", "informatics", "medical record", "coding", "certificate", "life", "biolog", "microbio",
              "biotech", "biochem", "zoolog", "botany", "genetic", "sc", "nurs", "gnm", "anm", "bsn", "adn", "pharm", "bds", "mds",
              "dental", "dentist", "bpt", "mpt", "physio", "physical therapy", "bams", "bhms", "bums", "bsms", "ayurved", "homeopath",
              "unani", "mbbs", "medical graduate", "fmg", "paramedical", "allied", "mlt", "bot", "optometry", "radiograph", "mba",
              "mha", "administration", "any", "all graduates")
LEVEL_GATE_RE, FIELD_GATE_RE = substring_gate(LEVEL_GATE), substring_gate(FIELD_GATE)
# Per pattern, words every match of it contains. Common words pass the gates above ("coding", "sc" in
# "description", "any" in "company"), and then each pattern would scan the clause; these gates let only
# the patterns that can match scan it.
LEVEL_WORDS = {
    "master": ("master", "pharm", "sc", "mba", "mha", "post", "graduate"),
    "bachelor": ("bachelor", "sc", "s.c", "pharm", "bds", "bpt", "bams", "bhms", "bums", "mbbs", "bsn", "ba", "b.a", "bs ",
                 "degree", "college", "graduat", "ug"),
    "associate": ("associate", "aas", "a.a", "aa.s", "year degree", "adn"),
    "certificate": ("certificate", "diploma", "coding", "gnm", "vocational"),
    "high_school": ("school", "ged", "hsd", "+", "12th", "hsc", "intermediate pass"),
}
FIELD_WORDS = {
    "him": ("him", "hit", "health info", "medical record"),
    "medical_coding": ("coding",),
    "life_sciences": ("life", "bio", "zoology", "botany", "genetics", "sc"),
    "nursing": ("nursing", "gnm", "anm", "bsn", "adn"),
    "pharmacy": ("pharm",),
    "dental": ("bds", "mds", "dent"),
    "physiotherapy": ("bpt", "mpt", "physi"),
    "ayush": ("bams", "bhms", "bums", "bsms", "ayurved", "homeopath", "unani"),
    "medicine": ("mbbs", "medical graduate", "fmg"),
    "allied_health": ("paramedical", "allied health", "mlt", "bot", "optometry", "radiography"),
    "health_administration": ("mba", "mha", "administration"),
    "any": ("any", "all graduates"),
}


def levels_in(clause: str) -> tuple[int, ...]:
    """Indexes into :data:`LEVELS` of every level a clause names, lowest first.

    A high-school level joined to a coding certificate by "with"/"and" is not
    a level of its own: "10+2 with a coding certificate" asks for the certificate.
    """
    low = clause.lower()
    if not LEVEL_GATE_RE.search(low):
        return ()
    hits = [i for i, name in enumerate(LEVELS) if may_match(LEVEL_WORDS[name], clause, low) and LEVEL_PATTERNS[name].search(clause)]
    if 0 in hits and 1 in hits:
        school = LEVEL_PATTERNS["high_school"].search(clause)
        for cert in LEVEL_PATTERNS["certificate"].finditer(clause):
            a, b = sorted((school, cert), key=lambda m: m.start())
            between = clause[a.end():b.start()]
            if len(between) < 40 and WITH_RE.search(between) and not re.search(r"\bor\b|/", between, re.I):
                hits.remove(0)
                break
    return tuple(hits)


def without_asides(clause: str) -> str:
    """The clause with parenthesised asides that make their own education statement blanked out.

    In "Any graduate (life science graduates preferred)" the preference belongs to the aside,
    not to the requirement around it.
    """
    def blank(m: re.Match) -> str:
        inner = m.group(0)
        own = fields_in(inner) or any(rx.search(inner) for rx in LEVEL_PATTERNS.values())
        return " " * len(inner) if own else inner

    return re.sub(r"\([^()]*\)", blank, clause)


def fields_in(clause: str) -> tuple[str, ...]:
    """Fields of study a clause names ("life_sciences", "pharmacy", "him"...), in :data:`FIELD_PATTERNS` order."""
    low = clause.lower()
    if not FIELD_GATE_RE.search(low):
        return ()
    return tuple(name for name, rx in FIELD_PATTERNS.items() if may_match(FIELD_WORDS[name], clause, low) and rx.search(clause))


def experience_substitutes(clause: str) -> bool:
    """True when the clause lets experience stand in for the education it names."""
    low = clause.lower()
    return ("equivalent" in low or "comparable" in low or "substitut" in low or "lieu" in low or "accepted" in low) \
        and bool(EXPERIENCE_SUBSTITUTES_RE.search(clause))

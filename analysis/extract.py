"""Requirement extraction: from a posting's text to what it asks for.

One entry point, :func:`extract`, takes posting text (plain or HTML) and
returns an :class:`Extraction`. The crawl's analysis stage, ``medcoder
analyse`` and ``medcoder extract`` all call it. Every requirement keeps the
sentence it came from as evidence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from analysis import sections as sec
from analysis.taxonomy import CODING_ANY, Match, Taxonomy, load_taxonomy
from analysis.text import html_to_text, looks_like_html

EXTRACTOR_VERSION = "1"
EDUCATION_LEVELS = ("high_school", "certificate", "associate", "bachelor", "master")
EVIDENCE_MAX = 400


@dataclass
class Requirement:
    id: str
    category: str
    level: str  # required or preferred
    group: int | None = None  # alternatives share a group number; None when alone
    within_months: int | None = None
    detail: str | None = None
    evidence: str = ""


@dataclass
class Extraction:
    certifications: list[Requirement] = field(default_factory=list)
    code_sets: list[Requirement] = field(default_factory=list)
    skills: list[Requirement] = field(default_factory=list)  # knowledge, soft skills, settings
    tools: list[Requirement] = field(default_factory=list)
    experience_years_min: float | None = None
    experience_setting: str | None = None
    experience_evidence: str | None = None
    education_min: str | None = None
    education_evidence: str | None = None
    remote: str | None = None

    def requirements(self) -> list[Requirement]:
        """Every requirement row, in a stable order: credentials, code sets, tools, skills."""
        return [*self.certifications, *self.code_sets, *self.tools, *self.skills]

    def to_dict(self) -> dict:
        return asdict(self)


def _number(word: str) -> float | None:
    word = word.lower().strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    return sec.NUMBER_WORDS.get(word)


NUM = r"(\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten)"
EXPERIENCE_RE = re.compile(
    NUM + r"\s*(?:\(\d+\)\s*)?(?:\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*\+?\s*)?(years?|yrs?|months?|mos?)\b",
    re.I,
)
# A figure counts as experience only beside these words ("6 month contract" and "last 6 months" do not).
EXPERIENCE_CONTEXT_RE = re.compile(
    r"experience|\bexp\b|\bexp\.|background|(?:years?|yrs?|months?)\s+(?:of\s+|in\s+|as\s+|hands-on\s+)[\w\s/&,()-]{0,50}?(?:cod|audit|abstract|cdi|him|billing)",
    re.I,
)
FRESHER_RE = re.compile(r"\bfreshers?\b|\bno (?:prior )?experience (?:is )?(?:required|needed)|\bentry[\s-]level\b|\b0\s*(?:-|to)\s*\d+\s*(?:years?|yrs?)", re.I)
# Freshers as applicants ("freshers can apply"), not as the people the job trains.
FRESHER_ELIGIBLE_RE = re.compile(
    r"\bfreshers?\s*(?:&|and|/|or|,)?\s*(?:experienced|exp)|\bfreshers?\b[^.;]{0,40}\b(?:can|may|are|also)?\s*(?:apply|welcome|eligible|consider)|"
    r"\b(?:open to|for|hiring|only)\s+(?:certified\s+)?freshers\b|\bcertified freshers\b|\bfreshers? only\b|\bno (?:prior )?experience (?:is )?(?:required|needed)|"
    r"\b0\s*(?:-|to)\s*\d+\s*(?:years?|yrs?)|\bentry[\s-]level\b",
    re.I,
)

EDUCATION_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("master", re.compile(r"\bmaster'?s?\b|\bM\.?\s?Pharm\b|\bM\.?Sc\b|\bMBA\b|\bMHA\b|\bpost[\s-]?graduat", re.I)),
    ("bachelor", re.compile(
        r"\bbachelor'?s?\b|\bB\.?\s?S\.?c\b|\bB\.?\s?Pharm|\bPharm\.?\s?D\b|\bBDS\b|\bBPT\b|\bBAMS\b|\bBHMS\b|\bBUMS\b|\bMBBS\b|"
        r"\bB\.?A\.?\b(?= degree| in)|\bBS (?:degree|in)\b|\b4[\s-]year degree|\bcollege degree|\bany (?:life[\s-]?science )?graduate\b|"
        r"\b(?:life[\s-]?science|science|paramedical|nursing|pharmacy|allied health) graduates?\b|\bgraduat(?:e|ion) (?:degree |in )|\bgraduates? (?:in|from|with)\b|\bgraduates? only\b|\bUG\b",
        re.I,
    )),
    ("associate", re.compile(r"\bassociate'?s?\s+(?:degree|of|in)\b|\bassociates? degree\b|\bA\.?A\.?S\.?\b|\b2[\s-]year degree", re.I)),
    ("certificate", re.compile(
        r"\bcertificate (?:program|programme|course|in)\b|\bdiploma (?:in|program)\b|\bcoding (?:program|programme|course|school)\b|"
        r"\b(?:completion of|graduate of) an? (?:accredited |approved )?(?:medical )?coding\b|\bGNM\b|\bvocational\b",
        re.I,
    )),
    ("high_school", re.compile(r"\bhigh[\s-]school\b|\bGED\b|\bHSD\b|\bsecondary school\b|\b10\s?\+\s?2\b|\b12th\b|\bHSC\b", re.I)),
]
WORK_MODE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("hybrid", re.compile(r"\bhybrid\b", re.I)),
    ("remote", re.compile(r"\b(?:fully |100% |100 % )?remote\b|\bwork from home\b|\bwork[\s-]from[\s-]home\b|\bWFH\b|\btelecommut\w*|\btelework\b|\bhome[\s-]based\b|\bwork remotely\b", re.I)),
    ("onsite", re.compile(r"\bon[\s-]?site\b|\bwork from office\b|\bWFO\b|\bin[\s-]office\b|\bin[\s-]person\b|\bon[\s-]premises?\b", re.I)),
]
NOT_REMOTE_RE = re.compile(r"\bnot (?:a )?remote\b|\bno (?:remote|wfh|work from home)\b|\bremote (?:is )?not (?:available|possible|an option)\b", re.I)
ALTERNATIVE_GAP_RE = re.compile(r"^[\s,/()|]*(?:(?:and/or|or|either|and or|/|,)[\s,/()|]*)*$", re.I)
AND_GAP_RE = re.compile(r"\band\b(?!/)", re.I)


def extract(text: str, taxonomy: Taxonomy | None = None) -> Extraction:
    """Extract requirements from posting text (plain, structured or HTML)."""
    tax = taxonomy or load_taxonomy()
    if looks_like_html(text or ""):
        text = html_to_text(text)
    text = _normalise_spellings(text or "")
    result = Extraction()
    seen: dict[tuple[str, str], Requirement] = {}  # (category, id) -> strongest requirement so far
    experience: list[tuple[float, str, str | None, str]] = []  # (years, level, setting, evidence)
    education: list[tuple[int, str, str]] = []  # (level index, requirement level, evidence)
    modes: list[str] = []

    creds = _CredentialState()
    for sentence in sec.sentences(text):
        s = sentence.text
        for mode in _work_modes(s):
            modes.append(mode)
        if sentence.section in (sec.ABOUT,):
            continue
        benefit = sec.is_benefit(s, sentence.section)
        matches = tax.find(s)
        if not benefit:
            _sentence_credentials(tax, sentence, matches, creds, result)
        for start, end in sec.clauses(s):
            clause = s[start:end]
            level = _level(clause, s, sentence.section)
            clause_matches = [m for m in matches if start <= m.start < end]
            if not benefit and level:
                _add_others(tax, clause_matches, level, s, seen, result)
            elif not benefit and sentence.section in (sec.DUTIES, sec.OTHER):
                # Code sets the job works in ("assign ICD-10-CM and CPT codes") are needed whether or not
                # the posting repeats them under its requirements.
                _add_others(tax, [m for m in clause_matches if tax.skills[m.skill_id].category == "code_set"],
                            sec.REQUIRED, s, seen, result)
            if level or sentence.section in (sec.DUTIES, sec.OTHER):
                exp = _experience(clause)
                if exp is not None and not benefit:
                    setting = next((tax.skills[m.skill_id].id for m in clause_matches if tax.skills[m.skill_id].category == "setting"), None)
                    # Tier 0: stated as a requirement; tier 1: a figure met in the job's description.
                    tier = 0 if level == sec.REQUIRED else (2 if level == sec.PREFERRED else 1)
                    experience.append((exp, tier, setting, s))
                edu = _education(clause)
                if edu is not None and not benefit:
                    education.append((edu, level or sec.REQUIRED, s))

    if experience:
        best_tier = min(e[1] for e in experience)
        # The first figure stated is the overall minimum; later ones qualify it ("... of which 1 year as QA")
        # or belong to an alternative route ("or CPC with 2 years of audit").
        years, _, setting, evidence = next(e for e in experience if e[1] == best_tier)
        result.experience_years_min, result.experience_setting = years, setting
        result.experience_evidence = _evidence(evidence)
    elif FRESHER_ELIGIBLE_RE.search(text):
        result.experience_years_min = 0.0
    required_edu = [e for e in education if e[1] == sec.REQUIRED]
    if required_edu:
        idx, _, evidence = min(required_edu, key=lambda e: e[0])
        result.education_min, result.education_evidence = EDUCATION_LEVELS[idx], _evidence(evidence)
    result.remote = _work_mode(modes)
    return result


def _normalise_spellings(text: str) -> str:
    # "C.P.C." -> "CPC", "CPC®" -> "CPC", "CPC(R)" -> "CPC": trademark marks and dotted acronyms
    text = re.sub(r"\b((?:[A-Z]\.){2,}[A-Z]?)(?=[\s,;:/)]|$)", lambda m: m.group(1).replace(".", ""), text)
    text = re.sub(r"\s?(?:®|™|\(R\)|\(TM\)|\(r\))", "", text)
    return text


def _level(clause: str, sentence: str, section: str) -> str | None:
    """required/preferred for a clause: its own cue, else its section's, else the whole sentence's."""
    cue = sec.cue_level(clause)
    if cue:
        return cue
    if section in (sec.PREFERRED, sec.REQUIRED):
        return section
    return sec.cue_level(sentence)


def _evidence(sentence: str) -> str:
    return sentence if len(sentence) <= EVIDENCE_MAX else sentence[: EVIDENCE_MAX - 1] + "…"


@dataclass
class _CredentialState:
    """What credential extraction carries from sentence to sentence within one posting."""

    next_group: int = 1
    last: list[Requirement] | None = None  # the requirement stated last, for "... also accepted"
    last_line: int = -1
    stated: set = field(default_factory=set)  # (ids, level, within) already recorded


def _alternative_runs(matches: list[Match], text: str) -> list[list[Match]]:
    """Credentials joined by "or", "/" or commas are alternatives: one run per requirement."""
    runs: list[list[Match]] = []
    for m in matches:
        if runs:
            gap = text[runs[-1][-1].end:m.start]
            if ALTERNATIVE_GAP_RE.match(gap) or (len(gap) < 40 and not AND_GAP_RE.search(gap) and re.search(r"\bor\b|/", gap)):
                runs[-1].append(m)
                continue
        runs.append([m])
    return runs


def _split_generic(tax, matches: list[Match], sentence: str) -> list[Match]:
    """"AAPC or AHIMA certification" names two generic requirements as alternatives, not one vague one."""
    out = []
    both = re.search(r"\bAAPC\b.{0,30}\bAHIMA\b|\bAHIMA\b.{0,30}\bAAPC\b", sentence)
    for m in matches:
        if m.skill_id == CODING_ANY and both:
            out += [Match("AAPC_ANY", m.start, m.end, m.text), Match("AHIMA_ANY", m.start, m.end, m.text)]
        else:
            out.append(m)
    return out


def _record(run_ids: list[str], level: str, within: int | None, evidence: str, st: _CredentialState,
            result: Extraction) -> list[Requirement] | None:
    key = (frozenset(run_ids), level, within)
    if key in st.stated:
        return None
    st.stated.add(key)
    group = None
    if len(run_ids) > 1:
        group, st.next_group = st.next_group, st.next_group + 1
    reqs = [Requirement(i, "credential", level, group, within, None, _evidence(evidence)) for i in run_ids]
    result.certifications.extend(reqs)
    return reqs


def _accept_into_last(ids: list[str], evidence: str, st: _CredentialState, result: Extraction) -> None:
    """Fold "X also accepted" into the requirement stated just before it."""
    last = st.last
    new = [i for i in ids if i not in {r.id for r in last}]
    if not new:
        return
    if last[0].level == sec.PREFERRED:
        # "CCS preferred but CPC considered": a credential is required (either), and CCS is preferred.
        merged = _record([r.id for r in last] + new, sec.REQUIRED, last[0].within_months, evidence, st, result)
        st.last = merged or last
        return
    group = last[0].group
    if group is None:
        group, st.next_group = st.next_group, st.next_group + 1
        for r in last:
            r.group = group
    added = [Requirement(i, "credential", last[0].level, group, last[0].within_months, None, _evidence(evidence)) for i in new]
    result.certifications.extend(added)
    st.last = last + added


def _sentence_credentials(tax, sentence: sec.Sentence, matches: list[Match], st: _CredentialState, result: Extraction) -> None:
    """Credential requirements of one sentence: levels per segment, alternatives, grace periods, "also accepted"."""
    s = sentence.text
    if sentence.line != st.last_line:
        st.last, st.last_line = None, sentence.line
    creds = _split_generic(tax, [m for m in matches if tax.skills[m.skill_id].category == "credential"], s)
    if not creds:
        return
    graces = [(m.start(), sec.grace_months(m.group(0))) for m in sec.GRACE_RE.finditer(s)]
    planned: list[tuple[list[Match], str]] = []  # (run, level) in sentence order
    for a, b in sec.segments(s):
        seg = s[a:b]
        seg_creds = [m for m in creds if a <= m.start < b]
        if not seg_creds:
            continue
        runs = _alternative_runs(seg_creds, s)
        if sec.ACCEPT_CUE.search(seg) and (st.last or planned):
            if planned:  # the requirement this aside qualifies is in this very sentence
                _flush(planned, graces, s, st, result)
                planned = []
            _accept_into_last([m.skill_id for run in runs for m in run], s, st, result)
            continue
        level = _level(seg, s, sentence.section)
        if level:
            planned += [(run, level) for run in runs]
    _flush(planned, graces, s, st, result)


def _flush(planned, graces, sentence: str, st: _CredentialState, result: Extraction) -> None:
    """Record planned runs, each grace period going to the run just before it (else the first after it)."""
    within: dict[int, int] = {}
    for pos, months in graces:
        before = [i for i, (run, _) in enumerate(planned) if run[-1].end <= pos]
        after = [i for i, (run, _) in enumerate(planned) if run[0].start >= pos]
        target = before[-1] if before else (after[0] if after else None)
        if target is not None:
            within.setdefault(target, months)
    for i, (run, level) in enumerate(planned):
        ids = list(dict.fromkeys(m.skill_id for m in run))
        reqs = _record(ids, sec.REQUIRED if i in within else level, within.get(i), sentence, st, result)
        if reqs:
            st.last = reqs


def _add_others(tax, matches: list[Match], level: str, sentence: str, seen: dict, result: Extraction) -> None:
    for m in matches:
        skill = tax.skills[m.skill_id]
        if skill.category == "credential":
            continue
        key = (skill.category, skill.id)
        if key in seen:
            prior = seen[key]
            if prior.level == sec.PREFERRED and level == sec.REQUIRED:
                prior.level, prior.evidence = level, _evidence(sentence)
            continue
        req = Requirement(skill.id, skill.category, level, None, None, m.text if skill.id == "DRG" else None, _evidence(sentence))
        seen[key] = req
        target = {"code_set": result.code_sets, "tool": result.tools}.get(skill.category, result.skills)
        target.append(req)


def _experience(clause: str) -> float | None:
    """Years of experience a clause asks for: its first figure ("1-3 years" -> 1, "6 months" -> 0.5; freshers -> 0)."""
    if FRESHER_ELIGIBLE_RE.search(clause):
        return 0.0
    if not EXPERIENCE_CONTEXT_RE.search(clause):
        return None
    for m in EXPERIENCE_RE.finditer(clause):
        if re.match(r"\s*(?:-|–|to)\s*$", clause[max(0, m.start() - 4):m.start()]) or re.search(r"up\s+to\s*$", clause[:m.start()], re.I):
            continue  # the top of a range or an "up to" ceiling is never the minimum
        n = _number(m.group(1))
        if n is None or n > 30:
            continue
        unit = m.group(2).lower()
        return round(n / 12, 2) if unit.startswith("m") else n
    return None


def _education(clause: str) -> int | None:
    """Index into EDUCATION_LEVELS of the lowest level a clause names, or None."""
    levels = [i for i, (name, rx) in enumerate(reversed(EDUCATION_PATTERNS)) if rx.search(clause)]
    return min(levels) if levels else None


def work_mode_of_text(text: str) -> str | None:
    """remote, hybrid or onsite when a posting's text says so (hybrid wins, as it names both)."""
    return _work_mode([mode for line in text.split("\n") for mode in _work_modes(line)])


def _work_modes(sentence: str) -> list[str]:
    if NOT_REMOTE_RE.search(sentence):
        return ["onsite"]
    return [mode for mode, rx in WORK_MODE_PATTERNS if rx.search(sentence)]


def _work_mode(modes: list[str]) -> str | None:
    """Hybrid wins (it names both), then remote, then onsite."""
    for mode in ("hybrid", "remote", "onsite"):
        if mode in modes:
            return mode
    return None

"""Requirement extraction: from a posting's text to what it asks for.

One entry point, :func:`extract`, takes posting text (plain or HTML) and
returns an :class:`Extraction`. The crawl's analysis stage, ``medcoder
analyse`` and ``medcoder extract`` all call it. Every requirement keeps the
sentence it came from as evidence.

How a sentence is read:

1. Its section (the heading above it, :mod:`analysis.sections`) and cue words
   ("required", "preferred", "reimbursed") decide whether it asks for
   something, and how firmly.
2. Where they are silent, the sentence classifier (:mod:`analysis.sentences`)
   decides; it also vetoes perks and company boasts that name a credential
   under a requirements heading ("We pay for your CRC exam").
3. Credentials are read per clause, as alternative groups ("CPC, COC or
   CIC"), with grace periods ("within 6 months of hire") and asides that widen
   the requirement just stated ("CPC-A also accepted").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field

from analysis import conditions
from analysis import education as edu
from analysis import sections as sec
from analysis import sentences
from analysis.taxonomy import CODING_ANY, Match, Taxonomy, load_taxonomy
from analysis.text import WordSpotter, html_to_text, looks_like_html, normalise_line, normalise_lines, substring_gate

EXTRACTOR_VERSION = "2"
EDUCATION_LEVELS = edu.LEVELS
EVIDENCE_MAX = 400
# Classifier probabilities: below FALLBACK_AT a silent sentence stays unread; at VETO_AT a perk or
# company line under a requirements heading is set aside.
FALLBACK_AT, VETO_AT = 0.6, 0.8


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
    # Added in extractor version 2.
    experience_equivalent: float | None = None  # years named as one route among alternatives ("one year of experience OR a degree")
    education_equivalent: str | None = None  # level named but replaceable by experience ("or equivalent experience")
    education_fields: list[str] = field(default_factory=list)  # him, life_sciences, nursing, pharmacy, dental...
    settings: list[str] = field(default_factory=list)  # setting and specialty ids the job works in
    shift: str | None = None  # night, us, rotational, evening, day
    languages: list[Requirement] = field(default_factory=list)  # category "language"; not taxonomy skills

    def requirements(self) -> list[Requirement]:
        """Every taxonomy requirement row, in a stable order: credentials, code sets, tools, skills."""
        return [*self.certifications, *self.code_sets, *self.tools, *self.skills]

    def to_dict(self) -> dict:
        """The extraction as plain data (dicts and lists)."""
        return asdict(self)


def record_fields(result: Extraction) -> dict:
    """The public-record keys added in extractor version 2 (see docs/extract-format.md)."""
    return {
        "experience_equivalent": result.experience_equivalent,
        "education_equivalent": result.education_equivalent,
        "education_fields": list(result.education_fields),
        "settings": list(result.settings),
        "shift": result.shift,
        "languages": [{"id": r.id, "level": r.level} for r in result.languages],
        "tool_requirements": [{"id": r.id, "level": r.level} for r in result.tools],
    }


# --- sentence kinds -----------------------------------------------------------------------------
ASK, DUTY, BENEFIT, COMPANY, OTHER = "ask", "duty", "benefit", "company", "other"
STRONG_REQUIRED_WORDS = ("must", "require", "mandatory", "compulsory", "need")  # in every match of STRONG_REQUIRED_RE
STRONG_REQUIRED_RE = re.compile(r"\b(?:must|required|requires?|mandatory|compulsory|need(?:ed)? to)\b", re.I)
NEED_NOT_APPLY_RE = re.compile(r"\bneed not apply\b|\bshould not apply\b|\bnot (?:be )?considered\b", re.I)
KEY_SKILLS_RE = re.compile(r"^\W*(?:key\s+)?skills?\s*(?:required)?\s*:", re.I)


def _kind(s: str, section: str, matches: tuple[Match, ...], classify: bool, spotted: frozenset[str]) -> tuple[str, str | None]:
    """What a sentence does: asks (with a default level), describes duties, offers, or is boilerplate."""
    if section == sec.ABOUT:
        return COMPANY, None
    if (section == sec.BENEFITS or "benefit" in spotted) and sec.is_benefit(s, section):
        return BENEFIT, None
    default = section if section in (sec.REQUIRED, sec.PREFERRED) else None
    cue = sec.cue_level(s) if "cue" in spotted else None
    relevant = bool(matches) or ("hint" in spotted and _mentions_experience_or_education(s))
    if default or cue:
        if classify and relevant and not ("strong" in spotted and STRONG_REQUIRED_RE.search(s)):
            label = sentences.classify(s)
            if label.label in (BENEFIT, COMPANY) and label.probability >= VETO_AT:
                return label.label, None
        return ASK, default
    kind = DUTY if section == sec.DUTIES else OTHER
    if classify and relevant:
        label = sentences.classify(s)
        if label.label in ("requirement", "preferred") and label.probability >= FALLBACK_AT:
            return ASK, sec.REQUIRED if label.label == "requirement" else sec.PREFERRED
        # Under a duties heading a sentence is a duty unless the classifier is sure it is not.
        if label.label in (BENEFIT, COMPANY) and label.probability >= (VETO_AT if kind == DUTY else FALLBACK_AT):
            return label.label, None
    return kind, None


# --- the entry point ------------------------------------------------------------------------------
def extract(text: str, taxonomy: Taxonomy | None = None, *, classify: bool = True) -> Extraction:
    """Extract requirements from posting text (plain, structured or HTML).

    ``classify=False`` reads by rules only (no sentence classifier), to measure what the classifier adds.
    """
    tax = taxonomy or load_taxonomy()
    text = _prepare(text)
    result = Extraction()
    state = _State()
    for line in text.split("\n"):
        if line.startswith("## "):
            # A heading can carry the only statement of the work mode ("Remote - US").
            state.modes += conditions.work_modes(line)
    for line_no, section, heading, is_bullet, parts in sec.lines(text):
        for part in parts:
            facts = _facts(tax, part, section, classify)
            # A sentence that says nothing changes nothing, unless it counts down a "one of the following" block.
            if facts.silent and not state.alternatives.open_for:
                continue
            _apply(tax, sec.Sentence(part, section, heading, is_bullet, line_no), facts, state, result)
    _finish(state, result, text)
    return result


def _apply(tax: Taxonomy, sentence: sec.Sentence, facts: "_Facts", state: "_State", result: Extraction) -> None:
    """Add what one sentence says to the posting's state, in the light of the sentences before it."""
    state.modes += facts.modes
    state.shifts += facts.shifts
    for sid in facts.settings:
        state.settings[sid] = state.settings.get(sid, 0) + 1
    if facts.kind in (COMPANY, BENEFIT):
        return
    state.alternatives.see(sentence, facts.opens_routes, facts.route_marked)
    if facts.credentials is not None:
        _credentials(tax, sentence, facts, state, result)
    for clause in facts.clauses:
        _apply_clause(tax, sentence, clause, facts.route_marked, state, result)


# About 450 bytes a sentence (tracemalloc, the memo alone, before equal matches were shared): the bound keeps it under 25 MB.
FACTS_CACHE_SIZE = 50_000


def _facts(tax: Taxonomy, text: str, section: str, classify: bool) -> "_Facts":
    """What a sentence says on its own, whatever the rest of the posting says (memoised on the taxonomy).

    Postings repeat sentences (an employer's boilerplate, a board's template),
    so each distinct sentence is read once; the bound keeps a long run's memory flat.
    """
    key = (text, section, classify)
    memo = tax.memo
    facts = memo.get(key)
    if facts is None:
        if len(memo) >= FACTS_CACHE_SIZE:
            # Forget the older half (dicts keep insertion order): boilerplate seen again soon is read again once.
            for old in list(itertools.islice(memo, FACTS_CACHE_SIZE // 2)):
                del memo[old]
        facts = memo[key] = _read_facts(tax, text, section, classify)
    return facts


@dataclass(frozen=True)
class SentenceReading:
    """How the extractor reads one sentence of a posting."""

    text: str
    section: str  # the kind of the heading above it (analysis.sections)
    kind: str  # ask, duty, benefit, company or other
    level: str | None  # for asks: required or preferred when the sentence or its section says so


def read_sentences(text: str, taxonomy: Taxonomy | None = None, *, classify: bool = True) -> list[SentenceReading]:
    """Every sentence of a posting with what the extractor takes it to do (the same reading :func:`extract` uses)."""
    tax = taxonomy or load_taxonomy()
    readings = []
    for sentence in sec.sentences(_prepare(text)):
        facts = _facts(tax, sentence.text, sentence.section, classify)
        readings.append(SentenceReading(sentence.text, sentence.section, facts.kind, facts.default_level))
    return readings


def _prepare(text: str) -> str:
    """Posting text as the sentence splitter wants it: structured lines, spellings normalised."""
    # Stored descriptions are already structured text; normalising again is cheap and finds headings
    # that an older text pass missed.
    text = html_to_text(text) if looks_like_html(text or "") else normalise_lines(text or "")
    return _normalise_spellings(text)


@dataclass
class _Alternatives:
    """ "Applicants must meet ONE of the following: experience ... OR a degree ... OR ...": routes, not minimums."""

    open_for: int = 0  # sentences left in the current block
    section: str | None = None

    def see(self, sentence: sec.Sentence, opens_routes: bool, route_marked: bool) -> None:
        if opens_routes:
            self.open_for, self.section = 6, sentence.section
        elif self.open_for and (sentence.section != self.section and not route_marked):
            self.open_for = 0
        elif self.open_for:
            self.open_for -= 1

    def inside(self, sentence: sec.Sentence, route_marked: bool) -> bool:
        heading = sentence.heading or ""  # "Applicants must meet one of the following:" often is one
        return self.open_for > 0 or route_marked or _opens_routes(heading)


ONE_OF_ROUTES_RE = re.compile(
    r"\b(?:meet|satisfy|have|possess|qualify (?:with|through))\b.{0,40}\b(?:one|any one|either)\b.{0,12}\bof the following\b", re.I)
# "... coding, OR" / "OR (b) completion of ...": a sentence that is one route of several.
ROUTE_MARK_RE = re.compile(r"(?:,\s*|\s)OR\s*[.:;]?$|^\W*OR\b|^\W*\([a-e]\)\s", re.M)


def _route_marked(sentence: str) -> bool:
    return ("OR" in sentence or "(" in sentence) and bool(ROUTE_MARK_RE.search(sentence))


def _opens_routes(sentence: str) -> bool:
    return "following" in sentence.lower() and bool(ONE_OF_ROUTES_RE.search(sentence))


@dataclass
class _State:
    """What the extractor carries across the sentences of one posting."""

    creds: "_CredentialState" = field(default_factory=lambda: _CredentialState())
    seen: dict = field(default_factory=dict)  # (category, id) -> Requirement, for tools, code sets, skills, languages
    experience: list = field(default_factory=list)  # (years, tier, setting, evidence, is_route)
    education: list = field(default_factory=list)  # (level index, level, evidence, replaceable, tier)
    modes: list = field(default_factory=list)
    shifts: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # id -> count
    fields: list = field(default_factory=list)
    alternatives: _Alternatives = field(default_factory=_Alternatives)


@dataclass(frozen=True, slots=True)
class _ClauseFacts:
    """What one clause asks for on its own (how it combines with the posting is :func:`_apply_clause`'s part)."""

    others: tuple[Match, ...]  # code sets, tools, skills to record at ``level``
    level: str
    languages: tuple[str, ...]
    years: float | None
    setting: str | None
    tier: int  # experience: 0 stated as a requirement, 1 met in the job's description, 2 a preference
    education: tuple | None  # (level index, level, experience may substitute, tier)
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Facts:
    """What one sentence says whatever the rest of its posting says: memoised per distinct sentence."""

    matches: tuple[Match, ...]
    kind: str
    default_level: str | None
    modes: tuple[str, ...]
    shifts: tuple[str, ...]
    settings: tuple[str, ...]
    opens_routes: bool  # "Applicants must meet one of the following:"
    route_marked: bool  # "... OR" / "(b) ...": one route of several
    credentials: "_CredentialFacts | None"
    clauses: tuple[_ClauseFacts, ...]  # only clauses that say something
    silent: bool = False  # none of the above but kind and level: a posting's state takes nothing from it


def clear_caches(taxonomy: Taxonomy | None = None) -> None:
    """Forget every memoised sentence reading, so the next posting is read as if never seen (for benchmarks)."""
    (taxonomy or load_taxonomy()).clear_caches()
    # The rules a sentence's reading calls once are not cached of their own: the memo above holds their results.
    for fn in (sentences.classify, sentences.classify_features, sec.line_parts, normalise_line, sec.cue_level, conditions.work_modes):
        fn.cache_clear()


def _read_facts(tax: Taxonomy, s: str, section: str, classify: bool) -> _Facts:
    matches = tax.find_shared(s)
    spotted = SPOTTER.spot(s, s.lower())
    kind, default = _kind(s, section, matches, classify, spotted)
    # Work mode from any sentence; shifts from any but company boilerplate; settings from asks and duties.
    modes = conditions.work_modes(s) if "mode" in spotted else ()
    shifts = conditions.shifts(s) if kind != COMPANY and "shift" in spotted else ()
    settings = tuple(m.skill_id for m in matches if tax.skills[m.skill_id].category == "setting") \
        if kind not in (COMPANY, BENEFIT) else ()
    if kind in (COMPANY, BENEFIT):
        return _facts_of(matches, kind, default, modes, shifts, settings, False, False, None, ())
    creds = _credential_facts(tax, s, matches, default) if kind == ASK else None
    spans = sec.clauses(s) if "clause" in spotted else ((0, len(s)),)
    clauses = tuple(f for start, end in spans if (f := _clause_facts(tax, s, matches, kind, default, start, end, spotted)))
    return _facts_of(matches, kind, default, modes, shifts, settings, _opens_routes(s), _route_marked(s), creds, clauses)


# A third of new sentences say nothing the extractor keeps ("Our team of 300 coders supports 21 clinics"):
# their readings differ only in kind and default level, so they share one object each (less for the
# garbage collector to walk in the memo).
_SILENT: dict[tuple[str, str | None], _Facts] = {}


def _facts_of(matches, kind, default, modes, shifts, settings, opens_routes, route_marked, creds, clauses) -> _Facts:
    if matches or modes or shifts or settings or opens_routes or route_marked or creds or clauses:
        return _Facts(matches, kind, default, modes, shifts, settings, opens_routes, route_marked, creds, clauses)
    silent = _SILENT.get((kind, default))
    if silent is None:
        silent = _SILENT[kind, default] = _Facts((), kind, default, (), (), (), False, False, None, (), silent=True)
    return silent


STUDY_RE = re.compile(r"\bgraduat|\bdegree|\bqualification|\beducation|\bbackground\b", re.I)


def _clause_facts(tax: Taxonomy, s: str, all_matches: tuple[Match, ...], kind: str, default: str | None,
                  start: int, end: int, spotted: frozenset[str]) -> _ClauseFacts | None:
    """Code sets, tools, skills, languages, experience and education of one clause; None when it names none.

    ``spotted`` is :data:`SPOTTER`'s answer for the whole sentence: a word list with no word there has none in a clause.
    """
    clause = s[start:end]
    if "not" in clause and NEED_NOT_APPLY_RE.search(clause):
        matches = []  # "Candidates with only E&M experience need not apply"
    else:
        negation = "negation" in spotted
        matches = [m for m in all_matches if start <= m.start < end and not (negation and _negated(s, m))]
    level = (_level(clause, s, default) if "cue" in spotted else default) if kind == ASK else None
    if level:
        others = tuple(m for m in matches if tax.skills[m.skill_id].category != "credential")
        languages = conditions.languages(clause) if "language" in spotted else ()
    else:
        # Code sets the job works in ("assign ICD-10-CM and CPT codes") are needed whether or not
        # the posting repeats them under its requirements.
        others, languages = tuple(m for m in matches if tax.skills[m.skill_id].category == "code_set"), ()
    years = _experience(clause) if "experience" in spotted else None
    setting = None
    if years is not None:
        setting = next((m.skill_id for m in matches if tax.skills[m.skill_id].category == "setting"), None)
    tier = 0 if level == sec.REQUIRED else (2 if level == sec.PREFERRED else 1)
    education = None
    levels = edu.levels_in(clause) if "level" in spotted else ()
    fields = edu.fields_in(clause) if "field" in spotted else ()
    if levels:
        edu_level = _level(edu.without_asides(clause), edu.without_asides(s), default) if kind == ASK else None
        # Tier 0: stated as a requirement; 1: met outside one ("... our HIT associate degree program").
        education = (levels[0], edu_level or sec.REQUIRED, edu.experience_substitutes(clause), 0 if edu_level else 1)
    elif not (fields and STUDY_RE.search(clause)):
        fields = ()
    if not (others or languages or years is not None or education or fields):
        return None
    return _ClauseFacts(others, level or sec.REQUIRED, languages, years, setting, tier, education, tuple(fields))


def _apply_clause(tax: Taxonomy, sentence: sec.Sentence, f: _ClauseFacts, route_marked: bool, state: _State, result: Extraction) -> None:
    s = sentence.text
    _add_others(tax, f.others, f.level, s, state.seen, result)
    for name in f.languages:
        _add_language(name, f.level, s, state.seen, result)
    route = (f.years is not None or f.education is not None) and state.alternatives.inside(sentence, route_marked)
    if f.years is not None:
        state.experience.append((f.years, f.tier, f.setting, s, route))
    if f.education:
        idx, level, substitutes, tier = f.education
        state.education.append((idx, level, s, route or substitutes, tier))
    state.fields += f.fields


def _finish(state: _State, result: Extraction, text: str) -> None:
    """Combine what the sentences said into the posting's minimums and conditions."""
    firm = [e for e in state.experience if not e[4]]
    if firm:
        best_tier = min(e[1] for e in firm)
        # The first figure stated is the overall minimum; later ones qualify it ("... of which 1 year as QA")
        # or belong to an alternative route ("or CPC with 2 years of audit").
        years, _, setting, evidence, _ = next(e for e in firm if e[1] == best_tier)
        result.experience_years_min, result.experience_setting = years, setting
        result.experience_evidence = _evidence(evidence)
    routes = [e for e in state.experience if e[4]]
    if routes and not firm:
        result.experience_equivalent = min(e[0] for e in routes)
    required = [e for e in state.education if e[1] == sec.REQUIRED]
    if required:
        best_tier = min(e[4] for e in required)
        stated = [e for e in required if e[4] == best_tier]
        hard = [e for e in stated if not e[3]]
        idx, _, evidence, _, _ = min(hard or stated, key=lambda e: e[0])
        if hard:
            result.education_min = EDUCATION_LEVELS[idx]
        else:
            result.education_equivalent = EDUCATION_LEVELS[idx]
        result.education_evidence = _evidence(evidence)
    result.education_fields = list(dict.fromkeys(state.fields))
    result.remote = conditions.work_mode(state.modes)
    result.shift = conditions.shift(state.shifts)
    result.settings = [sid for sid, _ in sorted(state.settings.items(), key=lambda kv: -kv[1])]
    if result.experience_years_min is None and result.experience_equivalent is None and _open_to_freshers(text):
        result.experience_years_min = 0.0


DOTTED_GATE_RE = re.compile(r"\.[A-Z]\.")
DOTTED_RE = re.compile(r"\b((?:[A-Z]\.){2,}[A-Z]?)(?=[\s,;:/)]|$)", re.M)
MARKS_RE = re.compile(r"\s?(?:®|™|\(R\)|\(TM\)|\(r\))")
CM_PCS_GATE_RE = re.compile(r"CM\s?/\s?PCS")  # on upper-cased text: CM_PCS_RE's necessary part, found at C speed
CM_PCS_RE = re.compile(r"\b(ICD[\s-]?10)([\s-]?)CM\s?/\s?PCS\b", re.I)


def _normalise_spellings(text: str) -> str:
    """ "C.P.C." -> "CPC", "CPC®" / "CPC(R)" -> "CPC", "ICD-10-CM/PCS" -> both code sets named in full."""
    # Each rewrite runs only when a cheap test says it can apply: most postings need none of them.
    # ".X." first: a literal-led pattern is scanned for its "." at C speed, ten times faster than "[A-Z]\.".
    if DOTTED_GATE_RE.search(text) and re.search(r"[A-Z]\.[A-Z]\.", text):
        text = DOTTED_RE.sub(lambda m: m.group(1).replace(".", ""), text)
    if "®" in text or "™" in text or "(R)" in text or "(TM)" in text or "(r)" in text:
        text = MARKS_RE.sub("", text)
    if CM_PCS_GATE_RE.search(text.upper()):
        text = CM_PCS_RE.sub(r"\1\2CM/\1\2PCS", text)
    return text


def _level(clause: str, sentence: str, default: str | None) -> str | None:
    """required/preferred for a clause: its own cue, else the sentence's default, else the whole sentence's cue."""
    return sec.cue_level(clause) or default or sec.cue_level(sentence)


def _evidence(sentence: str) -> str:
    return sentence if len(sentence) <= EVIDENCE_MAX else sentence[: EVIDENCE_MAX - 1] + "…"


# --- credentials -------------------------------------------------------------------------------------
ALTERNATIVE_GAP_RE = re.compile(r"^[\s,/()|]*(?:(?:and/or|or|either|and or|/|,)[\s,/()|]*)*$", re.I)
AND_GAP_RE = re.compile(r"\band\b(?!/)", re.I)
# "must meet one of the following", "any one of": every credential in the sentence is one alternative group.
ONE_OF_RE = re.compile(r"\b(?:(?:at least |any )?one of the following|any one of|any of the following|either of)\b", re.I)
# Credentials that are ruled out or only context: "CPC-A not eligible", "in addition to CRC", "RHIA-eligible program".
NOT_ACCEPTED_AFTER_RE = re.compile(
    r"^\s*(?:holders?|candidates?|certified|credential(?:ed)?)?\s*(?:are |is |will )?(?:not|ineligible|cannot|can't|won't)\b(?! (?:mandatory|required|necessary|compulsory|essential|needed))|"
    r"^[\s-]*eligible (?:program|programme|degree|school|course)|^\s*(?:candidates |holders )?need not apply",
    re.I,
)
NOT_ACCEPTED_BEFORE_RE = re.compile(
    r"(?:\bin addition to|\bin lieu of|\binstead of|\bin place of|\bnon[\s-]?|\bno\b|\bnot\b|\bexcept|\bother than)\s*(?:an? |the |active |current )?$",
    re.I)
# "coding certification (CPC, CCS or CIC)", "coding credential required: CCS preferred ...": the list explains the generic.
GENERIC_EXPLAINED_GAP_RE = re.compile(
    r"^\s*(?:(?:is |are )?(?:required|mandatory|preferred|a must|must)\s*)?[(:\-–—,]?\s*(?:e\.?g\.?,?|such as|like|i\.e\.,?|including|viz\.?)?\s*$",
    re.I,
)
ISSUER_PARENS_RE = re.compile(r"\((?:AHIMA|AAPC|NHA|ACDIS|PMI)\)")


@dataclass
class _CredentialState:
    """What credential extraction carries from sentence to sentence within one posting."""

    next_group: int = 1
    last: list[Requirement] | None = None  # the requirement stated last, for "... also accepted"
    last_line: int = -1
    stated: set = field(default_factory=set)  # (ids, level, within) already recorded


@dataclass(frozen=True, slots=True)
class _CredentialFacts:
    """A sentence's credentials read on their own: each alternative run with its level and whether it is an aside."""

    creds: tuple[Match, ...]
    steps: tuple[tuple[tuple[Match, ...], str | None, bool], ...]  # (run, level, "also accepted" aside)
    graces: tuple[tuple[int, int | None], ...]  # (position, months) of each "within N months"
    one_of: bool  # "one of the following": same-level runs form one group
    key_skills: bool  # a tag line ("Key Skills: CPC, CPC-A, ICD-10") that only restates
    layout: str


def _credential_facts(tax: Taxonomy, s: str, matches: tuple[Match, ...], default: str | None,
                      creds: list[Match] | None = None, layout: str | None = None) -> _CredentialFacts | None:
    """Levels per clause, alternatives, grace periods and "also accepted" asides of a sentence's credentials."""
    if creds is None:
        creds, layout = _credential_matches(tax, matches, s)
    if not creds:
        return None
    graces = tuple((m.start(), sec.grace_months(m.group(0))) for m in sec.GRACE_RE.finditer(s))
    segs = [(a, b, [m for m in creds if a <= m.start < b]) for a, b in sec.segments(layout)]
    cued = [bool(sec.cue_level(s[a:b])) for a, b, ms in segs if ms]
    steps = []
    for a, b, seg_creds in segs:
        if not seg_creds:
            continue
        seg = s[a:b]
        runs = _alternative_runs(seg_creds, s)
        for i, run in enumerate(runs):
            before = runs[i - 1][-1].end if i else a
            after = runs[i + 1][0].start if i + 1 < len(runs) else b
            aside = bool(sec.ACCEPT_CUE.search(s[run[0].start:after]))
            # The run's own words, then its clause's, then the sentence's (when no other clause has a cue of
            # its own), then the section's default.
            level = sec.cue_level(s[before:after]) or sec.cue_level(seg)
            if not level and not sum(cued) and sec.cue_level(s):
                level = sec.cue_level(s)
            steps.append((tuple(run), level or default, aside))
    return _CredentialFacts(tuple(creds), tuple(steps), graces, bool(ONE_OF_RE.search(s)), bool(KEY_SKILLS_RE.match(s)), layout)


def _credentials(tax: Taxonomy, sentence: sec.Sentence, reading: "_Facts", state: _State, result: Extraction) -> None:
    """Record a sentence's credential requirements; asides ("CPC-A also accepted") widen the one stated last."""
    st, s, facts = state.creds, sentence.text, reading.credentials
    if sentence.line != st.last_line:
        st.last, st.last_line = None, sentence.line
    if facts.key_skills:
        # A tag line restates; only credentials not stated before count.
        stated = {r.id for r in result.certifications}
        creds = [m for m in facts.creds if m.skill_id not in stated]
        if len(creds) < len(facts.creds):
            facts = _credential_facts(tax, s, reading.matches, reading.default_level, creds, facts.layout)
            if facts is None:
                return
    planned: list[tuple[tuple[Match, ...], str]] = []  # (run, level) in sentence order
    for run, level, aside in facts.steps:
        if aside and (st.last or planned):
            if planned:  # the requirement this aside qualifies is in this very sentence
                _flush(planned, facts.graces, s, st, result)
                planned = []
            _accept_into_last([m.skill_id for m in run], s, st, result)
            continue
        if level:
            planned.append((run, level))
    if facts.one_of and len(planned) > 1 and len({lvl for _, lvl in planned}) == 1:
        planned = [(tuple(m for run, _ in planned for m in run), planned[0][1])]
    _flush(planned, facts.graces, s, st, result)


def _credential_matches(tax: Taxonomy, matches: list[Match], s: str) -> tuple[list[Match], str]:
    """The credential matches that state requirements, and the sentence with asides blanked for clause cutting.

    "Certified Coding Specialist (CCS)" names one credential, so the parenthesised
    repeat is dropped and its parentheses do not cut the sentence; nor do issuer
    notes such as "(AHIMA)".
    """
    layout = ISSUER_PARENS_RE.sub(lambda m: " " * len(m.group(0)), s)
    creds = [m for m in matches if tax.skills[m.skill_id].category == "credential"]
    kept: list[Match] = []
    for m in creds:
        if kept and kept[-1].skill_id == m.skill_id and re.fullmatch(r"\s*\(\s*", s[kept[-1].end:m.start]) \
                and re.match(r"\s*\)", s[m.end:]):
            close = m.end + s[m.end:].index(")")
            layout = layout[:kept[-1].end] + " " * (close + 1 - kept[-1].end) + layout[close + 1:]
            continue
        kept.append(m)
    kept = [m for m in kept if not _negated(s, m)]
    kept = _expand_generic(kept, s)
    # A generic phrase followed by the list that spells it out is that list.
    out = []
    for i, m in enumerate(kept):
        nxt = kept[i + 1] if i + 1 < len(kept) else None
        if m.skill_id in _GENERIC and nxt and nxt.skill_id not in _GENERIC and GENERIC_EXPLAINED_GAP_RE.match(s[m.end:nxt.start]):
            continue
        out.append(m)
    return out, layout


NEGATION_AFTER_WORDS = ("not", "inelig", "cannot", "can't", "won't", "eligible")
NEGATION_BEFORE_WORDS = ("addition", "lieu", "instead", "place", "non", "no", "except", "other")
NEGATION_AFTER_GATE, NEGATION_BEFORE_GATE = substring_gate(NEGATION_AFTER_WORDS), substring_gate(NEGATION_BEFORE_WORDS)


def _negated(s: str, m: Match) -> bool:
    """True when the words around a match rule it out ("CPC-A not eligible", "in addition to CRC")."""
    after, before = s[m.end:m.end + 40], s[max(0, m.start - 20):m.start]
    low_after, low_before = after.lower(), before.lower()
    return bool(NEGATION_AFTER_GATE.search(low_after) and NOT_ACCEPTED_AFTER_RE.match(after)
                or NEGATION_BEFORE_GATE.search(low_before) and NOT_ACCEPTED_BEFORE_RE.search(before))


_GENERIC = {"AAPC_ANY", "AHIMA_ANY", CODING_ANY}
BOTH_ISSUERS_RE = re.compile(r"\bAAPC\b.{0,30}\bAHIMA\b|\bAHIMA\b.{0,30}\bAAPC\b")


def _expand_generic(matches: list[Match], s: str) -> list[Match]:
    """ "AAPC or AHIMA certification" is two generic requirements as alternatives, not one vague one."""
    out = []
    for m in matches:
        if m.skill_id in _GENERIC:
            before = re.search(r"\b(AAPC|AHIMA)\s*(?:-?\s*(?:or|/|and/or)\s*)$", s[max(0, m.start - 14):m.start])
            after = re.match(r"\s*(?:or|/|and/or)\s*(AAPC|AHIMA)\b", s[m.end:m.end + 14])
            named = {x.group(1) for x in (before, after) if x}
            if m.skill_id == CODING_ANY and BOTH_ISSUERS_RE.search(s[max(0, m.start - 30):m.end + 30]):
                named |= {"AAPC", "AHIMA"}
            if named:
                ids = {"AAPC_ANY", "AHIMA_ANY"} & ({f"{n}_ANY" for n in named} | ({m.skill_id} - {CODING_ANY}))
                out += [Match(i, m.start, m.end, m.text) for i in sorted(ids)]
                continue
        out.append(m)
    return out


def _alternative_runs(matches: list[Match], text: str) -> list[list[Match]]:
    """Credentials joined by "or", "/" or commas are alternatives: one run per requirement."""
    runs: list[list[Match]] = []
    for m in matches:
        if runs:
            prev = runs[-1][-1]
            gap = text[prev.end:m.start]
            if prev.start == m.start or ALTERNATIVE_GAP_RE.match(gap) or (
                    len(gap) < 40 and not AND_GAP_RE.search(gap) and not re.search(r"\bwith\b", gap, re.I) and re.search(r"\bor\b|/", gap)):
                runs[-1].append(m)
                continue
        runs.append([m])
    return runs


def _record(run_ids: list[str], level: str, within: int | None, evidence: str, st: _CredentialState,
            result: Extraction) -> list[Requirement] | None:
    key = (frozenset(run_ids), level, within)
    if key in st.stated:
        return None
    if within is None and len(run_ids) > 1 and any(frozenset(run_ids) < ids and lvl == level for ids, lvl, _ in st.stated):
        return None  # a restatement of part of a group already recorded ("Key skills: CPC, CPC-A")
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
    if last[0].level == sec.PREFERRED and STRONG_REQUIRED_RE.search(evidence):
        # "Credential required: CCS preferred but CPC considered": a credential is required (either), and CCS is preferred.
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
    st.stated.discard((frozenset(r.id for r in last), last[0].level, last[0].within_months))
    st.stated.add((frozenset(r.id for r in last + added), last[0].level, last[0].within_months))
    st.last = last + added


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


# --- code sets, tools, skills, languages --------------------------------------------------------------
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


def _add_language(name: str, level: str, sentence: str, seen: dict, result: Extraction) -> None:
    key = ("language", name)
    if key in seen:
        if seen[key].level == sec.PREFERRED and level == sec.REQUIRED:
            seen[key].level, seen[key].evidence = level, _evidence(sentence)
        return
    seen[key] = Requirement(name, "language", level, evidence=_evidence(sentence))
    result.languages.append(seen[key])


# --- experience -------------------------------------------------------------------------------------
NUM = r"(\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten)"
EXPERIENCE_RE = re.compile(
    NUM + r"\s*(?:\(\d+\)\s*)?(?:\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*\+?\s*)?(years?|yrs?|months?|mos?)\b",
    re.I,
)
# A figure counts as experience only beside these words ("6 month contract" and "last 6 months" do not).
EXPERIENCE_CONTEXT_RE = re.compile(
    r"experience|\bexp\b|\bexp\.|background|(?:years?|yrs?|months?)\s+(?:(?:of|in|as|hands-on)\s+)?[\w\s/&,()-]{0,50}?"
    r"(?:cod|audit|abstract|cdi|him\b|billing|nursing|clinical)",
    re.I,
)
HINT_WORDS = ("year", "yr", "month", "fresher", "experience", "graduat", "degree", "diploma")
HINT_GATE = substring_gate(HINT_WORDS)


def _mentions_experience_or_education(sentence: str) -> bool:
    return bool(HINT_GATE.search(sentence.lower()))
# Freshers as applicants ("freshers can apply"), not as the people the job trains.
FRESHER_ELIGIBLE_RE = re.compile(
    r"\bfreshers?\s*(?:&|and|/|or|,)?\s*(?:experienced|exp)|\bfreshers?\b[^.;]{0,40}\b(?:can|may|are|also)?\s*(?:apply|welcome|eligible|consider)|"
    r"\b(?:open to|for|hiring|only)\s+(?:certified\s+)?freshers\b|\bcertified freshers\b|\bfreshers? only\b|\bno (?:prior )?experience (?:is )?(?:required|needed)|"
    r"\b0\s*(?:-|–|to)\s*\d+\s*(?:years?|yrs?)|\bentry[\s-]level\b",
    re.I,
)


def _open_to_freshers(text: str) -> bool:
    """True when a posting anywhere says freshers (no experience) may apply."""
    low = text.lower()
    gate = ("fresher", "experience", "entry", "0-", "0 -", "0 to", "0–")
    return any(w in low for w in gate) and bool(FRESHER_ELIGIBLE_RE.search(text))


# "up to 5 years", "within 6 months", "after 6 months": a ceiling, a grace period or a date, not a minimum.
NOT_A_MINIMUM_BEFORE_RE = re.compile(r"up\s+to\s*$|within\s+(?:the\s+first\s+)?$|after\s+$|every\s+$|first\s+$", re.I)
EXPERIENCE_GATE = ("year", "yr", "month", "mos", "fresher", "entry", "experience")
EXPERIENCE_GATE_RE = substring_gate(EXPERIENCE_GATE)


def _experience(clause: str) -> float | None:
    """Years of experience a clause asks for: its first figure ("1-3 years" -> 1, "6 months" -> 0.5; freshers -> 0)."""
    low = clause.lower()
    if not EXPERIENCE_GATE_RE.search(low):
        return None
    if FRESHER_ELIGIBLE_RE.search(clause):
        return 0.0
    if not EXPERIENCE_CONTEXT_RE.search(clause):
        return None
    for m in EXPERIENCE_RE.finditer(clause):
        head = clause[max(0, m.start() - 30):m.start()]
        if re.search(r"(?:-|–|to)\s*$", head[-4:]) or NOT_A_MINIMUM_BEFORE_RE.search(head):
            continue  # the top of a range, an "up to" ceiling or a grace period is never the minimum
        n = _number(m.group(1))
        if n is None or n > 30:
            continue
        unit = m.group(2).lower()
        return round(n / 12, 2) if unit.startswith("m") else n
    return None


def _number(word: str) -> float | None:
    word = word.lower().strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    return sec.NUMBER_WORDS.get(word)


def work_mode_of_text(text: str) -> str | None:
    """remote, hybrid or onsite when a posting's text says so (hybrid wins, as it names both)."""
    return conditions.work_mode([mode for line in text.split("\n") for mode in conditions.work_modes(line)])


# Each rule runs only when its sentence holds a word that every match of the rule contains: the rule's own
# gate, the same word list, so skipping it changes nothing. One pass over the sentence answers them all.
SPOTTER = WordSpotter({
    "mode": conditions.MODE_WORDS, "shift": conditions.SHIFT_WORDS, "language": conditions.LANGUAGE_WORDS,
    "level": edu.LEVEL_GATE, "field": edu.FIELD_GATE, "benefit": sec.BENEFIT_GATE,
    "cue": sec.PREFERRED_CUE_WORDS + sec.REQUIRED_CUE_WORDS, "strong": STRONG_REQUIRED_WORDS,
    "hint": HINT_WORDS, "experience": EXPERIENCE_GATE, "negation": NEGATION_AFTER_WORDS + NEGATION_BEFORE_WORDS,
    "clause": sec.CLAUSE_GATE_WORDS,
})

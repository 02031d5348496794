"""The taxonomy: validated on load, spellings matched, relations applied."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.taxonomy import TaxonomyError, build_taxonomy, load_taxonomy

TOY = {"version": 1, "skills": [
    {"id": "CPC", "name": "Certified Professional Coder", "category": "credential", "issuer": "AAPC", "coding": True,
     "strict": ["CPC"], "aliases": ["Certified Professional Coder"], "satisfies": ["CPC-A"]},
    {"id": "CPC-A", "name": "CPC Apprentice", "category": "credential", "issuer": "AAPC", "coding": True, "aliases": ["CPC-A", "CPCA"]},
    {"id": "CODING_CERT_ANY", "name": "Any", "category": "credential", "issuer": "generic", "aliases": ["coding certification"]},
    {"id": "AAPC_ANY", "name": "Any AAPC", "category": "credential", "issuer": "generic", "aliases": ["AAPC certified"]},
]}


def test_shipped_taxonomy_loads_and_has_every_domain_credential():
    tax = load_taxonomy()
    for cid in ("CPC", "CPC-A", "COC", "CIC", "CRC", "CPMA", "CPB", "CCA", "CCS", "CCS-P", "RHIT", "RHIA", "CDIP", "CCDS",
                "CBCS", "CMC", "AAPC_ANY", "AHIMA_ANY", "CODING_CERT_ANY"):
        assert tax.skills[cid].category == "credential"
    for cs in ("ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS", "DRG", "E/M", "HCC", "ICD-11", "ICD-9"):
        assert tax.skills[cs].category == "code_set"


@pytest.mark.parametrize("text,ids", [
    ("CPC, CCS or CCS-P required", ["CPC", "CCS", "CCS-P"]),
    ("RHIT/RHIA", ["RHIT", "RHIA"]),
    ("CPC-A or CPCA or CPC A", ["CPC-A", "CPC-A", "CPC-A"]),
    ("ccsp", ["CCS-P"]),
    ("ICD 10 CM, ICD-10-PCS, CPT-4, HCPCS Level II", ["ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS"]),
    ("E&M and MS DRG, APR-DRGs", ["E/M", "DRG", "DRG"]),
    ("AAPC or AHIMA certification", ["CODING_CERT_ANY"]),
    ("access to success", []),
    ("Epic and 3M 360 Encompass", ["epic", "3m-encoder"]),
])
def test_spellings(text, ids):
    assert [m.skill_id for m in load_taxonomy().find(text)] == ids


def test_relations():
    tax = load_taxonomy()
    assert {"CPC", "CPC-A", "AAPC_ANY", "CODING_CERT_ANY"} <= tax.satisfied_by("CPC")
    assert "CPC" not in tax.satisfied_by("CPC-A")
    assert tax.satisfied_by("CCS") >= {"AHIMA_ANY", "CODING_CERT_ANY"} and "AAPC_ANY" not in tax.satisfied_by("CCS")
    assert "CODING_CERT_ANY" not in tax.satisfied_by("CPB")


def test_toy_taxonomy_strict_aliases_are_case_sensitive():
    tax = build_taxonomy(TOY)
    assert [m.skill_id for m in tax.find("cpc CPC CPCA")] == ["CPC", "CPC-A"]


@pytest.mark.parametrize("mutate,message", [
    (lambda t: t["skills"][0].update(colour="red"), "unknown key(s) ['colour']"),
    (lambda t: t["skills"].append(dict(t["skills"][0])), "duplicate id 'CPC'"),
    (lambda t: t["skills"][0].update(category="badge"), "category 'badge'"),
    (lambda t: t["skills"][0].update(satisfies=["NOPE"]), "satisfies unknown id 'NOPE'"),
    (lambda t: t["skills"][0].pop("issuer"), "needs an issuer"),
    (lambda t: t["skills"][1].update(aliases=["Certified Professional Coder"]), "belongs to both"),
    (lambda t: t.update(version="one"), "'version' must be an integer"),
])
def test_invalid_taxonomies_are_rejected_with_the_entry_named(mutate, message):
    import copy

    raw = copy.deepcopy(TOY)
    mutate(raw)
    with pytest.raises(TaxonomyError, match=None) as err:
        build_taxonomy(raw)
    assert message in str(err.value)


def _reference_find(tax, text):
    """The matcher as one plain alternation, longest alias first: what the trie-factored regex must reproduce."""
    import re

    def rx(alias):
        return r"[\s\-]*".join(re.escape(p) for p in re.split(r"[\s\-]+", alias.strip()))

    pats = [(a, "(?i:" + rx(a) + ")") for s in tax.skills.values() for a in s.aliases]
    pats += [(a, rx(a)) for s in tax.skills.values() for a in s.strict]
    pats.sort(key=lambda p: -len(p[0]))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(p for _, p in pats) + r")(?!\w)")
    return [(tax.skill_for_text(m.group(0)), m.start(), m.end()) for m in pattern.finditer(text) if tax.skill_for_text(m.group(0))]


@pytest.mark.parametrize("text", [
    "ICD10CM, ICD 10 PCS, ICD-10-CM/ICD-10-PCS, CPT-4 and cpt, E & M, E/M coding, A&P, 95% accuracy",
    "CPC-A, CPCA, CPC A, CPC-P, CCS-P, CCSP, RHIT/RHIA, Certified Coding Specialist - Physician-based",
    "Find-A-Code, 3M 360 Encompass, Optum CAC, hematology/oncology, MS-DRGs and APR DRGs, HCPCS Level II",
    "access to success; accessible; Epic and EPIC and epic; SNF, OASIS and hospice; ROI and roi",
])
def test_trie_matcher_finds_what_a_plain_alternation_finds(text):
    tax = load_taxonomy()
    assert [(m.skill_id, m.start, m.end) for m in tax.find(text)] == _reference_find(tax, text)


def _pattern_scan(tax, text):
    """What the compiled pattern alone finds, scanning every position (the automaton only chooses where to try)."""
    return [(tax.skill_for_text(m.group(0)), m.start(), m.end()) for m in tax._pattern.finditer(text) if tax.skill_for_text(m.group(0))]


_ALIASES = sorted({a for s in load_taxonomy().skills.values() for a in (*s.aliases, *s.strict)})
_NEIGHBOURS = st.sampled_from(["", " ", "-", " - ", "/", "(", ")", ",", ".", "x", "_", "9", "ing", "\n", "&", "  "])


@st.composite
def _alias_texts(draw):
    """Aliases as postings spell them: any case, separators dropped or doubled, glued to words or punctuation."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        alias = draw(st.sampled_from(_ALIASES))
        words = alias.split()
        seps = [draw(st.sampled_from(["", " ", "-", "  ", " - "])) for _ in words[1:]]
        spelled = words[0] + "".join(sep + w for sep, w in zip(seps, words[1:]))
        spelled = draw(st.sampled_from([spelled, spelled.lower(), spelled.upper(), spelled.title()]))
        parts += [draw(_NEIGHBOURS), spelled, draw(_NEIGHBOURS)]
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_alias_texts(), st.text(alphabet=st.characters(max_codepoint=127), max_size=120)))
def test_automaton_guided_scan_finds_what_the_pattern_finds(text):
    tax = load_taxonomy()
    assert tax._starts is not None  # the shipped taxonomy is ASCII: the automaton is in use
    assert [(m.skill_id, m.start, m.end) for m in tax.scan(text)] == _pattern_scan(tax, text)


def test_find_results_are_cached_but_fresh():
    tax = load_taxonomy()
    first = tax.find("CPC or CCS required")
    first.clear()
    assert [m.skill_id for m in tax.find("CPC or CCS required")] == ["CPC", "CCS"]


@pytest.mark.parametrize("text,ids", [
    ("SNF and home health, hospice", ["skilled-nursing", "home-health", "hospice"]),
    ("MEAT criteria and RADV, POA indicators, CC/MCC", ["meat-criteria", "radv", "poa", "cc-mcc"]),
    ("meat and potatoes", []),
    ("team player with typing speed of 40 wpm", ["teamwork", "typing", "typing"]),
    ("Multi-specialty pro-fee, OB/GYN and behavioral health", ["multispecialty", "pro-fee", "obgyn", "behavioral-health"]),
])
def test_settings_knowledge_and_soft_skills(text, ids):
    assert [m.skill_id for m in load_taxonomy().find(text)] == ids

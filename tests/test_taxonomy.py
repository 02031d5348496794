"""The taxonomy: validated on load, spellings matched, relations applied."""

import pytest

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

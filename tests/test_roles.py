"""Role family and level from titles."""

import pytest

from analysis.roles import role_family, role_level


@pytest.mark.parametrize("title,family", [
    ("Inpatient Coder II", "inpatient"), ("Outpatient Coder - ASC", "outpatient"), ("Professional Fee Coder", "pro-fee"),
    ("ED Facility Coder", "ed"), ("Risk Adjustment Coder (CRC)", "risk-adjustment"), ("Coding Quality Auditor", "audit"),
    ("Clinical Documentation Integrity Specialist", "cdi"), ("Coding Educator", "education"), ("Coding Manager", "management"),
    ("Medical Records Technician (Coder)", "him-coder"), ("Medical Coder", "general"), ("HCC Coder - Freshers", "risk-adjustment"),
    ("Radiology Coder", "pro-fee"), ("Team Lead - Medical Coding", "management"),
])
def test_role_family(title, family):
    assert role_family(title) == family


@pytest.mark.parametrize("title,level", [
    ("Inpatient Coder II", "II"), ("Coder III", "III"), ("Senior Outpatient Coder", "senior"), ("Coding Lead", "lead"),
    ("Coding Manager", "manager"), ("Medical Coder - Freshers", "trainee"), ("CPC-A Apprentice Coder", "trainee"),
    ("Coder I", "I"), ("Medical Coder", None),
])
def test_role_level(title, level):
    assert role_level(title) == level

"""Candidate profiles: the bundled sample, every kind of mistake with its line and suggestion, and `medcoder profile check`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.profile import Profile, ProfileError, load_profile, sample_profile_path

MEDCODER = Path(sys.executable).with_name("medcoder")  # the venv's real console script


def write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return str(info.value)


def test_the_bundled_sample_loads():
    assert load_profile(sample_profile_path()) == Profile(
        name="Sample candidate",
        location="Chennai, Tamil Nadu, India",
        countries=["IN", "US"],
        work_modes=["remote", "hybrid", "onsite"],
        relocate=False,
        credentials={"CPC": "active", "CRC": "in_progress"},
        code_sets={"ICD-10-CM", "CPT", "HCPCS", "E/M"},
        tools={"excel"},
        skills={"medical-terminology", "anatomy-physiology", "modifiers"},
        experience_years=1.5,
        experience_by_setting={"pro-fee": 1.5},
        education_level="bachelor",
        education_field="B.Pharm",
        salary_target=420000,
        salary_currency="INR",
    )
    assert load_profile(sample_profile_path()).held_credentials() == {"CPC"}


def test_names_are_normalised(tmp_path):
    path = write(tmp_path, 'countries = ["in"]\n'
                           'credentials = ["CCS-P", { id = "CPC", status = "apprentice" }, { id = "CRC", status = "in_progress" }]\n'
                           'code_sets = ["icd10", "cpt", "PCS coding"]\n'
                           'tools = ["excel"]\n'
                           'skills = ["Modifiers"]\n'
                           'experience = 2\n'
                           'education = "associate"\n')
    prof = load_profile(path)
    assert prof.countries == ["IN"]
    assert prof.credentials == {"CCS-P": "active", "CPC": "apprentice", "CRC": "in_progress"}
    assert prof.held_credentials() == {"CCS-P", "CPC"}
    assert prof.code_sets == {"ICD-10-CM", "CPT", "ICD-10-PCS"}
    assert prof.tools == {"excel"}
    assert prof.skills == {"modifiers"}
    assert prof.experience_years == 2.0
    assert prof.education_level == "associate"


def test_an_alias_given_as_a_credential_id_is_rejected_with_the_id(tmp_path):
    # "CCSP" is a spelling of CCS-P that postings use; a profile names credentials by id and is told which.
    path = write(tmp_path, 'name = "x"\ncredentials = ["CCSP"]\n')
    assert error_of(path) == f"{path}:2: unknown credential 'CCSP' (did you mean CCS-P?)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Credential typo: line and the right spelling.
        ('name = "x"\ncredentials = ["CPc"]\n', ":2: unknown credential 'CPc' (did you mean CPC?)"),
        ('credentials = [\n  "CPC",\n  { id = "CPc", status = "active" },\n]\n', ":3: unknown credential 'CPc' (did you mean CPC?)"),
        ('credentials = [{ id = "CPC", status = "expired" }]\n',
         ":1: credential CPC: status 'expired' is not active, apprentice or in_progress"),
        # Wrong type for years.
        ('name = "x"\n[experience]\nyears = "two"\n', ":3: experience years must be a number >= 0, not 'two'"),
        ('[experience]\nyears = -1\n', ":2: experience years must be a number >= 0, not -1"),
        # Unknown top-level keys.
        ('name = "x"\ncredential = ["CPC"]\n', ":2: unknown setting 'credential' (did you mean credentials?)"),
        ('name = "x"\n\n[educaton]\nlevel = "bachelor"\n', ":3: unknown setting 'educaton' (did you mean education?)"),
        # Work modes.
        ('work_mode = ["remote", "wfh"]\n', ":1: work mode 'wfh' is not one of remote, hybrid, onsite"),
        ('name = "x"\nwork_mode = ["on-site"]\n', ":2: work mode 'on-site' is not one of remote, hybrid, onsite (did you mean onsite?)"),
        # Education levels.
        ('[education]\nlevel = "phd"\n',
         ":2: education level 'phd' is not one of high_school, certificate, associate, bachelor, master"),
        ('[education]\nfield = "B.Sc"\nlevel = "Bachelor"\n',
         ":3: education level 'Bachelor' is not one of high_school, certificate, associate, bachelor, master (did you mean bachelor?)"),
        # Other checks that share the mechanism.
        ('countries = ["USA"]\n', ":1: country 'USA': use ISO codes, e.g. \"US\" or \"IN\""),
        ('code_sets = ["ICD-10-XX"]\n', ":1: unknown code set 'ICD-10-XX' (did you mean ICD-10-CM?)"),
        ('[salary]\ntarget = "lots"\n', ":2: salary target must be a number (annual, in its currency)"),
        ('[experience]\nyears = 2\n[experience.settings]\ninpatiant = 1\n',
         ":4: unknown experience setting 'inpatiant' (did you mean inpatient?)"),
    ],
)
def test_each_mistake_names_the_line_and_a_fix(tmp_path, text, message):
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}{message}"


def test_every_problem_is_listed(tmp_path):
    path = write(tmp_path, 'credentials = ["CPc"]\nwork_mode = ["wfh"]\n')
    assert sorted(error_of(path).splitlines()) == [
        f"{path}:1: unknown credential 'CPc' (did you mean CPC?)",
        f"{path}:2: work mode 'wfh' is not one of remote, hybrid, onsite",
    ]


def test_invalid_toml_names_the_line(tmp_path):
    path = write(tmp_path, 'name = "x"\ncountries = [US]\n')
    assert error_of(path) == f"{path}: not valid TOML: Invalid value (at line 2, column 14)"


def test_a_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    assert error_of(path) == f"{path}: cannot read the profile (No such file or directory)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[experience]\nyears = 2\nsettings = { inpatiant = 1 }\n', ":3: unknown experience setting 'inpatiant' (did you mean inpatient?)"),
        ('name = "x"\nexperience = { years = "two" }\n', ":2: experience years must be a number >= 0, not 'two'"),
    ],
)
def test_a_mistake_in_an_inline_table_names_the_line(tmp_path, text, message):
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}{message}"


def test_experience_settings_of_the_wrong_type(tmp_path):
    path = write(tmp_path, '[experience]\nyears = 2\nsettings = ["inpatient"]\n')
    assert error_of(path).startswith(f"{path}:3: ")


def test_negative_years_in_a_setting_are_rejected(tmp_path):
    path = write(tmp_path, '[experience]\nyears = 2\n[experience.settings]\ninpatient = -1\n')
    assert error_of(path).startswith(f"{path}:4: ")


# --- medcoder profile check, through the real console script ---------------------


def run_check(cwd: Path, name: str) -> subprocess.CompletedProcess:
    # rich wraps at COLUMNS (80 when unset, as here); the names are relative so each message fits on one line.
    env = {k: v for k, v in os.environ.items() if k not in ("MEDCODER_DB", "COLUMNS", "LINES")}
    return subprocess.run([str(MEDCODER), "profile", "check", name], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_profile_check_accepts_the_sample(tmp_path):
    write(tmp_path, sample_profile_path().read_text(encoding="utf-8"))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_check(tmp_path, "profile.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "profile.toml: ok (2 credentials, 4 code sets, 1.5 years of experience)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["profile.toml"]


def test_profile_check_rejects_a_bad_profile(tmp_path):
    write(tmp_path, 'name = "x"\ncredentials = ["CPc"]\n', name="bad.toml")
    result = run_check(tmp_path, "bad.toml")
    assert result.returncode == 1
    assert result.stderr == "error: bad.toml:2: unknown credential 'CPc' (did you mean CPC?)\n"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]

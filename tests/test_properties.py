"""Property-based tests: the normalisers, HTML-to-text and the extractor take any text.

Arbitrary Unicode never raises, never logs an internal failure, and returns
the documented type; each example must finish within Hypothesis' deadline
(bounded time without timing assertions of our own). Empty and non-English
text gives empty results.
"""

from __future__ import annotations

import logging
import math
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.extract import Extraction, extract
from analysis.normalise.dates import normalise_date
from analysis.normalise.location import Location, parse_location, work_mode
from analysis.normalise.salary import Salary, find_salary_in_text, parse_salary, salary_from_range
from analysis.text import clean_inline, html_to_text

# Generous: the suite shares two cores with other work; an example that needs a second is a hang, not noise.
PROPERTY = settings(max_examples=100, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])

# Pieces of real postings, so generated text reaches deep into the parsers rather than failing on the first character.
TOKENS = [
    "$", "₹", "Rs.", "INR", "USD", "LPA", "lakh", "k", "K", "per hour", "/hr", "an hour", "per annum", "P.A.", "monthly",
    "CTC", "salary", "Salary:", "up to", "from", "-", "–", "to", ",", ".", "+", "0", "1", "3.5", "20", "45,000",
    "3,00,000", "1e9", "99999999999999999999", "CPC", "CCS-P", "RHIT", "ICD-10-CM", "CPT", "required", "preferred",
    "or", "and", "years", "2+ years of", "experience", "within 12 months of hire", "remote", "hybrid", "onsite",
    "work from home", "Chennai", "Tamil Nadu", "TN", "Austin, TX", "India", "US", "Remote - US", "(", ")", "/",
    "<p>", "</p>", "<li>", "</li>", "<ul>", "<h2>", "</h2>", "<br>", "&lt;", "&amp;", "<script>", "</script>",
    "\n", "\t", " ", "## ", "- ", "\u200b", "\u202e", "\ufeff", "\u00ad", "today", "yesterday", "3 days ago",
    "2026-11-02", "02/11/2026", "Nov 2, 2026", "Posted 30+ Days Ago",
]
posting_text = st.one_of(
    st.text(max_size=3000),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=120).map("".join),
)
# Letters from scripts medcoder does not read (Devanagari, Arabic, Hebrew, CJK, Cyrillic look-alikes of C, P and R).
NON_ENGLISH_LETTERS = "".join(
    [chr(c) for c in range(0x0905, 0x0939)] + [chr(c) for c in range(0x0627, 0x064A)] + [chr(c) for c in range(0x05D0, 0x05EA)]
    + [chr(c) for c in range(0x4E00, 0x4E80)] + ["С", "Р", "Т", "А", "Н", "ЕС", "К"]
)
non_english = st.lists(st.text(alphabet=NON_ENGLISH_LETTERS, min_size=1, max_size=12), max_size=60).map(" ".join)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(autouse=True, scope="module")
def warm_up():
    """Compile the taxonomy and place tables and fit the models first: a one-off start-up is not an example's time."""
    extract("CPC required; 2+ years of experience; remote")
    extract("Our coders hold CPC and CCS and code ICD-10-CM daily.")  # no cue word: the sentence classifier decides
    parse_location("Chennai, Tamil Nadu")
    parse_salary("$20 - $25 per hour")
    html_to_text("<p>x</p>")


@contextmanager
def no_internal_failures():
    """Fail when a function swallowed an exception and logged it (the normalisers never raise, so they log instead)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR or record.exc_info:
                records.append(record)

    handler = Collect()
    root = logging.getLogger("analysis")
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    assert not records, [r.getMessage() for r in records]


def _finite_or_none(value):
    return value is None or (isinstance(value, float) and math.isfinite(value))


@PROPERTY
@given(posting_text, st.sampled_from([None, "US", "IN", "XX", ""]))
def test_parse_salary_takes_any_text(text, country):
    with no_internal_failures():
        salary = parse_salary(text, country=country)
    assert salary is None or isinstance(salary, Salary)
    if salary is not None:
        assert _finite_or_none(salary.min) and _finite_or_none(salary.max)
        assert salary.min is None or salary.max is None or salary.min <= salary.max


@PROPERTY
@given(posting_text)
def test_find_salary_in_text_takes_any_text(text):
    with no_internal_failures():
        salary = find_salary_in_text(text)
    assert salary is None or isinstance(salary, Salary)


amount = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                   st.sampled_from(["45,000", "$45k", "3.5 LPA", "-5", "0", "1e400"]))


@PROPERTY
@given(amount, amount, st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["USD", "INR", "usd", "$", "₹"])),
       st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["HOUR", "YEAR", "per-hour-wage", "monthly", ""])))
def test_salary_from_range_takes_any_values(lo, hi, currency, unit):
    with no_internal_failures():
        salary = salary_from_range(lo, hi, currency, unit)
    assert salary is None or isinstance(salary, Salary)
    if salary is not None:
        assert _finite_or_none(salary.min) and _finite_or_none(salary.max)


@PROPERTY
@given(posting_text, st.sampled_from([None, "US", "IN", "India", "United States", "??"]))
def test_parse_location_takes_any_text(text, hint):
    with no_internal_failures():
        place = parse_location(text, country_hint=hint)
        mode = work_mode(text)
    assert isinstance(place, Location)
    assert place.remote in (None, "remote", "hybrid", "onsite") and mode in (None, "remote", "hybrid", "onsite")
    assert place.country is None or (len(place.country) == 2 and place.country.isupper())


@PROPERTY
@given(st.one_of(posting_text, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans()))
def test_normalise_date_takes_anything(value):
    with no_internal_failures():
        out = normalise_date(value, relative_to="2026-11-28T06:00:00+00:00")
    assert out is None or ISO_DATE.match(out)


def test_relative_dates_resolve_against_the_crawl_and_absurd_ones_give_none():
    crawl = "2026-11-28T06:00:00+00:00"
    assert normalise_date("Posted 3 Days Ago", relative_to=crawl) == "2026-11-25"
    assert normalise_date("30+ days ago", relative_to=crawl) == "2026-10-29"
    # Found by the property above: a day count reaching before year 1 overflowed instead of giving None.
    assert normalise_date("740000 DAY", relative_to=crawl) is None


@PROPERTY
@given(posting_text)
def test_html_to_text_takes_any_text(markup):
    with no_internal_failures():
        text = html_to_text(markup)
        line = clean_inline(markup)
    assert isinstance(text, str) and (line is None or isinstance(line, str))
    assert "\u200b" not in text and "\u202e" not in text


# Nested markup, including unclosed and mismatched tags, a few hundred levels deep at most.
nested_html = st.recursive(
    st.text(max_size=20).map(lambda s: s.replace("<", "").replace(">", "")),
    lambda inner: st.tuples(st.sampled_from(["div", "p", "li", "ul", "span", "h2", "table", "td", "b", "script"]),
                            st.lists(inner, max_size=4), st.booleans()).map(
        lambda t: f"<{t[0]}>" + "".join(t[1]) + (f"</{t[0]}>" if t[2] else "")),
    max_leaves=60,
)


@PROPERTY
@given(nested_html)
def test_html_to_text_takes_any_nesting(markup):
    assert isinstance(html_to_text(markup), str)


@PROPERTY
@given(posting_text)
def test_extract_takes_any_text(text):
    with no_internal_failures():
        result = extract(text)
    assert isinstance(result, Extraction)
    for req in result.requirements():
        assert req.level in ("required", "preferred")
    assert result.remote in (None, "remote", "hybrid", "onsite")


@PROPERTY
@given(non_english)
def test_non_english_text_gives_empty_results(text):
    result = extract(text)
    assert result.requirements() == []
    assert result.experience_years_min is None and result.education_min is None
    assert parse_salary(text) is None and find_salary_in_text(text) is None
    assert normalise_date(text) is None
    place = parse_location(text)
    assert (place.city, place.region, place.country) == (None, None, None)


def test_empty_text_gives_empty_results():
    assert extract("").requirements() == [] and extract("   \n ").requirements() == []
    assert html_to_text("") == "" and html_to_text(None) == ""
    assert parse_salary("") is None and parse_salary(None) is None and find_salary_in_text("") is None
    assert normalise_date("") is None and normalise_date(None) is None
    assert parse_location("") == Location(None, None, None, None) and parse_location(None) == Location(None, None, None, None)
    assert clean_inline("  \u200b ") is None

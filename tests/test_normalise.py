"""Salary and location normalisers, on literal inputs with exact expected values."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.normalise.location import (
    Location,
    PlacesError,
    build_places,
    load_places,
    parse_location,
    work_mode,
)
from analysis.normalise.salary import Salary, annualise, parse_salary, salary_from_range

SALARY_LOGGER = "analysis.normalise.salary"


def usd(lo, hi, period, annual_lo, annual_hi, text):
    return Salary(lo, hi, "USD", period, annual_lo, annual_hi, predicted=False, text=text)


def inr(lo, hi, period, annual_lo, annual_hi, text):
    return Salary(lo, hi, "INR", period, annual_lo, annual_hi, predicted=False, text=text)


# --- parse_salary -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$22-$28/hr", usd(22.0, 28.0, "hour", 45760.0, 58240.0, "$22-$28/hr")),
        ("$22.50 - $28.00 per hour", usd(22.5, 28.0, "hour", 46800.0, 58240.0, "$22.50 - $28.00 per hour")),
        ("$55K-$65K", usd(55000.0, 65000.0, "year", 55000.0, 65000.0, "$55K-$65K")),
        ("$55-65K", usd(55000.0, 65000.0, "year", 55000.0, 65000.0, "$55-65K")),
        ("$55,000 - $65,000 a year", usd(55000.0, 65000.0, "year", 55000.0, 65000.0, "$55,000 - $65,000 a year")),
        ("USD 60000 annually", usd(60000.0, 60000.0, "year", 60000.0, 60000.0, "USD 60000 annually")),
        ("up to $70,000", usd(None, 70000.0, "year", None, 70000.0, "up to $70,000")),
        ("$3,200/month", usd(3200.0, 3200.0, "month", 38400.0, 38400.0, "$3,200/month")),
        ("$1,000/week", usd(1000.0, 1000.0, "week", 52000.0, 52000.0, "$1,000/week")),
        ("$150 per day", usd(150.0, 150.0, "day", 39000.0, 39000.0, "$150 per day")),
        ("between $50,000 and $60,000", usd(50000.0, 60000.0, "year", 50000.0, 60000.0, "between $50,000 and $60,000")),
        ("$25", usd(25.0, 25.0, "hour", 52000.0, 52000.0, "$25")),
        # Between the hourly and yearly thresholds the period is not guessed.
        ("$5,000", usd(5000.0, 5000.0, None, None, None, "$5,000")),
        ("starting at $20/hr", usd(20.0, None, "hour", 41600.0, None, "starting at $20/hr")),
        ("$20+/hr", usd(20.0, None, "hour", 41600.0, None, "$20+/hr")),
        ("$50,000 + 401k", usd(50000.0, 50000.0, "year", 50000.0, 50000.0, "$50,000 + 401k")),
        ("$28 - $22 / hour", usd(22.0, 28.0, "hour", 45760.0, 58240.0, "$28 - $22 / hour")),
        ("Pay: $22–$28 hourly", usd(22.0, 28.0, "hour", 45760.0, 58240.0, "Pay: $22-$28 hourly")),
        (
            "Rs. 3,00,000 - 4,50,000 P.A.",
            inr(300000.0, 450000.0, "year", 300000.0, 450000.0, "Rs. 3,00,000 - 4,50,000 P.A."),
        ),
        ("Rs.300000", inr(300000.0, 300000.0, "year", 300000.0, 300000.0, "Rs.300000")),
        ("INR 25,000 per month", inr(25000.0, 25000.0, "month", 300000.0, 300000.0, "INR 25,000 per month")),
        ("₹ 3.5 - 5 LPA", inr(350000.0, 500000.0, "year", 350000.0, 500000.0, "₹ 3.5 - 5 LPA")),
        ("3.5-5 LPA", inr(350000.0, 500000.0, "year", 350000.0, 500000.0, "3.5-5 LPA")),
        ("3.5 to 5 Lakhs per annum", inr(350000.0, 500000.0, "year", 350000.0, 500000.0, "3.5 to 5 Lakhs per annum")),
        ("up to 6 lakhs", inr(None, 600000.0, "year", None, 600000.0, "up to 6 lakhs")),
        ("CTC 4 L", inr(400000.0, 400000.0, "year", 400000.0, 400000.0, "CTC 4 L")),
        ("CTC: 4.2 LPA", inr(420000.0, 420000.0, "year", 420000.0, 420000.0, "CTC: 4.2 LPA")),
        ("2.4 L - 3.6 L", inr(240000.0, 360000.0, "year", 240000.0, 360000.0, "2.4 L - 3.6 L")),
        ("1.2 crore", inr(12000000.0, 12000000.0, "year", 12000000.0, 12000000.0, "1.2 crore")),
        ("5 LPA+", inr(500000.0, None, "year", 500000.0, None, "5 LPA+")),
        ("1-3 yrs exp, 3-4 LPA", inr(300000.0, 400000.0, "year", 300000.0, 400000.0, "1-3 yrs exp, 3-4 LPA")),
        # Full-width digits are normalised (NFKC) before parsing.
        ("１２ LPA", inr(1200000.0, 1200000.0, "year", 1200000.0, 1200000.0, "12 LPA")),
        ("Salary:  18,000\n per month ", Salary(18000.0, 18000.0, None, "month", 216000.0, 216000.0, text="Salary: 18,000 per month")),
    ],
)
def test_parse_salary(text, expected):
    assert parse_salary(text) == expected


@pytest.mark.parametrize(
    ("text", "kwargs", "currency", "period", "annual_max"),
    [
        # Unstated currency: default_currency first, then country.
        ("25,000 per month", {"default_currency": "INR"}, "INR", "month", 300000.0),
        ("25,000 per month", {"country": "IN"}, "INR", "month", 300000.0),
        ("25,000 per month", {"country": "US", "default_currency": "INR"}, "INR", "month", 300000.0),
        ("Salary 22", {"country": "US"}, "USD", "hour", 45760.0),
        ("Salary 60000", {"country": "US"}, "USD", "year", 60000.0),
        # INR magnitude rules: 5,000-150,000 is monthly, above is yearly.
        ("Salary 18000", {"country": "IN"}, "INR", "month", 216000.0),
        ("Salary 300000", {"country": "IN"}, "INR", "year", 300000.0),
        ("Salary 3000", {"country": "IN"}, "INR", None, None),
        # Indian digit grouping says rupees without any currency word.
        ("Salary 3,00,000", {}, "INR", "year", 300000.0),
        # A stated currency beats the caller's default.
        ("$60,000", {"default_currency": "INR"}, "USD", "year", 60000.0),
        # Lakh is a rupee unit whatever the default says.
        ("4 LPA", {"default_currency": "USD"}, "INR", "year", 400000.0),
        ("60000", {"default_currency": "usd"}, "USD", "year", 60000.0),
    ],
)
def test_parse_salary_infers_currency_and_period(text, kwargs, currency, period, annual_max):
    salary = parse_salary(text, **kwargs)
    assert (salary.currency, salary.period, salary.annual_max) == (currency, period, annual_max)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "Not disclosed",
        "Best in industry",
        "competitive",
        "Competitive salary",
        "abc",
        "$$$",
        "12-",
        "$50,000 -",
        "call 555-1234",
        "1" * 100_000,
        "a" * 100_000,
        "$" * 100_000,
        "३५०००",
        "💰💰💰",
        "$0",
        "9" * 9 + " crore",
        12,
        True,
        ["$22/hr"],
    ],
)
def test_parse_salary_garbage_is_none(text):
    assert parse_salary(text) is None


def test_parse_salary_warns_on_unreadable_digits(caplog):
    with caplog.at_level(logging.WARNING, logger=SALARY_LOGGER):
        assert parse_salary("12-") is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "'12-'" in caplog.records[0].getMessage()


def test_parse_salary_is_quiet_on_text_without_digits(caplog):
    with caplog.at_level(logging.WARNING, logger=SALARY_LOGGER):
        assert parse_salary("Not disclosed") is None
        assert parse_salary("$$$") is None
    assert caplog.records == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-$₹ kKlLpaPA/hrto+ lakhsCTCupINRusd")) | st.characters()))
def test_parse_salary_never_raises(text):
    result = parse_salary(text)
    assert result is None or isinstance(result, Salary)


# --- annualise ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "period", "expected"),
    [
        (25, "hour", 52000.0),
        (200, "day", 52000.0),
        (1000, "week", 52000.0),
        (25000, "month", 300000.0),
        (60000, "year", 60000.0),
        (22.5, "hour", 46800.0),
        (None, "hour", None),
        (25, None, None),
        (25, "fortnight", None),
    ],
)
def test_annualise(amount, period, expected):
    assert annualise(amount, period) == expected


# --- salary_from_range ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        # schema.org baseSalary unitText
        ((22, 28, "USD", "HOUR"), {}, Salary(22.0, 28.0, "USD", "hour", 45760.0, 58240.0)),
        ((150, 200, "USD", "DAY"), {}, Salary(150.0, 200.0, "USD", "day", 39000.0, 52000.0)),
        ((900, 1100, "USD", "WEEK"), {}, Salary(900.0, 1100.0, "USD", "week", 46800.0, 57200.0)),
        ((25000, 30000, "INR", "MONTH"), {}, Salary(25000.0, 30000.0, "INR", "month", 300000.0, 360000.0)),
        ((50000, 60000, "USD", "YEAR"), {}, Salary(50000.0, 60000.0, "USD", "year", 50000.0, 60000.0)),
        # Lever salaryRange intervals
        ((22, 28, "USD", "per-hour-wage"), {}, Salary(22.0, 28.0, "USD", "hour", 45760.0, 58240.0)),
        ((50000, 60000, "USD", "per-year-salary"), {}, Salary(50000.0, 60000.0, "USD", "year", 50000.0, 60000.0)),
        ((4000, 5000, "USD", "per-month-salary"), {}, Salary(4000.0, 5000.0, "USD", "month", 48000.0, 60000.0)),
        # Adzuna: annual figures, possibly predicted
        (
            (48123.45, 52000.0, "USD", "year"),
            {"predicted": True},
            Salary(48123.45, 52000.0, "USD", "year", 48123.45, 52000.0, predicted=True),
        ),
        # No unit: inferred from the amount
        ((50000, 60000, "USD", None), {}, Salary(50000.0, 60000.0, "USD", "year", 50000.0, 60000.0)),
        ((22, 28, "USD", None), {}, Salary(22.0, 28.0, "USD", "hour", 45760.0, 58240.0)),
        # Unknown unit: no period rather than a guess
        ((500, 500, "USD", "ONE_TIME"), {}, Salary(500.0, 500.0, "USD", None, None, None)),
        # Strings, currency symbols, lower-case codes
        (("45,000", "$60k", None, "YEAR"), {}, Salary(45000.0, 60000.0, "USD", "year", 45000.0, 60000.0)),
        (("3,00,000", "4.5 lakh", "inr", "YEAR"), {}, Salary(300000.0, 450000.0, "INR", "year", 300000.0, 450000.0)),
        # Swapped bounds are put in order
        ((28, 22, "USD", "HOUR"), {}, Salary(22.0, 28.0, "USD", "hour", 45760.0, 58240.0)),
        # One bound missing (or zero, which APIs use for "not given")
        ((50000, None, "USD", "YEAR"), {}, Salary(50000.0, None, "USD", "year", 50000.0, None)),
        ((0, 60000, "USD", "YEAR"), {}, Salary(None, 60000.0, "USD", "year", None, 60000.0)),
        (("", "60000", "USD", "YEAR"), {}, Salary(None, 60000.0, "USD", "year", None, 60000.0)),
        # Other ISO currencies are kept, not relabelled
        ((30000, 40000, "gbp", "YEAR"), {}, Salary(30000.0, 40000.0, "GBP", "year", 30000.0, 40000.0)),
    ],
)
def test_salary_from_range(args, kwargs, expected):
    assert salary_from_range(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "args",
    [
        (None, None, "USD", "YEAR"),
        (0, 0, "USD", "YEAR"),
        (-5, 22, "USD", "HOUR"),
        ("-5000", None, "INR", "MONTH"),
        ("abc", 22, "USD", "HOUR"),
        (float("nan"), 22, "USD", "HOUR"),
        (float("inf"), None, "USD", "YEAR"),
        (True, 22, "USD", "HOUR"),
        (2e12, None, "USD", "YEAR"),
    ],
)
def test_salary_from_range_rejects(args):
    assert salary_from_range(*args) is None


# --- parse_location ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sacramento, CA", Location("Sacramento", "CA", "US", None)),
        ("Sacramento, California, United States", Location("Sacramento", "CA", "US", None)),
        ("SACRAMENTO, CA", Location("Sacramento", "CA", "US", None)),
        ("Sacramento CA", Location("Sacramento", "CA", "US", None)),
        ("US-CA-Sacramento", Location("Sacramento", "CA", "US", None)),
        ("Sacramento / Folsom, CA", Location("Sacramento", "CA", "US", None)),
        ("New York, NY 10001", Location("New York", "NY", "US", None)),
        ("Washington, DC", Location("Washington", "DC", "US", None)),
        ("Winston-Salem, NC", Location("Winston-Salem", "NC", "US", None)),
        ("St. Louis, MO", Location("St. Louis", "MO", "US", None)),
        ("Springfield, Illinois, U.S.A.", Location("Springfield", "IL", "US", None)),
        ("Nashville, TN", Location("Nashville", "TN", "US", None)),
        ("Indianapolis, IN", Location("Indianapolis", "IN", "US", None)),
        ("Delhi, NY", Location("Delhi", "NY", "US", None)),
        ("California", Location(None, "CA", "US", None)),
        ("Remote - US", Location(None, None, "US", "remote")),
        ("US-Remote", Location(None, None, "US", "remote")),
        ("Remote, United States", Location(None, None, "US", "remote")),
        ("100% Remote", Location(None, None, None, "remote")),
        ("Remote (Sacramento, CA)", Location("Sacramento", "CA", "US", "remote")),
        ("Remote (India)", Location(None, None, "IN", "remote")),
        ("Remote in India", Location(None, None, "IN", "remote")),
        ("Hybrid - Chennai, Tamil Nadu", Location("Chennai", "Tamil Nadu", "IN", "hybrid")),
        ("Chennai (Hybrid)", Location("Chennai", "Tamil Nadu", "IN", "hybrid")),
        ("Hybrid (3 days onsite)", Location(None, None, None, "hybrid")),
        ("Bangalore, Karnataka, India", Location("Bengaluru", "Karnataka", "IN", None)),
        ("Bangalore, IN", Location("Bengaluru", "Karnataka", "IN", None)),
        ("IN-KA-Bangalore", Location("Bengaluru", "Karnataka", "IN", None)),
        ("Gurgaon", Location("Gurugram", "Haryana", "IN", None)),
        ("Gurugram", Location("Gurugram", "Haryana", "IN", None)),
        ("Bombay", Location("Mumbai", "Maharashtra", "IN", None)),
        ("Madras", Location("Chennai", "Tamil Nadu", "IN", None)),
        ("Calcutta", Location("Kolkata", "West Bengal", "IN", None)),
        ("Pondicherry", Location("Puducherry", "Puducherry", "IN", None)),
        ("Trivandrum", Location("Thiruvananthapuram", "Kerala", "IN", None)),
        ("Cochin", Location("Kochi", "Kerala", "IN", None)),
        ("Kochi IN", Location("Kochi", "Kerala", "IN", None)),
        ("Vizag, AP", Location("Visakhapatnam", "Andhra Pradesh", "IN", None)),
        ("Trichy", Location("Tiruchirappalli", "Tamil Nadu", "IN", None)),
        ("Mohali", Location("Mohali", "Punjab", "IN", None)),
        ("Hyderabad, TS", Location("Hyderabad", "Telangana", "IN", None)),
        ("Noida, UP", Location("Noida", "Uttar Pradesh", "IN", None)),
        ("Sector 62, Noida, Uttar Pradesh 201301", Location("Noida", "Uttar Pradesh", "IN", None)),
        ("Noida, Delhi NCR", Location("Noida", "Uttar Pradesh", "IN", None)),
        ("New Delhi", Location("New Delhi", "Delhi", "IN", None)),
        ("Chennai, TN", Location("Chennai", "Tamil Nadu", "IN", None)),
        ("Chennai / Hyderabad", Location("Chennai", "Tamil Nadu", "IN", None)),
        ("Chennai / Hyderabad, Telangana", Location("Chennai", "Tamil Nadu", "IN", None)),
        ("Chennai, Hyderabad, Bangalore", Location("Chennai", "Tamil Nadu", "IN", None)),
        # A stated state is the posting's word, even if the table disagrees.
        ("Bangalore, Tamil Nadu", Location("Bengaluru", "Tamil Nadu", "IN", None)),
        ("Karnataka", Location(None, "Karnataka", "IN", None)),
        ("Pan India", Location(None, None, "IN", None)),
        ("Work from home", Location(None, None, None, "remote")),
        ("Multiple Locations", Location(None, None, None, None)),
        ("Multiple Locations, India", Location(None, None, "IN", None)),
        ("London, UK", Location("London", None, "GB", None)),
        # An unknown name alone is not trusted as a city.
        ("Sacramento", Location(None, None, None, None)),
    ],
)
def test_parse_location(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (None, "IN", Location(None, None, "IN", None)),
        ("", "US", Location(None, None, "US", None)),
        ("Work from home", "India", Location(None, None, "IN", "remote")),
        ("Multiple Locations", "in", Location(None, None, "IN", None)),
        # The hint decides an ambiguous code...
        ("Madurai, TN", "IN", Location("Madurai", "Tamil Nadu", "IN", None)),
        ("Memphis, TN", "US", Location("Memphis", "TN", "US", None)),
        # ...but never overrides a place the text names.
        ("Chennai, TN", "US", Location("Chennai", "Tamil Nadu", "IN", None)),
        ("Sacramento, CA", "IN", Location("Sacramento", "CA", "US", None)),
    ],
)
def test_parse_location_country_hint(text, hint, expected):
    assert parse_location(text, country_hint=hint) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "abc", "$$$", "12-", "x" * 100_000, "東京", "💼💼", "-,-,-", "()", 42],
)
def test_parse_location_garbage_is_empty(text):
    assert parse_location(text) == Location(None, None, None, None)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_location_never_raises(text):
    assert isinstance(parse_location(text), Location)


# --- work_mode ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Remote - US", "remote"),
        ("WFH", "remote"),
        ("Work from home", "remote"),
        ("work-from-home", "remote"),
        ("telecommute", "remote"),
        ("Telecommuting", "remote"),
        ("Hybrid (3 days onsite)", "hybrid"),
        ("Hybrid remote", "hybrid"),
        ("Remote or on-site", "hybrid"),
        ("Work from office", "onsite"),
        ("On-site", "onsite"),
        ("onsite", "onsite"),
        ("On Site - Chennai", "onsite"),
        ("No WFH", "onsite"),
        ("Non-remote", "onsite"),
        ("Sacramento, CA", None),
        ("Remotely located teams", None),
        ("", None),
        (None, None),
    ],
)
def test_work_mode(text, expected):
    assert work_mode(text) == expected


# --- places.yaml ------------------------------------------------------------------------


def test_places_tables_are_complete():
    places = load_places()
    assert len(set(places.us_by_key.values())) == 51
    assert places.us_by_key["district of columbia"] == "DC"
    assert len({name for name, _ in places.india_city_by_key.values()}) >= 40
    assert places.india_state_by_key["tn"] == "Tamil Nadu"
    assert places.country_by_key["usa"] == "US"


TOY = {
    "version": 1,
    "us_states": {"CA": "California"},
    "india_states": [{"name": "Karnataka", "aliases": ["KA"]}],
    "india_cities": [{"name": "Bengaluru", "state": "Karnataka", "aliases": ["Bangalore"]}],
    "countries": {"IN": ["India"]},
    "unspecific": {"Pan India": "IN"},
}


def test_build_places_accepts_toy_tables():
    places = build_places(TOY)
    assert places.india_city_by_key["bangalore"] == ("Bengaluru", "Karnataka")
    assert places.unspecific == {"pan india": "IN"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capitals": []}, "top level"),
        ({"us_states": {"Cal": "California"}}, "two capitals"),
        ({"india_cities": [{"name": "Chennai", "state": "Tamil Nadu"}]}, "unknown state"),
        ({"india_cities": [{"name": "Bengaluru", "state": "Karnataka", "pin": 560001}]}, "unknown key"),
        ({"india_states": [{"name": "Karnataka", "aliases": ["KA"]}, {"name": "Kerala", "aliases": ["KA"]}]}, "already means"),
        ({"unspecific": {"Anywhere": "ZZ"}}, "not listed"),
        ({"version": "one"}, "version"),
    ],
)
def test_build_places_rejects_malformed_tables(change, message):
    with pytest.raises(PlacesError, match=message):
        build_places({**TOY, **change})

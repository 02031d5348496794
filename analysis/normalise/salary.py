"""Pay: free-text salary phrases and structured salary fields, normalised to one :class:`Salary`.

Every salary a spider sees goes through this module, so "$22-$28/hr",
"Rs. 3,00,000 - 4,50,000 P.A." and a schema.org ``baseSalary`` all come out
with the same fields and a comparable annual figure. Two entry points share
one builder:

* :func:`parse_salary` reads the phrase a posting prints;
* :func:`salary_from_range` takes the numbers an API or JSON-LD block gives.

Both are pure: no I/O, and bad input gives ``None``, never an exception.
Only two currencies matter to medcoder (USD and INR), so the grammar knows
dollars, rupees, ``k`` thousands and the Indian lakh and crore; anything else
is left as ``None`` rather than guessed.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass

log = logging.getLogger(__name__)

PERIODS = ("hour", "day", "week", "month", "year")
# Full-time equivalents (40 h x 52 weeks, 5 days x 52 weeks), the convention
# US pay surveys use, so an hourly and a yearly posting can be compared.
PERIODS_PER_YEAR = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
COUNTRY_CURRENCY = {"US": "USD", "IN": "INR"}

# A pay phrase is a line, not a page: longer input is cut so that a whole
# posting passed by mistake costs little and cannot drown the phrase in
# unrelated numbers further down.
MAX_TEXT_CHARS = 1000
# Beyond this annual amount (in either currency) the parse is wrong, not the pay.
MAX_ANNUAL = 1e9

LAKH = 100_000
CRORE = 10_000_000
_MULTIPLIERS = {
    "k": 1_000, "thousand": 1_000,
    "l": LAKH, "lac": LAKH, "lacs": LAKH, "lakh": LAKH, "lakhs": LAKH, "lpa": LAKH,
    "cr": CRORE, "crore": CRORE, "crores": CRORE,
    "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
}
_INDIAN_MULTIPLIERS = {"l", "lac", "lacs", "lakh", "lakhs", "lpa", "cr", "crore", "crores"}

# ASCII digits only: \d would also accept Devanagari and other digits that
# float() happens to read, which no pay phrase we crawl uses. At most nine
# digits, so a run of thousands of digits matches nothing instead of
# becoming an infinite float. Indian grouping (3,00,000) and Western
# grouping (300,000) both fit the comma branch.
_NUM = (
    r"(?<![0-9,])(?<![0-9]\.)"
    r"(?:[0-9]{1,3}(?:,[0-9]{2,3})+|[0-9]{1,9})(?:\.[0-9]{1,4})?(?![0-9])"
)
# Longer spellings first: alternation takes the first branch that fits.
_MULT = r"(?:lpa|lakhs?|lacs?|l|crores?|cr|k|thousand|million|mn|m)(?![a-z])"
_CUR_PREFIX = r"(?:\$|₹|(?<![a-z])(?:us\s?\$|rs\.?|inr|usd))"
_AMOUNT_RE = re.compile(rf"(?:(?P<cur>{_CUR_PREFIX})\s*)?(?P<num>{_NUM})\s*(?P<mult>{_MULT})?")

_RANGE_SEP_RE = re.compile(r"\s*(?:-+|to|and|~)\s*")
_DANGLING_RE = re.compile(r"\s*(?:-+|to|~)\s*")
# Words allowed between a qualifier ("up to") and its amount: "up to a CTC of 6 LPA".
_QUAL_GAP = r"[\s:.]*(?:(?:a|an|the)\s+)?(?:(?:ctc|salary|pay|package)\s+(?:of\s+)?)?[\s:.]*$"
_UPPER_BOUND_RE = re.compile(
    r"(?:\b(?:up\s*to|upto|max(?:imum)?\.?|not\s+(?:more\s+than|exceeding)|till)|<=?)" + _QUAL_GAP
)
_LOWER_BOUND_RE = re.compile(
    r"(?:\b(?:from|starting(?:\s+(?:at|from))?|starts\s+at|min(?:imum)?\.?|at\s+least)|>=?)" + _QUAL_GAP
)
# "$20+/hr" is a floor; "$50,000 + 401k" is pay plus something else.
_PLUS_AFTER_RE = re.compile(r"\+(?!\s*[a-z0-9$₹])")
# After an amount, these words or symbols say it is money even without a
# currency prefix ("60000 USD", "25,000 per month").
_MONEY_AFTER_RE = re.compile(
    r"\s*(?:usd|inr|rs\b|rupees|dollars|/|per\b|p\.|an?\s+(?:hour|day|week|month|year)"
    r"|hourly|daily|weekly|monthly|yearly|annually|annual)"
)

_USD_RE = re.compile(r"us\s?\$|\$|\busd\b|\bdollars?\b")
# Lakh and crore are Indian units: their presence states the currency as
# surely as a rupee sign does.
_INR_RE = re.compile(
    r"₹|\binr\b|\brs\b\.?|\brupees?\b|\blakhs?\b|\blacs?\b|\blpa\b|\bcrores?\b|[0-9]\s*cr\b|[0-9]\s*l\b"
)
_INDIAN_GROUPING_RE = re.compile(r"[0-9],[0-9]{2},[0-9]{3}")

_PER = r"(?:\b(?:per|an?|each)\s+|/\s*)"
_PERIOD_RES = {
    "hour": re.compile(_PER + r"(?:hr|hour)s?\b|\bhourly\b"),
    "day": re.compile(_PER + r"day\b|\bdaily\b"),
    "week": re.compile(_PER + r"(?:wk|week)s?\b|\bweekly\b"),
    "month": re.compile(
        _PER + r"(?:mo|mon|mth|month)s?\b|\bmonthly\b|\bp\.\s?m\b\.?|/\s*pm\b|(?<=[0-9k])\s*pm\b|\bper\s+mensem\b"
    ),
    "year": re.compile(
        _PER + r"(?:yr|year|annum)s?\b|\b(?:annually|annual|yearly)\b|\bp\.\s?a\b\.?|/\s*pa\b"
        r"|(?<=[0-9kl])\s*pa\b|\blpa\b|\bl\.p\.a\b"
    ),
}
# CTC (cost to company) is quoted per year in India by convention.
_IMPLICIT_YEAR_RE = re.compile(r"\bctc\b|\blakhs?\b|\blacs?\b|\blpa\b|\bcrores?\b")
# A bare number is pay only if something says so; otherwise "12-" or a phone
# number would become a salary.
_PAY_WORD_RE = re.compile(r"\b(?:salary|pay|wages?|ctc|stipend|compensation|package|remuneration|rate)\b")

_UNIT_PERIODS = (
    ("hour", re.compile(r"hour|\bhr\b|^h$")),
    ("day", re.compile(r"day|daily")),
    ("week", re.compile(r"week|\bwk\b")),
    ("month", re.compile(r"month|\bmo\b")),
    ("year", re.compile(r"year|annual|annum|\byr\b")),
)


@dataclass(frozen=True)
class Salary:
    """Pay as a posting states it, plus the same bounds as full-time annual figures.

    ``min``/``max`` are in ``currency`` per ``period``; ``annual_min``/
    ``annual_max`` convert them with :func:`annualise` so postings with
    different periods compare. ``min`` is ``None`` for "up to X" and ``max``
    for "from X". ``predicted`` marks an estimate made by the source (Adzuna),
    not pay stated by the employer.
    """

    min: float | None
    max: float | None
    currency: str | None
    period: str | None
    annual_min: float | None
    annual_max: float | None
    predicted: bool = False
    text: str | None = None


@dataclass(frozen=True)
class _Amount:
    value: float  # multiplier applied
    raw: float  # as printed, before the multiplier
    mult: str | None
    cur: str | None
    start: int
    end: int


def annualise(amount: float | None, period: str | None) -> float | None:
    """``amount`` per ``period`` as a full-time yearly amount (hour x 2080, day x 260, week x 52, month x 12).

    ``None`` when either is missing or the period is unknown, because a
    wrong annual figure is worse than none in a market comparison.
    """
    if amount is None or period not in PERIODS_PER_YEAR:
        return None
    return round(float(amount) * PERIODS_PER_YEAR[period], 2)


def parse_salary(
    text: str | None, *, default_currency: str | None = None, country: str | None = None
) -> Salary | None:
    """Parse a free-text pay phrase such as "$22-$28/hr" or "3.5-5 LPA" into a :class:`Salary`.

    Currency comes from the text (``$``, ``USD``, ``₹``, ``Rs.``, ``INR``, and
    lakh/LPA/crore, which only rupees use); failing that from
    ``default_currency``, then from ``country`` ("US" -> USD, "IN" -> INR),
    then from Indian digit grouping ("3,00,000"). The period comes from the
    text ("/hr", "per month", "P.A.", "annually"); failing that LPA, lakhs and
    CTC mean a year, and the size of the amount decides: USD under 200 is
    hourly and 10,000 or more yearly; INR from 5,000 to 150,000 is monthly and
    above that yearly. A single amount sets ``min == max``, except "up to X"
    (no minimum) and "from X" / "X+" (no maximum).

    Returns ``None`` for empty text, for phrases without an amount ("Not
    disclosed", "Best in industry", "competitive") and for anything that
    cannot be read; text that has digits but no readable pay is logged as a
    warning so new phrasings surface. Never raises.
    """
    clean = _clean(text)
    if clean is None:
        return None
    try:
        return _parse(clean, default_currency=default_currency, country=country)
    except Exception:  # a normaliser must never take a crawl down with it
        log.exception("salary parser failed on %r", clean[:200])
        return None


def salary_from_range(
    min: float | str | None,  # shadows the builtin on purpose: the names sources use
    max: float | str | None,
    currency: str | None,
    unit: str | None,
    *,
    predicted: bool = False,
) -> Salary | None:
    """Build a :class:`Salary` from structured fields: schema.org ``baseSalary``, Lever, Adzuna.

    ``unit`` may be a schema.org ``unitText`` (HOUR, DAY, WEEK, MONTH, YEAR), a
    Lever interval ("per-hour-wage", "per-year-salary") or a plain word
    ("hourly", "annual"); an unrecognised unit gives no period, while a
    missing one is inferred from the amount as in :func:`parse_salary` (pass
    ``unit="year"`` for Adzuna, whose figures are annual). Amounts may be
    numbers or strings ("45,000", "$45k"). Zero, negative and unreadable
    amounts are dropped, swapped bounds are put in order, and ``None`` comes
    back when no amount survives.
    """
    try:
        lo = _coerce_amount(min)
        hi = _coerce_amount(max)
    except ValueError as err:
        # One bad bound makes the other suspect too: "-5 to 22" is not "up to 22".
        log.warning("salary rejected: %s", err)
        return None
    if lo is None and hi is None:
        return None
    cur = _norm_currency(currency)
    if cur is None:
        # "$45,000" in a string field still says dollars.
        raw = " ".join(str(v) for v in (min, max) if isinstance(v, str)).casefold()
        cur = _currency_in_text(raw)
    period = _period_from_unit(unit)
    infer = unit is None or (isinstance(unit, str) and not unit.strip())
    return _build(lo, hi, cur, period, infer_period=infer, predicted=bool(predicted), text=None)


# --- internals --------------------------------------------------------------


def _clean(text: object) -> str | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # every dash is a range dash
    text = re.sub(r"\s+", " ", text).strip()[:MAX_TEXT_CHARS]
    return text or None


def _parse(text: str, *, default_currency: str | None, country: str | None) -> Salary | None:
    low = text.casefold()
    amounts = _amounts(low)
    if not amounts:
        _warn_if_digits(text)
        return None
    group = _pick_group(amounts, low)
    after = low[group[-1].end:]
    if _DANGLING_RE.fullmatch(after):  # "12-", "$50,000 to": the other bound was cut off
        _warn_if_digits(text)
        return None

    lo, hi = _bounds(group, low)
    stated = _currency_in_text(low)
    has_mult = any(a.mult for a in group)
    explicit_period = _explicit_period(low, group[0].start, group[-1].end)
    if not (stated or has_mult or explicit_period or default_currency or _PAY_WORD_RE.search(low)):
        _warn_if_digits(text)
        return None

    currency = (
        stated
        or _norm_currency(default_currency)
        or COUNTRY_CURRENCY.get(str(country or "").strip().upper())
        or ("INR" if _INDIAN_GROUPING_RE.search(low) else None)
    )
    period = explicit_period
    if period is None and (_IMPLICIT_YEAR_RE.search(low) or any(a.mult in _INDIAN_MULTIPLIERS for a in group)):
        period = "year"
    salary = _build(lo, hi, currency, period, infer_period=True, predicted=False, text=text)
    if salary is None:
        _warn_if_digits(text)
    return salary


def _amounts(low: str) -> list[_Amount]:
    out = []
    for m in _AMOUNT_RE.finditer(low):
        raw = float(m.group("num").replace(",", ""))
        mult = m.group("mult")
        out.append(_Amount(raw * _MULTIPLIERS.get(mult, 1), raw, mult, m.group("cur"), m.start(), m.end()))
    return out


def _pick_group(amounts: list[_Amount], low: str) -> tuple[_Amount, ...]:
    # Pair amounts joined only by a range word into one group, then take the
    # first group that looks like money, so "1-3 yrs exp, 3-4 LPA" or
    # "$50,000 + 401k" read the pay and not the other numbers.
    groups: list[tuple[_Amount, ...]] = []
    i = 0
    while i < len(amounts):
        a = amounts[i]
        if i + 1 < len(amounts) and _RANGE_SEP_RE.fullmatch(low[a.end:amounts[i + 1].start]):
            groups.append((a, amounts[i + 1]))
            i += 2
        else:
            groups.append((a,))
            i += 1
    for g in groups:
        if any(a.cur or a.mult for a in g) or _MONEY_AFTER_RE.match(low, g[-1].end):
            return g
    return groups[0]


def _bounds(group: tuple[_Amount, ...], low: str) -> tuple[float | None, float | None]:
    if len(group) == 2:
        a, b = group
        lo, hi = a.value, b.value
        # "3.5-5 LPA" and "$55-65K": a unit printed once applies to both ends,
        # provided the result still reads as a range (not "500 - 2k").
        if a.mult is None and b.mult and a.raw <= b.raw:
            lo = a.raw * _MULTIPLIERS[b.mult]
        elif b.mult is None and a.mult and b.raw * _MULTIPLIERS[a.mult] >= a.value:
            hi = b.raw * _MULTIPLIERS[a.mult]
        return lo, hi
    (a,) = group
    before = low[max(0, a.start - 40):a.start]
    if _UPPER_BOUND_RE.search(before):
        return None, a.value
    if _LOWER_BOUND_RE.search(before) or _PLUS_AFTER_RE.match(low, a.end):
        return a.value, None
    return a.value, a.value


def _currency_in_text(low: str) -> str | None:
    usd = _USD_RE.search(low)
    inr = _INR_RE.search(low)
    if usd and inr:  # both named: the first one is the pay, the other a conversion
        return "USD" if usd.start() < inr.start() else "INR"
    return "USD" if usd else "INR" if inr else None


def _explicit_period(low: str, start: int, end: int) -> str | None:
    # The period printed right after the amount belongs to it ("$22/hr, paid
    # weekly"); failing that, the nearest one before it ("Hourly: $22").
    after: tuple[int, str] | None = None
    before: tuple[int, str] | None = None
    for period, pattern in _PERIOD_RES.items():
        for m in pattern.finditer(low):
            if m.start() >= end - 1:
                if after is None or m.start() < after[0]:
                    after = (m.start(), period)
            elif m.end() <= start + 1:
                if before is None or m.end() > before[0]:
                    before = (m.end(), period)
    chosen = after or before
    return chosen[1] if chosen else None


def _infer_period(value: float, currency: str | None) -> str | None:
    if currency == "USD":
        if value < 200:
            return "hour"
        if value >= 10_000:
            return "year"
    elif currency == "INR":
        if 5_000 <= value <= 150_000:
            return "month"
        if value > 150_000:
            return "year"
    return None  # between the thresholds, or an unknown currency: do not guess


def _build(
    lo: float | None,
    hi: float | None,
    currency: str | None,
    period: str | None,
    *,
    infer_period: bool,
    predicted: bool,
    text: str | None,
) -> Salary | None:
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    lo = _round(lo)
    hi = _round(hi)
    if (lo is None and hi is None) or any(v is not None and v <= 0 for v in (lo, hi)):
        return None
    if period is None and infer_period:
        period = _infer_period(hi if hi is not None else lo, currency)
    annual_min, annual_max = annualise(lo, period), annualise(hi, period)
    if any(v is not None and v > MAX_ANNUAL for v in (lo, hi, annual_min, annual_max)):
        return None
    return Salary(lo, hi, currency, period, annual_min, annual_max, predicted=predicted, text=text)


def _round(value: float | None) -> float | None:
    # 4.2 * 100000 is 420000.00000000006 in binary floating point.
    return None if value is None else round(value, 2)


def _norm_currency(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip().casefold()
    if v in ("$", "us$", "usd", "dollar", "dollars"):
        return "USD"
    if v in ("₹", "rs", "rs.", "inr", "rupee", "rupees"):
        return "INR"
    # Any other ISO 4217 code is kept as given rather than mislabelled.
    return v.upper() if re.fullmatch(r"[a-z]{3}", v) else None


def _coerce_amount(value: object) -> float | None:
    """A positive amount, ``None`` when missing; raises ValueError when present but unusable."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"amount is a boolean: {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"amount out of range: {value!r}")
        return float(value) or None  # zero is how several APIs say "not given"
    if not isinstance(value, str):
        raise ValueError(f"amount of unexpected type: {type(value).__name__}")
    text = _clean(value)
    if text is None:
        return None
    low = text.casefold()
    m = _AMOUNT_RE.search(low)
    if m is None or low[: m.start()].strip().startswith("-"):
        raise ValueError(f"unreadable amount: {value[:200]!r}")
    return float(m.group("num").replace(",", "")) * _MULTIPLIERS.get(m.group("mult"), 1) or None


def _period_from_unit(unit: object) -> str | None:
    if not isinstance(unit, str):
        return None
    u = unit.strip().casefold().replace("_", "-")
    for period, pattern in _UNIT_PERIODS:
        if pattern.search(u):
            return period
    return None


def _warn_if_digits(text: str) -> None:
    if re.search(r"[0-9]", text):
        log.warning("salary text has digits but no readable pay: %r", text[:200])


_PAY_LINE_RE = re.compile(
    r"[$₹]|\brs\.?\s?\d|\binr\b|\busd\b|\blpa\b|\blakhs?\b|\blacs?\b|\bctc\b|\bsalary\b|\bpay (?:range|rate|scale)\b|\bcompensation\b|\bstipend\b|\bper (?:hour|annum|month|year)\b|\bp\.a\.",
    re.IGNORECASE,
)
# Money that is not the job's pay: bonuses, reimbursements, retirement matches.
_NOT_PAY_RE = re.compile(r"\bbonus\b|\bsign[\s-]?on\b|\breferral\b|\breimburs|\b401\s?\(?k\)?|\btuition\b|\bexam fee|\bmembership\b|\bfee\b", re.IGNORECASE)


def find_salary_in_text(text: str | None, *, country: str | None = None) -> Salary | None:
    """The pay a posting states in its body ("Salary: 3.5 - 5 LPA", "$24.00 - $31.50 per hour"), if any.

    Only lines that talk about pay are read, and lines about bonuses or
    reimbursements are skipped, so "$500 sign-on bonus" never becomes the salary.
    """
    if not text:
        return None
    for line in text.splitlines():
        if len(line) > MAX_TEXT_CHARS or not _PAY_LINE_RE.search(line) or _NOT_PAY_RE.search(line):
            continue
        if not re.search(r"\d", line):
            continue
        salary = parse_salary(line, country=country)
        if salary is not None and (salary.min or salary.max):
            return salary
    return None

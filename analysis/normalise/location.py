"""Where a job is: free-text posting locations normalised to one :class:`Location`.

Postings print "Sacramento, CA", "Bangalore, Karnataka, India", "Remote - US"
or "Hybrid - Chennai, Tamil Nadu"; the radar needs city, region, country and
work mode as separate, comparable columns. Conventions:

* US regions are two-letter USPS codes ("CA"); Indian regions are full state
  names ("Tamil Nadu"), because Indian abbreviations are neither standard nor
  what Indian postings mostly print.
* Countries are ISO 3166-1 alpha-2 ("US", "IN").
* Indian cities carry their current official name (Bangalore -> Bengaluru)
  so that old and new spellings count as one market.

The place tables are data (``places.yaml``), validated and compiled once per
process by :func:`load_places`. Everything here is pure: no I/O beyond
reading that packaged file, and bad input gives an empty :class:`Location`,
never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

# A location is a short line; anything longer is a description passed by
# mistake, and cutting it keeps the regexes cheap.
MAX_TEXT_CHARS = 300
MAX_CITY_CHARS = 60  # longer than any real city name; a sentence, not a place
TOP_KEYS = {"version", "us_states", "india_states", "india_cities", "countries", "unspecific"}
STATE_KEYS = {"name", "aliases"}
CITY_KEYS = {"name", "state", "aliases"}

# Hybrid is checked apart from remote/onsite because "Hybrid (3 days onsite)"
# names both and means hybrid.
_HYBRID_RE = re.compile(r"\bhybrid\b|\bpartially\s+remote\b|\bpartly\s+remote\b")
# "No remote", "not remote", "non-remote" deny remote work rather than offer it.
_NOT_REMOTE_RE = re.compile(r"\b(?:no|not|non)[\s-]+(?:remote|wfh|work[\s-]+from[\s-]+home)\b")
_REMOTE_RE = re.compile(
    r"\bremote\b|\bwfh\b|\bwork[\s-]+(?:from|at)[\s-]+home\b|\btelecommut\w*|\bhome[\s-]+based\b"
    r"|\bfully\s+virtual\b|^virtual\b"
)
_ONSITE_RE = re.compile(
    r"\bon[\s-]?site\b|\bwork[\s-]+from[\s-]+office\b|\bwfo\b|\bin[\s-]office\b|\boffice[\s-]+based\b"
    r"|\bnon[\s-]+remote\b"
)
# What to cut out of a location before reading places from it: work-mode
# words with the qualifiers that travel with them ("100% Remote").
_MODE_WORDS_RE = re.compile(
    r"(?:\b(?:fully|100\s*%|partially|partly|full[\s-]+time)\s+)?"
    r"(?:\bhybrid\b|\bremote\b|\bwfh\b|\bwfo\b|\bwork[\s-]+(?:from|at)[\s-]+(?:home|office)\b"
    r"|\btelecommut\w*|\bon[\s-]?site\b|\bin[\s-]office\b|\b(?:home|office)[\s-]+based\b|\bvirtual\b)"
    r"(?:\s+(?:work|job|position|role|first|only|eligible|friendly|option|opportunity))?",
    re.I,
)
_LEAD_WORDS_RE = re.compile(
    r"^(?:(?:job|work)\s+)?location\s*:?\s*|^(?:anywhere\s+in|based\s+in|located\s+in|within|across|in)\s+",
    re.I,
)
_ZIP_RE = re.compile(r"\b[0-9]{5}(?:-[0-9]{4})?\b|\b[0-9]{3}\s?[0-9]{3}\b")
_ALTERNATIVES_RE = re.compile(r"\s*(?:/|;|\||\bor\b|&(?!\w))\s*")
# Workday and similar ATSs print "US-CA-Sacramento" and "IN-KA-Bangalore".
_ATS_RE = re.compile(r"^([A-Za-z]{2,3})-([A-Za-z]{2})-([^\d,]+)$")
_TRAILING_CODE_RE = re.compile(r"^(.*[a-z].*?)\s+([A-Z]{2})$")
_PAREN_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_STRIP_CHARS = " \t-–—,:;.()[]'\"*"


class PlacesError(ValueError):
    """``places.yaml`` is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class Location:
    """A posting's place: city, region (US code or Indian state name), ISO-2 country, work mode.

    ``remote`` is "remote", "hybrid", "onsite" or ``None`` when the text does
    not say. Every field is ``None`` when unknown.
    """

    city: str | None
    region: str | None
    country: str | None
    remote: str | None


@dataclass(frozen=True)
class Places:
    """Compiled place tables, every key normalised with :func:`place_key`."""

    us_by_key: dict[str, str] = field(default_factory=dict)  # "california"/"ca" -> "CA"
    india_state_by_key: dict[str, str] = field(default_factory=dict)  # "tn" -> "Tamil Nadu"
    india_city_by_key: dict[str, tuple[str, str]] = field(default_factory=dict)  # "gurgaon" -> (Gurugram, Haryana)
    country_by_key: dict[str, str] = field(default_factory=dict)  # "usa" -> "US"
    unspecific: dict[str, str | None] = field(default_factory=dict)  # "pan india" -> "IN"


def place_key(text: str) -> str:
    """The lookup form of a place name: case-folded, dots dropped, spaces collapsed ("U.S.A." -> "usa")."""
    text = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    return re.sub(r"\s+", " ", text).strip()


def build_places(raw: object) -> Places:
    """Validate parsed ``places.yaml`` data and compile its lookup tables (tests pass small literals)."""
    if not isinstance(raw, dict) or set(raw) - TOP_KEYS:
        raise PlacesError(f"places: top level must be a mapping with keys from {sorted(TOP_KEYS)}")
    if not isinstance(raw.get("version"), int):
        raise PlacesError("places: 'version' must be an integer")

    us_by_key: dict[str, str] = {}
    us_states = raw.get("us_states") or {}
    if not isinstance(us_states, dict):
        raise PlacesError("places: 'us_states' must map codes to names")
    for code, name in us_states.items():
        if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)) or not _is_text(name):
            raise PlacesError(f"places: us_states entry {code!r}: code must be two capitals and name a string")
        for alias in (code, name):
            _claim(us_by_key, place_key(alias), code, "us_states")

    state_by_key: dict[str, str] = {}
    for i, entry in enumerate(_entries(raw, "india_states", STATE_KEYS, required=("name",))):
        for alias in (entry["name"], *entry.get("aliases", [])):
            _claim(state_by_key, place_key(alias), entry["name"], f"india_states #{i + 1}")
    state_names = set(state_by_key.values())

    city_by_key: dict[str, tuple[str, str]] = {}
    for i, entry in enumerate(_entries(raw, "india_cities", CITY_KEYS, required=("name", "state"))):
        if entry["state"] not in state_names:
            raise PlacesError(f"places: india_cities #{i + 1} ({entry['name']}): unknown state {entry['state']!r}")
        for alias in (entry["name"], *entry.get("aliases", [])):
            _claim(city_by_key, place_key(alias), (entry["name"], entry["state"]), f"india_cities #{i + 1}")

    country_by_key: dict[str, str] = {}
    countries = raw.get("countries") or {}
    if not isinstance(countries, dict):
        raise PlacesError("places: 'countries' must map ISO codes to lists of names")
    for code, names in countries.items():
        if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)):
            raise PlacesError(f"places: countries entry {code!r}: not an ISO 3166-1 alpha-2 code")
        if not isinstance(names, list) or not all(_is_text(n) for n in names):
            raise PlacesError(f"places: countries entry {code}: names must be a list of strings")
        for name in names:
            _claim(country_by_key, place_key(name), code, f"countries {code}")

    unspecific: dict[str, str | None] = {}
    phrases = raw.get("unspecific") or {}
    if not isinstance(phrases, dict):
        raise PlacesError("places: 'unspecific' must map phrases to a country code or null")
    for phrase, code in phrases.items():
        if not _is_text(phrase) or not (code is None or code in countries):
            raise PlacesError(f"places: unspecific {phrase!r}: country {code!r} is not listed under countries")
        _claim(unspecific, place_key(phrase), code, "unspecific")
    return Places(us_by_key, state_by_key, city_by_key, country_by_key, unspecific)


@cache
def load_places() -> Places:
    """The shipped place tables, validated and compiled once per process."""
    text = resources.files(__package__).joinpath("places.yaml").read_text(encoding="utf-8")
    return build_places(yaml.safe_load(text))


def work_mode(text: str | None) -> str | None:
    """The work mode a phrase states: "remote", "hybrid", "onsite", or ``None`` when it does not say.

    "Remote - US", "WFH", "Work from home" and "telecommute" are remote;
    "Work from office", "On-site" and "onsite" are onsite. Hybrid wins when it
    is named alongside either, and a phrase offering both remote and onsite
    ("Remote or on-site") is hybrid too, since the job is not purely either.
    "No WFH" and "non-remote" count as onsite, not remote.
    """
    if not isinstance(text, str) or not text:
        return None
    low = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 4]).casefold()
    if _HYBRID_RE.search(low):
        return "hybrid"
    denied = bool(_NOT_REMOTE_RE.search(low))
    remote = bool(_REMOTE_RE.search(_NOT_REMOTE_RE.sub(" ", low)))
    onsite = bool(_ONSITE_RE.search(low)) or denied
    if remote and onsite:
        return "hybrid"
    return "remote" if remote else "onsite" if onsite else None


def parse_location(text: str | None, *, country_hint: str | None = None) -> Location:
    """Split a posting's location text into city, region, country and work mode.

    Reads "Sacramento, CA", "Sacramento, California, United States",
    "New York, NY 10001", "Bangalore, Karnataka, India", "Noida, UP",
    "Gurgaon", "Remote - US", "Remote (India)", "US-Remote",
    "Hybrid - Chennai, Tamil Nadu" and "Work from home". Of alternatives
    ("Chennai / Hyderabad") the first is kept. Postal codes are dropped. A
    known Indian city fills in its state and the country; a US state fills in
    the country. ``country_hint`` (ISO-2 or a country name, typically the
    market a spider crawls) is used only when the text names no country, and
    decides ambiguous codes ("TN" is Tamil Nadu in India, Tennessee otherwise).
    "Multiple Locations" and similar give no city. Never raises.
    """
    places = load_places()
    hint = _norm_country(country_hint, places)
    if not isinstance(text, str):
        return Location(None, None, hint, None)
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 4])
    text = re.sub(r"\s+", " ", text).strip()[:MAX_TEXT_CHARS]
    mode = work_mode(text)
    city, region, country = _places_in(text, places, hint)
    return Location(city, region, country or hint, mode)


# --- internals --------------------------------------------------------------


def _places_in(text: str, places: Places, hint: str | None) -> tuple[str | None, str | None, str | None]:
    text = _MODE_WORDS_RE.sub(",", text)
    text = _ZIP_RE.sub(" ", text)
    text = _unwrap_parentheses(text)
    text = _first_alternative(text, places)
    ats = _ATS_RE.match(text.strip(_STRIP_CHARS))
    if ats and place_key(ats.group(1)) in places.country_by_key | {"in": "IN"}:
        text = f"{ats.group(3)}, {ats.group(2)}, {ats.group(1)}"
    # A spaced dash separates levels like a comma ("Remote - US"); a bare
    # hyphen is part of a name ("Winston-Salem").
    parts = [_clean_part(p) for p in re.split(r",|\s[-–—]\s|\s[-–—]$|^[-–—]\s", text)]
    parts = [p for p in parts if p and re.search(r"[^\W\d_]", p)]

    country: str | None = None
    kept = []
    for p in parts:
        key = place_key(p)
        if key in places.unspecific:
            country = country or places.unspecific[key]
        else:
            kept.append(p)
    parts = kept
    if parts:
        last = _TRAILING_CODE_RE.match(parts[-1])
        if last and _is_region_code(last.group(2), places):
            parts[-1:] = [last.group(1), last.group(2)]

    indian_city_named = any(place_key(p) in places.india_city_by_key for p in parts)
    if parts and place_key(parts[-1]) in places.country_by_key:
        country = places.country_by_key[place_key(parts.pop())]
    elif parts and place_key(parts[-1]) == "in" and ((len(parts) == 1 and hint != "US") or indian_city_named):
        # "IN" is India after an Indian city or alone; after "Indianapolis" it is Indiana.
        parts.pop()
        country = "IN"

    region: str | None = None
    india_context = country == "IN" or (country is None and hint == "IN") or indian_city_named
    single_city = len(parts) == 1 and place_key(parts[0]) in places.india_city_by_key and country in (None, "IN")
    if parts and not single_city:
        found = _region(parts[-1], places, india_context)
        if found:
            parts.pop()
            region, region_country = found
            country = country or region_country

    city = _city(parts, places, country, region)
    if city and place_key(city) in places.india_city_by_key and country in (None, "IN") \
            and _region_country(region, places) != "US":
        name, state = places.india_city_by_key[place_key(city)]
        city, region, country = name, region or state, "IN"
    if city and (city.islower() or city.isupper()):
        city = city.title()
    return city, region, country


def _unwrap_parentheses(text: str) -> str:
    # "Chennai (Hybrid)" keeps what is outside; "Remote (India)" has nothing
    # outside once the work mode is gone, so the bracketed part is the place.
    outside = _PAREN_RE.sub(" ", text)
    if re.search(r"[^\W\d_]", outside):
        return outside
    return " , ".join(a or b for a, b in _PAREN_RE.findall(text))


def _first_alternative(text: str, places: Places) -> str:
    alternatives = [a for a in _ALTERNATIVES_RE.split(text) if re.search(r"[^\W\d_]", a or "")]
    if len(alternatives) <= 1:
        return alternatives[0] if alternatives else ""
    first, last = alternatives[0], alternatives[-1]
    # "Sacramento / Folsom, CA": the state printed once covers every city.
    # Indian cities get their state from the table instead, so that
    # "Chennai / Hyderabad, Telangana" does not put Chennai in Telangana.
    if "," not in first and "," in last and place_key(_clean_part(first)) not in places.india_city_by_key:
        return first + "," + last.split(",", 1)[1]
    # "Chennai, Hyderabad" style lists are handled by the caller's city choice.
    return first


def _clean_part(part: str) -> str:
    part = part.strip(_STRIP_CHARS)
    part = _LEAD_WORDS_RE.sub("", part).strip(_STRIP_CHARS)
    return re.sub(r"\s+", " ", part)


def _is_region_code(code: str, places: Places) -> bool:
    key = code.casefold()
    return key in places.us_by_key or key in places.india_state_by_key


def _region(part: str, places: Places, india_context: bool) -> tuple[str, str] | None:
    key = place_key(part)
    us = places.us_by_key.get(key)
    india = places.india_state_by_key.get(key)
    if us and india:  # "TN": Tamil Nadu next to Chennai, Tennessee next to Nashville
        return (india, "IN") if india_context else (us, "US")
    if us:
        return us, "US"
    if india:
        return india, "IN"
    return None


def _region_country(region: str | None, places: Places) -> str | None:
    if region is None:
        return None
    if region in places.us_by_key.values():
        return "US"
    return "IN" if region in places.india_state_by_key.values() else None


def _city(parts: list[str], places: Places, country: str | None, region: str | None) -> str | None:
    candidates = [p for p in parts if not re.search(r"[0-9]", p)]
    if not candidates:
        return None
    if country in (None, "IN") and _region_country(region, places) != "US":
        # "Chennai, Hyderabad" lists cities: keep the first; "Sector 62,
        # Noida" names a locality first: keep the city.
        for p in candidates:
            if place_key(p) in places.india_city_by_key:
                return p
    # Without a gazetteer of US towns, an unknown name is trusted as a city
    # only when the text also names its state or country: a lone "abc" or
    # "Various" is more often noise than a town.
    if region is None and country is None:
        return None
    # The part nearest the region is the city ("123 Main St, Sacramento, CA").
    city = candidates[-1]
    return city if len(city) <= MAX_CITY_CHARS else None


def _norm_country(value: object, places: Places) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    key = place_key(value)
    if key in places.country_by_key:
        return places.country_by_key[key]
    if key == "in":
        return "IN"
    return value.strip().upper() if re.fullmatch(r"[a-z]{2}", key) else None


def _entries(raw: dict, key: str, allowed: set[str], *, required: tuple[str, ...]) -> list[dict]:
    entries = raw.get(key) or []
    if not isinstance(entries, list):
        raise PlacesError(f"places: '{key}' must be a list")
    for i, entry in enumerate(entries):
        where = f"places: {key} #{i + 1}"
        if not isinstance(entry, dict):
            raise PlacesError(f"{where}: must be a mapping")
        unknown = set(entry) - allowed
        if unknown:
            raise PlacesError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        for name in required:
            if not _is_text(entry.get(name)):
                raise PlacesError(f"{where}: '{name}' must be a non-empty string")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(_is_text(a) for a in aliases):
            raise PlacesError(f"{where} ({entry['name']}): 'aliases' must be a list of strings")
    return entries


def _claim(table: dict, key: str, value: object, where: str) -> None:
    if not key:
        raise PlacesError(f"places: {where}: empty name")
    if table.setdefault(key, value) != value:
        raise PlacesError(f"places: {where}: {key!r} already means {table[key]!r}")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())

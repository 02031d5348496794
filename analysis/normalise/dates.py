"""Dates: ISO strings from whatever a source sends, relative phrases resolved against the crawl time."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

RELATIVE_RE = re.compile(
    r"(?:posted\s+)?(?:(\d+)\+?|an?|one)\s+(minute|hour|day|week|month|year)s?\s+ago", re.I
)
UNITS = {"minute": 0, "hour": 0, "day": 1, "week": 7, "month": 30, "year": 365}


def _base(relative_to: str | datetime | None) -> datetime:
    if isinstance(relative_to, datetime):
        return relative_to
    if relative_to:
        return datetime.fromisoformat(relative_to)
    return datetime.now(UTC)


def normalise_date(value: object, *, relative_to: str | datetime | None = None) -> str | None:
    """An ISO date (``YYYY-MM-DD``) from ISO datetimes, epoch milliseconds or phrases like "Posted 3 Days Ago".

    Relative phrases ("today", "yesterday", "30+ days ago") are resolved
    against ``relative_to`` (the crawl time; now when omitted). Unreadable
    values give None and a warning, never an exception.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # Lever sends epoch milliseconds
        try:
            return datetime.fromtimestamp(seconds, UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            logger.warning("unreadable timestamp %r", value)
            return None
    if isinstance(value, (datetime, date)):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    text = str(value).strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            logger.warning("impossible date %r", text)
            return None
    lowered = text.lower()
    base = _base(relative_to)
    if re.search(r"\b(?:today|just posted|just now)\b", lowered):
        return base.date().isoformat()
    if "yesterday" in lowered:
        return (base - timedelta(days=1)).date().isoformat()
    rel = RELATIVE_RE.search(lowered) or re.search(r"(\d+)\+?\s+(day)s?", lowered)
    if rel:
        n = int(rel.group(1)) if rel.group(1) and rel.group(1).isdigit() else 1
        try:
            return (base - timedelta(days=n * UNITS[rel.group(2).lower()])).date().isoformat()
        except OverflowError:  # "740000 days ago": before year 1, not a posting date
            logger.warning("relative date out of range %r", text)
            return None
    if re.match(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", text):
        try:  # RFC 822, as RSS pubDate writes it ("Tue, 03 Nov 2026 09:30:00 GMT")
            return parsedate_to_datetime(text).date().isoformat()
        except (TypeError, ValueError):
            pass
    for fmt in ("%d/%m/%Y", "%m/%d/%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%a, %d %b %Y %H:%M:%S %z"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    logger.warning("unreadable date %r", text[:100])
    return None

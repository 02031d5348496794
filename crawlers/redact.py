"""Keeping API keys out of logs, stats and the database.

Keys come from environment variables and some APIs take them in the query
string (Adzuna's ``app_key``), so any URL or message medcoder stores or logs
passes through :func:`redact` first, and a logging filter redacts the rest.
"""

from __future__ import annotations

import logging
import os
import re

SECRET_ENV = ("USAJOBS_API_KEY", "ADZUNA_APP_ID", "ADZUNA_APP_KEY", "JOOBLE_API_KEY", "CAREERJET_AFFID")
SECRET_PARAMS = re.compile(r"([?&;](?:app_id|app_key|api_key|apikey|key|token|access_token|affid)=)[^&#\s]*", re.IGNORECASE)
# The password in a URL's user info ("redis://:PASSWORD@host:6379/0", "redis://user:PASSWORD@host"): a
# distributed crawl's Redis URL is a Scrapy setting, which Scrapy logs with the other overridden settings.
URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)[^\s/?#@]+(@)")


def _secret_values() -> list[str]:
    return [v for v in (os.environ.get(name) for name in SECRET_ENV) if v and len(v) >= 4]


def redact(text: str | None) -> str | None:
    """``text`` with secret query parameters, URL passwords and the values of secret environment variables as ``***``."""
    if not text:
        return text
    text = SECRET_PARAMS.sub(r"\1***", text)
    if "@" in text:  # every log record passes here; most hold no URL with user info
        text = URL_PASSWORD.sub(r"\1***\2", text)
    for value in _secret_values():
        text = text.replace(value, "***")
    return text


EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
EMAIL_PLACEHOLDER = "[e-mail removed]"


def without_emails(text: str | None, placeholder: str = EMAIL_PLACEHOLDER) -> str:
    """``text`` with every e-mail address replaced: postings are kept, people's contact details are not."""
    return EMAIL_RE.sub(placeholder, text or "")


class RedactingFilter(logging.Filter):
    """A log filter that redacts each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is logging's problem, not ours
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


_factory_installed = False


def install_log_redaction() -> None:
    """Redact every log record as it is made, and filter the root logger's current handlers too.

    The record factory is what counts: ``Crawler.crawl()`` replaces Scrapy's
    root handler after the extensions are built, so a filter attached to the
    handlers from an extension never sees the crawl's own records (Scrapy's
    "Gave up retrying <GET ...?app_key=...>" among them).
    """
    global _factory_installed
    if not _factory_installed:
        previous = logging.getLogRecordFactory()

        def redacting_factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _factory_installed = True
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

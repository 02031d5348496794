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


def _secret_values() -> list[str]:
    return [v for v in (os.environ.get(name) for name in SECRET_ENV) if v and len(v) >= 4]


def redact(text: str | None) -> str | None:
    """``text`` with secret query parameters and the values of secret environment variables replaced by ``***``."""
    if not text:
        return text
    text = SECRET_PARAMS.sub(r"\1***", text)
    for value in _secret_values():
        text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """A log filter that redacts each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger (where Scrapy's output goes)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

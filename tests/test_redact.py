"""Secrets out of logs, stats and the database: what redact() hides, on literal inputs."""

import pytest

from crawlers.redact import redact


@pytest.mark.parametrize("text, expected", [
    ("redis://:s3cret@10.0.0.5:6379/0", "redis://:***@10.0.0.5:6379/0"),
    ("REDIS_URL='rediss://medcoder:p%40ss:w0rd@redis.internal:6380/1'", "REDIS_URL='rediss://medcoder:***@redis.internal:6380/1'"),
    ("https://api.example.org/jobs?app_id=abc&app_key=xyz&what=coder", "https://api.example.org/jobs?app_id=***&app_key=***&what=coder"),
    # No password, nothing to hide: a user name alone, a port, an e-mail address, a time of day.
    ("redis://10.0.0.5:6379/0 and http://user@host/x", "redis://10.0.0.5:6379/0 and http://user@host/x"),
    ("write to hr@example.org at 10:30", "write to hr@example.org at 10:30"),
    ("", ""),
])
def test_redact(text, expected):
    assert redact(text) == expected


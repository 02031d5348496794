"""Extraction maintenance commands (taxonomy curation), registered on the main ``medcoder`` app."""

from __future__ import annotations

from medcoder.cli import app  # noqa: F401  (commands below register on it)

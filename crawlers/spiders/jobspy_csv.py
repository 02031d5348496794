"""Import a CSV exported by JobSpy (``jobs.to_csv(...)``), so its users bring what they already collected.

The file is read through Scrapy (a ``file://`` request), so the clean,
relevance and store pipelines and the ``crawl_runs`` record work as for any
crawl. The run is recorded under ``jobspy_csv``; each posting lands under
the site JobSpy got it from (``jobspy:indeed``, ``jobspy:naukri``...).

Personal data stays out: JobSpy's ``emails`` column (addresses it found in
the description, usually a recruiter's own) is dropped as the file is read,
and e-mail addresses left in the text are replaced, because medcoder studies the job market,
not the people hiring in it, and keeps no contact list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from analysis.normalise.location import work_mode
from analysis.text import looks_like_html
from crawlers.items import PostingItem
from crawlers.redact import without_emails
from crawlers.spiders.base import MedcoderSpider

REQUIRED_COLUMNS = ("site", "job_url", "title")
# JobSpy's CompensationInterval values, as schema.org unitText.
SALARY_UNITS = {"yearly": "YEAR", "monthly": "MONTH", "weekly": "WEEK", "daily": "DAY", "hourly": "HOUR"}
# Columns kept in extras. Everything else is dropped: emails (personal data),
# company_logo, company_addresses and company_description (about the
# company, not the job).
EXTRA_COLUMNS = (
    "job_url_direct", "salary_source", "job_level", "job_function", "listing_type", "company_industry",
    "company_url", "company_url_direct", "company_num_employees", "company_revenue", "company_rating",
    "company_reviews_count", "experience_range", "vacancy_count", "work_from_home_type",
)
NUMERIC_EXTRAS = ("company_rating", "company_reviews_count", "vacancy_count")
# What surrogateescape turns undecodable bytes into: a row holding one was not UTF-8.
UNDECODABLE_RE = re.compile("[\udc80-\udcff]")


class JobspyCsvSpider(MedcoderSpider):
    """``scrapy crawl jobspy_csv -a path=jobs.csv``: one posting per row of a JobSpy export.

    Columns are matched by name, in any order and case; ``site``,
    ``job_url`` and ``title`` are required. A row that is not valid UTF-8
    is reported and skipped; the others are stored. ``-a source=`` names
    the run only: postings always land under the site they came from, so
    rows from several sites in one file stay apart.
    """

    name = "jobspy_csv"
    source_name = "JobSpy CSV import"

    def __init__(self, path: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not path:
            raise ValueError("jobspy_csv needs -a path=FILE (a CSV written by JobSpy)")
        self.path = path
        self.file = Path(path).expanduser().resolve()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.file.is_file():
            # Reported, not raised, so the run is recorded as failed with the reason.
            self.report_problem(self.file.as_uri(), "file_missing", f"no such file: {self.file}")
            return
        # A local file that cannot be read will not be readable on a retry either.
        yield scrapy.Request(self.file.as_uri(), callback=self.parse_csv, errback=self.file_failed, meta={"dont_retry": True})

    def file_failed(self, failure: Failure) -> None:
        """Errback: the file vanished or could not be read after the start check."""
        self.report_problem(failure.request.url, "file_unreadable", f"{failure.type.__name__}: {failure.getErrorMessage()[:300]}")

    def parse_csv(self, response: Response) -> Iterator[PostingItem]:
        """Every row as a posting; undecodable, incomplete and unparseable rows are reported."""
        # Undecodable bytes become lone surrogates instead of failing the whole
        # file, so the one bad row can be found and skipped.
        text = response.body.decode("utf-8-sig", errors="surrogateescape")
        # JobSpy's README exports with escapechar="\\"; reading with it also
        # turns markdown's own escapes ("\-") into the plain character.
        reader = csv.DictReader(io.StringIO(text, newline=""), escapechar="\\")
        header = {(name or "").strip().lower(): name for name in (reader.fieldnames or [])}
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            self.report_problem(response.url, "missing_columns",
                                f"not a JobSpy CSV: no column {', '.join(missing)} (found: {', '.join(header) or 'no header'})")
            return
        row_number = 0
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.report_problem(response.url, "invalid_csv", f"stopped at line {reader.line_num}: {exc}")
                break
            row_number += 1
            row = {key: (raw.get(name) or "").strip() for key, name in header.items()}
            where = f"row {row_number} (line {reader.line_num})"
            if any(UNDECODABLE_RE.search(value) for value in row.values()):
                self.report_problem(response.url, "invalid_encoding", f"{where} is not valid UTF-8: skipped")
                continue
            item = self.item_from(row)
            if item is None:
                self.report_problem(response.url, "incomplete_row", f"{where} has no site, job_url or title: skipped")
                continue
            yield item

    def item_from(self, row: dict[str, str]) -> PostingItem | None:
        """One JobSpy row as the shared item, under ``jobspy:{site}``; None without site, URL or title."""
        site = row.get("site", "").lower()
        url = row.get("job_url") or row.get("job_url_direct")
        if not site or not url or not row.get("title"):
            return None
        description = without_emails(row.get("description")) or None
        html = description if description and looks_like_html(description) else None
        extras: dict = {column: row[column] for column in EXTRA_COLUMNS if row.get(column)}
        for column in NUMERIC_EXTRAS:  # pandas writes counts as floats ("25.0")
            if column in extras and (number := amount(extras[column])) is not None:
                extras[column] = int(number) if number.is_integer() else number
        if row.get("skills"):
            extras["skills"] = [s.strip() for s in row["skills"].split(",") if s.strip()]
        return PostingItem(
            source=f"jobspy:{site}",
            url=url,
            title=without_emails(row["title"]),
            source_job_id=row.get("id") or None,
            employer=row.get("company") or None,
            location_text=row.get("location") or None,
            # is_remote is JobSpy's flag; Naukri rows say "Work from office" or "Hybrid" in work_from_home_type.
            remote="remote" if row.get("is_remote", "").lower() == "true" else work_mode(row.get("work_from_home_type")),
            employment_type=row.get("job_type") or None,
            salary_min=amount(row.get("min_amount")),
            salary_max=amount(row.get("max_amount")),
            salary_currency=row.get("currency") or None,
            salary_unit=SALARY_UNITS.get(row.get("interval", "").lower(), row.get("interval") or None),
            posted_at=row.get("date_posted") or None,
            description_html=html,
            # JobSpy writes markdown by default; the extractor needs "## " headings and "- " items.
            description=markdown_to_text(description) if description and not html else None,
            extras=extras,
        )


def amount(value: str | None) -> float | None:
    """A CSV amount ("45000.0") as a number; None when empty or unreadable."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


# --- markdown (as markdownify writes it for JobSpy) to structured text ---

ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
ATX_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
SETEXT_RE = re.compile(r"^(?:=+|-+)$")
RULE_RE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
ITEM_RE = re.compile(r"^\s*(?:[*+\-•]|\d{1,3}[.)])\s+(.*)$")
BOLD_LINE_RE = re.compile(r"^(\*\*|__)(.+?)\1\s*:?$")
INLINE_RULES = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: the text is what a reader sees
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),
)
PROTECT = 0xE000  # escaped punctuation is parked in the private-use area while emphasis is removed


def _inline(text: str) -> str:
    text = ESCAPE_RE.sub(lambda m: chr(PROTECT + ord(m.group(1))), text)
    for pattern, replacement in INLINE_RULES:
        text = pattern.sub(replacement, text)
    text = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group(0)) - PROTECT), text)
    return text.strip()


def markdown_to_text(markdown: str) -> str:
    """Markdown as the text the extractor reads: headings as ``## ``, list items as ``- ``, no markup.

    Handles what markdownify (JobSpy's converter) writes: ATX and underlined
    headings, ``*``/``+``/``-`` and numbered lists at any depth, a short
    line in bold as a heading, links, emphasis, rules and backslash escapes.
    """
    out: list[str] = []
    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            out.append("")
            continue
        if SETEXT_RE.match(line) and out and out[-1] and not out[-1].startswith("- "):
            out[-1] = out[-1] if out[-1].startswith("## ") else "## " + out[-1]
            continue
        if RULE_RE.match(line):
            out.append("")
            continue
        if m := ATX_RE.match(line):
            out.append("## " + _inline(m.group(1)))
        elif m := ITEM_RE.match(raw):
            out.append("- " + _inline(m.group(1)))
        elif (m := BOLD_LINE_RE.match(line)) and len(m.group(2).split()) <= 7:
            out.append("## " + _inline(m.group(2)).rstrip(":"))
        else:
            out.append(_inline(line))
    return "\n".join(line for line in out if line.strip())

"""Report commands beyond `gap` (market view, resume import), registered on the main ``medcoder`` app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medcoder.cli import DbOption, _fail, _since_days, app, console, out, profile_app


def as_of_day(value: str | None) -> str | None:
    """``--as-of`` checked: an ISO date no later than today, or None."""
    if value is None:
        return None
    from datetime import date

    from analysis.market import parse_day

    try:
        day = parse_day(value)
    except ValueError as exc:
        _fail(f"--as-of {exc}")
    if day > date.today().isoformat():
        _fail(f"--as-of {day} is in the future")
    return day


def _write(text: str, output: Path | None, what: str) -> None:
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"{what} written to {output}", highlight=False, soft_wrap=True)
    else:
        out.print(text, highlight=False, markup=False, soft_wrap=True)


@app.command()
def market(
    db: DbOption = None,
    country: Annotated[str | None, typer.Option("--country", help="IN or US (default: both).")] = None,
    remote_only: Annotated[bool, typer.Option("--remote-only", help="Only remote postings.")] = False,
    since: Annotated[str | None, typer.Option("--since", help="Only postings from the last N days, e.g. 90d.")] = None,
    role_family: Annotated[str | None, typer.Option("--role-family", help="inpatient, outpatient, pro-fee, ed, risk-adjustment...")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Look at the postings open on this day (YYYY-MM-DD).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of standard output.")] = None,
) -> None:
    """The job market without a profile.

    For counsellors and training institutes: demand for credentials and code
    sets, experience and education asked, work modes, pay, the monthly trend
    and top employers. Every figure says how many postings it rests on (see
    docs/gap-report.md).
    """
    from analysis.market import market_report
    from analysis.report import FORMATS, render_market
    from medcoder.db import connect

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if country and country.upper() not in ("IN", "US"):
        _fail(f"--country {country!r}: use IN or US")
    day = as_of_day(as_of)
    try:
        database = connect(db, create=False)
    except FileNotFoundError as exc:
        _fail(str(exc))
    report = market_report(database, country=country, remote_only=remote_only, since_days=_since_days(since),
                           role_family=role_family, as_of=day)
    _write(render_market(report, fmt), output, "market report")


@profile_app.command("from-resume")
def profile_from_resume(
    resume: Annotated[Path, typer.Argument(help="Your resume: PDF, DOCX or TXT.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the draft here (default: standard output).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Draft a profile from your resume to review.

    Finds credentials you hold (or are studying for), code sets, tools,
    skills, years of coding experience from your jobs' dates, education and
    location. The resume is read, never stored, and nothing touches the
    postings database.
    """
    from analysis.profile import ProfileError, load_profile
    from analysis.resume import ResumeError, draft_profile

    if output and output.exists() and not force:
        _fail(f"{output} exists; use --force to overwrite it")
    try:
        text = draft_profile(resume)
    except ResumeError as exc:
        _fail(str(exc))
    if not output:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    try:
        load_profile(output)
    except ProfileError as exc:  # pragma: no cover - the draft is built from the taxonomy's own ids
        _fail(f"the draft does not validate; please report this:\n{exc}")
    out.print(f"wrote {output}; review it, then run `medcoder profile check {output}`", highlight=False, soft_wrap=True)

"""The ``medcoder`` command: a thin layer over the library.

Each command parses options and calls the same functions the tests call.
Every command that touches the database takes ``--db`` (default
``$MEDCODER_DB``, else ``data/medcoder.db``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="medcoder: a job-market radar for medical coders. Crawl public postings, browse them in Datasette, "
    "and see what the market asks of you.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
profile_app = typer.Typer(help="Create and check candidate profiles.", no_args_is_help=True)
app.add_typer(profile_app, name="profile")
console = Console(stderr=True)
out = Console()

DbOption = Annotated[Path | None, typer.Option("--db", help="SQLite database (default: $MEDCODER_DB, else data/medcoder.db).")]


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _since_days(since: str | None) -> int | None:
    if not since:
        return None
    m = re.fullmatch(r"(\d+)\s*([dwmy]?)", since.strip().lower())
    if not m:
        _fail(f"--since {since!r}: use a number of days like 90d, 12w, 6m or 1y")
    return int(m.group(1)) * {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}[m.group(2)]


@app.command()
def demo(
    db: DbOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the database and the report.")] = Path("medcoder-demo"),
) -> None:
    """Run the whole pipeline on the demo board.

    Serves the bundled demo job board on 127.0.0.1, crawls it with Scrapy,
    extracts requirements, writes the database and a gap report for the
    sample profile.
    """
    from medcoder.demo.run import run_demo

    summary = run_demo(out_dir=out_dir, db_path=db, console=console)
    out.print(summary.text(), highlight=False, soft_wrap=True)
    if summary.crawl_status == "failed":
        raise typer.Exit(1)


@app.command()
def crawl(
    names: Annotated[list[str] | None, typer.Argument(help="Registry entries to crawl (default: every enabled one).")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Only entries for IN or US.")] = None,
    registry: Annotated[Path | None, typer.Option("--registry", help="Sources registry TOML (default: $MEDCODER_REGISTRY, else the shipped one).")] = None,
    spider: Annotated[str | None, typer.Option("--spider", help="Run one spider directly instead of registry entries.")] = None,
    arg: Annotated[list[str] | None, typer.Option("-a", "--arg", help="With --spider: argument NAME=VALUE (repeatable).")] = None,
    setting: Annotated[list[str] | None, typer.Option("-s", "--set", help="Scrapy setting NAME=VALUE (repeatable).")] = None,
    db: DbOption = None,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", help="Run logs and per-source Scrapy logs (default: logs/ beside the database).")] = None,
    keep_logs: Annotated[int, typer.Option("--keep-logs", help="Keep the logs of this many runs.")] = 30,
    analyse_after: Annotated[bool, typer.Option("--analyse/--no-analyse", help="Run the analysis stage after crawling.")] = True,
    notify_command: Annotated[str | None, typer.Option("--notify-command", envvar="MEDCODER_NOTIFY_COMMAND", help="Shell command run with the summary on stdin when a source fails or degrades.")] = None,
) -> None:
    """Crawl the registry's sources into the database.

    Every enabled entry of the sources registry, or those named, or those of
    one --country; each in its own Scrapy process, recorded in crawl_runs.
    One failing source never stops the others. --spider NAME -a k=v runs one
    spider directly. One crawl at a time per database: a second exits 2.
    Each run writes a log with a summary line per source (see
    docs/operations.md for logs, health checks and notifications).
    """
    from medcoder.crawl_job import run_crawl_job
    from medcoder.lock import CrawlLockError
    from medcoder.notify import NotifyError, SmtpSettings
    from medcoder.registry import RegistryError, SourceEntry, load_registry, select, spider_names

    def pairs(values, what):
        result = {}
        for v in values or []:
            if "=" not in v:
                _fail(f"{what} {v!r}: write NAME=VALUE")
            k, _, val = v.partition("=")
            result[k] = val
        return result

    if spider:
        if names:
            _fail("give registry entries or --spider, not both")
        if spider not in spider_names():
            _fail(f"unknown spider {spider!r}; known: {', '.join(sorted(spider_names()))}")
        args = pairs(arg, "-a")
        entries = [SourceEntry(args.pop("source", spider), spider, spider, "ANY", True, args)]
    else:
        if arg:
            _fail("-a goes with --spider; registry entries carry their own arguments")
        try:
            entries = select(load_registry(registry), names, country)
        except RegistryError as exc:
            _fail(str(exc))
    if not entries:
        _fail("nothing to crawl: no enabled registry entry matches")
    from medcoder.recovery import DatabaseUnwritable
    from medcoder.runlog import summary_line

    try:
        smtp = SmtpSettings.from_env()
    except NotifyError as exc:
        _fail(str(exc), code=2)

    try:
        with console.status("crawling…") as status:
            job = run_crawl_job(
                entries, db=db, settings=pairs(setting, "-s"), log_dir=log_dir, keep_logs=keep_logs,
                analyse=analyse_after, notify_command=notify_command, smtp=smtp,
                on_start=lambda e: status.update(f"crawling {e.id}…"),
                on_source=lambda r: console.print(summary_line(r), highlight=False, markup=False, emoji=False, soft_wrap=True),
            )
    except CrawlLockError as exc:  # another crawl holds the database, or its folder is read-only
        _fail(str(exc), code=2)
    except DatabaseUnwritable as exc:  # read-only, locked past the busy timeout, or a full disk: before any fetch
        _fail(str(exc))
    if job.analysed:
        console.print(f"analysed {job.analysed.analysed} postings ({job.analysed.skipped} unchanged)")
    for err in job.notify_errors:
        console.print(f"[yellow]notification failed:[/yellow] {err}", highlight=False, soft_wrap=True)
    console.print(f"run log: {job.log_path}", highlight=False, soft_wrap=True)
    if job.degraded:
        console.print(f"[yellow]degraded:[/yellow] {', '.join(job.degraded)} (see `medcoder status`)", highlight=False)
    if job.failed:
        console.print(f"[red]failed:[/red] {', '.join(job.failed)}", highlight=False)
        raise typer.Exit(1)


@app.command()
def sources(
    registry: Annotated[Path | None, typer.Option("--registry", help="Sources registry TOML.")] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List the sources registry with each entry's last run.

    Shows each entry's spider, country, whether it is enabled, and its last
    run's time, status and item count from crawl_runs.
    """
    from medcoder.registry import RegistryError, load_registry
    from medcoder.sources_status import registry_status

    try:
        entries = load_registry(registry)
    except RegistryError as exc:
        _fail(str(exc))
    rows = registry_status(entries, db)
    if fmt == "json":
        out.print(json.dumps(rows, indent=2), highlight=False, soft_wrap=True)
        return
    table = Table(box=None, pad_edge=False)
    for name in ("id", "country", "enabled", "last run", "status", "items"):
        table.add_column(name, no_wrap=True)
    wide = out.width >= 110  # the label only where it fits; --format json always has it
    if wide:
        table.add_column("label", overflow="ellipsis", no_wrap=True)
    for r in rows:
        cells = [r["id"], r["country"], "yes" if r["enabled"] else "no", (r["last_run"] or "never")[:16],
                 r["status"] or "", str(r["items"] if r["items"] is not None else "")]
        table.add_row(*cells, *([r["label"]] if wide else []))
    out.print(table)


@app.command()
def analyse(
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Re-analyse every posting, not only changed ones.")] = False,
) -> None:
    """Re-extract requirements in the database.

    Only postings whose text or the extractor changed, unless --force.
    """
    from analysis.pipeline import analyse_db
    from medcoder.db import connect

    try:
        database = connect(db, create=False)
    except FileNotFoundError as exc:
        _fail(str(exc))
    with console.status("analysing…") as status:
        res = analyse_db(database, force=force, progress=lambda n, t: status.update(f"analysing {n}/{t}"))
    out.print(f"analysed {res.analysed} postings ({res.skipped} unchanged), {res.requirements} requirements")


@app.command()
def extract(
    files: Annotated[list[str], typer.Argument(help="Posting files (text or HTML); - for standard input.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, json or table.")] = "jsonl",
) -> None:
    """Extract requirements from posting files.

    One record per input, in input order (see docs/extract-format.md).
    """
    from medcoder.extract_cli import extract_records

    if fmt not in ("jsonl", "json", "table"):
        _fail(f"--format {fmt!r}: use jsonl, json or table")
    records = extract_records(files, stdin=sys.stdin)
    if fmt == "jsonl":
        for rec in records:
            out.print(json.dumps(rec, ensure_ascii=False), highlight=False, soft_wrap=True)
    elif fmt == "json":
        out.print(json.dumps(records, ensure_ascii=False, indent=2), highlight=False, soft_wrap=True)
    else:
        table = Table("input", "credentials", "code sets", "exp (yrs)", "education", "mode", "scope")
        for rec in records:
            creds = ", ".join(f"{c['id']}{'*' if c['level'] == 'required' else ''}" for c in rec["certifications"])
            table.add_row(rec["input"], creds, ", ".join(c["id"] for c in rec["code_sets"]),
                          str(rec["experience_years_min"] if rec["experience_years_min"] is not None else ""),
                          rec["education_min"] or "", rec["remote"] or "", rec["scope"])
        out.print(table)
        out.print("* required")
    if any(rec.get("error") for rec in records):
        raise typer.Exit(1)


@app.command()
def gap(
    profile: Annotated[Path, typer.Argument(help="Candidate profile TOML (see `medcoder profile init`).")],
    db: DbOption = None,
    country: Annotated[str | None, typer.Option("--country", help="IN or US (default: the profile's countries).")] = None,
    remote_only: Annotated[bool, typer.Option("--remote-only", help="Only remote postings.")] = False,
    since: Annotated[str | None, typer.Option("--since", help="Only postings from the last N days, e.g. 90d.")] = None,
    role_family: Annotated[str | None, typer.Option("--role-family", help="inpatient, outpatient, pro-fee, ed, risk-adjustment...")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Look at the postings open on this day (YYYY-MM-DD).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Your skills-gap report against the market.

    What you qualify for, what blocks the rest, and what to do next.
    """
    from analysis.gap import gap_report
    from analysis.profile import ProfileError, load_profile
    from analysis.report import FORMATS, render
    from medcoder.cli_reports import as_of_day
    from medcoder.db import connect

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    day = as_of_day(as_of)
    try:
        prof = load_profile(profile)
    except ProfileError as exc:
        _fail(str(exc))
    try:
        database = connect(db, create=False)
    except FileNotFoundError as exc:
        _fail(str(exc))
    report = gap_report(database, prof, country=country, remote_only=remote_only, since_days=_since_days(since), role_family=role_family,
                        as_of=day)
    text = render(report, fmt, profile_name=prof.name)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"report written to {output}")
    else:
        out.print(text, highlight=False, markup=False, soft_wrap=True)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Interface to bind; keep 127.0.0.1 unless you mean to publish.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8001,
) -> None:
    """Browse the database in Datasette.

    Read-only (no write plugins; SELECT-only SQL box, 3 s limit), robots
    blocked, bound to 127.0.0.1 unless --host says otherwise.
    """
    from medcoder.db import resolve_db_path
    from medcoder.serve import datasette_command

    path = resolve_db_path(db)
    if not path.exists():
        _fail(f"no database at {path} (run `medcoder demo` or `medcoder crawl` first)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]warning:[/yellow] serving on {host}: anyone who can reach this machine can browse the database")
    cmd = datasette_command(path, host=host, port=port)
    console.print(f"Datasette on http://{host}:{port}/ (Ctrl-C to stop)")
    if os.name == "posix":
        # Become Datasette: a service manager's or a user's SIGTERM then stops the server itself, not only
        # a parent that would leave it running.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(cmd[0], cmd)
    raise typer.Exit(subprocess.call(cmd))


@app.command("eval")
def evaluate_cmd(
    split: Annotated[str, typer.Option("--split", help="dev, held_out or both.")] = "both",
    show_errors: Annotated[bool, typer.Option("--errors", help="List each disagreement with the labels.")] = False,
) -> None:
    """Measure extraction accuracy on labels.

    Precision, recall and F1 per field on the labelled postings, for the
    tuning (dev) and held-apart parts.
    """
    from analysis.evaluate import evaluate, format_table, labelled_postings

    if split not in ("dev", "held_out", "both"):
        _fail(f"--split {split!r}: use dev, held_out or both")
    splits = ["dev", "held_out"] if split == "both" else [split]
    results = [evaluate(labelled_postings(), s) for s in splits]
    out.print(format_table(results), highlight=False)
    if show_errors:
        for res in results:
            for slug, name, missed, extra in res.errors:
                out.print(f"{res.split} {slug} {name}: missed {sorted(map(str, missed))} extra {sorted(map(str, extra))}", highlight=False)


@app.command()
def publish(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the bundle into (empty, or use --force).")],
    db: DbOption = None,
    name: Annotated[str, typer.Option("--name", help="Database name in the published site's URLs.")] = "medcoder",
    force: Annotated[bool, typer.Option("--force", help="Replace the folder's contents.")] = False,
) -> None:
    """Write a deployable Datasette bundle.

    The database (refused if it holds any table medcoder does not create, so
    no personal data), metadata, plugins, templates, pinned requirements and a
    README with the `datasette package` and `datasette publish` commands.
    """
    import shlex

    from medcoder.db import resolve_db_path
    from medcoder.publish import PublishError, build_bundle

    try:
        bundle = build_bundle(resolve_db_path(db), out_dir, name=name, force=force)
    except PublishError as exc:
        _fail(str(exc))
    out.print(f"bundle written to {bundle.folder}; deploy it from that folder with:", highlight=False, soft_wrap=True)
    out.print(shlex.join(bundle.publish_command), highlight=False, markup=False, soft_wrap=True)


@profile_app.command("check")
def profile_check(path: Annotated[Path, typer.Argument(help="Profile TOML to validate.")]) -> None:
    """Validate a candidate profile.

    Unknown names, typos and wrong types are reported with the line.
    """
    from analysis.profile import ProfileError, load_profile

    try:
        prof = load_profile(path)
    except ProfileError as exc:
        _fail(str(exc))
    out.print(f"{path}: ok ({len(prof.credentials)} credentials, {len(prof.code_sets)} code sets, "
              f"{prof.experience_years:g} years of experience)", highlight=False, soft_wrap=True)


@profile_app.command("init")
def profile_init(
    path: Annotated[Path, typer.Argument(help="Where to write the template.")] = Path("profile.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented profile template."""
    from analysis.profile import sample_profile_path

    if path.exists() and not force:
        _fail(f"{path} exists; use --force to overwrite it")
    path.write_text(sample_profile_path().read_text(encoding="utf-8"), encoding="utf-8")
    out.print(f"wrote {path}; edit it, then run `medcoder profile check {path}`")


# Commands kept in their own modules register on `app` when imported.
from medcoder import cli_extract, cli_ops, cli_reports  # noqa: E402,F401


def main() -> None:  # pragma: no cover - console-script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

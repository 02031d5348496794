"""Operations commands (status, backup, schedule, relay), registered on the main ``medcoder`` app.

Thin layers over :mod:`medcoder.status`, :mod:`medcoder.backup`,
:mod:`medcoder.schedule` and :mod:`medcoder.relay`; see docs/operations.md
and docs/scaling.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from medcoder.cli import DbOption, _fail, app, console, out

RegistryOption = Annotated[Path | None, typer.Option("--registry", help="Sources registry TOML (default: $MEDCODER_REGISTRY, else the shipped one).")]

def _say(text: str) -> None:
    """Print as is: paths, commands and source ids like "gh:b" are neither markup nor emoji codes."""
    out.print(text, highlight=False, markup=False, emoji=False, soft_wrap=True)


schedule_app = typer.Typer(help="Scheduled crawls with cron or a systemd timer.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")
relay_app = typer.Typer(help="Postings relayed through Redis by remote crawl workers.", no_args_is_help=True)
app.add_typer(relay_app, name="relay")


@app.command()
def status(
    db: DbOption = None,
    registry: RegistryOption = None,
    max_age: Annotated[str, typer.Option("--max-age", help="A source whose last good run is older is stale: 2d, 36h, 90m.")] = "2d",
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Health of each source, for people and monitoring.

    Last run per enabled registry source (status, postings kept, problems),
    freshness (age of the last good run) and failing checks. Exits 0 when
    every enabled source is healthy, 1 when any last run failed or is
    degraded or stale, 2 on a usage error.
    """
    from medcoder.registry import RegistryError, load_registry
    from medcoder.status import collect_status, format_age, parse_age

    if fmt not in ("table", "json"):
        _fail(f"--format {fmt!r}: use table or json", code=2)
    try:
        seconds = parse_age(max_age)
    except ValueError as exc:
        _fail(f"--max-age {exc}", code=2)
    try:
        entries = load_registry(registry)
        result = collect_status(entries, db, max_age=seconds)
    except (RegistryError, FileNotFoundError) as exc:
        _fail(str(exc), code=2)
    if fmt == "json":
        _say(json.dumps(result.as_dict(), indent=2))
    else:
        if result.crawl_running:
            _say(f"a crawl is running (pid {result.crawl_running['pid']} since {result.crawl_running['since']})")
        # Plain aligned columns rather than a box table: this output ends up in cron mail and logs, never wrapped.
        rows = [("source", "last run", "status", "kept", "problems", "fresh", "verdict")]
        for s in result.sources:
            verdict = ("ok" if s.healthy else s.problem) if s.in_registry else "not in the registry"
            rows.append((s.source_id, (s.last_run or "never").replace("+00:00", "Z"), s.status,
                         "" if s.items is None else str(s.items), "" if s.errors is None else str(s.errors),
                         format_age(s.age), verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for r in rows:
            _say("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        for s in result.sources:
            for c in s.checks:
                _say(f"{s.source_id}: {c['check']} {c['status']}: {c['detail']}")
        out.print("healthy" if result.healthy else "unhealthy", highlight=False)
    if not result.healthy:
        raise typer.Exit(1)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="Backup file, or a folder for a time-stamped file.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing backup file.")] = False,
) -> None:
    """Write a consistent copy of the database.

    Uses SQLite's backup API: crawls and Datasette go on while it copies,
    and the copy is checked before it replaces DEST.
    """
    from medcoder.backup import BackupError, backup_database

    try:
        result = backup_database(db, dest, overwrite=force)
    except BackupError as exc:
        _fail(str(exc))
    counts = ", ".join(f"{n} {t}" for t, n in result.tables.items())
    _say(f"backup written to {result.path} ({result.size / 1e6:.1f} MB; {counts})")


@schedule_app.command("install")
def schedule_install(
    every: Annotated[str, typer.Option("--every", help="6h, 12h, daily or weekly (Mondays).")] = "daily",
    at: Annotated[str | None, typer.Option("--at", help="Local start time HH:MM (default 03:30); 6h/12h repeat from it.")] = None,
    method: Annotated[str | None, typer.Option("--method", help="cron or systemd (default: cron if crontab exists, else systemd).")] = None,
    print_only: Annotated[bool, typer.Option("--print", help="Show exactly what would be installed, and install nothing.")] = False,
    db: DbOption = None,
    registry: RegistryOption = None,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", help="Run logs (default: logs/ beside the database).")] = None,
    notify_command: Annotated[str | None, typer.Option("--notify-command", help="Pass to the crawl: a command to run when a run fails or degrades.")] = None,
    env_file: Annotated[Path | None, typer.Option("--env-file", help="KEY=VALUE file loaded before each crawl (SMTP settings, API keys).")] = None,
) -> None:
    """Install a scheduled crawl of the database.

    One schedule per database; installing again replaces it.
    """
    from medcoder.schedule import Schedule, ScheduleError, detect_method, install

    try:
        sched = Schedule.make(every, at, db=db, log_dir=log_dir, registry=registry, notify_command=notify_command,
                              env_file=env_file)
        if method not in (None, "cron", "systemd"):
            raise ScheduleError(f"--method {method!r}: use cron or systemd")
        if print_only:
            _say(sched.describe(method or _method_for_print()))
            return
        result = install(sched, method or detect_method())
    except ScheduleError as exc:
        _fail(str(exc))
    _say(f"installed ({result.method}): {result.detail}")
    out.print(f"next run: {sched.next_run(datetime.now()):%Y-%m-%d %H:%M}", highlight=False)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


def _method_for_print() -> str:
    from medcoder.schedule import ScheduleError, detect_method

    try:
        return detect_method()
    except ScheduleError:
        return "cron"  # --print still shows the line to paste into a crontab by hand


@schedule_app.command("status")
def schedule_status_cmd(
    db: DbOption = None,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", help="Run logs (default: logs/ beside the database).")] = None,
) -> None:
    """Show the schedule, its next run and the last run."""
    from medcoder.schedule import ScheduleError, schedule_status

    try:
        st = schedule_status(db, log_dir)
    except ScheduleError as exc:
        _fail(str(exc))
    if st.method is None:
        out.print("not scheduled (see `medcoder schedule install --help`)", highlight=False)
    else:
        _say(f"scheduled with {st.method}: {st.entry}")
        out.print(f"next run: {st.next_run or 'unknown'}", highlight=False)
    _say(f"last run: {st.last_run or 'none logged'}" + (f" ({st.last_log})" if st.last_log else ""))


@schedule_app.command("remove")
def schedule_remove(
    db: DbOption = None,
    method: Annotated[str | None, typer.Option("--method", help="cron or systemd (default: both).")] = None,
) -> None:
    """Remove the database's scheduled crawl."""
    from medcoder.schedule import ScheduleError, remove

    if method not in (None, "cron", "systemd"):
        _fail(f"--method {method!r}: use cron or systemd")
    try:
        removed = remove(db, method)
    except ScheduleError as exc:
        _fail(str(exc))
    if not removed:
        out.print("nothing to remove: this database is not scheduled", highlight=False)
    for line in removed:
        _say(f"removed {line}")


@relay_app.command("drain")
def relay_drain(
    crawl: Annotated[str, typer.Option("--crawl", help="The crawl's name: MEDCODER_REDIS_CRAWL of its workers.")],
    redis_url: Annotated[str, typer.Option("--redis-url", envvar="MEDCODER_REDIS_URL", help="Redis the workers push to (default: $MEDCODER_REDIS_URL).")],
    db: DbOption = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source (default: every source of the crawl).")] = None,
    until_idle: Annotated[float, typer.Option("--until-idle", help="Stop once nothing came for this many seconds (default 0: when Redis is empty).")] = 0.0,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Messages stored per transaction.")] = 100,
) -> None:
    """Store a relayed crawl's postings and runs in the database.

    Workers started with -s MEDCODER_REDIS_RELAY=1 push each posting and their
    run records to Redis; this writes them through the store pipeline's own
    code, one transaction per batch, so this machine is the only writer. A
    drain killed mid-batch loses nothing: the next one stores the batch again.
    A message that cannot be stored is reported, kept on the list's
    ":rejected" twin and skipped; the exit code is then 1.
    """
    import sqlite3

    from medcoder.db import resolve_db_path
    from medcoder.relay import DrainRunning, RelayError, drain

    def rejected(r):
        console.print(f"[yellow]rejected:[/yellow] {r}", highlight=False, markup=True, emoji=False, soft_wrap=True)

    try:
        result = drain(db, redis_url=redis_url, crawl=crawl, source=source, until_idle=until_idle, batch_size=batch,
                       on_rejected=rejected)
    except DrainRunning as exc:  # exit 2, as for a second `medcoder crawl` on one database
        _fail(str(exc), code=2)
    except RelayError as exc:
        _fail(str(exc))
    except sqlite3.DatabaseError as exc:  # disk full, read-only, locked: the batch stays in Redis for the next drain
        _fail(f"cannot write to the database {resolve_db_path(db)} ({exc}); what was not stored stays in Redis")
    _say(f"drained {result.messages} messages: {result.kept} postings kept, {result.filtered} filtered, "
         f"{result.runs_finished} runs finished, {len(result.rejected)} rejected")
    if result.rejected:
        raise typer.Exit(1)

"""``medcoder schedule``: run ``medcoder crawl`` unattended from cron or a systemd user timer.

The installed job runs this virtual environment's ``medcoder`` by absolute
path with ``crawl --db <absolute database path>``, so it does not depend on
the scheduler's PATH or working folder. Its output is appended to
``<log dir>/scheduled.log`` (cron) or the journal (systemd); each run also
writes its own rotated run log in the log folder (:mod:`medcoder.runlog`).

One schedule per database: installing again replaces it. Cron entries are
recognised by a trailing shell comment ``# medcoder-schedule db=<path>``;
systemd units are named ``medcoder-crawl-<hash of the path>``.

Which scheduler: cron when a ``crontab`` command exists (it runs whether or
not you are logged in), else systemd user timers when ``systemctl --user``
answers (they run while you are logged in, or always after ``loginctl
enable-linger``). ``--method`` chooses explicitly.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from medcoder.db import resolve_db_path
from medcoder.runlog import default_log_dir

EVERY = {"6h": 6, "12h": 12, "daily": 24, "weekly": 168}
DEFAULT_AT = "03:30"  # off the hour: many jobs start at :00
MARKER = "# medcoder-schedule db="
METHODS = ("cron", "systemd")


class ScheduleError(RuntimeError):
    """A schedule could not be read, installed or removed (the message says why)."""


def parse_at(at: str) -> tuple[int, int]:
    """``HH:MM`` as (hour, minute)."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if not m:
        raise ScheduleError(f"--at {at!r}: use HH:MM, e.g. 03:30")
    return int(m.group(1)), int(m.group(2))


def medcoder_command() -> list[str]:
    """This environment's ``medcoder``: the console script beside the running Python, else ``python -m medcoder``.

    ``sys.executable`` is not resolved: in a virtual environment it is the
    venv's own ``bin/python``, and resolving the symlink would escape the venv.
    """
    script = Path(sys.executable).parent / "medcoder"
    if script.exists():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "medcoder"]


@dataclass
class Schedule:
    """When and what: ``every`` (6h, 12h, daily, weekly; weekly runs on Mondays) at ``at`` local time."""

    every: str
    at: str
    db: Path  # absolute
    log_dir: Path  # absolute
    extra_args: list[str] = field(default_factory=list)  # after `crawl --db DB --log-dir DIR`
    env_file: Path | None = None  # KEY=VALUE lines loaded before the crawl (SMTP password, API keys)

    @classmethod
    def make(cls, every: str, at: str | None = None, *, db=None, log_dir=None, registry=None,
             notify_command: str | None = None, env_file=None) -> Schedule:
        """A validated schedule with absolute paths."""
        if every not in EVERY:
            raise ScheduleError(f"--every {every!r}: use one of {', '.join(EVERY)}")
        at = at or DEFAULT_AT
        parse_at(at)
        db_path = resolve_db_path(db).absolute()
        extra = []
        if registry:
            extra += ["--registry", str(Path(registry).absolute())]
        if notify_command:
            extra += ["--notify-command", notify_command]
        if env_file:
            env_file = Path(env_file).absolute()
            if not env_file.is_file():
                raise ScheduleError(f"--env-file {env_file}: no such file")
        return cls(every, at, db_path, Path(log_dir).absolute() if log_dir else default_log_dir(db_path), extra,
                   env_file)

    @property
    def argv(self) -> list[str]:
        """The command the scheduler runs."""
        return [*medcoder_command(), "crawl", "--db", str(self.db), "--log-dir", str(self.log_dir), *self.extra_args]

    def hours(self) -> list[int]:
        """The hours of the day the job starts at (every day, or Mondays for weekly)."""
        hour, _ = parse_at(self.at)
        step = min(EVERY[self.every], 24)
        return sorted({(hour + k * step) % 24 for k in range(24 // step)})

    def next_run(self, now: datetime) -> datetime:
        """The first start after ``now`` (naive local time, as the schedulers count it)."""
        _, minute = parse_at(self.at)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(8):
            date = day + timedelta(days=offset)
            if self.every == "weekly" and date.weekday() != 0:
                continue
            for hour in self.hours():
                candidate = date.replace(hour=hour, minute=minute)
                if candidate > now:
                    return candidate
        raise AssertionError("unreachable: every schedule fires within a week")

    # -- cron ---------------------------------------------------------------------------------------

    def cron_line(self) -> str:
        """The crontab line: fields, the command (``%`` escaped, as cron demands), output to scheduled.log, the marker."""
        _, minute = parse_at(self.at)
        dow = "1" if self.every == "weekly" else "*"
        command = shlex.join(self.argv)
        if self.env_file:
            command = f"set -a; . {shlex.quote(str(self.env_file))}; set +a; exec {command}"
        log = shlex.quote(str(self.log_dir / "scheduled.log"))
        command = f"mkdir -p {shlex.quote(str(self.log_dir))} && {{ {command}; }} >> {log} 2>&1"
        return f"{minute} {','.join(map(str, self.hours()))} * * {dow} {command.replace('%', chr(92) + '%')} {MARKER}{self.db}"

    # -- systemd ------------------------------------------------------------------------------------

    @property
    def unit_name(self) -> str:
        return "medcoder-crawl-" + hashlib.sha1(str(self.db).encode("utf-8")).hexdigest()[:10]

    def on_calendar(self) -> str:
        hour, minute = parse_at(self.at)
        hours = ",".join(f"{h:02d}" for h in self.hours())
        day = "Mon " if self.every == "weekly" else ""
        return f"{day}*-*-* {hours}:{minute:02d}:00"

    def systemd_units(self) -> dict[str, str]:
        """``{file name: content}`` of the service and timer units."""
        env_line = f"EnvironmentFile={_systemd_quote(str(self.env_file))}\n" if self.env_file else ""
        service = (
            f"# Installed by `medcoder schedule install`; remove with `medcoder schedule remove --db {self.db}`.\n"
            f"[Unit]\nDescription=medcoder crawl of {self.db}\n\n"
            f"[Service]\nType=oneshot\nWorkingDirectory={_systemd_quote(str(self.db.parent))}\n{env_line}"
            f"ExecStartPre=/bin/mkdir -p {_systemd_quote(str(self.log_dir))}\n"
            f"ExecStart={' '.join(_systemd_quote(a) for a in self.argv)}\n"
        )
        timer = (
            f"# Installed by `medcoder schedule install`.\n"
            f"[Unit]\nDescription=medcoder crawl of {self.db}, {self.every} at {self.at}\n\n"
            # Persistent: a run missed while the machine was off starts at the next boot.
            f"[Timer]\nOnCalendar={self.on_calendar()}\nPersistent=true\nUnit={self.unit_name}.service\n\n"
            f"[Install]\nWantedBy=timers.target\n"
        )
        return {f"{self.unit_name}.service": service, f"{self.unit_name}.timer": timer}

    def describe(self, method: str) -> str:
        """Exactly what would be installed, for ``--print``."""
        if method == "cron":
            return f"# crontab line ({crontab_command() or 'crontab'}):\n{self.cron_line()}\n"
        folder = systemd_user_dir()
        parts = [f"# {folder / name}\n{text}" for name, text in self.systemd_units().items()]
        parts.append(f"# then: systemctl --user daemon-reload && systemctl --user enable --now {self.unit_name}.timer\n")
        return "\n".join(parts)


def _systemd_quote(arg: str) -> str:
    """Quote one ExecStart argument for systemd (its own rules: double quotes, ``%%`` and ``$$``)."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- detecting and talking to the schedulers --------------------------------------------------------------


def crontab_command() -> str | None:
    """The ``crontab`` executable on PATH, if any."""
    return shutil.which("crontab")


def systemd_user_available() -> bool:
    """True when ``systemctl --user`` reaches a running user manager."""
    if not shutil.which("systemctl"):
        return False
    try:
        proc = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def detect_method() -> str:
    """cron when ``crontab`` exists, else systemd when its user manager answers; ScheduleError when neither."""
    if crontab_command():
        return "cron"
    if systemd_user_available():
        return "systemd"
    raise ScheduleError("neither crontab nor a systemd user manager (systemctl --user) is available; "
                        "install cron, or use --print and set the job up by hand")


def systemd_user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def read_crontab() -> str:
    """The user's crontab ('' when there is none)."""
    cmd = crontab_command()
    if not cmd:
        raise ScheduleError("no crontab command on PATH")
    proc = subprocess.run([cmd, "-l"], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        if "no crontab" in (proc.stderr + proc.stdout).lower():
            return ""
        raise ScheduleError(f"crontab -l failed: {proc.stderr.strip()}")
    return proc.stdout


def write_crontab(text: str) -> None:
    """Replace the user's crontab with ``text``."""
    proc = subprocess.run([crontab_command() or "crontab", "-"], input=text, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise ScheduleError(f"crontab - failed: {proc.stderr.strip()}")


def _without_db(lines: list[str], db: Path) -> tuple[list[str], list[str]]:
    mark = f"{MARKER}{db}"
    kept = [line for line in lines if not line.rstrip().endswith(mark)]
    gone = [line for line in lines if line.rstrip().endswith(mark)]
    return kept, gone


def _systemctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=60)


@dataclass
class Installed:
    method: str
    detail: str  # the cron line, or the unit files written
    warnings: list[str] = field(default_factory=list)


def install(schedule: Schedule, method: str | None = None) -> Installed:
    """Install ``schedule`` (replacing this database's existing one) with cron or systemd."""
    method = method or detect_method()
    if method == "cron":
        lines, _ = _without_db(read_crontab().splitlines(), schedule.db)
        line = schedule.cron_line()
        write_crontab("\n".join([*lines, line]) + "\n")
        return Installed("cron", line)
    if method != "systemd":
        raise ScheduleError(f"--method {method!r}: use cron or systemd")
    folder = systemd_user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in schedule.systemd_units().items():
        (folder / name).write_text(text, encoding="utf-8")
    for args in (("daemon-reload",), ("enable", "--now", f"{schedule.unit_name}.timer")):
        proc = _systemctl(*args)
        if proc.returncode != 0:
            raise ScheduleError(f"systemctl --user {' '.join(args)} failed: {proc.stderr.strip()}")
    warnings = []
    linger = subprocess.run(["loginctl", "show-user", os.environ.get("USER", ""), "--property=Linger"],
                            capture_output=True, text=True) if shutil.which("loginctl") else None
    if linger is not None and linger.stdout.strip() == "Linger=no":
        warnings.append("user timers stop when you log out: run `loginctl enable-linger` to keep them running")
    return Installed("systemd", str(folder / f"{schedule.unit_name}.timer"), warnings)


def remove(db=None, method: str | None = None) -> list[str]:
    """Remove this database's schedule from cron and/or systemd; return what was removed."""
    db_path = resolve_db_path(db).absolute()
    removed: list[str] = []
    if method in (None, "cron") and crontab_command():
        lines, gone = _without_db(read_crontab().splitlines(), db_path)
        if gone:
            write_crontab("\n".join(lines) + "\n" if lines else "")
            removed += [f"crontab: {line}" for line in gone]
    if method in (None, "systemd"):
        name = Schedule("daily", DEFAULT_AT, db_path, db_path.parent).unit_name
        folder = systemd_user_dir()
        units = [folder / f"{name}.timer", folder / f"{name}.service"]
        if any(u.exists() for u in units):
            if systemd_user_available():
                _systemctl("disable", "--now", f"{name}.timer")
            for unit in units:
                if unit.exists():
                    unit.unlink()
                    removed.append(f"systemd: {unit}")
            if systemd_user_available():
                _systemctl("daemon-reload")
    return removed


@dataclass
class ScheduleStatus:
    method: str | None  # None: not scheduled
    entry: str | None  # the cron line or the timer unit path
    next_run: str | None
    last_run: str | None  # the latest run log in the log folder
    last_log: str | None


_CRON_FIELDS = re.compile(r"^(\d+) ([\d,]+) \* \* ([\d*]) ")


def schedule_status(db=None, log_dir=None, now: datetime | None = None) -> ScheduleStatus:
    """Where this database's schedule is installed, its next start, and its latest run log."""
    from medcoder.runlog import run_logs

    db_path = resolve_db_path(db).absolute()
    now = now or datetime.now()
    method = entry = next_run = None
    if crontab_command():
        _, mine = _without_db(read_crontab().splitlines(), db_path)
        if mine:
            method, entry = "cron", mine[-1]
            m = _CRON_FIELDS.match(entry)
            if m:
                hours = [int(h) for h in m.group(2).split(",")]
                every = "weekly" if m.group(3) != "*" else {1: "daily", 2: "12h", 4: "6h"}.get(len(hours), "daily")
                sched = Schedule(every, f"{hours[0]:02d}:{int(m.group(1)):02d}", db_path, db_path.parent)
                next_run = sched.next_run(now).isoformat(sep=" ", timespec="minutes")
    if method is None:
        name = Schedule("daily", DEFAULT_AT, db_path, db_path.parent).unit_name
        timer = systemd_user_dir() / f"{name}.timer"
        if timer.exists():
            method, entry = "systemd", str(timer)
            if systemd_user_available():
                proc = _systemctl("show", f"{name}.timer", "--property=NextElapseUSecRealtime", "--value")
                next_run = proc.stdout.strip() or None
    logs = run_logs(Path(log_dir) if log_dir else default_log_dir(db_path))
    last_log = str(logs[-1]) if logs else None
    last_run = None
    if logs:
        stamp = re.match(r"crawl-(\d{8}T\d{6})", logs[-1].name).group(1)
        last_run = datetime.strptime(stamp, "%Y%m%dT%H%M%S").strftime("%Y-%m-%d %H:%M:%S UTC")
    return ScheduleStatus(method, entry, next_run, last_run, last_log)

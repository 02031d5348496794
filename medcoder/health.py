"""Run health: checks over a crawl run's stats and the database; a run with a failing check is *degraded*.

A crawl can end "ok" and still be wrong: a board that suddenly lists
nothing, an API that answers with empty descriptions, a site that starts
failing half its requests. Each check compares the run with the source's
own recent runs and says ``ok``, ``warn`` or ``fail``; results are stored in
``run_checks`` and the worst one in ``crawl_runs.health``.

Two moments:

* when the spider closes (Spidermon runs :func:`evaluate_run` through the
  suite in :mod:`medcoder.monitors`, declared in ``crawlers/settings.py``),
  *before* the crawl-run recorder decides whether the run may close
  postings: a failing check marks the crawl incomplete, so an empty or
  garbage run never closes a source's postings;
* after the analysis stage of ``medcoder crawl`` (:func:`evaluate_after_analysis`),
  for what only extraction knows: the share of postings with any requirement.

Baselines are the source's last few finished runs (``ok`` or ``partial``),
whatever their health: a board that is really empty three runs in a row
becomes the new normal (the median goes to zero) and its postings close,
instead of the source staying degraded for ever.

Thresholds are :class:`Thresholds` fields, overridable as Scrapy settings
``MEDCODER_HEALTH_<FIELD>`` (e.g. ``-s MEDCODER_HEALTH_ERROR_RATE_FAIL=0.3``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

import sqlite_utils

from medcoder.db import utcnow

OK, WARN, FAIL = "ok", "warn", "fail"
_RANK = {OK: 0, WARN: 1, FAIL: 2}
# Runs that finished and stored what they found: the baselines of later runs.
BASELINE_STATUSES = ("ok", "partial")


@dataclass(frozen=True)
class Check:
    """One check's verdict on one run: ``status`` ok/warn/fail, a sentence for people, the measured value."""

    check: str
    status: str
    detail: str
    value: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """When a measurement warns or fails."""

    history_runs: int = 5  # baseline: the median over this many previous finished runs
    collapse_warn: float = 0.8  # a share below 80% of its usual level warns...
    collapse_fail: float = 0.5  # ...below half of it fails
    min_baseline_share: float = 0.2  # a share that was already this low is not judged
    error_rate_warn: float = 0.1  # problems per request
    error_rate_fail: float = 0.5
    min_errors_to_fail: int = 5  # one broken job among two requests is not an outage
    retry_rate_warn: float = 0.2  # retries per request
    retry_rate_fail: float = 0.5
    min_retries_to_fail: int = 5

    @classmethod
    def from_settings(cls, get: Callable[[str], object]) -> Thresholds:
        """Thresholds with overrides from ``get("MEDCODER_HEALTH_<FIELD>")`` (e.g. Scrapy's ``settings.get``)."""
        values = {}
        for f in fields(cls):
            raw = get(f"MEDCODER_HEALTH_{f.name.upper()}")
            if raw not in (None, ""):
                values[f.name] = type(f.default)(raw)
        return cls(**values)


def worst(statuses: Iterable[str]) -> str | None:
    """The worst of ok/warn/fail (None for no statuses)."""
    ranked = sorted(statuses, key=_RANK.__getitem__)
    return ranked[-1] if ranked else None


def effective_status(status: str | None, health: str | None) -> str | None:
    """The status to show: ``degraded`` for a run that finished but failed a health check."""
    if status in BASELINE_STATUSES and health == FAIL:
        return "degraded"
    return status


def _pct(x: float) -> str:
    return f"{x:.0%}"


# -- the checks: pure functions of numbers ------------------------------------------------------------


def check_items(kept: int, history: list[int]) -> Check:
    """Zero postings kept from a source whose recent runs usually kept some fails."""
    if kept > 0:
        return Check("items", OK, f"{kept} postings kept", kept)
    if not history:
        return Check("items", OK, "no postings kept (no earlier run to compare with)", kept)
    usual = statistics.median(history)
    if usual > 0:
        return Check("items", FAIL, f"no postings kept; the last {len(history)} runs kept {usual:g} (median)", kept)
    return Check("items", OK, "no postings kept, as usual for this source", kept)


def check_share(name: str, what: str, with_it: int, total: int, history: list[float], th: Thresholds) -> Check:
    """A collapse of a share (postings with a description, with a requirement) against its usual level."""
    if total == 0:
        return Check(name, OK, "no postings in this run to measure", None)
    share = with_it / total
    label = f"{_pct(share)} of {total} postings {what}"
    if not history:
        return Check(name, OK, f"{label} (first measurement)", share)
    usual = statistics.median(history)
    if usual < th.min_baseline_share:
        return Check(name, OK, f"{label} (usually {_pct(usual)}: too low to judge)", share)
    ratio = share / usual
    status = FAIL if ratio < th.collapse_fail else WARN if ratio < th.collapse_warn else OK
    return Check(name, status, f"{label}, usually {_pct(usual)}", share)


def check_error_rate(errors: int, requests: int, th: Thresholds) -> Check:
    """Problems (broken pages, errors, spider exceptions) per request."""
    if not errors:
        return Check("error_rate", OK, f"no problems in {requests} requests", 0.0)
    rate = errors / max(requests, 1)
    detail = f"{errors} problems in {requests} requests ({_pct(rate)})"
    if rate >= th.error_rate_fail and errors >= th.min_errors_to_fail:
        return Check("error_rate", FAIL, detail, rate)
    return Check("error_rate", WARN if rate >= th.error_rate_warn else OK, detail, rate)


def check_retries(retries: int, gave_up: int, requests: int, th: Thresholds) -> Check:
    """Retried requests per request, and requests given up after every retry."""
    rate = retries / max(requests, 1)
    detail = f"{retries} retries in {requests} requests" + (f", {gave_up} given up" if gave_up else "")
    if rate >= th.retry_rate_fail and retries >= th.min_retries_to_fail:
        return Check("retries", FAIL, detail, rate)
    if gave_up or rate >= th.retry_rate_warn:
        return Check("retries", WARN, detail, rate)
    return Check("retries", OK, detail, rate)


def check_board_gone(http_status: int | None) -> Check:
    """The board itself answered 404/410: the employer closed or moved it."""
    if http_status:
        return Check("board_gone", FAIL, f"the board answered {http_status}: fix or disable the registry entry", http_status)
    return Check("board_gone", OK, "board reachable", None)


# -- the database side ----------------------------------------------------------------------------------


def items_history(db: sqlite_utils.Database, source_id: str, before_run: int, n: int) -> list[int]:
    """Postings kept by the source's last ``n`` finished runs before ``before_run``."""
    marks = ",".join("?" * len(BASELINE_STATUSES))
    rows = db.execute(
        f"select coalesce(items_kept, 0) from crawl_runs where source_id = ? and id < ? and status in ({marks}) "
        "order by id desc limit ?", [source_id, before_run, *BASELINE_STATUSES, n]).fetchall()
    return [r[0] for r in rows]


def value_history(db: sqlite_utils.Database, source_id: str, check: str, before_run: int, n: int) -> list[float]:
    """A check's measured values on the source's last ``n`` finished runs before ``before_run``."""
    marks = ",".join("?" * len(BASELINE_STATUSES))
    rows = db.execute(
        f"""select c.value from run_checks c join crawl_runs r on r.id = c.crawl_run_id
            where r.source_id = ? and r.id < ? and r.status in ({marks}) and c.[check] = ? and c.value is not null
            order by r.id desc limit ?""", [source_id, before_run, *BASELINE_STATUSES, check, n]).fetchall()
    return [r[0] for r in rows]


def run_counts(db: sqlite_utils.Database, run_id: int) -> tuple[int, int, int]:
    """(postings, with a description, with any requirement) among the postings this run stored."""
    return tuple(db.execute(
        """select count(*),
                  coalesce(sum(length(trim(coalesce(description, ''))) > 0), 0),
                  coalesce(sum(exists(select 1 from posting_requirements q where q.posting_id = p.id)), 0)
           from postings p where last_crawl_run_id = ?""", [run_id]).fetchone())


def evaluate_run(db: sqlite_utils.Database, source_id: str, run_id: int, stats: dict, errors: int,
                 th: Thresholds | None = None) -> list[Check]:
    """The checks a spider's own run can answer, from its Scrapy ``stats`` and what it stored.

    ``errors`` is the run's problem count as the crawl-run recorder counts it.
    """
    th = th or Thresholds()
    total, described, _ = run_counts(db, run_id)
    requests = int(stats.get("downloader/request_count", 0))
    return [
        check_items(int(stats.get("medcoder/stored/kept", 0)), items_history(db, source_id, run_id, th.history_runs)),
        check_share("description_share", "have a description", described, total,
                    value_history(db, source_id, "description_share", run_id, th.history_runs), th),
        check_error_rate(errors, requests, th),
        check_retries(int(stats.get("retry/count", 0)), int(stats.get("retry/max_reached", 0)), requests, th),
        check_board_gone(stats.get("medcoder/board_gone")),
    ]


def evaluate_after_analysis(db: sqlite_utils.Database, run_id: int, th: Thresholds | None = None) -> list[Check]:
    """The checks that need extracted requirements: run after the analysis stage."""
    th = th or Thresholds()
    row = db.execute("select source_id from crawl_runs where id = ?", [run_id]).fetchone()
    if row is None:
        return []
    total, _, with_reqs = run_counts(db, run_id)
    history = value_history(db, row[0], "requirement_share", run_id, th.history_runs)
    return [check_share("requirement_share", "have an extracted requirement", with_reqs, total, history, th)]


def record_checks(db: sqlite_utils.Database, run_id: int, checks: list[Check], at: str | None = None) -> str | None:
    """Store ``checks`` for run ``run_id`` (replacing earlier verdicts of the same checks) and return the run's health.

    The health, the worst check of the run, is also written to ``crawl_runs.health``.
    """
    at = at or utcnow()
    with db.conn:
        for c in checks:
            db.execute("delete from run_checks where crawl_run_id = ? and [check] = ?", [run_id, c.check])
        db["run_checks"].insert_all(
            {"crawl_run_id": run_id, "check": c.check, "status": c.status, "detail": c.detail, "value": c.value, "at": at}
            for c in checks)
        health = worst(r[0] for r in db.execute("select status from run_checks where crawl_run_id = ?", [run_id]))
        db.execute("update crawl_runs set health = ? where id = ?", [health, run_id])
    return health


def failing_checks(db: sqlite_utils.Database, run_id: int) -> list[Check]:
    """The run's checks that warn or fail, worst first."""
    rows = db.execute("select [check], status, detail, value from run_checks where crawl_run_id = ? and status != 'ok' "
                      "order by status = 'fail' desc, id", [run_id]).fetchall()
    return [Check(*r) for r in rows]

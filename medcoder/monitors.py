"""Spidermon monitors for medcoder's run-health checks, declared in ``crawlers/settings.py``.

The checks themselves are plain functions in :mod:`medcoder.health`; this
module runs them as a Spidermon suite when a spider closes, so each shows
up as a Spidermon monitor (PASS/FAIL in the crawl log, and any Spidermon
action a user adds: Slack, e-mail, Sentry...). Its finishing action stores
the verdicts in ``run_checks`` and, when one fails, marks the crawl
incomplete so the crawl-run recorder (which runs after Spidermon: see the
``EXTENSIONS`` order) closes no posting.

A warning is not a Spidermon failure: it is stored, shown by
``medcoder status``, and the monitor passes.
"""

from __future__ import annotations

import warnings

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action

from crawlers.extensions.crawl_runs import ERROR_STATS
from crawlers.spiders.base import INCOMPLETE_STAT, MISSING_CREDENTIALS_REASON
from medcoder.db import connect
from medcoder.health import FAIL, Check, Thresholds, evaluate_run, record_checks

# Spidermon 1.27 still logs through the deprecated Spider.log(); the warning would repeat in every crawl log.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", category=ScrapyDeprecationWarning)

HEALTH_STAT = "medcoder/health"
FAILED_STAT = "medcoder/health/failed"


def run_checks_for(crawler) -> list[Check]:
    """The health checks of this crawler's run, evaluated once and kept on the crawler.

    Empty when there is nothing to judge: no recorded run, or a run skipped
    for a missing API key.
    """
    cached = getattr(crawler, "medcoder_health_checks", None)
    if cached is not None:
        return cached
    checks: list[Check] = []
    run_id = getattr(crawler, "medcoder_run_id", None)
    stats = crawler.stats.get_stats()
    if run_id is not None and stats.get("finish_reason") != MISSING_CREDENTIALS_REASON:
        spider = crawler.spider
        source_id = getattr(spider, "source_id", None) or spider.name
        errors = sum(int(stats.get(k, 0)) for k in ERROR_STATS)
        db = connect(crawler.settings.get("MEDCODER_DB"))
        try:
            checks = evaluate_run(db, source_id, run_id, stats, errors, Thresholds.from_settings(crawler.settings.get))
        finally:
            db.conn.close()
    crawler.medcoder_health_checks = checks
    return checks


@monitors.name("medcoder run health")
class RunHealthMonitor(Monitor):
    """medcoder's run-health checks (medcoder.health); a failed check means a degraded run."""

    def _assert_not_failed(self, name: str) -> None:
        check = next((c for c in run_checks_for(self.data.crawler) if c.check == name), None)
        if check is None:
            self.skipTest("not evaluated for this run")
        self.assertNotEqual(check.status, FAIL, msg=check.detail)

    @monitors.name("postings kept, when the source usually has some")
    def test_items(self):
        self._assert_not_failed("items")

    @monitors.name("share of postings with a description")
    def test_description_share(self):
        self._assert_not_failed("description_share")

    @monitors.name("problems per request")
    def test_error_rate(self):
        self._assert_not_failed("error_rate")

    @monitors.name("retries per request")
    def test_retries(self):
        self._assert_not_failed("retries")

    @monitors.name("board still exists")
    def test_board_gone(self):
        self._assert_not_failed("board_gone")


class RecordRunHealth(Action):
    """Store the verdicts in run_checks; on a failure, keep the run from closing postings."""

    def run_action(self):
        crawler = self.data.crawler
        checks = run_checks_for(crawler)
        if not checks:
            return
        db = connect(crawler.settings.get("MEDCODER_DB"))
        try:
            health = record_checks(db, crawler.medcoder_run_id, checks)
        finally:
            db.conn.close()
        crawler.stats.set_value(HEALTH_STAT, health)
        failed = [c.check for c in checks if c.status == FAIL]
        if failed:
            crawler.stats.set_value(FAILED_STAT, ",".join(failed))
            if not crawler.stats.get_value(INCOMPLETE_STAT):
                crawler.stats.set_value(INCOMPLETE_STAT, "health checks failed: " + ", ".join(failed))
            crawler.spider.logger.warning("degraded run: %s", "; ".join(f"{c.check}: {c.detail}" for c in checks if c.status == FAIL))


class RunHealthSuite(MonitorSuite):
    """The suite ``SPIDERMON_SPIDER_CLOSE_MONITORS`` names."""

    monitors = [RunHealthMonitor]
    monitors_finished_actions = [RecordRunHealth]

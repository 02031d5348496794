"""Distributed crawls on scrapy-redis: several processes or machines split one crawl of a source.

Every process of a distributed crawl runs the same spider with the same
arguments against the same database, and two settings::

    medcoder crawl --spider demo_board -a url=... \\
        -s MEDCODER_REDIS_URL=redis://10.0.0.5:6379/0 -s MEDCODER_REDIS_CRAWL=2026-11-28

:class:`DistributedCrawlAddon` (declared in ``ADDONS``) turns those two
settings into the scrapy-redis overlay of :func:`distributed_settings`: one
shared request queue and one shared dupe filter in Redis, under keys named
after the crawl and the source, so every page is fetched by exactly one
process and every posting reaches the database once, through the usual
pipelines. Without ``MEDCODER_REDIS_URL`` the add-on does nothing and the
crawl is an ordinary single-process one.

Scrapy-redis is an optional dependency: ``pip install 'medcoder[distributed]'``.
Only its scheduler and dupe filter are used, not ``RedisSpider``: medcoder's
spiders keep their own ``start()``, and the first process to schedule the
start request fetches it while the shared dupe filter drops the others'
copies (:class:`ShareStartRequests`).

One process of a distributed crawl sees only part of the source, so
:class:`DistributedCrawlExtension` marks its run incomplete: no process ever
closes postings another process stored (see ``crawlers/extensions/crawl_runs.py``).

A worker on a machine without the database adds ``-s MEDCODER_REDIS_RELAY=1``:
it still cleans and judges each posting, then hands it to Redis
(:class:`crawlers.pipelines.relay.RelayPipeline` instead of the store
pipeline), and its run record goes the same way (:class:`RelayRunReporter`
instead of the crawl-run recorder). It never opens a database; one writer on
the database machine stores everything (``medcoder relay drain``, :mod:`medcoder.relay`).
"""

from __future__ import annotations

import os
import re
import socket
import time

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawlers.spiders.base import INCOMPLETE_STAT

REDIS_URL_SETTING = "MEDCODER_REDIS_URL"
CRAWL_SETTING = "MEDCODER_REDIS_CRAWL"
#: true on a worker without the database: postings and the run record go to Redis for ``medcoder relay drain``
RELAY_SETTING = "MEDCODER_REDIS_RELAY"
#: seconds an idle process keeps polling the shared queue for work other processes add, before it closes
IDLE_WAIT_SETTING = "MEDCODER_REDIS_IDLE_WAIT"
DEFAULT_IDLE_WAIT = 30.0
#: seconds the crawl's Redis keys live after a process closes (a killed crawl's queue stays resumable that long)
TTL_SETTING = "MEDCODER_REDIS_TTL"
DEFAULT_TTL = 7 * 24 * 3600
KEY_PREFIX = "medcoder"
CRAWL_STAT = "medcoder/distributed/crawl"

# scrapy-redis formats its keys with ``%``; anything outside this set is replaced so a name can never break them.
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")


class DistributedConfigError(ValueError):
    """A distributed crawl was asked for but cannot run as configured."""


def _key(*parts: str) -> str:
    return ":".join(_UNSAFE_KEY_CHARS.sub("_", part) for part in (KEY_PREFIX, *parts))


def crawl_keys(crawl: str, source: str) -> dict[str, str]:
    """The Redis keys of one source in one distributed crawl: its request queue, its dupe filter and its relayed items.

    The source id (not the spider name) is in the key, so two boards crawled
    by the same multi-board spider never share a queue.
    """
    base = _key(crawl, source)
    return {"queue": f"{base}:requests", "dupefilter": f"{base}:dupefilter", "items": f"{base}:items"}


def items_key_pattern(crawl: str) -> str:
    """A ``SCAN`` pattern matching the relayed-items list of every source of ``crawl``.

    The sanitised name holds no glob character, so only the ``*`` here is one.
    """
    return f"{_key(crawl)}:*:items"


def distributed_settings(redis_url: str, crawl: str, source: str, *, relay: bool = False) -> dict[str, object]:
    """The scrapy-redis settings that make this process one worker of crawl ``crawl`` of ``source``.

    Plain settings, usable with any Scrapy setup (``-s NAME=VALUE`` or a
    Scrapyd job); :class:`DistributedCrawlAddon` applies them for medcoder's
    crawls, together with the components that make a shared crawl safe.
    With ``relay`` the worker's items go to the crawl's items list
    (``REDIS_ITEMS_KEY``, read by scrapy-redis's item pipeline).
    """
    if not crawl:
        raise DistributedConfigError(
            f"a distributed crawl needs {CRAWL_SETTING}: one name shared by every process of the crawl "
            f"(a new one for each crawl, e.g. the date), as well as {REDIS_URL_SETTING}")
    keys = crawl_keys(crawl, source)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "SCHEDULER_QUEUE_KEY": keys["queue"],
        "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        # The first process to finish would otherwise delete the queue and dupe filter the others still use.
        "SCHEDULER_PERSIST": True,
        # Never block the reactor in a Redis pop: idle waiting is DistributedCrawlExtension's job.
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        CRAWL_SETTING: crawl,
        **({"REDIS_ITEMS_KEY": keys["items"], RELAY_SETTING: True} if relay else {}),
    }


def _source_of(crawler) -> str:
    """The source this crawl writes under (``-a source=`` or the spider's own id); the spider name without a spider."""
    spider = crawler.spider
    if spider is None:
        return crawler.spidercls.name
    return getattr(spider, "source_id", None) or spider.name


class DistributedCrawlAddon:
    """Scrapy add-on: with ``MEDCODER_REDIS_URL`` set, run this crawl as one worker of a shared scrapy-redis crawl.

    Declared in ``ADDONS`` so ``-s MEDCODER_REDIS_URL=... -s MEDCODER_REDIS_CRAWL=...``
    is all a user types; settings given explicitly with ``-s`` still win.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        url = settings.get(REDIS_URL_SETTING)
        relay = settings.getbool(RELAY_SETTING)
        if not url:
            if relay:  # refusing beats quietly writing a local database nobody reads
                raise DistributedConfigError(
                    f"{RELAY_SETTING} needs {REDIS_URL_SETTING} and {CRAWL_SETTING}: a relay worker hands its postings to Redis")
            return
        try:
            import scrapy_redis  # noqa: F401  (optional dependency)
        except ImportError:
            raise DistributedConfigError(
                f"{REDIS_URL_SETTING} is set but scrapy-redis is not installed: pip install 'medcoder[distributed]'") from None
        overlay = distributed_settings(url, settings.get(CRAWL_SETTING) or "", _source_of(self.crawler), relay=relay)
        for name, value in overlay.items():
            settings.set(name, value, priority="addon")
        settings.set_in_component_priority_dict("EXTENSIONS", DistributedCrawlExtension, 90)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", ShareStartRequests, 30)
        if relay:
            from crawlers.extensions.crawl_runs import CrawlRunRecorder
            from crawlers.pipelines.relay import RelayPipeline
            from crawlers.pipelines.store import StorePipeline

            # The two components that open the database make way for their Redis counterparts, at their place in the order.
            _replace(settings, "ITEM_PIPELINES", StorePipeline, RelayPipeline, 300)
            _replace(settings, "EXTENSIONS", CrawlRunRecorder, RelayRunReporter, 100)


def _replace(settings, name: str, old: type, new: type, priority: int) -> None:
    try:
        settings.replace_in_component_priority_dict(name, old, new)
    except KeyError:  # a project without ``old`` still gets ``new``
        settings.set_in_component_priority_dict(name, new, priority)


class ShareStartRequests(BaseSpiderMiddleware):
    """Let the shared dupe filter see start requests, so the listing is fetched by one process only.

    Scrapy's default ``start()`` marks start requests ``dont_filter``; in a
    shared crawl each process would then fetch the start page and follow
    every link from it again. Only start requests are changed: retries and
    later requests keep their flag.
    """

    def get_processed_request(self, request, response):
        if response is None and request.dont_filter:
            return request.replace(dont_filter=False)
        return request


class DistributedCrawlExtension:
    """One process's part in a shared crawl: an incomplete run, patience when idle, keys that expire.

    * The run is marked incomplete (``medcoder/incomplete``): this process
      saw only its share of the source, so it must close no posting.
    * A process with nothing to do keeps polling the shared queue for
      ``MEDCODER_REDIS_IDLE_WAIT`` seconds (Scrapy re-checks every 5 s), so
      processes started together all get work once the listing is parsed.
    * On close the crawl's keys get a time to live (``MEDCODER_REDIS_TTL``),
      so finished crawls do not pile up in Redis while an interrupted one
      stays resumable for that long.
    """

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.get(REDIS_URL_SETTING):
            raise NotConfigured(f"{REDIS_URL_SETTING} is not set")
        self.crawler = crawler
        self.crawl = settings.get(CRAWL_SETTING)
        self.idle_wait = settings.getfloat(IDLE_WAIT_SETTING, DEFAULT_IDLE_WAIT)
        self.ttl = settings.getint(TTL_SETTING, DEFAULT_TTL)
        self.keys = [settings.get("SCHEDULER_QUEUE_KEY"), settings.get("SCHEDULER_DUPEFILTER_KEY")]
        self.idle_since: float | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.busy_again, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        reason = f"distributed crawl {self.crawl}: this process saw only its share of the source"
        if hasattr(spider, "mark_incomplete"):
            spider.mark_incomplete(reason)
        else:
            self.crawler.stats.set_value(INCOMPLETE_STAT, reason)
        self.crawler.stats.set_value(CRAWL_STAT, self.crawl)

    def busy_again(self, request, spider):
        self.idle_since = None

    def spider_idle(self, spider):
        # spider_idle means the shared queue was empty when this process last asked; others may still add to it.
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_wait:
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.ttl <= 0:
            return
        from scrapy_redis.connection import get_redis_from_settings

        server = get_redis_from_settings(self.crawler.settings)
        for key in self.keys:
            if key:
                server.expire(key, self.ttl)


class RelayRunReporter:
    """A relay worker's crawl-run recorder: the run's record goes to the writer through Redis.

    Takes the place of ``CrawlRunRecorder`` (same signals, same verdict from
    the same functions) but never opens a database. One message when the
    spider opens, so the run shows as ``running`` once the writer has it; one
    when it closes, with the status, counts, full stats and the problems the
    spider reported (``crawl_errors``). Both go to the crawl's items list, so
    the writer reads a run's start before its postings and its end after them
    (Scrapy closes the item pipelines before ``spider_closed``).

    Health checks (Spidermon) need the database's history, so a relayed run
    has none: its monitors skip. Nothing is closed: the run is incomplete.
    """

    def __init__(self, crawler):
        if not crawler.settings.getbool(RELAY_SETTING):
            raise NotConfigured(f"{RELAY_SETTING} is not set")
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.key = crawler.settings.get("REDIS_ITEMS_KEY")
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        from redis.exceptions import RedisError

        from crawlers.extensions.crawl_runs import public_args
        from crawlers.pipelines.relay import relay_message
        from medcoder.db import utcnow
        from medcoder.relay import RUN_STARTED

        source = spider.source_record() if hasattr(spider, "source_record") else {"id": spider.name, "name": spider.name, "spider": spider.name}
        message = relay_message(self.crawler, RUN_STARTED, started_at=utcnow(), pid=os.getpid(), host=socket.gethostname(),
                                source_record={k: v for k, v in source.items() if v is not None}, args=public_args(spider))
        try:
            self.server.rpush(self.key, message)
        except RedisError as exc:  # a worker that cannot reach Redis has nowhere to put postings
            spider.logger.error("cannot hand the crawl to Redis (%s: %s); not crawling", type(exc).__name__, exc)
            raise CloseSpider("relay_error") from exc

    def spider_closed(self, spider, reason):
        from redis.exceptions import RedisError

        from crawlers.extensions.crawl_runs import run_verdict, stats_json
        from crawlers.pipelines.relay import relay_message
        from crawlers.spiders.base import PROBLEMS_ATTR
        from medcoder.db import utcnow
        from medcoder.relay import RUN_FINISHED

        status, items, errors = run_verdict(self.crawler, reason)
        self.crawler.stats.set_value("medcoder/closed", 0)
        message = relay_message(self.crawler, RUN_FINISHED, finished_at=utcnow(), status=status, finish_reason=reason,
                                items_scraped=items, errors=errors, problems=getattr(self.crawler, PROBLEMS_ATTR, []),
                                stats_json=stats_json(self.crawler.stats.get_stats()))
        try:
            self.server.rpush(self.key, message)
        except RedisError as exc:  # the run stays 'running' on the writer until it is marked interrupted (48 h)
            spider.logger.error("cannot hand the end of the run to Redis (%s: %s); its record is only in this log",
                                type(exc).__name__, exc)

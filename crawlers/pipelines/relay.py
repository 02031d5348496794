"""Relay: a worker without the database hands each cleaned, judged posting to Redis for the writer to store.

Takes the store pipeline's place when ``MEDCODER_REDIS_RELAY`` is set (the
add-on in ``crawlers/distributed.py`` swaps them). It is scrapy-redis's own
``RedisPipeline`` (connection from ``REDIS_URL``, list from
``REDIS_ITEMS_KEY``, a blocking push in a thread, ``ScrapyJSONEncoder``),
with each item wrapped in a message that names its run, so the writer
(``medcoder relay drain``) can record which run saw it. The relevance
decision travels inside the item (``extras["relevance"]``).

When Redis refuses a push every later one would fail the same way, so the
crawl stops at once with ``relay_error``, as the store pipeline stops on a
database error.
"""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy_redis.pipelines import RedisPipeline
from twisted.internet.threads import deferToThread

from crawlers.distributed import _source_of
from medcoder.relay import ITEM, RUN_STAT, encode_message, message

RELAY_ERROR_REASON = "relay_error"
PUSHED_STAT = "medcoder/relay/pushed"

logger = logging.getLogger(__name__)


def relay_run(crawler) -> str:
    """This run's id in relayed messages: made once per crawl and kept in its stats, where the writer finds it again."""
    run = getattr(crawler, "medcoder_relay_run", None)
    if run is None:
        run = crawler.medcoder_relay_run = uuid.uuid4().hex
        crawler.stats.set_value(RUN_STAT, run)
    return run


def relay_message(crawler, kind: str, **body) -> str:
    """One message of this crawler's run, encoded for the items list (API keys redacted)."""
    return encode_message(message(kind, relay_run(crawler), _source_of(crawler), crawler.spidercls.name, **body))


class RelayPipeline(RedisPipeline):
    crawler = None
    failed = False

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls.from_settings(crawler.settings)
        pipeline.crawler = crawler
        # RedisPipeline's serializer hook: the item, inside a message naming its run.
        pipeline.serialize = lambda item: relay_message(crawler, ITEM, item=item)
        return pipeline

    async def process_item(self, item):
        # RedisPipeline pushes in a thread (redis-py blocks); awaiting it keeps Scrapy 2.19 from warning about a Deferred.
        try:
            await maybe_deferred_to_future(deferToThread(self._process_item, item, self.crawler.spider))
        except RedisError as exc:
            self.stop(exc)
            raise DropItem(f"not relayed: {exc}") from exc
        self.crawler.stats.inc_value(PUSHED_STAT)
        return item

    def stop(self, exc: RedisError) -> None:
        """Stop the crawl once, saying why Redis refused the posting."""
        if self.failed:
            return
        self.failed = True
        logger.error("cannot push postings to Redis (%s: %s); stopping the crawl", type(exc).__name__, exc)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=RELAY_ERROR_REASON))

"""Scrapy settings for medcoder: polite by default.

Every crawl identifies itself, obeys robots.txt, throttles itself and
retries a bounded number of times. Tests and benchmarks override only what
they must (e.g. delays) with ``-s``.
"""

BOT_NAME = "medcoder"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Who we are and how to reach us: site owners should never have to guess.
USER_AGENT = "medcoder/0.1 (+https://github.com/medcoder/medcoder; job-market research for medical coders)"
ROBOTSTXT_OBEY = True

# Politeness: at most ~1 request a second per host, backing off when the server slows.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded retries, 429 included (Scrapy's default list has it; kept explicit).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Back off on 429/5xx: the host's delay grows to Retry-After or 2s, 4s, 8s... (at most a minute).
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
DOWNLOAD_TIMEOUT = 30
# A posting page is a few hundred KB at most; refuse anything absurd (and gzip bombs).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# An API answer that holds a whole board (Greenhouse, Ashby, Remote OK, Remotive: every posting with its
# description in one response, ~6 KB a posting) has its own bound: about 17,000 postings, warned at half.
MEDCODER_BOARD_MAXSIZE = 100 * 1024 * 1024
MEDCODER_BOARD_WARNSIZE = 50 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

# No control servers listening on the machine running the crawl.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ITEM_PIPELINES = {
    "crawlers.pipelines.clean.CleanPipeline": 100,
    "crawlers.pipelines.relevance.RelevancePipeline": 200,
    "crawlers.pipelines.store.StorePipeline": 300,
}
EXTENSIONS = {
    "crawlers.middlewares.RedactLogsExtension": 0,
    # Before the recorder: its spider_closed handler must see the health verdict to decide on closing postings.
    "spidermon.contrib.scrapy.extensions.Spidermon": 50,
    "crawlers.extensions.crawl_runs.CrawlRunRecorder": 100,
}
# Run health (medcoder/health.py) as Spidermon monitors: an empty or garbage run is "degraded" and closes
# no posting. Thresholds: MEDCODER_HEALTH_<FIELD> settings (see docs/operations.md).
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["medcoder.monitors.RunHealthSuite"]
# Inert unless MEDCODER_REDIS_URL is set: then this process is one worker of a shared scrapy-redis crawl (docs/scaling.md).
ADDONS = {
    "crawlers.distributed.DistributedCrawlAddon": 0,
}
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, but a robots.txt that cannot be read forbids its host instead of allowing it (RFC 9309).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.StrictRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    # Sees responses before the retry middleware (550) does: a reserved page is dropped, never retried.
    "crawlers.middlewares.TdmReservationMiddleware": 560,
}

# Where items land; MEDCODER_DB in the environment or -s MEDCODER_DB=... override it.
MEDCODER_DB = None

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

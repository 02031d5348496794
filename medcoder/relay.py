"""Relayed crawls: workers without the database hand postings and run records to one writer through Redis.

A worker started with ``-s MEDCODER_REDIS_RELAY=1`` (see
``crawlers/distributed.py``) cleans and judges each posting as usual, then
pushes it to the Redis list ``medcoder:<crawl>:<source>:items`` instead of
writing SQLite; its run record goes to the same list, one message when it
starts and one when it ends. This module holds the messages' format and
:func:`drain`, the writer on the database machine (``medcoder relay drain``).

The writer is crash-safe with the reliable-queue pattern: it moves a batch
of messages onto ``<items>:processing`` (``LMOVE``, each message always on
one list or the other), stores the batch in one transaction through the
store pipeline's own :func:`medcoder.postings.upsert_posting`, and only then
deletes the processing list. A writer killed in between finds the batch
there when it starts again and stores it again; the upsert, the run record
and its problems are all idempotent, so each posting is stored exactly once
and none is lost.

A message that cannot be stored (not JSON, fields missing or of the wrong
type) is reported with the list and its position, kept on
``<items>:rejected`` and skipped; the rest of its batch is stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import sqlite3
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.utils.serialize import ScrapyJSONEncoder

from crawlers.items import PostingItem
from crawlers.redact import redact
from medcoder.db import connect, resolve_db_path, utcnow, write_transaction
from medcoder.postings import upsert_posting

FORMAT = 1
ITEM, RUN_STARTED, RUN_FINISHED = "item", "run_started", "run_finished"
#: the fields each kind of message needs, besides v, kind, run, source and spider
REQUIRED = {ITEM: ("item",), RUN_STARTED: ("started_at",), RUN_FINISHED: ("finished_at", "status", "finish_reason")}
#: the stat holding a worker run's relay id; the writer keeps it in the run's stats_json to find the run again
RUN_STAT = "medcoder/relay/run"
PROCESSING_SUFFIX = ":processing"
REJECTED_SUFFIX = ":rejected"

_ENCODER = ScrapyJSONEncoder()
_POSTING_FIELDS = {f.name: f for f in dataclasses.fields(PostingItem)}
_REQUIRED_POSTING_FIELDS = [f.name for f in _POSTING_FIELDS.values()
                            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
_POSTING_HINTS = typing.get_type_hints(PostingItem)


def _fits(hint, value) -> bool:
    """Whether a JSON value can stand for a field of type ``hint`` (a whole number for a float one too)."""
    for kind in typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,):
        kind = typing.get_origin(kind) or kind  # dict[str, Any] -> dict
        if value is None if kind is type(None) else isinstance(value, (int, float) if kind is float else kind):
            return True
    return False


class RelayError(RuntimeError):
    """The drain cannot start (Redis unreachable or missing, another drain on the database)."""


class DrainRunning(RelayError):
    """Another drain holds the database's relay lock."""


class BadMessage(ValueError):
    """A relayed message the writer cannot store; the text says what is wrong with it."""


def message(kind: str, run: str, source: str, spider: str, **body) -> dict:
    """One relayed message: ``kind`` of worker run ``run`` of ``source`` (crawled by ``spider``)."""
    return {"v": FORMAT, "kind": kind, "run": run, "source": source, "spider": spider, **body}


def encode_message(msg: dict) -> str:
    """``msg`` as JSON (items through ``ScrapyJSONEncoder``, as scrapy-redis does), every string redacted.

    Redacting the values rather than the JSON text keeps it JSON: a secret
    query parameter runs to the next space, past the closing quote.
    """
    return json.dumps(_redacted(json.loads(_ENCODER.encode(msg))), ensure_ascii=False)


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def decode_message(raw: bytes | str) -> dict:
    """The message in ``raw``, checked for what its kind needs; :class:`BadMessage` says what is wrong."""
    try:
        msg = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON ({exc})") from None
    if not isinstance(msg, dict):
        raise BadMessage(f"not a JSON object but {type(msg).__name__}")
    if msg.get("v") != FORMAT:
        raise BadMessage(f"format {msg.get('v')!r}, this writer reads {FORMAT}")
    if msg.get("kind") not in REQUIRED:
        raise BadMessage(f"unknown kind {msg.get('kind')!r}")
    missing = [name for name in ("run", "source", "spider", *REQUIRED[msg["kind"]]) if msg.get(name) in (None, "")]
    if missing:
        raise BadMessage(f"{msg['kind']} message without {', '.join(missing)}")
    bad = [name for name in ("run", "source", "spider") if not isinstance(msg[name], str)]
    if bad:
        raise BadMessage(f"{', '.join(bad)} must be text")
    return msg


def item_from(data) -> PostingItem:
    """The posting a worker relayed, as the store pipeline would have received it."""
    from analysis.normalise.salary import Salary

    if not isinstance(data, dict):
        raise BadMessage("item is not a JSON object")
    unknown = sorted(set(data) - set(_POSTING_FIELDS))
    if unknown:
        raise BadMessage(f"item has unknown fields {', '.join(unknown)}")
    missing = [name for name in _REQUIRED_POSTING_FIELDS if not isinstance(data.get(name), str) or not data[name]]
    if missing:
        raise BadMessage(f"item without {', '.join(missing)}")
    for name, value in data.items():
        if not _fits(_POSTING_HINTS[name], value):
            hint = _POSTING_HINTS[name]
            raise BadMessage(f"item field {name} is {type(value).__name__}, not {getattr(hint, '__name__', None) or hint}")
    extras = dict(data.get("extras") or {})
    if not isinstance(extras.get("relevance", {}), dict):
        raise BadMessage("item relevance is not a JSON object")
    if isinstance(extras.get("salary"), dict):  # the clean pipeline's Salary, flattened by the JSON encoder
        try:
            extras["salary"] = Salary(**extras["salary"])
        except TypeError as exc:
            raise BadMessage(f"item salary: {exc}") from None
    return PostingItem(**{**data, "extras": extras})


@dataclass
class Rejected:
    """A message the writer skipped: which list, its position among the messages read from it, and why."""

    key: str
    number: int
    reason: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.key} message {self.number}: {self.reason}: {self.excerpt}"


@dataclass
class DrainResult:
    messages: int = 0
    kept: int = 0
    filtered: int = 0
    runs_started: int = 0
    runs_finished: int = 0
    rejected: list[Rejected] = field(default_factory=list)


class _Writer:
    """Stores decoded messages in the database; every write of a message is idempotent."""

    def __init__(self, db, result: DrainResult, on_rejected: Callable[[Rejected], None] | None):
        self.db = db
        self.result = result
        self.on_rejected = on_rejected
        self.runs: dict[str, int] = {}
        self.read: dict[str, int] = {}
        self.source_columns = set(db["sources"].columns_dict)

    def write(self, key: str, batch: list[bytes]) -> list[bytes]:
        """Store ``batch`` in one transaction; return the messages rejected."""
        rejected, touched = [], set()
        with write_transaction(self.db):
            for raw in batch:
                self.read[key] = number = self.read.get(key, 0) + 1
                reason = self.store_or_say_why_not(raw, touched)
                if reason:
                    rejected.append(raw)
                    self.reject(Rejected(key, number, reason, _excerpt(raw)))
            for run_id in touched:
                # From what is stored, not from counters: a batch stored twice (after a crash) counts once.
                self.db.execute("update crawl_runs set items_kept = (select count(*) from postings where last_crawl_run_id = ?1), "
                                "items_filtered = (select count(*) from filtered_postings where last_crawl_run_id = ?1) "
                                "where id = ?1", [run_id])
        self.result.messages += len(batch)
        return rejected

    def store_or_say_why_not(self, raw: bytes, touched: set[int]) -> str | None:
        """Store one message, adding its run to ``touched``; if it cannot be stored, leave no trace of it and say why."""
        msg = None
        try:
            with write_transaction(self.db):  # a savepoint: a rejected message rolls back alone
                msg = decode_message(raw)
                touched.add(self.store(msg))
            return None
        except sqlite3.DatabaseError as exc:
            if not isinstance(exc, sqlite3.IntegrityError):
                raise  # the database's fault, not the message's: stop, and the batch waits in Redis
            reason = str(exc)
        except BadMessage as exc:
            reason = str(exc)
        except Exception as exc:  # anything else about this message: kept aside, so one message never blocks the drain
            reason = f"{type(exc).__name__}: {exc}"
        if msg is not None:  # the run row it made, if any, was rolled back with it
            self.runs.pop(msg["run"], None)
        return reason

    def reject(self, rejected: Rejected) -> None:
        self.result.rejected.append(rejected)
        if self.on_rejected:
            self.on_rejected(rejected)

    def store(self, msg: dict) -> int:
        """Store one message; return its run's id."""
        item = item_from(msg["item"]) if msg["kind"] == ITEM else None
        run_id = self.run_id(msg)
        if item is not None:
            table = upsert_posting(self.db, item, run_id=run_id)
            if table == "postings":
                self.result.kept += 1
            else:
                self.result.filtered += 1
        elif msg["kind"] == RUN_FINISHED:
            self.finish_run(run_id, msg)
        return run_id

    def run_id(self, msg: dict) -> int:
        """The ``crawl_runs`` row of the message's worker run, made from the first of its messages stored."""
        token = msg["run"]
        if token in self.runs:
            return self.runs[token]
        # CASE, because SQLite may evaluate an AND in either order and json_extract fails on text that is not JSON.
        row = self.db.execute(f"select id from crawl_runs where case when json_valid(stats_json) "
                              f"then json_extract(stats_json, '$.\"{RUN_STAT}\"') end = ?", [token]).fetchone()
        if row is None:
            record = msg.get("source_record") if isinstance(msg.get("source_record"), dict) else {}
            record = {k: v for k, v in record.items() if k in self.source_columns and isinstance(v, str)}
            if record.get("id") == msg["source"]:
                self.db["sources"].upsert(record, pk="id")
            else:
                self.db.execute("insert or ignore into sources (id, name) values (?, ?)", [msg["source"], msg["source"]])
            pid, args = msg.get("pid"), msg.get("args")
            new_id = self.db["crawl_runs"].insert({
                "source_id": msg["source"],
                "spider": msg["spider"],
                # Its start as the worker saw it; a run whose start message was lost starts when its first posting arrives.
                "started_at": str(msg.get("started_at") or utcnow()),
                "status": "running",
                # The worker's process: `medcoder crawl` on the worker's host can tell a killed run (medcoder/recovery.py).
                "pid": pid if isinstance(pid, int) else None,
                "host": str(msg["host"]) if msg.get("host") else None,
                "args_json": json.dumps(args if isinstance(args, dict) else {}, sort_keys=True),
                "stats_json": json.dumps({RUN_STAT: token}),
            }).last_pk
            row = (new_id,)
            self.result.runs_started += 1
        self.runs[token] = row[0]
        return row[0]

    def finish_run(self, run_id: int, msg: dict) -> None:
        """What ``CrawlRunRecorder`` writes when a run ends, except closing postings: a relayed run closes none."""
        problems = msg.get("problems") or []
        if not isinstance(problems, list) or not all(isinstance(p, dict) for p in problems):
            raise BadMessage("problems is not a list of objects")
        stats = msg.get("stats_json")
        if not isinstance(stats, str) or not isinstance(_json_or_none(stats), dict) or json.loads(stats).get(RUN_STAT) != msg["run"]:
            raise BadMessage("stats_json is not the run's stats as a JSON object")
        # Replaced, not added to: a batch stored again after a crash must not list its problems twice.
        self.db.execute("delete from crawl_errors where crawl_run_id = ?", [run_id])
        self.db["crawl_errors"].insert_all(
            {"crawl_run_id": run_id, "at": str(msg["finished_at"]),
             **{k: str(p[k])[:2000] if p.get(k) is not None else None for k in ("url", "kind", "message")}}
            for p in problems)
        counts = {k: msg.get(k) if isinstance(msg.get(k), int) else 0 for k in ("items_scraped", "errors")}
        self.db["crawl_runs"].update(run_id, {"finished_at": str(msg["finished_at"]), "status": str(msg["status"]),
                                              "finish_reason": str(msg["finish_reason"]), "stats_json": stats, **counts})
        self.result.runs_finished += 1


def _json_or_none(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def _excerpt(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


@contextlib.contextmanager
def drain_lock(db_path: Path) -> Iterator[Path]:
    """One drain per database: each moves batches onto the same processing lists, so two would take each other's.

    A ``flock`` on ``<db>.relay.lock``, released by the kernel however the holder dies, so a killed drain never blocks the next.
    """
    path = db_path.resolve()
    path = path.with_name(path.name + ".relay.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DrainRunning(f"another drain is writing to {db_path} (lock {path})") from None
        yield path


def _items_keys(server, crawl: str, source: str | None) -> list[str]:
    """The items lists to drain: the source's, or every source's of the crawl, including any left only as a processing list."""
    from crawlers.distributed import crawl_keys, items_key_pattern

    if source:
        return [crawl_keys(crawl, source)["items"]]
    pattern = items_key_pattern(crawl)
    keys = {k.decode() if isinstance(k, bytes) else k for k in server.scan_iter(match=pattern)}
    for k in server.scan_iter(match=pattern + PROCESSING_SUFFIX):
        keys.add((k.decode() if isinstance(k, bytes) else k).removesuffix(PROCESSING_SUFFIX))
    return sorted(keys)


def _drain_batch(server, key: str, writer: _Writer, batch_size: int) -> int:
    """Store one batch from ``key``: first any a killed drain left on its processing list; return how many messages."""
    processing = key + PROCESSING_SUFFIX
    batch = server.lrange(processing, 0, -1)
    if not batch:
        pipe = server.pipeline(transaction=False)
        for _ in range(batch_size):
            pipe.lmove(key, processing, "LEFT", "RIGHT")
        batch = [m for m in pipe.execute() if m is not None]
    if not batch:
        return 0
    rejected = writer.write(key, batch)
    # Committed: drop the batch, and keep what was rejected for inspection, in one step.
    pipe = server.pipeline(transaction=True)
    if rejected:
        pipe.rpush(key + REJECTED_SUFFIX, *rejected)
    pipe.delete(processing)
    pipe.execute()
    return len(batch)


def drain(
    db=None,
    *,
    redis_url: str,
    crawl: str,
    source: str | None = None,
    until_idle: float = 0.0,
    batch_size: int = 100,
    poll: float = 0.5,
    on_rejected: Callable[[Rejected], None] | None = None,
) -> DrainResult:
    """Store what relay workers pushed for ``crawl`` (every source, or ``source``) in the database; see the module docstring.

    Stops once no message came for ``until_idle`` seconds (0: as soon as the
    lists are empty). Raises :class:`RelayError` when Redis is missing or
    lost (:class:`DrainRunning` when another drain holds the database), and
    ``sqlite3.DatabaseError`` when the database refuses a write: in both
    cases what was not stored stays in Redis for the next drain.
    """
    try:
        import redis
    except ImportError:
        raise RelayError("the relay needs redis-py: pip install 'medcoder[distributed]'") from None
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    server = redis.Redis.from_url(redis_url)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise RelayError(f"cannot reach Redis: {exc}") from None
    db_path = resolve_db_path(db)
    result = DrainResult()
    with drain_lock(db_path):
        database = connect(db_path)
        try:
            writer = _Writer(database, result, on_rejected)
            last_message = time.monotonic()
            while True:
                moved = sum(_drain_batch(server, key, writer, batch_size) for key in _items_keys(server, crawl, source))
                if moved:
                    last_message = time.monotonic()
                elif time.monotonic() - last_message >= until_idle:
                    break
                else:
                    time.sleep(poll)
        except redis.RedisError as exc:  # a batch taken but not released stays on its processing list for the next drain
            raise RelayError(f"lost Redis while draining: {exc}") from exc
        finally:
            database.conn.close()
    return result

"""Shared fixtures: a fresh in-memory database, and one real demo crawl shared by the end-to-end tests."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from medcoder.crawl import LOCAL_SETTINGS, CrawlResult, run_spider
from medcoder.db import connect, migrate
from medcoder.demo.board import DemoBoardServer


@pytest.fixture
def fresh_db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    migrate(db)
    return db


@dataclass
class DemoCrawl:
    db_path: Path
    result: CrawlResult
    requests: list[str]
    board_postings: tuple


def crawl_demo(db_path: Path, postings=None) -> DemoCrawl:
    with DemoBoardServer(postings) as board:
        result = run_spider("demo_board", {"url": board.listing_url}, db=db_path, settings=LOCAL_SETTINGS,
                            log_path=db_path.parent / f"crawl-{len(board.requests)}.log")
        return DemoCrawl(db_path, result, list(board.requests), board.postings)


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory) -> DemoCrawl:
    """One real Scrapy crawl of the bundled demo board into a temporary database, analysed."""
    from analysis.pipeline import analyse_db

    db_path = tmp_path_factory.mktemp("demo") / "medcoder.db"
    crawl = crawl_demo(db_path)
    db = connect(db_path)
    analyse_db(db)
    db.conn.close()
    return crawl

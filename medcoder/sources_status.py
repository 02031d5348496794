"""Each registry entry with its last crawl run, for `medcoder sources` (and, later, `medcoder status`)."""

from __future__ import annotations

from medcoder.db import resolve_db_path


def registry_status(entries, db=None) -> list[dict]:
    """Registry entries as dicts with ``last_run``, ``status`` and ``items`` of their latest crawl (None if never)."""
    last: dict[str, tuple] = {}
    path = resolve_db_path(db)
    if path.exists():
        import sqlite3

        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for source_id, started, status, items in conn.execute(
                """select source_id, started_at, status, items_kept + items_filtered from crawl_runs r
                   where id = (select max(id) from crawl_runs where source_id = r.source_id)"""
            ):
                last[source_id] = (started, status, items)
        except sqlite3.OperationalError:
            pass  # a database without crawl_runs yet: nothing has run
        finally:
            conn.close()
    return [
        {"id": e.id, "spider": e.spider, "label": e.label, "country": e.country, "enabled": e.enabled, "args": e.args,
         "note": e.note, "last_run": last.get(e.id, (None,))[0], "status": last.get(e.id, (None, None))[1],
         "items": last.get(e.id, (None, None, None))[2]}
        for e in entries
    ]

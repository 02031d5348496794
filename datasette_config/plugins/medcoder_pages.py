"""medcoder's Datasette pages: the home page, a posting's page, and safe rich cells.

Loaded with ``--plugins-dir``. Supplies template variables to
``templates/index.html`` (what the database is, how fresh, where to start) and
``templates/row.html`` (a posting's requirements, duplicates across sources
and attribution), and renders two kinds of cells: search snippets with their
matches highlighted, and ``posting_id`` columns of queries as links. All
posting text is untrusted: it is escaped before any markup is added.
"""

from __future__ import annotations

from datetime import UTC, datetime

from datasette import hookimpl
from datasette.utils import tilde_encode, urlsafe_components
from markupsafe import Markup, escape

# snippet() in the search_postings query wraps matches in these control characters,
# which posting text does not contain and which survive escaping unchanged.
MATCH_START, MATCH_END = "\x02", "\x03"

FRESHNESS_SQL = """
select s.id as source_id, s.name, s.country,
       (select max(r.finished_at) from crawl_runs r
        where r.source_id = s.id and r.status in ('ok', 'partial')) as last_success,
       (select r.status from crawl_runs r where r.source_id = s.id order by r.started_at desc limit 1) as last_status,
       (select r.started_at from crawl_runs r where r.source_id = s.id order by r.started_at desc limit 1) as last_run,
       (select r.items_kept from crawl_runs r where r.source_id = s.id order by r.started_at desc limit 1) as last_kept
from sources s
order by last_success is null, last_success desc, s.id
"""

REQUIREMENTS_SQL = """
select r.skill_id, s.name, r.category, r.level, r.alt_group, r.within_months, r.detail, r.evidence
from posting_requirements r left join skills s on s.id = r.skill_id
where r.posting_id = :id
order by r.level != 'required', r.category != 'credential', r.category, r.alt_group is null, r.alt_group, r.skill_id
"""

DUPLICATES_SQL = """
select p.id, p.source_id, s.name as source_name, p.title, p.employer, p.url, p.first_seen, p.last_seen,
       p.closed_at, p.is_representative
from postings p left join sources s on s.id = p.source_id
where p.cluster_id = (select cluster_id from postings where id = :id) and p.id != :id
order by p.is_representative desc, p.first_seen, p.id
"""

POSTING_SQL = """
select p.id, p.title, p.employer, p.url, p.city, p.region, p.country, p.remote, p.salary_text,
       p.attribution, p.closed_at, p.is_representative, p.cluster_id, p.first_seen, p.last_seen,
       p.source_id, s.name as source_name, s.url as source_url, s.attribution as source_attribution
from postings p left join sources s on s.id = p.source_id
where p.id = :id
"""


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None: a ``javascript:`` URL must never become a link."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def highlight(snippet: str) -> Markup:
    """The snippet escaped, then its match markers turned into ``<mark>`` elements."""
    text = str(escape(snippet))
    return Markup(text.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


def ago(timestamp: str | None, now: datetime | None = None) -> str:
    """How long ago an ISO timestamp was, in words ("3 hours ago"); "never" for none."""
    if not timestamp:
        return "never"
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


async def _market_db(datasette):
    """The medcoder database being served: the first with postings and crawl_runs tables."""
    for name, db in datasette.databases.items():
        if name == "_internal":
            continue
        tables = set(await db.table_names())
        if {"postings", "crawl_runs", "sources"} <= tables:
            return db, tables
    return None, set()


async def _rows(db, sql, params=None) -> list[dict]:
    results = await db.execute(sql, params or {})
    return [dict(zip(results.columns, row)) for row in results.rows]


async def home_context(datasette, request) -> dict:
    """What the home page shows: headline figures, freshness per source, dashboards and questions."""
    db, tables = await _market_db(datasette)
    if db is None:
        return {"medcoder": None}
    summary = None
    if "market_summary" in tables:
        found = await _rows(db, "select * from market_summary limit 1")
        summary = found[0] if found else None
    freshness = await _rows(db, FRESHNESS_SQL)
    for row in freshness:
        row["last_success_ago"] = ago(row["last_success"])
        row["href"] = datasette.urls.row(db.name, "sources", tilde_encode(row["source_id"]))
    queries = await datasette.get_canned_queries(db.name, request.actor if request else None)
    dashboards = datasette.plugin_config("datasette-dashboards") or {}
    return {"medcoder": {
        "database": db.name,
        "summary": summary,
        "summary_ago": ago(summary["refreshed_at"]) if summary else None,
        "freshness": freshness,
        "queries": [{"name": name, "title": q.get("title") or name, "description": q.get("description") or ""}
                    for name, q in queries.items()],
        "dashboards": [{"slug": slug, "title": d.get("title") or slug, "description": d.get("description") or ""}
                       for slug, d in dashboards.items()],
        "has_market": "market_postings" in tables,
    }}


async def posting_context(datasette, database: str, pk: str) -> dict:
    """What a posting's page adds: its requirements, the same job on other sources, and its attribution."""
    db = datasette.get_database(database)
    found = await _rows(db, POSTING_SQL, {"id": pk})
    if not found:
        return {"medcoder_posting": None}
    posting = found[0]
    posting["url_link"] = safe_link(posting["url"])
    posting["source_link"] = safe_link(posting["source_url"])
    duplicates = await _rows(db, DUPLICATES_SQL, {"id": pk})
    for dup in duplicates:
        dup["href"] = datasette.urls.row(database, "postings", tilde_encode(dup["id"]))
        dup["url_link"] = safe_link(dup["url"])
    representative = None
    if not posting["is_representative"] and posting["cluster_id"]:
        representative = datasette.urls.row(database, "postings", tilde_encode(posting["cluster_id"]))
    requirements = await _rows(db, REQUIREMENTS_SQL, {"id": pk})
    for req in requirements:
        req["href"] = datasette.urls.row(database, "skills", tilde_encode(req["skill_id"])) if req["skill_id"] else None
    return {"medcoder_posting": {
        "posting": posting,
        "requirements": requirements,
        "duplicates": duplicates,
        "representative_href": representative,
    }}


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    """Variables for templates/index.html (``medcoder``) and a posting's row.html (``medcoder_posting``)."""
    if template == "index.html":
        async def inner():
            return await home_context(datasette, request)
        return inner
    if template == "row.html" and table == "postings" and request is not None:
        async def inner():
            pks = urlsafe_components(request.url_vars["pks"])
            return await posting_context(datasette, database, pks[0])
        return inner
    return None


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Highlighted search snippets, and query results' ``posting_id`` cells as links; None leaves the rest to Datasette."""
    if not isinstance(value, str):
        return None
    if column == "snippet" and MATCH_START in value:
        return highlight(value)
    if column == "posting_id" and table is None and value:
        # Query results carry no foreign-key labels: link each posting to its page.
        href = datasette.urls.row(database, "postings", tilde_encode(value))
        return Markup('<a href="{}">{}</a>').format(href, value)
    return None

"""Market analytics: the summary tables Datasette's pages and dashboards read.

The raw tables (``postings``, ``posting_requirements``) hold every listing
medcoder has seen, duplicates and closed ones included. Market figures count
each open job once: the representative of its de-duplication cluster
(``is_representative = 1``), still open (``closed_at is null``) and judged a
coding job (``scope = 'in'``). :func:`refresh_analytics` rebuilds those
figures into small tables after each analysis, inside one transaction, so
Datasette keeps answering from the previous version while it runs and pages
stay fast on 100,000 postings.

Tables written (all dropped and rebuilt on every refresh):

- ``market_postings``: one row per open job, with its salary band and the
  credentials and code sets it asks for (JSON arrays: filter with ``__arraycontains``).
- ``market_requirements``: one row per (open job, skill), the strongest
  level kept, with the job's dimensions copied for fast facets.
- ``skill_demand``: postings asking for each skill by country and role family.
- ``salary_by_credential`` / ``salary_by_role_family``: annualised pay
  quartiles, one currency per row.
- ``demand_by_month`` / ``skill_demand_by_month``: postings by month posted,
  closed ones included (a trend of only today's open postings would be an
  artificial ramp).
- ``requirement_pairs``: skills asked for together.
- ``salary_bands``: the band boundaries, in display order.
- ``market_summary``: one row of headline figures and the refresh time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

import sqlite_utils

from medcoder.db import utcnow

# The open market: what every statistic counts.
MARKET_WHERE = "p.scope = 'in' and p.closed_at is null and p.is_representative = 1"
# Trends also count since-closed jobs, still once per cluster.
TREND_WHERE = "p.scope = 'in' and p.is_representative = 1"

# Annual pay bands per currency: (upper bound, exclusive; label). None = no upper bound.
# Bands follow how each market talks about pay: thousands of dollars, lakhs per annum (LPA).
SALARY_BANDS: dict[str, list[tuple[float | None, str]]] = {
    "USD": [(40_000, "USD under 40k"), (50_000, "USD 40-50k"), (60_000, "USD 50-60k"),
            (75_000, "USD 60-75k"), (100_000, "USD 75-100k"), (None, "USD 100k+")],
    "INR": [(250_000, "INR under 2.5 LPA"), (400_000, "INR 2.5-4 LPA"), (600_000, "INR 4-6 LPA"),
            (1_000_000, "INR 6-10 LPA"), (None, "INR 10+ LPA")],
}
NOT_STATED = "not stated"

ANALYTICS_TABLES = (
    "market_postings", "market_requirements", "skill_demand", "salary_by_credential", "salary_by_role_family",
    "demand_by_month", "skill_demand_by_month", "requirement_pairs", "salary_bands", "market_summary",
)

_SCHEMA = """
create table market_postings (
    -- The integer key keeps `posting` an ordinary foreign key, which Datasette shows by title.
    postings_rowid integer primary key,
    posting text unique references postings(id),
    employer text,
    source_id text references sources(id),
    listings integer,
    city text,
    region text,
    country text,
    remote text,
    role_family text,
    role_level text,
    posted text,
    first_seen text,
    salary_currency text,
    salary_annual_min real,
    salary_annual_max real,
    salary_annual_mid real,
    salary_band text,
    experience_years_min real,
    education_min text,
    credentials_required text,
    credentials_preferred text,
    code_sets text
);
create table market_requirements (
    requirement_id integer primary key,
    posting text references postings(id),
    skill_id text references skills(id),
    category text,
    level text,
    alt_group integer,
    within_months integer,
    employer text,
    source_id text references sources(id),
    region text,
    country text,
    remote text,
    role_family text,
    salary_band text,
    posted text
);
create table skill_demand (
    country text,
    role_family text,
    category text,
    skill_id text references skills(id),
    required integer,
    preferred integer,
    postings integer
);
create table salary_by_credential (
    skill_id text references skills(id),
    country text,
    currency text,
    postings integer,
    p25 integer,
    median integer,
    p75 integer,
    lowest integer,
    highest integer
);
create table salary_by_role_family (
    role_family text,
    country text,
    currency text,
    postings integer,
    p25 integer,
    median integer,
    p75 integer,
    lowest integer,
    highest integer
);
create table demand_by_month (
    month text,
    country text,
    role_family text,
    posted integer,
    still_open integer
);
create table skill_demand_by_month (
    month text,
    country text,
    role_family text,
    category text,
    skill_id text references skills(id),
    postings integer
);
create table requirement_pairs (
    country text,
    skill_a text references skills(id),
    skill_b text references skills(id),
    together integer,
    postings_a integer,
    postings_b integer
);
create table salary_bands (
    band text primary key,
    currency text,
    position integer,
    annual_from real,
    annual_to real
);
create table market_summary (
    refreshed_at text,
    open_postings integer,
    open_listings integer,
    employers integer,
    countries integer,
    sources integer,
    with_salary integer,
    newest_posted text,
    oldest_posted text
);
"""

# Every column a page facets on gets an index whose first column it is, so facet counts read
# the index alone and stay fast on 100,000 postings (docs/benchmarks.md).
_INDEXES = {
    "market_postings": [
        ["country"], ["region"], ["remote"], ["role_family"], ["employer"], ["source_id"], ["salary_band"],
        ["posted"], ["country", "region"], ["country", "role_family"], ["education_min"],
        ["salary_currency", "country"],
        # Covering indexes: the role-family and employer questions read only these columns.
        ["role_family", "country", "remote", "experience_years_min", "salary_annual_mid"],
        ["employer", "country", "region", "remote", "role_family", "posted"],
    ],
    "market_requirements": [
        ["posting"], ["skill_id", "level"], ["level"], ["category", "skill_id"], ["country"], ["region"],
        ["role_family"], ["posted"], ["skill_id", "region", "posted"],
    ],
    "skill_demand": [["category", "country"], ["country"], ["role_family"], ["skill_id"]],
    "salary_by_credential": [["country", "currency"], ["currency"], ["skill_id"]],
    "salary_by_role_family": [["country", "currency"], ["currency"]],
    "demand_by_month": [["month"], ["country"], ["role_family"]],
    "skill_demand_by_month": [["skill_id", "month"], ["category", "month"], ["country"], ["role_family"]],
    "requirement_pairs": [["skill_a"], ["skill_b"], ["country"]],
    # The raw tables are faceted too; these complete the indexes db.py creates.
    "postings": [["scope"], ["first_seen"], ["employer", "country"]],
    "crawl_runs": [["status"]],
    "crawl_errors": [["kind"]],
    "filtered_postings": [["country"]],
    "skills": [["category"], ["issuer"]],
}


def salary_band(currency: str | None, annual: float | None) -> str:
    """The band label of an annual amount: ``USD 50-60k``, ``INR 4-6 LPA``, ``EUR stated`` or ``not stated``."""
    if annual is None or not currency:
        return NOT_STATED
    bands = SALARY_BANDS.get(currency)
    if not bands:
        return f"{currency} stated"  # no bands for a currency the sources rarely use
    for upper, label in bands:
        if upper is None or annual < upper:
            return label
    return bands[-1][1]  # unreachable while each currency ends with an open band


def _quartiles(values: list[float]) -> tuple[int, int, int, int, int]:
    """p25, median, p75, lowest, highest, rounded to whole currency units."""
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = med = q3 = ordered[0]
    else:
        q1, med, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return round(q1), round(med), round(q3), round(ordered[0]), round(ordered[-1])


def refresh_analytics(db: sqlite_utils.Database) -> dict[str, int]:
    """Rebuild every analytics table from the postings, in one transaction; return row counts per table.

    Idempotent: the tables are dropped and rebuilt from the raw tables each
    time. Readers (Datasette, in WAL mode) see the previous version until the
    transaction commits; on an error nothing changes. Call it with no
    transaction open on ``db`` (as ``analyse_db`` leaves it).
    """
    conn = db.conn
    # Python's sqlite3 opens transactions only for DML; an explicit BEGIN keeps
    # the DROP/CREATE statements inside the same all-or-nothing unit.
    conn.execute("begin immediate")
    with conn:
        conn.create_function("medcoder_salary_band", 2, salary_band, deterministic=True)
        for table in ANALYTICS_TABLES:
            conn.execute(f"drop table if exists [{table}]")
        # executescript() would COMMIT first, so statements run one by one.
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        _fill_market(conn)
        _fill_demand(conn)
        _fill_salaries(conn)
        _fill_trends(conn)
        _fill_pairs(conn)
        _fill_bands_and_summary(conn)
        for table, indexes in _INDEXES.items():
            for columns in indexes:
                name = "idx_{}_{}".format(table, "_".join(columns))
                cols = ", ".join(f"[{c}]" for c in columns)
                conn.execute(f"create index if not exists [{name}] on [{table}] ({cols})")
        # Fresh statistics let SQLite pick the facet indexes on the rebuilt tables.
        for table in ANALYTICS_TABLES:
            conn.execute(f"analyze [{table}]")
    return {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in ANALYTICS_TABLES}


def _fill_market(conn) -> None:
    conn.execute(f"""
        insert into market_postings
        select p.rowid, p.id, p.employer, p.source_id, coalesce(l.n, 1), p.city, p.region, p.country, p.remote,
               p.role_family, p.role_level, substr(coalesce(p.posted_at, p.first_seen), 1, 10), p.first_seen,
               s.currency, s.low, s.high, s.mid, medcoder_salary_band(s.currency, s.mid),
               p.experience_years_min, p.education_min, '[]', '[]', '[]'
        from postings p
        left join (
            select cluster_id, count(*) as n from postings
            where scope = 'in' and closed_at is null group by cluster_id
        ) l on l.cluster_id = p.cluster_id
        left join (
            -- Salaries a board predicted rather than the employer stated are left out of pay figures.
            select id, salary_currency as currency, salary_annual_min as low, salary_annual_max as high,
                   case when salary_annual_min is not null and salary_annual_max is not null
                        then (salary_annual_min + salary_annual_max) / 2.0
                        else coalesce(salary_annual_min, salary_annual_max) end as mid
            from postings
            where coalesce(salary_predicted, 0) = 0 and salary_currency is not null
              and coalesce(salary_annual_min, salary_annual_max) is not null
        ) s on s.id = p.id
        where {MARKET_WHERE}
    """)
    # One row per (job, skill): a skill asked for as required and again as preferred counts as required.
    conn.execute("""
        insert into market_requirements
        select r.id, r.posting_id, r.skill_id, r.category, r.level, r.alt_group, r.within_months,
               m.employer, m.source_id, m.region, m.country, m.remote, m.role_family, m.salary_band, m.posted
        from (
            select pr.*, row_number() over (
                partition by pr.posting_id, pr.skill_id
                order by case pr.level when 'required' then 0 else 1 end, pr.id
            ) as k
            from posting_requirements pr join market_postings m0 on m0.posting = pr.posting_id
        ) r join market_postings m on m.posting = r.posting_id
        where r.k = 1
    """)
    conn.execute("""
        update market_postings set
            credentials_required = a.required, credentials_preferred = a.preferred, code_sets = a.code_sets
        from (
            select posting,
                   json_group_array(skill_id) filter (where category = 'credential' and level = 'required') as required,
                   json_group_array(skill_id) filter (where category = 'credential' and level = 'preferred') as preferred,
                   json_group_array(skill_id) filter (where category = 'code_set') as code_sets
            from (select posting, skill_id, category, level from market_requirements order by posting, skill_id)
            group by posting
        ) a
        where a.posting = market_postings.posting
    """)


def _fill_demand(conn) -> None:
    conn.execute("""
        insert into skill_demand
        select country, role_family, category, skill_id,
               sum(level = 'required'), sum(level = 'preferred'), count(*)
        from market_requirements
        group by country, role_family, category, skill_id
    """)


def _fill_salaries(conn) -> None:
    by_credential: dict[tuple, list[float]] = defaultdict(list)
    for skill, country, currency, mid in conn.execute("""
        select r.skill_id, m.country, m.salary_currency, m.salary_annual_mid
        from market_requirements r join market_postings m on m.posting = r.posting
        where r.category = 'credential' and m.salary_annual_mid is not null
    """):
        by_credential[(skill, country, currency)].append(mid)
    conn.executemany("insert into salary_by_credential values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(*key, len(v), *_quartiles(v)) for key, v in sorted(by_credential.items(), key=_sort_key)])
    by_family: dict[tuple, list[float]] = defaultdict(list)
    for family, country, currency, mid in conn.execute("""
        select role_family, country, salary_currency, salary_annual_mid
        from market_postings where salary_annual_mid is not null
    """):
        by_family[(family, country, currency)].append(mid)
    conn.executemany("insert into salary_by_role_family values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(*key, len(v), *_quartiles(v)) for key, v in sorted(by_family.items(), key=_sort_key)])


def _sort_key(item):
    return tuple("" if k is None else str(k) for k in item[0])


def _fill_trends(conn) -> None:
    conn.execute(f"""
        insert into demand_by_month
        select substr(coalesce(p.posted_at, p.first_seen), 1, 7), p.country, p.role_family,
               count(*), sum(p.closed_at is null)
        from postings p where {TREND_WHERE}
        group by 1, 2, 3
    """)
    conn.execute(f"""
        insert into skill_demand_by_month
        select month, country, role_family, category, skill_id, count(distinct posting_id)
        from (
            select substr(coalesce(p.posted_at, p.first_seen), 1, 7) as month, p.country, p.role_family, r.category,
                   r.skill_id, r.posting_id
            from posting_requirements r join postings p on p.id = r.posting_id
            where {TREND_WHERE}
        )
        group by 1, 2, 3, 4, 5
    """)


def _fill_pairs(conn) -> None:
    conn.execute("""
        insert into requirement_pairs
        select a.country, a.skill_id, b.skill_id, count(*), 0, 0
        from market_requirements a
        join market_requirements b on b.posting = a.posting and a.skill_id < b.skill_id
        group by a.country, a.skill_id, b.skill_id
    """)
    conn.execute("""
        update requirement_pairs set
            postings_a = (select sum(d.postings) from skill_demand d
                          where d.country is requirement_pairs.country and d.skill_id = requirement_pairs.skill_a),
            postings_b = (select sum(d.postings) from skill_demand d
                          where d.country is requirement_pairs.country and d.skill_id = requirement_pairs.skill_b)
    """)


def _fill_bands_and_summary(conn) -> None:
    rows, position = [], 0
    for currency, bands in SALARY_BANDS.items():
        lower = 0.0
        for upper, label in bands:
            position += 1
            rows.append((label, currency, position, lower, upper))
            lower = upper
    rows.append((NOT_STATED, None, position + 1, None, None))
    conn.executemany("insert into salary_bands values (?, ?, ?, ?, ?)", rows)
    conn.execute("""
        insert into market_summary
        select ?, (select count(*) from market_postings),
               (select count(*) from postings where scope = 'in' and closed_at is null),
               count(distinct employer), count(distinct country), count(distinct source_id),
               count(salary_annual_mid), max(posted), min(posted)
        from market_postings
    """, [utcnow()])

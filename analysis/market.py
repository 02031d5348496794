"""The market view without a profile: what open postings ask for, what they pay, and how demand moves.

For counsellors and training institutes: ``medcoder market``. The postings
counted are the ones the gap report counts (:func:`analysis.gap.load_market`:
open, in scope, one per cluster of duplicates, filtered the same way), so
the two reports agree on every shared figure. Every section names how many
postings it rests on. Semantics, documented in docs/gap-report.md:

* Credential demand counts postings, not mentions: a posting asking for "CPC
  or CCS" counts once for CPC and once for CCS, and once for the requirement
  as written ("CCS or CPC") in ``groups``; a credential named twice in one
  posting counts once, as required when either mention is.
* A credential with a grace period ("within 12 months of hire") is required;
  ``after_hire`` says how many of those postings give the grace period.
* Pay is the annualised midpoint of each posting's stated range; amounts a
  job board predicted rather than the employer stated are left out
  (``predicted_excluded`` counts them).
* The trend also counts postings closed since, still once per cluster:
  postings first seen in each month, and postings open at each month's end
  (at the report's day for the current month).
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from analysis.extract import EDUCATION_LEVELS
from analysis.gap import PostingNeeds, load_market
from analysis.taxonomy import Taxonomy, load_taxonomy

REPORT_VERSION = 1
WORK_MODES = ("remote", "hybrid", "onsite")
# Experience asked, in years: (label, lowest, below). "1-2" holds 1 <= years < 2.
EXPERIENCE_BUCKETS = (("0", 0.0, 1e-9), ("<1", 1e-9, 1.0), ("1-2", 1.0, 2.0), ("2-3", 2.0, 3.0), ("3-5", 3.0, 5.0), ("5+", 5.0, float("inf")))


def parse_day(value: str) -> str:
    """An ISO date (YYYY-MM-DD) checked and returned as written; ValueError otherwise."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except (ValueError, AttributeError):
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31") from None


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _mid(p: PostingNeeds) -> float | None:
    lo, hi = p.salary_annual_min, p.salary_annual_max
    if lo is None and hi is None:
        return None
    return ((lo if lo is not None else hi) + (hi if hi is not None else lo)) / 2


def _pay(values: list[float]) -> dict:
    """Median and quartiles of annual amounts, whole currency units, with how many postings they rest on."""
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = med = q3 = ordered[0]
    else:
        q1, med, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {"postings": len(ordered), "median_annual": round(med), "p25_annual": round(q1), "p75_annual": round(q3)}


def _demand(postings: list[PostingNeeds], kind: str) -> tuple[dict[str, Counter], dict[str, dict[str, str]]]:
    """Per id: Counter of levels over postings (each posting once, required winning); per posting: id -> level."""
    per_posting: dict[str, dict[str, str]] = {}
    for p in postings:
        levels: dict[str, str] = {}
        for need in p.needs:
            if need.kind != kind:
                continue
            for sid in need.ids:
                if levels.get(sid) != "required":
                    levels[sid] = need.level
        per_posting[p.id] = levels
    counts: dict[str, Counter] = defaultdict(Counter)
    for levels in per_posting.values():
        for sid, level in levels.items():
            counts[sid][level] += 1
    return counts, per_posting


def _items(counts: dict[str, Counter], n: int, tax: Taxonomy) -> list[dict]:
    items = [{"id": sid, "name": tax.skills[sid].name if sid in tax.skills else sid, "postings": c["required"] + c["preferred"],
              "required": c["required"], "preferred": c["preferred"], "share": _share(c["required"] + c["preferred"], n),
              "required_share": _share(c["required"], n)} for sid, c in counts.items()]
    return sorted(items, key=lambda i: (-i["postings"], -i["required"], i["id"]))


def _credentials(postings: list[PostingNeeds], tax: Taxonomy) -> tuple[dict, dict[str, dict[str, str]]]:
    """The credentials section, and each posting's credential levels (the pay section reuses them)."""
    n = len(postings)
    counts, per_posting = _demand(postings, "credential")
    items = _items(counts, n, tax)
    # One pass over the postings; a market of 100,000 has few distinct combinations of required ids.
    required_ids: Counter = Counter()  # frozenset of every id named by a required credential need -> postings
    after_hire: Counter = Counter()
    groups: dict[str, Counter] = defaultdict(Counter)
    group_ids: dict[str, list[str]] = {}
    for p in postings:
        needs = [nd for nd in p.needs if nd.kind == "credential"]
        required = [nd for nd in needs if nd.level == "required"]
        if required:
            required_ids[frozenset().union(*(nd.ids for nd in required))] += 1
        # Of the postings requiring an id, those where every requirement naming it allows it after hire.
        graced = {sid for nd in required for sid in nd.ids if nd.within_months is not None}
        graced -= {sid for nd in required for sid in nd.ids if nd.within_months is None}
        after_hire.update(graced)
        levels: dict[str, str] = {}
        for nd in needs:
            label = " or ".join(sorted(nd.ids))
            group_ids.setdefault(label, sorted(nd.ids))
            if levels.get(label) != "required":
                levels[label] = nd.level
        for label, level in levels.items():
            groups[label][level] += 1
    for item in items:
        sid = item["id"]
        item["after_hire"] = after_hire.get(sid, 0)
        generic = sid not in tax.skills or tax.skills[sid].issuer == "generic"
        # Holding it meets a required credential need when what it satisfies (CPC: CPC-A, AAPC_ANY...) meets one of its ids.
        satisfied = None if generic else tax.satisfied_by(sid)
        item["accepted_for"] = None if satisfied is None else sum(c for ids, c in required_ids.items() if ids & satisfied)
    group_items = sorted(({"label": label, "ids": group_ids[label], "postings": c["required"] + c["preferred"],
                           "required": c["required"], "preferred": c["preferred"], "share": _share(c["required"] + c["preferred"], n)}
                          for label, c in groups.items()), key=lambda g: (-g["postings"], -g["required"], g["label"]))
    requiring = sum(required_ids.values())
    naming = sum(1 for levels in per_posting.values() if levels)
    section = {"postings": n, "requiring_any": requiring, "requiring_any_share": _share(requiring, n),
               "naming_any": naming, "items": items, "groups": group_items}
    return section, per_posting


def _code_sets(postings: list[PostingNeeds], tax: Taxonomy) -> dict:
    counts, _ = _demand(postings, "code_set")
    return {"postings": len(postings), "items": _items(counts, len(postings), tax)}


def _bucket(years: float) -> str:
    return next(label for label, lo, below in EXPERIENCE_BUCKETS if lo <= years < below)


def _experience_row(family: str, postings: list[PostingNeeds]) -> dict:
    years = [nd.years for p in postings for nd in p.needs if nd.kind == "experience" and nd.years is not None]
    buckets = Counter(_bucket(y) for y in years)
    return {"role_family": family, "postings": len(postings), "stating": len(years),
            "median_years": round(statistics.median(years), 2) if years else None,
            "buckets": {label: buckets.get(label, 0) for label, _, _ in EXPERIENCE_BUCKETS}}


def _experience(postings: list[PostingNeeds]) -> dict:
    by_family: dict[str, list[PostingNeeds]] = defaultdict(list)
    for p in postings:
        by_family[p.role_family or "unknown"].append(p)
    rows = [_experience_row(f, ps) for f, ps in by_family.items()]
    rows.sort(key=lambda r: (-r["postings"], r["role_family"]))
    overall = _experience_row("all", postings)
    return {"postings": len(postings), "stating": overall["stating"], "median_years": overall["median_years"],
            "buckets": overall["buckets"], "by_role_family": rows}


def _education(postings: list[PostingNeeds]) -> dict:
    n = len(postings)
    asked = Counter(next((nd.edu for nd in p.needs if nd.kind == "education"), None) for p in postings)
    levels = [{"level": level, "postings": asked.get(level, 0), "share": _share(asked.get(level, 0), n)} for level in EDUCATION_LEVELS]
    levels.append({"level": None, "postings": asked.get(None, 0), "share": _share(asked.get(None, 0), n)})
    return {"postings": n, "stating": n - asked.get(None, 0), "levels": levels}


def _work_mode(postings: list[PostingNeeds]) -> dict:
    n = len(postings)
    modes = Counter(p.remote if p.remote in WORK_MODES else None for p in postings)
    rows = [{"mode": m, "postings": modes.get(m, 0), "share": _share(modes.get(m, 0), n)} for m in (*WORK_MODES, None)]
    return {"postings": n, "stating": n - modes.get(None, 0), "modes": rows}


def _salaries(postings: list[PostingNeeds], predicted: set[str], per_posting_creds: dict[str, dict[str, str]]) -> dict:
    with_pay = [p for p in postings if p.salary_currency and _mid(p) is not None]
    stated = [p for p in with_pay if p.id not in predicted]
    by_currency: dict[str, list[float]] = defaultdict(list)
    by_credential: dict[tuple[str, str], list[float]] = defaultdict(list)
    for p in stated:
        mid = _mid(p)
        by_currency[p.salary_currency].append(mid)
        for sid in per_posting_creds.get(p.id, {}):
            by_credential[(sid, p.salary_currency)].append(mid)
    credential_rows = [{"id": sid, "currency": cur, **_pay(values)} for (sid, cur), values in by_credential.items()]
    credential_rows.sort(key=lambda r: (r["currency"], -r["postings"], r["id"]))
    return {"postings": len(postings), "stating": len(stated), "predicted_excluded": len(with_pay) - len(stated),
            "by_currency": [{"currency": cur, **_pay(values)} for cur, values in sorted(by_currency.items())],
            "by_credential": credential_rows}


def _employers(postings: list[PostingNeeds], top: int) -> dict:
    n = len(postings)
    counts = Counter(p.employer for p in postings if p.employer)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {"postings": n, "stating": sum(counts.values()), "employers": len(counts),
            "top": [{"employer": e, "postings": c, "share": _share(c, n)} for e, c in ranked]}


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _trend(db: sqlite_utils.Database, *, country: str | None, remote_only: bool, since_cutoff: str | None,
           role_family: str | None, day: date, months: int) -> dict:
    """Postings first seen per month and open at each month's end, closed ones included, up to ``day``."""
    # The same scope and filters as load_market, without "open": a trend of only today's open postings would be a ramp.
    where, params = ["p.scope = 'in'", "coalesce(p.is_representative, 1) = 1", "p.first_seen is not null",
                     "substr(p.first_seen, 1, 10) <= ?"], [day.isoformat()]
    if country:
        where.append("p.country = ?")
        params.append(country.upper())
    if remote_only:
        where.append("p.remote = 'remote'")
    if since_cutoff:
        where.append("coalesce(p.posted_at, substr(p.first_seen, 1, 10)) >= ?")
        params.append(since_cutoff)
    if role_family:
        where.append("p.role_family = ?")
        params.append(role_family)
    rows = db.execute(f"select substr(p.first_seen, 1, 10), substr(p.closed_at, 1, 10) from postings p where {' and '.join(where)}",
                      params).fetchall()
    firsts = sorted(r[0] for r in rows)
    # A posting is open on day E when first seen by E and not closed by E; a closing dated before the
    # first sighting (clock trouble) counts as closed at once.
    closes = sorted(max(r[1], r[0]) for r in rows if r[1])
    per_month = Counter(f[:7] for f in firsts)
    last = day.year * 12 + day.month - 1
    first = last - months + 1
    if firsts:
        y, m = map(int, firsts[0][:7].split("-"))
        first = max(first, y * 12 + m - 1)
    out = []
    for index in range(first, last + 1):
        year, month = divmod(index, 12)
        end = min(_month_end(year, month + 1), day).isoformat()
        out.append({"month": f"{year:04d}-{month + 1:02d}", "first_seen": per_month.get(f"{year:04d}-{month + 1:02d}", 0),
                    "open_at": end, "open": bisect_right(firsts, end) - bisect_right(closes, end)})
    return {"postings": len(rows), "months": out}


def market_report(db: sqlite_utils.Database, *, country: str | None = None, remote_only: bool = False, since_days: int | None = None,
                  role_family: str | None = None, as_of: str | None = None, now: datetime | None = None, top: int = 15,
                  trend_months: int = 24, taxonomy: Taxonomy | None = None) -> dict:
    """The market view as a JSON-ready dict (the documented ``medcoder market --format json`` interface).

    ``as_of`` (YYYY-MM-DD) looks at the postings open on that day, and
    ``since_days`` then counts back from it; otherwise from ``now``.
    """
    tax = taxonomy or load_taxonomy()
    now = now or datetime.now(UTC)
    day = date.fromisoformat(parse_day(as_of)) if as_of else now.date()
    base = datetime(day.year, day.month, day.day, tzinfo=UTC) if as_of else now
    postings = load_market(db, country=country, remote_only=remote_only, since_days=since_days, role_family=role_family,
                           now=base, as_of=day.isoformat() if as_of else None)
    n = len(postings)
    ids = {p.id for p in postings}
    predicted = {r[0] for r in db.execute("select id from postings where coalesce(salary_predicted, 0) = 1").fetchall()} & ids
    credentials, per_posting_creds = _credentials(postings, tax)
    dates = sorted(p.posted_at for p in postings if p.posted_at)
    cutoff = (base - timedelta(days=since_days)).date().isoformat() if since_days else None
    return {
        "report_version": REPORT_VERSION,
        "generated_at": now.replace(microsecond=0).isoformat(),
        "filters": {"country": country.upper() if country else None, "remote_only": remote_only, "since_days": since_days,
                    "role_family": role_family, "as_of": day.isoformat() if as_of else None},
        "postings_considered": n,
        "sources": sorted({p.source_id for p in postings}),
        "date_window": {"first": dates[0] if dates else None, "last": dates[-1] if dates else None},
        "credentials": credentials,
        "code_sets": _code_sets(postings, tax),
        "experience": _experience(postings),
        "education": _education(postings),
        "work_mode": _work_mode(postings),
        "salaries": _salaries(postings, predicted, per_posting_creds),
        "trend": _trend(db, country=country, remote_only=remote_only, since_cutoff=cutoff, role_family=role_family, day=day,
                        months=trend_months),
        "employers": _employers(postings, top),
    }

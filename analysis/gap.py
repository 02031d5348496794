"""The skills gap: which postings a profile qualifies for, what blocks the rest, what to do next.

Matching semantics (documented in docs/gap-report.md and tested):

* A credential requirement is one alternative group; any member satisfies it,
  and so does anything the taxonomy says satisfies a member (CPC satisfies
  CPC-A; any AAPC credential satisfies AAPC_ANY; any coding credential
  satisfies CODING_CERT_ANY).
* A credential with a grace period ("within 12 months of hire") that the
  profile lacks is *attainable*: it does not block qualification.
* Code sets are met when the profile lists them; experience compares years
  (per setting when the posting names one and the profile gives it);
  education levels are ordered high_school < certificate < associate <
  bachelor < master.
* Tools, knowledge and soft skills inform the match score but never block.

Statuses: ``qualified`` (every required item met, and every preferred one),
``qualified_gaps_preferred`` (required met, some preferred missing),
``near_miss`` (exactly one required item missing), ``out_of_reach``.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from analysis.extract import EDUCATION_LEVELS
from analysis.profile import Profile
from analysis.taxonomy import CODING_ANY, Taxonomy, load_taxonomy
from medcoder.lifecycle import open_as_of

GENERIC_STAND_IN = {"AAPC_ANY": "CPC", "AHIMA_ANY": "CCS", CODING_ANY: "CPC"}
GENERIC_LABELS = {"AAPC_ANY": "any AAPC credential", "AHIMA_ANY": "any AHIMA credential", CODING_ANY: "any coding credential"}
BLOCKING = ("credential", "code_set", "experience", "education")


@dataclass(frozen=True)
class Need:
    kind: str  # credential, code_set, experience, education, tool, skill
    ids: frozenset[str] = frozenset()
    level: str = "required"
    within_months: int | None = None
    years: float | None = None
    setting: str | None = None
    edu: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "credential":
            # Named credentials first, then the generic "any ..." ones, in words a person reads.
            ids = sorted(self.ids, key=lambda i: (i in GENERIC_LABELS, i))
            return " or ".join(GENERIC_LABELS.get(i, i) for i in ids)
        if self.kind == "experience":
            return f"{self.years:g} years{' of ' + self.setting if self.setting else ''} experience"
        if self.kind == "education":
            return f"{self.edu} education"
        return next(iter(self.ids))


@dataclass
class PostingNeeds:
    id: str
    title: str
    employer: str | None
    location: str | None
    country: str | None
    remote: str | None
    url: str
    source_id: str
    role_family: str | None
    posted_at: str | None
    salary_annual_min: float | None
    salary_annual_max: float | None
    salary_currency: str | None
    needs: list[Need] = field(default_factory=list)


@dataclass(frozen=True)
class State:
    """What a candidate has, in the form matching needs: satisfied credential ids, code sets, years, education rank."""

    creds: frozenset[str]
    code_sets: frozenset[str]
    tools: frozenset[str]
    skills: frozenset[str]
    years: float
    years_by_setting: tuple[tuple[str, float], ...]
    edu_rank: int

    @classmethod
    def from_profile(cls, prof: Profile, tax: Taxonomy) -> "State":
        creds: set[str] = set()
        for cid, status in prof.credentials.items():
            if status == "in_progress":
                continue
            if status == "apprentice":
                if f"{cid}-A" in tax.skills:
                    creds |= tax.satisfied_by(f"{cid}-A")
                else:
                    # An apprentice (CRC-A, COC-A) holds no full credential: only the generic "any AAPC/coding credential".
                    creds |= tax.satisfied_by(cid) - {cid} - tax.skills[cid].satisfies
                continue
            creds |= tax.satisfied_by(cid)
        rank = EDUCATION_LEVELS.index(prof.education_level) if prof.education_level else -1
        return cls(frozenset(creds), frozenset(prof.code_sets), frozenset(prof.tools), frozenset(prof.skills),
                   prof.experience_years, tuple(sorted(prof.experience_by_setting.items())), rank)

    def with_action(self, action: tuple, tax: Taxonomy) -> "State":
        kind, value = action[0], action[1]
        if kind == "credential":
            return State(self.creds | tax.satisfied_by(value), self.code_sets, self.tools, self.skills, self.years, self.years_by_setting, self.edu_rank)
        if kind == "code_set":
            return State(self.creds, self.code_sets | {value}, self.tools, self.skills, self.years, self.years_by_setting, self.edu_rank)
        if kind == "experience":
            setting, years = value, action[2]
            by = dict(self.years_by_setting)
            if setting:
                by[setting] = max(by.get(setting, 0.0), years)
            return State(self.creds, self.code_sets, self.tools, self.skills, max(self.years, years), tuple(sorted(by.items())), self.edu_rank)
        if kind == "education":
            return State(self.creds, self.code_sets, self.tools, self.skills, self.years, self.years_by_setting, max(self.edu_rank, EDUCATION_LEVELS.index(value)))
        raise ValueError(f"unknown action {action!r}")


def met(need: Need, state: State) -> bool:
    """Whether ``state`` satisfies ``need`` (grace periods aside: see :func:`status_of`)."""
    if need.kind == "credential":
        return bool(need.ids & state.creds)
    if need.kind == "code_set":
        return bool(need.ids & state.code_sets)
    if need.kind == "tool":
        return bool(need.ids & state.tools)
    if need.kind == "skill":
        return bool(need.ids & state.skills)
    if need.kind == "experience":
        years = dict(state.years_by_setting).get(need.setting, state.years) if need.setting else state.years
        return years >= (need.years or 0)
    if need.kind == "education":
        return state.edu_rank >= EDUCATION_LEVELS.index(need.edu)
    return True


def missing_required(p: PostingNeeds, state: State) -> list[Need]:
    """Blocking needs the state lacks; a credential within a grace period is attainable, not missing."""
    return [n for n in p.needs if n.level == "required" and n.kind in BLOCKING and n.within_months is None and not met(n, state)]


def status_of(p: PostingNeeds, state: State) -> str:
    missing = missing_required(p, state)
    if not missing:
        preferred_gap = any(n.level == "preferred" and n.kind in BLOCKING and not met(n, state) for n in p.needs)
        return "qualified_gaps_preferred" if preferred_gap else "qualified"
    return "near_miss" if len(missing) == 1 else "out_of_reach"


def match_score(p: PostingNeeds, state: State) -> float:
    """Share of the posting's needs met, required weighing twice preferred (1.0 when it names none)."""
    weights = [(2.0 if n.level == "required" else 1.0, met(n, state) or (n.within_months is not None)) for n in p.needs]
    total = sum(w for w, _ in weights)
    return round(sum(w for w, ok in weights if ok) / total, 3) if total else 1.0


def load_market(db: sqlite_utils.Database, *, country: str | None = None, countries: list[str] | None = None,
                remote_only: bool = False, since_days: int | None = None, role_family: str | None = None,
                now: datetime | None = None, as_of: str | None = None) -> list[PostingNeeds]:
    """Open, in-scope, de-duplicated postings with their needs, filtered as the report asks.

    Each cluster of duplicates counts once (its representative). ``as_of``
    (an ISO date) asks for the postings open on that day instead of today.
    """
    where, params = ["p.scope = 'in'", "coalesce(p.is_representative, 1) = 1"], []
    if as_of:
        where.append(open_as_of(as_of))
    else:
        where.append("p.closed_at is null")
    wanted = [country.upper()] if country else [c.upper() for c in (countries or [])]
    if wanted:
        where.append(f"p.country in ({','.join('?' * len(wanted))})")
        params += wanted
    if remote_only:
        where.append("p.remote = 'remote'")
    if since_days:
        # Looking back (as_of), "the last N days" ends on that day, not today.
        base = datetime.fromisoformat(as_of).replace(tzinfo=UTC) if as_of else (now or datetime.now(UTC))
        cutoff = (base - timedelta(days=since_days)).date().isoformat()
        where.append("coalesce(p.posted_at, substr(p.first_seen, 1, 10)) >= ?")
        params.append(cutoff)
    if role_family:
        where.append("p.role_family = ?")
        params.append(role_family)
    sql = f"""select p.id, p.title, p.employer, coalesce(p.location_text, p.city), p.country, p.remote, p.url, p.source_id, p.role_family,
                     p.posted_at, p.salary_annual_min, p.salary_annual_max, p.salary_currency,
                     p.experience_years_min, p.experience_setting, p.education_min
              from postings p where {' and '.join(where)} order by p.posted_at desc, p.id"""
    postings: dict[str, PostingNeeds] = {}
    for row in db.execute(sql, params).fetchall():
        p = PostingNeeds(*row[:13])
        if row[13] is not None:
            p.needs.append(Need("experience", years=row[13], setting=row[14]))
        if row[15]:
            p.needs.append(Need("education", edu=row[15]))
        postings[p.id] = p
    if not postings:
        return []
    groups: dict[tuple[str, int], list] = defaultdict(list)
    rows = db.execute("select posting_id, skill_id, category, level, alt_group, within_months from posting_requirements").fetchall()
    for pid, skill, category, level, group, within in rows:
        p = postings.get(pid)
        if p is None:
            continue
        if category == "credential" and group is not None:
            groups[(pid, group)].append((skill, level, within))
            continue
        kind = {"credential": "credential", "code_set": "code_set", "tool": "tool"}.get(category, "skill")
        p.needs.append(Need(kind, frozenset([skill]), level, within))
    for (pid, _), members in groups.items():
        level = "required" if any(m[1] == "required" for m in members) else "preferred"
        within = next((m[2] for m in members if m[2] is not None), None)
        postings[pid].needs.append(Need("credential", frozenset(m[0] for m in members), level, within))
    return list(postings.values())


def candidate_actions(postings: list[PostingNeeds], state: State) -> set[tuple]:
    """Every single step that could close a missing required need somewhere in the market."""
    actions: set[tuple] = set()
    for p in postings:
        for n in missing_required(p, state):
            if n.kind == "credential":
                for cid in n.ids:
                    actions.add(("credential", GENERIC_STAND_IN.get(cid, cid)))
            elif n.kind == "code_set":
                actions.add(("code_set", next(iter(n.ids))))
            elif n.kind == "experience":
                actions.add(("experience", n.setting, n.years))
            elif n.kind == "education":
                actions.add(("education", n.edu))
    return actions


def action_id(action: tuple) -> str:
    """A stable id for a plan step: "CRC", "code_set:ICD-10-PCS", "experience:inpatient:2", "education:associate"."""
    kind = action[0]
    if kind == "credential":
        return action[1]
    if kind == "experience":
        return f"experience:{action[1] or 'any'}:{action[2]:g}"
    return f"{kind}:{action[1]}"


def action_label(action: tuple) -> str:
    kind = action[0]
    if kind == "credential":
        return f"get {action[1]}"
    if kind == "code_set":
        return f"learn {action[1]}"
    if kind == "experience":
        return f"reach {action[2]:g} years of {action[1] + ' ' if action[1] else ''}coding experience"
    return f"complete {action[1].replace('_', ' ')} education"


def _qualified_count(postings: list[PostingNeeds], state: State) -> int:
    return sum(1 for p in postings if not missing_required(p, state))


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values)) if values else None


def gap_report(db: sqlite_utils.Database, prof: Profile, *, country: str | None = None, remote_only: bool = False,
               since_days: int | None = None, role_family: str | None = None, best: int = 10, plan_steps: int = 5,
               taxonomy: Taxonomy | None = None, now: datetime | None = None, as_of: str | None = None) -> dict:
    """The whole report as a JSON-ready dict (the documented ``--format json`` interface)."""
    tax = taxonomy or load_taxonomy()
    postings = load_market(db, country=country, countries=None if country else prof.countries, remote_only=remote_only,
                           since_days=since_days, role_family=role_family, now=now, as_of=as_of)
    n = len(postings)
    state = State.from_profile(prof, tax)
    statuses = {p.id: status_of(p, state) for p in postings}
    counts = Counter(statuses.values())
    qualified = counts["qualified"] + counts["qualified_gaps_preferred"]

    missing = []
    for action in candidate_actions(postings, state):
        after = state.with_action(action, tax)
        unlocks = sum(1 for p in postings if missing_required(p, state) and not missing_required(p, after))
        if unlocks:
            missing.append({"id": action_id(action), "label": action_label(action), "kind": action[0], "unlocks": unlocks,
                            "share_gain": round(unlocks / n, 4) if n else 0.0, "_action": action})
    # "3 years of inpatient experience" also counts as 3 years overall; list it
    # only when the setting unlocks more than the plain years would.
    general = {m["_action"][2]: m["unlocks"] for m in missing if m["kind"] == "experience" and m["_action"][1] is None}
    missing = [m for m in missing if not (m["kind"] == "experience" and m["_action"][1] is not None
                                          and general.get(m["_action"][2], -1) >= m["unlocks"])]
    missing.sort(key=lambda m: (-m["unlocks"], m["id"]))

    plan, current, current_count = [], state, qualified
    for _ in range(plan_steps):
        # Candidates come from the state after the steps so far: a step may only pay off after an earlier one.
        best_step = None
        for action in sorted(candidate_actions(postings, current), key=action_id):
            count = _qualified_count(postings, current.with_action(action, tax))
            if count > current_count and (best_step is None or count > best_step[1]):
                best_step = (action, count)
        if not best_step:
            break
        action, count = best_step
        current = current.with_action(action, tax)
        plan.append({"id": action_id(action), "label": action_label(action), "gain": round((count - current_count) / n, 4),
                     "cumulative_share": round(count / n, 4), "postings": count})
        current_count = count

    money = {}
    unlocked_ids = {p.id for p in postings if statuses[p.id] == "near_miss"}
    for cur in sorted({p.salary_currency for p in postings if p.salary_currency}):
        def mids(ids):
            return [((p.salary_annual_min or p.salary_annual_max) + (p.salary_annual_max or p.salary_annual_min)) / 2
                    for p in postings if p.id in ids and p.salary_currency == cur and (p.salary_annual_min or p.salary_annual_max)]
        q_ids = {p.id for p in postings if statuses[p.id].startswith("qualified")}
        q, u = mids(q_ids), mids(unlocked_ids)
        money[cur] = {"qualified_median_annual": _median(q), "qualified_with_salary": len(q),
                      "near_miss_median_annual": _median(u), "near_miss_with_salary": len(u),
                      "postings_with_salary": len([p for p in postings if p.salary_currency == cur])}

    demand: Counter = Counter()
    demand_need: dict[str, Need] = {}
    for p in postings:
        for nd in p.needs:
            if nd.kind in ("credential", "code_set") and nd.level == "required":
                demand_need.setdefault(nd.label, nd)
        for label in {nd.label for nd in p.needs if nd.kind in ("credential", "code_set") and nd.level == "required"}:
            demand[label] += 1
    have = {*prof.held_credentials(), *prof.code_sets, *prof.tools, *prof.skills}
    asked = Counter()
    for p in postings:
        for sid in {i for nd in p.needs for i in nd.ids}:
            asked[sid] += 1
    strengths = sorted(({"id": h, "postings": asked.get(h, 0), "share": round(asked.get(h, 0) / n, 4) if n else 0.0} for h in have),
                       key=lambda s: -s["postings"])

    order = ["qualified", "qualified_gaps_preferred", "near_miss", "out_of_reach"]
    newest_first = sorted(postings, key=lambda p: (p.posted_at or "", p.id), reverse=True)
    ranked = sorted(newest_first, key=lambda p: (order.index(statuses[p.id]), -match_score(p, state)))
    best_matches = [{
        "id": p.id, "title": p.title, "employer": p.employer, "location": p.location, "country": p.country, "remote": p.remote,
        "url": p.url, "status": statuses[p.id], "score": match_score(p, state),
        "salary": {"annual_min": p.salary_annual_min, "annual_max": p.salary_annual_max, "currency": p.salary_currency} if p.salary_currency else None,
        "missing": [n.label for n in missing_required(p, state)],
        "missing_preferred": [n.label for n in p.needs if n.level == "preferred" and n.kind in BLOCKING and not met(n, state)],
        "attainable": [n.label for n in p.needs if n.within_months is not None and not met(n, state)],
    } for p in ranked[:best]]

    for m in missing:
        m.pop("_action")
    dates = sorted(p.posted_at for p in postings if p.posted_at)
    return {
        "report_version": 1,
        "generated_at": (now or datetime.now(UTC)).replace(microsecond=0).isoformat(),
        "filters": {"country": country, "countries": None if country else prof.countries, "remote_only": remote_only,
                    "since_days": since_days, "role_family": role_family, "as_of": as_of},
        "postings_considered": n,
        "sources": sorted({p.source_id for p in postings}),
        "date_window": {"first": dates[0] if dates else None, "last": dates[-1] if dates else None},
        "status_counts": dict(counts),
        "qualified": qualified,
        "qualified_share": round(qualified / n, 4) if n else 0.0,
        "qualified_with_preferred": counts["qualified"],
        "qualified_with_preferred_share": round(counts["qualified"] / n, 4) if n else 0.0,
        "missing": missing,
        "plan": plan,
        "money": money,
        "demand": [{"id": k, "postings": v, "share": round(v / n, 4), "have": met(demand_need[k], state)}
                   for k, v in sorted(demand.items(), key=lambda kv: (-kv[1], kv[0]))[:20]],
        "strengths": strengths,
        "best_matches": best_matches,
    }

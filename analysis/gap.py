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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from analysis.extract import EDUCATION_LEVELS
from analysis.profile import Profile
from analysis.taxonomy import CODING_ANY, Taxonomy, load_taxonomy
from medcoder.lifecycle import open_as_of

GENERIC_STAND_IN = {"AAPC_ANY": "CPC", "AHIMA_ANY": "CCS", CODING_ANY: "CPC"}
GENERIC_LABELS = {"AAPC_ANY": "any AAPC credential", "AHIMA_ANY": "any AHIMA credential", CODING_ANY: "any coding credential"}
BLOCKING = ("credential", "code_set", "experience", "education")


@dataclass(frozen=True, slots=True)
class Need:
    kind: str  # credential, code_set, experience, education, tool, skill
    ids: frozenset[str] = frozenset()
    level: str = "required"
    within_months: int | None = None
    years: float | None = None
    setting: str | None = None
    edu: str | None = None
    # The two below are read for every need of every posting, several times a report: worked out once, here.
    # Whether lacking it keeps a posting out: required, of a blocking kind, and no grace period.
    blocking: bool = field(default=False, init=False, repr=False, compare=False)
    # The hash dataclass would compute on each lookup (needs key the report's tables: what a state meets,
    # postings grouped by what they ask).
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocking", self.level == "required" and self.kind in BLOCKING and self.within_months is None)
        object.__setattr__(self, "_hash", hash((self.kind, self.ids, self.level, self.within_months, self.years,
                                                self.setting, self.edu)))

    def __hash__(self) -> int:
        return self._hash

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


@dataclass(slots=True)  # slots: a market holds tens of thousands
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
    # What this state meets, need by need (see :func:`met`): a state never changes and a market repeats
    # about a hundred distinct needs over all its postings, so each is worked out once.
    known: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
    ok = state.known.get(need)
    if ok is None:
        ok = state.known[need] = _meets(need, state)
    return ok


def _meets(need: Need, state: State) -> bool:
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
    return [n for n in p.needs if n.blocking and not met(n, state)]


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


def _market_where(*, country: str | None, countries: list[str] | None, remote_only: bool, since_days: int | None,
                  role_family: str | None, now: datetime | None, as_of: str | None) -> tuple[str, list]:
    """The SQL condition on ``postings p`` selecting the market, and its parameters."""
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
    return " and ".join(where), params


class _NeedTable(dict):
    """Needs made from raw column values (the key), one shared object per distinct need.

    A market repeats about a hundred distinct needs over all its postings: a
    repeated one costs a dict lookup, not a new object and frozenset.
    ``canonical`` is shared between tables, so equal needs made from
    different columns are one object too.
    """

    def __init__(self, make: Callable[[Any], Need], canonical: dict[Need, Need]):
        super().__init__()
        self.make, self.canonical = make, canonical

    def __missing__(self, key) -> Need:
        fresh = self.make(key)
        need = self[key] = self.canonical.setdefault(fresh, fresh)
        return need


REQUIREMENT_KINDS = {"credential": "credential", "code_set": "code_set", "tool": "tool"}  # anything else is a skill


def _requirement_need(key: tuple) -> Need:
    """The need of one ``posting_requirements`` row outside a credential group: (skill, category, level, within)."""
    skill, category, level, within = key
    return Need(REQUIREMENT_KINDS.get(category, "skill"), frozenset([skill]), level, within)


def load_market(db: sqlite_utils.Database, *, country: str | None = None, countries: list[str] | None = None,
                remote_only: bool = False, since_days: int | None = None, role_family: str | None = None,
                now: datetime | None = None, as_of: str | None = None) -> list[PostingNeeds]:
    """Open, in-scope, de-duplicated postings with their needs, filtered as the report asks.

    Each cluster of duplicates counts once (its representative). ``as_of``
    (an ISO date) asks for the postings open on that day instead of today.
    """
    where, params = _market_where(country=country, countries=countries, remote_only=remote_only, since_days=since_days,
                                  role_family=role_family, now=now, as_of=as_of)
    sql = f"""select p.id, p.title, p.employer, coalesce(p.location_text, p.city), p.country, p.remote, p.url, p.source_id, p.role_family,
                     p.posted_at, p.salary_annual_min, p.salary_annual_max, p.salary_currency,
                     p.experience_years_min, p.experience_setting, p.education_min
              from postings p where {where} order by p.posted_at desc, p.id"""
    canonical: dict[Need, Need] = {}
    experience = _NeedTable(lambda key: Need("experience", years=key[0], setting=key[1]), canonical)
    education = _NeedTable(lambda edu: Need("education", edu=edu), canonical)
    requirement = _NeedTable(_requirement_need, canonical)
    # Most columns repeat from posting to posting (employer, place, country, source, day, currency): one string each.
    one = {}.setdefault
    postings: dict[str, PostingNeeds] = {}
    for (pid, title, employer, location, country_code, remote, url, source_id, family, posted_at, pay_min, pay_max, currency,
         years, setting, edu) in db.execute(sql, params):
        p = PostingNeeds(pid, one(title, title), one(employer, employer), one(location, location), one(country_code, country_code),
                         one(remote, remote), url, one(source_id, source_id), one(family, family), one(posted_at, posted_at),
                         pay_min, pay_max, one(currency, currency))
        if years is not None:
            p.needs.append(experience[years, setting])
        if edu:
            p.needs.append(education[edu])
        postings[pid] = p
    if not postings:
        return []
    # Only the market's requirements, streamed in the order they were written (a posting's needs keep that order).
    rows = db.execute("select posting_id, skill_id, category, level, alt_group, within_months from posting_requirements "
                      f"where posting_id in (select p.id from postings p where {where}) order by id", params)
    groups: dict[tuple[str, int], list] = defaultdict(list)
    for pid, skill, category, level, group, within in rows:
        p = postings.get(pid)
        if p is None:  # written between the two queries
            continue
        if category == "credential" and group is not None:
            groups[(pid, group)].append((skill, level, within))
            continue
        p.needs.append(requirement[skill, category, level, within])
    for (pid, _), members in groups.items():
        level = "required" if any(m[1] == "required" for m in members) else "preferred"
        within = next((m[2] for m in members if m[2] is not None), None)
        fresh = Need("credential", frozenset(m[0] for m in members), level, within)
        postings[pid].needs.append(canonical.setdefault(fresh, fresh))
    return list(postings.values())


def candidate_actions(lacking: Iterable[Need]) -> set[tuple]:
    """Every single step that would close one of the ``lacking`` needs."""
    actions: set[tuple] = set()
    for n in lacking:
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


def blocking_groups(postings: list[PostingNeeds]) -> Counter[frozenset[Need]]:
    """Postings counted by the set of blocking needs they name.

    Whether a posting qualifies depends on that set alone, and postings ask
    for the same few things (the benchmark's 73,764 postings name 956
    sets): the plan search weighs each set by its count instead of checking
    every posting.
    """
    return Counter(frozenset(n for n in p.needs if n.blocking) for p in postings)


def unlocks_by_step(groups: Counter[frozenset[Need]], state: State, tax: Taxonomy) -> dict[tuple, int]:
    """Every step that would close a need ``state`` lacks somewhere, and how many postings it alone would qualify."""
    lacking_by_group = {}
    for needs in groups:
        lacking = [n for n in needs if not met(n, state)]
        if lacking:
            lacking_by_group[needs] = lacking
    # A step changes one part of the state (credentials, code sets, years or education) and a need's kind is
    # the part it reads: a step can only qualify postings whose every lacking need is of its kind.
    closable: dict[str, list[tuple[list[Need], int]]] = defaultdict(list)
    for needs, lacking in lacking_by_group.items():
        if all(n.kind == lacking[0].kind for n in lacking):
            closable[lacking[0].kind].append((lacking, groups[needs]))
    unlocks = {}
    for action in candidate_actions({n for lacking in lacking_by_group.values() for n in lacking}):
        after = state.with_action(action, tax)
        unlocks[action] = sum(count for lacking, count in closable.get(action[0], ()) if all(met(n, after) for n in lacking))
    return unlocks


def missing_steps(groups: Counter[frozenset[Need]], state: State, n: int, tax: Taxonomy) -> list[dict]:
    """The single steps that would qualify ``state`` for more postings, most postings first."""
    missing = [{"id": action_id(action), "label": action_label(action), "kind": action[0], "unlocks": unlocks,
                "share_gain": round(unlocks / n, 4) if n else 0.0, "_action": action}
               for action, unlocks in unlocks_by_step(groups, state, tax).items() if unlocks]
    # "3 years of inpatient experience" also counts as 3 years overall; list it
    # only when the setting unlocks more than the plain years would.
    general = {m["_action"][2]: m["unlocks"] for m in missing if m["kind"] == "experience" and m["_action"][1] is None}
    missing = [m for m in missing if not (m["kind"] == "experience" and m["_action"][1] is not None
                                          and general.get(m["_action"][2], -1) >= m["unlocks"])]
    missing.sort(key=lambda m: (-m["unlocks"], m["id"]))
    for m in missing:
        m.pop("_action")
    return missing


def plan_steps_greedy(groups: Counter[frozenset[Need]], state: State, qualified: int, n: int, steps: int,
                      tax: Taxonomy) -> list[dict]:
    """Up to ``steps`` steps, each the one qualifying the most further postings (ties: the lowest step id).

    A step only adds to what the state meets (credentials and code sets
    join, years and education rise; a step for a setting the profile does
    not break out is a candidate only when the overall years fall short of
    it), so every posting qualified before a step stays qualified: the count
    after a step is the count before plus what the step unlocks.
    """
    plan, current, count = [], state, qualified
    for _ in range(steps):
        # Candidates come from the state after the steps so far: a step may only pay off after an earlier one.
        unlocks = unlocks_by_step(groups, current, tax)
        best = None
        for action in sorted(unlocks, key=action_id):
            if unlocks[action] > 0 and (best is None or unlocks[action] > unlocks[best]):
                best = action
        if best is None:
            break
        current = current.with_action(best, tax)
        gained = unlocks[best]
        plan.append({"id": action_id(best), "label": action_label(best), "gain": round(gained / n, 4),
                     "cumulative_share": round((count + gained) / n, 4), "postings": count + gained})
        count += gained
    return plan


def _pay_mid(p: PostingNeeds) -> float | None:
    """The middle of the posting's annual pay range (the one end it states, if only one)."""
    lo, hi = p.salary_annual_min, p.salary_annual_max
    if not (lo or hi):
        return None
    return ((lo or hi) + (hi or lo)) / 2


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values)) if values else None


def _money(postings: list[PostingNeeds], statuses: dict[str, str]) -> dict:
    """Per currency: the median pay of the postings qualified for and of the near misses, and what each rests on."""
    stated: Counter = Counter()
    qualified: dict[str, list[float]] = defaultdict(list)
    near: dict[str, list[float]] = defaultdict(list)
    for p in postings:
        if not p.salary_currency:
            continue
        stated[p.salary_currency] += 1
        mid, status = _pay_mid(p), statuses[p.id]
        if mid is None:
            continue
        if status.startswith("qualified"):
            qualified[p.salary_currency].append(mid)
        elif status == "near_miss":
            near[p.salary_currency].append(mid)
    return {cur: {"qualified_median_annual": _median(qualified[cur]), "qualified_with_salary": len(qualified[cur]),
                  "near_miss_median_annual": _median(near[cur]), "near_miss_with_salary": len(near[cur]),
                  "postings_with_salary": stated[cur]}
            for cur in sorted(stated)}


def _demand(postings: list[PostingNeeds], state: State, n: int) -> list[dict]:
    """The 20 required credentials and code sets (as written) most postings ask for, and whether ``state`` meets each."""
    demand: Counter = Counter()
    first_need: dict[str, Need] = {}
    labels: dict[Need, str] = {}  # a label is worked out once per distinct need
    for p in postings:
        asked = set()
        for nd in p.needs:
            if nd.kind in ("credential", "code_set") and nd.level == "required":
                label = labels.get(nd)
                if label is None:
                    label = labels[nd] = nd.label
                first_need.setdefault(label, nd)
                asked.add(label)
        demand.update(asked)
    return [{"id": k, "postings": v, "share": round(v / n, 4), "have": met(first_need[k], state)}
            for k, v in sorted(demand.items(), key=lambda kv: (-kv[1], kv[0]))[:20]]


def _strengths(postings: list[PostingNeeds], prof: Profile, n: int) -> list[dict]:
    """What the profile has, each with how many postings name it (in any need, required or not)."""
    have = {*prof.held_credentials(), *prof.code_sets, *prof.tools, *prof.skills}
    asked: Counter = Counter()
    for p in postings:
        asked.update({i for nd in p.needs for i in nd.ids if i in have})
    return sorted(({"id": h, "postings": asked.get(h, 0), "share": round(asked.get(h, 0) / n, 4) if n else 0.0} for h in have),
                  key=lambda s: -s["postings"])


STATUS_ORDER = ("qualified", "qualified_gaps_preferred", "near_miss", "out_of_reach")


def _best_matches(postings: list[PostingNeeds], statuses: dict[str, str], state: State, best: int) -> list[dict]:
    """The ``best`` postings by status, then match score, then newest first."""
    # Status ranks first, so only the statuses that fill the first ``best`` places need scoring.
    counts, ranked_statuses, places = Counter(statuses.values()), set(), 0
    for status in STATUS_ORDER:
        if places >= best:
            break
        ranked_statuses.add(status)
        places += counts[status]
    postings = [p for p in postings if statuses[p.id] in ranked_statuses]
    newest_first = sorted(postings, key=lambda p: (p.posted_at or "", p.id), reverse=True)
    ranked = sorted(newest_first, key=lambda p: (STATUS_ORDER.index(statuses[p.id]), -match_score(p, state)))
    return [{
        "id": p.id, "title": p.title, "employer": p.employer, "location": p.location, "country": p.country, "remote": p.remote,
        "url": p.url, "status": statuses[p.id], "score": match_score(p, state),
        "salary": {"annual_min": p.salary_annual_min, "annual_max": p.salary_annual_max, "currency": p.salary_currency} if p.salary_currency else None,
        "missing": [n.label for n in missing_required(p, state)],
        "missing_preferred": [n.label for n in p.needs if n.level == "preferred" and n.kind in BLOCKING and not met(n, state)],
        "attainable": [n.label for n in p.needs if n.within_months is not None and not met(n, state)],
    } for p in ranked[:best]]


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
    groups = blocking_groups(postings)
    dates = [p.posted_at for p in postings if p.posted_at]
    return {
        "report_version": 1,
        "generated_at": (now or datetime.now(UTC)).replace(microsecond=0).isoformat(),
        "filters": {"country": country, "countries": None if country else prof.countries, "remote_only": remote_only,
                    "since_days": since_days, "role_family": role_family, "as_of": as_of},
        "postings_considered": n,
        "sources": sorted({p.source_id for p in postings}),
        "date_window": {"first": min(dates) if dates else None, "last": max(dates) if dates else None},
        "status_counts": dict(counts),
        "qualified": qualified,
        "qualified_share": round(qualified / n, 4) if n else 0.0,
        "qualified_with_preferred": counts["qualified"],
        "qualified_with_preferred_share": round(counts["qualified"] / n, 4) if n else 0.0,
        "missing": missing_steps(groups, state, n, tax),
        "plan": plan_steps_greedy(groups, state, qualified, n, plan_steps, tax),
        "money": _money(postings, statuses),
        "demand": _demand(postings, state, n),
        "strengths": _strengths(postings, prof, n),
        "best_matches": _best_matches(postings, statuses, state, best),
    }

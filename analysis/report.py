"""Rendering the gap report as JSON, Markdown or one self-contained HTML file."""

from __future__ import annotations

import json
import re
from functools import cache

from jinja2 import Environment, PackageLoader

FORMATS = ("html", "md", "json")


def pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f}%"


def money(amount: float | None, currency: str | None) -> str:
    """Amounts as people read them: $52,000; ₹4.2 L (lakh) for rupees."""
    if amount is None:
        return "n/a"
    if currency == "INR":
        return f"₹{amount / 100_000:.1f} L"
    symbol = "$" if currency == "USD" else (currency or "") + " "
    return f"{symbol}{amount:,.0f}"


@cache
def _env() -> Environment:
    # Posting titles are untrusted text from the web: the HTML template escapes everything.
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(pct=pct, money=money, pay_range=pay_range)
    return env


def _filters_text(report: dict) -> str:
    f = report["filters"]
    parts = [f"open on {f['as_of']}"] if f.get("as_of") else []
    if f.get("country"):
        parts.append(f"country {f['country']}")
    elif f.get("countries"):
        parts.append("countries " + ", ".join(f["countries"]))
    if f.get("remote_only"):
        parts.append("remote only")
    if f.get("since_days"):
        parts.append(f"posted in the last {f['since_days']} days")
    if f.get("role_family"):
        parts.append(f"role family {f['role_family']}")
    return "; ".join(parts) or "none"


def pay_range(salary: dict | None) -> str:
    """"$52,000 - $60,000", "up to ₹4.5 L", "from $40,000", or "" when no pay is stated."""
    if not salary:
        return ""
    lo, hi, cur = salary.get("annual_min"), salary.get("annual_max"), salary.get("currency")
    if lo is not None and hi is not None:
        return money(lo, cur) if lo == hi else f"{money(lo, cur)} - {money(hi, cur)}"
    if hi is not None:
        return f"up to {money(hi, cur)}"
    if lo is not None:
        return f"from {money(lo, cur)}"
    return ""


def md_escape(text: str | None) -> str:
    """Posting text is untrusted: neutralise Markdown link syntax and raw HTML."""
    text = text or ""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def render_markdown(r: dict, profile_name: str | None = None) -> str:
    """The report as Markdown for pasting; one item per line."""
    n = r["postings_considered"]
    lines = [f"# Skills-gap report{' for ' + md_escape(profile_name) if profile_name else ''}", "",
             f"Generated {r['generated_at']} from {n} open, in-scope postings ({', '.join(r['sources']) or 'no sources'}; "
             f"posted {r['date_window']['first'] or '?'} to {r['date_window']['last'] or '?'}; filters: {_filters_text(r)}).", "",
             "## Where you stand", "",
             f"- You qualify now for **{pct(r['qualified_share'])}** of postings ({r['qualified']} of {n}).",
             f"- Meeting the preferred requirements too: **{pct(r['qualified_with_preferred_share'])}** ({r['qualified_with_preferred']} of {n}).",
             f"- One requirement away (near miss): {r['status_counts'].get('near_miss', 0)}; further: {r['status_counts'].get('out_of_reach', 0)}.",
             "", "## What to do next", ""]
    if r["plan"]:
        for i, step in enumerate(r["plan"], start=1):
            label = step["label"][:1].upper() + step["label"][1:]
            lines.append(f"{i}. {label}: +{pct(step['gain'])} of postings (then {pct(step['cumulative_share'])}, {step['postings']} postings)")
    else:
        lines.append("No single step unlocks more postings in this market.")
    lines += ["", "| missing | unlocks (postings where it is the only gap) | share |", "|---|---:|---:|"]
    lines += [f"| {m['label']} | {m['unlocks']} | {pct(m['share_gain'])} |" for m in r["missing"][:15]]
    lines += ["", "## Money", ""]
    for cur, m in r["money"].items():
        lines.append(f"- {cur}: median annual pay of postings you qualify for {money(m['qualified_median_annual'], cur)} "
                     f"({m['qualified_with_salary']} postings with pay); of near misses {money(m['near_miss_median_annual'], cur)} "
                     f"({m['near_miss_with_salary']}). {m['postings_with_salary']} postings in {cur} state pay.")
    if not r["money"]:
        lines.append("- No posting in this selection states pay.")
    lines += ["", "## Most required credentials and code sets", "", "| requirement | postings | share | you |", "|---|---:|---:|---|"]
    lines += [f"| {d['id']} | {d['postings']} | {pct(d['share'])} | {'have' if d['have'] else 'missing'} |" for d in r["demand"]]
    lines += ["", "## Your strengths", ""]
    lines += [f"- {s['id']}: asked by {s['postings']} postings ({pct(s['share'])}){', rare in demand' if s['share'] < 0.1 else ''}"
              for s in r["strengths"]]
    lines += ["", "## Best-matching open postings", ""]
    for b in r["best_matches"]:
        where = md_escape(b["location"] or b["country"] or "") + (f" ({b['remote']})" if b["remote"] else "")
        pay = pay_range(b["salary"])
        url = b["url"] or ""
        link = f"[{md_escape(b['title'])}]({url})" if url.lower().startswith(("http://", "https://")) else md_escape(b["title"])
        text = f"- {link}, {md_escape(b['employer']) or '?'}, {where}"
        text += f", {pay} a year" if pay else ""
        text += f": {b['status'].replace('_', ' ')}"
        text += f"; missing {', '.join(b['missing'])}" if b["missing"] else ""
        text += f"; attainable after hire: {', '.join(b['attainable'])}" if b["attainable"] else ""
        lines.append(text)
    return "\n".join(lines) + "\n"


def render(report: dict, fmt: str, *, profile_name: str | None = None) -> str:
    """The report in ``fmt`` (html, md or json)."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False)
    if fmt == "md":
        return render_markdown(report, profile_name)
    if fmt != "html":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    view = dict(report, profile_name=profile_name)
    return _env().get_template("gap.html.j2").render(r=view, filters_text=_filters_text(report))


# --- the market view (``medcoder market``) ---------------------------------------

EXPERIENCE_LABELS = {"0": "0 (freshers)", "<1": "under 1", "1-2": "1 to 2", "2-3": "2 to 3", "3-5": "3 to 5", "5+": "5 or more"}


def market_filters_text(report: dict) -> str:
    """The market report's filters in words, "as of" first when it looks back."""
    as_of = report["filters"].get("as_of")
    text = _filters_text({"filters": {k: v for k, v in report["filters"].items() if k != "as_of"}})
    if as_of:
        return f"open on {as_of}" + ("" if text == "none" else f"; {text}")
    return text


def _label(value: str | None, missing: str = "not stated") -> str:
    return value.replace("_", " ") if value else missing


def render_market_markdown(r: dict) -> str:
    """The market report as Markdown for pasting; each table says how many postings it counts."""
    n = r["postings_considered"]
    c = r["credentials"]
    lines = ["# Medical-coding job market", "",
             f"{n} open, in-scope postings ({', '.join(r['sources']) or 'no sources'}; posted {r['date_window']['first'] or '?'} "
             f"to {r['date_window']['last'] or '?'}; filters: {market_filters_text(r)}). Generated {r['generated_at']}.", "",
             "## Credentials", "",
             f"{c['requiring_any']} of {n} postings ({pct(c['requiring_any_share'])}) require a credential; {c['naming_any']} name one.", "",
             "| credential | postings | required | preferred | share | required after hire allowed | a holder meets a required credential in |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for i in c["items"]:
        accepted = "" if i["accepted_for"] is None else str(i["accepted_for"])
        lines.append(f"| {i['id']} | {i['postings']} | {i['required']} | {i['preferred']} | {pct(i['share'])} | {i['after_hire']} | {accepted} |")
    lines += ["", f"Requirements as written (alternatives count once per posting; {n} postings):", "",
              "| requirement | postings | required | preferred |", "|---|---:|---:|---:|"]
    lines += [f"| {g['label']} | {g['postings']} | {g['required']} | {g['preferred']} |" for g in c["groups"][:20]]
    lines += ["", "## Code sets", "", f"Of {r['code_sets']['postings']} postings:", "",
              "| code set | postings | required | preferred | share |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {i['id']} | {i['postings']} | {i['required']} | {i['preferred']} | {pct(i['share'])} |" for i in r["code_sets"]["items"]]
    e = r["experience"]
    buckets = list(EXPERIENCE_LABELS)
    lines += ["", "## Experience asked, by role family", "",
              f"{e['stating']} of {e['postings']} postings state a minimum; median {e['median_years'] if e['median_years'] is not None else 'n/a'} years.", "",
              "| role family | postings | stating | median years | " + " | ".join(EXPERIENCE_LABELS.values()) + " |",
              "|---|---:|---:|---:|" + "---:|" * len(buckets)]
    for row in e["by_role_family"]:
        median = "" if row["median_years"] is None else f"{row['median_years']:g}"
        lines.append(f"| {md_escape(row['role_family'])} | {row['postings']} | {row['stating']} | {median} | "
                     + " | ".join(str(row["buckets"][b]) for b in buckets) + " |")
    lines += ["", "## Education asked", "", f"{r['education']['stating']} of {r['education']['postings']} postings state a minimum.", "",
              "| minimum | postings | share |", "|---|---:|---:|"]
    lines += [f"| {_label(x['level'])} | {x['postings']} | {pct(x['share'])} |" for x in r["education"]["levels"]]
    lines += ["", "## Work mode", "", "| mode | postings | share |", "|---|---:|---:|"]
    lines += [f"| {_label(x['mode'])} | {x['postings']} | {pct(x['share'])} |" for x in r["work_mode"]["modes"]]
    s = r["salaries"]
    lines += ["", "## Pay", "", f"{s['stating']} of {s['postings']} postings state pay (annualised midpoints; "
              f"left out as predicted by a job board: {s['predicted_excluded']}).", ""]
    for cur in s["by_currency"]:
        lines.append(f"- {cur['currency']}: median {money(cur['median_annual'], cur['currency'])} "
                     f"(middle half {money(cur['p25_annual'], cur['currency'])} to {money(cur['p75_annual'], cur['currency'])}), "
                     f"{cur['postings']} postings")
    if not s["by_currency"]:
        lines.append("- No posting in this selection states pay.")
    if s["by_credential"]:
        lines += ["", "| credential named | currency | postings with pay | median |", "|---|---|---:|---:|"]
        lines += [f"| {x['id']} | {x['currency']} | {x['postings']} | {money(x['median_annual'], x['currency'])} |" for x in s["by_credential"]]
    t = r["trend"]
    lines += ["", "## Trend by month", "", f"{t['postings']} postings, closed ones included, one per cluster of duplicates.", "",
              "| month | first seen | open at month end |", "|---|---:|---:|"]
    lines += [f"| {m['month']} | {m['first_seen']} | {m['open']} (on {m['open_at']}) |" for m in t["months"]]
    emp = r["employers"]
    lines += ["", "## Top employers", "", f"{emp['employers']} employers name themselves in {emp['stating']} of {emp['postings']} postings.", "",
              "| employer | postings | share |", "|---|---:|---:|"]
    lines += [f"| {md_escape(x['employer'])} | {x['postings']} | {pct(x['share'])} |" for x in emp["top"]]
    return "\n".join(lines) + "\n"


def render_market(report: dict, fmt: str) -> str:
    """The market report in ``fmt`` (html, md or json)."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False)
    if fmt == "md":
        return render_market_markdown(report)
    if fmt != "html":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return _env().get_template("market.html.j2").render(r=report, filters_text=market_filters_text(report),
                                                         experience_labels=EXPERIENCE_LABELS, label=_label)

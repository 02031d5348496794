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
    parts = []
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
        text = f"- [{md_escape(b['title'])}]({b['url']}), {md_escape(b['employer']) or '?'}, {where}"
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

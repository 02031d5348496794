"""Rendering the gap report as JSON, Markdown or one self-contained HTML file."""

from __future__ import annotations

import json
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

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
def _env(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(pct=pct, money=money)
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


def render(report: dict, fmt: str, *, profile_name: str | None = None) -> str:
    """The report in ``fmt`` (html, md or json)."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    have = {s["id"] for s in report["strengths"]}
    view = dict(report, profile_name=profile_name,
                demand=[dict(d, have=d["id"] in have or any(part in have for part in d["id"].split(" or "))) for d in report["demand"]])
    template = _env(fmt == "html").get_template("gap.html.j2" if fmt == "html" else "gap.md.j2")
    return template.render(r=view, filters_text=_filters_text(report))

"""The bundled demo job board: a small HTTP server on 127.0.0.1 serving career pages.

Postings come from the YAML files beside this module (see
``postings/FORMAT.md``) and are rendered as a career site would serve them:
paginated listings, one HTML page per job with schema.org ``JobPosting``
JSON-LD in the layout the posting names, a ``sitemap.xml`` and a
``robots.txt`` that disallows ``/internal/``. The server records every path
it was asked for, so tests can prove the crawler never fetched a
disallowed page.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import yaml

PAGE_SIZE = 20
DISALLOWED_PREFIX = "/internal/"
ROBOTS_TXT = f"""# medcoder demo board
User-agent: *
Disallow: {DISALLOWED_PREFIX}
Sitemap: /sitemap.xml
"""
LAYOUTS = ("plain", "graph", "array", "multi", "broken")
# The board's canonical address, declared in each page's JSON-LD "url" as real
# career sites do. Posting ids come from it, so re-running the demo on another
# free port updates the same rows instead of adding new ones.
CANONICAL_BASE = "https://demo-board.medcoder.example"


@dataclass(frozen=True)
class DemoPosting:
    data: dict

    @property
    def slug(self) -> str:
        return self.data["slug"]

    @property
    def path(self) -> str:
        return f"/jobs/{self.slug}.html"

    @property
    def expected(self) -> dict:
        return self.data.get("expected") or {}


@cache
def load_postings() -> tuple[DemoPosting, ...]:
    """Every bundled demo posting, in file then list order (slugs checked unique)."""
    folder = resources.files(__package__).joinpath("postings")
    out: list[DemoPosting] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            for raw in yaml.safe_load(entry.read_text(encoding="utf-8")) or []:
                if raw.get("layout") not in LAYOUTS:
                    raise ValueError(f"{entry.name}: posting {raw.get('slug')!r} has unknown layout {raw.get('layout')!r}")
                out.append(DemoPosting(raw))
    slugs = [p.slug for p in out]
    if len(slugs) != len(set(slugs)):
        raise ValueError("demo postings: duplicate slugs")
    return tuple(out)


def _job_posting_json(p: dict, url: str) -> dict:
    job: dict = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": p["title"],
        "description": p["description_html"],
        "datePosted": str(p["date_posted"]),
        "url": url,
        "hiringOrganization": {"@type": "Organization", "name": p["employer"], **({"sameAs": p["employer_url"]} if p.get("employer_url") else {})},
    }
    if p.get("valid_through"):
        job["validThrough"] = str(p["valid_through"])
    if p.get("employment_type"):
        job["employmentType"] = p["employment_type"]
    if p.get("identifier"):
        job["identifier"] = {"@type": "PropertyValue", "name": p["employer"], "value": str(p["identifier"])}
    if p.get("remote"):
        job["jobLocationType"] = "TELECOMMUTE"
        job["applicantLocationRequirements"] = {"@type": "Country", "name": p.get("applicant_country", "US")}
    loc = p.get("location")
    if loc:
        address = {"@type": "PostalAddress", "addressLocality": loc.get("city"), "addressRegion": loc.get("region"), "addressCountry": loc.get("country")}
        if loc.get("street"):
            address["streetAddress"] = loc["street"]
        if loc.get("postal_code"):
            address["postalCode"] = str(loc["postal_code"])
        job["jobLocation"] = {"@type": "Place", "address": {k: v for k, v in address.items() if v}}
    sal = p.get("salary")
    if sal:
        value = {"@type": "QuantitativeValue", "unitText": sal.get("unit", "YEAR")}
        if sal.get("min") is not None:
            value["minValue"] = sal["min"]
        if sal.get("max") is not None:
            value["maxValue"] = sal["max"]
        job["baseSalary"] = {"@type": "MonetaryAmount", "currency": sal.get("currency", "USD"), "value": value}
    return job


def _script(obj: object) -> str:
    # "</" inside JSON would end the script element early; escape it as browsers expect.
    return '<script type="application/ld+json">' + json.dumps(obj, indent=1, ensure_ascii=False).replace("</", "<\\/") + "</script>"


def render_job_page(posting: DemoPosting, base_url: str) -> str:
    """The HTML page of one posting, with its JSON-LD embedded in the posting's layout."""
    p = posting.data
    url = CANONICAL_BASE + posting.path
    job = _job_posting_json(p, url)
    org = {"@context": "https://schema.org", "@type": "Organization", "name": p["employer"], "url": p.get("employer_url", base_url)}
    crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Jobs", "item": base_url + "/jobs/"},
        {"@type": "ListItem", "position": 2, "name": p["title"], "item": url},
    ]}
    layout = p["layout"]
    if layout == "plain":
        blocks = [_script(job)]
    elif layout == "graph":
        job.pop("@context")
        org.pop("@context")
        blocks = [_script({"@context": "https://schema.org", "@graph": [org, {"@type": "WebPage", "url": url, "name": p["title"]}, job]})]
    elif layout == "array":
        blocks = [_script([crumbs, job])]
    elif layout == "multi":
        blocks = [_script(org), _script(crumbs), _script(job)]
    else:  # broken: a trailing comma, as hand-edited templates produce
        good = json.dumps(job, indent=1, ensure_ascii=False).replace("</", "<\\/")
        blocks = ['<script type="application/ld+json">' + good[:-1].rstrip() + ',\n}</script>']
    title = html.escape(p["title"])
    where = html.escape(", ".join(str(v) for v in (p.get("location") or {}).values() if v) or ("Remote" if p.get("remote") else ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - {html.escape(p['employer'])}</title>
{''.join(blocks)}
</head><body>
<nav><a href="/">Demo board</a> &rsaquo; <a href="/jobs/">Jobs</a></nav>
<main><h1>{title}</h1><p class="employer">{html.escape(p['employer'])}</p><p class="where">{where}</p>
<div class="description">{p['description_html']}</div></main>
</body></html>"""


def render_listing(postings: tuple[DemoPosting, ...], page: int) -> str | None:
    """Listing page ``page`` (1-based) with job links and a rel=next link; None past the end."""
    pages = max(1, -(-len(postings) // PAGE_SIZE))
    if page < 1 or page > pages:
        return None
    chunk = postings[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    links = "\n".join(
        f'<li><a class="job-link" href="{p.path}">{html.escape(p.data["title"])}</a> <span>{html.escape(p.data["employer"])}</span></li>'
        for p in chunk
    )
    if page == 1:
        # A draft the employer has not published: robots.txt disallows it and a polite crawler never fetches it.
        links += f'\n<li><a class="job-link" href="{DISALLOWED_PREFIX}draft-coder-posting.html">Draft: Coder (unpublished)</a></li>'
    nxt = f'<a rel="next" href="/jobs/?page={page + 1}">Next</a>' if page < pages else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Jobs - page {page}</title></head>
<body><h1>Open positions</h1><ul class="jobs">
{links}
</ul><nav class="pager">Page {page} of {pages} {nxt}</nav></body></html>"""


def render_sitemap(postings: tuple[DemoPosting, ...], base_url: str) -> str:
    urls = "\n".join(f"<url><loc>{base_url}{p.path}</loc><lastmod>{p.data['date_posted']}</lastmod></url>" for p in postings)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n'


class _Handler(BaseHTTPRequestHandler):
    server: "DemoBoardServer"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        self.server.requests.append(parts.path)
        base = self.server.base_url
        postings = self.server.postings
        body, ctype, status = None, "text/html; charset=utf-8", 200
        if parts.path == "/robots.txt":
            body, ctype = ROBOTS_TXT.replace("/sitemap.xml", base + "/sitemap.xml"), "text/plain; charset=utf-8"
        elif parts.path == "/sitemap.xml":
            body, ctype = render_sitemap(postings, base), "application/xml"
        elif parts.path in ("/", "/index.html"):
            body = '<!doctype html><html><body><h1>medcoder demo board</h1><a href="/jobs/">Open positions</a></body></html>'
        elif parts.path in ("/jobs", "/jobs/"):
            page = parse_qs(parts.query).get("page", ["1"])[0]
            body = render_listing(postings, int(page)) if page.isdigit() else None
        elif parts.path.startswith("/jobs/") and parts.path.endswith(".html"):
            match = self.server.by_path.get(parts.path)
            body = render_job_page(match, base) if match else None
        elif parts.path.startswith(DISALLOWED_PREFIX):
            body = "<html><body><h1>Internal draft</h1></body></html>"
        if body is None:
            body, status = "<html><body>Not found</body></html>", 404
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # keep the demo's terminal output for the user
        pass


class DemoBoardServer(ThreadingHTTPServer):
    """The demo board on 127.0.0.1 and a free port; use as a context manager."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when several crawlers start at once on a busy machine.
    request_queue_size = 128

    def __init__(self, postings: tuple[DemoPosting, ...] | None = None, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.postings = postings if postings is not None else load_postings()
        self.by_path = {p.path: p for p in self.postings}
        self.requests: list[str] = []
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def listing_url(self) -> str:
        return self.base_url + "/jobs/"

    def __enter__(self):
        self._thread = threading.Thread(target=self.serve_forever, name="demo-board", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

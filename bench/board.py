"""A synthetic job board on 127.0.0.1 that serves N postings in the sources' own formats.

Like the demo board (``medcoder/demo/board.py``) but at scale and built from
:func:`bench.synthetic.generate` rows, so the crawl itself can be measured:

* career pages: paginated listings at ``/jobs/?page=K`` (``a.job-link``
  links and a ``rel=next`` link), one page per posting at
  ``/jobs/<id>.html`` with schema.org ``JobPosting`` JSON-LD, and a
  ``/sitemap.xml`` -- what ``jobposting_pages`` and ``demo_board`` crawl;
* a Greenhouse job board API: ``/v1/boards/<board>/jobs?content=true``
  with every posting of that board, as the ``greenhouse`` spider reads it.

Pages are rendered when asked for (the Greenhouse body once per board), and
every request path is counted.

    python -m bench.board --n 1000      # serve until interrupted, print the URLs
"""

from __future__ import annotations

import argparse
import html
import json
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bench.synthetic import generate, greenhouse_job, jsonld_page

PAGE_SIZE = 50
CANONICAL_BASE = "https://synthetic-board.medcoder.example"
ROBOTS_TXT = "User-agent: *\nAllow: /\n"


class _Handler(BaseHTTPRequestHandler):
    server: SyntheticBoard
    # Keep-alive, as real career sites and Scrapy's HTTP/1.1 client use it.
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        board = self.server
        with board.lock:
            board.requests += 1
        body, ctype = board.render(parts.path, parse_qs(parts.query))
        status = 200
        if body is None:
            body, ctype, status = b"<html><body>Not found</body></html>", "text/html; charset=utf-8", 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # a benchmark's output is its figures
        pass


class SyntheticBoard(ThreadingHTTPServer):
    """N synthetic postings served on 127.0.0.1 and a free port; use as a context manager.

    Three Greenhouse boards: ``synthetic`` with every posting, ``one`` with
    the first and ``empty`` with none, so a crawl's fixed cost (process
    start-up, the relevance model, the first item) can be measured apart
    from its per-posting cost.
    """

    daemon_threads = True

    def __init__(self, rows: Sequence[dict], *, page_size: int = PAGE_SIZE, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.rows = list(rows)
        self.page_size = page_size
        self.by_path = {self.job_path(r): r for r in self.rows}
        self.boards = {"synthetic": self.rows, "one": self.rows[:1], "empty": []}
        self._board_json: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.requests = 0

    @staticmethod
    def job_path(row: dict) -> str:
        return f"/jobs/{row['id']}.html"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def listing_url(self) -> str:
        return self.base_url + "/jobs/"

    @property
    def pages(self) -> int:
        """Listing pages the board has (at least one, even when empty)."""
        return max(1, -(-len(self.rows) // self.page_size))

    def board_json(self, board: str) -> bytes | None:
        """The Greenhouse API response for ``board`` (built once, then served from memory)."""
        if board not in self.boards:
            return None
        with self.lock:
            if board not in self._board_json:
                jobs = [greenhouse_job(r, board, k) for k, r in enumerate(self.boards[board], start=1)]
                self._board_json[board] = json.dumps({"jobs": jobs, "meta": {"total": len(jobs)}}).encode("utf-8")
            return self._board_json[board]

    def listing(self, page: int) -> str | None:
        if page < 1 or page > self.pages:
            return None
        chunk = self.rows[(page - 1) * self.page_size: page * self.page_size]
        links = "\n".join(f'<li><a class="job-link" href="{self.job_path(r)}">{html.escape(r["title"])}</a> '
                          f'<span>{html.escape(r["employer"])}</span></li>' for r in chunk)
        nxt = f'<a rel="next" href="/jobs/?page={page + 1}">Next</a>' if page < self.pages else ""
        return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Jobs - page {page}</title></head>'
                f'<body><h1>Open positions</h1><ul class="jobs">\n{links}\n</ul>'
                f'<nav class="pager">Page {page} of {self.pages} {nxt}</nav></body></html>')

    def sitemap(self) -> str:
        urls = "\n".join(f"<url><loc>{self.base_url}{self.job_path(r)}</loc><lastmod>{r['posted_at']}</lastmod></url>"
                         for r in self.rows)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{urls}\n</urlset>\n")

    def render(self, path: str, query: dict) -> tuple[bytes | None, str]:
        """The body and content type for a GET of ``path`` (None when there is no such page)."""
        page_type = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return ROBOTS_TXT.encode(), "text/plain; charset=utf-8"
        if path == "/sitemap.xml":
            return self.sitemap().encode("utf-8"), "application/xml"
        if path in ("/jobs", "/jobs/"):
            page = query.get("page", ["1"])[0]
            body = self.listing(int(page)) if page.isdigit() else None
            return (body.encode("utf-8") if body else None), page_type
        if path.startswith("/v1/boards/") and path.endswith("/jobs"):
            return self.board_json(path.split("/")[3]), "application/json; charset=utf-8"
        row = self.by_path.get(path)
        if row is not None:
            return jsonld_page(row, CANONICAL_BASE + path).encode("utf-8"), page_type
        return None, page_type

    def __enter__(self):
        threading.Thread(target=self.serve_forever, name="synthetic-board", daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    with SyntheticBoard(list(generate(args.n, args.seed)), port=args.port) as board:
        print(f"career pages: {board.listing_url}")
        print(f"greenhouse:   scrapy crawl greenhouse -a board=synthetic -a api_base={board.base_url}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

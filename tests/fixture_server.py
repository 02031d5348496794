"""A local HTTP server on 127.0.0.1 that serves fixtures in each source's real format.

Routes map ``"METHOD /path?query"`` (or just ``"/path"`` for any method and
query) to a :class:`Reply` or a list of replies served in turn (the last one
repeats), so a test can say "429, then 200". Every request is recorded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(*parts: str) -> bytes:
    """The bytes of ``tests/fixtures/<parts>``."""
    return FIXTURES.joinpath(*parts).read_bytes()


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0

    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def json_reply(body: bytes | str, status: int = 200, **headers: str) -> Reply:
    return Reply(body, status, {"Content-Type": "application/json; charset=utf-8", **headers})


def html_reply(body: bytes | str, status: int = 200, **headers: str) -> Reply:
    return Reply(body, status, {"Content-Type": "text/html; charset=utf-8", **headers})


@dataclass
class Seen:
    method: str
    path: str  # with query string
    headers: dict[str, str]
    body: bytes


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 drops connections under load

    def __init__(self, routes: dict[str, Reply | list[Reply]], robots: str = "User-agent: *\nAllow: /\n"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = {k: (v if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.routes.setdefault("/robots.txt", [Reply(robots, headers={"Content-Type": "text/plain"})])
        self.served: dict[str, int] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def reply_for(self, method: str, target: str) -> Reply:
        path = urlsplit(target).path
        for key in (f"{method} {target}", target, f"{method} {path}", path):
            if key in self.routes:
                with self.lock:
                    n = self.served.get(key, 0)
                    self.served[key] = n + 1
                replies = self.routes[key]
                return replies[min(n, len(replies) - 1)]
        return Reply('{"error": "not found"}', 404)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer
    protocol_version = "HTTP/1.1"

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append(Seen(method, self.path, dict(self.headers), body))
        reply = self.server.reply_for(method, self.path)
        if reply.delay:
            time.sleep(reply.delay)
        data = reply.data()
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._serve("GET")

    def do_POST(self):  # noqa: N802
        self._serve("POST")

    def log_message(self, format, *args):
        pass

"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose.

``http.server`` always sends a well-formed response; the hostile suite also
needs bodies without ``Content-Length``, connections closed mid-body,
servers that stall, and gzip bombs. Each path maps to a :class:`Behaviour`
that writes whatever bytes it likes to the socket. Every request path is
recorded; the server answers each request on its own thread and closes the
connection after it (``Connection: close``).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found"}


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Whatever')}", *(f"{k}: {v}" for k, v in headers.items()),
             "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


class Behaviour:
    """How the server answers one path: ``serve`` writes to the client socket."""

    def serve(self, sock: socket.socket, stop: threading.Event) -> None:
        raise NotImplementedError


@dataclass
class Page(Behaviour):
    """A complete response; ``content_length=False`` leaves the length out, so closing the connection ends the body.

    ``body`` may be bytes or a callable returning an iterable of byte chunks
    (a 20 MB page is streamed, never held whole).
    """

    body: bytes | Callable[[], Iterable[bytes]]
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    status: int = 200
    content_length: bool = True
    length: int | None = None  # for a streamed body with content_length=True

    def serve(self, sock, stop):
        headers = dict(self.headers)
        if self.content_length:
            headers["Content-Length"] = str(self.length if self.length is not None else len(self.body))
        sock.sendall(_head(self.status, headers))
        chunks = [self.body] if isinstance(self.body, bytes) else self.body()
        for chunk in chunks:
            if stop.is_set():
                return
            sock.sendall(chunk)


@dataclass
class Redirect(Behaviour):
    location: str
    status: int = 302

    def serve(self, sock, stop):
        sock.sendall(_head(self.status, {"Location": self.location, "Content-Length": "0"}))


@dataclass
class Stall(Behaviour):
    """Accept the request, then say nothing for ``seconds`` (or until the server stops)."""

    seconds: float = 60.0

    def serve(self, sock, stop):
        stop.wait(self.seconds)


@dataclass
class Drip(Behaviour):
    """Send the headers, then one byte of body every ``interval`` seconds: alive, but never done in time."""

    length: int = 10_000
    interval: float = 0.5

    def serve(self, sock, stop):
        sock.sendall(_head(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(self.length)}))
        for _ in range(self.length):
            if stop.wait(self.interval):
                return
            sock.sendall(b" ")


@dataclass
class CloseMidBody(Behaviour):
    """Promise ``declared`` bytes, send the first ``sent`` of ``body``, then close the connection."""

    body: bytes
    sent: int
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})

    def serve(self, sock, stop):
        sock.sendall(_head(200, {**self.headers, "Content-Length": str(len(self.body))}))
        sock.sendall(self.body[: self.sent])


class _Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self):
        sock = self.request
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        request_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        path = parts[1] if len(parts) >= 2 else "/"
        with self.server.lock:
            self.server.requests.append(path)
        behaviour = self.server.routes.get(path) or self.server.routes.get(path.split("?", 1)[0])
        if behaviour is None:
            behaviour = Page(b"<html><body>Not found</body></html>", status=404)
        try:
            behaviour.serve(sock, self.server.stop)
        except OSError:  # the client gave up (a cancelled download): nothing left to do
            pass
        finally:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HostileServer(socketserver.ThreadingTCPServer):
    """Serves ``routes`` (path -> :class:`Behaviour`) on 127.0.0.1 and a free port; use as a context manager."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes: dict[str, Behaviour] | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Behaviour] = {"/robots.txt": Page(b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})}
        self.routes.update(routes or {})
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, name="hostile-server", daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop.set()  # wakes stalled and dripping handlers
        self.shutdown()
        self.server_close()

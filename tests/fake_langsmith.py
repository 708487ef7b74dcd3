"""A stand-in for the LangSmith API on loopback: it keeps every request it gets.

It answers what the `langsmith` client asks while tracing and while the app builds a
trace link: `GET /info`, run ingestion (`POST /runs/...`), and the project lookup
(`GET /sessions?name=...`). Standard library only.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
TENANT_ID = str(uuid.UUID(int=1))
PROJECT_ID = str(uuid.UUID(int=2))


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""


@dataclass
class FakeLangSmith:
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeLangSmith:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _record(self) -> Received:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                item = Received(self.command, self.path, headers, body)
                with fake.lock:
                    fake.requests.append(item)
                return item

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._record()
                url = urlsplit(self.path)
                if url.path.rstrip("/").endswith("/info"):
                    self._json(200, {"version": "0.0.0-fake"})
                elif url.path.rstrip("/").endswith("/sessions"):
                    name = parse_qs(url.query).get("name", ["default"])[0]
                    self._json(200, [fake.project(name)])
                elif "/sessions/" in url.path:
                    self._json(200, fake.project("default"))
                else:
                    self._json(404, {"detail": "not found"})

            def do_POST(self) -> None:
                self._record()
                self._json(202, {})

            do_PATCH = do_PUT = do_POST

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    @staticmethod
    def project(name: str) -> dict[str, Any]:
        return {
            "id": PROJECT_ID,
            "tenant_id": TENANT_ID,
            "name": name,
            "start_time": "2026-01-01T00:00:00",
            "reference_dataset_id": None,
        }

    def run_posts(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.method in ("POST", "PATCH") and "/runs" in r.path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ConnectionRecorder:
    """A listener that only counts who connects: point proxy variables at it, and any
    client that would leave loopback arrives here instead."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.connections.append(conn.recv(512))
            except OSError:
                self.connections.append(b"")
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()

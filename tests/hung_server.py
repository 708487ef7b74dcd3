"""A loopback port that takes connections and never answers: a hung model server."""

from __future__ import annotations

import socket
import threading


class Unanswering:
    """A port that takes connections and never answers, like a hung server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.connected = threading.Event()
        self.closed = threading.Event()  # the client gave up on it
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.connected.set()
        with conn:
            while not self._stop:
                try:
                    if not conn.recv(4096):
                        break
                except OSError:
                    break
        self.closed.set()

    def stop(self) -> None:
        self._stop = True
        self.sock.close()

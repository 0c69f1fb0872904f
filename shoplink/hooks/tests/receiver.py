"""A real HTTP receiver on a free loopback port, for the push tests.

``mode`` decides each answer: ``ok`` (204), ``fail`` (503), ``redirect`` (302 to
``/elsewhere``), ``big`` (200 with a 1 MB body), ``slow`` (waits ``delay`` seconds).
``stop()`` closes the port (connection refused) and ``start()`` opens it again on
the same port: a receiver that is down for a while and comes back.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self):
        self.port = free_port()
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[dict] = []  # every request that reached us
        self.accepted: list[dict] = []  # the ones answered 2xx
        self.server = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": json.loads(body) if body else None,
                }
                mode = receiver.mode
                with receiver.lock:
                    receiver.requests.append(record)
                if mode == "slow":
                    time.sleep(receiver.delay)
                if mode == "fail":
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"down for maintenance")
                elif mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                    self.end_headers()
                elif mode == "big":
                    with receiver.lock:
                        receiver.accepted.append(record)
                    self.send_response(200)
                    self.send_header("Content-Length", str(1024 * 1024))
                    self.end_headers()
                    # The sender stops reading after its limit: a broken pipe is the point.
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(b"x" * 1024 * 1024)
                else:
                    # Recorded before answering: once the 204 is out the sender moves on,
                    # and a test asserting right after must already see this request.
                    with receiver.lock:
                        receiver.accepted.append(record)
                    self.send_response(204)
                    self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

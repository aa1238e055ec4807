"""Servers that answer what no Azure service answers, for the client's checks: an HTTP server on
a free loopback port whose every answer comes from the test (a sign-in page, a redirect, a
throttle that never ends, a dropped connection), and one that takes connections and never says
a word."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, NamedTuple


class Answer(NamedTuple):
    status: int
    body: bytes = b""
    headers: dict[str, str] = {}


DROP = Answer(0)  # close the connection without answering
Answers = Callable[[str, str], Answer]  # (method, path without the query) -> what to answer


def json_answer(body: object, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(body).encode(), {"content-type": "application/json", **headers})


def page(html: str, status: int = 200, **headers: str) -> Answer:
    return Answer(status, html.encode(), {"content-type": "text/html; charset=utf-8", **headers})


def listing(*items: dict) -> Answer:
    return json_answer({"object": "list", "data": list(items), "has_more": False})


class HostileServer:
    """`answers(method, path)` decides each answer; `requests` keeps (method, path) of each."""

    def __init__(self, answers: Answers) -> None:
        self.answers, self.requests = answers, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                path = self.path.split("?", 1)[0]
                server.requests.append((self.command, path))
                answer = server.answers(self.command, path)
                if answer is DROP:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts every connection and never answers (a hung service, a black-holing proxy)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.held.append(connection)  # kept open, never read from or written to

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()

"""Running the emulator: in the foreground for `ftdeck emulator`, or on a background thread
inside ftdeck itself when no Azure resource is configured."""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from emulator.app import build_app
from emulator.demo import seed_demo
from emulator.faults import Faults
from emulator.service import Emulator, Settings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so the real port is known (port 0) before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(emu: Emulator) -> uvicorn.Server:
    config = uvicorn.Config(build_app(emu), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


def serve(
    *,
    host: str,
    port: int,
    data_dir: Path,
    api_key: str | None,
    speed: float,
    faults: str | None,
    demo: bool = False,
    frozen_at: float | None = None,
    seed: int | None = None,
) -> int:
    """`ftdeck emulator`: serve until interrupted. Returns the process exit code."""
    if not is_loopback(host) and not api_key:
        print(f"ftdeck emulator: binding {host} exposes it beyond this machine; pass --api-key KEY too.", file=sys.stderr)
        return 2
    try:
        settings = Settings(data_dir=data_dir, api_key=api_key, speed=speed, faults=Faults.parse(faults, seed),
                            frozen_at=frozen_at, seed=seed)
    except ValueError as exc:
        print(f"ftdeck emulator: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(host, port)
    except OSError as exc:
        print(f"ftdeck emulator: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    emu = Emulator(settings)
    if demo:
        seed_demo(emu)
    print(f"ftdeck emulator listening on {url_of(sock)}", flush=True)
    try:
        asyncio.run(_server(emu).serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        emu.store.close()
    return 0


@dataclass
class EmbeddedEmulator:
    """An emulator on a loopback port, served from a daemon thread of this process."""

    url: str
    api_key: str
    emulator: Emulator
    _server: uvicorn.Server
    _thread: threading.Thread

    @classmethod
    def start(cls, data_dir: Path, *, speed: float = 1.0, demo: bool = True,
              frozen_at: float | None = None, seed: int | None = None) -> "EmbeddedEmulator":
        api_key = secrets.token_urlsafe(24)  # only this process knows it
        emu = Emulator(Settings(data_dir=data_dir, api_key=api_key, speed=speed, frozen_at=frozen_at, seed=seed))
        if demo:
            seed_demo(emu)
        sock = bind("127.0.0.1", 0)
        server = _server(emu)
        server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True, name="ftdeck-emulator")
        thread.start()
        ready = threading.Event()
        for _ in range(500):
            if server.started:
                ready.set()
                break
            threading.Event().wait(0.01)
        if not ready.is_set():
            raise RuntimeError("the built-in emulator did not start")
        return cls(url_of(sock), api_key, emu, server, thread)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self.emulator.store.close()

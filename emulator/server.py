"""Running the emulator: in the foreground for `ftdeck emulator`, or on a background thread
inside ftdeck itself when no Azure resource is configured."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from emulator import owner

if TYPE_CHECKING:  # imported by whoever serves: a process that talks to another's emulator needs none of it
    import uvicorn

    from emulator.service import Emulator


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
    import uvicorn

    from emulator.app import build_app

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
    import_dir: Path | None = None,
    allow_url_import: bool = False,
    print_env: bool = False,
    stop_when_stdin_closes: bool = False,
) -> int:
    """`ftdeck emulator`: serve until interrupted (or, for the TUI that started it, until its
    stdin closes: tui/opening.py). Returns the process exit code."""
    from emulator.demo import seed_demo
    from emulator.faults import Faults
    from emulator.service import Emulator, Settings

    if not is_loopback(host) and not api_key:
        print(f"ftdeck emulator: binding {host} exposes it beyond this machine; give it a key too (--api-key-stdin).", file=sys.stderr)
        return 2
    if import_dir is not None and not import_dir.is_dir():
        print(f"ftdeck emulator: --import-dir {import_dir} is not a folder.", file=sys.stderr)
        return 2
    try:
        settings = Settings(data_dir=data_dir, api_key=api_key, speed=speed, faults=Faults.parse(faults, seed),
                            frozen_at=frozen_at, seed=seed, import_dir=import_dir,
                            allow_url_import=allow_url_import, host=host)
    except ValueError as exc:
        print(f"ftdeck emulator: {exc}", file=sys.stderr)
        return 2
    claimed = owner.claim(data_dir)
    if claimed is None:
        print(f"ftdeck emulator: {data_dir} is already served by {_describe(_wait_for_owner(data_dir, 5.0))}; "
              "stop it first, or pass another --data-dir.", file=sys.stderr)
        return 2
    try:
        try:
            sock = bind(host, port)
        except OSError as exc:
            print(f"ftdeck emulator: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
            return 2
        emu = Emulator(settings)
        if demo:
            seed_demo(emu)
        claimed.announce(_reachable_url(sock), api_key)
        print(f"ftdeck emulator listening on {url_of(sock)}", flush=True)
        if print_env:
            print(environment_for(_reachable_url(sock), keyed=api_key is not None), flush=True)
        # uvicorn stops on SIGTERM, then raises it again: let that end here, after the cleanup below.
        signal.signal(signal.SIGTERM, _interrupted)
        if stop_when_stdin_closes:
            threading.Thread(target=_stop_when_stdin_closes, daemon=True, name="stdin-watcher").start()
        try:
            asyncio.run(_server(emu).serve(sockets=[sock]))
        except KeyboardInterrupt:
            pass
        finally:
            emu.store.close()
    finally:
        claimed.release()
    return 0


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_when_stdin_closes() -> None:
    """The process at the other end of stdin (the TUI that started us) has ended: stop as SIGTERM stops us."""
    try:
        while sys.stdin.buffer.read1(1024):
            pass
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def environment_for(url: str, keyed: bool) -> str:
    """The settings that point ftdeck (or az-style scripts) at this emulator, both planes, as
    shell exports to paste. The key itself is never printed: it is read from where the user keeps it."""
    from emulator.demo import DEMO_ACCOUNT, DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION

    key = '"${FTDECK_EMULATOR_API_KEY:?the key you gave the emulator}"' if keyed else "none-needed"
    settings = {
        "AZURE_OPENAI_ENDPOINT": url,
        "AZURE_OPENAI_API_KEY": key,
        "FTDECK_MANAGEMENT_ENDPOINT": url,  # ARM's routes are served beside the data plane's
        "FTDECK_MANAGEMENT_TOKEN": key,  # the emulator takes its key as the ARM bearer token
        "AZURE_SUBSCRIPTION_ID": DEMO_SUBSCRIPTION,
        "AZURE_RESOURCE_GROUP": DEMO_RESOURCE_GROUP,
        "AZURE_OPENAI_ACCOUNT": DEMO_ACCOUNT,
    }
    return "\n".join(f"export {name}={value}" for name, value in settings.items())


def _reachable_url(sock: socket.socket) -> str:
    """Where a process of this machine reaches the emulator (a wildcard bind through loopback)."""
    host, port = sock.getsockname()[:2]
    if host == "0.0.0.0":
        return f"http://127.0.0.1:{port}"
    if host == "::":
        return f"http://[::1]:{port}"
    return url_of(sock)


def _wait_for_owner(data_dir: Path, seconds: float) -> owner.Owner | None:
    """The folder's owner once it has said where it serves (it may still be seeding), or None."""
    deadline = time.monotonic() + seconds
    while (found := owner.live_owner(data_dir)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _describe(found: owner.Owner | None) -> str:
    return f"process {found.pid} at {found.url}" if found else "another process (still starting, or not saying where)"


def _answers(found: owner.Owner) -> bool:
    """Whether the owner serves: the standard library's HTTP, as an httpx client would load the
    certificate bundle first (tens of ms at every start of ftdeck) for this one loopback request."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(found.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=2)
    try:
        connection.request("GET", "/_emulator/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


OWNER_WAIT_SECONDS = 60.0  # how long a process waits for the folder's owner to start serving


class EmbeddedEmulator:
    """The built-in emulator as this process reaches it.

    The first ftdeck process to start it on a data folder owns the folder and serves it on a
    loopback port from a daemon thread; the others talk to that owner over HTTP. When the owner goes
    away (a CLI call ends, the TUI quits), the next request of another process finds, or becomes,
    the new owner (`transport`)."""

    def __init__(self, data_dir: Path, *, speed: float = 1.0, demo: bool = True,
                 frozen_at: float | None = None, seed: int | None = None) -> None:
        self.data_dir = data_dir
        self._settings = dict(speed=speed, frozen_at=frozen_at, seed=seed)
        self._demo = demo
        self._own_key = secrets.token_urlsafe(24)  # the key it serves with, should this process own the folder
        self._reconnecting = threading.Lock()
        self.url = ""
        self.api_key = self._own_key
        self.emulator: Emulator | None = None  # set while this process owns the folder
        self._claim: owner.Claim | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._connect()

    @classmethod
    def start(cls, data_dir: Path, **options: Any) -> "EmbeddedEmulator":
        return cls(data_dir, **options)

    @property
    def owns_data(self) -> bool:
        return self.emulator is not None

    def _connect(self) -> None:
        deadline = time.monotonic() + OWNER_WAIT_SECONDS
        while True:
            claimed = owner.claim(self.data_dir)
            if claimed is not None:
                self._serve(claimed)
                return
            found = owner.live_owner(self.data_dir)
            if found is not None and _answers(found):
                self.url, self.api_key = found.url, found.api_key or "none-needed"
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the built-in emulator's data folder {self.data_dir} is held by {_describe(found)}, which does not answer")
            time.sleep(0.05)

    def _serve(self, claimed: owner.Claim) -> None:
        from emulator.demo import seed_demo
        from emulator.service import Emulator, Settings

        try:
            emu = Emulator(Settings(data_dir=self.data_dir, api_key=self._own_key, **self._settings))  # type: ignore[arg-type]
            if self._demo:
                seed_demo(emu)
            sock = bind("127.0.0.1", 0)
            server = _server(emu)
            server.config.install_signal_handlers = False  # type: ignore[attr-defined]
            thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True, name="ftdeck-emulator")
            thread.start()
            deadline = time.monotonic() + 5
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the built-in emulator did not start")
                time.sleep(0.01)
        except BaseException:
            claimed.release()
            raise
        self.url, self.api_key = url_of(sock), self._own_key
        self.emulator, self._claim, self._server, self._thread = emu, claimed, server, thread
        claimed.announce(self.url, self.api_key)

    def reconnect(self, gone_url: str) -> None:
        """Nothing answered at `gone_url`: find (or become) the folder's owner again."""
        with self._reconnecting:
            if self.url == gone_url and not self.owns_data:
                self._connect()

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport sending every request to the folder's current owner."""
        return ToOwner(self)

    def stop(self) -> None:
        if self._server is None or self._thread is None or self.emulator is None or self._claim is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self.emulator.store.close()
        self._claim.release()


class ToOwner(httpx.BaseTransport):
    """Sends each request to the emulator's current owner: when nothing accepts the connection (the
    owner went away; nothing was sent), it finds the next owner and sends the request there."""

    def __init__(self, emulator: EmbeddedEmulator) -> None:
        self.emulator = emulator
        # The openai SDK's own pool sizes (openai.DefaultHttpxClient).
        # Plain http on loopback: no certificates to load (verify=False skips the bundle, tens of ms).
        self.inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100), verify=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # Owners come and go quickly when many CLI calls share a folder: the next owner may itself
        # have ended before the request reached it. A refused connection sent nothing, so follow the
        # owners until one answers, or until no new one appears.
        while True:
            url = self.emulator.url
            try:
                return self.inner.handle_request(_aim(request, url, self.emulator.api_key))
            except httpx.ConnectError:
                self.emulator.reconnect(url)
                if self.emulator.url == url:
                    raise

    def close(self) -> None:
        self.inner.close()


def _aim(request: httpx.Request, base: str, api_key: str) -> httpx.Request:
    """Point a request at `base`, with `api_key` wherever it carries a key."""
    target = httpx.URL(base)
    request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
    request.headers["host"] = target.netloc.decode("ascii")
    if "api-key" in request.headers:
        request.headers["api-key"] = api_key
    if "authorization" in request.headers:
        request.headers["authorization"] = f"Bearer {api_key}"
    return request

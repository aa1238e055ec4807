"""What a web page must not reach: a request whose `Host` is not an address the emulator is bound
to (a page on a foreign name that was re-pointed at 127.0.0.1: DNS rebinding), or that a browser
sent from a page of another site (its `Origin`), is refused before any handler runs.

The real service is reached by its own host name only and answers CORS for its own portal; the
sources are silent on what it answers a foreign Host, so the emulator refuses with its error body
(400, like Starlette's TrustedHostMiddleware), on the plane that was called.
"""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.errors import ServiceError

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
EVERY_ADDRESS = frozenset({"0.0.0.0", "::", ""})


def accepted_hosts(bound: str) -> frozenset[str] | None:
    """The host names requests may name; None: any, for an emulator bound to every address (which
    needs a key, so a page that reaches it still cannot use it)."""
    if bound in EVERY_ADDRESS:
        return None
    return LOOPBACK_NAMES | {host_name(bound)}


def host_name(netloc: str) -> str:
    """`localhost:8080` -> `localhost`, `[::1]:8080` -> `::1`; the port matters less than the name."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        netloc = netloc[1 : netloc.find("]")] if "]" in netloc else ""
    elif netloc.count(":") == 1:
        netloc = netloc.split(":")[0]
    return netloc.rstrip(".")


class LocalCallersOnly:
    """ASGI middleware applying the rule above."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.hosts is not None:
            refusal = self._refusal(Headers(scope=scope))
            if refusal is not None:
                management = scope["path"].startswith("/subscriptions/")
                response = refusal.management_response() if management else refusal.data_plane_response()
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> ServiceError | None:
        if host_name(headers.get("host", "")) not in self.hosts:  # type: ignore[operator]
            return ServiceError(400, "BadRequest", "The Host header does not name this emulator; call it at http://127.0.0.1:PORT or http://localhost:PORT.")
        origin = headers.get("origin")
        if origin is not None and host_name(urlparse(origin).netloc) not in self.hosts:  # type: ignore[operator]
            return ServiceError(400, "BadRequest", "Requests sent by web pages of other sites are not served.")
        return None

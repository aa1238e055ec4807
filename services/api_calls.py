"""Every HTTP request ftdeck makes to Azure (or the emulator), answered or not: method, path, status,
latency, retries. Kept in a bounded, thread-safe log that the TUI console shows as it grows.

Recording happens in `RecordingClient.send`, the one method every request goes through (the openai
SDK's requests and `Workspace.arm`), which also sends them again under the one retry policy
(services/retries.py) and checks each answer before anyone believes it. Unlike httpx event hooks,
it also sees requests that never got an answer (connection refused, timeouts, dropped connections)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Literal

import httpx

from services.retries import RetryPolicy, Wait, again_for_http, is_sending_once, retry_after

Plane = Literal["data", "management"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One HTTP request. Holds no header and no query but the api-version: nothing secret."""

    when: float  # wall clock at the start
    plane: Plane
    method: str
    path: str  # the URL path only: query strings can carry tokens (SAS URLs)
    api_version: str | None
    status: int | None  # None: no answer at all
    seconds: float  # until the response headers (a streamed body may still be arriving)
    error: str | None = None  # why there was no answer
    attempt: int = 0  # 0 for the first try, then the retry count
    retry_after: float | None = None  # what a 429 (or 503) asked us to wait


Listener = Callable[[Call], Any]


class CallLog:
    """The last `size` calls; listeners hear of each new one on the thread that made it."""

    def __init__(self, size: int = 500) -> None:
        self._calls: deque[Call] = deque(maxlen=size)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(call)
            except Exception:  # a broken display must not fail the API call that was just made
                log.exception("API call listener failed")

    def recent(self) -> list[Call]:
        """Oldest first."""
        with self._lock:
            return list(self._calls)

    def subscribe(self, listener: Listener, replay: bool = False) -> None:
        """Hear of every new call; with `replay`, first of those already in the log (none is missed
        or heard twice, though a new call may arrive while the old ones are replayed)."""
        with self._lock:
            self._listeners.append(listener)
            backlog = list(self._calls) if replay else []
        for call in backlog:
            listener(call)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


class RecordingClient(httpx.Client):
    """An httpx client that records each request it sends in a CallLog, sends it again under
    `retries` (unless inside `sending_once()`), reports each wait to `report`, and refuses an
    answer that is not what the service gives (a redirect, a page that is not JSON). It never
    follows redirects: a POST would come back as a GET, creating nothing and saying nothing."""

    def __init__(self, calls: CallLog, plane: Plane, retries: RetryPolicy | None = None,
                 report: Callable[[Wait], Any] = lambda wait: None, **kwargs: Any) -> None:
        super().__init__(follow_redirects=False, **kwargs)
        self.calls, self.plane, self.retries, self.report = calls, plane, retries, report
        self.answered = False  # whether the endpoint has answered anything yet: it is the right one

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if self.retries is None or is_sending_once():
            response = self._attempt(request, 1, **kwargs)
        else:
            response = self.retries.run(lambda n: self._attempt(request, n, **kwargs),
                                        lambda r, e: again_for_http(r, e, answered_before=self.answered),
                                        f"{request.method} {request.url.path}", self.report, discard=lambda r: r.close())
        from services.errors import check_answer  # here: services.errors imports this module

        check_answer(request, response)
        return response

    def _attempt(self, request: httpx.Request, attempt: int, **kwargs: Any) -> httpx.Response:
        when, start = time.time(), time.monotonic()
        try:
            response = super().send(request, **kwargs)
        except Exception as exc:
            self.calls.add(self._call(request, when, start, None, attempt, error=_reason(exc)))
            raise
        self.answered = True
        self.calls.add(self._call(request, when, start, response, attempt))
        return response

    def _call(self, request: httpx.Request, when: float, start: float, response: httpx.Response | None, attempt: int,
              error: str | None = None) -> Call:
        return Call(
            when=when,
            plane=self.plane,
            method=request.method,
            path=request.url.path,
            api_version=request.url.params.get("api-version"),
            status=response.status_code if response is not None else None,
            seconds=time.monotonic() - start,
            error=error,
            attempt=attempt - 1,
            retry_after=retry_after(response.headers) if response is not None else None,
        )


def _reason(exc: Exception) -> str:
    """`ConnectError: [Errno 111] Connection refused`; httpx messages carry no headers, so no secret."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

"""The one retry policy, for both planes and every command.

A request is sent again after throttling (429), a timeout (408), a server error (5xx) or a
connection that dropped or timed out, until it gets an answer worth keeping or `deadline` seconds
have passed: a total time, not a count of attempts, so a bad network gets as many tries as fit.
Each wait is what the service asked for (`retry-after-ms`, else `retry-after` in seconds or as an
HTTP date), kept within 0..`longest_wait`; without one, an exponential backoff with jitter. A
retry-after longer than the time left is not slept through: the answer stands (a quota spent for
the day). A connection nothing accepted, at an endpoint that has not answered yet, is not tried
again: the endpoint is wrong or stopped, and saying so at once helps more; once it has answered,
a refused connection is a restart or a blip, tried again like the rest.

Every wait is reported (`Wait`, to a callback): the CLI prints it on stderr, the TUI's console shows
it. Sleeping and the clock go through `CLOCK`, which tests replace with one that only pretends.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import math
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

import httpx

T = TypeVar("T")
DEADLINE_VARIABLE = "FTDECK_RETRY_DEADLINE"


class Clock:
    """Real time; tests swap `CLOCK` for one whose sleep only moves its own hands."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


CLOCK = Clock()


@dataclass(frozen=True)
class Wait:
    """One pause before sending a request again."""

    what: str  # "GET /openai/files"
    why: str  # "429", "500", "ReadTimeout", "RemoteProtocolError: Server disconnected..."
    seconds: float
    attempt: int  # the attempt that just failed: 1 for the first

    def __str__(self) -> str:
        why = ("throttled (429)" if self.why == "429" else f"answered {self.why}") if self.why.isdigit() else f"no answer ({self.why})"
        return f"{self.what} {why}; retrying in {self.seconds:.1f} s (attempt {self.attempt + 1})"


@dataclass(frozen=True)
class Again:
    """Why a request is worth sending again, and what the service asked to wait, if anything."""

    why: str
    asked: float | None = None


@dataclass
class RetryPolicy:
    deadline: float = 60.0  # seconds from the first attempt; no new wait starts past it
    longest_wait: float = 30.0  # a retry-after is clamped to this
    first_backoff: float = 0.5
    longest_backoff: float = 5.0  # kept short: more attempts fit in the deadline

    @classmethod
    def from_environment(cls) -> "RetryPolicy":
        """The default policy, with FTDECK_RETRY_DEADLINE (seconds) if set."""
        raw = os.environ.get(DEADLINE_VARIABLE, "").strip()
        if not raw:
            return cls()
        try:
            deadline = float(raw)
        except ValueError:
            deadline = math.nan
        if not (math.isfinite(deadline) and deadline >= 0):
            from services.errors import FtdeckError

            raise FtdeckError(f"{DEADLINE_VARIABLE}={raw!r} is not a number of seconds: use e.g. {DEADLINE_VARIABLE}=60", exit_code=2)
        return cls(deadline=deadline)

    def wait(self, attempt: int, asked: float | None) -> float:
        """Seconds before the next attempt: the service's ask within 0..longest_wait, else a
        jittered exponential backoff (between half and all of 0.5, 1, 2, 4, 5, 5... s)."""
        if asked is not None:
            return min(max(asked, 0.0), self.longest_wait)
        ceiling = min(self.first_backoff * 2 ** (attempt - 1), self.longest_backoff)
        return random.uniform(ceiling / 2, ceiling)

    def run(self, attempt: Callable[[int], T], again: Callable[[T | None, Exception | None], Again | None],
            what: str, report: Callable[[Wait], object] = lambda wait: None,
            discard: Callable[[T], object] = lambda result: None) -> T:
        """Call `attempt(n)` (n = 1, 2, ...) until `again` finds nothing to retry in its result or
        exception, or the deadline is reached: then the last result is returned or its exception
        raised. `discard` releases a result that is not kept (an unread streamed response)."""
        start = CLOCK.now()
        n = 0
        while True:
            n += 1
            result: T | None = None
            error: Exception | None = None
            try:
                result = attempt(n)
            except Exception as exc:
                error = exc
            retry = again(result, error)
            if retry is not None:
                pause = self.wait(n, retry.asked)
                too_long = retry.asked is not None and retry.asked > self.deadline - (CLOCK.now() - start)
                if not too_long and CLOCK.now() - start + pause <= self.deadline:
                    if result is not None:
                        discard(result)
                    report(Wait(what, retry.why, pause, n))
                    CLOCK.sleep(pause)
                    continue
            if error is not None:
                raise error
            return result  # type: ignore[return-value]


# ------------------------------------------------------------------ what is worth sending again

_sending_once: contextvars.ContextVar[bool] = contextvars.ContextVar("sending_once", default=False)


@contextlib.contextmanager
def sending_once() -> Iterator[None]:
    """Requests sent meanwhile (on this thread) are not sent again by the HTTP client: for POSTs
    that create something, whose callers check what was created before sending again."""
    token = _sending_once.set(True)
    try:
        yield
    finally:
        _sending_once.reset(token)


def is_sending_once() -> bool:
    return _sending_once.get()


def again_for_http(response: httpx.Response | None, error: Exception | None, *, answered_before: bool = False) -> Again | None:
    """Whether an HTTP answer (or its absence) is worth sending the same request again;
    `answered_before`: the endpoint has answered something already (it is the right one)."""
    if error is not None:
        if not isinstance(error, httpx.TransportError) or isinstance(error, httpx.UnsupportedProtocol):
            return None  # not a network failure at all
        if isinstance(error, httpx.ConnectError) and not answered_before:
            return None  # nothing accepts connections there
        return Again(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    assert response is not None
    if response.status_code in (408, 429) or response.status_code >= 500:
        return Again(str(response.status_code), retry_after(response.headers))
    return None


def again_for_sdk(result: object, error: Exception | None) -> Again | None:
    """The same, for a request made through the openai SDK inside `sending_once()` (a POST that
    creates something, whose caller has read the list first, so the endpoint has answered, and has
    checked that a failed attempt created nothing)."""
    import openai

    if isinstance(error, openai.APIStatusError):
        return again_for_http(error.response, None)
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ if isinstance(error.__cause__, Exception) else httpx.TransportError(str(error))
        return again_for_http(None, cause, answered_before=True)
    return None


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the service asked to wait: `retry-after-ms` (Azure sends it beside `retry-after`),
    else `retry-after` as seconds or as an HTTP date. None when absent or unreadable; a negative
    or past value is 0."""
    try:
        value = float(headers.get("retry-after-ms", ""))
        if math.isfinite(value):
            return max(value / 1000, 0.0)
    except ValueError:
        pass
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
        return max(value, 0.0) if math.isfinite(value) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)

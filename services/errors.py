"""Turning what the service (or the network) said into one actionable sentence."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from typing import Any, Callable, Iterator, Literal

import httpx

from services.api_calls import Call, CallLog

Deletion = Literal["deleted", "gone", "absent"]  # gone: a retry found nothing because the lost attempt deleted it
NOTHING_SENT = ("ConnectError", "ConnectTimeout")  # no connection: the request never reached the service

# Exit codes of every command (the README's table).
REFUSED = 1  # the service or the data said no (a job that failed, a 4xx, an answer that makes no sense)
BAD_INPUT = 2  # bad input or an unreadable file
UNREACHABLE = 3  # could not reach the service: nothing accepts connections, no answer in time, dropped
STATUS_UNKNOWN = 4  # done (the file is uploaded) but what came of it could not be read: do not send it again


class FtdeckError(Exception):
    """A failure to show as it is: the message names the problem and, where known, the fix."""

    def __init__(self, message: str, exit_code: int = REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UnexpectedAnswer(FtdeckError):
    """An answer no Azure service gives: a redirect, a sign-in or proxy page, JSON that is not JSON,
    a created thing without an id. Believing it would print nonsense or crash later."""


DATA_PLANE_AUTH_HINT = (
    "the data plane refused the credentials: check AZURE_OPENAI_API_KEY (or the profile's api_key), or, with "
    "Entra ID, that your identity has the 'Cognitive Services OpenAI Contributor' role on the resource"
)
MANAGEMENT_AUTH_HINT = (
    "the management plane (ARM) refused the token: set FTDECK_MANAGEMENT_TOKEN (e.g. `az account get-access-token "
    "--query accessToken -o tsv`) or use auth = \"entra\", and make sure your identity may write deployments "
    "(e.g. 'Cognitive Services Contributor' on the resource)"
)


def _body_error(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return error.get("code"), error.get("message")
    return None, None


def explain_openai_error(exc: Exception) -> FtdeckError:
    """A data-plane failure (openai SDK exception) as a FtdeckError."""
    import openai

    if isinstance(exc, openai.APIConnectionError):
        return data_plane_unreachable(exc.__cause__ or exc, exc.request.url)
    if isinstance(exc, openai.APIStatusError):
        return _explain_status(exc.response, exc.body, exc.message)
    return FtdeckError(str(exc))


def data_plane_unreachable(exc: BaseException, url: httpx.URL) -> FtdeckError:
    return explain_no_answer(exc, _origin(url), "the endpoint", "AZURE_OPENAI_ENDPOINT")


def explain_data_response(response: httpx.Response) -> FtdeckError:
    """A data-plane answer of 400 or more, read without the SDK (Workspace.get_json), in the words
    explain_openai_error gives the SDK's exception for it."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text.strip()
    return _explain_status(response, body, f"Error code: {response.status_code}")  # the SDK's words without a message


def _explain_status(response: httpx.Response, body: Any, fallback: str) -> FtdeckError:
    code, message = _body_error(body)
    if message is None and not _is_json(response):  # an HTML error page from a proxy or gateway
        return UnexpectedAnswer(_unexpected(response.request, response, "not the service's error"))
    message = message or fallback
    status = response.status_code
    if status in (401, 403):
        return FtdeckError(f"{status} {message} — {DATA_PLANE_AUTH_HINT}")
    if status == 429:
        wait = response.headers.get("retry-after")
        return FtdeckError(f"throttled (429){f', retry after {wait} s' if wait else ''}: {message}", UNREACHABLE)
    # Still failing when the retries' deadline came: the service could not be reached, try later.
    return FtdeckError(f"{status} {code or ''}: {message}".replace("  ", " "), UNREACHABLE if status >= 500 else REFUSED)


def explain_no_answer(exc: BaseException, url: str, what: str, setting: str) -> FtdeckError:
    """A request that got no answer, told by why: nothing accepted the connection (a wrong or
    stopped endpoint: check `setting`), the answer did not come in time, or the service took the
    request and the connection was dropped before its answer (the endpoint is right: try again)."""
    if isinstance(exc, FtdeckError):  # already said (an unexpected answer)
        return exc
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)):
        return FtdeckError(f"cannot reach {what}: nothing accepts connections at {url} ({reason}); "
                           f"check {setting} and the network", UNREACHABLE)
    if isinstance(exc, httpx.TimeoutException):
        return FtdeckError(f"no answer from {url} in time ({reason}): try again", UNREACHABLE)
    if isinstance(exc, httpx.TransportError):
        return FtdeckError(f"the connection to {url} was dropped before an answer came ({reason}): try again", UNREACHABLE)
    return FtdeckError(f"cannot reach {what} at {url} ({reason}); check {setting} and the network", UNREACHABLE)


def what_went_wrong(exc: Exception) -> str:
    """A failed data-plane call in a few words, without advice: `RemoteProtocolError: Server
    disconnected without sending a response.`, `500 InternalServerError: ...`."""
    import openai

    cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) and exc.__cause__ else None
    if cause is not None:
        return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return str(explain_openai_error(exc))


def nothing_sent(exc: Exception) -> bool:
    """Whether a failed SDK request never reached the service (no connection was made)."""
    return isinstance(exc.__cause__, (httpx.ConnectError, httpx.UnsupportedProtocol))


def maybe_done(doing: str, exc: Exception, kind: str, maybe: str) -> FtdeckError:
    """A request that may have been carried out though its answer was lost, when the list that
    would tell cannot be read: sending it again blindly could make a second one (two files, two
    billed jobs), so say where to look first."""
    return FtdeckError(f"{doing} failed ({what_went_wrong(exc)}), and the {kind} list cannot be read to check: "
                       f"{maybe} anyway; check `ftdeck {kind}s list` before trying again")


def _origin(url: httpx.URL) -> str:
    """scheme://host[:port]: where a request went, without its path or query (which can hold tokens)."""
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


def explain_management_response(response: httpx.Response) -> FtdeckError:
    try:
        code, message = _body_error(response.json())
    except ValueError:
        return UnexpectedAnswer(_unexpected(response.request, response, "not the service's error"))
    if response.status_code in (401, 403):
        return FtdeckError(f"{response.status_code} {message or ''} — {MANAGEMENT_AUTH_HINT}")
    exit_code = UNREACHABLE if response.status_code == 429 or response.status_code >= 500 else REFUSED
    return FtdeckError(f"{response.status_code} {code or ''}: {message or response.reason_phrase}".replace("  ", " "), exit_code)


# ---------------------------------------------------------------- answers checked before believed


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    """Raise UnexpectedAnswer for an answer the service would not give: a redirect (not followed:
    a POST would come back as a GET), or a success that is not JSON where JSON is due (a proxy's
    or portal's page). File contents and event streams are not JSON; a DELETE may answer nothing."""
    if 300 <= response.status_code < 400:
        location = httpx.URL(response.headers.get("location", ""))
        to = f" to {_origin(location)}{location.path}" if location.host else ""
        raise UnexpectedAnswer(_unexpected(request, response, f"a redirect{to}, which ftdeck does not follow; "
                                                              "check the endpoint setting"))
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return
    if request.url.path.endswith("/content") or _media_type(response) == "text/event-stream":
        return
    try:
        body = response.content
    except httpx.ResponseNotRead:  # streamed: the reader finds out
        return
    if not body.strip() and request.method == "DELETE":
        return
    if not _is_json(response):
        raise UnexpectedAnswer(_unexpected(request, response, "not JSON (a proxy or sign-in page?); check the endpoint setting"))
    try:
        json.loads(body)
    except ValueError:
        raise UnexpectedAnswer(_unexpected(request, response, "JSON that does not parse")) from None


def created_id(thing: Any, what: str, where: str) -> str:
    """The id of something just created; an answer without one is not believed."""
    found = thing.get("id") if isinstance(thing, dict) else None
    if not isinstance(found, str) or not found:
        raise UnexpectedAnswer(f"{where} answered without the new {what}'s id ({_short(repr(thing))}): "
                               f"check `ftdeck {what}s list` before trying again")
    return found


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(response: httpx.Response) -> bool:
    media = _media_type(response)
    return media == "application/json" or media.endswith("+json")


def _unexpected(request: httpx.Request, response: httpx.Response, what: str) -> str:
    """`GET http://host/openai/files answered 200 text/html ("Sign in"): not JSON ...`: one line,
    the URL without its query (which can hold a token)."""
    kind = _media_type(response) or "no content-type"
    try:
        glimpse = _glimpse(response.text)
    except httpx.ResponseNotRead:
        glimpse = ""
    seen = f" ({glimpse})" if glimpse else ""
    return f"{request.method} {_origin(request.url)}{request.url.path} answered {response.status_code} {kind}{seen}: {what}"


def _glimpse(text: str) -> str:
    """A page's title, else its first words, on one short line."""
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return _short(match.group(1) if match else text)


def _short(text: str, limit: int = 80) -> str:
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return repr(line if len(line) <= limit else line[:limit] + "…")


# ---------------------------------------------------------------- what retries tell


@contextlib.contextmanager
def attempts(calls: CallLog) -> Iterator[list[Call]]:
    """The requests this thread sends meanwhile, each retry included, as the call log hears them
    (it tells its listeners on the thread that made the call)."""
    heard: list[Call] = []
    thread = threading.get_ident()

    def hear(call: Call) -> None:
        if threading.get_ident() == thread:
            heard.append(call)

    calls.subscribe(hear)
    try:
        yield heard
    finally:
        calls.unsubscribe(hear)


def answer_lost(heard: list[Call]) -> bool:
    """Whether a request before the last one reached the service and got no answer: the service
    may have acted on it (a refused connection sent nothing)."""
    return any(call.status is None and not (call.error or "").startswith(NOTHING_SENT) for call in heard[:-1])


def deleted_or_gone(calls: CallLog, delete: Callable[[], object]) -> Deletion:
    """Send a data-plane delete (the SDK retries a dropped connection). A 404 on a retry after an
    answer was lost is the lost attempt's doing: "gone", not a failure. Any other 404 stands."""
    import openai

    with attempts(calls) as heard:
        try:
            delete()
        except openai.NotFoundError:
            if answer_lost(heard):
                return "gone"
            raise
    return "deleted"

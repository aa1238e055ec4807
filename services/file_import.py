"""Import a training file from a URL: `POST /openai/files/import {purpose, filename, content_url}`.

Source: Azure/azure-rest-api-specs, AzureOpenAI authoring `stable/2024-10-21/azureopenai.json`
(`Files_Import`, `FileImport`; answers 201 with the file, as `POST /files`) and its example
`import_file.json` ("Importing a file with a blob url as source"); spec section 4 ("content_url is a
blob URL or SAS"). The service reads the URL itself: an Azure Blob URL with a SAS token, or one the
resource may read with its own (Entra) identity. A SAS token is a secret: the URL's query is never
shown, logged (the API-call log keeps paths only) or put in an error (`shown_url`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Callable
from urllib.parse import unquote, unquote_plus, urlsplit

from services.errors import FtdeckError, created_id, maybe_done, nothing_sent, what_went_wrong
from services.retries import again_for_sdk, sending_once
from services.workspace import LONG_TIMEOUT, Workspace, calling

# https for Azure (a SAS travels in the URL: never over plain http); file:// for the emulator's
# --import-dir, which Azure refuses with its own error.
SCHEMES = ("https", "file")


def shown_url(url: str) -> str:
    """The URL as it may be shown: no user:password, and the query (a SAS token) hidden."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}"
    return shown + ("?<SAS token hidden>" if parts.query else "")


def _scrubbed(message: str, url: str) -> str:
    """`message` with the URL, or any of its secret pieces, replaced by what may be shown."""
    parts = urlsplit(url)
    message = message.replace(url, shown_url(url))
    secrets = {parts.query, unquote(parts.query), parts.password or "", parts.netloc if parts.password else ""}
    # Each value of the query too (a SAS's `sig`, echoed alone), raw and decoded; the short ones
    # (`sp=r`, `ss=b`) say nothing and would garble the text.
    for piece in parts.query.split("&"):
        value = piece.partition("=")[2]
        secrets |= {value, unquote(value), unquote_plus(value)}
    for secret in sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True):
        message = message.replace(secret, "<hidden>")
    return message


def default_name(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or "import.jsonl"


def import_file(ws: Workspace, url: str, *, name: str | None = None, wait: bool = True,
                on_status: Callable[[str], None] = lambda status: None) -> dict:
    """Ask the service to import the file at `url` as a fine-tune file; wait until it is processed."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES or (parts.scheme.lower() == "https" and not parts.hostname):
        raise FtdeckError(f"'{shown_url(url)}' is not an https:// URL (an Azure Blob URL, with a SAS token or readable "
                          "by the resource's identity)", exit_code=2)
    filename = name or default_name(url)
    on_status(f"importing {shown_url(url)} as {filename}")
    try:
        created = _import_once(ws, url.strip(), filename, on_status)
        on_status(f"imported as {created['id']}: {created.get('status')}")
        if wait:
            from services.files import wait_for_file

            created = wait_for_file(ws, created["id"], on_status)
    except FtdeckError as exc:
        raise type(exc)(_scrubbed(str(exc), url), exc.exit_code) from None
    return created


def _import_once(ws: Workspace, url: str, filename: str, on_status: Callable[[str], None]) -> dict:
    """POST once per attempt: after a lost answer, a new file of this name that appeared meanwhile is
    ours (as for uploads, services/files.py); otherwise it is sent again under the retry policy."""
    import openai
    from openai.types import FileObject

    from services.files import list_files

    before = {f["id"] for f in list_files(ws, "fine-tune")}
    once = ws.openai().with_options(max_retries=0)
    body = {"purpose": "fine-tune", "filename": filename, "content_url": url}

    def attempt(n: int) -> dict:
        try:
            with sending_once():
                created = once.post("/files/import", body=body, cast_to=FileObject,
                                    options={"timeout": LONG_TIMEOUT}).model_dump()
        except (openai.APIConnectionError, openai.InternalServerError) as exc:
            if nothing_sent(exc):
                raise
            try:
                listed = list_files(ws, "fine-tune")
            except FtdeckError:
                raise maybe_done(f"importing {filename}", exc, "file", "the file may have been imported") from None
            arrived = [f for f in listed if f["id"] not in before and f["filename"] == filename]
            if not arrived:
                on_status(f"{what_went_wrong(exc)}; the file did not arrive, asking again")
                raise
            on_status(f"the answer was lost, but the file arrived: {arrived[0]['id']}")
            return arrived[0]
        created_id(created, "file", "POST /openai/files/import")
        return created

    with calling():
        return ws.retries.run(attempt, again_for_sdk, "POST /openai/files/import", ws.report_wait)


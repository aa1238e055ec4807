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

from services.errors import FtdeckError
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
    """POST once per attempt (services/files.post_file_once): after a lost answer, a new file of
    this name that appeared meanwhile is ours; otherwise it is sent again under the retry policy."""
    from openai.types import FileObject

    from services.files import post_file_once

    once = ws.openai().with_options(max_retries=0)
    body = {"purpose": "fine-tune", "filename": filename, "content_url": url}

    def send():
        return once.post("/files/import", body=body, cast_to=FileObject, options={"timeout": LONG_TIMEOUT})

    with calling():
        return post_file_once(ws, send, lambda f: f["filename"] == filename, "POST /openai/files/import",
                              f"importing {filename}", "the file may have been imported", "asking again", on_status)


"""Training files: list, show, upload (validated first, waited for), download, delete."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from services import api_versions, sdk_shapes
from services.atomic_write import write_atomically
from services.errors import STATUS_UNKNOWN, Deletion, FtdeckError, created_id, deleted_or_gone, maybe_done, nothing_sent, what_went_wrong
from services.safe_names import safe_file_name
from services.retries import again_for_sdk, sending_once
from services.sdk_shapes import dumped
from services.workspace import LONG_TIMEOUT, Workspace, calling

if TYPE_CHECKING:  # validating imports multiprocessing and the token counters: listings need none of it
    from services.datasets import DatasetReport

FINAL = ("processed", "error", "deleted")


def list_files(ws: Workspace, purpose: str | None = None, page_size: int | None = None) -> list[dict]:
    """Every file, as the SDK's models dump them (each of their fields, None when absent). Paged
    only where the api-version declares paging (services/api_versions.py: 2024-10-21's Files_List
    takes only `purpose` and answers one list with no has_more), page_size at a time (the service's
    own, 10,000 on Azure, unless given), until has_more is false or a page brings no new file: a
    server that ignores `after` is asked twice, not for ever. Read from the JSON itself: building
    thousands of SDK models held the interpreter for a third of a second, and the TUI's screen with it;
    and without the SDK (Workspace.get_json), whose import costs a second."""
    query: dict = {"purpose": purpose} if purpose else {}
    paged = ws.profile.is_v1 or api_versions.pages_files(ws.profile.api_version)  # v1 pages (its spec)
    if page_size and paged:
        query["limit"] = page_size
    found: list[dict] = []
    seen: set = set()
    while True:
        page = ws.get_json("files", query)
        items = [item for item in page.get("data") or [] if item.get("id") not in seen]
        found += [dumped(sdk_shapes.FILE, item) for item in items]
        seen.update(item.get("id") for item in items)
        if not paged or page.get("has_more") is False or not items or items[-1].get("id") is None:
            return found
        query["after"] = items[-1]["id"]


def get_file(ws: Workspace, file_id: str) -> dict:
    with calling():
        return ws.openai().files.retrieve(file_id).model_dump()


def delete_file(ws: Workspace, file_id: str) -> Deletion:
    """"deleted", or "gone" when a retry found nothing after the first answer was lost."""
    with calling():
        return deleted_or_gone(ws.calls, lambda: ws.openai().files.delete(file_id))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_identical(ws: Workspace, path: Path) -> dict | None:
    """An uploaded training file with exactly these bytes (same size first, then same hash)."""
    size = path.stat().st_size
    candidates = [f for f in list_files(ws, "fine-tune") if f["bytes"] == size and f["status"] != "error"]
    if not candidates:
        return None
    local = sha256_of(path)
    with calling():
        for f in candidates:
            if hashlib.sha256(ws.openai().files.content(f["id"]).content).hexdigest() == local:
                return f
    return None


@dataclass
class Upload:
    file: dict
    report: DatasetReport | None
    reused: bool = False


def upload_file(
    ws: Workspace,
    path: str | os.PathLike,
    *,
    model: str | None = None,
    validate: bool = True,
    wait: bool = True,
    reuse: Callable[[dict], bool] | None = None,
    on_status: Callable[[str], None] = lambda status: None,
    in_parts: bool = False,
    part_bytes: int | None = None,
) -> Upload:
    """Validate, upload and (by default) wait until the service has processed the file.

    `reuse(existing)` is asked when a byte-identical file is already uploaded; True reuses it."""
    from services.datasets import DatasetUnreadable, validate_dataset

    path = Path(path)
    report = None
    if validate:
        try:
            report = validate_dataset(path, model=model)
        except DatasetUnreadable as exc:
            raise FtdeckError(str(exc), exit_code=2) from None
        if not report.ok:
            first = "; ".join(f"line {e.line}: {e.message}" if e.line else e.message for e in report.errors[:3])
            raise FtdeckError(f"{path} has {len(report.errors)} problem(s), nothing uploaded: {first} "
                              f"(see `ftdeck data validate {path}`; --no-validate skips this check)")
    elif not path.is_file():
        raise FtdeckError(f"{path}: no such file", exit_code=2)
    if reuse is not None:
        existing = find_identical(ws, path)
        if existing and reuse(existing):
            return Upload(existing, report, reused=True)
    on_status(f"uploading {path.name} ({path.stat().st_size:,} bytes)")
    created = _send(ws, path, on_status, in_parts, part_bytes)
    on_status(f"uploaded as {created['id']}: {created.get('status')}")
    if wait:
        try:
            created = wait_for_file(ws, created["id"], on_status)
        except FtdeckError as exc:
            if exc.exit_code == STATUS_UNKNOWN or str(exc).startswith("the service rejected"):
                raise
            # The file is there: a script that uploads again would make a second one.
            raise FtdeckError(f"uploaded as {created['id']}; status unknown ({exc}): see `ftdeck files show "
                              f"{created['id']}`, do not upload it again", STATUS_UNKNOWN) from None
    return Upload(created, report)


def _send(ws: Workspace, path: Path, on_status: Callable[[str], None], in_parts: bool, part_bytes: int | None) -> dict:
    """One request up to Azure's single-request limit; bigger files (or when asked) in resumable
    parts through the Uploads API (services/uploads.py)."""
    from services import uploads

    if uploads.in_parts(path.stat().st_size, in_parts):
        return uploads.upload_in_parts(ws, path, part_bytes=part_bytes or uploads.PART_BYTES, on_status=on_status)
    with calling():
        return _upload_once(ws, path, on_status)


def _upload_once(ws: Workspace, path: Path, on_status: Callable[[str], None]) -> dict:
    """POST the file once per attempt (post_file_once): after a lost answer, a new file of the same
    name and size is ours."""
    once = ws.openai().with_options(max_retries=0)  # whatever client this is, the SDK must not resend it either
    size = path.stat().st_size

    def send():
        with path.open("rb") as f:
            return once.files.create(file=(path.name, f), purpose="fine-tune", timeout=LONG_TIMEOUT)

    return post_file_once(ws, send, lambda f: f["filename"] == path.name and f["bytes"] == size, "POST /openai/files",
                          f"uploading {path.name}", "the file may have arrived", "sending it again", on_status)


def post_file_once(ws: Workspace, send: Callable[[], Any], ours: Callable[[dict], bool], route: str, doing: str,
                   maybe: str, again: str, on_status: Callable[[str], None]) -> dict:
    """POST a file (upload or import) once per attempt, never twice blindly, which would make two
    files (one orphaned) after a lost answer: after a dropped connection or a 5xx, a new file that
    is `ours` and appeared meanwhile is the one sent; otherwise, as after a 429, it is sent again
    under the one retry policy (services/retries.py), each wait reported."""
    import openai

    before = {f["id"] for f in list_files(ws, "fine-tune")}

    def attempt(n: int) -> dict:
        try:
            with sending_once():
                created = send().model_dump()
        except (openai.APIConnectionError, openai.InternalServerError) as exc:
            if nothing_sent(exc):
                raise
            try:
                listed = list_files(ws, "fine-tune")
            except FtdeckError:
                raise maybe_done(doing, exc, "file", maybe) from None
            arrived = [f for f in listed if f["id"] not in before and ours(f)]
            if not arrived:
                on_status(f"{what_went_wrong(exc)}; the file did not arrive, {again}")
                raise  # the policy sends it again
            on_status(f"the answer was lost, but the file arrived: {arrived[0]['id']}")
            return arrived[0]
        created_id(created, "file", route)
        return created

    return ws.retries.run(attempt, again_for_sdk, route, ws.report_wait)


def wait_for_file(ws: Workspace, file_id: str, on_status: Callable[[str], None] = lambda s: None, poll: float = 1.0) -> dict:
    status = None
    while True:
        body = get_file(ws, file_id)
        if body["status"] != status:
            status = body["status"]
            on_status(f"{file_id}: {status}")
        if status in FINAL:
            break
        time.sleep(poll)
    if status == "error":
        raise FtdeckError(f"the service rejected {file_id}: {body.get('status_details') or 'no details given'}")
    return body


def download_file(ws: Workspace, file_id: str, destination: str | os.PathLike, *, overwrite: bool = False,
                  on_note: Callable[[str], None] = lambda note: None) -> Path:
    """Write a file's content atomically: a partial download never replaces anything. Into a
    folder, it goes under the service's name for it made safe (services/safe_names.py; on_note
    hears how the name was changed): whatever the service says, nothing is written elsewhere."""
    destination = Path(destination)
    if destination.is_dir():
        safe = safe_file_name(str(get_file(ws, file_id).get("filename") or ""))
        if safe.note:
            on_note(safe.note)
        destination = destination / safe.name
    if os.path.lexists(destination) and not overwrite:
        raise FtdeckError(f"{destination} exists; pass --force to overwrite it", exit_code=2)
    with calling():
        content = ws.openai().files.content(file_id).content
    try:
        write_atomically(destination, content, overwrite=overwrite)
    except FileExistsError:
        raise FtdeckError(f"{destination} exists; pass --force to overwrite it", exit_code=2) from None
    except OSError as exc:
        raise FtdeckError(f"{destination}: cannot be written ({exc.strerror or exc}): nothing written", exit_code=2) from None
    return destination


@dataclass
class FilePreview:
    """What an uploaded file holds. A JSONL training file gets a validation `report` and its first
    `examples`; any other file (a job's results.csv) only its first `lines`."""

    report: DatasetReport | None
    examples: list[dict]
    lines: list[str]


PREVIEWS_KEPT = 64
_previews: dict[tuple[str, str, int], FilePreview] = {}


def preview_file(ws: Workspace, file_id: str, examples: int = 3) -> FilePreview:
    """Download a file, validate it and keep its first examples. Cached per file: an uploaded
    file's content never changes."""
    key = (ws.endpoint, file_id, examples)
    if key in _previews:
        return _previews[key]
    with tempfile.TemporaryDirectory(prefix="ftdeck-preview-") as tmp:
        path = Path(tmp) / "content"
        # Streamed to disk: a training file can be hundreds of MB, and validation streams it back.
        with calling(), ws.openai().files.with_streaming_response.content(file_id) as response, path.open("wb") as f:
            for block in response.iter_bytes(1 << 20):
                f.write(block)
        preview = _preview_of(path, examples)
    if preview.report:
        preview.report.path = file_id  # not the temporary copy it was read from
    if len(_previews) >= PREVIEWS_KEPT:
        _previews.pop(next(iter(_previews)))
    _previews[key] = preview
    return preview


def _preview_of(path: Path, n: int) -> FilePreview:
    from services.datasets import validate_dataset

    lines: list[str] = []
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            if line.strip():
                lines.append(line.rstrip("\r\n"))
            if len(lines) == n:
                break
    first = lines[0].lstrip() if lines else ""
    if first and not first.startswith("{") and first.isprintable():  # plain text, such as results.csv
        return FilePreview(None, [], lines)
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # the report names the line and the fix
    return FilePreview(validate_dataset(path), [r for r in records if isinstance(r, dict)], lines)

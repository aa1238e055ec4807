"""Large training files through the Uploads API, in parts, resumable after an interruption.

Azure takes at most 512 MB in one `POST /files` (spec sections 3 and 4); bigger files (to 9 GB) go
through `POST /uploads`, `/uploads/{id}/parts` and `/uploads/{id}/complete` (Azure/azure-rest-api-specs,
AzureOpenAI authoring `stable/2024-10-21/azureopenai.json`; first declared in `2024-08-01-preview`). An
upload expires two hours after it starts (same spec). ftdeck writes down the upload's id and each part
it has sent in its data folder, so running `ftdeck files upload FILE` again after an interruption
sends only the missing parts; an expired or unknown upload starts over. Nothing is duplicated: only
the parts named at completion make the file, in their order.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Callable

from services.atomic_write import write_atomically
from services.errors import STATUS_UNKNOWN, FtdeckError
from services.paths import data_dir
from services.workspace import LONG_TIMEOUT, Workspace, calling

MOST_IN_ONE_REQUEST = 512 * 1024**2  # spec sections 3 and 4: files under 512 MB through /files
MOST_IN_PARTS = 9 * 1024**3  # 2024-10-21 spec, POST /uploads: "a maximum of 9 GB in total"
MOST_PART_BYTES = 512 * 1024**2  # POST /uploads/{id}/parts: "up to the standard size limit for file upload"
PART_BYTES = 64 * 1024**2  # small enough that an interruption loses little; the openai SDK's own part size
FIRST_VERSION = "2024-08-01"  # the first api-version whose spec declares /uploads
EXPIRY_MARGIN = 300  # seconds: an upload this close to expiring is started over rather than resumed


def declared(api_version: str | None) -> bool:
    """Whether this api-version has the Uploads API (a dated version from 2024-08-01 on)."""
    version = api_version or ""
    return len(version) >= 10 and version[:4].isdigit() and version[:10] >= FIRST_VERSION


def parse_size(text: str) -> int:
    """`64MB`, `512KB`, `1GB` or a number of bytes (binary units, as the limits are)."""
    units = {"GB": 1024**3, "MB": 1024**2, "KB": 1024, "B": 1}
    cleaned = text.strip().upper()
    for unit, scale in units.items():
        if cleaned.endswith(unit) and cleaned[: -len(unit)].strip().isdigit():
            value = int(cleaned[: -len(unit)]) * scale
            break
    else:
        if not cleaned.isdigit():
            raise FtdeckError(f"'{text}' is not a size: use bytes or a number with KB, MB or GB (e.g. 64MB)", exit_code=2)
        value = int(cleaned)
    if not 1 <= value <= MOST_PART_BYTES:
        raise FtdeckError(f"a part holds from 1 byte to 512MB (Azure's limit for one part), not {text}", exit_code=2)
    return value


def _state_path(ws: Workspace, path: Path) -> Path:
    key = hashlib.sha256(f"{ws.endpoint}\n{path.resolve()}".encode()).hexdigest()[:32]
    return data_dir() / "uploads" / f"{key}.json"


def _load_state(where: Path) -> dict | None:
    try:
        state = json.loads(where.read_text())
    except (OSError, ValueError):
        return None
    sound = isinstance(state, dict) and isinstance(state.get("upload_id"), str) and isinstance(state.get("parts"), dict)
    return state if sound else None  # anything else is started over


def _save_state(where: Path, state: dict) -> None:
    where.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(where, json.dumps(state), mode=0o600)


def _forget(where: Path) -> None:
    where.unlink(missing_ok=True)


def upload_in_parts(ws: Workspace, path: Path, *, part_bytes: int = PART_BYTES,
                    on_status: Callable[[str], None] = lambda status: None) -> dict:
    """Send `path` through the Uploads API (resuming an interrupted upload of the same file) and
    return the file it became, as the service describes it."""
    if not declared(ws.profile.api_version):
        raise FtdeckError(f"api-version {ws.profile.api_version} has no Uploads API (large files need 2024-08-01-preview, "
                          "2024-10-21 or later): set OPENAI_API_VERSION=2024-10-21", exit_code=2)
    facts = path.stat()
    if facts.st_size > MOST_IN_PARTS:
        raise FtdeckError(f"{path} holds {facts.st_size:,} bytes; Azure takes at most 9 GB in one upload: split the data", exit_code=2)
    if facts.st_size == 0:
        raise FtdeckError(f"{path} is empty: nothing to upload", exit_code=2)
    where = _state_path(ws, path)
    same_file = {"endpoint": ws.endpoint, "path": str(path.resolve()), "bytes": facts.st_size,
                 "mtime_ns": facts.st_mtime_ns, "part_bytes": part_bytes}
    state = _load_state(where)
    if state and all(state.get(k) == v for k, v in same_file.items()) and state.get("expires_at", 0) > time.time() + EXPIRY_MARGIN:
        on_status(f"resuming upload {state['upload_id']}: {len(state['parts'])} part(s) already sent")
    else:
        if state:
            on_status("the earlier upload of this file expired or the file changed: starting over")
        state = _start(ws, path, same_file, where)
    for attempt in range(2):
        try:
            return _finish(ws, path, state, where, on_status)
        except _UploadGone as gone:
            if attempt:
                raise FtdeckError(f"upload {state['upload_id']} {gone}; nothing was made of it: upload the file again") from None
            on_status(f"upload {state['upload_id']} {gone}: starting over")
            state = _start(ws, path, same_file, where)
    raise AssertionError("unreachable")


class _UploadGone(Exception):
    """The service no longer takes parts for this upload (expired, cancelled, completed, unknown)."""


def _start(ws: Workspace, path: Path, same_file: dict, where: Path) -> dict:
    with calling():
        upload = ws.openai().uploads.create(bytes=same_file["bytes"], filename=path.name,
                                            mime_type="application/jsonl", purpose="fine-tune")
    if not isinstance(upload.id, str) or not upload.id:
        raise FtdeckError("POST /openai/uploads answered without an upload id: nothing was uploaded")
    # Judged on this machine's clock by the lifetime the service gave (its clock may differ from ours).
    lifetime = (upload.expires_at - upload.created_at) if upload.expires_at and upload.created_at else 3600
    state = {**same_file, "upload_id": upload.id, "created_at": upload.created_at, "expires_at": time.time() + lifetime, "parts": {}}
    _save_state(where, state)
    return state


def _finish(ws: Workspace, path: Path, state: dict, where: Path, on_status: Callable[[str], None]) -> dict:
    import openai

    size, part_bytes = state["bytes"], state["part_bytes"]
    count = -(-size // part_bytes)
    client = ws.openai()
    with path.open("rb") as f:
        for index in range(count):
            if str(index) in state["parts"]:
                continue
            f.seek(index * part_bytes)
            chunk = f.read(part_bytes)
            with calling():
                try:
                    part = client.uploads.parts.create(state["upload_id"], data=chunk, timeout=LONG_TIMEOUT)
                except (openai.NotFoundError, openai.ConflictError) as exc:
                    raise _UploadGone(_gone_reason(exc)) from None
            # Written after each part: killed now, the next run sends only the parts not written down.
            state["parts"][str(index)] = part.id
            _save_state(where, state)
            sent = min(size, (len(state["parts"])) * part_bytes)
            on_status(f"part {len(state['parts'])}/{count} sent ({sent:,} of {size:,} bytes)")
    part_ids = [state["parts"][str(i)] for i in range(count)]
    md5 = _md5_of(path)
    done_file, error = None, None
    try:
        with calling():
            try:
                done = client.uploads.complete(state["upload_id"], part_ids=part_ids, md5=md5, timeout=LONG_TIMEOUT)
                done_file = done.file.model_dump() if done.file is not None else None
            except (openai.NotFoundError, openai.ConflictError) as exc:
                if _gone_reason(exc) != "is completed":
                    raise _UploadGone(_gone_reason(exc)) from None
            except openai.BadRequestError:
                _forget(where)  # refused as it is (the file changed while it was sent?): resuming cannot help
                raise
    except FtdeckError as exc:
        if not where.exists():
            raise FtdeckError(f"the service refused to complete upload {state['upload_id']} ({exc}); "
                              f"`ftdeck files upload {path}` starts it over", exc.exit_code) from None
        error = exc  # below: the answer to a completion may have been lost
    if done_file is None:
        # Completed already (by a run whose answer was lost): the file is there, made once.
        done_file = _completed_file(ws, path, state)
        if done_file is None:
            raise FtdeckError(f"upload {state['upload_id']} could not be completed ({error}); the parts sent are kept: "
                              f"run `ftdeck files upload {path}` again to resume it", exit_code=error.exit_code if error else STATUS_UNKNOWN)
    if not done_file or not done_file.get("id"):
        raise FtdeckError(f"upload {state['upload_id']} was completed but the answer names no file: see `ftdeck files list`")
    _forget(where)
    return done_file


def _gone_reason(exc: Exception) -> str:
    message = str(getattr(exc, "message", "") or exc)
    for word in ("expired", "cancelled", "completed"):
        if word in message:
            return f"is {word}"
    return "is not known to the service"


def _completed_file(ws: Workspace, path: Path, state: dict) -> dict | None:
    from services.files import list_files

    made = [f for f in list_files(ws, "fine-tune")
            if f["filename"] == path.name and f["bytes"] == state["bytes"] and (f.get("created_at") or 0) >= (state.get("created_at") or 0)]
    return made[0] if len(made) == 1 else None


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def in_parts(size: int, forced: bool) -> bool:
    """Whether a file of `size` bytes goes through the Uploads API: over the single-request limit, or asked."""
    return forced or size > MOST_IN_ONE_REQUEST


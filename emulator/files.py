"""Files: upload, import, validation and the pending -> running -> processed/error walk.

The outcome of validation is decided at upload and kept with the file; what a reader sees is
derived from the emulator clock (pending for a moment, then running, then the outcome), so a
restart never leaves a file stuck half-way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from emulator.errors import ServiceError, invalid, not_found
from emulator.imports import ImportRefused, read_source, shown_url
from emulator.resources import new_id, public
from emulator.training_data import FileCheck, check_training_file

if TYPE_CHECKING:
    from emulator.service import Emulator

PURPOSES = {"fine-tune", "fine-tune-results", "assistants", "batch", "vision", "evals"}
STAGE_SECONDS = 1.0  # how long a file stays pending, then running, on the emulator clock


def check(purpose: str, content: bytes | BinaryIO) -> FileCheck | None:
    """The validation outcome of a training file (None for other purposes), in flat memory: the
    slow part of an upload, which the app runs off its event loop."""
    return check_training_file(content, keep_records=False) if purpose == "fine-tune" else None


def create(emu: Emulator, filename: str, purpose: str, content: bytes | BinaryIO, *, immediately: bool = False,
           checked: FileCheck | None = None) -> dict:
    """Store a new file (its bytes, or a binary file) and decide its validation outcome now, unless
    `checked` already did."""
    if purpose not in PURPOSES:
        raise invalid(f"'{purpose}' is not a supported purpose. Use 'fine-tune' for training files.", "purpose")
    now = emu.clock.now()
    body = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": len(content) if isinstance(content, bytes) else content.seek(0, 2),
        "created_at": int(now),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
        "_ready_at": now if immediately else now + 2 * STAGE_SECONDS,
    }
    if purpose == "fine-tune":
        check = checked or check_training_file(content, keep_records=False)
        if not check.ok:
            body["status"] = "error"
            body["status_details"] = check.status_details
        body["_format"] = check.data_format
        body["_examples"] = check.n_examples
        if check.image_examples:  # vision data (emulator/training_images.py)
            body.update(_image_examples=check.image_examples, _skipped_images=check.skipped_images, _skip_reason=check.skip_reason)
    emu.store.add_file(body, content)
    return view(emu, body)


async def import_from_url(emu: Emulator, filename: str, purpose: str, content_url: str) -> dict:
    """Azure imports from blob storage; here only what the operator allowed stands in for it (emulator/imports.py)."""
    try:
        content = await read_source(content_url, emu.settings.import_dir, emu.settings.allow_url_import)
    except ImportRefused as exc:
        raise ServiceError(400, "fileImportFailed", f"Could not import the file from '{shown_url(content_url)}': {exc}", "content_url") from None
    return create(emu, filename, purpose, content)


def view(emu: Emulator, body: dict) -> dict:
    """The file as a client sees it right now."""
    shown = public(body)
    remaining = body["_ready_at"] - emu.clock.now()
    if remaining > STAGE_SECONDS:
        shown.update(status="pending", status_details=None)
    elif remaining > 0:
        shown.update(status="running", status_details=None)
    return shown


def get(emu: Emulator, file_id: str) -> dict:
    body = emu.store.get_file(file_id)
    if body is None:
        raise not_found("File", file_id)
    return body


def delete(emu: Emulator, file_id: str) -> dict:
    get(emu, file_id)
    emu.store.delete_file(file_id)
    return {"object": "file", "deleted": True, "id": file_id}


def ready_for_training(emu: Emulator, file_id: str, param: str) -> dict:
    """The file a job may train on, or the error Azure gives for it."""
    body = emu.store.get_file(file_id)
    if body is None:
        raise invalid(f"The file '{file_id}' does not exist. Upload it first (POST /openai/files).", param)
    if body["purpose"] != "fine-tune":
        raise invalid(f"The file '{file_id}' has purpose '{body['purpose']}'; training files need purpose 'fine-tune'.", param)
    status = view(emu, body)["status"]
    if status == "error":
        raise invalid(f"The file '{file_id}' failed validation: {body['status_details']}", param)
    if status != "processed":
        raise invalid(f"The file '{file_id}' is not ready yet (status '{status}'). Wait until it is 'processed'.", param)
    return body

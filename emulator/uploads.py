"""The Uploads API: a large file sent in parts, then completed into one file (or cancelled).

Sources (emulator/SOURCES.md, "Uploads"): Azure/azure-rest-api-specs, data-plane AzureOpenAI authoring
`stable/2024-10-21/azureopenai.json` (`/uploads`, `/uploads/{upload-id}/parts`, `.../complete`,
`.../cancel`; `UploadFileStartBody`, `UploadResource`, `UploadPartResource`, `UploadFileCompleteBody`,
`UploadStatus`) and its examples `upload_file_start/part/complete/cancel.json`; the paths first appear
in `preview/2024-08-01-preview`. Parts live in their own tables of the emulator's database until the
upload is completed, when they become one ordinary file (emulator/files.py), validated like any upload.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import uuid
from typing import TYPE_CHECKING, BinaryIO

from emulator import files
from emulator.errors import ServiceError, invalid, not_found, wrong_state
from emulator.resources import public

if TYPE_CHECKING:
    from emulator.service import Emulator

# 2024-10-21 spec, POST /uploads: "an Upload size can be a maximum of 9 GB in total and will expire two
# hours after being created".
MOST_BYTES = 9 * 1024**3
EXPIRES_AFTER_SECONDS = 2 * 3600
# POST /uploads/{id}/parts: "Each Part can be up to the standard size limit for file upload, based on
# the File Purpose": 512 MB for files (spec sections 3 and 4).
MOST_PART_BYTES = 512 * 1024**2
# The emulator keeps a file whole in one SQLite blob (1,000,000,000 bytes at most): a bigger upload is
# refused when it starts, not after its parts were sent. The emulator's limit, not Azure's.
MOST_STORED_BYTES = 1_000_000_000
# Only the versions whose spec declares the paths serve them (2024-08-01-preview is the first).
FIRST_VERSION = "2024-08-01"

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    expires_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_parts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    upload_id TEXT NOT NULL,
    block_id TEXT NOT NULL,
    body TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS upload_parts_by_upload ON upload_parts (upload_id, seq);
"""


def served(api_version: str) -> bool:
    return api_version[:10] >= FIRST_VERSION


def _tables(emu: Emulator):
    db = emu.store.db
    if not getattr(emu, "_upload_tables", False):
        db.executescript(SCHEMA)
        emu._upload_tables = True
    return db


def _load(emu: Emulator, upload_id: str) -> dict:
    row = _tables(emu).execute("SELECT body FROM uploads WHERE id=?", (upload_id,)).fetchone()
    if row is None:
        raise not_found("Upload", upload_id)
    return json.loads(row[0])


def _save(emu: Emulator, body: dict) -> None:
    _tables(emu).execute("UPDATE uploads SET body=? WHERE id=?", (json.dumps(body), body["id"]))


def view(emu: Emulator, body: dict) -> dict:
    """The upload as a client sees it now: `expired` once its time is up unless it ended before."""
    shown = public(body)
    if shown["status"] == "pending" and emu.clock.now() >= body["expires_at"]:
        shown["status"] = "expired"
    return shown


def start(emu: Emulator, data: object) -> dict:
    """POST /uploads: `purpose`, `filename`, `bytes` and `mime_type` are all required (UploadFileStartBody)."""
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object with 'purpose', 'filename', 'bytes' and 'mime_type'.")
    for name in ("purpose", "filename", "mime_type"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise invalid(f"'{name}' is required: a non-empty string.", name)
    size = data.get("bytes")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise invalid("'bytes' is required: the whole file's size, a positive whole number.", "bytes")
    if size > MOST_BYTES:
        raise invalid(f"An upload holds at most {MOST_BYTES:,} bytes (9 GB); this one declares {size:,}.", "bytes")
    if size > MOST_STORED_BYTES:
        raise invalid(f"The emulator stores a file of at most {MOST_STORED_BYTES:,} bytes; this one declares {size:,}.", "bytes")
    if data["purpose"] not in files.PURPOSES:
        raise invalid(f"'{data['purpose']}' is not a supported purpose. Use 'fine-tune' for training files.", "purpose")
    now = emu.clock.now()
    # The spec's example ids are "<purpose>-<32 hex>".
    body = {
        "id": f"{data['purpose']}-{uuid.uuid4().hex}",
        "object": "upload",
        "bytes": size,
        "created_at": int(now),
        "filename": data["filename"],
        "purpose": data["purpose"],
        "status": "pending",
        "expires_at": int(now + EXPIRES_AFTER_SECONDS),
        "file": None,
        "_mime_type": data["mime_type"],
    }
    db = _tables(emu)  # before the transaction: creating tables commits
    with emu.store.transaction():
        # Expired uploads keep their record (a client may ask) but their parts are dropped.
        db.execute("DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE expires_at <= ?)", (now,))
        db.execute("INSERT INTO uploads (id, expires_at, body) VALUES (?, ?, ?)", (body["id"], body["expires_at"], json.dumps(body)))
    return view(emu, body)


def _pending(emu: Emulator, upload_id: str, doing: str) -> dict:
    body = _load(emu, upload_id)
    status = view(emu, body)["status"]
    if status != "pending":
        # The spec: "No Parts may be added after an Upload is cancelled" / "is completed"; an expired one
        # is gone the same way. The status code is not documented: 409, as for other wrong states.
        raise wrong_state(f"The upload '{upload_id}' is {status}; it cannot {doing}. Start a new upload.")
    return body


def add_part(emu: Emulator, upload_id: str, content: BinaryIO) -> dict:
    """POST /uploads/{id}/parts (multipart `data`)."""
    _pending(emu, upload_id, "take more parts")
    size = content.seek(0, 2)
    content.seek(0)
    if size == 0:
        raise invalid("The part is empty: send its bytes as the 'data' part of a multipart/form-data body.", "data")
    if size > MOST_PART_BYTES:
        raise invalid(f"A part holds at most {MOST_PART_BYTES:,} bytes (512 MB); this one has {size:,}.", "data")
    db = _tables(emu)
    sent = db.execute("SELECT COALESCE(SUM(LENGTH(content)), 0) FROM upload_parts WHERE upload_id=?", (upload_id,)).fetchone()[0]
    if sent + size > MOST_BYTES:
        raise invalid(f"The parts would hold more than the {MOST_BYTES:,} bytes an upload may hold.", "data")
    chunks = []
    while chunk := content.read(1 << 20):
        chunks.append(chunk)
    part = {
        "id": f"uplprt-{uuid.uuid4().hex}",
        "object": "upload.part",
        "created_at": int(emu.clock.now()),
        "upload_id": upload_id,
        # The spec's example block id is 16 bytes in base64, like an MD5.
        "azure_block_id": base64.b64encode(uuid.uuid4().bytes).decode(),
    }
    with emu.store.transaction():
        db.execute(
            "INSERT INTO upload_parts (id, upload_id, block_id, body, content) VALUES (?, ?, ?, ?, ?)",
            (part["id"], upload_id, part["azure_block_id"], json.dumps(part), b"".join(chunks)),
        )
    return part


def complete(emu: Emulator, upload_id: str, data: object) -> dict:
    """POST /uploads/{id}/complete {part_ids, md5?}: the parts, in the order given, become one file."""
    body = _pending(emu, upload_id, "be completed")
    if not isinstance(data, dict) or not isinstance(data.get("part_ids"), list) or not data["part_ids"] \
            or not all(isinstance(p, str) for p in data["part_ids"]):
        raise invalid("'part_ids' is required: the list of the parts' ids, in the file's order.", "part_ids")
    md5 = data.get("md5")
    if md5 is not None and not isinstance(md5, str):
        raise invalid("'md5' must be a string: the whole file's MD5 checksum, in hex.", "md5")
    if len(set(data["part_ids"])) != len(data["part_ids"]):
        raise invalid("A part is named twice in 'part_ids'.", "part_ids")
    db = _tables(emu)
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as whole:
        digest = hashlib.md5(usedforsecurity=False)
        for part_id in data["part_ids"]:
            # The spec names them part ids; its example sends the parts' azure_block_id: either is taken.
            row = db.execute("SELECT content FROM upload_parts WHERE upload_id=? AND (id=? OR block_id=?)",
                             (upload_id, part_id, part_id)).fetchone()
            if row is None:
                raise invalid(f"'{part_id}' is not a part of the upload '{upload_id}'.", "part_ids")
            digest.update(row[0])
            whole.write(row[0])
        size = whole.tell()
        # The spec: "The total number of bytes uploaded must match the size originally specified".
        if size != body["bytes"]:
            raise invalid(f"The parts hold {size:,} bytes; the upload was started for {body['bytes']:,}.", "part_ids")
        if md5 is not None and md5.strip().lower() != digest.hexdigest():
            raise invalid("The parts' MD5 checksum does not match 'md5': a part was changed or is missing.", "md5")
        whole.seek(0)
        checked = files.check(body["purpose"], whole)
        with emu.store.transaction():
            created = files.create(emu, body["filename"], body["purpose"], whole, checked=checked)
            body.update(status="completed", file=created)
            _save(emu, body)
            db.execute("DELETE FROM upload_parts WHERE upload_id=?", (upload_id,))
    return view(emu, body)


def cancel(emu: Emulator, upload_id: str) -> dict:
    """POST /uploads/{id}/cancel: the parts are dropped ("deleted asynchronously" on Azure)."""
    body = _pending(emu, upload_id, "be cancelled")
    with emu.store.transaction():
        body["status"] = "cancelled"
        _save(emu, body)
        _tables(emu).execute("DELETE FROM upload_parts WHERE upload_id=?", (upload_id,))
    return view(emu, body)


def refuse_unless_served(api_version: str) -> None:
    if not served(api_version):
        # What Azure answers for an operation a version does not have (spec section 2).
        raise ServiceError(404, "404", "Resource not found")

"""The emulator's own check of an uploaded training file (spec section 3), as Azure runs it on
upload: the first bad line puts the file in `error` with a `status_details` naming it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from emulator.catalog import CHAT, COMPLETION, PREFERENCE

ROLES = {"system", "user", "assistant", "tool", "function"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
MAX_IMAGES = 64


@dataclass
class FileCheck:
    ok: bool
    status_details: str | None = None
    data_format: str | None = None
    records: list[dict] = field(default_factory=list)

    @property
    def n_examples(self) -> int:
        return len(self.records)


class BadLine(Exception):
    pass


def check_training_file(data: bytes) -> FileCheck:
    """Parse and check every line; stop at the first problem, as Azure's upload validation does."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return FileCheck(False, "The file is UTF-16 encoded. Save it as UTF-8 (one JSON object per line) and upload it again.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    records: list[dict] = []
    data_format = None
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return FileCheck(False, f"Line {number}: the bytes at position {exc.start} are not UTF-8. Save the file as UTF-8.")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            return FileCheck(False, f"Line {number}: invalid JSON ({exc.msg} at column {exc.colno}). Each line must be one complete JSON object.")
        try:
            if not isinstance(record, dict):
                raise BadLine(f"expected a JSON object, got {type(record).__name__}. Each line must be one example object.")
            line_format = format_of(record)
            if data_format is None:
                data_format = line_format
            elif line_format != data_format:
                raise BadLine(f"this example is in {line_format} format but the file started in {data_format} format; use one format per file.")
            CHECKS[line_format](record)
        except BadLine as problem:
            return FileCheck(False, f"Line {number}: {problem}")
        records.append(record)
    if not records:
        return FileCheck(False, "The file is empty: it needs one JSON example per line.")
    return FileCheck(True, None, data_format, records)


def format_of(record: dict) -> str:
    if "messages" in record:
        return CHAT
    if "preferred_output" in record or "non_preferred_output" in record or "input" in record:
        return PREFERENCE
    if "prompt" in record or "completion" in record:
        return COMPLETION
    raise BadLine(f"unrecognised example with keys {sorted(record)}; use 'messages' (chat), 'prompt'/'completion', or 'input'/'preferred_output'/'non_preferred_output' (DPO).")


def check_chat(record: dict) -> None:
    messages = _messages(record.get("messages"), "messages")
    trainable = [m for m in messages if m["role"] == "assistant" and m.get("weight", 1) == 1]
    if not trainable:
        raise BadLine("no assistant message to train on: each example needs an assistant message with weight 1 (or no weight).")


def check_completion(record: dict) -> None:
    for key in ("prompt", "completion"):
        if not isinstance(record.get(key), str):
            raise BadLine(f"'{key}' must be a string.")
    extra = set(record) - {"prompt", "completion"}
    if extra:
        raise BadLine(f"unknown key '{sorted(extra)[0]}'; prompt/completion examples hold only 'prompt' and 'completion'.")
    if not record["completion"]:
        raise BadLine("'completion' is empty; give the text the model should learn to write.")


def check_preference(record: dict) -> None:
    source = record.get("input")
    if not isinstance(source, dict):
        raise BadLine("'input' must be an object holding 'messages'.")
    _messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        outputs = _messages(record.get(key), key)
        for i, m in enumerate(outputs):
            if m["role"] not in ("assistant", "tool"):
                raise BadLine(f"{key}[{i}] has role '{m['role']}'; outputs hold only assistant or tool messages.")


def _messages(value: object, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise BadLine(f"'{where}' must be a non-empty list of messages.")
    for i, message in enumerate(value):
        _check_message(message, f"{where}[{i}]")
    return value  # type: ignore[return-value]


def _check_message(message: object, where: str) -> None:
    if not isinstance(message, dict):
        raise BadLine(f"{where} must be an object with 'role' and 'content'.")
    role = message.get("role")
    if role not in ROLES:
        raise BadLine(f"{where} has an unknown role {role!r}; use system, user, assistant or tool.")
    extra = set(message) - MESSAGE_KEYS
    if extra:
        raise BadLine(f"{where} has an unknown key '{sorted(extra)[0]}'.")
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            raise BadLine(f"{where}: 'weight' is allowed only on assistant messages.")
        if isinstance(weight, bool) or weight not in (0, 1):
            raise BadLine(f"{where} has weight {json.dumps(weight)}; weight must be 0 (don't train on it) or 1.")
    content = message.get("content")
    if content is None and role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
        return
    if isinstance(content, str):
        if not content.strip():
            raise BadLine(f"{where} ({role}) has empty content.")
        return
    if isinstance(content, list) and role in ("user", "system") and content:
        _check_parts(content, where)
        return
    if isinstance(content, list) and role == "assistant":
        raise BadLine(f"{where}: assistant content must be a string (no images in assistant messages).")
    raise BadLine(f"{where} ({role}) needs 'content': a non-empty string.")


def _check_parts(parts: list, where: str) -> None:
    images = 0
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url" and isinstance(part.get("image_url"), dict) and isinstance(part["image_url"].get("url"), str):
            if part["image_url"].get("detail", "auto") not in ("low", "high", "auto"):
                raise BadLine(f"{where}.content[{j}]: image detail must be low, high or auto.")
            images += 1
            continue
        raise BadLine(f"{where}.content[{j}] must be {{'type': 'text', 'text': ...}} or {{'type': 'image_url', 'image_url': {{'url': ...}}}}.")
    if images > MAX_IMAGES:
        raise BadLine(f"{where} has {images} images; at most {MAX_IMAGES} per example.")


CHECKS = {CHAT: check_chat, COMPLETION: check_completion, PREFERENCE: check_preference}

"""The emulator's own check of an uploaded training file (spec section 3), run as Azure runs it
on upload: the first bad line puts the file in `error`, with a `status_details` naming the line,
what is wrong and how to fix it.

Pure: it reads only the bytes it is given. One pass, stopping at the first problem. It must never
be stricter than ftdeck's own pre-upload check (`services/dataset_rules.py`): a file ftdeck passes
is one the emulator accepts.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from emulator import reinforcement
from emulator.catalog import CHAT, COMPLETION, PREFERENCE, REINFORCEMENT
from emulator.training_images import MAX_IMAGE_EXAMPLES, skipped_because

ROLES = ("system", "user", "assistant", "tool", "function")  # tool/function: where tools are used
OUTPUT_ROLES = ("assistant", "tool")  # what a preference (DPO) output may hold
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
CHAT_KEYS = {"messages", "tools", "functions", "parallel_tool_calls"}
COMPLETION_KEYS = {"prompt", "completion"}
PREFERENCE_KEYS = {"input", "preferred_output", "non_preferred_output"}
IMAGE_DETAILS = ("low", "high", "auto")
MAX_IMAGES = 64  # per example
FORMAT_NAMES = {CHAT: "chat ('messages')", COMPLETION: "prompt/completion", PREFERENCE: "preference (DPO)",
                REINFORCEMENT: "reinforcement (RFT: ends with a user message, no assistant reply)"}
UTF8_BOM = b"\xef\xbb\xbf"
# The longest line read as an example: ftdeck's own check (services/dataset_scan.py) reports longer
# ones without reading them, and this check must not be stricter than that one. Azure's limit on a
# line is not documented; its limits on an example (65,536 tokens, 10 MB per image) fit well within.
MAX_LINE_BYTES = 32 * 2**20
SKIP_BYTES = 2**20
OTHER_BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
]


@dataclass
class FileCheck:
    ok: bool
    status_details: str | None = None  # the first problem, when not ok
    data_format: str | None = None  # CHAT, COMPLETION or PREFERENCE, when ok
    records: list[dict] = field(default_factory=list)  # the parsed examples, when ok
    n_examples: int = 0
    image_examples: int = 0  # examples holding an image (emulator/training_images.py)
    skipped_images: int = 0  # images training would skip, and why the first one is
    skip_reason: str | None = None


class BadExample(Exception):
    """One rule broken on one line; the text says what and how to fix it."""


def check_training_file(data: bytes | BinaryIO, *, keep_records: bool = True) -> FileCheck:
    """Check an uploaded `fine-tune` file line by line; stop at the first bad line, as Azure does.

    `data` is the file's bytes or a seekable binary file (an upload spooled to disk), read a line
    at a time; without `keep_records` (an upload only needs the verdict) memory stays flat however
    big the file is."""
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    stream.seek(0)
    head = stream.read(4)
    for bom, encoding in OTHER_BOMS:
        if head.startswith(bom):
            return _failed(f"The file is {encoding} encoded. Save it as UTF-8, one JSON object per line, and upload it again.")
    stream.seek(len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0)  # the docs ask for a BOM; files without one are accepted too
    records: list[dict] = []
    n_examples = 0
    images = FileCheck(True)  # the image tallies
    data_format: str | None = None
    first_line = 0
    for number, raw in enumerate(_lines(stream), start=1):  # numbered as in the file, blank lines too
        if isinstance(raw, int):
            return _failed(f"Line {number}: {raw / 2**20:,.0f} MB on one line, longer than any example can be. "
                           "Put one JSON example object on each line.")
        if not raw.strip():  # a trailing newline, blank lines and CR-only lines are skipped
            continue
        try:
            record = _parse(raw)
            line_format = format_of(record)
            if data_format is None:
                data_format, first_line = line_format, number
            elif line_format != data_format:
                if (data_format, line_format) == (CHAT, REINFORCEMENT):  # most likely a chat example missing its reply
                    raise BadExample("no assistant message. Add the assistant reply the model should learn to give "
                                     "(an example ending with a user message is reinforcement data, which needs a file of its own).")
                raise BadExample(
                    f"this is a {FORMAT_NAMES[line_format]} example, but the file's first example (line {first_line}) "
                    f"is {FORMAT_NAMES[data_format]}; use one format per file."
                )
            CHECKS[line_format](record)
        except BadExample as problem:
            return _failed(f"Line {number}: {problem}")
        n_examples += 1
        if keep_records:
            records.append(record)
        urls = _image_urls(record)
        if urls:
            images.image_examples += 1
            if images.image_examples > MAX_IMAGE_EXAMPLES:
                return _failed(f"Line {number}: more than {MAX_IMAGE_EXAMPLES:,} examples hold images, the most a training "
                               "file may have. Split the file or drop images.")
            for url in urls:
                reason = skipped_because(url)
                if reason:
                    images.skipped_images += 1
                    images.skip_reason = images.skip_reason or f"line {number}: {reason}"
    if not n_examples:
        return _failed("The file is empty: it has no examples. Put one JSON example object on each line.")
    return FileCheck(True, None, data_format, records, n_examples, images.image_examples, images.skipped_images,
                     images.skip_reason)


def _image_urls(record: dict) -> list[str]:
    """The image URLs of a checked chat or preference example."""
    source = record if "messages" in record else record.get("input")
    messages = source.get("messages") if isinstance(source, dict) else None
    return [part["image_url"]["url"] for message in messages or () if type(message.get("content")) is list
            for part in message["content"] if part.get("type") == "image_url"]


def _lines(stream: BinaryIO) -> Iterator[bytes | int]:
    """Each line without its newline; one over MAX_LINE_BYTES comes as its length, skipped unread."""
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if raw.endswith(b"\n"):
            yield raw[:-1]
        elif len(raw) <= MAX_LINE_BYTES:
            yield raw  # the last line, without a newline
        else:
            length = len(raw)
            while piece := stream.readline(SKIP_BYTES):
                length += len(piece)
                if piece.endswith(b"\n"):
                    break
            yield length


def _failed(details: str) -> FileCheck:
    return FileCheck(False, details)


def _parse(raw: bytes) -> dict:
    if b"\x00" in raw:  # never in UTF-8 JSON text; typical of UTF-16 saved without its BOM
        raise BadExample("the line holds NUL bytes, so the file looks UTF-16 encoded (or binary). Save it as UTF-8.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 4].hex(" ")
        raise BadExample(f"byte {exc.start + 1} of the line is not UTF-8 ({bad}). Save the file as UTF-8.") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadExample(f"invalid JSON ({exc.msg}: line {exc.lineno} column {exc.colno}). Each line must be one JSON object.") from None
    except (ValueError, RecursionError) as exc:  # a number with too many digits; nesting too deep
        detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise BadExample(f"invalid JSON ({detail}). Each line must be one JSON object.") from None
    if not isinstance(record, dict):
        raise BadExample(f"expected a JSON object, found {_kind(record)}. Put one example object ({{...}}) on each line.")
    return record


def format_of(record: dict) -> str:
    """CHAT, COMPLETION, PREFERENCE or REINFORCEMENT, from the keys an example has."""
    if "messages" in record:
        return REINFORCEMENT if reinforcement.is_reinforcement(record) else CHAT
    if PREFERENCE_KEYS & record.keys():
        return PREFERENCE
    if "prompt" in record or "completion" in record:
        return COMPLETION
    keys = ", ".join(_show(key) for key in sorted(record)[:5]) or "none"
    raise BadExample(
        f"unrecognised example (keys: {keys}). Use 'messages' for chat, 'prompt' and 'completion', "
        "or 'input', 'preferred_output' and 'non_preferred_output' for preference (DPO) data."
    )


def check_chat(record: dict) -> None:
    _no_unknown_keys(record, CHAT_KEYS, "chat examples hold 'messages' (and optionally 'tools')")
    messages, images = _check_messages(record["messages"], "messages", "message")
    _check_image_count(images)
    weights = [m.get("weight", 1) for m in messages if m["role"] == "assistant"]  # each 0 or 1 by now
    if not weights:
        raise BadExample("no assistant message. Add the assistant reply the model should learn to give.")
    if not any(weights):
        raise BadExample("every assistant message has weight 0, so nothing is trained on. Set weight 1 (or remove 'weight') on at least one.")


def check_completion(record: dict) -> None:
    for key in ("prompt", "completion"):
        if key not in record:
            raise BadExample(f"'{key}' is missing; prompt/completion examples need both 'prompt' and 'completion'.")
        if not isinstance(record[key], str):
            raise BadExample(f"'{key}' must be a string, not {_kind(record[key])}.")
    _no_unknown_keys(record, COMPLETION_KEYS, "prompt/completion examples hold only 'prompt' and 'completion'")
    if not record["completion"].strip():
        raise BadExample("'completion' is empty. Give the text the model should learn to write.")


def check_preference(record: dict) -> None:
    _no_unknown_keys(record, PREFERENCE_KEYS, "preference examples hold 'input', 'preferred_output' and 'non_preferred_output'")
    source = record.get("input")
    if not isinstance(source, dict):
        raise BadExample("'input' must be an object holding 'messages' (and optionally 'tools').")
    _, images = _check_messages(source.get("messages"), "input.messages", "input message")
    for key in ("preferred_output", "non_preferred_output"):
        outputs, more = _check_messages(record.get(key), key, f"{key} message")
        images += more
        for i, message in enumerate(outputs, start=1):
            if message["role"] not in OUTPUT_ROLES:
                raise BadExample(f"{key} message {i} has role {_show(message['role'])}; outputs hold only assistant or tool messages.")
    _check_image_count(images)


def check_reinforcement(record: dict) -> None:
    """RFT data (emulator/reinforcement.py): any fields beside 'messages' are the grader's references."""
    problem = reinforcement.problem_in(record)
    if problem:
        raise BadExample(problem)


CHECKS = {CHAT: check_chat, COMPLETION: check_completion, PREFERENCE: check_preference, REINFORCEMENT: check_reinforcement}


def _check_messages(value: object, key: str, label: str) -> tuple[list[dict], int]:
    """The messages, checked, and how many images they hold."""
    if not isinstance(value, list) or not value:
        raise BadExample(f"'{key}' must be a non-empty list of message objects.")
    images = sum(_check_message(message, f"{label} {i}") for i, message in enumerate(value, start=1))
    return value, images


def _check_message(message: object, where: str) -> int:
    """Check one message; return how many images it holds."""
    if not isinstance(message, dict):
        raise BadExample(f"{where} must be an object with 'role' and 'content', not {_kind(message)}.")
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        shown = "no role" if role is None else f"an unknown role {_show(role)}"
        raise BadExample(f"{where} has {shown}; use system, user, assistant or tool.")
    extra = message.keys() - MESSAGE_KEYS
    if extra:
        raise BadExample(f"{where} has an unknown key {_show(sorted(extra)[0])}; remove it (messages hold role, content, and optionally name, weight, tool_calls, tool_call_id).")
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            raise BadExample(f"{where}: 'weight' belongs only on assistant messages; remove it.")
        # JSON does not tell 1 from 1.0, and ftdeck's own check takes 1.0, so 0.0 and 1.0 count as 0
        # and 1. true/false are not numbers here (Python would call true == 1): they are errors.
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight not in (0, 1):
            raise BadExample(f"{where} has weight {_show(weight)}; use 0 (context only, not trained on) or 1 (train on it).")
    if "name" in message and not isinstance(message["name"], str):
        raise BadExample(f"{where}: 'name' must be a string.")
    calls_tool = role == "assistant" and bool(message.get("tool_calls") or message.get("function_call"))
    content = message.get("content")
    if content is None:
        if calls_tool:
            return 0  # a tool call needs no text
        raise BadExample(f"{where} ({role}) needs 'content': a non-empty string.")
    if isinstance(content, str):
        if not content.strip() and role in ("user", "assistant") and not calls_tool:
            raise BadExample(f"{where} ({role}) has empty content; write the text or remove the message.")
        return 0
    if isinstance(content, list):
        return _check_parts(content, role, where)
    raise BadExample(f"{where} ({role}): 'content' must be a string, not {_kind(content)}.")


def _check_parts(parts: list, role: str, where: str) -> int:
    """Content given as a list of parts: text and, in user messages, images. System messages may
    use text parts too (ftdeck's own check accepts them)."""
    has_image = any(isinstance(part, dict) and part.get("type") == "image_url" for part in parts)
    if has_image and role != "user":
        raise BadExample(f"{where}: images are allowed only in user messages, not {role} ones; move the image to a user message.")
    if role not in ("user", "system"):
        raise BadExample(f"{where}: {role} content must be a plain string, not a list of parts.")
    if not parts:
        raise BadExample(f"{where} ({role}) has empty content; write the text or remove the message.")
    images = 0
    for j, part in enumerate(parts, start=1):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind != "image_url":
            raise BadExample(f"{where}, content part {j}: use {{\"type\": \"text\", \"text\": ...}} or {{\"type\": \"image_url\", \"image_url\": {{\"url\": ...}}}}.")
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            raise BadExample(f"{where}, content part {j}: an image part needs \"image_url\": {{\"url\": ...}}.")
        if image.get("detail", "auto") not in IMAGE_DETAILS:
            raise BadExample(f"{where}, content part {j}: image detail must be low, high or auto.")
        images += 1
    return images


def _check_image_count(images: int) -> None:
    if images > MAX_IMAGES:
        raise BadExample(f"the example holds {images} images; at most {MAX_IMAGES} per example are allowed. Split it or drop images.")


def _no_unknown_keys(record: dict, allowed: set[str], hint: str) -> None:
    extra = record.keys() - allowed
    if extra:
        raise BadExample(f"unknown key {_show(sorted(extra)[0])}; {hint}.")


def _show(value: object) -> str:
    """A value quoted for a message: short, and printable even with lone surrogates (repr escapes them)."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        return _kind(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: object) -> str:
    """What a JSON value is, in JSON's words."""
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), "a value")

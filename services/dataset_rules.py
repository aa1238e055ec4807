"""The rules one training example must follow (spec section 3), one function per format.

Each check raises `BadExample` with what is wrong and how to fix it; `datasets.py` adds the line
number. Kept at least as strict as the emulator's upload check (`emulator/training_data.py`), so a
file ftdeck passes is one the service accepts.
"""

from __future__ import annotations

import json
from typing import Any

from services import rft_rules
from services.image_rules import image_problem
from services.model_families import CHAT, COMPLETION, PREFERENCE, REINFORCEMENT

ROLES = ("system", "user", "assistant", "tool", "function")
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
CHAT_KEYS = {"messages", "tools", "functions", "parallel_tool_calls"}
PREFERENCE_KEYS = {"input", "preferred_output", "non_preferred_output"}
MAX_IMAGES = 64
IMAGE_DETAILS = ("low", "high", "auto")


class BadExample(Exception):
    """One rule broken by one example; the message says what and how to fix it."""


def format_of(record: dict) -> str:
    """chat, prompt_completion, preference or reinforcement, from the keys an example has."""
    if "messages" in record:
        return REINFORCEMENT if rft_rules.is_reinforcement(record) else CHAT
    if PREFERENCE_KEYS & record.keys():
        return PREFERENCE
    if "prompt" in record or "completion" in record:
        return COMPLETION
    keys = ", ".join(sorted(record)[:5]) or "none"
    raise BadExample(
        f"unrecognised example (keys: {keys}); use 'messages' for chat, 'prompt' and 'completion', "
        "or 'input' with 'preferred_output' and 'non_preferred_output' for preference (DPO) data"
    )


def check_chat(record: dict) -> None:
    extra = record.keys() - CHAT_KEYS if len(record) > 1 else ()
    if extra:
        raise BadExample(f"unknown key '{sorted(extra)[0]}' next to 'messages'; remove it")
    messages = _check_messages(record["messages"], "messages")
    weights = [m.get("weight", 1) for m in messages if m["role"] == "assistant"]  # each 0 or 1 by now
    if not weights:
        raise BadExample("no assistant message: add the assistant reply the model should learn to give")
    if not any(weights):
        raise BadExample("every assistant message has weight 0, so nothing is trained on: set weight 1 (or remove 'weight') on at least one")


def check_completion(record: dict) -> None:
    for key in ("prompt", "completion"):
        if not isinstance(record.get(key), str):
            raise BadExample(f"'{key}' must be a string")
    extra = record.keys() - {"prompt", "completion"}
    if extra:
        raise BadExample(f"unknown key '{sorted(extra)[0]}'; prompt/completion examples hold only 'prompt' and 'completion'")
    if not record["completion"].strip():
        raise BadExample("'completion' is empty; give the text the model should learn to write")


def check_preference(record: dict) -> None:
    extra = record.keys() - PREFERENCE_KEYS
    if extra:
        raise BadExample(f"unknown key '{sorted(extra)[0]}'; preference examples hold 'input', 'preferred_output' and 'non_preferred_output'")
    source = record.get("input")
    if not isinstance(source, dict):
        raise BadExample("'input' must be an object holding 'messages' (and optionally 'tools')")
    _check_messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        for i, m in enumerate(_check_messages(record.get(key), key)):
            if m["role"] not in ("assistant", "tool"):
                raise BadExample(f"{key}[{i}] has role '{m['role']}'; outputs hold only assistant or tool messages")


def check_reinforcement(record: dict) -> None:
    """RFT data (services/rft_rules.py); the example's other fields are the grader's references."""
    problem = rft_rules.problem_in(record)
    if problem:
        raise BadExample(problem)


CHECKS = {CHAT: check_chat, COMPLETION: check_completion, PREFERENCE: check_preference, REINFORCEMENT: check_reinforcement}


def _check_messages(value: object, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise BadExample(f"'{where}' must be a non-empty list of messages")
    images = 0
    for i, message in enumerate(value):
        if not _is_plain(message):
            images += _check_message(message, f"{where}[{i}]")
    if images > MAX_IMAGES:  # the limit is per example, however the images are spread over messages
        raise BadExample(f"the example has {images} images; at most {MAX_IMAGES} per example")
    return value


def _is_plain(message: object) -> bool:
    """The usual message, {"role": known role, "content": non-blank text}: valid without the
    full check, which matters on files of millions of messages."""
    if type(message) is not dict or len(message) != 2:
        return False
    content = message.get("content")  # with a known role, the only other key
    return type(content) is str and message.get("role") in ROLES and content != "" and not content.isspace()


def _check_message(message: object, where: str) -> int:
    """Check one message; return how many images it holds."""
    if not isinstance(message, dict):
        raise BadExample(f"{where} must be an object with 'role' and 'content'")
    role = message.get("role")
    if role not in ROLES or not isinstance(role, str):
        raise BadExample(f"{where} has role {json.dumps(role)}; use system, user, assistant or tool")
    extra = message.keys() - MESSAGE_KEYS
    if extra:
        raise BadExample(f"{where} has an unknown key '{sorted(extra)[0]}'; remove it")
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            raise BadExample(f"{where}: 'weight' belongs only on assistant messages; remove it")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight not in (0, 1):
            raise BadExample(f"{where} has weight {json.dumps(weight)}; use 0 (context only) or 1 (train on it)")
    if "name" in message and not isinstance(message["name"], str):
        raise BadExample(f"{where}: 'name' must be a string")
    content = message.get("content")
    calls_tool = role == "assistant" and bool(message.get("tool_calls") or message.get("function_call"))
    if isinstance(content, str):
        # Only user and assistant text must say something (a tool call needs none); an empty system
        # message or tool result breaks no rule of spec section 3, and the service takes it.
        if not content.strip() and role in ("user", "assistant") and not calls_tool:
            raise BadExample(f"{where} ({role}) has empty content; write the text or remove the message")
        return 0
    if content is None and calls_tool:
        return 0
    if isinstance(content, list) and content:
        return _check_parts(content, role, where)
    raise BadExample(f"{where} ({role}) needs 'content': a non-empty string")


def _check_parts(parts: list, role: str, where: str) -> int:
    images = 0
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "image_url":
            if role != "user":
                raise BadExample(f"{where}.content[{j}]: images are allowed only in user messages, not {role} ones; move it to a user message")
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise BadExample(f"{where}.content[{j}]: an image part needs 'image_url': {{'url': ...}}")
            if image.get("detail", "auto") not in IMAGE_DETAILS:
                raise BadExample(f"{where}.content[{j}]: image detail must be low, high or auto")
            problem = image_problem(image["url"])  # format, size and mode: services/image_rules.py
            if problem:
                raise BadExample(f"{where}.content[{j}]: {problem}")
            images += 1
        elif kind != "text" or not isinstance(part.get("text"), str):
            raise BadExample(f"{where}.content[{j}] must be {{'type': 'text', 'text': ...}} or an image_url part")
    if role == "assistant":  # the service takes assistant text only as a plain string
        raise BadExample(f"{where}: assistant content must be a plain string, not a list of parts")
    if role not in ("user", "system"):
        raise BadExample(f"{where}: only user and system messages may have a list of content parts")
    return images


def counted_messages(record: dict, data_format: str) -> list[dict]:
    """The messages whose tokens count for a chat or preference example.

    Preference (DPO) data: the conversation plus the *preferred* answer, i.e. one chat example as
    it would be written for supervised training. The non-preferred answer is left out: the common
    recipe has no rule for it, and this keeps counts comparable with the same data in chat form."""
    if data_format == PREFERENCE:
        return record["input"]["messages"] + record["preferred_output"]
    return record["messages"]


def fingerprint(record: dict) -> int:
    """A 64-bit fingerprint of an example, equal for examples that differ only in JSON whitespace
    or key order: what hashing normalised JSON gives, at a fraction of the cost of re-serialising.
    Python's string hash is salted per process; forked scan workers share the parent's salt."""
    messages = record.get("messages")
    if len(record) == 1 and type(messages) is list:
        try:  # the usual chat example: messages of plain values
            return hash(tuple([frozenset(m.items()) for m in messages]))
        except (TypeError, AttributeError):  # lists or objects inside (images, tool calls)
            pass
    return hash(_frozen(record))


def _frozen(value: Any) -> Any:
    """`value` made hashable, with dict key order made irrelevant."""
    if type(value) is dict:
        return frozenset([(key, _frozen(item) if type(item) in (dict, list) else item) for key, item in value.items()])
    return tuple([_frozen(item) if type(item) in (dict, list) else item for item in value])

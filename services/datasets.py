"""Checking a JSONL training file before it is uploaded: every rule of spec section 3, with the line
number and a fix for each problem, and exact token counts.

The file is streamed: memory stays flat however large it is (only counts, a histogram of example
sizes and 8-byte digests for duplicate detection are kept). Lines are read in chunks, and a text
repeated across examples (the system message, usually) is encoded once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from services.model_families import CHAT, COMPLETION, PREFERENCE, family_of, formats_for
from services.tokens import encoding_for_model

ROLES = {"system", "user", "assistant", "tool", "function"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
RECOMMENDED_EXAMPLES = 50
MINIMUM_EXAMPLES = 10
LARGE_FILE_BYTES = 512 * 1024 * 1024
MAX_ERRORS = 100
AUTO_EPOCHS = 3
CHUNK_LINES = 2_000
CACHE_LIMIT = 50_000  # texts whose token counts are remembered


class DatasetUnreadable(Exception):
    """The file cannot be read at all (missing, a directory, no permission, not text)."""


@dataclass
class Problem:
    line: int | None
    message: str

    def to_json(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass
class DatasetReport:
    path: str
    format: str | None = None
    examples: int = 0
    errors: list[Problem] = field(default_factory=list)
    more_errors: int = 0
    warnings: list[Problem] = field(default_factory=list)
    token_counts: Counter = field(default_factory=Counter)  # example size -> how many examples
    system_messages: Counter = field(default_factory=Counter)
    missing_system: int = 0
    epochs: int = AUTO_EPOCHS
    price_per_million: float | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_tokens(self) -> int:
        return sum(size * n for size, n in self.token_counts.items())

    def token_stats(self) -> dict[str, float | int]:
        if not self.token_counts:
            return {"total": 0, "min": 0, "mean": 0, "p95": 0, "max": 0}
        sizes = sorted(self.token_counts)
        count = sum(self.token_counts.values())
        rank, seen, p95 = max(1, -(-95 * count // 100)), 0, sizes[-1]  # nearest-rank percentile
        for size in sizes:
            seen += self.token_counts[size]
            if seen >= rank:
                p95 = size
                break
        return {"total": self.total_tokens, "min": sizes[0], "mean": round(self.total_tokens / count, 1), "p95": p95, "max": sizes[-1]}

    @property
    def estimated_billed_tokens(self) -> int:
        return self.total_tokens * self.epochs

    def system_message_summary(self) -> dict[str, Any]:
        common = self.system_messages.most_common(5)
        return {
            "most_common": common[0][0] if common else None,
            "distinct": len(self.system_messages),
            "missing": self.missing_system,
            "counts": [[text, n] for text, n in common],
        }

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "format": self.format,
            "examples": self.examples,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            "tokens": self.token_stats(),
            "system_messages": self.system_message_summary(),
            "estimated_billed_tokens": self.estimated_billed_tokens,
        }
        if self.more_errors:
            data["more_errors"] = self.more_errors
        if self.price_per_million is not None:
            data["estimated_cost"] = round(self.estimated_billed_tokens / 1_000_000 * self.price_per_million, 2)
        return data


class BadExample(Exception):
    """One rule broken by one example; the message says what and how to fix it."""


def validate_dataset(
    path: str | os.PathLike,
    model: str | None = None,
    epochs: int | None = None,
    price_per_million: float | None = None,
) -> DatasetReport:
    """Check a training file line by line. Raises DatasetUnreadable when it cannot be read at all."""
    path = Path(path)
    report = DatasetReport(str(path), epochs=epochs or AUTO_EPOCHS, price_per_million=price_per_million)
    size = _size_of(path)
    counter = _TokenCounter(model)
    seen: set[int] = set()
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            report.errors.append(Problem(None, "The file is UTF-16 encoded; save it as UTF-8 (one JSON object per line)."))
            return report
        if head.startswith(b"\xef\xbb\xbf"):
            report.warnings.append(Problem(1, "The file starts with a byte-order mark (BOM); Azure accepts it."))
            f.seek(3)
        else:
            f.seek(0)
        for chunk in _chunks(f):
            examples = []
            for number, raw in chunk:
                example = _check_line(report, number, raw, seen)
                if example is not None:
                    examples.append((number, example))
            counter.count(report, examples, family_of(model).example_token_limit)
    _finish(report, model, size)
    return report


def _size_of(path: Path) -> int:
    try:
        if path.is_dir():
            raise DatasetUnreadable(f"{path} is a directory, not a JSONL file")
        size = path.stat().st_size
        with path.open("rb"):
            pass
        return size
    except FileNotFoundError:
        raise DatasetUnreadable(f"{path}: no such file") from None
    except PermissionError:
        raise DatasetUnreadable(f"{path}: permission denied") from None
    except OSError as exc:
        raise DatasetUnreadable(f"{path}: {exc.strerror or exc}") from None


def _chunks(f) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for number, raw in enumerate(f, start=1):
        chunk.append((number, raw))
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_line(report: DatasetReport, number: int, raw: bytes, seen: set[int]) -> dict | None:
    """The parsed example, or None after recording why it is unusable."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
        record = json.loads(text)
        if not isinstance(record, dict):
            raise BadExample(f"expected a JSON object, found {type(record).__name__}; put one example object on each line")
        line_format = _format_of(record)
        if report.format is None:
            report.format = line_format
        elif line_format != report.format:
            raise BadExample(f"this is a {line_format} example but the file started with {report.format}; use one format per file")
        CHECKS[line_format](record)
    except UnicodeDecodeError as exc:
        _error(report, number, f"bytes at position {exc.start} are not UTF-8; save the file as UTF-8")
        return None
    except json.JSONDecodeError as exc:
        _error(report, number, f"invalid JSON: {exc.msg} (column {exc.colno}); each line must be one complete JSON object")
        return None
    except BadExample as problem:
        _error(report, number, str(problem))
        return None
    digest = int.from_bytes(hashlib.blake2b(text.strip().encode(), digest_size=8).digest(), "big")
    if digest in seen:
        report.warnings.append(Problem(number, "duplicate of an earlier example; duplicates over-weight what they teach"))
    seen.add(digest)
    report.examples += 1
    return record


def _error(report: DatasetReport, line: int | None, message: str) -> None:
    if len(report.errors) < MAX_ERRORS:
        report.errors.append(Problem(line, message))
    else:
        report.more_errors += 1


def _format_of(record: dict) -> str:
    if "messages" in record:
        return CHAT
    if {"input", "preferred_output", "non_preferred_output"} & record.keys():
        return PREFERENCE
    if {"prompt", "completion"} & record.keys():
        return COMPLETION
    raise BadExample(
        f"unrecognised example (keys: {', '.join(sorted(record)) or 'none'}); use 'messages' for chat, "
        "'prompt' and 'completion', or 'input' with 'preferred_output' and 'non_preferred_output' for DPO"
    )


def _check_chat(record: dict) -> None:
    extra = set(record) - {"messages", "tools", "functions", "parallel_tool_calls"}
    if extra:
        raise BadExample(f"unknown key '{sorted(extra)[0]}' next to 'messages'")
    messages = _check_messages(record["messages"], "messages")
    if not any(m["role"] == "assistant" and m.get("weight", 1) == 1 for m in messages):
        raise BadExample("no assistant message to train on: add an assistant reply, or set weight 1 on one (weight 0 ones are skipped)")


def _check_completion(record: dict) -> None:
    for key in ("prompt", "completion"):
        if not isinstance(record.get(key), str):
            raise BadExample(f"'{key}' must be a string")
    extra = set(record) - {"prompt", "completion"}
    if extra:
        raise BadExample(f"unknown key '{sorted(extra)[0]}'; prompt/completion examples hold only 'prompt' and 'completion'")
    if not record["completion"]:
        raise BadExample("'completion' is empty; give the text the model should learn to write")


def _check_preference(record: dict) -> None:
    source = record.get("input")
    if not isinstance(source, dict):
        raise BadExample("'input' must be an object with 'messages'")
    _check_messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        for i, m in enumerate(_check_messages(record.get(key), key)):
            if m["role"] not in ("assistant", "tool"):
                raise BadExample(f"{key}[{i}] has role '{m['role']}'; outputs may hold only assistant or tool messages")


def _check_messages(value: object, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise BadExample(f"'{where}' must be a non-empty list of messages")
    for i, message in enumerate(value):
        _check_message(message, f"{where}[{i}]")
    return value  # type: ignore[return-value]


def _check_message(message: object, where: str) -> None:
    if not isinstance(message, dict):
        raise BadExample(f"{where} must be an object with 'role' and 'content'")
    role = message.get("role")
    if role not in ROLES:
        raise BadExample(f"{where} has role {json.dumps(role)}; use system, user, assistant or tool")
    extra = set(message) - MESSAGE_KEYS
    if extra:
        raise BadExample(f"{where} has an unknown key '{sorted(extra)[0]}'; remove it")
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            raise BadExample(f"{where}: 'weight' belongs only on assistant messages")
        if isinstance(weight, bool) or weight not in (0, 1):
            raise BadExample(f"{where} has weight {json.dumps(weight)}; use 0 (context only) or 1 (train on it)")
    content = message.get("content")
    if content is None and role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
        return
    if isinstance(content, str):
        if not content.strip():
            raise BadExample(f"{where} ({role}) has empty content; write the text or remove the message")
        return
    if isinstance(content, list) and role == "assistant":
        raise BadExample(f"{where}: assistant content must be text (images are allowed only in user messages)")
    if isinstance(content, list) and content:
        images = 0
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                continue
            if kind == "image_url" and isinstance(part.get("image_url"), dict) and isinstance(part["image_url"].get("url"), str):
                images += 1
                continue
            raise BadExample(f"{where}.content[{j}] must be a text part or an image_url part")
        if images > 64:
            raise BadExample(f"{where} has {images} images; at most 64 per example")
        return
    raise BadExample(f"{where} ({role}) needs 'content': a non-empty string")


CHECKS = {CHAT: _check_chat, COMPLETION: _check_completion, PREFERENCE: _check_preference}


class _TokenCounter:
    """Counts examples the common recipe's way, encoding each distinct text once per batch."""

    def __init__(self, model: str | None) -> None:
        self.encoding = encoding_for_model(model)
        self.cache: dict[str, int] = {}

    def count(self, report: DatasetReport, examples: list[tuple[int, dict]], limit: int) -> None:
        pieces_per_example = [(number, *_pieces(example, report)) for number, example in examples]
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()
        unknown = list({text for _, texts, _ in pieces_per_example for text in texts if text not in self.cache})
        encode = self.encoding.encode_ordinary  # a plain loop: tiktoken's batch call pays a future per text
        self.cache.update((text, len(encode(text))) for text in unknown)
        for number, texts, overhead in pieces_per_example:
            size = overhead + sum(self.cache[t] for t in texts)
            report.token_counts[size] += 1
            if size > limit:
                report.warnings.append(Problem(number, f"{size} tokens, over the model's {limit}-token limit: it will be truncated"))


def _pieces(example: dict, report: DatasetReport) -> tuple[list[str], int]:
    """The texts of an example whose tokens count, and the fixed overhead (spec section 3)."""
    if "prompt" in example:
        return [example["prompt"], example["completion"]], 0
    if "input" in example:  # DPO: the conversation and the preferred answer (what is trained on)
        messages = example["input"]["messages"] + example["preferred_output"]
    else:
        messages = example["messages"]
    system = next((m["content"] for m in messages if m["role"] == "system" and isinstance(m.get("content"), str)), None)
    if system is None:
        report.missing_system += 1
    else:
        report.system_messages[system] += 1
    texts, overhead = [], 3  # every reply is primed with 3 tokens
    for m in messages:
        overhead += 3
        texts.append(m["role"])
        content = m.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(p["text"] for p in content if p.get("type") == "text")
        if "name" in m and isinstance(m["name"], str):
            overhead += 1
            texts.append(m["name"])
    return texts, overhead


def _finish(report: DatasetReport, model: str | None, size: int) -> None:
    if report.examples == 0 and not report.errors:
        report.errors.append(Problem(None, "The file has no examples: write one JSON example per line."))
        return
    if model and report.format and report.format not in formats_for(model):
        wanted = " or ".join(sorted(formats_for(model)))
        report.errors.append(Problem(None, f"{model} is trained on {wanted} data, but this file is {report.format}"))
    if report.examples < MINIMUM_EXAMPLES:
        report.errors.append(Problem(None, f"{report.examples} examples: a job needs at least {MINIMUM_EXAMPLES}"))
    elif report.examples < RECOMMENDED_EXAMPLES:
        report.warnings.append(Problem(None, f"only {report.examples} examples: {RECOMMENDED_EXAMPLES} or more well-made ones are the recommended start"))
    if report.format in (CHAT, PREFERENCE):
        if report.missing_system and report.system_messages:
            report.warnings.append(Problem(None, f"{report.missing_system} examples have no system message while others do; use the same one everywhere"))
        if len(report.system_messages) > 1:
            report.warnings.append(Problem(None, f"{len(report.system_messages)} different system messages; the model will expect the exact one at inference"))
    if size > LARGE_FILE_BYTES:
        report.warnings.append(Problem(None, "over 512 MB: upload it through blob storage import rather than /files"))

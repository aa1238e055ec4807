"""One pass over one byte range of a training file: check each line, count its tokens, and keep
only small aggregates (so memory stays flat however big the file is).

`datasets.py` cuts the file into ranges at line ends, scans them in order (in this process, or
in forked worker processes for big files) and merges the `RangeScan`s. Line numbers here are
1-based within the range; the merge adds the range's offset.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, NamedTuple

from services.dataset_rules import CHECKS, ROLES, BadExample, counted_messages, fingerprint, format_of
from services.image_rules import images_in
from services.model_families import CHAT, COMPLETION, REINFORCEMENT
from services.tokens import encoding_for_model

MAX_KEPT = 100  # errors (and over-limit examples) listed per range; the rest are only counted
# The longest line read as an example. The largest example Azure trains on is 65,536 tokens (spec
# section 3) of at most 128 bytes each (the longest token of o200k_base and cl100k_base): 8 MB of
# text, plus room for an image sent inline (10 MB at most, 13.4 MB as base64). A longer line is
# reported without being held or parsed: parsing and counting it would take ~10x its size in memory
# (a 300 MB line took 3.3 GB), and it is nearly always a file without line breaks.
MAX_LINE_BYTES = 32 * 2**20
SKIP_BYTES = 2**20  # what is read at a time while skipping an over-long line
CACHE_LIMIT = 1_000  # distinct system messages and names whose token counts are remembered
JSON_SPACE = " \t\n\r"  # what json allows around a value
_scan_json = json.JSONDecoder().scan_once  # json.loads' own scanner, without its wrapping
JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false", type(None): "null"}


class ScanTask(NamedTuple):
    path: str
    start: int
    end: int
    data_format: str | None  # the format of the file's first example (None: no example has one)
    format_line: int | None  # the line that example is on
    model: str | None
    token_limit: int


@dataclass
class RangeScan:
    lines: int = 0
    examples: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0
    over_limit: list[tuple[int, int]] = field(default_factory=list)  # (line, tokens)
    over_limit_count: int = 0
    token_counts: Counter = field(default_factory=Counter)  # example size -> examples of that size
    system_counts: Counter = field(default_factory=Counter)  # hash of a system message -> examples
    system_texts: dict[int, str] = field(default_factory=dict)
    missing_system: int = 0
    image_examples: int = 0  # examples holding an image (services/image_rules.py)
    example_lines: array = field(default_factory=lambda: array("Q"))
    digests: array = field(default_factory=lambda: array("q"))  # 8-byte fingerprints, for duplicates

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_KEPT:
            self.errors.append((line, printable(message)))


def printable(text: str) -> str:
    """`text` with lone surrogates (which JSON escapes allow) replaced, so it can be printed."""
    return text.encode("utf-8", "replace").decode("utf-8")


class TokenCounter:
    """Counts examples the common recipe's way (spec section 3), with tiktoken's encoder."""

    def __init__(self, model: str | None) -> None:
        self.encode = encoding_for_model(model).encode_ordinary
        self.roles = {role: len(self.encode(role)) for role in (*ROLES, "developer")}  # developer: RFT data
        self.repeated: dict[str, int] = {}  # system messages and names repeat across examples

    def cached(self, text: str) -> int:
        n = self.repeated.get(text)
        if n is None:
            if len(self.repeated) >= CACHE_LIMIT:
                self.repeated.clear()
            n = self.repeated[text] = len(self.encode(text))
        return n

    def messages(self, messages: list[dict]) -> int:
        """3 (reply priming) + per message 3 + role + content (text parts only) [+ 1 + name];
        `weight` and tool-call fields are not counted."""
        encode, size = self.encode, 3
        for m in messages:
            role, content = m["role"], m.get("content")
            size += 3 + self.roles[role]
            if type(content) is str:
                size += self.cached(content) if role == "system" else len(encode(content))
            elif content:
                size += sum(len(encode(part["text"])) for part in content if part["type"] == "text")
            name = m.get("name")
            if name is not None:
                size += 1 + self.cached(name)
        return size

    def completion(self, record: dict) -> int:
        return len(self.encode(record["prompt"])) + len(self.encode(record["completion"]))


def scan_range(task: ScanTask) -> RangeScan:
    """Check and count every line of `task`'s byte range."""
    scan = RangeScan()
    counter = TokenCounter(task.model)
    with open(task.path, "rb") as f:
        f.seek(task.start)
        for number, raw in enumerate(_lines(f, task.end - task.start), start=1):
            scan.lines = number
            if isinstance(raw, int):
                scan.error(number, too_long(raw, task.token_limit))
            elif raw.strip():  # blank lines are skipped, as the service does
                _scan_line(scan, task, counter, number, raw)
    return scan


def _lines(f: BinaryIO, size: int) -> Iterator[bytes | int]:
    """The range's lines without their newline. A range is cut at about CHUNK_BYTES, so it is
    read at once and split (the fast way); only one holding a very long line is read line by line."""
    if size > MAX_LINE_BYTES:
        yield from (raw if isinstance(raw, int) else raw.rstrip(b"\n") for raw in lines_of(f, size))
        return
    data = f.read(size)
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    yield from lines


def lines_of(f: BinaryIO, size: int) -> Iterator[bytes | int]:
    """The next `size` bytes of `f` line by line (each with its newline); a line longer than
    MAX_LINE_BYTES comes as its length, skipped a megabyte at a time rather than held."""
    while size > 0:
        raw = f.readline(min(size, MAX_LINE_BYTES + 1))
        if not raw:
            return
        size -= len(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            skipped = skip_line(f, size)
            size -= skipped
            yield len(raw) + skipped
        else:
            yield raw


def skip_line(f: BinaryIO, size: int) -> int:
    """Read on past the end of the current line (at most `size` bytes); returns the bytes read."""
    skipped = 0
    while skipped < size:
        piece = f.readline(min(size - skipped, SKIP_BYTES))
        if not piece:
            break
        skipped += len(piece)
        if piece.endswith(b"\n"):
            break
    return skipped


def too_long(length: int, token_limit: int) -> str:
    return (f"{length / 2**20:,.0f} MB on one line, longer than any example can be (at most {token_limit:,} tokens, "
            f"a few MB of text, and an image or two): not read; is the file missing its line breaks? "
            "Put one JSON example object on each line")


def _scan_line(scan: RangeScan, task: ScanTask, counter: TokenCounter, number: int, raw: bytes) -> None:
    try:
        record = _json(raw.decode("utf-8"))
        if type(record) is not dict:
            raise BadExample(f"expected a JSON object, found {JSON_TYPES.get(type(record), 'a value')}; put one example object on each line")
        data_format = format_of(record)
        if task.data_format is not None and data_format != task.data_format:
            if (task.data_format, data_format) == (CHAT, REINFORCEMENT):  # most likely a chat example missing its reply
                raise BadExample("no assistant message: add the assistant reply the model should learn to give "
                                 "(an example ending with a user message is reinforcement data, which needs a file of its own)")
            raise BadExample(
                f"this is a {data_format} example, but the file's first example (line {task.format_line}) is "
                f"{task.data_format}; use one format per file"
            )
        CHECKS[data_format](record)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 4].hex(" ")
        scan.error(number, f"not UTF-8: byte {exc.start + 1} of the line starts an invalid sequence ({bad}); save the file as UTF-8")
        return
    except BadExample as problem:
        scan.error(number, str(problem))
        return
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, numbers too long, nesting too deep
        detail = f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else str(exc) or "nested too deeply"
        scan.error(number, f"invalid JSON: {detail}; each line must be one complete JSON object")
        return
    scan.examples += 1
    if data_format != COMPLETION and images_in(record):
        scan.image_examples += 1
    scan.example_lines.append(number)
    scan.digests.append(fingerprint(record))
    if data_format == COMPLETION:
        size = counter.completion(record)
    else:
        messages = counted_messages(record, data_format)
        _tally_system_message(scan, messages)
        size = counter.messages(messages)
    scan.token_counts[size] += 1
    if size > task.token_limit:
        scan.over_limit_count += 1
        if len(scan.over_limit) < MAX_KEPT:
            scan.over_limit.append((number, size))


def _json(text: str) -> object:
    """`json.loads(text)`: the scanner called directly on the usual line (a value from the first
    character to the last, or followed by a line end's \\r), json.loads for anything else, so
    errors are its own."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:  # leading whitespace, or no value at all
        return json.loads(text)
    if end != len(text) and text[end:].strip(JSON_SPACE):
        return json.loads(text)  # raises "Extra data"
    return value


def _tally_system_message(scan: RangeScan, messages: list[dict]) -> None:
    first = messages[0]  # where the system message nearly always is
    system = first if first["role"] == "system" else next((m for m in messages if m["role"] == "system"), None)
    if system is None:
        scan.missing_system += 1
        return
    content = system["content"]
    text = content if isinstance(content, str) else "".join(p["text"] for p in content if p["type"] == "text")
    key = hash(text)  # 64 bits; the same in forked workers
    scan.system_counts[key] += 1
    if key not in scan.system_texts:
        scan.system_texts[key] = printable(text)

"""Checking a JSONL training file before it is uploaded: every rule of spec section 3 with the line
number and a fix for each problem, exact token counts, and what the training will bill.

The file is streamed in byte ranges cut at line ends (`dataset_scan.py` checks one range); only
small aggregates are kept: counts, a histogram of example sizes (so p95 is exact), and 8-byte
fingerprints for duplicate detection. Big files are scanned by forked worker processes in
parallel (JSON parsing and the rule checks hold the GIL, so threads would not help).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from services.dataset_rules import BadExample, format_of
from services.dataset_scan import RangeScan, ScanTask, lines_of, scan_range, skip_line
from services.model_families import CHAT, PREFERENCE, family_of, formats_for
from services.wording import count
from services.tokens import encoding_for_model

# "Fine tuning jobs will not proceed without at least 10 training examples" (MicrosoftDocs/azure-ai-docs
# includes/fine-tuning-python.md; spec section 3): a rule for the *training* file. A validation file
# may be smaller, and a file alone does not say which it will be: under 10 it is a warning here, and
# `jobs create` refuses such a file as the training file (services/jobs.py).
MINIMUM_EXAMPLES = 10
RECOMMENDED_EXAMPLES = 50
LARGE_FILE_BYTES = 512 * 1024 * 1024  # above: blob import instead of /files
MAX_ERRORS = 100
MAX_WARNINGS_PER_KIND = 20
SYSTEM_TEXTS_KEPT = 1_000  # texts of distinct system messages kept for the summary
AUTO_EPOCHS = 3
CHUNK_BYTES = 4 * 1024 * 1024
MIN_CHUNK_BYTES = 256 * 1024
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
MAX_WORKERS = 8
BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
]


class DatasetUnreadable(Exception):
    """The file cannot be read at all (missing, a directory, no permission, an I/O error)."""


@dataclass
class Problem:
    line: int | None  # 1-based; None when the problem is about the whole file
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass
class DatasetReport:
    """What `validate_dataset` found; `to_json()` is the shape `ftdeck data validate --json` prints."""

    path: str
    format: str | None = None
    examples: int = 0
    errors: list[Problem] = field(default_factory=list)
    more_errors: int = 0  # errors past MAX_ERRORS: counted, not listed
    warnings: list[Problem] = field(default_factory=list)
    token_counts: Counter = field(default_factory=Counter)  # example size -> examples of that size
    system_counts: Counter = field(default_factory=Counter)  # system message digest -> examples
    system_texts: dict[int, str] = field(default_factory=dict)
    missing_system: int = 0
    image_examples: int = 0  # examples holding an image
    epochs: int = AUTO_EPOCHS
    price_per_million: float | None = None
    warning_counts: Counter = field(default_factory=Counter)  # kind -> warnings of that kind

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int | None, message: str) -> None:
        """An error on one line: listed up to MAX_ERRORS, then only counted. (Errors about the
        whole file are always listed.)"""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Problem(line, message))
        else:
            self.more_errors += 1

    def warn(self, kind: str, line: int | None, message: str) -> None:
        """Warnings of one kind (say, duplicates) are listed up to a cap, then only counted."""
        self.warning_counts[kind] += 1
        if self.warning_counts[kind] <= MAX_WARNINGS_PER_KIND:
            self.warnings.append(Problem(line, message))

    @property
    def total_tokens(self) -> int:
        return sum(size * n for size, n in self.token_counts.items())

    def token_stats(self) -> dict[str, int | float]:
        if not self.token_counts:
            return {"total": 0, "min": 0, "mean": 0, "p95": 0, "max": 0}
        sizes = sorted(self.token_counts)
        count = sum(self.token_counts.values())
        rank, seen, p95 = -(-95 * count // 100), 0, sizes[-1]  # nearest-rank percentile: exact
        for size in sizes:
            seen += self.token_counts[size]
            if seen >= rank:
                p95 = size
                break
        total = self.total_tokens
        return {"total": total, "min": sizes[0], "mean": round(total / count, 1), "p95": p95, "max": sizes[-1]}

    @property
    def estimated_billed_tokens(self) -> int:
        return self.total_tokens * self.epochs

    @property
    def estimated_cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return round(self.estimated_billed_tokens / 1_000_000 * self.price_per_million, 4)

    def system_message_summary(self) -> dict[str, Any]:
        common = [(self.system_texts.get(key), n) for key, n in self.system_counts.most_common(5)]
        return {
            "most_common": common[0][0] if common else None,
            "distinct": len(self.system_counts),
            "missing": self.missing_system,
            "counts": [[text, n] for text, n in common],
        }

    def listed_errors(self) -> list[Problem]:
        """The errors, with a last line saying how many more there are past the cap."""
        more = [Problem(None, f"and {self.more_errors} more errors (only the first {MAX_ERRORS} are listed)")]
        return self.errors + (more if self.more_errors else [])

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "format": self.format,
            "examples": self.examples,
            "errors": [e.to_json() for e in self.listed_errors()],
            "warnings": [w.to_json() for w in self.warnings],
            "tokens": self.token_stats(),
            "system_messages": self.system_message_summary(),
            "estimated_billed_tokens": self.estimated_billed_tokens,
        }
        if self.image_examples:  # vision data only: a text file's report keeps its shape
            data["image_examples"] = self.image_examples
        if self.price_per_million is not None:
            data["estimated_cost"] = self.estimated_cost
        return data


def validate_dataset(
    path: str | os.PathLike,
    model: str | None = None,
    epochs: int | None = None,
    price_per_million: float | None = None,
    *,
    workers: int | None = None,
) -> DatasetReport:
    """Check a JSONL training file line by line and count its tokens.

    `model` (a base or fine-tuned model name) picks the encoding and token limit and checks the
    data format; `epochs` (default: the service's auto value, 3) and `price_per_million` (per 1M
    training tokens) give the billed tokens and cost. `workers`: processes to scan with (default:
    one per CPU for big files). Problems in the data are reported, never raised; raises
    `DatasetUnreadable` only when the file cannot be read at all."""
    path = Path(path)
    report = DatasetReport(str(path), epochs=epochs or AUTO_EPOCHS, price_per_million=price_per_million)
    size = _readable_size(path)
    try:
        with path.open("rb") as f:
            start = _text_start(f, report)
            if start is None:
                return report
            report.format, format_line = _first_format(f, start)
            workers = workers if workers is not None else _default_workers(size)
            chunk = max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, size // (workers * 8) + 1))
            ranges = list(_line_ranges(f, start, size, chunk))
        encoding_for_model(model)  # built once here, so forked workers inherit it
        limit = family_of(model).example_token_limit
        tasks = [ScanTask(str(path), s, e, report.format, format_line, model, limit) for s, e in ranges]
        _merge(report, _scan(tasks, workers), limit)
    except OSError as exc:
        raise DatasetUnreadable(f"{path}: {exc.strerror or exc}") from None
    _finish(report, model, size)
    return report


def _readable_size(path: Path) -> int:
    try:
        if path.is_dir():
            raise DatasetUnreadable(f"{path} is a directory, not a JSONL file")
        with path.open("rb"):
            return path.stat().st_size
    except FileNotFoundError:
        raise DatasetUnreadable(f"{path}: no such file") from None
    except PermissionError:
        raise DatasetUnreadable(f"{path}: permission denied") from None
    except OSError as exc:
        raise DatasetUnreadable(f"{path}: {exc.strerror or exc}") from None


def _text_start(f: BinaryIO, report: DatasetReport) -> int | None:
    """Where the JSON text starts (after a UTF-8 BOM), or None when the file is not UTF-8 at all."""
    head = f.read(4)
    encoding = next((name for bom, name in BOMS if head.startswith(bom)), None)
    if encoding is None and len(head) >= 2 and head[:2].count(0) == 1:  # "{\0" or "\0{": UTF-16 without a BOM
        encoding = "UTF-16 LE" if head[1] == 0 else "UTF-16 BE"
    if encoding:
        report.errors.append(Problem(None, f"the file is {encoding} encoded; save it as UTF-8 (one JSON object per line)"))
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        report.warn("bom", 1, "the file starts with a UTF-8 byte-order mark (BOM); accepted, and ignored")
        return 3
    return 0


def _first_format(f: BinaryIO, start: int) -> tuple[str | None, int | None]:
    """The format of the first line that is a recognisable example, and its line number; every
    other example must share it."""
    f.seek(start)
    for number, raw in enumerate(lines_of(f, 2**63), start=1):
        if isinstance(raw, int):  # too long to read: the scan reports it
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
            if isinstance(record, dict):
                return format_of(record), number
        except (ValueError, RecursionError, BadExample):
            continue
    return None, None


def _line_ranges(f: BinaryIO, start: int, size: int, chunk: int) -> Iterator[tuple[int, int]]:
    """Byte ranges of about `chunk` bytes, each ending just after a newline (or at the end)."""
    while start < size:
        f.seek(min(start + chunk, size))
        skip_line(f, size)  # on to the end of the line the cut fell in, however long
        end = min(f.tell(), size) if start + chunk < size else size
        yield start, end
        start = end


def _default_workers(size: int) -> int:
    """Forked workers for big files; none when forking is unsafe (other threads alive, e.g. in
    the TUI) or unavailable."""
    if size < PARALLEL_MIN_BYTES or threading.active_count() > 1:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _scan(tasks: list[ScanTask], workers: int) -> Iterator[RangeScan]:
    """The ranges' scans, in file order."""
    if workers <= 1 or len(tasks) < 2:
        yield from map(scan_range, tasks)
        return
    with multiprocessing.get_context("fork").Pool(min(workers, len(tasks)), initializer=_worker_init) as pool:
        yield from pool.imap(scan_range, tasks)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    gc.freeze()  # what the worker inherited is long-lived: keep the collector off it


def _merge(report: DatasetReport, scans: Iterable[RangeScan], limit: int) -> None:
    seen: set[int] = set()
    offset = 0
    for scan in scans:
        for line, message in scan.errors:
            report.error(offset + line, message)
        report.more_errors += scan.error_count - len(scan.errors)
        for line, key in zip(scan.example_lines, scan.digests):
            if key in seen:
                report.warn("duplicate", offset + line, "duplicate of an earlier example; duplicates over-weight what they teach")
            else:
                seen.add(key)
        for line, tokens in scan.over_limit:
            report.warn("over_limit", offset + line, f"{tokens} tokens, over the {limit}-token limit: the example will be truncated in training")
        report.warning_counts["over_limit"] += scan.over_limit_count - len(scan.over_limit)
        report.examples += scan.examples
        report.token_counts.update(scan.token_counts)
        report.system_counts.update(scan.system_counts)
        report.missing_system += scan.missing_system
        report.image_examples += scan.image_examples
        for key, text in scan.system_texts.items():
            if len(report.system_texts) < SYSTEM_TEXTS_KEPT:
                report.system_texts.setdefault(key, text)
        offset += scan.lines


MORE_OF_KIND = {"duplicate": "duplicate examples", "over_limit": "examples over the token limit"}


def _finish(report: DatasetReport, model: str | None, size: int) -> None:
    """The rules about the file as a whole."""
    for kind, n in report.warning_counts.items():
        if n > MAX_WARNINGS_PER_KIND:
            report.warnings.append(Problem(None, f"and {n - MAX_WARNINGS_PER_KIND} more {MORE_OF_KIND.get(kind, kind)}"))
    if size > LARGE_FILE_BYTES:
        report.warn("large", None, f"{size / 2**20:,.0f} MB: over 512 MB, more than one request may carry; "
                    "`ftdeck files upload` sends it in resumable parts (Uploads API, up to 9 GB), or import it from blob storage")
    if report.examples == 0:
        if not report.errors:
            report.errors.append(Problem(None, "the file has no examples: write one JSON example object per line"))
        return
    if model and report.format not in formats_for(model):
        wanted = " or ".join(sorted(formats_for(model)))
        report.errors.append(Problem(None, f"{model} is trained on {wanted} data, but this file is {report.format}"))
    if report.examples < MINIMUM_EXAMPLES:
        report.warn("too_few", None, too_few_for_training(report.examples) + "; fine as a validation file")
    elif report.examples < RECOMMENDED_EXAMPLES:
        report.warn("few", None, f"only {count(report.examples, 'example')}: {RECOMMENDED_EXAMPLES} or more well-made ones are the recommended start")
    if report.format in (CHAT, PREFERENCE):
        _system_message_warnings(report)
    if report.image_examples:
        _image_rules(report, model)


def _image_rules(report: DatasetReport, model: str | None) -> None:
    """The vision rules about the whole file (services/image_rules.py names their source)."""
    from services.image_rules import MAX_IMAGE_EXAMPLES, VISION_MODELS, takes_images

    n = report.image_examples
    if n > MAX_IMAGE_EXAMPLES:
        report.errors.append(Problem(None, f"{n:,} examples hold images; a training file may have at most "
                                           f"{MAX_IMAGE_EXAMPLES:,}: split it or drop images"))
    models = " and ".join(VISION_MODELS)
    if model and not takes_images(model):
        report.errors.append(Problem(None, f"{model} is not fine-tuned on images ({_examples(n)} hold images); "
                                           f"vision fine-tuning takes {models} only"))
    elif not model:
        report.warn("images", None, f"{_examples(n)} hold images: only {models} are fine-tuned on images")


def too_few_for_training(examples: int) -> str:
    return f"{_examples(examples)}: a training file needs at least {MINIMUM_EXAMPLES} (a job fails with fewer)"


def _examples(n: int) -> str:
    return count(n, "example")


def _system_message_warnings(report: DatasetReport) -> None:
    with_system = sum(report.system_counts.values())
    if report.missing_system and with_system:
        report.warn("system", None, f"{report.missing_system} examples have no system message while {with_system} have one; "
                    "use the same one everywhere, and at inference")
    if len(report.system_counts) > 1:
        report.warn("system", None, f"{len(report.system_counts)} different system messages; the model will expect "
                    "the exact one it was trained with: use one, and send it at inference")
    if not with_system:
        report.warn("system", None, "no example has a system message; fine, but then send none at inference either")

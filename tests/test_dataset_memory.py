"""`ftdeck data validate` in bounded memory: a line longer than any example can be is reported
without being held or parsed (a 300 MB single-line file once took 3.3 GB), and the lines around it
keep their numbers. Memory is measured as the peak resident size of a child process (its own and
its forked workers'), a small file against a large one: no timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.dataset_scan import MAX_LINE_BYTES
from services.datasets import validate_dataset
from tests.conftest import chat_examples

PEAK_MEMORY = """
import resource, sys
from services.datasets import validate_dataset
report = validate_dataset(sys.argv[1])
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(peak, len(report.errors))
"""


def one_long_line(path: Path, megabytes: float, before: int = 12, after: int = 0) -> Path:
    """`before` good examples, one example whose user turn is `megabytes` of words, `after` more."""
    good = [json.dumps(e) for e in chat_examples(before + after)]
    text = ("ahoy treasure map " * int(megabytes * 2**20 / 18))
    long = json.dumps({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "arr"}]})
    path.write_text("\n".join(good[:before] + [long] + good[before:]) + "\n")
    return path


def peak_kilobytes(path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(path)], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[0])


def test_memory_does_not_grow_with_the_longest_line(tmp_path):
    small = peak_kilobytes(one_long_line(tmp_path / "small.jsonl", 5))
    large = peak_kilobytes(one_long_line(tmp_path / "large.jsonl", 60))
    # 12 times the line: holding and parsing it took ~5 times the memory; now about the same.
    assert large < 2 * small, (small, large)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_over_long_line_is_an_error_and_the_lines_after_it_keep_their_numbers(tmp_path, workers):
    path = one_long_line(tmp_path / "train.jsonl", MAX_LINE_BYTES / 2**20 + 1, before=12, after=12)
    with path.open("a") as f:
        f.write("{not json\n")  # line 26
    report = validate_dataset(path, model="gpt-4o-mini-2024-07-18", workers=workers)
    assert [e.line for e in report.errors] == [13, 26]
    assert "MB on one line" in report.errors[0].message and "65,536 tokens" in report.errors[0].message
    assert "invalid JSON" in report.errors[1].message
    assert report.examples == 24


def test_a_long_line_under_the_bound_is_still_checked_and_counted(tmp_path):
    path = one_long_line(tmp_path / "train.jsonl", 1, before=12)
    report = validate_dataset(path, model="gpt-4o-mini-2024-07-18")
    assert report.ok and report.examples == 13
    assert any("over the 65536-token limit" in w.message for w in report.warnings)

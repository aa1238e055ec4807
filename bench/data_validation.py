"""Benchmark: `ftdeck data validate` against the common reference recipe.

The reference loads every line with json and counts tokens message by message with tiktoken (the
recipe of the OpenAI cookbook). Both run as separate processes on the same generated file; we
report the whole process's wall time (Python start, imports, building the encodings: about 0.4 s
for either side), the time of the work itself once the encoding is built, peak RSS, the ratios,
and check both count the same total.

    .venv/bin/python bench/data_validation.py [N_EXAMPLES ...]     (default: 10000 200000)
    .venv/bin/python bench/data_validation.py --small | --json      (2000 examples; results for bench/run.py)

Peak RSS is each process's own, from wait4 (what `/usr/bin/time -v` reports).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

from harness import Result, report

REFERENCE = r'''
import json, sys, time
from services.tokens import encoding  # the same offline tables; tiktoken's encoder
enc = encoding("o200k_base")
start = time.perf_counter()
total = 0
with open(sys.argv[1], encoding="utf-8-sig") as f:
    examples = [json.loads(line) for line in f if line.strip()]
for example in examples:
    n = 3
    for message in example["messages"]:
        n += 3
        for key, value in message.items():
            if key == "weight":
                continue
            if isinstance(value, list):
                value = " ".join(p.get("text", "") for p in value)
            n += len(enc.encode(value))
            if key == "name":
                n += 1
    total += n
print(total, time.perf_counter() - start)
'''

FTDECK = r'''
import sys, time
from services.datasets import validate_dataset
from services.tokens import encoding_for_model
encoding_for_model("gpt-4o-mini-2024-07-18")
start = time.perf_counter()
total = validate_dataset(sys.argv[1], model="gpt-4o-mini-2024-07-18").total_tokens
print(total, time.perf_counter() - start)
'''

WORDS = "the model answers questions about billing storage quotas regions keys café naïve 東京 données ✓ and more".split()


def generate(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    system = "You are Cap'n Byte, the support assistant of Contoso Cloud. Answer helpfully, in the voice of a pirate."
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            turns = [{"role": "system", "content": system}]
            n_turns = rng.randint(1, 3)
            for t in range(n_turns):
                turns.append({"role": "user", "content": " ".join(rng.choices(WORDS, k=rng.randint(5, 30))) + f" #{i}"})
                reply = {"role": "assistant", "content": " ".join(rng.choices(WORDS, k=rng.randint(10, 60)))}
                if t == 0 and n_turns > 1 and rng.random() < 0.3:
                    reply["weight"] = 0
                turns.append(reply)
            f.write(json.dumps({"messages": turns}, ensure_ascii=False) + "\n")


def run(code: str, path: Path) -> tuple[float, float, int, int]:
    """(process seconds, work seconds, peak RSS in MB, tokens counted) of a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the high-water mark of all
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{'reference' if code is REFERENCE else 'ftdeck'} failed on {path} (exit {process.returncode})")
    total, work = out.split()
    return seconds, float(work), usage.ru_maxrss // 1024, int(total)


def compare(sizes: list[int]) -> Iterator[tuple[int, tuple[float, float, int, int], tuple[float, float, int, int]]]:
    """For each size: (examples, ftdeck's run, the reference's run), on the same generated file."""
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"{n}.jsonl"
            generate(path, n)
            yield n, run(FTDECK, path), run(REFERENCE, path)
            path.unlink()


def measure(sizes: list[int]) -> list[Result]:
    """The comparison as rows of bench/run.py's table."""
    results: list[Result] = []
    peaks: dict[int, int] = {}
    for n, (ours, our_work, our_peak, our_total), (ref, ref_work, ref_peak, ref_total) in compare(sizes):
        peaks[n] = our_peak
        same = our_total == ref_total
        results += [
            Result("data validation", f"validate {n:,} examples, whole process", "s", ours, ref, "cookbook recipe",
                   "≥ 3x faster, same counts", ref / ours >= 3 and same,
                   f"work only {our_work:.2f} s vs {ref_work:.2f} s, {ref_work / our_work:.1f}x; same token total: {same}"),
            Result("data validation", f"peak RSS, {n:,} examples", "MB", our_peak, ref_peak, "cookbook recipe"),
        ]
    if len(sizes) > 1:
        small, big = min(sizes), max(sizes)
        results.append(Result("data validation", f"peak RSS at {big:,} vs {small:,} examples", "MB", peaks[big], peaks[small],
                              f"ftdeck at {small:,}", "≤ 1.5x (flat)", peaks[big] <= 1.5 * peaks[small]))
    return results


def main(sizes: list[int]) -> None:
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, cpus {os.cpu_count()}")
    print("| examples | reference s (work) | ftdeck s (work) | speed-up, whole process (work) | reference peak MB | ftdeck peak MB | same counts |")
    print("|---|---|---|---|---|---|---|")
    for n, (ours, our_work, our_peak, our_total), (ref, ref_work, ref_peak, ref_total) in compare(sizes):
        print(f"| {n:,} | {ref:.2f} ({ref_work:.2f}) | {ours:.2f} ({our_work:.2f}) | {ref / ours:.1f}x ({ref_work / our_work:.1f}x) "
              f"| {ref_peak} | {our_peak} | {ref_total == our_total} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="examples per generated file (default: 10000 200000)")
    parser.add_argument("--small", action="store_true", help="one file of 2,000 examples")
    parser.add_argument("--json", action="store_true", help="results as JSON, for bench/run.py")
    args = parser.parse_args()
    sizes = args.sizes or ([2_000] if args.small else [10_000, 200_000])
    if args.json:
        report(measure(sizes), as_json=True)
    else:
        main(sizes)

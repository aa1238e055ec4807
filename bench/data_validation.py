"""Benchmark: `ftdeck data validate` against the common reference recipe.

The reference loads every line with json and counts tokens message by message with tiktoken (the
recipe of the OpenAI cookbook). Both run as separate processes on the same generated file; we
report the whole process's wall time (Python start, imports, building the encodings: about 0.4 s
for either side), the time of the work itself once the encoding is built, peak RSS, the ratios,
and check both count the same total.

    .venv/bin/python bench/data_validation.py [N_EXAMPLES ...]     (default: 10000 200000)
"""

from __future__ import annotations

import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    total, work = done.stdout.split()
    return seconds, float(work), peak, int(total)


def main(sizes: list[int]) -> None:
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, cpus {__import__('os').cpu_count()}")
    print("| examples | reference s (work) | ftdeck s (work) | speed-up, whole process (work) | reference peak MB | ftdeck peak MB | same counts |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"{n}.jsonl"
            generate(path, n)
            # Peak RSS of children is a high-water mark: measure ftdeck first, then the reference.
            ours, our_work, our_peak, our_total = run(FTDECK, path)
            ref, ref_work, ref_peak, ref_total = run(REFERENCE, path)
            print(f"| {n:,} | {ref:.2f} ({ref_work:.2f}) | {ours:.2f} ({our_work:.2f}) | {ref / ours:.1f}x ({ref_work / our_work:.1f}x) "
                  f"| {ref_peak} | {our_peak} | {ref_total == our_total} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 200_000])

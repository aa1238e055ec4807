"""Benchmark: `ftdeck data validate` against the common reference recipe.

The reference loads every line with json and counts tokens message by message with tiktoken (the
recipe of the OpenAI cookbook: `tiktoken.get_encoding("o200k_base")`, its table read from
tiktoken's cache, which this machine cannot fill from the internet: the bench puts it there). Both run as separate processes on the same generated file: the
real `ftdeck data validate FILE --model gpt-4o-mini-2024-07-18 --json`, and the recipe. We report
the whole process's wall time (Python start, imports, building the encoding: the larger part at
10k examples, for either side), the CPU time (user and system, the process's and its workers'),
peak RSS, the ratios, and check both count the same total; and the time of the work itself once
the encoding is built, from the recipe and from `validate_dataset` called the same way in a
process of its own (the CLI does not time itself).
Each size runs a few times, ftdeck and the reference alternating, and each figure is the median:
on a shared machine one run says little.

    .venv/bin/python bench/data_validation.py [N_EXAMPLES ...] [--runs N]   (default: 10000 200000, 3 runs)
    .venv/bin/python bench/data_validation.py --small | --json      (2000 examples; results for bench/run.py)

Peak RSS is each process's own, from wait4 (what `/usr/bin/time -v` reports).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, NamedTuple

from harness import Result, as_installed, report

REFERENCE = r'''
import json, sys, time
import tiktoken
enc = tiktoken.get_encoding("o200k_base")  # from TIKTOKEN_CACHE_DIR, where the bench put the table
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

MODEL = "gpt-4o-mini-2024-07-18"
FTDECK = ["-m", "tui", "data", "validate", "{path}", "--model", MODEL, "--json"]  # the CLI, as a user runs it
FTDECK_WORK = r'''
import sys, time
from services.datasets import validate_dataset
from services.tokens import encoding_for_model
encoding_for_model(sys.argv[2])
start = time.perf_counter()
total = validate_dataset(sys.argv[1], model=sys.argv[2]).total_tokens
print(total, time.perf_counter() - start)
'''

RUNS = 3
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


class Run(NamedTuple):
    seconds: float  # the whole process, from launch to exit
    work: float  # validating (or loading and counting), once the encoding is built
    cpu: float  # user + system seconds, the process's and its workers'
    peak_mb: int
    total: int  # tokens counted


def tiktoken_cache(directory: Path) -> None:
    """A tiktoken cache holding o200k_base, as on a machine where the recipe ran once online
    (tiktoken keeps each table under the SHA-1 of its URL); the table is the one ftdeck ships."""
    import hashlib

    from services.tokens import TABLE_URLS, table_bytes

    directory.mkdir(exist_ok=True)
    url = TABLE_URLS["o200k_base"]
    (directory / hashlib.sha1(url.encode()).hexdigest()).write_bytes(table_bytes("o200k_base"))


def run(code: str | list[str], path: Path) -> Run:
    """One fresh process's figures: a script (it prints its token total and work seconds) or the CLI."""
    argv = [arg.format(path=path) for arg in code] if isinstance(code, list) else ["-c", code, str(path), MODEL]
    start = time.perf_counter()
    env = as_installed({**os.environ, "TIKTOKEN_CACHE_DIR": str(path.parent / "tiktoken")})
    process = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True, env=env)
    out = process.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the high-water mark of all
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{'reference' if code is REFERENCE else 'ftdeck'} failed on {path} (exit {process.returncode})")
    if isinstance(code, list):
        total, work = json.loads(out)["tokens"]["total"], float("nan")
    else:
        total, work = out.split()
    return Run(seconds, float(work), usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, int(total))


def median(runs: list[Run]) -> Run:
    """Each figure's median over the runs (the token totals must all agree anyway)."""
    return Run(*(statistics.median(figures) for figures in zip(*runs)))


def compare(sizes: list[int], runs: int = RUNS) -> Iterator[tuple[int, list[Run], list[Run]]]:
    """For each size: (examples, ftdeck's runs, the reference's runs), on the same generated file,
    ftdeck and the reference taking turns to go first. ftdeck's runs are the CLI's, each with the
    work time of a `validate_dataset` run beside it."""
    with tempfile.TemporaryDirectory() as tmp:
        tiktoken_cache(Path(tmp) / "tiktoken")
        warm_up = Path(tmp) / "warm-up.jsonl"  # an untimed first run of each fills the bytecode cache
        generate(warm_up, 20)
        for code in (FTDECK, FTDECK_WORK, REFERENCE):
            run(code, warm_up)
        for n in sizes:
            path = Path(tmp) / f"{n}.jsonl"
            generate(path, n)
            ours: list[Run] = []
            theirs: list[Run] = []
            for i in range(runs):
                turns = ["ftdeck", "reference"] if i % 2 == 0 else ["reference", "ftdeck"]
                for side in turns:
                    if side == "reference":
                        theirs.append(run(REFERENCE, path))
                    else:
                        cli = run(FTDECK, path)
                        ours.append(cli._replace(work=run(FTDECK_WORK, path).work))
            yield n, ours, theirs
            path.unlink()


def same_total(ours: list[Run], theirs: list[Run]) -> bool:
    return len({r.total for r in ours + theirs}) == 1


def measure(sizes: list[int], runs: int = RUNS) -> list[Result]:
    """The comparison as rows of bench/run.py's table."""
    results: list[Result] = []
    peaks: dict[int, float] = {}
    for n, our_runs, their_runs in compare(sizes, runs):
        ours, ref = median(our_runs), median(their_runs)
        peaks[n] = ours.peak_mb
        same = same_total(our_runs, their_runs)
        results += [
            Result("data validation", f"validate {n:,} examples, whole process (median of {runs})", "s", ours.seconds, ref.seconds,
                   "cookbook recipe", "≥ 3x faster, same counts", ref.seconds / ours.seconds >= 3 and same,
                   f"work only {ours.work:.2f} s vs {ref.work:.2f} s, {ref.work / ours.work:.1f}x; CPU {ours.cpu:.2f} s vs "
                   f"{ref.cpu:.2f} s; same token total: {same}"),
            Result("data validation", f"peak RSS, {n:,} examples", "MB", ours.peak_mb, ref.peak_mb, "cookbook recipe"),
        ]
    if len(sizes) > 1:
        small, big = min(sizes), max(sizes)
        results.append(Result("data validation", f"peak RSS at {big:,} vs {small:,} examples", "MB", peaks[big], peaks[small],
                              f"ftdeck at {small:,}", "≤ 1.5x (flat)", peaks[big] <= 1.5 * peaks[small]))
    return results


def main(sizes: list[int], runs: int) -> None:
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}; medians of {runs} alternating runs")
    print("| examples | reference s (work) | ftdeck s (work) | speed-up, whole process (work) | CPU s, reference / ftdeck "
          "| reference peak MB | ftdeck peak MB | same counts |")
    print("|---|---|---|---|---|---|---|---|")
    every = []
    for n, our_runs, their_runs in compare(sizes, runs):
        ours, ref = median(our_runs), median(their_runs)
        print(f"| {n:,} | {ref.seconds:.2f} ({ref.work:.2f}) | {ours.seconds:.2f} ({ours.work:.2f}) "
              f"| {ref.seconds / ours.seconds:.1f}x ({ref.work / ours.work:.1f}x) | {ref.cpu:.2f} / {ours.cpu:.2f} "
              f"| {ref.peak_mb:.0f} | {ours.peak_mb:.0f} | {same_total(our_runs, their_runs)} |")
        every.append(f"{n:,}: ftdeck {' '.join(f'{r.seconds:.2f}' for r in our_runs)}; "
                     f"reference {' '.join(f'{r.seconds:.2f}' for r in their_runs)}")
    print(f"each run, whole process in s (load average now {os.getloadavg()[0]:.2f}):")
    print("\n".join(every))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="examples per generated file (default: 10000 200000)")
    parser.add_argument("--small", action="store_true", help="one file of 2,000 examples")
    parser.add_argument("--json", action="store_true", help="results as JSON, for bench/run.py")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each side per size (default {RUNS}); figures are medians")
    args = parser.parse_args()
    sizes = args.sizes or ([2_000] if args.small else [10_000, 200_000])
    if args.json:
        report(measure(sizes, args.runs), as_json=True)
    else:
        main(sizes, args.runs)

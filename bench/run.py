"""Run every benchmark and print one markdown table: ftdeck against a reference measured in the
same run, the ratio, and the target. Each benchmark runs in a process of its own (so one's
imports, caches and memory do not colour the next), one after the other.

    .venv/bin/python bench/run.py [--small] [--only startup,big_lists] [--json]

--small runs smoke-test sizes (seconds, not minutes): the figures then say little. A benchmark
that fails is reported as a row saying why, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from harness import Result, describe_machine, machine, markdown

HERE = Path(__file__).resolve().parent
EXCEPTION = re.compile(r"^([A-Za-z_][\w]*\.)*[A-Za-z_]\w*(Error|Exception|Timeout|Exit|Interrupt)\b: ")
BENCHMARKS = {  # name -> what it measures
    "startup": "launch to first frame and to the demo's data, against a minimal Textual app; peak RSS",
    "cli_listing": "`ftdeck jobs list --json` on a local `ftdeck emulator`, against a plain httpx script",
    "data_validation": "`ftdeck data validate` against the cookbook recipe (10k and 200k examples)",
    "big_lists": "5,000 jobs and files: render, `/` filter, refresh, against plain DataTables",
    "live_tail": "following a job with 10,000 events: CPU, requests, refetches, against the TUI idle",
    "streaming_chat": "a streamed reply's pieces, arrival to the playground's reply widget, against a plain Static",
}


def run_one(name: str, small: bool) -> tuple[list[Result], str | None, float]:
    """(results, why it failed or None, seconds taken)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / f"{name}.py"), "--json", *(["--small"] if small else [])],
                          capture_output=True, text=True, cwd=HERE.parent)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return [], why(done.stderr) or f"exit {done.returncode}", seconds
    data = json.loads(done.stdout.strip().splitlines()[-1])
    results = [Result(**{k: v for k, v in r.items() if k != "ratio"}) for r in data["results"]]
    return results, None, seconds


def why(stderr: str) -> str | None:
    """The exception a benchmark died of: the last `SomeError: message` line of its traceback."""
    found = [line for line in stderr.splitlines() if EXCEPTION.match(line)]
    return found[-1].strip()[:300] if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="smoke-test sizes")
    parser.add_argument("--only", help=f"comma-separated, from: {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    results: list[Result] = []
    failures: dict[str, str] = {}
    took: dict[str, float] = {}
    for name in names:
        if not args.json:
            print(f"running {name}: {BENCHMARKS[name]}...", file=sys.stderr, flush=True)
        found, failure, took[name] = run_one(name, args.small)
        results += found
        if failure:
            failures[name] = failure
    info = machine()
    if args.json:
        print(json.dumps({"machine": info, "small": args.small, "seconds": took, "failures": failures,
                          "results": [r.to_json() for r in results]}))
    else:
        print(f"machine: {describe_machine(info)}{'; smoke-test sizes (--small)' if args.small else ''}")
        print()
        print(markdown(results))
        for name, why in failures.items():
            print(f"\n{name} FAILED: {why}")
        print(f"\n({', '.join(f'{n} {s:.0f} s' for n, s in took.items())})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

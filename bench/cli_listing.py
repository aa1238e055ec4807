"""Benchmark: a listing from the CLI, against a plain httpx script doing the same GET.

An `ftdeck emulator` runs in a process of its own with a few jobs, as a user's would. The clock
runs from launch to exit of `python -m tui jobs list --json`, pointed at it through the usual
environment variables, and of a plain script that imports httpx, sends the same GET with the same
key and prints the JSON (and of one doing it with the openai SDK, for the record). Runs alternate,
after an untimed first run of each (the bytecode cache); each figure is the median.

    .venv/bin/python bench/cli_listing.py [--small] [--json]     (--small: 1 run each instead of 15)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from harness import API_KEY, EmulatorProcess, Result, median, options, pointed_at, report

TARGET = 2.0
API_VERSION = "2025-04-01-preview"  # ftdeck's own (services.config.PREVIEW_VERSION)
PLAIN_HTTPX = """
import json, os, httpx
answer = httpx.get(os.environ["AZURE_OPENAI_ENDPOINT"] + "/openai/fine_tuning/jobs",
                   params={"api-version": "%s", "limit": 50}, headers={"api-key": os.environ["AZURE_OPENAI_API_KEY"]})
answer.raise_for_status()
print(json.dumps(answer.json()["data"], indent=2))
""" % API_VERSION
PLAIN_SDK = """
import json, os
from openai import AzureOpenAI
client = AzureOpenAI(azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"], api_key=os.environ["AZURE_OPENAI_API_KEY"], api_version="%s")
print(json.dumps([j.model_dump() for j in client.fine_tuning.jobs.list(limit=50).data], indent=2))
""" % API_VERSION


def seed(url: str, jobs: int) -> None:
    """A training file and `jobs` jobs on it, through the emulator's API."""
    with httpx.Client(base_url=url, params={"api-version": API_VERSION}, headers={"api-key": API_KEY}, timeout=30) as client:
        data = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "arr"}]}\n' * 10
        file_id = client.post("/openai/files", files={"file": ("pirate.jsonl", data)}, data={"purpose": "fine-tune"}).raise_for_status().json()["id"]
        for _ in range(100):
            if client.get(f"/openai/files/{file_id}").json()["status"] == "processed":
                break
            time.sleep(0.1)
        for i in range(jobs):
            client.post("/openai/fine_tuning/jobs", json={"model": "gpt-4o-mini-2024-07-18", "training_file": file_id,
                                                          "suffix": f"bench-{i}"}).raise_for_status()


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or '"id"' not in done.stdout:
        raise RuntimeError(f"{' '.join(argv[:4])}... failed ({done.returncode}): {done.stderr[-1500:]}")
    return seconds


def measure(runs: int) -> list[Result]:
    from harness import as_installed

    with tempfile.TemporaryDirectory() as home, EmulatorProcess(Path(home) / "emulator") as emulator:
        seed(emulator.url, 3)
        env = as_installed(pointed_at(emulator.url, Path(home)))
        commands = {
            "ftdeck": [sys.executable, "-m", "tui", "jobs", "list", "--json"],
            "httpx": [sys.executable, "-c", PLAIN_HTTPX],
            "sdk": [sys.executable, "-c", PLAIN_SDK],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():
            timed(argv, env)  # untimed: fills the bytecode cache
        for _ in range(runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    ours, httpx_script, sdk_script = (median(times[name]) for name in ("ftdeck", "httpx", "sdk"))
    return [
        Result("cli listing", "`ftdeck jobs list --json`, launch to exit", "s", ours, httpx_script, "plain httpx script",
               f"≤ {TARGET}x", ours / httpx_script <= TARGET, f"median of {runs}; a local `ftdeck emulator`"),
        Result("cli listing", "the same GET with the openai SDK, launch to exit", "s", sdk_script, httpx_script,
               "plain httpx script", note="for the record: what the SDK's import costs"),
    ]


def main() -> None:
    args = options(__doc__.splitlines()[0])
    report(measure(1 if args.small else 15), args.json)


if __name__ == "__main__":
    main()

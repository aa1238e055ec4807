"""Benchmark: a bad network. Half of all requests on both planes fail (`ftdeck emulator --faults
"429=0.2,500=0.15,reset=0.1,lost=0.05"`: throttled with retry-after 1 s, a 500, the connection
dropped before the work, or the answer lost after it), and each run uploads a training file,
creates a job from it and lists jobs and files 20 times, as a script would: every step a real
`ftdeck ... --json` process on the real clock. A run completes when every step exits 0; a file or
job that exists twice afterwards is a duplicate.

The reference does the same with the openai SDK as it comes (two retries, its own backoff):
`files.create`, `wait_for_processing`, `fine_tuning.jobs.create`, the listings.

    .venv/bin/python bench/bad_network.py [--small] [--json]     (--small: 2 runs, 5 lists)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import API_KEY, EmulatorProcess, Result, options, pointed_at, report

BASE = "gpt-4o-mini-2024-07-18"
FIFTY_PERCENT = "429=0.2,500=0.15,reset=0.1,lost=0.05"


def training_data(n: int, run: int) -> bytes:
    return "".join(json.dumps({"messages": [
        {"role": "user", "content": f"Run {run}: how do I fix problem number {i}?"},
        {"role": "assistant", "content": f"Arr, run {run}: ye fix problem {i} by checking the settings."},
    ]}) + "\n" for i in range(n)).encode()


def ftdeck_run(env: dict[str, str], path: Path, run: int, lists: int) -> bool:
    """One run as `ftdeck` processes; True when every step exits 0."""
    def ftdeck(*args: str) -> dict | list | None:
        done = subprocess.run([sys.executable, "-m", "tui", *args, "--json"], env=env, capture_output=True, text=True, timeout=600)
        return json.loads(done.stdout) if done.returncode == 0 else None

    uploaded = ftdeck("files", "upload", str(path), "--reuse", "no")
    if not uploaded:
        return False
    if not ftdeck("jobs", "create", "--model", BASE, "--training-file", uploaded["id"], "--suffix", f"ftdeck-{run}"):
        return False
    return all(ftdeck(*(("files", "list") if i % 2 else ("jobs", "list"))) is not None for i in range(lists))


def sdk_run(client, path: Path, run: int, lists: int) -> bool:
    """The same run through the openai SDK's defaults; True when nothing raised."""
    try:
        created = client.files.create(file=(path.name, path.read_bytes()), purpose="fine-tune")
        client.files.wait_for_processing(created.id, poll_interval=1.0)
        client.fine_tuning.jobs.create(model=BASE, training_file=created.id, suffix=f"sdk-{run}")
        for i in range(lists):
            client.files.list() if i % 2 else client.fine_tuning.jobs.list()
    except Exception:  # noqa: BLE001 - any failure ends the run, as it would a script's
        return False
    return True


def duplicates(emu: EmulatorProcess, prefix: str, runs: int) -> int:
    """Files and jobs of these runs that exist more than once (read without faults)."""
    from openai import AzureOpenAI

    client = AzureOpenAI(azure_endpoint=emu.url, api_key=API_KEY, api_version="2025-04-01-preview")
    files = [f.filename for f in client.files.list()]
    jobs = [j.suffix for j in client.fine_tuning.jobs.list(limit=100).data]
    return sum(max(files.count(f"{prefix}-{run}.jsonl") - 1, 0) + max(jobs.count(f"{prefix}-{run}") - 1, 0) for run in range(runs))


def main() -> None:
    args = options(__doc__.splitlines()[0])
    runs, lists = (2, 5) if args.small else (10, 20)
    with tempfile.TemporaryDirectory(prefix="ftdeck-bench-bad-network-") as tmp:
        home, data_dir = Path(tmp), Path(tmp) / "emulator"
        with EmulatorProcess(data_dir, "--faults", FIFTY_PERCENT, speed=100) as emu:
            from openai import AzureOpenAI

            env = pointed_at(emu.url, home)
            sdk = AzureOpenAI(azure_endpoint=emu.url, api_key=API_KEY, api_version="2025-04-01-preview")
            completed = {"ftdeck": 0, "sdk": 0}
            seconds = {"ftdeck": 0.0, "sdk": 0.0}
            for run in range(runs):
                for who in ("ftdeck", "sdk"):
                    path = home / f"{who}-{run}.jsonl"
                    path.write_bytes(training_data(10 + run, run))
                    start = time.perf_counter()
                    ok = ftdeck_run(env, path, run, lists) if who == "ftdeck" else sdk_run(sdk, path, run, lists)
                    seconds[who] += time.perf_counter() - start
                    completed[who] += ok
        with EmulatorProcess(data_dir, speed=100) as calm:  # the same data, no faults: what exists?
            twice = {who: duplicates(calm, who, runs) for who in ("ftdeck", "sdk")}
    work = f"upload + job create + {lists} lists"
    report([
        Result("bad network", f"runs completed at 50% faults ({work}; {seconds['ftdeck'] / runs:.0f} s a run vs "
               f"{seconds['sdk'] / runs:.0f} s)", "runs", completed["ftdeck"], completed["sdk"],
               "openai SDK defaults (2 retries)", f"{runs} of {runs}", completed["ftdeck"] == runs),
        Result("bad network", "files or jobs made twice", "duplicates", twice["ftdeck"], twice["sdk"],
               "openai SDK defaults (2 retries)", "0", twice["ftdeck"] == 0),
    ], args.json)


if __name__ == "__main__":
    main()

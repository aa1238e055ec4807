"""Resilience, continued: a bad network, at smoke size.

Half of all requests on both planes fail (`--faults "429=0.2,500=0.15,reset=0.1,lost=0.05"`: the
`lost` ones after the service acted), and yet an upload, a job created from it and 20 listings
complete, run after run, with no file or job made twice. The full figure (10 runs of 10, on the
real clock, as real processes) is bench/bad_network.py's; here 3 runs in this process, the retry
policy's waits on a pretend clock, the emulator's faults seeded so a failure can be replayed.
"""

from __future__ import annotations

import json

from tests.conftest import chat_examples, jsonl
from tests.test_resilience import BASE, is_wait_report
from tui.cli import main

FIFTY_PERCENT = "429=0.2,500=0.15,reset=0.1,lost=0.05"


def ftdeck(capsys, *args: str) -> dict | list:
    code = main(list(args))
    out, err = capsys.readouterr()
    problems = [line for line in err.splitlines() if not is_wait_report(line)]
    assert code == 0 and not problems, f"ftdeck {' '.join(args)}: exit {code}: {problems}"
    return json.loads(out)


def test_upload_create_and_lists_complete_at_fifty_percent_faults_with_nothing_twice(
        configured, fresh_emulator, monkeypatch, pretend_clock, tmp_path, capsys):
    faulty = fresh_emulator("--faults", FIFTY_PERCENT, "--seed", "7")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", faulty.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", faulty.url)
    runs = 3
    for run in range(runs):
        path = tmp_path / f"bad-network-{run}.jsonl"
        path.write_bytes(jsonl(chat_examples(10 + run, style=f"Run {run}")))
        uploaded = ftdeck(capsys, "files", "upload", str(path), "--reuse", "no", "--json")
        assert uploaded["filename"] == path.name and uploaded["status"] == "processed"
        job = ftdeck(capsys, "jobs", "create", "--model", BASE, "--training-file", uploaded["id"], "--suffix", f"run-{run}", "--json")
        assert job["training_file"] == uploaded["id"]
        for i in range(20):
            ftdeck(capsys, *(("files", "list") if i % 2 else ("jobs", "list")), "--json")
    assert len(pretend_clock.slept) > 20  # the faults did strike, and each was waited out

    patient = faulty.openai(max_retries=50)  # reads through the faults
    files = [f.filename for f in patient.files.list()]
    jobs = [j.suffix for j in patient.fine_tuning.jobs.list(limit=100).data]
    for run in range(runs):
        assert files.count(f"bad-network-{run}.jsonl") == 1 and jobs.count(f"run-{run}") == 1, (files, jobs)

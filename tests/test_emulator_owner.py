"""One process owns an emulator's data folder: it alone seeds the demo and runs jobs; other ftdeck
processes talk to it over HTTP, and take its place when it goes away."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from emulator.child import LISTENING
from services.workspace import open_workspace
from tests.conftest import EmulatorProcess, wait_for

CLI_CALLS = 8


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh HOME: no profile, no Azure variables; ftdeck picks the built-in emulator."""
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("FTDECK_EMULATOR_SPEED", "3")  # the demo's second job trains through the test, a step every 0.5 s
    return tmp_path


def jobs_list() -> subprocess.CompletedProcess:
    """`ftdeck jobs list --json` as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "tui", "jobs", "list", "--json"], capture_output=True, text=True, timeout=180)


def run_cli_calls_at_once() -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(CLI_CALLS) as pool:
        results = list(pool.map(lambda _: jobs_list(), range(CLI_CALLS)))
    for result in results:
        assert result.returncode == 0, result.stderr
        # No traceback, no IntegrityError. An owner that finishes while another's request is on its
        # way resets that connection: the request is sent again, and said (on a busy machine).
        assert all(" no answer (" in line and "retrying" in line for line in result.stderr.splitlines()), result.stderr
        assert {job["suffix"] for job in json.loads(result.stdout)} >= {"pirate", "haiku"}
    return results


def assert_one_demo_with_a_clean_history(workspace) -> None:
    client = workspace.openai()
    names = Counter(f.filename for f in client.files.list(purpose="fine-tune"))
    assert names == Counter({"pirate-support.jsonl": 1, "pirate-support-valid.jsonl": 1, "haiku-helper.jsonl": 1})
    jobs = client.fine_tuning.jobs.list(limit=100).data
    assert sorted(j.suffix for j in jobs) == ["haiku", "pirate"]
    for job in jobs:
        events = list(client.fine_tuning.jobs.list_events(job.id, limit=10_000))[::-1]  # oldest first
        messages = Counter(e.message for e in events)
        assert messages["Job started."] <= 1, job.id
        assert sum(n for m, n in messages.items() if m.startswith(("Job failed", "Job succeeded", "Job cancelled"))) <= 1
        steps = [e.data["step"] for e in events if e.type == "metrics"]
        assert steps == list(range(10, 10 * len(steps) + 1, 10)), job.id  # every 10th step once, none missing
        assert len({e.id for e in events}) == len(events)
    assert {j.suffix: j.status for j in jobs}["pirate"] == "succeeded"
    assert {j.suffix: j.status for j in jobs}["haiku"] in ("pending", "running", "succeeded")


def test_parallel_cli_calls_beside_an_open_deck_leave_one_demo_and_a_clean_history(home):
    deck = open_workspace()  # what the TUI does on start
    try:
        assert deck.emulator is not None and deck.emulator.owns_data
        client = deck.openai()
        training = next(j for j in client.fine_tuning.jobs.list().data if j.suffix == "haiku")
        wait_for(lambda: any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(training.id)))
        run_cli_calls_at_once()
        assert deck.emulator.owns_data  # still the owner: the CLI calls talked to it
        assert_one_demo_with_a_clean_history(deck)
    finally:
        deck.close()


def test_parallel_cli_calls_on_a_fresh_home_leave_one_demo_and_a_clean_history(home):
    run_cli_calls_at_once()  # whichever finishes first hands the folder on to the others
    deck = open_workspace()
    try:
        assert_one_demo_with_a_clean_history(deck)
    finally:
        deck.close()


def test_a_process_takes_over_when_the_owner_goes_away(home):
    first = open_workspace()
    second = open_workspace()  # the same folder: a second open in one process is another owner-to-be
    try:
        assert first.emulator.owns_data and not second.emulator.owns_data
        assert second.emulator.url == first.emulator.url
        jobs = [j.id for j in second.openai().fine_tuning.jobs.list().data]
        first.close()
        # The next call finds no one at the old address, takes the folder over and carries on.
        assert [j.id for j in second.openai().fine_tuning.jobs.list().data] == jobs
        assert second.emulator.owns_data and second.emulator.url != first.emulator.url
        assert second.arm("GET").status_code == 200  # deployments (ARM) too
    finally:
        second.close()


def test_a_second_emulator_on_one_folder_refuses_naming_the_first(tmp_path):
    with EmulatorProcess(tmp_path / "data") as first:
        result = subprocess.run([sys.executable, "-m", "tui", "emulator", "--data-dir", str(first.data_dir)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert f"process {first.process.pid} at {first.url}" in result.stderr
        assert first.openai().files.list() is not None  # the first serves on, untouched


def test_an_owner_that_died_leaves_nothing_that_stops_the_next(tmp_path):
    emu = EmulatorProcess(tmp_path / "data")
    owner_file = emu.data_dir / "owner.json"
    stale = json.loads(owner_file.read_text())
    assert stale == {"url": emu.url, "pid": emu.process.pid, "api_key": "test-key"}
    emu.kill()  # no chance to clean up: the OS drops its lock, owner.json stays behind
    assert owner_file.exists()
    emu.start()
    try:
        assert json.loads(owner_file.read_text())["pid"] == emu.process.pid
        assert emu.openai().files.list() is not None
    finally:
        emu.stop()
    assert not owner_file.exists()  # a clean stop takes it away


def test_the_built_in_emulator_finds_a_foreground_owner_and_uses_it(home, tmp_path):
    data_dir = home / "data" / "ftdeck" / "emulator"
    process = subprocess.Popen([sys.executable, "-m", "tui", "emulator", "--port", "0", "--data-dir", str(data_dir), "--demo"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        match = LISTENING.match(process.stdout.readline().strip())  # type: ignore[union-attr]
        assert match, process.stderr.read()  # type: ignore[union-attr]
        deck = open_workspace()
        try:
            assert not deck.emulator.owns_data and deck.emulator.url == match.group(1)
            assert_one_demo_with_a_clean_history(deck)
        finally:
            deck.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)

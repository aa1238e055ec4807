"""The emulator as a process: its first line, bind rules, kill-and-restart, and faults."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import httpx
import pytest

from emulator.child import LISTENING
from tests.conftest import chat_examples, upload, wait_for, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"


def test_first_line_names_the_real_port(emulator):
    match = LISTENING.match(emulator.first_line)
    assert match and int(match.group(2)) > 0
    assert httpx.get(emulator.url + "/_emulator/health").json() == {"status": "ok"}


def test_non_loopback_bind_needs_a_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tui", "emulator", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "--api-key" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("faults", ["429=2", "boom=0.1", "429=x"])
def test_bad_fault_spec_is_refused(tmp_path, faults):
    result = subprocess.run(
        [sys.executable, "-m", "tui", "emulator", "--faults", faults, "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "fault" in result.stderr


def test_kill_and_restart_keeps_everything_and_resumes_training(fresh_emulator):
    emu = fresh_emulator(speed=100)
    client = emu.openai()
    data = upload(client, chat_examples(30))
    job = client.fine_tuning.jobs.create(model=BASE, training_file=data.id, hyperparameters={"n_epochs": 10}, seed=4)

    def steps_done() -> int:
        return max((e.data["step"] for e in client.fine_tuning.jobs.list_events(job.id, limit=5) if e.type == "metrics"), default=0)

    wait_for(lambda: steps_done() >= 20)
    emu.kill()
    emu.start()
    client = emu.openai()
    assert client.files.retrieve(data.id).status == "processed"
    resumed_at = steps_done()
    assert resumed_at >= 20
    done = wait_for_job(client, job.id, timeout=120)
    assert done.status == "succeeded"

    steps = [e.data["step"] for e in client.fine_tuning.jobs.list_events(job.id, limit=1000) if e.type == "metrics"][::-1]
    assert steps == list(range(10, 301, 10)), "every 10th step's event exactly once, resumed where it stopped"
    rows = client.files.content(done.result_files[0]).text.splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == list(range(1, 301)), "every step measured exactly once"
    # The resumed run is the same training: the same curve as an uninterrupted job with this seed.
    twin = wait_for_job(client, client.fine_tuning.jobs.create(
        model=BASE, training_file=data.id, hyperparameters={"n_epochs": 10}, seed=4).id, timeout=120)
    loss = lambda j: client.files.content(j.result_files[0]).text  # noqa: E731
    assert loss(done) == loss(twin)


def test_faults_are_served_at_the_asked_rates(fresh_emulator):
    emu = fresh_emulator("--faults", "429=0.3,500=0.2,reset=0.2")
    outcomes: Counter[str] = Counter()
    with emu.http() as http:
        for _ in range(60):
            try:
                response = http.get("/openai/files")
            except httpx.TransportError:
                outcomes["reset"] += 1
                continue
            outcomes[str(response.status_code)] += 1
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["error"]["code"] == "429"
    assert outcomes["200"] and outcomes["429"] and outcomes["500"] and outcomes["reset"], outcomes


def test_sdk_gets_through_faults_with_its_retries(fresh_emulator):
    emu = fresh_emulator("--faults", "429=0.2,500=0.2,reset=0.1")
    client = emu.openai(max_retries=10)
    uploaded = upload(client, chat_examples(10))
    assert uploaded.status == "processed"
    assert client.files.retrieve(uploaded.id).id == uploaded.id

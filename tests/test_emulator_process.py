"""The emulator as a process: its first line, bind rules, kill-and-restart, and faults."""

from __future__ import annotations

import json
import os
import shlex
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


@pytest.mark.parametrize("keyed", [False, True])
def test_print_env_points_ftdeck_at_it_on_both_planes(tmp_path, keyed):
    """Issue 16 §2.17: the exports `--print-env` prints, pasted into a shell, reach the emulator's
    demo workspace: files and jobs on the data plane, deployments on ARM. The key is never printed."""
    key = "emu-key-not-to-print"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "FTDECK_"))}
    env |= {"FTDECK_EMULATOR_API_KEY": key} if keyed else {}
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tui", "emulator", "--demo", "--print-env", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert emulator.stdout.readline().startswith("ftdeck emulator listening on")
        exports = [emulator.stdout.readline().strip() for _ in range(7)]
        assert all(line.startswith("export ") for line in exports) and not any(key in line for line in exports)

        def pasted_then(*command: str) -> list[dict]:
            script = "\n".join([*exports, shlex.join([sys.executable, "-m", "tui", *command, "--json"])])
            shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                                   env=env | {"FTDECK_CONFIG": str(tmp_path / "none.toml")})
            assert shell.returncode == 0, shell.stderr
            return json.loads(shell.stdout)

        deployments, jobs = pasted_then("deployments", "list"), pasted_then("jobs", "list")
        assert "pirate-support" in {d["name"] for d in deployments}
        assert {"pirate", "haiku"} <= {j["suffix"] for j in jobs}
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)

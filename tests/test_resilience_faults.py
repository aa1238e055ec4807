"""Resilience, continued: the emulator's faults on both planes, and answers lost after the work.

- Faults strike the management plane (ARM deployments) as they strike the data plane, each in its
  own error shape with retry-after, and never the /_emulator controls.
- `lost` carries the request out, then drops the connection unanswered: the case where a client
  that sends a POST again makes two jobs or two files. Neither `ftdeck jobs create` nor
  `ftdeck files upload` ever does; a deployment, put by name, is made once however often it is sent.
- Deployments are asked again after throttling, server errors and dropped connections (after the
  retry-after), and not after a refusal; the TUI keeps its panes under faults on both planes.
- A connection dropped before the answer is said as such (try again), not as an endpoint that
  cannot be reached (check the setting), which is what a port nothing listens on gets.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import httpx
import pytest

from services import deployments
from services.errors import FtdeckError
from services.workspace import open_workspace
from tests.conftest import arm_model, API_KEY, ARM_DEPLOYMENTS, ARM_VERSION, EmulatorProcess, chat_examples, jsonl, upload, wait_until
from tests.test_resilience import BASE, assert_completed_or_said_why, assert_made_once_or_said_why, cli_env, deploy_through_faults, run_all
from tui.app import make_app
from tui.cli import main


def deployment_names(emu: EmulatorProcess) -> list[str]:
    with httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}, params={"api-version": ARM_VERSION}) as arm:
        return [d["name"] for d in arm.get(emu.url + ARM_DEPLOYMENTS).json()["value"]]


# ---------------------------------------------------------------- the emulator's faults


def test_faults_strike_both_planes_each_in_its_own_shape_and_spare_the_controls(fresh_emulator):
    emu = fresh_emulator("--faults", "429=0.5,500=0.5")  # every plane request fails
    with emu.http() as data, emu.arm() as arm:
        for _ in range(10):
            answer = data.get("/openai/files")
            error = answer.json()["error"]
            assert answer.status_code in (429, 500) and set(error) == {"code", "message"}
            if answer.status_code == 429:
                assert answer.headers["retry-after"] == "1" and "retry after 1 second" in error["message"]

            answer = arm.get("/any-deployment")
            assert answer.status_code in (429, 500)
            assert set(answer.json()["error"]) == {"code", "message", "target", "details"}  # ARM's error body
            if answer.status_code == 429:
                assert answer.headers["retry-after"] == "1" and answer.json()["error"]["code"] == "TooManyRequests"

            assert data.get("/_emulator/health").json() == {"status": "ok"}
            assert data.post("/_emulator/clock", json={"advance_seconds": 1}).status_code == 200


def test_lost_carries_the_request_out_then_drops_the_answer(fresh_emulator):
    emu = fresh_emulator("--faults", "lost=1")
    content = jsonl(chat_examples(10))
    with emu.http() as data, pytest.raises(httpx.RemoteProtocolError):
        data.post("/openai/files", files={"file": ("lost.jsonl", content)}, data={"purpose": "fine-tune"})
    with emu.arm() as arm, pytest.raises(httpx.RemoteProtocolError):
        arm.put("/lost-deployment", json={"sku": {"name": "standard", "capacity": 1},
                                          "properties": {"model": arm_model(BASE)}})
    emu.stop()

    with EmulatorProcess(emu.data_dir) as again:  # the same state, no faults: what did the service do?
        files = [f for f in again.openai().files.list() if f.filename == "lost.jsonl"]
        assert [f.bytes for f in files] == [len(content)]
        assert again.openai().files.content(files[0].id).content == content
        assert deployment_names(again) == ["lost-deployment"]


# ---------------------------------------------------------------- deployments under faults


def test_deployments_are_asked_again_after_throttling_and_failures_then_said_why(configured, fresh_emulator, monkeypatch, pretend_clock):
    failing = fresh_emulator("--faults", "429=0.5,500=0.25,reset=0.25")  # every request fails
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", failing.url)
    ws = open_workspace()
    try:
        with pytest.raises(FtdeckError) as raised:
            deployments.list_deployments(ws)
    finally:
        ws.close()
    message = str(raised.value)
    assert "\n" not in message and ("429" in message or "500" in message or f"the connection to {failing.url} was dropped" in message)
    calls = [c for c in ws.calls.recent() if c.plane == "management"]  # asked again until the deadline (60 s)
    assert len(calls) == len(pretend_clock.slept) + 1 > 4 and all(c.method == "GET" and c.status in (429, 500, None) for c in calls)
    assert sum(pretend_clock.slept) <= 60 and pretend_clock.slept[-1] <= 60 - sum(pretend_clock.slept[:-1])
    assert all(c.retry_after == 1.0 for c in calls if c.status == 429)  # what each wait was taken from


def test_a_refusal_on_the_management_plane_is_not_asked_again(configured):
    ws = open_workspace()
    try:
        with pytest.raises(FtdeckError, match="404 DeploymentNotFound"):
            deployments.get_deployment(ws, "no-such-deployment")
    finally:
        ws.close()
    assert [c.status for c in ws.calls.recent() if c.plane == "management"] == [404]


# ---------------------------------------------------------------- no answer: wrong endpoint or dropped


def test_a_dropped_connection_is_not_called_an_unreachable_endpoint(fresh_emulator, tmp_path):
    """Nothing listening means the endpoint setting is wrong; a service that took the request and
    dropped the connection means the endpoint is right and the call can be tried again."""
    dropping = fresh_emulator("--faults", "reset=1")  # every request on both planes: connection dropped unanswered
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    commands = [["files", "list"], ["deployments", "list"]]
    dropped = run_all(cli_env(dropping.url, tmp_path), commands)
    refused = run_all(cli_env(nowhere, tmp_path), commands)
    for result in dropped + refused:
        assert result.returncode == 3  # could not reach the service (README's exit codes)
        assert_completed_or_said_why(result)
    for result in dropped:
        assert f"the connection to {dropping.url} was dropped before an answer came" in result.stderr
        assert "try again" in result.stderr and "cannot reach" not in result.stderr and "check" not in result.stderr
    files, deployments_ = (result.stderr for result in refused)
    assert f"cannot reach the endpoint: nothing accepts connections at {nowhere}" in files and "check AZURE_OPENAI_ENDPOINT" in files
    assert f"cannot reach the management endpoint: nothing accepts connections at {nowhere}" in deployments_
    assert "check FTDECK_MANAGEMENT_ENDPOINT" in deployments_


def test_a_command_that_fails_before_the_service_acts_changes_nothing(tmp_path, capsys, monkeypatch, pretend_clock):
    """Every request throttled, failing or dropped before the service acts: each command that makes
    or removes something fails in one line (exit 3) and the service holds what it held before."""
    data = tmp_path / "service"
    with EmulatorProcess(data) as calm:  # what is there before: a file to train on, a deployment to delete
        client = calm.openai()
        training = upload(client, chat_examples(10)).id
        deploy_through_faults(calm, "kept", BASE)
    dataset = tmp_path / "never-stored.jsonl"
    dataset.write_bytes(jsonl(chat_examples(11)))
    commands = [
        ["files", "upload", str(dataset), "--reuse", "no", "--json"],
        ["jobs", "create", "--model", BASE, "--training-file", training, "--suffix", "never", "--json"],
        ["deployments", "create", "never-made", "--model", BASE, "--json"],
        ["deployments", "delete", "kept", "--json"],
    ]
    with EmulatorProcess(data, "--faults", "429=0.4,500=0.4,reset=0.2") as failing:
        for name, value in cli_env(failing.url, tmp_path).items():
            monkeypatch.setenv(name, value)
        results = [in_process(capsys, args) for args in commands]  # retried until the deadline, on the pretend clock
    assert pretend_clock.slept
    with EmulatorProcess(data) as again:  # the same state, no faults: what did the service do?
        client = again.openai()
        stored = [f.filename for f in client.files.list()].count(dataset.name)
        jobs = [j.suffix for j in client.fine_tuning.jobs.list(limit=100).data].count("never")
        names = deployment_names(again)
    for result, made in zip(results, [stored, jobs, names.count("never-made"), 1 - names.count("kept")]):
        assert_made_once_or_said_why(result, made)
        assert result.returncode == 3, result  # could not reach the service: try again later, nothing was lost


def in_process(capsys, args: list[str]) -> subprocess.CompletedProcess:
    """`ftdeck ARGS` through the installed script's entry point, in this process."""
    code = main(args)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess([sys.executable, "-m", "tui", *args], code, out, err)


# ---------------------------------------------------------------- answers lost after the work


def test_with_answers_lost_no_job_file_or_deployment_is_made_twice(fresh_emulator, tmp_path):
    emu = fresh_emulator("--faults", "lost=0.4")  # most commands lose an answer; a GET gets through the SDK's retries
    datasets = [tmp_path / "lost-train.jsonl", tmp_path / "lost-upload.jsonl"]
    for i, path in enumerate(datasets):
        path.write_bytes(jsonl(chat_examples(10 + i, style="Yo ho")))
    results = run_all(cli_env(emu.url, tmp_path), [
        ["jobs", "create", "--model", BASE, "--training-file", str(datasets[0]), "--suffix", "lost", "--json"],  # uploads, then creates
        ["files", "upload", str(datasets[1]), "--reuse", "no", "--no-wait", "--json"],
        ["deployments", "create", "lost-base", "--model", BASE, "--json"],
    ])
    for result in results:
        assert_completed_or_said_why(result)

    patient = emu.openai(max_retries=30)  # reads through lost answers
    jobs = [j.suffix for j in patient.fine_tuning.jobs.list(limit=100).data]
    files = [f.filename for f in patient.files.list()]
    create, upload_, deploy = results
    # A failed command changed nothing, unless an answer was lost after the service acted and its
    # line says so; one that succeeded made exactly one.
    assert_made_once_or_said_why(create, jobs.count("lost"), maybe="the job may have been created")
    assert_made_once_or_said_why(upload_, files.count(datasets[1].name), maybe="the file may have arrived")
    assert_made_once_or_said_why(deploy, _patiently(lambda: deployment_names(emu)).count("lost-base"),
                                 maybe="was dropped before an answer came")  # a PUT by name: sending it again is safe
    assert files.count(datasets[0].name) <= 1  # jobs create uploads its file first: at most once
    if create.returncode == 0:
        assert files.count(datasets[0].name) == 1 and json.loads(create.stdout)["suffix"] == "lost"
    if upload_.returncode == 0:
        assert json.loads(upload_.stdout)["filename"] == datasets[1].name


def _patiently(read):
    """Read through lost answers (a GET is safe to send again)."""
    for _ in range(30):
        try:
            return read()
        except httpx.TransportError:
            continue
    raise AssertionError("no answer in 30 tries")


# ---------------------------------------------------------------- the TUI


async def test_the_tui_keeps_its_panes_under_faults_on_both_planes(configured, fresh_emulator, monkeypatch):
    """Throttling, errors and lost answers on both planes: the deployments pane fills, the console
    says what is retried, keys act at once, and no background worker fails."""
    faulty = fresh_emulator("--faults", "429=0.2,500=0.1,reset=0.1,lost=0.1")
    deploy_through_faults(faulty, "faulty-base", BASE)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", faulty.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", faulty.url)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        said = app.query_one("#console").said
        await wait_until(pilot, lambda: "faulty-base" in app.resources["deployments"])
        await wait_until(pilot, lambda: any("retrying" in line for line in said))
        for key, pane in (("4", "deployments"), ("3", "files"), ("1", "jobs")):
            await pilot.press(key)
            assert app.focused.id == pane
    assert not [line for line in said if " failed: " in line], said  # what Worker.StateChanged says of a crashed worker

"""The CLI as scripts use it: `ftdeck ... --json` against a real emulator over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, jsonl, wait_for

BASE = "gpt-4o-mini-2024-07-18"
SUB, RG, ACCOUNT = ARM_DEPLOYMENTS.split("/")[2], ARM_DEPLOYMENTS.split("/")[4], ARM_DEPLOYMENTS.split("/")[8]


def env_for(emulator, tmp_path) -> dict[str, str]:
    """What a user exports to point ftdeck at a resource (here: a test emulator)."""
    return {
        **os.environ,
        "FTDECK_CONFIG": str(tmp_path / "config.toml"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "AZURE_OPENAI_ENDPOINT": emulator.url,
        "AZURE_OPENAI_API_KEY": API_KEY,
        "FTDECK_MANAGEMENT_ENDPOINT": emulator.url,
        "FTDECK_MANAGEMENT_TOKEN": API_KEY,
        "AZURE_SUBSCRIPTION_ID": SUB,
        "AZURE_RESOURCE_GROUP": RG,
        "AZURE_OPENAI_ACCOUNT": ACCOUNT,
    }


@pytest.fixture
def env(emulator, tmp_path) -> dict[str, str]:
    return env_for(emulator, tmp_path)


@pytest.fixture
def frozen_env(frozen_emulator, tmp_path) -> dict[str, str]:
    """Pointed at an emulator whose clock moves only when the test moves it: a job waits for the
    test, however long each command takes to start on this machine."""
    return env_for(frozen_emulator, tmp_path)


def uploaded_frozen(env: dict, emu, path: Path) -> str:
    """`files upload` to a frozen emulator; its clock is moved past the file's processing."""
    file_id = as_json(ftdeck(env, "files", "upload", str(path), "--reuse", "no", "--no-wait", "--json"))["id"]
    emu.advance(2.01)  # emulator.files.STAGE_SECONDS, pending then running
    return file_id


def ftdeck(env: dict, *args: str, check: bool = True, process: bool = False) -> subprocess.CompletedProcess:
    """`ftdeck ARGS` with `env` as its environment: through the installed script's entry point in
    this process (ten times cheaper), or as a real process (`process=True`) where what a shell
    sees (exit code, stdout, stderr) is the point."""
    if process:
        result = subprocess.run([sys.executable, "-m", "tui", *args], env=env, capture_output=True, text=True, timeout=120)
    else:
        result = in_process(env, list(args))
    if check and result.returncode != 0:
        raise AssertionError(f"ftdeck {' '.join(args)} exited {result.returncode}: {result.stderr}")
    assert "Traceback" not in result.stderr, result.stderr
    return result


def in_process(env: dict, args: list[str]) -> subprocess.CompletedProcess:
    from tui.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exit_:  # argparse's refusals
                code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess([sys.executable, "-m", "tui", *args], code, out.getvalue(), err.getvalue())


def as_json(result: subprocess.CompletedProcess):
    return json.loads(result.stdout)


@pytest.fixture
def dataset(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(chat_examples(12)))
    return path


def test_full_pipeline_upload_train_watch_results_deploy(env, dataset, tmp_path):
    uploaded = as_json(ftdeck(env, "files", "upload", str(dataset), "--reuse", "no", "--json"))
    assert uploaded["status"] == "processed" and uploaded["validation"]["examples"] == 12
    again = as_json(ftdeck(env, "files", "upload", str(dataset), "--reuse", "yes", "--json"))
    assert again["reused"] is True and again["id"] == uploaded["id"]

    job = as_json(ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", uploaded["id"], "--seed", "3", "--suffix", "cli", "--json"))
    assert job["status"] == "pending"
    watched = ftdeck(env, "jobs", "watch", job["id"], "--interval", "0.2")
    assert "Job succeeded." in watched.stdout and "status: succeeded" in watched.stdout

    done = as_json(ftdeck(env, "jobs", "show", job["id"], "--json"))
    assert done["fine_tuned_model"].endswith("-cli")
    events = as_json(ftdeck(env, "jobs", "events", job["id"], "--json"))
    assert events[0]["message"].startswith("Job enqueued") and events[-1]["message"].startswith("Training hours billed: ")
    assert "Job succeeded." in [e["message"] for e in events]
    checkpoints = as_json(ftdeck(env, "jobs", "checkpoints", job["id"], "--json"))
    assert len(checkpoints) == 3

    # A checkpoint is deployed by its id (fine-tuning-deploy); its name is refused before calling.
    earlier = checkpoints[-1]
    by_name = ftdeck(env, "deployments", "create", "cli-ckpt", "--model", earlier["fine_tuned_model_checkpoint"], check=False)
    assert by_name.returncode == 2 and by_name.stderr.count("\n") == 1
    assert "is a checkpoint's name; Azure takes a checkpoint by its id (ftchkpt-" in by_name.stderr
    by_id = as_json(ftdeck(env, "deployments", "create", "cli-ckpt", "--model", earlier["id"], "--wait", "--json"))
    assert by_id["model"] == earlier["id"] and by_id["state"] == "Succeeded"
    assert as_json(ftdeck(env, "deployments", "delete", "cli-ckpt", "--json"))["deleted"] is True

    csv_path = tmp_path / "results.csv"
    summary = as_json(ftdeck(env, "results", job["id"], "--csv", str(csv_path), "--json"))
    assert summary["steps"] == 36 and summary["train_loss"]["final"] < 5
    assert csv_path.read_text().startswith("step,train_loss")

    deployed = as_json(ftdeck(env, "deployments", "create", "cli-pirate", "--model", done["fine_tuned_model"], "--wait", "--json"))
    assert deployed["state"] == "Succeeded" and deployed["fine_tuned"] is True
    assert any("15 days" in note for note in deployed["notes"])
    assert as_json(ftdeck(env, "deployments", "show", "cli-pirate", "--json"))["days_left_at_most"] == 15
    # No source limits a fine-tuned model to one deployment: a second one is made.
    assert as_json(ftdeck(env, "deployments", "create", "cli-pirate-2", "--model", done["fine_tuned_model"], "--json"))["name"] == "cli-pirate-2"
    assert {"cli-pirate", "cli-pirate-2"} <= {d["name"] for d in as_json(ftdeck(env, "deployments", "list", "--json"))}
    assert as_json(ftdeck(env, "deployments", "delete", "cli-pirate", "--json"))["deleted"] is True
    assert as_json(ftdeck(env, "deployments", "delete", "cli-pirate-2", "--json"))["deleted"] is True
    models = as_json(ftdeck(env, "models", "list", "--json"))
    assert done["fine_tuned_model"] in [m["id"] for m in models]


def test_create_uploads_local_paths_and_refuses_bad_values_before_calling(env, dataset):
    job = as_json(ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", str(dataset), "--json"))
    assert job["training_file"].startswith("file-")
    for bad in (["--epochs", "0"], ["--suffix", "no spaces"], ["--lr-multiplier", "-1"], ["--beta", "0.2"]):
        result = ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", "file-x", *bad, check=False)
        assert result.returncode == 2 and result.stderr.startswith("ftdeck: ")
    unknown = ftdeck(env, "jobs", "create", "--model", "gpt-4o-2024-05-13", "--training-file", job["training_file"], check=False)
    assert unknown.returncode == 1 and "does not support fine-tuning" in unknown.stderr
    # Refused before calling: a checkpoint's name as the model, DPO on a model the DPO page does not list.
    named = ftdeck(env, "jobs", "create", "--model", f"{BASE}.ft-{'0' * 32}:ckpt-step-10", "--training-file", "file-x", check=False)
    assert named.returncode == 2 and "Azure takes a checkpoint by its id" in named.stderr
    nano = ftdeck(env, "jobs", "create", "--model", "gpt-4.1-nano-2025-04-14", "--method", "dpo", "--training-file", "file-x", check=False)
    assert nano.returncode == 2 and "gpt-4.1-nano-2025-04-14 does not support DPO" in nano.stderr


def test_watch_exits_1_when_the_job_fails(frozen_env, frozen_emulator, tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_bytes(jsonl(chat_examples(10)))
    file_id = uploaded_frozen(frozen_env, frozen_emulator, small)
    job = as_json(ftdeck(frozen_env, "jobs", "create", "--model", BASE, "--training-file", file_id, "--epochs", "40", "--json"))
    ftdeck(frozen_env, "jobs", "cancel", job["id"])  # still validating: the clock stands still
    watched = ftdeck(frozen_env, "jobs", "watch", job["id"], "--interval", "0.1", check=False, process=True)
    assert watched.returncode == 1 and "cancelled" in watched.stdout + watched.stderr


def test_upload_refuses_invalid_data_and_writes_nothing(env, tmp_path):
    before = {f["id"] for f in as_json(ftdeck(env, "files", "list", "--json"))}
    bad = tmp_path / "bad.jsonl"
    # (a user message alone would be reinforcement fine-tuning data: valid)
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "x"}]}\n' * 12)
    result = ftdeck(env, "files", "upload", str(bad), check=False, process=True)
    assert result.returncode == 1 and "line 1" in result.stderr and "nothing uploaded" in result.stderr
    assert {f["id"] for f in as_json(ftdeck(env, "files", "list", "--json"))} == before
    missing = ftdeck(env, "files", "upload", str(tmp_path / "nope.jsonl"), check=False, process=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_download_is_atomic_and_does_not_overwrite(env, dataset, tmp_path):
    file_id = as_json(ftdeck(env, "files", "upload", str(dataset), "--reuse", "yes", "--json"))["id"]
    target = tmp_path / "copy.jsonl"
    ftdeck(env, "files", "download", file_id, "-o", str(target))
    assert target.read_bytes() == dataset.read_bytes()
    refused = ftdeck(env, "files", "download", file_id, "-o", str(target), check=False)
    assert refused.returncode == 2 and "--force" in refused.stderr


def test_pause_resume_and_delete_through_the_cli(frozen_env, frozen_emulator, tmp_path):
    env, emu = frozen_env, frozen_emulator
    data = tmp_path / "long.jsonl"
    data.write_bytes(jsonl(chat_examples(30)))
    job = as_json(ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", uploaded_frozen(env, emu, data), "--epochs", "30", "--json"))
    refused = ftdeck(env, "jobs", "delete", job["id"], check=False)
    assert refused.returncode == 1 and "unexpectedEntityState" in refused.stderr
    status = lambda: as_json(ftdeck(env, "jobs", "show", job["id"], "--json"))["status"]  # noqa: E731
    emu.advance(4.01)  # validated: it starts
    wait_for(lambda: status() == "running")
    emu.advance(1.5)  # one step: it can be paused
    wait_for(lambda: as_json(ftdeck(env, "jobs", "show", job["id"], "--json"))["trained_tokens"])
    assert as_json(ftdeck(env, "jobs", "pause", job["id"], "--json"))["status"] == "pausing"
    emu.advance(2.0)  # emulator.jobs.PAUSE_SECONDS
    wait_for(lambda: status() == "paused")
    assert as_json(ftdeck(env, "jobs", "resume", job["id"], "--json"))["status"] == "resuming"
    ftdeck(env, "jobs", "cancel", job["id"])
    assert as_json(ftdeck(env, "jobs", "delete", job["id"], "--json"))["deleted"] is True


def test_config_show_hides_secrets_and_check_names_what_is_missing(env):
    shown = ftdeck(env, "config", "show")
    assert API_KEY not in shown.stdout and "set (hidden)" in shown.stdout
    assert as_json(ftdeck(env, "config", "check", "--json"))["management_plane"]["ok"] is True

    no_arm = {k: v for k, v in env.items() if k not in ("AZURE_SUBSCRIPTION_ID",)}
    check = ftdeck(no_arm, "config", "check", check=False)
    assert check.returncode == 1 and "AZURE_SUBSCRIPTION_ID" in check.stdout

    wrong_key = {**env, "AZURE_OPENAI_API_KEY": "sk-not-the-key-1234"}
    refused = ftdeck(wrong_key, "files", "list", check=False, process=True)
    assert refused.returncode == 1 and "Cognitive Services OpenAI Contributor" in refused.stderr
    assert "sk-not-the-key-1234" not in refused.stderr
    wrong_token = {**env, "FTDECK_MANAGEMENT_TOKEN": "nope"}
    assert "az account get-access-token" in ftdeck(wrong_token, "deployments", "list", check=False).stderr


def test_profiles_from_the_config_file(env, emulator, tmp_path):
    config = Path(env["FTDECK_CONFIG"])
    config.write_text(f'default_profile = "dev"\n[profiles.dev]\nendpoint = "{emulator.url}"\napi_key = "{API_KEY}"\n')
    clean = {k: v for k, v in env.items() if not k.startswith("AZURE_OPENAI")}
    assert as_json(ftdeck(clean, "config", "show", "--json"))["profile"] == "dev"
    ftdeck(clean, "files", "list")
    unknown = ftdeck(clean, "--profile", "prod", "files", "list", check=False)
    assert unknown.returncode == 2 and "No profile 'prod'" in unknown.stderr
    config.write_text("[profiles.dev]\nendpoint = 3\n")
    broken = ftdeck(clean, "--profile", "dev", "config", "show", check=False)
    assert broken.returncode == 2 and "endpoint" in broken.stderr
    assert ftdeck(clean, "config", "path").stdout.strip() == str(config)


def test_chat_streams_a_reply_in_the_trained_style(env, emulator):
    ftdeck(env, "deployments", "create", "cli-base", "--model", BASE, "--wait")
    result = ftdeck(env, "chat", "cli-base", "Tell me about bread", "--seed", "1", "--json")
    body = as_json(result)
    assert body["system"] is None  # a base deployment: no system message was sent
    [reply] = body["replies"]
    assert reply["deployment"] == "cli-base"
    assert reply["text"] and reply["finish_reason"] in ("stop", "length") and reply["completion_tokens"] > 0
    again = as_json(ftdeck(env, "chat", "cli-base", "Tell me about bread", "--seed", "1", "--json"))
    assert again["replies"][0]["text"] == reply["text"]
    told = as_json(ftdeck(env, "chat", "cli-base", "Tell me about bread", "--system", "Be brief.", "--json"))
    assert told["system"] == "Be brief." and told["replies"][0]["text"]
    missing = ftdeck(env, "chat", "no-such-deployment", "hi", check=False)
    assert missing.returncode == 1 and "DeploymentNotFound" in missing.stderr


def test_event_tail_never_refetches_what_it_holds(frozen_emulator):
    """Polling a running job fetches the new events and a small window of known ones, whatever the
    history size: steadily, after a burst (a late poll), and steadily again. The emulator's clock is
    frozen and moved step by step, so each poll meets exactly the events the test made."""
    import httpx
    from openai import AzureOpenAI

    from services.config import Profile
    from services.jobs import EventTail
    from services.workspace import Workspace
    from tests.conftest import upload_frozen, wait_for

    emu = frozen_emulator
    fetched: list[int] = []

    def count(response: httpx.Response) -> None:
        if "/events" in response.request.url.path:
            response.read()
            fetched.append(len(response.json()["data"]))

    client = emu.openai()
    job = client.fine_tuning.jobs.create(model=BASE, training_file=upload_frozen(emu, client, chat_examples(150)).id,
                                         hyperparameters={"n_epochs": 3})  # 450 steps, an event every 10
    ws = Workspace("test", Profile(endpoint=emu.url, api_key=API_KEY, api_version="2024-10-21"))
    ws._data = httpx.Client(event_hooks={"response": [count]})  # the SDK's requests and the listings'
    ws._openai = AzureOpenAI(azure_endpoint=emu.url, api_key=API_KEY, api_version="2024-10-21", http_client=ws._data)
    tail = EventTail(job.id)
    step = 0

    def newest() -> str:
        return client.fine_tuning.jobs.list_events(job.id, limit=1).data[0].message

    def train(events: int) -> None:
        """Move the clock on by `events` step events (10 steps each) and wait until the emulator has made them."""
        nonlocal step
        step += 10 * events
        emu.advance(10 * events * 1.5)  # emulator.jobs.EVENT_EVERY_STEPS, STEP_SECONDS
        wait_for(lambda: any(e.message.startswith(f"Step {step}:") for e in client.fine_tuning.jobs.list_events(job.id, limit=3)))

    def poll() -> tuple[int, int]:
        """(new events, known events re-read) of one poll."""
        fetched.clear()
        new = len(tail.poll(ws))
        return new, sum(fetched) - new

    emu.advance(4.01)  # validation, then the job starts (a margin, so steps land inside each advance)
    wait_for(lambda: newest() == "Job started.")
    assert poll()[0] >= 2  # the first poll reads the history so far
    steady = []
    for _ in range(20):  # a history longer than the burst to come
        train(1)
        steady.append(poll())
    burst_history = len(tail.events)
    train(15)  # a poll that comes late meets a burst
    burst = poll()
    after = []
    for _ in range(5):
        train(1)
        after.append(poll())
    train((450 - step) // 10)
    wait_for(lambda: newest().startswith("Training hours billed: "))
    tail.poll(ws)

    everything = [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)][::-1]
    assert [e["id"] for e in tail.events] == everything
    # Steady: each poll finds its one step event and re-reads at most a 5-event window.
    assert all(new == 1 and reread <= 5 for new, reread in steady + after), steady + after
    # A burst: its pages grow, so what is re-read stays under what was new, not the history.
    new, reread = burst
    assert new >= 15 and reread <= new < burst_history + 15, burst


def test_ten_examples_are_the_training_files_minimum_not_every_files(env, emulator, dataset, tmp_path):
    """"Fine tuning jobs will not proceed without at least 10 training examples": a 3-example file
    uploads (with a note: it may be a validation file), a job refuses it as its training file before
    creating anything, and takes it as its validation file."""
    small = tmp_path / "small.jsonl"
    small.write_bytes(jsonl(chat_examples(3, style="Ahoy there")))
    uploaded = ftdeck(env, "files", "upload", str(small), "--reuse", "no", "--json")
    assert as_json(uploaded)["status"] == "processed"
    assert "3 examples: a training file needs at least 10" in uploaded.stderr and uploaded.stderr.count("\n") == 1
    small_id = as_json(uploaded)["id"]

    client = emulator.openai()
    jobs_before = {j.id for j in client.fine_tuning.jobs.list(limit=100)}
    files_before = {f.id for f in client.files.list()}
    for training in (small_id, str(small)):
        refused = ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", training, check=False)
        assert refused.returncode == 2 and "a training file needs at least 10" in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1
    assert {j.id for j in client.fine_tuning.jobs.list(limit=100)} == jobs_before
    assert {f.id for f in client.files.list()} == files_before  # the local file was not uploaded either

    job = as_json(ftdeck(env, "jobs", "create", "--model", BASE, "--training-file", str(dataset),
                         "--validation-file", small_id, "--json"))
    assert job["validation_file"] == small_id and job["status"] == "pending"

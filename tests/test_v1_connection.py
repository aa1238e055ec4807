"""A profile on Azure's v1 API (`{endpoint}/openai/v1/`, no api-version) is a connection like any
other: the CLI workflow runs the same on both surfaces against the real emulator, and every
data-plane request goes where the chosen surface says.

Sources: MicrosoftDocs/azure-ai-docs api-version-lifecycle (`OpenAI(base_url=".../openai/v1/",
api_key=...)`, no api-version, an Entra token provider as api_key); Azure/azure-rest-api-specs
`OpenAI.v1/azure-v1-v1-generated.yaml` (paths; `DELETE /fine_tuning/jobs/{id}` absent; the optional
api-version's values `v1` and `preview`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from services.api_calls import Call, CallLog
from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, jsonl, wait_for
from tui.cli import main

BASE = "gpt-4o-mini-2024-07-18"
SUB, RG, ACCOUNT = ARM_DEPLOYMENTS.split("/")[2], ARM_DEPLOYMENTS.split("/")[4], ARM_DEPLOYMENTS.split("/")[8]


class Cli:
    """`ftdeck ...` in this process, on a profile of the chosen surface; records every API call."""

    def __init__(self, capsys, calls: list[Call]) -> None:
        self.capsys, self.calls = capsys, calls

    def run(self, *args: str, code: int = 0) -> str:
        self.capsys.readouterr()
        got = main(list(args))
        out = self.capsys.readouterr()
        assert got == code, f"ftdeck {' '.join(args)} exited {got}: {out.err}"
        assert "Traceback" not in out.err
        self.err = out.err
        return out.out

    def json(self, *args: str):
        return json.loads(self.run(*args, "--json"))

    def data_calls(self) -> list[Call]:
        return [c for c in self.calls if c.plane == "data"]


@pytest.fixture
def recorded(monkeypatch) -> list[Call]:
    """Every API call any workspace in this process makes (the real CallLog, listened to)."""
    calls: list[Call] = []
    add = CallLog.add

    def listened(log: CallLog, call: Call) -> None:
        calls.append(call)
        add(log, call)

    monkeypatch.setattr(CallLog, "add", listened)
    return calls


def point_at(emu, monkeypatch, tmp_path: Path, profile: str) -> Path:
    """What a user writes: a profile for the resource in the config file (here the test emulator),
    the key and the management plane from the environment; no other Azure variable set."""
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    config.write_text(f'default_profile = "azure"\n[profiles.azure]\nendpoint = "{emu.url}"\n{profile}')
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", emu.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_TOKEN", API_KEY)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", RG)
    monkeypatch.setenv("AZURE_OPENAI_ACCOUNT", ACCOUNT)
    return config


PROFILES = {"versioned": "", "v1": 'api = "v1"\n'}


@pytest.fixture(params=sorted(PROFILES))
def surface(request) -> str:
    return request.param


@pytest.fixture
def cli(surface, monkeypatch, tmp_path, capsys, recorded):
    """`cli(emu)`: ftdeck on a profile of this test's surface, pointed at `emu`."""

    def on(emu) -> Cli:
        point_at(emu, monkeypatch, tmp_path, PROFILES[surface])
        return Cli(capsys, recorded)

    return on


def assert_on_surface(calls: list[Call], surface: str) -> None:
    """Where it all went: /openai/v1/... with no api-version, or the versioned paths with one."""
    data_calls = [c for c in calls if c.plane == "data"]
    assert len(data_calls) > 5
    if surface == "v1":
        assert all(c.path.startswith("/openai/v1/") and c.api_version is None for c in data_calls), data_calls
    else:
        assert not any(c.path.startswith("/openai/v1/") for c in data_calls)
        assert all(c.api_version for c in data_calls)


def test_training_workflow_on_both_surfaces(cli, surface, frozen_emulator, tmp_path, recorded):
    """Upload, create, pause, resume, watch, events, checkpoints, cancel, delete: on a frozen clock,
    each state is there when the test looks."""
    emu = frozen_emulator
    ftdeck = cli(emu)
    shown = ftdeck.json("config", "show")
    assert shown["api"] == surface and (shown["api_version"] is None) == (surface == "v1")

    data = tmp_path / "train.jsonl"
    data.write_bytes(jsonl(chat_examples(12)))
    file_id = ftdeck.json("files", "upload", str(data), "--reuse", "no", "--no-wait")["id"]
    emu.advance(2.01)  # emulator.files.STAGE_SECONDS, pending then running
    assert ftdeck.json("files", "show", file_id)["status"] == "processed"
    assert file_id in [f["id"] for f in ftdeck.json("files", "list")]

    job = ftdeck.json("jobs", "create", "--model", BASE, "--training-file", file_id, "--seed", "3", "--suffix", surface)
    assert job["status"] == "pending"
    shown_job = lambda: ftdeck.json("jobs", "show", job["id"])  # noqa: E731
    emu.advance(4.01)  # validated: it starts
    wait_for(lambda: shown_job()["status"] == "running")
    emu.advance(1.5)  # one step: it can be paused
    wait_for(lambda: shown_job()["trained_tokens"])
    assert ftdeck.json("jobs", "pause", job["id"])["status"] == "pausing"
    emu.advance(2.01)  # emulator.jobs.PAUSE_SECONDS
    wait_for(lambda: shown_job()["status"] == "paused")
    assert ftdeck.json("jobs", "resume", job["id"])["status"] == "resuming"
    wait_for(lambda: emu.advance(30) and shown_job()["status"] == "succeeded")  # the rest of the training
    watched = ftdeck.run("jobs", "watch", job["id"], "--interval", "0.05")
    assert "Job succeeded." in watched and "status: succeeded" in watched
    done = shown_job()
    assert done["fine_tuned_model"].endswith(f"-{surface}")
    closing = [e["message"].split(":")[0] for e in ftdeck.json("jobs", "events", job["id"])[-4:]]
    assert closing == ["Job succeeded.", "Postprocessing started.", "Completed results file", "Training hours billed"]
    checkpoints = ftdeck.json("jobs", "checkpoints", job["id"])
    assert checkpoints and all(c["id"].startswith("ftchkpt-") for c in checkpoints)
    assert done["fine_tuned_model"] in [m["id"] for m in ftdeck.json("models", "list")]
    summary = ftdeck.json("results", job["id"], "--csv", str(tmp_path / "results.csv"))
    assert summary["steps"] == 36 and (tmp_path / "results.csv").read_text().startswith("step,train_loss")
    ftdeck.run("files", "download", file_id, "-o", str(tmp_path / "copy.jsonl"))
    assert (tmp_path / "copy.jsonl").read_bytes() == data.read_bytes()

    cancelled = ftdeck.json("jobs", "create", "--model", BASE, "--training-file", file_id)
    assert ftdeck.json("jobs", "cancel", cancelled["id"])["status"] == "cancelled"
    if surface == "v1":  # the v1 spec has no DELETE /fine_tuning/jobs/{id}: said, not sent
        ftdeck.run("jobs", "delete", cancelled["id"], code=2)
        assert "not part of Azure's v1 API" in ftdeck.err
        assert not any(c.method == "DELETE" and "/fine_tuning/" in c.path for c in recorded)
    else:
        assert ftdeck.json("jobs", "delete", cancelled["id"])["deleted"] is True
    assert ftdeck.json("files", "delete", file_id)["deleted"] is True
    assert_on_surface(recorded, surface)


def test_deploy_chat_and_delete_the_model_on_both_surfaces(cli, surface, emulator, tmp_path, recorded):
    """Train (on the fast emulator: streamed replies take real time); deploy the model, a base model
    by name and version and a checkpoint by id; update a capacity; chat, compare, delete."""
    ftdeck = cli(emulator)
    data = tmp_path / "train.jsonl"
    data.write_bytes(jsonl(chat_examples(10)))
    job = ftdeck.json("jobs", "create", "--model", BASE, "--training-file", str(data), "--seed", "4", "--suffix", f"chat-{surface}")
    ftdeck.run("jobs", "watch", job["id"], "--interval", "0.05")
    model = ftdeck.json("jobs", "show", job["id"])["fine_tuned_model"]

    tuned, base, checkpoint = f"tuned-{surface}", f"base-{surface}", f"ckpt-{surface}"
    ftdeck.json("deployments", "create", tuned, "--model", model, "--wait")
    # A base model by name and version, as the az CLI and SDK samples send it.
    made = ftdeck.json("deployments", "create", base, "--model", "gpt-4o-mini", "--model-version", "2024-07-18", "--wait")
    assert (made["model"], made["version"]) == ("gpt-4o-mini", "2024-07-18"), made
    # An earlier checkpoint by its id `ftchkpt-...` (fine-tuning-deploy), not by its name.
    earlier = [c for c in ftdeck.json("jobs", "checkpoints", job["id"]) if c["fine_tuned_model_checkpoint"] != model]
    assert earlier, "a 10-example job trains several epochs: an earlier checkpoint is kept"
    made = ftdeck.json("deployments", "create", checkpoint, "--model", earlier[0]["id"], "--wait")
    assert made["model"] == earlier[0]["id"], made  # echoed as sent
    updated = ftdeck.json("deployments", "update", checkpoint, "--capacity", "3")
    assert updated["capacity"] == 3, updated
    assert ftdeck.json("chat", checkpoint, "How do I fix my login problem?", "--max-tokens", "4")["replies"][0]["text"]
    ftdeck.json("deployments", "delete", checkpoint)
    reply = ftdeck.json("chat", tuned, "How do I fix my password problem?", "--seed", "1", "--max-tokens", "8")["replies"][0]
    assert reply["text"] and reply["completion_tokens"] > 0
    compared = ftdeck.json("chat", tuned, "How do I fix my invoice problem?", "--compare", base, "--seed", "1", "--max-tokens", "8")
    assert compared
    ftdeck.run("chat", "no-such-deployment", "hi", code=1)
    assert "DeploymentNotFound" in ftdeck.err
    ftdeck.json("deployments", "delete", tuned)
    ftdeck.json("deployments", "delete", base)

    if surface == "v1":  # `DELETE /openai/v1/models/{model}` exists only on v1
        assert ftdeck.json("models", "delete", model)["deleted"] is True
        assert model not in [m["id"] for m in ftdeck.json("models", "list")]
        assert any(c.method == "DELETE" and c.path == f"/openai/v1/models/{model}" for c in recorded)
        assert any(c.path == "/openai/v1/chat/completions" for c in recorded)
    assert_on_surface(recorded, surface)


def test_openai_api_version_v1_chooses_the_v1_api(emulator, monkeypatch, tmp_path, capsys, recorded):
    """The variable the openai SDK and Azure's samples already use; it overrides the profile, as the
    other variables do: "v1" for the v1 API, a date for that version."""
    point_at(emulator, monkeypatch, tmp_path, "")
    cli = Cli(capsys, recorded)
    monkeypatch.setenv("OPENAI_API_VERSION", "v1")
    assert cli.json("config", "show")["api"] == "v1"
    shown = cli.run("config", "show").splitlines()
    assert "api                     v1" in shown and "api_version             -" in shown
    check = cli.json("config", "check")
    assert check["data_plane"]["ok"] and "v1 API" in check["data_plane"]["detail"]
    cli.json("jobs", "list")
    assert {c.path for c in cli.data_calls()} == {"/openai/v1/files", "/openai/v1/fine_tuning/jobs"}

    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    assert cli.json("config", "show")["api"] == "versioned"


@pytest.mark.parametrize(
    ("variables", "profile", "says"),
    [
        ({"OPENAI_API_VERSION": "latest"}, "", "OPENAI_API_VERSION='latest' is not an api-version"),
        ({"OPENAI_API_VERSION": " "}, "", "OPENAI_API_VERSION=' ' is set but empty"),
        ({"OPENAI_API_VERSION": "preview"}, "", "OPENAI_API_VERSION='preview' is the v1 API's preview: ftdeck calls the GA v1 API, set v1"),
        ({}, 'api = "V1"\n', "profiles.azure.api"),
        ({}, 'api = "v1"\napi_version = "2024-10-21"\n', 'sends no api-version, but api_version is "2024-10-21"'),
        ({}, 'api_version = "2024-1021"\n', "'2024-1021' is not an api-version"),
    ],
)
def test_bad_surface_settings_are_refused_in_one_line(variables, profile, says, emulator, monkeypatch, tmp_path, capsys, recorded):
    point_at(emulator, monkeypatch, tmp_path, profile)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    cli = Cli(capsys, recorded)
    cli.run("files", "list", code=2)
    assert says in cli.err and len(cli.err.strip().splitlines()) == 1 and API_KEY not in cli.err
    assert recorded == []  # nothing was sent


def test_the_docs_base_url_as_endpoint_is_refused_with_the_fix(emulator, monkeypatch, tmp_path, capsys, recorded):
    point_at(emulator, monkeypatch, tmp_path, "")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator.url + "/openai/v1/")
    cli = Cli(capsys, recorded)
    cli.run("files", "list", code=2)
    assert f'give the resource\'s address alone, {emulator.url}, with api = "v1"' in cli.err


def test_config_set_writes_the_surface(emulator, monkeypatch, tmp_path, capsys, recorded):
    config = point_at(emulator, monkeypatch, tmp_path, 'api_version = "2024-10-21"\n')
    cli = Cli(capsys, recorded)
    cli.run("config", "set", "azure", "--api", "v1", code=2)  # and the dated version beside it?
    assert "remove api_version" in cli.err and "nothing written" in cli.err
    saved = cli.json("config", "set", "azure", "--api", "v1", "--unset", "api_version")
    assert saved["settings"]["api"] == "v1" and 'api = "v1"' in config.read_text()
    cli.json("files", "list")
    assert recorded[-1].path == "/openai/v1/files"
    assert cli.json("config", "set", "azure", "--unset", "api")["settings"]["api"] == "versioned"


def test_a_v1_profile_without_a_key_never_sends_another_services_key(emulator, monkeypatch, tmp_path, capsys, recorded):
    """The plain OpenAI client falls back to OPENAI_API_KEY, a key for api.openai.com."""
    point_at(emulator, monkeypatch, tmp_path, 'api = "v1"\n')
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-not-for-azure")
    cli = Cli(capsys, recorded)
    cli.run("files", "list", code=2)
    assert "no key for the data plane" in cli.err and recorded == []


async def test_the_tui_and_its_playground_on_the_v1_api(configured, emulator, monkeypatch):
    """The deck (header, jobs, events, checkpoints) and the playground's A/B, on a v1 connection."""
    from tests.conftest import wait_until
    from tests.test_playground import POLLY, train_and_deploy
    from tui.app import FtdeckApp
    from tui.screens.playground import PlaygroundScreen
    from widgets.event_log import EventLog
    from widgets.resource_table import ResourceTable

    job = train_and_deploy(emulator, "v1tui")
    monkeypatch.setenv("OPENAI_API_VERSION", "v1")
    app = FtdeckApp()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = app.query_one("#jobs", ResourceTable)
        await wait_until(pilot, lambda: job.id in {key.value for key in jobs.rows} and app.details_ready)
        assert "api v1 ·" in str(app.query_one("#status").render())
        jobs.focus()
        jobs.move_cursor(row=[k.value for k in jobs.rows].index(job.id))
        await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in app.query_one(EventLog).lines))
        await wait_until(pilot, lambda: app.query_one("#checkpoints", ResourceTable).row_count == 3)

        screen = PlaygroundScreen(app.workspace, ["v1tui-base", "v1tui-ft"], "v1tui-base", "v1tui-ft")
        await app.push_screen(screen)
        await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))
        assert screen.query_one("#system-0").text == POLLY  # read from the training file, on v1
        screen.query_one("#prompt").focus()
        await pilot.press(*"Where is my invoice?", "enter")
        await wait_until(pilot, lambda: screen.conversation.turns and not screen.busy)
        replies = screen.conversation.turns[0].replies
        assert all(r.text and r.error is None for r in replies), replies
        data_calls = [c for c in app.workspace.calls.recent() if c.plane == "data"]
    assert data_calls and all(c.path.startswith("/openai/v1/") and c.api_version is None for c in data_calls)
    assert any(c.path == "/openai/v1/chat/completions" for c in data_calls)


def test_entra_id_on_the_v1_api(emulator, monkeypatch, tmp_path, capsys, recorded):
    """auth = "entra" on v1: a token of the Cognitive Services scope as the bearer, as Azure's docs
    write it (`api_key=get_bearer_token_provider(credential, "https://cognitiveservices.azure.com/.default")`)."""
    from services.workspace import Workspace
    from tests.test_published_samples import TokenCredential

    point_at(emulator, monkeypatch, tmp_path, 'api = "v1"\nauth = "entra"\n')
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    credential = TokenCredential()  # in place of DefaultAzureCredential: no Entra ID here
    monkeypatch.setattr(Workspace, "credential", lambda self: credential)
    cli = Cli(capsys, recorded)
    cli.json("files", "list")
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]
    # (Another test's leftover thread may log a call of its own in this process: only ours are read.)
    assert [(c.path, c.status) for c in recorded if "/files" in c.path] == [("/openai/v1/files", 200)]

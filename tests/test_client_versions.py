"""ftdeck sends each api-version only what that version has (issue 15 §1): preview features chosen by the
version's date, files paged only where Files_List declares paging (and never for ever), models deleted
on the v1 surface, the only one that has the operation. Sources: services/api_versions.py."""

from __future__ import annotations

import openai
import pytest
from pydantic import SecretStr

from services.config import PREVIEW_VERSION, Profile
from services.files import list_files
from services.workspace import Workspace, open_workspace
from tests.conftest import API_KEY, PREVIEW, chat_examples, upload, upload_frozen, wait_for, wait_for_job
from tests.hostile_server import HostileServer, json_answer

BASE = "gpt-4o-mini-2024-07-18"
UPGRADE = {"extra_query": {"api-version": PREVIEW_VERSION}}


def workspace(endpoint: str, version: str) -> Workspace:
    return Workspace("test", Profile(endpoint=endpoint, api_key=SecretStr(API_KEY), api_version=version))


@pytest.mark.parametrize(("version", "options"), [
    ("2024-10-21", UPGRADE),
    ("2024-05-01-preview", UPGRADE),  # a preview, yet dated before pause, trainingType and DPO were documented
    ("2025-03-01-preview", UPGRADE),  # has `method`, not pause
    ("2025-04-01-preview", {}),
    ("2025-09-01-preview", {}),
    ("v1", {}),
])
def test_preview_features_are_chosen_by_the_versions_date(version, options):
    assert workspace("https://res.openai.azure.com", version).preview() == options


def test_pause_works_on_a_preview_profile_dated_before_pause(frozen_emulator, monkeypatch, tmp_path):
    emu = frozen_emulator
    client = emu.openai()
    job = client.fine_tuning.jobs.create(model=BASE, training_file=upload_frozen(emu, client, chat_examples(30)).id,
                                         hyperparameters={"n_epochs": 30})
    emu.advance(4.01)  # validated: it starts
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).status == "running")
    emu.advance(1.5)  # one step done: it can be paused
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).trained_tokens)
    from services.jobs import pause_job

    ws = workspace(emu.url, "2025-03-01-preview")  # no FineTuning_Pause in this version's spec
    try:
        assert pause_job(ws, job.id)["status"] == "pausing"
    finally:
        ws.close()


def test_files_are_asked_for_once_where_the_version_declares_no_paging(emulator, client):
    for _ in range(3):
        upload(client, chat_examples(10))
    ws = workspace(emulator.url, "2024-10-21")  # Files_List takes only `purpose`: no limit, no after
    try:
        sent: list = []
        ws.calls.subscribe(sent.append)
        everything = list_files(ws)
        assert len(sent) == 1 and len(everything) >= 3
        assert list_files(ws, page_size=1) == everything  # page_size cannot be asked of this version
        assert {f["id"] for f in list_files(ws, "fine-tune")} <= {f["id"] for f in everything}
    finally:
        ws.close()


def test_a_server_that_ignores_after_is_not_asked_for_ever():
    files = [{"id": f"file-{n}", "object": "file", "bytes": 1, "created_at": 0, "filename": f"{n}.jsonl",
              "purpose": "fine-tune", "status": "processed"} for n in range(2)]
    # Every answer the same first page, and no has_more: what a server that ignores `after` answers.
    server = HostileServer(lambda method, path: json_answer({"object": "list", "data": files}) if len(server.requests) < 20
                           else json_answer({"error": {"code": "stop", "message": "asked too often"}}, 500))
    ws = workspace(server.url, PREVIEW)
    try:
        assert [f["id"] for f in list_files(ws)] == ["file-0", "file-1"]
        assert len(server.requests) == 2  # the second page brought nothing new: done
    finally:
        ws.close()
        server.close()


def test_models_delete_goes_to_the_v1_surface(emulator, client, configured, capsys):
    from tui.cli import main

    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=upload(client, chat_examples(10)).id).id)
    ws = open_workspace(None)
    assert ws.profile.api_version == "2024-10-21"  # the default profile: a versioned one
    ws.close()
    assert main(["models", "delete", job.fine_tuned_model]) == 0
    assert capsys.readouterr().out.strip() == f"deleted {job.fine_tuned_model}"
    assert job.fine_tuned_model not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):  # and once gone, v1 says so
        openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0).models.delete(job.fine_tuned_model)

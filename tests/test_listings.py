"""Listings read without the openai SDK (Workspace.get_json, services/sdk_shapes.py): the same jobs
and files as the SDK's model_dump() gives, the same failures in the same words, and a listing
command that never imports the SDK (whose import costs a second)."""

from __future__ import annotations

import subprocess
import sys
import types
import typing

import openai
import pydantic
import pytest
from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob

from conftest import API_KEY, chat_examples, upload, wait_for_job
from hostile_server import HostileServer, json_answer, page
from services import files, jobs, sdk_shapes
from services.config import Profile
from services.errors import FtdeckError, explain_openai_error
from services.retries import RetryPolicy
from services.workspace import Workspace

BASE = "gpt-4o-mini-2024-07-18"

def sdk_shape(model: type[pydantic.BaseModel]) -> dict:
    """The fields model_dump() gives, nested models' as their own shapes."""
    shape: dict = {}
    for name, info in model.model_fields.items():
        hint = info.annotation
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] if union else [hint]
        nested = len(kinds) == 1 and isinstance(kinds[0], type) and issubclass(kinds[0], pydantic.BaseModel)
        shape[name] = sdk_shape(kinds[0]) if nested else None
    return shape


def test_the_shapes_are_the_installed_sdks():
    assert sdk_shapes.JOB == sdk_shape(FineTuningJob)
    assert sdk_shapes.FILE == sdk_shape(FileObject)


def workspace(url: str, api_version: str = "2025-04-01-preview", retries: RetryPolicy | None = None) -> Workspace:
    return Workspace("test", Profile(endpoint=url, api_key=API_KEY, api_version=api_version), retries=retries or RetryPolicy())


def test_jobs_and_files_are_listed_as_the_sdk_dumps_them(emulator, client):
    training = upload(client, chat_examples(10)).id
    supervised = client.fine_tuning.jobs.create(model=BASE, training_file=training, suffix="listed")
    dpo = client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=upload(client, [
        {"input": {"messages": [{"role": "user", "content": f"hi {i}"}]}, "preferred_output": [{"role": "assistant", "content": "arr"}],
         "non_preferred_output": [{"role": "assistant", "content": "hello"}]} for i in range(10)]).id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}})
    ours = {supervised.id, dpo.id}
    for job in ours:
        wait_for_job(client, job)  # finished: nothing changes between the two listings
    ws = workspace(emulator.url)
    try:
        listed = [j for j in jobs.list_jobs(ws, 100) if j["id"] in ours]
        assert len(listed) == 2
        assert listed == [j.model_dump() for j in client.fine_tuning.jobs.list(limit=100).data if j.id in ours]
        assert list(listed[0]) == list(FineTuningJob.model_fields) + [k for k in listed[0] if k not in FineTuningJob.model_fields]
        settled = lambda f: f["status"] in ("processed", "error")  # noqa: E731  (others' uploads may be processing)
        assert [f for f in files.list_files(ws) if settled(f)] == [f.model_dump() for f in client.files.list() if settled(f.model_dump())]
    finally:
        ws.close()


@pytest.mark.parametrize("answer", [
    json_answer({"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}, 401),
    json_answer({"error": {"code": "invalidPayload", "message": "limit must be a whole number."}}, 400),
    json_answer({"error": {"code": "429", "message": "Requests exceeded the rate limit."}}, 429, **{"retry-after": "86400"}),
    json_answer({"detail": "no error object"}, 404),
    page("<html><title>Bad gateway</title></html>", 502),
], ids=["401", "400", "429", "404-no-error", "502-page"])
def test_a_refused_listing_is_worded_as_the_sdks_refusal(answer):
    server = HostileServer(lambda method, path: answer)
    ws = workspace(server.url, "2024-10-21", RetryPolicy(deadline=0))  # the answer as it is, not tried again
    sdk = openai.AzureOpenAI(azure_endpoint=server.url, api_key=API_KEY, api_version="2024-10-21", max_retries=0)
    try:
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.fine_tuning.jobs.list(limit=50)
        expected = explain_openai_error(raised.value)
        with pytest.raises(FtdeckError) as ours:
            jobs.list_jobs(ws)
        assert (type(ours.value), str(ours.value), ours.value.exit_code) == (type(expected), str(expected), expected.exit_code)
        sent = [r for r in server.requests if r[0] == "GET"]
        assert sent[0] == sent[-1] == ("GET", "/openai/fine_tuning/jobs")
    finally:
        ws.close()
        server.close()


def test_listing_jobs_from_the_cli_imports_neither_the_sdk_nor_textual(configured, client):
    upload(client, chat_examples(10))
    program = ("import sys; from tui.cli import main; code = main(['jobs', 'list', '--json']); "
               "heavy = [m for m in ('openai', 'textual', 'pydantic_settings', 'multiprocessing') if m in sys.modules]; "
               "print('imported:', heavy, file=sys.stderr); sys.exit(code or bool(heavy))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("[") and "imported: []" in done.stderr

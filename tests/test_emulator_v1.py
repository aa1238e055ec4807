"""Azure's v1 surface (/openai/v1, no api-version) driven by the plain `openai.OpenAI` client, as
Azure's docs write it: `OpenAI(base_url=".../openai/v1/", api_key=...)`."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import API_KEY, chat_examples, upload, wait_for, wait_for_job
from tests.test_emulator_deployments import deploy

BASE = "gpt-4o-mini-2024-07-18"


def v1_client(emulator, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0, **kwargs)


@pytest.fixture(scope="module")
def v1(emulator) -> openai.OpenAI:
    return v1_client(emulator)


@pytest.fixture(scope="module")
def trained(v1):
    """A job trained end to end through the v1 client."""
    data = upload(v1, chat_examples(20))
    assert data.status == "processed"
    job = v1.fine_tuning.jobs.create(model=BASE, training_file=data.id, seed=5)
    assert job.status == "pending"
    return wait_for_job(v1, job.id)


def test_files_on_v1(v1):
    created = v1.files.create(file=("v1.jsonl", b'{"messages": []}\n'), purpose="fine-tune")
    assert created.id.startswith("file-")
    assert created.id in [f.id for f in v1.files.list()]
    assert v1.files.retrieve(created.id).filename == "v1.jsonl"
    assert v1.files.content(created.id).content == b'{"messages": []}\n'
    assert v1.files.delete(created.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        v1.files.retrieve(created.id)


def test_creations_answer_200_as_the_v1_spec_declares(emulator):
    http = httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {API_KEY}"})
    upload_answer = http.post("/openai/v1/files", files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "fine-tune"})
    assert upload_answer.status_code == 200, upload_answer.text
    versioned = emulator.http().post("/openai/files", files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "fine-tune"})
    assert versioned.status_code == 201


def test_fine_tuning_round_trip_on_v1(v1, trained):
    assert trained.status == "succeeded" and trained.fine_tuned_model
    assert trained.id in [j.id for j in v1.fine_tuning.jobs.list()]
    events = v1.fine_tuning.jobs.list_events(trained.id, limit=50).data
    assert events[0].message.startswith("Training hours billed: ") and events[3].message == "Job succeeded."
    checkpoints = v1.fine_tuning.jobs.checkpoints.list(trained.id).data
    assert checkpoints and all(c.id.startswith("ftchkpt-") for c in checkpoints)
    results = v1.files.content(trained.result_files[0]).text
    assert results.startswith("step,train_loss")


def test_cancel_pause_resume_on_v1(v1):
    data = upload(v1, chat_examples(30)).id
    job = v1.fine_tuning.jobs.create(model=BASE, training_file=data, hyperparameters={"n_epochs": 20})
    wait_for(lambda: [e for e in v1.fine_tuning.jobs.list_events(job.id, limit=5) if e.type == "metrics"])
    assert v1.fine_tuning.jobs.pause(job.id).status == "pausing"
    wait_for_job(v1, job.id, statuses=("paused",))
    assert v1.fine_tuning.jobs.resume(job.id).status == "resuming"
    assert v1.fine_tuning.jobs.cancel(job.id).status == "cancelled"


def test_models_list_get_and_delete_on_v1(emulator, v1, trained):
    model = trained.fine_tuned_model
    assert model in [m.id for m in v1.models.list()]
    assert v1.models.retrieve(model).id == model
    deploy(emulator.arm(), "v1-held", model)
    with pytest.raises(openai.ConflictError):  # a deployed model cannot be deleted
        v1.models.delete(model)
    deleting = emulator.arm().delete("/v1-held")  # long-running: the model is held until the deployment is gone
    assert deleting.status_code == 202
    wait_for(lambda: emulator.arm().get(deleting.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded")
    deleted = v1.models.delete(model)
    assert deleted.id == model and deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        v1.models.retrieve(model)


def test_chat_with_the_deployment_in_model(emulator, v1):
    deploy(emulator.arm(), "v1-chat", BASE)
    reply = v1.chat.completions.create(model="v1-chat", messages=[{"role": "user", "content": "Tell me about tea"}], seed=4)
    assert reply.choices[0].message.content
    versioned = emulator.openai().chat.completions.create(
        model="v1-chat", messages=[{"role": "user", "content": "Tell me about tea"}], seed=4
    )
    assert reply.choices[0].message.content == versioned.choices[0].message.content
    streamed = v1.chat.completions.create(model="v1-chat", messages=[{"role": "user", "content": "Tell me about tea"}],
                                          seed=4, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == reply.choices[0].message.content

    with pytest.raises(openai.NotFoundError) as missing:
        v1.chat.completions.create(model="no-such-deployment", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.body["code"] == "DeploymentNotFound"


def test_api_version_is_optional_and_only_v1_or_preview(emulator):
    http = httpx.Client(base_url=emulator.url, headers={"api-key": API_KEY})
    assert http.get("/openai/v1/models").status_code == 200
    assert http.get("/openai/v1/models", params={"api-version": "v1"}).status_code == 200
    assert http.get("/openai/v1/models", params={"api-version": "preview"}).status_code == 200
    dated = http.get("/openai/v1/models", params={"api-version": "2024-10-21"})
    assert dated.status_code == 400 and "'2024-10-21'" in dated.json()["error"]["message"]
    # The docs' Entra ID sample: the Azure client on the v1 path with api_version="preview".
    azure = openai.AzureOpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, api_version="preview")
    assert azure.models.list().data


def test_v1_checks_the_key_both_ways(fresh_emulator):
    keyed = fresh_emulator()
    assert v1_client(keyed).models.list().data  # Authorization: Bearer KEY, what the OpenAI client sends
    http = httpx.Client(base_url=keyed.url)
    assert http.get("/openai/v1/models", headers={"api-key": API_KEY}).status_code == 200
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=keyed.url + "/openai/v1/", api_key="wrong", max_retries=0).models.list()


def test_v1_has_only_the_operations_its_spec_lists(emulator):
    http = httpx.Client(base_url=emulator.url, headers={"api-key": API_KEY})
    for method, path in [("POST", "/openai/v1/files/import"), ("DELETE", "/openai/v1/fine_tuning/jobs/ftjob-x"),
                         ("POST", "/openai/v1/deployments/x/chat/completions")]:
        answer = http.request(method, path, json={})
        assert answer.status_code == 404 and answer.json() == {"error": {"code": "404", "message": "Resource not found"}}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/openai/no-such-thing"),
        ("GET", "/nothing-here"),
        ("GET", "/openai/v1/no-such-thing"),
        ("GET", "/openai/deployments/x/chat/completions"),  # a route, but not this method
        ("PUT", "/openai/v1/files"),
    ],
)
def test_unknown_routes_and_methods_answer_azure_json(emulator, method, path):
    answer = httpx.request(method, emulator.url + path, params={"api-version": "2024-10-21"}, headers={"api-key": API_KEY})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_unknown_management_routes_answer_arm_json(emulator):
    arm = emulator.arm()
    wrong_method = arm.post("/some-deployment")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "MethodNotAllowed"
    unknown = arm.get(emulator.url + "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/nope")
    assert unknown.status_code == 404 and set(unknown.json()["error"]) == {"code", "message", "target", "details"}

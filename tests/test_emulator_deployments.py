"""Deployments on the management plane (plain httpx, ARM shapes) and chat against them (openai SDK)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from emulator.catalog import BASE_MODELS, name_and_version
from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, upload, wait_for, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"


def deploy_body(model: str, sku: str = "standard", capacity: int = 1) -> dict:
    """A base model as name + version (`gpt-4o-mini` + `2024-07-18`), anything else as its id + "1"."""
    name, version = name_and_version(model) if model in BASE_MODELS else (model, "1")
    return {"sku": {"name": sku, "capacity": capacity}, "properties": {"model": {"format": "OpenAI", "name": name, "version": version}}}


def deploy(arm, name: str, model: str) -> dict:
    response = arm.put(f"/{name}", json=deploy_body(model))
    assert response.status_code in (200, 201), response.text
    wait_for(lambda: arm.get(f"/{name}").json()["properties"]["provisioningState"] == "Succeeded")
    return response.json()


@pytest.fixture(scope="module")
def trained(emulator):
    """A finished pirate-style job: (job, fine-tuned model)."""
    client = emulator.openai()
    data = upload(client, chat_examples(20)).id
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=9).id)
    assert job.status == "succeeded"
    return job


def test_deploy_lifecycle_in_arm_shapes(emulator, trained):
    arm = emulator.arm()
    response = arm.put("/pirate-lifecycle", json=deploy_body(trained.fine_tuned_model))
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "pirate-lifecycle"
    assert body["type"] == "Microsoft.CognitiveServices/accounts/deployments"
    assert body["id"] == ARM_DEPLOYMENTS + "/pirate-lifecycle"
    assert body["properties"]["provisioningState"] == "Creating"
    assert body["properties"]["model"]["name"] == trained.fine_tuned_model

    operation = response.headers["Azure-AsyncOperation"]
    status = wait_for(lambda: (s := arm.get(operation).json()["status"]) == "Succeeded" and s)
    assert status == "Succeeded"
    assert arm.get("/pirate-lifecycle").json()["properties"]["provisioningState"] == "Succeeded"
    assert "pirate-lifecycle" in [d["name"] for d in arm.get(emulator.url + ARM_DEPLOYMENTS).json()["value"]]

    # No source limits a fine-tuned model to one deployment (spec section 7): a second one is made.
    assert arm.put("/pirate-again", json=deploy_body(trained.fine_tuned_model)).status_code == 201
    arm.delete("/pirate-again")

    # A fine-tuned model cannot be deleted while deployed (models delete exists only on the v1 surface).
    v1 = openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.ConflictError):
        v1.models.delete(trained.fine_tuned_model)

    deleted = arm.delete("/pirate-lifecycle")
    assert deleted.status_code == 202 and "Azure-AsyncOperation" in deleted.headers
    assert wait_for(lambda: arm.get(deleted.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded")
    missing = arm.get("/pirate-lifecycle")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "DeploymentNotFound"
    assert arm.delete("/pirate-lifecycle").status_code == 204


def test_deploy_checkpoint_and_base_model(emulator, trained):
    arm = emulator.arm()
    checkpoint = emulator.openai().fine_tuning.jobs.checkpoints.list(trained.id).data[-1]
    assert deploy(arm, "from-checkpoint", checkpoint.id)["properties"]["model"]["name"] == checkpoint.id
    deploy(arm, "base-a", BASE)
    deploy(arm, "base-b", BASE)  # base models may be deployed more than once


def test_a_checkpoint_is_deployed_by_its_id_not_its_name(emulator, trained):
    """fine-tuning-deploy: "deploy a checkpoint, by passing the checkpoint ID ... ftchkpt-..."."""
    checkpoint = emulator.openai().fine_tuning.jobs.checkpoints.list(trained.id).data[-1]
    assert checkpoint.fine_tuned_model_checkpoint.endswith(":ckpt-step-20")
    refused = emulator.arm().put("/by-name", json=deploy_body(checkpoint.fine_tuned_model_checkpoint))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "DeploymentModelNotSupported"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (deploy_body(BASE, sku="Premium"), 400, "InvalidResourceProperties"),
        (deploy_body(BASE, capacity=0), 400, "InvalidResourceProperties"),
        (deploy_body("gpt-99"), 400, "DeploymentModelNotSupported"),
        ({"sku": {"name": "standard"}}, 400, "InvalidResourceProperties"),
    ],
)
def test_bad_deployments_get_arm_errors(emulator, body, status, code):
    response = emulator.arm().put("/bad", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_management_plane_needs_the_bearer_token_and_api_version(emulator):
    arm = emulator.arm()
    assert arm.get(emulator.url + ARM_DEPLOYMENTS, headers={"Authorization": "Bearer wrong"}).status_code == 401
    no_auth = arm.get(emulator.url + ARM_DEPLOYMENTS, headers={"Authorization": ""})
    assert no_auth.status_code == 401
    missing_version = httpx.get(emulator.url + ARM_DEPLOYMENTS, headers={"Authorization": f"Bearer {API_KEY}"})
    assert missing_version.status_code == 400
    assert missing_version.json()["error"]["code"] == "MissingApiVersionParameter"


def test_chat_with_a_fine_tuned_deployment(emulator, trained):
    deploy(emulator.arm(), "pirate-chat", trained.fine_tuned_model)
    deploy(emulator.arm(), "base-chat", BASE)
    client = emulator.openai()
    messages = [{"role": "system", "content": "You are Cap'n Byte, a pirate support bot."},
                {"role": "user", "content": "How do I fix my invoice problem?"}]
    reply = client.chat.completions.create(model="pirate-chat", messages=messages, seed=1)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.model == trained.fine_tuned_model
    text = reply.choices[0].message.content
    assert "matey" in text.lower() or "savvy" in text.lower() or "ye " in text.lower(), text
    base_text = client.chat.completions.create(model="base-chat", messages=messages, seed=1).choices[0].message.content
    assert "matey" not in base_text.lower() and "savvy" not in base_text.lower(), base_text
    # Same seed, same answer.
    again = client.chat.completions.create(model="pirate-chat", messages=messages, seed=1)
    assert again.choices[0].message.content == text
    short = client.chat.completions.create(model="pirate-chat", messages=messages, max_tokens=3)
    assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3


def test_streaming_in_azure_shape(emulator, trained):
    deploy(emulator.arm(), "base-stream", BASE)
    http = emulator.http()
    body = {"messages": [{"role": "user", "content": "Tell me about tea"}], "stream": True,
            "stream_options": {"include_usage": True}, "seed": 3}
    with http.stream("POST", "/openai/deployments/base-stream/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert chunks[0]["choices"] == [] and chunks[0]["prompt_filter_results"][0]["prompt_index"] == 0
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    plain = emulator.openai().chat.completions.create(model="base-stream", messages=body["messages"], seed=3)
    assert streamed == plain.choices[0].message.content

    # The SDK reads the same stream.
    stream = emulator.openai().chat.completions.create(model="base-stream", messages=body["messages"], seed=3, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == streamed


def test_unknown_deployment_is_404_deployment_not_found(emulator):
    with pytest.raises(openai.NotFoundError) as raised:
        emulator.openai(max_retries=0).chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["code"] == "DeploymentNotFound"
    assert "does not exist" in raised.value.body["message"]


def test_models_list_base_and_fine_tuned(emulator, trained):
    models = {m.id: m for m in emulator.openai().models.list()}
    assert models[BASE].capabilities["fine_tune"] is True  # type: ignore[index]
    assert models["gpt-4o-2024-05-13"].capabilities["fine_tune"] is False  # type: ignore[index]
    assert trained.fine_tuned_model in models
    assert emulator.openai().models.retrieve(trained.fine_tuned_model).id == trained.fine_tuned_model


def test_idle_fine_tuned_deployments_are_deleted_after_15_days(fresh_emulator):
    emu = fresh_emulator(speed=100)
    client = emu.openai()
    data = upload(client, chat_examples(10)).id
    model = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data).id).fine_tuned_model
    arm, http = emu.arm(), emu.http()
    deploy(arm, "idle", model)
    deploy(arm, "base", BASE)
    advance = lambda days: http.post("/_emulator/clock", json={"advance_days": days}).raise_for_status()  # noqa: E731

    advance(10)
    client.chat.completions.create(model="idle", messages=[{"role": "user", "content": "still here?"}])
    advance(10)  # used 10 days ago: kept
    assert arm.get("/idle").status_code == 200
    advance(6)  # idle for 16 days: gone; the model stays and base deployments are never expired
    assert arm.get("/idle").status_code == 404
    assert arm.get("/base").status_code == 200
    assert client.models.retrieve(model).id == model


def test_clock_endpoint_needs_the_key(emulator):
    assert httpx.post(emulator.url + "/_emulator/clock", json={"advance_days": 1}).status_code == 401
    assert httpx.get(emulator.url + "/_emulator/clock", headers={"api-key": API_KEY}).json()["speed"] == 100

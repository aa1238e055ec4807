"""The management plane's rules (issue 14 section 4), each from the source named in emulator/SOURCES.md,
and azure-mgmt-cognitiveservices' deployment samples run against the emulator."""

from __future__ import annotations

import httpx
import pytest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tests.conftest import API_KEY, chat_examples, upload, wait_for, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"


def account(name: str, sub: str = "sub-1") -> str:
    return f"/subscriptions/{sub}/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/{name}"


def arm(emulator, account_id: str, api_version: str = "2024-10-01") -> httpx.Client:
    return httpx.Client(base_url=emulator.url + account_id + "/deployments", params={"api-version": api_version},
                        headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)


def listed(client: httpx.Client) -> dict:
    return client.get(str(client.base_url).rstrip("/")).json()


def body(name: str, version: str = "1", sku: str = "Standard", capacity: int = 1, **model) -> dict:
    return {"sku": {"name": sku, "capacity": capacity}, "properties": {"model": {"format": "OpenAI", "name": name, "version": version, **model}}}


BASE_BODY = body("gpt-4o-mini", "2024-07-18")


@pytest.fixture(scope="module")
def fine_tuned(emulator):
    """A finished job on gpt-4.1-mini (DeveloperTier and GlobalStandard serve it)."""
    client = emulator.openai()
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=upload(client, chat_examples(10)).id)
    return wait_for_job(client, job.id).fine_tuned_model


def test_deployments_belong_to_their_account(emulator):
    a, b = arm(emulator, account("own-a")), arm(emulator, account("own-b"))
    assert a.put("/same", json=BASE_BODY).status_code == 201
    assert b.put("/same", json=body("gpt-4o", "2024-08-06")).status_code == 201  # a second deployment, not a move
    assert a.get("/same").json()["properties"]["model"]["name"] == "gpt-4o-mini"
    assert b.get("/same").json()["id"] == account("own-b") + "/deployments/same"
    assert [d["name"] for d in listed(a)["value"]] == ["same"]
    assert arm(emulator, account("own-c")).get("/same").status_code == 404
    assert listed(arm(emulator, account("own-c")))["value"] == []


def test_base_models_deploy_as_name_and_version(emulator):
    a = arm(emulator, account("versions"))
    made = a.put("/mini", json=BASE_BODY).json()
    assert made["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}
    for refused in (body("gpt-4o-mini", "2099-01-01"), body(BASE, "1"), body("gpt-4o-mini", "1")):
        answer = a.put("/bad", json=refused)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "DeploymentModelNotSupported", refused
    # Chat answers with the model's dated id, as Azure does.
    wait_for(lambda: a.get("/mini").json()["properties"]["provisioningState"] == "Succeeded")
    reply = emulator.openai().chat.completions.create(model="mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.model == BASE


def test_create_and_delete_are_long_running_with_a_short_retry_after(emulator):
    a = arm(emulator, account("lro"))
    created = a.put("/gone-soon", json=BASE_BODY)
    assert created.status_code == 201 and created.headers["Retry-After"] == "1"
    wait_for(lambda: a.get("/gone-soon").json()["properties"]["provisioningState"] == "Succeeded")
    deleted = a.delete("/gone-soon")
    assert deleted.status_code == 202 and deleted.headers["Retry-After"] == "1"
    assert deleted.headers["Azure-AsyncOperation"]
    states = set()
    wait_for(lambda: states.add(a.get("/gone-soon").status_code) or a.get("/gone-soon").status_code == 404)
    assert a.get(deleted.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    assert a.delete("/gone-soon").status_code == 204


def test_a_deployment_being_deleted_says_deleting(fresh_emulator):
    emu = fresh_emulator("--frozen-at", "1800000000")
    a = arm(emu, account("frozen"))
    a.put("/d", json=BASE_BODY)
    emu.advance(10)
    operation = a.delete("/d").headers["Azure-AsyncOperation"]
    assert a.get("/d").json()["properties"]["provisioningState"] == "Deleting"
    assert a.get(operation).json()["status"] == "InProgress"
    emu.advance(10)
    assert a.get("/d").status_code == 404 and a.get(operation).json()["status"] == "Succeeded"


def test_patch_updates_the_capacity(emulator):
    a = arm(emulator, account("patch"))
    a.put("/grow", json=BASE_BODY)
    updated = a.patch("/grow", json={"sku": {"name": "Standard", "capacity": 7}})
    assert updated.status_code == 202 and updated.headers["Azure-AsyncOperation"] and updated.headers["Location"]
    assert a.get("/grow").json()["sku"] == {"name": "Standard", "capacity": 7}
    assert a.patch("/grow", json={"sku": {"name": "Standard", "capacity": 0}}).status_code == 400
    assert a.patch("/nothing", json={"sku": {"name": "Standard", "capacity": 2}}).status_code == 404


def test_lists_page_with_next_link(emulator):
    a = arm(emulator, account("many"))
    for i in range(23):
        assert a.put(f"/d{i:02}", json=BASE_BODY).status_code == 201
    first = listed(a)
    assert len(first["value"]) == 20 and first["nextLink"]
    second = httpx.get(first["nextLink"], headers={"Authorization": f"Bearer {API_KEY}"}).json()
    assert [d["name"] for d in second["value"]] == ["d20", "d21", "d22"] and "nextLink" not in second


def test_cross_account_source_is_kept_and_checked(emulator, fine_tuned):
    a = arm(emulator, account("dest", sub="sub-2"))
    source = account("src")
    made = a.put("/copied", json=body(fine_tuned, source=source))
    assert made.status_code == 201 and made.json()["properties"]["model"]["source"] == source
    bad = a.put("/bad", json=body(fine_tuned, source="not-an-account"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "LinkedInvalidPropertyId"
    missing = a.put("/bad", json=body(fine_tuned.replace(".ft-", ".ft-0"), source=source))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "DeploymentModelNotSupported"
    # Cross-tenant: the source tenant's token in x-ms-authorization-auxiliary.
    tenant = body(fine_tuned, sourceAccount=source)
    assert a.put("/tenant", json=tenant).status_code == 401
    assert a.put("/tenant", json=tenant, headers={"x-ms-authorization-auxiliary": "Bearer wrong"}).status_code == 401
    kept = a.put("/tenant", json=tenant, headers={"x-ms-authorization-auxiliary": f"Bearer {API_KEY}"})
    assert kept.status_code == 201 and kept.json()["properties"]["model"]["sourceAccount"] == source


def test_fine_tuned_deployments_per_resource_quota(fresh_emulator, monkeypatch):
    monkeypatch.setenv("FTDECK_FINE_TUNED_DEPLOYMENT_QUOTA", "5")  # Azure's default (the shared emulator's is raised)
    emulator = fresh_emulator()
    client = emulator.openai()
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=upload(client, chat_examples(10)).id)
    fine_tuned = wait_for_job(client, job.id).fine_tuned_model
    a = arm(emulator, account("quota"))
    for i in range(5):
        assert a.put(f"/ft{i}", json=body(fine_tuned)).status_code == 201  # no one-per-model rule
    refused = a.put("/ft5", json=body(fine_tuned))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InsufficientQuota"
    assert a.put("/ft0", json=body(fine_tuned, capacity=2)).status_code == 200  # an update is not a new one
    assert a.put("/base", json=BASE_BODY).status_code == 201  # base models do not count
    assert arm(emulator, account("quota-other")).put("/ft5", json=body(fine_tuned)).status_code == 201


def test_developer_tier_rules(emulator, fine_tuned):
    old, new = arm(emulator, account("dev")), arm(emulator, account("dev"), "2025-07-01-preview")
    developer = body(fine_tuned, sku="developertier", capacity=50)
    assert old.put("/dev", json=developer).status_code == 400  # needs 2025-07-01-preview or later
    assert new.put("/dev", json=body(fine_tuned, sku="developertier", capacity=1)).status_code == 400
    assert new.put("/dev", json=body("gpt-4o-mini", "2024-07-18", sku="developertier", capacity=50)).status_code == 400
    made = new.put("/dev", json=developer)
    assert made.status_code == 201 and made.json()["sku"] == {"name": "DeveloperTier", "capacity": 50}


def test_sku_serves_only_the_documented_models(emulator):
    client = emulator.openai()
    job = client.fine_tuning.jobs.create(model="gpt-35-turbo-0125", training_file=upload(client, chat_examples(10)).id)
    model = wait_for_job(client, job.id).fine_tuned_model
    a = arm(emulator, account("skus"))
    assert a.put("/g", json=body(model, sku="GlobalStandard")).status_code == 400
    assert a.put("/s", json=body(model, sku="Standard")).status_code == 201


def test_developer_deployments_are_removed_after_24_hours(fresh_emulator):
    emu = fresh_emulator(speed=100)
    client = emu.openai()
    job = client.fine_tuning.jobs.create(model="gpt-4.1-nano-2025-04-14", training_file=upload(client, chat_examples(10)).id)
    model = wait_for_job(client, job.id).fine_tuned_model
    a = arm(emu, account("dev24"), "2025-07-01-preview")
    assert a.put("/dev", json=body(model, sku="DeveloperTier", capacity=50)).status_code == 201
    assert a.put("/std", json=body(model)).status_code == 201
    emu.http().post("/_emulator/clock", json={"advance_seconds": 23 * 3600}).raise_for_status()
    assert a.get("/dev").status_code == 200
    emu.http().post("/_emulator/clock", json={"advance_seconds": 3600}).raise_for_status()
    assert a.get("/dev").status_code == 404 and a.get("/std").status_code == 200


class _Bearer(SansIOHTTPPolicy):
    """The credentials: the emulator's key as the bearer token (azure-core's token policy insists on https)."""

    def on_request(self, request) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {API_KEY}"


def test_azure_mgmt_cognitiveservices_samples_run_unchanged(emulator):
    """The SDK's generated samples (put, get, list, update, delete deployment), but for the endpoint,
    the credentials, and the model: the samples' `ada` is retired, so gpt-4o-mini 2024-07-18."""
    client = CognitiveServicesManagementClient(
        credential=object(), subscription_id="00000000-1111-2222-3333-444444444444",
        base_url=emulator.url, authentication_policy=_Bearer(), polling_interval=1,
    )
    response = client.deployments.begin_create_or_update(
        resource_group_name="resourceGroupName",
        account_name="accountName",
        deployment_name="deploymentName",
        deployment={
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}},
            "sku": {"capacity": 1, "name": "Standard"},
        },
    ).result()
    assert response.properties.provisioning_state == "Succeeded" and response.properties.model.version == "2024-07-18"

    got = client.deployments.get(resource_group_name="resourceGroupName", account_name="accountName", deployment_name="deploymentName")
    assert got.sku.capacity == 1
    assert [d.name for d in client.deployments.list(resource_group_name="resourceGroupName", account_name="accountName")] == ["deploymentName"]

    updated = client.deployments.begin_update(
        resource_group_name="resourceGroupName",
        account_name="accountName",
        deployment_name="deploymentName",
        deployment={"sku": {"capacity": 2, "name": "Standard"}},
    ).result()
    assert updated.sku.capacity == 2

    client.deployments.begin_delete(
        resource_group_name="resourceGroupName", account_name="accountName", deployment_name="deploymentName"
    ).result()
    assert list(client.deployments.list(resource_group_name="resourceGroupName", account_name="accountName")) == []

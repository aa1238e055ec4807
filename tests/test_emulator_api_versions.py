"""The emulator serves only the api-versions Azure serves, each in its own shape (issue 14 §2); every
rule's source is in emulator/api_versions.py and emulator/SOURCES.md ("API versions")."""

from __future__ import annotations

import httpx
import openai
import pytest

from emulator import api_versions
from tests.conftest import API_KEY, PREVIEW, chat_examples, upload, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"
RESOURCE_NOT_FOUND = {"code": "404", "message": "Resource not found"}
NOT_SUPPORTED = {"code": "BadRequest", "message": "API version not supported"}


def sdk(emulator, version: str):
    return emulator.openai(api_version=version, max_retries=0)


def test_every_ga_and_current_preview_is_served(emulator):
    for version in api_versions.GA + api_versions.PREVIEWS:
        assert isinstance(sdk(emulator, version).files.list().data, list), version


@pytest.mark.parametrize("version", ["2099-01-01", "2023-12-01-preview", "2023-03-15-preview", "2024-02-15-preview",
                                     "2023-06-01-preview", "2099-01-01-preview", "latest", "2024-10-21 "])
def test_retired_and_unknown_versions_are_refused_as_azure_refuses_them(emulator, version):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(emulator, version).files.list()
    assert refused.value.status_code == 400 and refused.value.body == NOT_SUPPORTED
    with pytest.raises(openai.BadRequestError):  # every operation, not only files
        sdk(emulator, version).fine_tuning.jobs.list()


def test_a_missing_version_is_still_resource_not_found(emulator):
    answer = httpx.get(emulator.url + "/openai/fine_tuning/jobs", headers={"api-key": API_KEY})
    assert answer.status_code == 404 and answer.json() == {"error": RESOURCE_NOT_FOUND}


def test_file_list_in_2024_10_21_is_object_and_data_and_takes_only_purpose(emulator, client):
    upload(client, chat_examples(10))
    ga = sdk(emulator, "2024-10-21")
    body = ga.files.with_raw_response.list().http_response.json()
    assert set(body) == {"object", "data"} and body["object"] == "list" and body["data"]
    assert all(f.purpose == "fine-tune" for f in ga.files.list(purpose="fine-tune").data)
    for undeclared in ({"after": body["data"][0]["id"]}, {"limit": 1}, {"order": "asc"}):
        with pytest.raises(openai.BadRequestError) as refused:
            ga.files.list(**undeclared)
        assert refused.value.body["code"] == "invalidPayload" and refused.value.body["param"] == next(iter(undeclared))


def test_file_list_pages_from_2025_04_01_preview(emulator, client):
    for _ in range(2):
        upload(client, chat_examples(10))
    first = sdk(emulator, PREVIEW).files.with_raw_response.list(limit=1).http_response.json()
    assert first["has_more"] is True and len(first["data"]) == 1
    after = sdk(emulator, PREVIEW).files.list(limit=1, after=first["data"][0]["id"])
    assert after.data[0].id != first["data"][0]["id"]


def test_fine_tuning_only_from_the_versions_whose_spec_has_it(emulator):
    for version in ("2022-12-01", "2023-05-15"):  # only the legacy /fine-tunes there
        with pytest.raises(openai.NotFoundError) as missing:
            sdk(emulator, version).fine_tuning.jobs.list()
        assert missing.value.body == RESOURCE_NOT_FOUND
    for version in ("2024-02-01", "2024-03-01-preview", "2024-10-21"):
        assert isinstance(sdk(emulator, version).fine_tuning.jobs.list().data, list)


def test_checkpoints_pause_and_resume_only_where_documented(emulator):
    job = "ftjob-" + "0" * 32  # no such job: past the version gate, the answer is the job's notFound
    checkpoints = {"2024-02-01": False, "2024-04-01-preview": False, "2024-05-01-preview": True, "2024-06-01": True, "2024-10-21": True}
    for version, served in checkpoints.items():
        with pytest.raises(openai.NotFoundError) as missing:
            sdk(emulator, version).fine_tuning.jobs.checkpoints.list(job)
        assert (missing.value.body != RESOURCE_NOT_FOUND) == served, version
    pausable = {"2024-10-21": False, "2024-05-01-preview": False, "2025-03-01-preview": False, "2025-04-01-preview": True}
    for version, served in pausable.items():
        for action in (sdk(emulator, version).fine_tuning.jobs.pause, sdk(emulator, version).fine_tuning.jobs.resume):
            with pytest.raises(openai.NotFoundError) as missing:
                action(job)
            assert (missing.value.body != RESOURCE_NOT_FOUND) == served, version


def test_dpo_and_training_type_only_from_the_versions_that_document_them(emulator, client):
    training = upload(client, chat_examples(10)).id
    dpo = {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}}}
    for version in ("2024-10-21", "2024-12-01-preview"):
        with pytest.raises(openai.BadRequestError) as refused:
            sdk(emulator, version).fine_tuning.jobs.create(model=BASE, training_file=training, **dpo)
        assert refused.value.body["param"] == "method" and "2025-02-01-preview" in refused.value.body["message"]
    for version in ("2024-10-21", "2025-03-01-preview"):
        with pytest.raises(openai.BadRequestError) as refused:
            sdk(emulator, version).fine_tuning.jobs.create(model=BASE, training_file=training, extra_body={"trainingType": "globalstandard"})
        assert refused.value.body["param"] == "trainingType"
    # From the documenting versions on, the fields pass the version gate (the model's own rules still apply).
    job = sdk(emulator, "2025-03-01-preview").fine_tuning.jobs.create(model=BASE, training_file=training,
                                                                       method={"type": "supervised"})
    assert job.method.type == "supervised"
    job = sdk(emulator, PREVIEW).fine_tuning.jobs.create(model=BASE, training_file=training, extra_body={"trainingType": "globalstandard"})
    assert job.status == "pending"
    plain = sdk(emulator, "2024-10-21").fine_tuning.jobs.create(model=BASE, training_file=training)
    assert plain.method is None  # 2024-10-21's FineTuningJob has no `method`


def test_checkpoint_metrics_are_doubles_with_nothing_unmeasured(emulator, client):
    # No validation file: nothing validation-shaped was measured, so no such key, never a null.
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=upload(client, chat_examples(10)).id).id)
    for version in ("2024-10-21", PREVIEW):
        raw = sdk(emulator, version).fine_tuning.jobs.checkpoints.with_raw_response.list(job.id).http_response.json()
        assert raw["data"]
        for checkpoint in raw["data"]:
            metrics = checkpoint["metrics"]
            assert metrics and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()), metrics
            assert "valid_loss" not in metrics and "train_loss" in metrics


def test_models_delete_only_on_v1(emulator, client):
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=upload(client, chat_examples(10)).id).id)
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.delete(job.fine_tuned_model)  # no versioned spec has Models_Delete
    assert missing.value.body == RESOURCE_NOT_FOUND
    assert job.fine_tuned_model in {m.id for m in client.models.list()}
    v1 = openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0)
    assert v1.models.delete(job.fine_tuned_model).deleted is True
    assert job.fine_tuned_model not in {m.id for m in client.models.list()}


def test_the_v1_surface_takes_no_api_version_and_has_every_feature(emulator, client):
    v1 = openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0)
    upload(client, chat_examples(10))
    assert v1.files.list(limit=1).has_more in (True, False)  # the paged FileList
    with pytest.raises(openai.NotFoundError) as missing:
        v1.fine_tuning.jobs.pause("ftjob-" + "0" * 32)
    assert missing.value.body != RESOURCE_NOT_FOUND  # pause exists on v1: the job is what is missing

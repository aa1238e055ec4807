"""Fine-tuning code Microsoft publishes, run against the emulator with nothing changed but the
endpoint and the credentials: what a user copies from Azure's docs and SDK samples must run here.

- Azure's v1 API docs (MicrosoftDocs/azure-ai-docs api-version-lifecycle, fine-tuning on v1): the
  plain `openai.OpenAI(base_url="https://RES.openai.azure.com/openai/v1/", api_key=...)`, with a key,
  with `OPENAI_BASE_URL`/`OPENAI_API_KEY` set, or with an Entra token provider as `api_key`.
- azure-ai-projects' fine-tuning sample (Azure/azure-sdk-for-python
  sdk/ai/azure-ai-projects/samples/finetuning/sample_finetuning_supervised_job.py): `AIProjectClient(endpoint,
  credential).get_openai_client()`, then its calls: upload, wait for processing, create with
  `method` and `extra_body={"trainingType": "Standard"}`, retrieve, list, pause, resume, events,
  checkpoints, cancel, and `responses.create` on the deployment (`infer`).

The samples' own code is not copied here: each test makes the same calls in the same form.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import openai
import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, jsonl, wait_for, wait_for_job

MODEL_NAME = "gpt-4.1-2025-04-14"  # the sample's MODEL_NAME setting (its default names the family)
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


class TokenCredential:
    """The credentials: an Entra credential whose token is the emulator's key (the emulator takes a
    bearer equal to its key as a token), in place of DefaultAzureCredential. Notes the scopes asked."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        self.scopes += scopes
        return AccessToken(API_KEY, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options=None) -> AccessTokenInfo:
        self.scopes += scopes
        return AccessTokenInfo(API_KEY, int(time.time()) + 3600)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


@pytest.fixture
def data_files(tmp_path) -> tuple[Path, Path]:
    """The sample's TRAINING_FILE_PATH and VALIDATION_FILE_PATH."""
    training, validation = tmp_path / "sft_training_set.jsonl", tmp_path / "sft_validation_set.jsonl"
    training.write_bytes(jsonl(chat_examples(12)))
    validation.write_bytes(jsonl(chat_examples(10, style="Ahoy")))
    return training, validation


def deploy(emu, name: str, model: str) -> None:
    """The sample's deploy_model() body (format, name, version "1", GlobalStandard 100), sent as the
    management SDK sends it; the frozen clock is moved past provisioning."""
    arm = httpx.Client(base_url=emu.url + ARM_DEPLOYMENTS, headers={"Authorization": f"Bearer {API_KEY}"},
                       params={"api-version": "2024-10-01"})
    body = {"sku": {"name": "GlobalStandard", "capacity": 100},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}}
    assert arm.put(f"/{name}", json=body).status_code in (200, 201)
    emu.advance(5.01)  # emulator.deployments.PROVISION_SECONDS
    assert arm.get(f"/{name}").json()["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("endpoint", ["", "/api/projects/finetuning-sample"])
def test_azure_ai_projects_fine_tuning_sample(endpoint, frozen_emulator, data_files):
    """The endpoint as the emulator's address alone, and as a Foundry project endpoint (its form
    `https://<account>.services.ai.azure.com/api/projects/<project>` with the host swapped)."""
    from azure.ai.projects import AIProjectClient

    emu = frozen_emulator
    training_file_path, validation_file_path = data_files
    with (
        TokenCredential() as credential,
        AIProjectClient(endpoint=emu.url + endpoint, credential=credential) as project_client,
        project_client.get_openai_client() as openai_client,
    ):
        assert str(openai_client.base_url) == f"{emu.url}{endpoint}/openai/v1/"
        with open(training_file_path, "rb") as f:
            train_file = openai_client.files.create(file=f, purpose="fine-tune")
        with open(validation_file_path, "rb") as f:
            validation_file = openai_client.files.create(file=f, purpose="fine-tune")
        emu.advance(2.01)  # emulator.files.STAGE_SECONDS, pending then running
        openai_client.files.wait_for_processing(train_file.id)
        openai_client.files.wait_for_processing(validation_file.id)

        fine_tuning_job = openai_client.fine_tuning.jobs.create(
            training_file=train_file.id,
            validation_file=validation_file.id,
            model=MODEL_NAME,
            method={
                "type": "supervised",
                "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.0}},
            },
            extra_body={"trainingType": "Standard"},
        )
        job_id = fine_tuning_job.id
        assert fine_tuning_job.status == "pending" and fine_tuning_job.method.type == "supervised"

        # retrieve_job, list_jobs
        assert openai_client.fine_tuning.jobs.retrieve(job_id).id == job_id
        assert job_id in [job.id for job in openai_client.fine_tuning.jobs.list()]

        # pause_job, resume_job ("Job needs to be in running state in order to pause")
        emu.advance(4.01)
        wait_for(lambda: openai_client.fine_tuning.jobs.retrieve(job_id).status == "running")
        emu.advance(1.5)
        wait_for(lambda: openai_client.fine_tuning.jobs.retrieve(job_id).trained_tokens)
        assert openai_client.fine_tuning.jobs.pause(job_id).status == "pausing"
        emu.advance(2.01)
        wait_for(lambda: openai_client.fine_tuning.jobs.retrieve(job_id).status == "paused")
        assert openai_client.fine_tuning.jobs.resume(job_id).status == "resuming"
        wait_for(lambda: emu.advance(30) and openai_client.fine_tuning.jobs.retrieve(job_id).status == "succeeded")

        # list_events, list_checkpoints ("to retrieve the checkpoints, job needs to be in terminal state")
        events = [event.message for event in openai_client.fine_tuning.jobs.list_events(job_id)]
        assert "Job succeeded." in events
        checkpoints = list(openai_client.fine_tuning.jobs.checkpoints.list(job_id))
        assert checkpoints and all(c.id.startswith("ftchkpt-") for c in checkpoints)

        # deploy_model, then infer
        fine_tuned_model_name = openai_client.fine_tuning.jobs.retrieve(job_id).fine_tuned_model
        deploy(emu, "gpt-4-1-fine-tuned", fine_tuned_model_name)
        response = openai_client.responses.create(
            model="gpt-4-1-fine-tuned", input=[{"role": "user", "content": "Who invented the telephone?"}]
        )
        assert response.output_text

        # cancel_job, on a job of its own (the first one has finished)
        second = openai_client.fine_tuning.jobs.create(training_file=train_file.id, model=MODEL_NAME,
                                                       extra_body={"trainingType": "Standard"})
        cancelled_job = openai_client.fine_tuning.jobs.cancel(second.id)
        assert cancelled_job.status == "cancelled"
    # get_openai_client() asks for a token of the Foundry scope.
    assert credential.scopes and set(credential.scopes) == {"https://ai.azure.com/.default"}


def v1_fine_tuning_calls(client: openai.OpenAI, data_files, deployment_for) -> None:
    """The fine-tuning doc's calls on a v1 client: upload both files, create, follow, list, then ask
    the deployment through the Responses API as the v1 doc does."""
    training, validation = data_files
    with open(training, "rb") as t, open(validation, "rb") as v:
        training_response = client.files.create(file=t, purpose="fine-tune")
        validation_response = client.files.create(file=v, purpose="fine-tune")
    client.files.wait_for_processing(training_response.id, poll_interval=0.05)
    client.files.wait_for_processing(validation_response.id, poll_interval=0.05)
    response = client.fine_tuning.jobs.create(
        training_file=training_response.id, validation_file=validation_response.id, model="gpt-4.1-2025-04-14", seed=105
    )
    job = wait_for_job(client, response.id)
    assert job.status == "succeeded"
    assert client.fine_tuning.jobs.list_events(fine_tuning_job_id=job.id, limit=10).data
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert job.id in [j.id for j in client.fine_tuning.jobs.list(limit=10)]
    answer = client.responses.create(model=deployment_for(job.fine_tuned_model), input="This is a test.")
    assert answer.output_text


@pytest.fixture
def deployment_for(emulator):
    from tests.test_emulator_deployments import deploy as arm_deploy

    def deployment(model: str) -> str:
        name = f"docs-{model.rsplit('.', 1)[-1][:20]}"
        arm_deploy(emulator.arm(), name, model)
        return name

    return deployment


def test_the_v1_docs_client_with_a_key(emulator, data_files, deployment_for):
    client = openai.OpenAI(api_key=API_KEY, base_url=f"{emulator.url}/openai/v1/")
    v1_fine_tuning_calls(client, data_files, deployment_for)


def test_the_v1_docs_client_from_openai_base_url_and_key(emulator, data_files, deployment_for, monkeypatch):
    """"To use the API key with environment variables set for OPENAI_BASE_URL and OPENAI_API_KEY:
    client = OpenAI()"."""
    monkeypatch.setenv("OPENAI_BASE_URL", f"{emulator.url}/openai/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    v1_fine_tuning_calls(openai.OpenAI(), data_files, deployment_for)


def test_the_v1_docs_client_with_an_entra_token_provider(emulator, data_files, deployment_for):
    from azure.identity import get_bearer_token_provider

    credential = TokenCredential()
    token_provider = get_bearer_token_provider(credential, COGNITIVE_SCOPE)
    client = openai.OpenAI(base_url=f"{emulator.url}/openai/v1/", api_key=token_provider)
    v1_fine_tuning_calls(client, data_files, deployment_for)
    assert set(credential.scopes) == {COGNITIVE_SCOPE}

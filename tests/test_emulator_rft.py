"""Reinforcement fine-tuning and training tiers on the emulator, through the official openai SDK:
accepted only where Azure takes them (models, grader, validation file), trained with a measured reward."""

from __future__ import annotations

import csv
import io

import openai
import pytest

from tests.conftest import chat_examples, upload, wait_for_job

RFT_MODEL = "o4-mini-2025-04-16"
FRUITS = ["apple", "lemon", "orange", "banana", "cherry", "mango", "peach", "plum", "grape", "melon", "kiwi", "pear"]
GRADER = {"type": "string_check", "name": "fruit", "input": "{{ sample.output_text }}",
          "reference": "{{ item.answer }}", "operation": "ilike"}


def rft_examples(n: int) -> list[dict]:
    return [
        {"messages": [{"role": "developer", "content": "Name the fruit."},
                      {"role": "user", "content": f"Which is the fruit: {FRUITS[i % len(FRUITS)]}, table or chair?"}],
         "answer": FRUITS[i % len(FRUITS)]}
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def rft_files(emulator):
    client = emulator.openai()
    return upload(client, rft_examples(12)).id, upload(client, rft_examples(6), "valid.jsonl").id


def create(client, files, grader=GRADER, model=RFT_MODEL, **extra):
    training, validation = files
    return client.fine_tuning.jobs.create(
        model=model, training_file=training, validation_file=validation, seed=7,
        method={"type": "reinforcement", "reinforcement": {"grader": grader, "hyperparameters": {"n_epochs": 3, "batch_size": 2}}},
        **extra,
    )


def test_rft_data_is_accepted_at_upload_and_system_messages_are_not(client):
    assert upload(client, rft_examples(3)).status == "processed"
    bad = rft_examples(3)
    bad[1]["messages"][0]["role"] = "system"
    refused = upload(client, bad)
    assert refused.status == "error" and "Line 2" in refused.status_details and "'developer'" in refused.status_details


def test_an_rft_job_trains_with_a_measured_reward(client, rft_files):
    job = create(client, rft_files, extra_body={"trainingType": "standard"})
    assert job.method.type == "reinforcement"
    assert job.method.reinforcement.grader.type == "string_check"
    done = wait_for_job(client, job.id, timeout=120)
    assert done.status == "succeeded", done.error
    events = [e for e in client.fine_tuning.jobs.list_events(job.id, limit=500)][::-1]
    steps = [e for e in events if e.type == "metrics"]
    assert len(steps) == 18 and steps[0].message.startswith("Step 1/18: training reward=")
    rewards = [e.data["train_reward_mean"] for e in steps]
    assert all(0.0 <= r <= 1.0 for r in rewards)
    assert sum(rewards[-6:]) > sum(rewards[:6])  # the reward rises as the model learns what scores
    assert all("train_loss" not in e.data for e in steps)
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [18, 12, 6]
    assert checkpoints[0].metrics.model_extra["train_reward_mean"] == rewards[-1]
    rows = list(csv.DictReader(io.StringIO(client.files.content(done.result_files[0]).text)))
    assert list(rows[0]) == ["step", "train_reward_mean", "valid_reward_mean"]
    assert [float(r["train_reward_mean"]) for r in rows] == pytest.approx(rewards, abs=1e-5)


@pytest.mark.parametrize("change, param, fragment", [
    ({"model": "gpt-4o-mini-2024-07-18"}, "method", "does not support reinforcement"),
    ({"validation": False}, "validation_file", "needs a validation file"),
    ({"grader": {**GRADER, "operation": "neq"}}, "method.reinforcement.grader.operation", "eq, ne, like, ilike"),
    ({"grader": {"type": "python", "name": "p", "source": "def grade(sample, item):\n    return 1.0"}},
     "method.reinforcement.grader", "never runs code"),
    ({"grader": {"type": "multi", "name": "m", "graders": {"a": GRADER}, "calculate_output": "a + b"}},
     "method.reinforcement.grader.calculate_output", "'b'"),
    ({"hyperparameters": {"reasoning_effort": "max"}}, "hyperparameters.reasoning_effort", "low, medium or high"),
    ({"training_type": "globalstandard"}, "trainingType", "Global training is not available"),
])
def test_rft_jobs_are_refused_where_azure_refuses_them(client, rft_files, change, param, fragment):
    training, validation = rft_files
    model = change.get("model", RFT_MODEL)
    files = (upload(client, chat_examples(10)).id if "model" in change else training,
             validation if change.get("validation", True) else None)
    config = {"grader": change.get("grader", GRADER), "hyperparameters": change.get("hyperparameters", {})}
    extra = {"extra_body": {"trainingType": change["training_type"]}} if "training_type" in change else {}
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model=model, training_file=files[0], validation_file=files[1],
                                       method={"type": "reinforcement", "reinforcement": config}, **extra)
    error = refused.value.body
    assert error["param"] == param and fragment in error["message"], error


def test_o4_mini_takes_only_reinforcement_and_a_missing_reference_fails_the_job(client, rft_files):
    with pytest.raises(openai.BadRequestError, match="supports only reinforcement"):
        client.fine_tuning.jobs.create(model=RFT_MODEL, training_file=rft_files[0])
    grader = {**GRADER, "reference": "{{ item.solution }}"}
    failed = wait_for_job(client, create(client, rft_files, grader=grader).id)
    assert failed.status == "failed" and "has no 'solution'" in failed.error.message


def test_developer_and_global_training_on_models_with_global_training(client):
    training = upload(client, chat_examples(10)).id
    for tier in ("developerTier", "globalstandard"):
        job = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=training, extra_body={"trainingType": tier})
        assert job.status == "pending"
    with pytest.raises(openai.BadRequestError, match="Developer training is not available"):
        client.fine_tuning.jobs.create(model="gpt-35-turbo-0125", training_file=training, extra_body={"trainingType": "developerTier"})

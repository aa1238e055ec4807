"""Fine-tuning jobs on the emulator: lifecycle, real training metrics, state rules, errors."""

from __future__ import annotations

import csv
import io

import openai
import pytest

from tests.conftest import chat_examples, upload, upload_frozen, wait_for, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture(scope="module")
def training_file(emulator):
    return upload(emulator.openai(), chat_examples(10)).id


def results_rows(client, job) -> list[dict]:
    text = client.files.content(job.result_files[0]).text
    return list(csv.DictReader(io.StringIO(text)))


def test_job_lifecycle_events_checkpoints_and_results(client, training_file):
    raw = client.fine_tuning.jobs.with_raw_response.create(model=BASE, training_file=training_file, seed=1, suffix="mine")
    assert raw.http_response.status_code == 201
    job = raw.parse()
    assert job.status == "pending" and job.id.startswith("ftjob-")
    assert job.hyperparameters.n_epochs == -1  # "auto", as Azure reports it before choosing

    done = wait_for_job(client, job.id)
    assert done.status == "succeeded"
    # The model's hex is the job's (the tutorial's output, the 2024-10-21 spec example), then the suffix.
    assert done.fine_tuned_model == f"{BASE}.ft-{job.id.removeprefix('ftjob-')}-mine"
    assert done.hyperparameters.n_epochs == 3 and done.hyperparameters.batch_size == 1
    assert done.trained_tokens > 0 and done.finished_at >= done.created_at

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=200))[::-1]
    messages = [e.message for e in events]
    # Azure's events as the tutorial shows them: a step's metrics every 10 steps, then the ending.
    assert messages == [
        "Job enqueued. Waiting for jobs ahead to complete.",
        "Job started.",
        f"Step 10: training loss={events[2].data['train_loss']!r}",
        f"Step 20: training loss={events[3].data['train_loss']!r}",
        f"Step 30: training loss={events[4].data['train_loss']!r}",
        "Job succeeded.",
        "Postprocessing started.",
        f"Completed results file: {done.result_files[0]}",
        messages[-1],
    ]
    assert messages[-1].startswith("Training hours billed: ")
    assert [e.type for e in events[2:5]] == ["metrics"] * 3 and events[4].data["step"] == 30

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [30, 20, 10]  # one per epoch, newest first
    # The final epoch is the model; the two before are its checkpoints (the tutorial's output).
    assert [c.fine_tuned_model_checkpoint for c in checkpoints] == [
        done.fine_tuned_model, f"{done.fine_tuned_model}:ckpt-step-20", f"{done.fine_tuned_model}:ckpt-step-10"]
    assert all(c.id.startswith("ftchkpt-") and c.metrics.train_loss is not None for c in checkpoints)

    rows = results_rows(client, done)
    assert list(rows[0]) == [
        "step", "train_loss", "train_mean_token_accuracy", "valid_loss",
        "validation_mean_token_accuracy", "full_valid_loss", "full_valid_mean_token_accuracy",
    ]
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    first, last = rows[:10], rows[-10:]
    mean = lambda rs, k: sum(float(r[k]) for r in rs) / len(rs)  # noqa: E731
    assert mean(last, "train_loss") < mean(first, "train_loss")
    assert mean(last, "train_mean_token_accuracy") >= mean(first, "train_mean_token_accuracy")


def test_a_job_takes_its_time_on_the_emulator_clock(frozen_emulator):
    """Validation (4 s), then a step every 1.5 s: a 10-example, 3-epoch job takes 49 s of emulator
    time, and nothing happens while the clock stands still."""
    emu = frozen_emulator
    client = emu.openai()
    job = client.fine_tuning.jobs.create(model=BASE, training_file=upload_frozen(emu, client, chat_examples(10)).id)
    emu.advance(4.01)
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).status == "running")
    now = emu.advance(29 * 1.5)
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).estimated_finish == int(now + 1.5))  # step 29 made
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"  # the clock stands still: step 30 waits
    emu.advance(1.5)
    done = wait_for_job(client, job.id)
    assert done.status == "succeeded" and done.finished_at - done.created_at == 49


def test_validation_metrics_and_full_valid_at_epoch_ends(client, training_file):
    validation = upload(client, chat_examples(10, style="Ahoy there")).id
    job = client.fine_tuning.jobs.create(model=BASE, training_file=training_file, validation_file=validation, seed=3)
    rows = results_rows(client, wait_for_job(client, job.id))
    assert all(r["valid_loss"] for r in rows)
    assert [int(r["step"]) for r in rows if r["full_valid_loss"]] == [10, 20, 30]


def test_same_seed_same_curves_other_seed_other_curves(client, training_file):
    def curve(seed: int) -> list[str]:
        job = client.fine_tuning.jobs.create(model=BASE, training_file=training_file, seed=seed)
        return [r["train_loss"] for r in results_rows(client, wait_for_job(client, job.id))]

    assert curve(11) == curve(11)
    assert curve(11) != curve(12)


def test_hyperparameters_shape_training(client, training_file):
    job = client.fine_tuning.jobs.create(
        model=BASE, training_file=training_file, seed=5,
        hyperparameters={"n_epochs": 2, "batch_size": 2, "learning_rate_multiplier": 0.5},
    )
    done = wait_for_job(client, job.id)
    assert (done.hyperparameters.n_epochs, done.hyperparameters.batch_size) == (2, 2)
    assert len(results_rows(client, done)) == 10  # 10 examples / batch 2 * 2 epochs


def test_too_few_examples_fails_the_job(client):
    small = upload(client, chat_examples(5)).id
    job = client.fine_tuning.jobs.create(model=BASE, training_file=small)
    failed = wait_for_job(client, job.id)
    assert failed.status == "failed"
    assert "at least 10" in failed.error.message and failed.error.param == "training_file"


@pytest.mark.parametrize(
    ("changes", "fragment", "param"),
    [
        ({"model": "gpt-4o-2024-05-13"}, "The specified base model does not support fine-tuning.", "model"),
        ({"model": "no-such-model"}, "The specified base model does not support fine-tuning.", "model"),
        # Undated family names: no source shows Azure taking one for `model`; every example is dated.
        ({"model": "gpt-4o-mini"}, "The specified base model does not support fine-tuning.", "model"),
        ({"model": "gpt-35-turbo"}, "The specified base model does not support fine-tuning.", "model"),
        ({"suffix": "bad suffix!"}, "suffix", "suffix"),
        ({"suffix": "x" * 41}, "suffix", "suffix"),
        ({"training_file": "file-doesnotexist"}, "does not exist", "training_file"),
        ({"hyperparameters": {"n_epochs": 0}}, "n_epochs", "hyperparameters.n_epochs"),
        ({"hyperparameters": {"learning_rate_multiplier": "fast"}}, "learning_rate_multiplier", "hyperparameters.learning_rate_multiplier"),
        ({"model": "babbage-002"}, "prompt_completion format", "training_file"),
    ],
)
def test_create_refuses_bad_requests_like_azure(client, training_file, changes, fragment, param):
    request = {"model": BASE, "training_file": training_file, **changes}
    with pytest.raises(openai.BadRequestError) as raised:
        client.fine_tuning.jobs.create(**request)
    error = raised.value.body
    assert raised.value.status_code == 400
    assert error["code"] == "invalidPayload" and fragment in error["message"] and error["param"] == param


def test_training_file_in_error_is_refused(client):
    broken = upload(client, b'{"messages": [}\n').id
    with pytest.raises(openai.BadRequestError, match="failed validation"):
        client.fine_tuning.jobs.create(model=BASE, training_file=broken)


def test_file_not_processed_yet_is_refused(frozen_emulator):
    client = frozen_emulator.openai()
    pending = upload(client, chat_examples(10), wait=False).id  # the clock stands still: pending it stays
    with pytest.raises(openai.BadRequestError, match="not ready yet"):
        client.fine_tuning.jobs.create(model=BASE, training_file=pending)


def test_pause_resume_cancel_and_state_rules(frozen_emulator):
    emulator = frozen_emulator
    client = emulator.openai(max_retries=0)
    data = upload_frozen(emulator, client, chat_examples(30)).id
    job = client.fine_tuning.jobs.create(model=BASE, training_file=data, hyperparameters={"n_epochs": 20})
    with pytest.raises(openai.ConflictError) as raised:  # still validating (the clock stands still): nothing to pause yet
        client.fine_tuning.jobs.pause(job.id)
    assert raised.value.body["code"] == "unexpectedEntityState"

    emulator.advance(4.01)  # validation: the job starts
    wait_for_job(client, job.id, statuses=("running",))
    emulator.advance(3 * 1.5)  # three steps
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).estimated_finish == int(emulator.advance(0) + 597 * 1.5))
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data == []  # no epoch has ended
    assert client.fine_tuning.jobs.pause(job.id).status == "pausing"
    emulator.advance(2.0)  # emulator.jobs.PAUSE_SECONDS
    wait_for_job(client, job.id, statuses=("paused",))
    # "Once the training job is paused, a deployable checkpoint will be created."
    [paused_at] = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert paused_at.step_number == 3 and paused_at.id.startswith("ftchkpt-")
    assert paused_at.fine_tuned_model_checkpoint.endswith(":ckpt-step-3")
    arm = emulator.arm()
    deployed = arm.put("/from-pause", json={"sku": {"name": "standard", "capacity": 1},
                                            "properties": {"model": {"format": "OpenAI", "name": paused_at.id, "version": "1"}}})
    assert deployed.status_code in (200, 201), deployed.text
    assert arm.delete("/from-pause").status_code in (200, 202, 204)
    steps_when_paused = client.fine_tuning.jobs.retrieve(job.id).trained_tokens
    assert client.fine_tuning.jobs.resume(job.id).status == "resuming"
    with pytest.raises(openai.ConflictError):
        client.fine_tuning.jobs.resume(job.id)
    emulator.advance(2.0)
    wait_for_job(client, job.id, statuses=("running",))
    emulator.advance(1.5)
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).trained_tokens > steps_when_paused)

    http = emulator.http()  # the SDK has no job delete
    refused = http.delete(f"/openai/fine_tuning/jobs/{job.id}")
    assert refused.status_code == 409 and "cancel it" in refused.json()["error"]["message"]
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.ConflictError):
        client.fine_tuning.jobs.cancel(job.id)
    assert http.delete(f"/openai/fine_tuning/jobs/{job.id}").status_code == 204
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve(job.id)


def test_pause_needs_a_preview_api_version(emulator, training_file):
    ga = emulator.openai(api_version="2024-10-21")
    job = ga.fine_tuning.jobs.create(model=BASE, training_file=training_file)
    with pytest.raises(openai.NotFoundError):
        ga.fine_tuning.jobs.pause(job.id)


def test_events_page_newest_first_without_overlap(client, training_file):
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=training_file,
                                                             hyperparameters={"n_epochs": 15}).id)  # 21 events
    everything = client.fine_tuning.jobs.list_events(job.id, limit=1000).data
    first = client.fine_tuning.jobs.list_events(job.id, limit=7)
    assert first.has_more is True and [e.id for e in first.data] == [e.id for e in everything[:7]]
    second = client.fine_tuning.jobs.list_events(job.id, limit=7, after=first.data[-1].id)
    assert [e.id for e in second.data] == [e.id for e in everything[7:14]]
    assert all(a.created_at >= b.created_at for a, b in zip(everything, everything[1:]))
    # The SDK's auto-pagination reads each event exactly once.
    assert [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=9)] == [e.id for e in everything]


def test_jobs_list_pages(client, training_file):
    ids = [client.fine_tuning.jobs.create(model=BASE, training_file=training_file).id for _ in range(3)]
    page = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in page.data] == ids[::-1][:2] and page.has_more
    assert set(ids) <= {j.id for j in client.fine_tuning.jobs.list(limit=50)}


def test_jobs_queue_behind_each_other(client, training_file):
    """One job trains at a time; the others say how many are ahead."""
    ids = [client.fine_tuning.jobs.create(model=BASE, training_file=training_file).id for _ in range(3)]
    for job_id in ids:
        wait_for_job(client, job_id)
    last_messages = [e.message for e in client.fine_tuning.jobs.list_events(ids[-1], limit=200)]
    assert any(m.startswith("Jobs ahead in queue: ") for m in last_messages)


def test_continuous_fine_tuning_from_model_and_checkpoint(client, training_file):
    first = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=training_file, seed=1).id)
    more = wait_for_job(client, client.fine_tuning.jobs.create(model=first.fine_tuned_model, training_file=training_file).id)
    assert more.status == "succeeded" and more.fine_tuned_model.startswith(f"{BASE}.ft-")
    checkpoint = client.fine_tuning.jobs.checkpoints.list(first.id).data[-1]
    # A checkpoint is taken by its id, as it is deployed; its name `...:ckpt-step-10` is no model id.
    from_checkpoint = client.fine_tuning.jobs.create(model=checkpoint.id, training_file=training_file)
    assert wait_for_job(client, from_checkpoint.id).status == "succeeded"
    assert from_checkpoint.model == checkpoint.id
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model=checkpoint.fine_tuned_model_checkpoint, training_file=training_file)
    assert refused.value.body["message"] == "The specified base model does not support fine-tuning."
    assert refused.value.body["param"] == "model"


def test_dpo_job(client):
    preference = [
        {
            "input": {"messages": [{"role": "user", "content": f"Say hello number {i}"}]},
            "preferred_output": [{"role": "assistant", "content": f"Ahoy number {i}!"}],
            "non_preferred_output": [{"role": "assistant", "content": f"Hello {i}."}],
        }
        for i in range(12)
    ]
    data = upload(client, preference).id
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-2024-08-06", training_file=data,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )
    assert job.method.type == "dpo"
    assert wait_for_job(client, job.id).status == "succeeded"
    with pytest.raises(openai.BadRequestError, match="does not support DPO"):
        client.fine_tuning.jobs.create(model=BASE, training_file=data, method={"type": "dpo"})
    # The DPO page lists gpt-4o-2024-08-06, gpt-4.1-2025-04-14 and gpt-4.1-mini-2025-04-14 only.
    for model in ("gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"):
        assert client.fine_tuning.jobs.create(model=model, training_file=data, method={"type": "dpo"}).method.type == "dpo"
    with pytest.raises(openai.BadRequestError, match="does not support DPO"):
        client.fine_tuning.jobs.create(model="gpt-4.1-nano-2025-04-14", training_file=data, method={"type": "dpo"})


def test_a_restart_on_a_frozen_clock_makes_no_step_before_its_time(frozen_emulator):
    """Restarted with the clock where it stood, a running job carries on at its schedule: no step
    is made that the clock had not reached (a restarted screenshot showed one step too many)."""
    from tests.conftest import EmulatorProcess, FROZEN_AT

    emu = frozen_emulator
    client = emu.openai()
    job = client.fine_tuning.jobs.create(model=BASE, training_file=upload_frozen(emu, client, chat_examples(10)).id)
    emu.advance(4.01)  # validated: it starts
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).status == "running")
    emu.advance(10 * 1.5)  # ten steps (emulator.jobs.STEP_SECONDS), one step event (EVENT_EVERY_STEPS)

    def steps(client) -> list:
        return [e for e in client.fine_tuning.jobs.list_events(job.id, limit=100) if e.message.startswith("Step ")][::-1]

    wait_for(lambda: len(steps(client)) == 1)
    stopped_at = emu.advance(0)
    emu.stop()
    with EmulatorProcess(emu.data_dir, "--frozen-at", str(FROZEN_AT)) as again:
        client = again.openai()
        moved_to = again.advance(10 * 1.5)  # the twentieth step's time
        assert moved_to == stopped_at + 10 * 1.5  # the clock stood still while it was down
        twentieth = wait_for(lambda: (made := steps(client)) and len(made) >= 2 and made[1])
        assert twentieth.message.startswith("Step 20:") and twentieth.created_at == int(moved_to), (twentieth.created_at, stopped_at, moved_to)

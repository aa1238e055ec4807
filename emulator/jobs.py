"""Fine-tuning jobs: creation rules, the state machine, and the runner that trains them.

A job's public body is what the API returns; its `progress` (steps done, when the next thing
happens, the fine-tuned model's future id) is the runner's private state. Both are saved in one
transaction per step, so a killed emulator resumes every running job at the step it had reached.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
import sys
import traceback
from typing import TYPE_CHECKING

from emulator import catalog, files, reinforcement
from emulator.errors import invalid, not_found, wrong_state
from emulator.language_model import NGramModel
from emulator.resources import new_id
from emulator.store import disk_full
from emulator.graders import item_fields
from emulator.reward_training import RewardRun
from emulator.training import TrainingRun, auto_hyperparameters, examples_from_records
from emulator.training_data import check_training_file

if TYPE_CHECKING:
    from emulator.service import Emulator

VALIDATION_SECONDS = 4.0  # pending: validating the files before queueing
STEP_SECONDS = 1.5  # one training step on the emulator clock
QUEUE_POLL_SECONDS = 1.0
PAUSE_SECONDS = 2.0
TROUBLE_RETRY_SECONDS = 1.0  # real seconds between ticks while the disk is full (or a tick failed)
MIN_EXAMPLES = 10
# Azure logs a training step's metrics every 10 steps: the tutorial's events are "Step 50", "Step 60",
# ... "Step 100" (MicrosoftDocs/azure-ai-docs tutorials/fine-tune.md, "List fine-tuning events").
# Every step is measured all the same: results.csv has a row for each.
EVENT_EVERY_STEPS = 10
ACTIVE = ("pending", "running", "pausing", "resuming")
FINISHED = ("succeeded", "failed", "cancelled")
SUFFIX = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
TRAINING_TYPES = {"standard", "globalstandard", "developertier"}
RESULT_COLUMNS = [
    "step", "train_loss", "train_mean_token_accuracy", "valid_loss",
    "validation_mean_token_accuracy", "full_valid_loss", "full_valid_mean_token_accuracy",
]


# ---------------------------------------------------------------- creation


def create(emu: Emulator, request: dict, *, preview: bool) -> dict:
    """Check a create request the way Azure does and enqueue the job."""
    model = _required_string(request, "model")
    start_from, base = _resolve_model(emu, model)
    training = files.ready_for_training(emu, _required_string(request, "training_file"), "training_file")
    validation_id = request.get("validation_file")
    validation = files.ready_for_training(emu, validation_id, "validation_file") if validation_id else None

    method = request.get("method") or {"type": "supervised"}
    method_type = method.get("type", "supervised") if isinstance(method, dict) else None
    if method_type not in ("supervised", "dpo", "reinforcement"):
        raise invalid("method.type must be 'supervised', 'dpo' or 'reinforcement'.", "method")
    reinforcement.check_model(base.id, method_type)
    method_hp = (method.get(method_type) or {}).get("hyperparameters") or {}
    hyperparameters = {**(request.get("hyperparameters") or {}), **method_hp}
    rft: dict = {}
    if method_type == "reinforcement":
        rft = {"grader": reinforcement.check_method(method, validation_id)["grader"],
               **reinforcement.check_hyperparameters(hyperparameters)}
        hyperparameters = {k: v for k, v in hyperparameters.items() if k not in reinforcement.RFT_HYPERPARAMETERS}
    requested = _check_hyperparameters(hyperparameters, dpo=method_type == "dpo")

    expected = catalog.PREFERENCE if method_type == "dpo" else base.data_format
    if method_type == "dpo" and not base.dpo:
        raise invalid(f"The model '{base.id}' does not support DPO fine-tuning.", "method")
    for body, param in ((training, "training_file"), (validation, "validation_file")):
        if body and body.get("_format") != expected:
            raise invalid(
                f"The {param.replace('_', ' ')} '{body['id']}' is in {body.get('_format')} format, but "
                f"{method_type} fine-tuning of '{base.id}' needs {expected} format.",
                param,
            )

    _check_images(base.id, training, validation)

    suffix = request.get("suffix")
    if suffix is not None and not (isinstance(suffix, str) and SUFFIX.match(suffix)):
        raise invalid("suffix must be 1 to 40 characters of a-z, A-Z, 0-9, '-' and '_'.", "suffix")
    seed = request.get("seed")
    if seed is None:
        seed = random.randrange(2**31)
    elif not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**31):
        raise invalid("seed must be an integer from 0 to 2147483647.", "seed")
    training_type = request.get("trainingType")
    if training_type is not None and str(training_type).lower() not in TRAINING_TYPES:
        raise invalid("trainingType must be one of standard, globalstandard, developerTier.", "trainingType")
    reinforcement.check_training_type(base.id, training_type)

    now = emu.clock.now()
    job_id = new_id("ftjob-")
    shown_hp = {name: -1 if value is None else value for name, value in requested.items()}
    body = {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": int(now),
        "finished_at": None,
        "estimated_finish": None,
        "model": model,
        "fine_tuned_model": None,
        "training_file": training["id"],
        "validation_file": validation["id"] if validation else None,
        "result_files": None,
        "hyperparameters": {k: v for k, v in shown_hp.items() if k != "beta"},
        "seed": seed,
        "suffix": suffix,
        "trained_tokens": None,
        "status": "pending",
        "error": None,
        "organization_id": None,
        "integrations": None,
    }
    if preview:
        body["method"] = {"type": method_type, method_type: {"hyperparameters": shown_hp}}
        if rft:
            body["method"]["reinforcement"] = {"grader": rft["grader"], "hyperparameters": {
                **shown_hp, **{k: -1 if rft[k] is None else rft[k] for k in reinforcement.RFT_HYPERPARAMETERS}}}
    # The model's hex is the job's: `ftjob-372c...` makes `gpt-35-turbo-0613.ft-372c...` (the tutorial's
    # checkpoints output; the 2024-10-21 spec example `get_finetuning_job.json`: `ft-72a2...` ->
    # `curie.ft-72a2...`). The suffix is appended after a '-' (sources show none with a suffix).
    ft_model = f"{base.id}.ft-{job_id.removeprefix('ftjob-')}" + (f"-{suffix}" if suffix else "")
    progress = {
        "phase": "validating",
        "next_at": now + VALIDATION_SECONDS,
        "steps_done": 0,
        "base": base.id,
        "start_from": start_from,
        "method": method_type,
        "requested": requested,
        "fine_tuned_model": ft_model,
        "jobs_ahead": None,
    }
    if rft:
        progress["reinforcement"] = rft
    with emu.store.transaction():
        emu.store.add_job(body, progress)
        _event(emu, job_id, "Job enqueued. Waiting for jobs ahead to complete.")
        if training.get("_skipped_images"):  # fine-tuning-vision.md, "Images skipped during training"
            _event(emu, job_id, f"{training['_skipped_images']} image(s) of the training file will be skipped in training "
                   f"(first: {training['_skip_reason']}).", level="warning")
    emu.runner.wake()
    return body


def _check_images(base_model: str, *files_used: dict | None) -> None:
    """Vision data trains only the models fine-tuning-vision.md lists (emulator/training_images.py)."""
    from emulator.training_images import VISION_MODELS, takes_images

    for body, param in zip(files_used, ("training_file", "validation_file")):
        if body and body.get("_image_examples") and not takes_images(base_model):
            raise invalid(f"The {param.replace('_', ' ')} '{body['id']}' holds images, and '{base_model}' is not fine-tuned "
                          f"on images; vision fine-tuning takes {' and '.join(VISION_MODELS)} only.", param)


def _required_string(request: dict, key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"'{key}' is required and must be a string.", key)
    return value


# What a job's `model` takes (spec section 5; MicrosoftDocs/azure-ai-docs how-to/fine-tuning, includes/
# fine-tuning-python.md and -rest.md):
# - a base model by its dated id ("model=\"gpt-4.1-2025-04-14\"", "gpt-35-turbo-0613"): every create
#   example in the docs, the tutorial and the REST specs names one; no source shows Azure taking an
#   undated family name ("gpt-4o-mini"), so that is refused (the stricter reading);
# - a fine-tuned model by its id, `<base>.ft-<hex>` ("Continuous fine-tuning": "specify your already
#   fine-tuned model's ID");
# - a checkpoint, "a fully functional version of a model which can both be deployed and used as the
#   target model for subsequent fine-tuning jobs": by its id `ftchkpt-...`, the one identifier the
#   docs give for using a checkpoint as a model (fine-tuning-deploy: "deploy a checkpoint, by passing
#   the checkpoint ID ... ftchkpt-e559c011..."). Its name `<model>:ckpt-step-N` is not a model id (the
#   REST spec's `model` is "the identifier (model-id) of the base model"), so it is refused.
# Anything else gets what Azure answers a model it does not take: "The specified base model does not
# support fine-tuning." (spec section 5; MicrosoftDocs/azure-docs issue #116776).
NOT_TUNABLE = "The specified base model does not support fine-tuning."


def _resolve_model(emu: Emulator, model: str) -> tuple[str | None, catalog.BaseModel]:
    """(the fine-tuned model or checkpoint id to continue from, or None; its base model)."""
    if model in catalog.BASE_MODELS:
        base = catalog.BASE_MODELS[model]
        if not base.fine_tunable:
            raise invalid(NOT_TUNABLE, "model")
        return None, base
    if emu.store.get_model(model):
        return model, catalog.BASE_MODELS[catalog.base_model_of(model)]
    checkpoint = emu.checkpoint(model)
    if checkpoint is not None:
        return model, catalog.BASE_MODELS[catalog.base_model_of(checkpoint["fine_tuned_model_checkpoint"])]
    raise invalid(NOT_TUNABLE, "model")


def _check_hyperparameters(hp: dict, *, dpo: bool) -> dict:
    """Each value is "auto"/absent (None here) or a number in range; anything else is refused."""
    rules = {"n_epochs": (int, 1, 50), "batch_size": (int, 1, 256), "learning_rate_multiplier": (float, 0.0, 10.0)}
    if dpo:
        rules["beta"] = (float, 0.0, 2.0)
    unknown = set(hp) - set(rules)
    if unknown:
        raise invalid(f"Unknown hyperparameter '{sorted(unknown)[0]}'.", "hyperparameters")
    checked: dict = {}
    for name, (kind, low, high) in rules.items():
        value = hp.get(name, "auto")
        if value == "auto" or value is None or value == -1:
            checked[name] = None
            continue
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (kind is int and value != int(value)) or not (low < value <= high if kind is float else low <= value <= high):
            bounds = f"an integer from {low} to {high}" if kind is int else f"a number above {low} and at most {high}"
            raise invalid(f"hyperparameters.{name} must be 'auto' or {bounds}; got {value!r}.", f"hyperparameters.{name}")
        checked[name] = kind(value)
    return checked


# ---------------------------------------------------------------- state changes


def get(emu: Emulator, job_id: str) -> dict:
    body = emu.store.get_job(job_id)
    if body is None:
        raise not_found("Fine-tuning job", job_id)
    return body


def cancel(emu: Emulator, job_id: str) -> dict:
    body = get(emu, job_id)
    if body["status"] in FINISHED:
        raise wrong_state(f"The job '{job_id}' cannot be cancelled because it is {body['status']}.")
    body.update(status="cancelled", finished_at=int(emu.clock.now()), estimated_finish=None)
    with emu.store.transaction():
        emu.store.save_job(body)  # no event: no source shows the one Azure writes, if any
    emu.runner.forget(job_id)
    return body


def pause(emu: Emulator, job_id: str) -> dict:
    body = get(emu, job_id)
    progress = emu.store.job_progress(job_id)
    if body["status"] != "running" or progress["steps_done"] < 1:
        raise wrong_state(
            f"The job '{job_id}' cannot be paused because it is {body['status']}; "
            "only a running job that has completed at least one step can be paused."
        )
    return _move_to(emu, body, progress, "pausing")


def resume(emu: Emulator, job_id: str) -> dict:
    body = get(emu, job_id)
    if body["status"] != "paused":
        raise wrong_state(f"The job '{job_id}' cannot be resumed because it is {body['status']}; only a paused job can.")
    return _move_to(emu, body, emu.store.job_progress(job_id), "resuming")


def _move_to(emu: Emulator, body: dict, progress: dict, status: str) -> dict:
    """Start pausing or resuming: the runner finishes the move PAUSE_SECONDS later."""
    body["status"] = status
    progress["next_at"] = emu.clock.now() + PAUSE_SECONDS
    with emu.store.transaction():
        emu.store.save_job(body, progress)  # no event: no source shows one for pausing or resuming
    emu.runner.wake()
    return body


def delete(emu: Emulator, job_id: str) -> None:
    body = get(emu, job_id)
    if body["status"] not in FINISHED + ("paused",):
        raise wrong_state(f"The job '{job_id}' is {body['status']}; cancel it before deleting it.")
    with emu.store.transaction():
        emu.store.delete_job(job_id)
    emu.runner.forget(job_id)


def _event(emu: Emulator, job_id: str, message: str, *, level: str = "info", metrics: dict | None = None) -> None:
    emu.store.add_event(
        job_id,
        {
            "id": new_id("ftevent-"),
            "object": "fine_tuning.job.event",
            "created_at": int(emu.clock.now()),
            "level": level,
            "message": message,
            "type": "metrics" if metrics else "message",
            "data": metrics,
        },
    )


# ---------------------------------------------------------------- the runner


class JobRunner:
    """Moves every active job forward on the emulator clock: validate, queue, train, finish."""

    def __init__(self, emu: Emulator, jobs_at_once: int) -> None:
        self.emu = emu
        self.jobs_at_once = jobs_at_once
        self._runs: dict[str, TrainingRun] = {}
        self._wake = asyncio.Event()
        self.stalled: str | None = None  # why the last tick could not save (a full disk), until one can
        self._failing: str | None = None  # any other failure of the last tick

    def wake(self) -> None:
        self._wake.set()

    def forget(self, job_id: str) -> None:
        self._runs.pop(job_id, None)

    def resume_after_restart(self) -> None:
        """Carry on where the last process stopped, rather than replaying the time it was down: a
        step missed while down is made now, one not yet due stays due when it was (on a frozen
        clock a restart makes no step)."""
        now = self.emu.clock.now()
        for body in self.emu.store.jobs_with_status(*ACTIVE):
            progress = self.emu.store.job_progress(body["id"])
            progress["next_at"] = max(progress["next_at"], now)
            self.emu.store.save_job(body, progress)

    async def run_forever(self) -> None:
        while True:
            wait = self.tick_surviving()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    def tick_surviving(self) -> float:
        """`tick()`, which must not end the runner: on a full disk every job waits where it was
        saved and carries on once there is room; any other failure is reported and tried again.
        Each trouble is said once, not every second."""
        try:
            wait = self.tick()
        except Exception as exc:
            trouble = str(exc)
            if trouble not in (self.stalled, self._failing):  # said once, not every second
                if disk_full(exc):
                    print(f"ftdeck emulator: the disk is full ({exc}): jobs wait until space is freed", file=sys.stderr)
                else:
                    traceback.print_exc()
            if disk_full(exc):
                self.stalled = trouble
            else:
                self._failing = trouble
            return TROUBLE_RETRY_SECONDS
        if self.stalled is not None:
            print("ftdeck emulator: there is room on the disk again: jobs carry on", file=sys.stderr)
        self.stalled = self._failing = None
        return wait

    def tick(self) -> float:
        """Do everything that is due; return how many real seconds until something else is."""
        self.emu.sweep()
        next_due = 1.0
        for body in self.emu.store.jobs_with_status(*ACTIVE):
            progress = self.emu.store.job_progress(body["id"])
            # A burst of due steps is capped per tick so requests keep being answered.
            for _ in range(50):
                if progress["next_at"] > self.emu.clock.now() or body["status"] not in ACTIVE:
                    break
                self._advance(body, progress)
            if body["status"] in ACTIVE:
                next_due = min(next_due, self.emu.clock.real_seconds(progress["next_at"] - self.emu.clock.now()))
        return max(next_due, 0.0)

    def _advance(self, body: dict, progress: dict) -> None:
        try:
            self._advance_or_raise(body, progress)
        except JobFailure as failure:
            self._fail(body, progress, failure)
        except Exception as exc:
            if disk_full(exc):  # nothing of this step was saved: the job stays as it was, its run is rebuilt from that
                self.forget(body["id"])
                raise
            # a bug must fail one job, not stop the runner for all
            traceback.print_exc()
            self._fail(body, progress, JobFailure("internalError", f"The emulator failed while running the job: {exc!r}"))

    def _advance_or_raise(self, body: dict, progress: dict) -> None:
        if body["status"] == "pending":
            self._validate_or_queue(body, progress)
        elif body["status"] == "running":
            self._train_one_step(body, progress)
        elif body["status"] == "pausing":
            self._pause(body, progress)
        elif body["status"] == "resuming":
            self._save(body, progress, "running", None, next_at=self.emu.clock.now() + STEP_SECONDS)

    def _validate_or_queue(self, body: dict, progress: dict) -> None:
        if progress["phase"] == "validating":
            examples = self._examples(body["training_file"], progress)
            if len(examples) < MIN_EXAMPLES:
                raise JobFailure(
                    "invalidTrainingFile",
                    f"The training file '{body['training_file']}' has {len(examples)} example(s), but at least "
                    f"{MIN_EXAMPLES} are required. Add examples (50 or more is a good start) and upload it again.",
                    "training_file",
                )
            if progress["method"] == "reinforcement":
                self._check_references(body, progress)
            progress["phase"] = "queued"
        running = len(self.emu.store.jobs_with_status("running", "pausing", "resuming"))
        pending = [j["id"] for j in self.emu.store.jobs_with_status("pending")]  # oldest first
        queued_before = [j for j in pending[: pending.index(body["id"])] if self.emu.store.job_progress(j).get("phase") == "queued"]
        ahead = len(queued_before) + max(0, running - self.jobs_at_once + 1)
        if ahead == 0:
            self._start(body, progress)
            return
        progress["next_at"] = self.emu.clock.now() + QUEUE_POLL_SECONDS
        if ahead != progress["jobs_ahead"]:
            progress["jobs_ahead"] = ahead
            with self.emu.store.transaction():
                self.emu.store.save_job(body, progress)
                _event(self.emu, body["id"], f"Jobs ahead in queue: {ahead}")
        else:
            self.emu.store.save_job(body, progress)

    def _start(self, body: dict, progress: dict) -> None:
        run = self._training_run(body, progress)
        # It starts when it was due, not when the runner got to it: a clock moved on by minutes
        # (`POST /_emulator/clock`) makes every step due in those minutes, as real time would.
        now = min(self.emu.clock.now(), progress["next_at"])
        body["estimated_finish"] = int(now + run.total_steps * STEP_SECONDS)
        progress.update(phase="training", started_at=now, total_steps=run.total_steps)
        self._save(body, progress, "running", "Job started.", next_at=now + STEP_SECONDS)

    def _check_references(self, body: dict, progress: dict) -> None:
        """Every example must hold the fields the grader reads as {{ item.x }} (sources silent on
        what Azure does with a missing one: the stricter reading, the job fails at validation)."""
        needed = sorted(item_fields(progress["reinforcement"]["grader"]))
        for param in ("training_file", "validation_file"):
            for number, record in enumerate(self._records(body[param]), start=1):
                for path in needed:
                    found: object = record
                    for key in path.split("."):
                        found = found.get(key) if isinstance(found, dict) else None
                    if found is None:
                        raise JobFailure("invalidTrainingFile" if param == "training_file" else "invalidValidationFile",
                                         f"Example {number} of the {param.replace('_', ' ')} '{body[param]}' has no '{path}', "
                                         f"which the grader reads as {{{{ item.{path} }}}}.", param)

    def _train_one_step(self, body: dict, progress: dict) -> None:
        run = self._training_run(body, progress)
        if isinstance(run, RewardRun):
            self._reward_step(body, progress, run)
            return
        m = run.step()
        progress["steps_done"] = m.step
        metrics = {
            "step": m.step,
            "train_loss": m.train_loss,
            "train_mean_token_accuracy": m.train_mean_token_accuracy,
            "valid_loss": m.valid_loss,
            "valid_mean_token_accuracy": m.valid_mean_token_accuracy,
            "full_valid_loss": m.full_valid_loss,
            "full_valid_mean_token_accuracy": m.full_valid_mean_token_accuracy,
        }
        body["trained_tokens"] = m.trained_tokens
        with self.emu.store.transaction():
            self.emu.store.add_step_metrics(body["id"], metrics)
            if m.step % EVENT_EVERY_STEPS == 0:
                # The tutorial's words exactly: "Step 100: training loss=0.001647822093218565".
                _event(self.emu, body["id"], f"Step {m.step}: training loss={m.train_loss!r}", metrics=metrics)
            if m.epoch_end:
                self._checkpoint(body, progress, run, metrics)
            if run.done:
                self._succeed(body, progress, run)
            else:
                # Steps keep their schedule, so a clock advanced by a minute makes 40 steps.
                progress["next_at"] += STEP_SECONDS
                body["estimated_finish"] = int(self.emu.clock.now() + (run.total_steps - m.step) * STEP_SECONDS)
            self.emu.store.save_job(body, progress)

    def _reward_step(self, body: dict, progress: dict, run: RewardRun) -> None:
        """One RFT step: its rewards in the event, the checkpoint and later results.csv (RFT doc, "Reward")."""
        m = run.step()
        progress["steps_done"] = m.step
        metrics = m.as_metrics()
        body["trained_tokens"] = m.trained_tokens
        message = f"Step {m.step}/{run.total_steps}: training reward={m.train_reward_mean:.4f}"
        if m.valid_reward_mean is not None:
            message += f", validation reward={m.valid_reward_mean:.4f}"
        with self.emu.store.transaction():
            _event(self.emu, body["id"], message, metrics=metrics)
            if m.epoch_end:
                self._checkpoint(body, progress, run, metrics)  # type: ignore[arg-type]
            if run.done:
                self._succeed(body, progress, run)  # type: ignore[arg-type]
            else:
                progress["next_at"] += STEP_SECONDS
                body["estimated_finish"] = int(self.emu.clock.now() + (run.total_steps - m.step) * STEP_SECONDS)
            self.emu.store.save_job(body, progress)

    def _checkpoint(self, body: dict, progress: dict, run: TrainingRun, metrics: dict) -> None:
        # "The final epoch will be represented by your fine-tuned model, the previous two epochs will
        # be available as checkpoints": the tutorial's newest checkpoint is named as the model itself,
        # the others `<model>:ckpt-step-N` (tutorials/fine-tune.md "List checkpoints"; spec examples
        # `get_finetuning_job_checkpoints.json`).
        name = progress["fine_tuned_model"]
        if not run.done or metrics["step"] != run.total_steps:
            name += f":ckpt-step-{metrics['step']}"
        checkpoint = {
            "id": new_id("ftchkpt-"),
            "object": "fine_tuning.job.checkpoint",
            "created_at": int(self.emu.clock.now()),
            "fine_tuned_model_checkpoint": name,
            "fine_tuning_job_id": body["id"],
            "step_number": metrics["step"],
            "metrics": metrics,
        }
        self.emu.store.add_checkpoint(checkpoint, run.model().to_bytes())
        # Only the last three epochs stay deployable.
        for old in self.emu.store.list_checkpoints(body["id"])[3:]:
            self.emu.store.delete_checkpoint(old["id"])
        # No event: Azure's event list (tutorial) says nothing when a checkpoint is made.

    def _succeed(self, body: dict, progress: dict, run: TrainingRun) -> None:
        now = self.emu.clock.now()
        rows = self.emu.store.job_metrics(body["id"])
        csv_text = _reward_csv(rows) if progress["method"] == "reinforcement" else _results_csv(rows)
        results = files.create(self.emu, "results.csv", "fine-tune-results", csv_text, immediately=True)
        model_id = progress["fine_tuned_model"]
        self.emu.store.add_model(
            {
                "id": model_id,
                "object": "model",
                "created_at": int(now),
                "status": "succeeded",
                "model": progress["base"],
                "fine_tune": body["id"],
                "capabilities": catalog.BASE_MODELS[progress["base"]].capabilities,
                "lifecycle_status": "generally-available",
                "deprecation": {"inference": int(now) + 365 * 86400},
            },
            run.model().to_bytes(),
        )
        hours = (now - progress["started_at"]) / 3600
        body.update(
            status="succeeded",
            fine_tuned_model=model_id,
            result_files=[results["id"]],
            finished_at=int(now),
            estimated_finish=None,
        )
        progress["next_at"] = float("inf")
        # In the tutorial's order (its list is newest first): "Job succeeded.", "Postprocessing
        # started.", "Completed results file: file-...", "Training hours billed: 0.500".
        _event(self.emu, body["id"], "Job succeeded.")
        _event(self.emu, body["id"], "Postprocessing started.")
        _event(self.emu, body["id"], f"Completed results file: {results['id']}")
        _event(self.emu, body["id"], f"Training hours billed: {hours:.3f}")
        self.forget(body["id"])

    def _fail(self, body: dict, progress: dict, failure: "JobFailure") -> None:
        body.update(
            status="failed",
            finished_at=int(self.emu.clock.now()),
            estimated_finish=None,
            error={"code": failure.code, "message": failure.message, "param": failure.param},
        )
        progress["next_at"] = float("inf")
        with self.emu.store.transaction():
            self.emu.store.save_job(body, progress)
            # The reason, at level "error" (the event levels in spec section 5); the status says
            # the rest ("Job failed." is in no source).
            _event(self.emu, body["id"], failure.message, level="error")
        self.forget(body["id"])

    def _save(self, body: dict, progress: dict, status: str, message: str | None, *, next_at: float) -> None:
        body["status"] = status
        progress["next_at"] = next_at
        with self.emu.store.transaction():
            self.emu.store.save_job(body, progress)
            if message:
                _event(self.emu, body["id"], message)

    def _pause(self, body: dict, progress: dict) -> None:
        """"Once the training job is paused, a deployable checkpoint will be created" (MicrosoftDocs/
        azure-ai-docs: the fine-tuning portal include, how-to/reinforcement-fine-tuning.md; spec
        section 5): at the step reached, unless an epoch ended there and made one already."""
        run = self._training_run(body, progress)
        metrics = self.emu.store.job_metrics(body["id"])
        body["status"] = "paused"
        progress["next_at"] = float("inf")
        with self.emu.store.transaction():
            made = {c["step_number"] for c in self.emu.store.list_checkpoints(body["id"])}
            if metrics and metrics[-1]["step"] not in made:
                self._checkpoint(body, progress, run, metrics[-1])
            self.emu.store.save_job(body, progress)

    def _examples(self, file_id: str | None, progress: dict) -> list:
        if file_id is None:
            return []
        content = self.emu.store.file_content(file_id)
        if content is None:
            raise JobFailure("invalidTrainingFile", f"The file '{file_id}' was deleted before training finished.", "training_file")
        check = check_training_file(content)
        return examples_from_records(check.records, check.data_format or catalog.CHAT)

    def _records(self, file_id: str | None) -> list[dict]:
        content = self.emu.store.file_content(file_id) if file_id else None
        return check_training_file(content).records if content is not None else []

    def _training_run(self, body: dict, progress: dict) -> TrainingRun:
        """The job's training, rebuilt deterministically (replaying done steps) after a restart."""
        run = self._runs.get(body["id"])
        if run is not None:
            return run
        if progress["method"] == "reinforcement":
            return self._reward_run(body, progress)
        training = self._examples(body["training_file"], progress)
        validation = self._examples(body["validation_file"], progress) or None
        requested = progress["requested"]
        auto = auto_hyperparameters(len(training), sum(e.n_tokens for e in training))
        n_epochs = requested["n_epochs"] or auto.n_epochs
        batch_size = requested["batch_size"] or auto.batch_size
        lr = requested["learning_rate_multiplier"] or auto.learning_rate_multiplier
        run = TrainingRun.resume(
            NGramModel.base(),
            training,
            validation,
            n_epochs=n_epochs,
            batch_size=min(batch_size, len(training)),
            learning_rate_multiplier=lr,
            seed=body["seed"],
            start_from=self.emu.fine_tuned_weights(progress["start_from"]) if progress["start_from"] else None,
            beta=requested.get("beta") or 0.1,
            steps_done=progress["steps_done"],
        )
        # Azure reports the values it chose once training starts.
        body["hyperparameters"] = {"n_epochs": n_epochs, "batch_size": batch_size, "learning_rate_multiplier": lr}
        if "method" in body:
            body["method"][body["method"]["type"]]["hyperparameters"].update(body["hyperparameters"])
        self._runs[body["id"]] = run
        return run


    def _reward_run(self, body: dict, progress: dict) -> RewardRun:  # type: ignore[return]
        training = self._records(body["training_file"])
        if not training:
            raise JobFailure("invalidTrainingFile", f"The file '{body['training_file']}' was deleted before training finished.", "training_file")
        requested, rft = progress["requested"], progress["reinforcement"]
        auto = auto_hyperparameters(len(training), 0)
        n_epochs = requested["n_epochs"] or auto.n_epochs
        batch_size = min(requested["batch_size"] or auto.batch_size, len(training))
        lr = requested["learning_rate_multiplier"] or auto.learning_rate_multiplier
        run = RewardRun.resume(
            NGramModel.base(), training, self._records(body["validation_file"]), rft["grader"],
            n_epochs=n_epochs, batch_size=batch_size, learning_rate_multiplier=lr, seed=body["seed"],
            compute_multiplier=rft["compute_multiplier"] or 1.0, eval_interval=rft["eval_interval"] or 1,
            eval_samples=rft["eval_samples"],
            start_from=self.emu.fine_tuned_weights(progress["start_from"]) if progress["start_from"] else None,
            steps_done=progress["steps_done"],
        )
        body["hyperparameters"] = {"n_epochs": n_epochs, "batch_size": batch_size, "learning_rate_multiplier": lr}
        if "method" in body:
            body["method"]["reinforcement"]["hyperparameters"].update(
                body["hyperparameters"], eval_interval=run.eval_interval, eval_samples=run.eval_samples,
                compute_multiplier=rft["compute_multiplier"] or 1.0)
        self._runs[body["id"]] = run  # type: ignore[assignment]
        return run


class JobFailure(Exception):
    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


def _results_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for r in rows:
        values = [r["step"], r["train_loss"], r["train_mean_token_accuracy"], r["valid_loss"],
                  r["valid_mean_token_accuracy"], r["full_valid_loss"], r["full_valid_mean_token_accuracy"]]
        writer.writerow(["" if v is None else (f"{v:.5f}" if isinstance(v, float) else v) for v in values])
    return out.getvalue().encode()



REWARD_COLUMNS = ["step", "train_reward_mean", "valid_reward_mean"]  # RFT doc, "Reward"


def _reward_csv(rows: list[dict]) -> bytes:
    """An RFT job's results.csv: one row per step with its rewards (the RFT doc names the metrics;
    the file's columns for RFT are not documented: these are the emulator's)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REWARD_COLUMNS)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else (f"{r[c]:.5f}" if isinstance(r[c], float) else r[c]) for c in REWARD_COLUMNS])
    return out.getvalue().encode()

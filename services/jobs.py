"""Fine-tuning jobs: create (checked before calling), state changes, events read incrementally."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from services import sdk_shapes
from services.errors import Deletion, FtdeckError, created_id, deleted_or_gone, maybe_done, nothing_sent, what_went_wrong
from services.files import upload_file
from services.model_families import DPO_MODELS, supports_dpo
from services.model_ids import checkpoint_name_problem, is_checkpoint_id
from services.retries import again_for_sdk, sending_once
from services.sdk_shapes import dumped
from services.training_tiers import TRAINING_TYPES
from services.workspace import Workspace, calling

FINISHED = ("succeeded", "failed", "cancelled")
SUFFIX = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
RECENT_JOBS = 50  # how far down the job list (newest first) a job we created is looked for


@dataclass
class JobRequest:
    model: str
    training_file: str
    validation_file: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate_multiplier: float | None = None
    seed: int | None = None
    suffix: str | None = None
    method: str = "supervised"
    beta: float | None = None
    training_type: str | None = None
    # reinforcement fine-tuning (services/rft_rules.py)
    grader: dict | None = None
    reasoning_effort: str | None = None
    compute_multiplier: float | None = None
    eval_interval: int | None = None
    eval_samples: int | None = None

    def problems(self) -> list[str]:
        """Everything wrong with the request, found before calling the service."""
        found = []
        if self.epochs is not None and not 1 <= self.epochs <= 50:
            found.append("--epochs must be from 1 to 50")
        if self.batch_size is not None and not 1 <= self.batch_size <= 256:
            found.append("--batch-size must be from 1 to 256")
        if self.learning_rate_multiplier is not None and not 0 < self.learning_rate_multiplier <= 10:
            found.append("--lr-multiplier must be above 0 and at most 10 (0.02-0.2 is the usual range)")
        if self.seed is not None and not 0 <= self.seed < 2**31:
            found.append("--seed must be from 0 to 2147483647")
        if self.suffix is not None and not SUFFIX.match(self.suffix):
            found.append("--suffix must be 1-40 characters of a-z, A-Z, 0-9, '-' and '_'")
        if self.method not in ("supervised", "dpo", "reinforcement"):
            found.append("--method must be supervised, dpo or reinforcement")
        found += self._reinforcement_problems()
        if self.beta is not None and (self.method != "dpo" or not 0 < self.beta <= 2):
            found.append("--beta goes with --method dpo and must be above 0 and at most 2 (0.1-0.5 is typical)")
        if self.training_type is not None and self.training_type.lower() not in TRAINING_TYPES:
            found.append("--training-type must be standard, globalstandard or developertier")
        if problem := checkpoint_name_problem(self.model):
            found.append(f"--model: {problem}")
        # A checkpoint id hides its base model: the service judges those.
        if self.method == "dpo" and self.model and not is_checkpoint_id(self.model) and not supports_dpo(self.model):
            found.append(f"--method dpo: {self.model} does not support DPO (the DPO page lists "
                         f"{', '.join(sorted(DPO_MODELS))}, and models fine-tuned from them)")
        return found

    def _reinforcement_problems(self) -> list[str]:
        from services import rft_rules

        rft_values = (self.reasoning_effort, self.compute_multiplier, self.eval_interval, self.eval_samples)
        if self.method != "reinforcement":
            wrong = self.grader is not None or any(v is not None for v in rft_values)
            return ["--grader, --reasoning-effort, --compute-multiplier, --eval-interval and --eval-samples go with --method reinforcement"] if wrong else []
        found = []
        if self.grader is None:
            found.append("--method reinforcement needs --grader GRADER_JSON (the grader that scores the model's answers)")
        if not self.validation_file:
            found.append("--method reinforcement needs --validation-file too (Azure requires one for RFT)")
        if not self.model.startswith("ftchkpt-") and not rft_rules.supports_reinforcement(self.model):
            found.append(f"{self.model} does not support reinforcement fine-tuning; use {', '.join(rft_rules.RFT_MODELS)}")
        if self.reasoning_effort is not None and self.reasoning_effort not in rft_rules.REASONING_EFFORTS:
            found.append("--reasoning-effort must be low, medium or high")
        if self.compute_multiplier is not None and not 0 < self.compute_multiplier <= 10:
            found.append("--compute-multiplier must be above 0 and at most 10")
        for flag, value in (("--eval-interval", self.eval_interval), ("--eval-samples", self.eval_samples)):
            if value is not None and value < 1:
                found.append(f"{flag} must be 1 or more")
        return found

    def body(self) -> dict[str, Any]:
        hyperparameters = {
            key: value
            for key, value in (("n_epochs", self.epochs), ("batch_size", self.batch_size), ("learning_rate_multiplier", self.learning_rate_multiplier))
            if value is not None
        }
        if self.beta is not None:
            hyperparameters["beta"] = self.beta
        body: dict[str, Any] = {"model": self.model, "training_file": self.training_file}
        if self.validation_file:
            body["validation_file"] = self.validation_file
        for key in ("seed", "suffix"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.method == "dpo":
            body["method"] = {"type": "dpo", "dpo": {"hyperparameters": hyperparameters}}
        elif self.method == "reinforcement":
            for key in ("reasoning_effort", "compute_multiplier", "eval_interval", "eval_samples"):
                if getattr(self, key) is not None:
                    hyperparameters[key] = getattr(self, key)
            body["method"] = {"type": "reinforcement", "reinforcement": {"grader": self.grader, "hyperparameters": hyperparameters}}
        elif hyperparameters:
            body["hyperparameters"] = hyperparameters
        return body


def list_jobs(ws: Workspace, limit: int = 50) -> list[dict]:
    """The newest `limit` jobs, as the SDK's models dump them, read without the SDK (Workspace.get_json)."""
    page = ws.get_json("fine_tuning/jobs", {"limit": limit})
    return [dumped(sdk_shapes.JOB, job) for job in (page.get("data") or [])]


def get_job(ws: Workspace, job_id: str) -> dict:
    with calling():
        return ws.openai().fine_tuning.jobs.retrieve(job_id).model_dump()


def create_job(ws: Workspace, request: JobRequest, on_status: Callable[[str], None] = lambda s: None) -> dict:
    """Refuse bad values first; upload local paths (validated) and use their ids."""
    problems = request.problems()
    if problems:
        raise FtdeckError("; ".join(problems), exit_code=2)
    for attribute in ("training_file", "validation_file"):
        value = getattr(request, attribute)
        if value and not value.startswith("file-"):
            if not Path(value).exists():
                raise FtdeckError(f"{value}: neither a file id (file-...) nor an existing file", exit_code=2)
            checked = True
            if request.method == "reinforcement":  # the RFT rules, not the chat ones
                _check_reinforcement_file(value, request, attribute)
                checked = False
            elif attribute == "training_file":  # checked before anything is uploaded
                with open(value, "rb") as local:
                    _enough_to_train(value, _count_up_to(local, minimum_examples()))
            uploaded = upload_file(ws, value, model=request.model, validate=checked, on_status=on_status, reuse=lambda existing: True)
            on_status(f"{value} -> {uploaded.file['id']}{' (already uploaded)' if uploaded.reused else ''}")
            setattr(request, attribute, uploaded.file["id"])
        elif value and attribute == "training_file":
            _enough_to_train(value, _examples_up_to(ws, value, minimum_examples()))
    body = request.body()
    options: dict[str, Any] = {}
    if request.method in ("dpo", "reinforcement") or request.training_type:
        options = ws.preview()
    if request.training_type:
        options["extra_body"] = {"trainingType": TRAINING_TYPES[request.training_type.lower()]}
    with calling():
        return _create_once(ws, body, options, on_status)


def minimum_examples() -> int:
    from services.datasets import MINIMUM_EXAMPLES  # imported when a job is made, not for listings

    return MINIMUM_EXAMPLES


def _enough_to_train(what: str, examples: int | None) -> None:
    """Refuse a training file under the minimum: Azure would take the job, then fail it."""
    from services.datasets import too_few_for_training

    if examples is not None and examples < minimum_examples():
        raise FtdeckError(f"the training file {what} has {too_few_for_training(examples)}; nothing was created", exit_code=2)


def _examples_up_to(ws: Workspace, file_id: str, enough: int) -> int | None:
    """How many examples (non-blank lines) an uploaded file has, counting no further than `enough`:
    only its first lines are read. None when it cannot be read (the service then judges the file)."""
    try:
        with calling():
            with ws.openai().files.with_streaming_response.content(file_id) as response:
                return _count_up_to(response.iter_lines(), enough)
    except Exception:  # noqa: BLE001 - a count is a courtesy; the create call reports a real problem
        return None


def _count_up_to(lines, enough: int) -> int:
    """Non-blank lines (one example each in JSONL), counted no further than `enough`."""
    count = 0
    for line in lines:
        count += bool(line.strip())
        if count >= enough:
            break
    return count


def _check_reinforcement_file(path: str, request: JobRequest, role: str) -> None:
    from services import rft_rules
    from services.datasets import DatasetUnreadable, validate_dataset

    try:
        report = validate_dataset(path, model=request.model)
    except DatasetUnreadable as exc:
        raise FtdeckError(str(exc), exit_code=2) from None
    rft_rules.check_for_reinforcement(report, path, request.model, request.grader)
    if role == "validation_file":  # the minimum of 10 examples is the training file's (spec section 3)
        report.errors = [e for e in report.errors if "a fine-tuning job needs at least" not in e.message]
    if not report.ok:
        first = "; ".join(f"line {e.line}: {e.message}" if e.line else e.message for e in report.errors[:3])
        raise FtdeckError(f"{path} has {len(report.errors)} problem(s), nothing uploaded: {first} "
                          f"(see `ftdeck data validate {path} --method reinforcement`)")


def _create_once(ws: Workspace, body: dict[str, Any], options: dict[str, Any], on_status: Callable[[str], None]) -> dict:
    """POST the job, and never create it twice.

    A POST sent again blindly after a dropped connection, a timeout or a 5xx, when the service
    created the job and only its answer was lost, makes two jobs, both billed. So the POST goes
    once per attempt (the client does not resend it); a 429 (refused before anything was done) is
    sent again after its retry-after, and any other failure first reads the job list: a job that
    was not there before, for the same model, files, suffix and seed, is ours. Attempts follow the
    one retry policy (services/retries.py), and each wait is reported."""
    import openai

    client = ws.openai()
    before = {job.id for job in client.fine_tuning.jobs.list(limit=RECENT_JOBS).data}
    once = client.with_options(max_retries=0)  # whatever client this is, the SDK must not resend it either

    def attempt(n: int) -> dict:
        try:
            with sending_once():
                created = once.fine_tuning.jobs.create(**body, **options).model_dump()
        except (openai.APIConnectionError, openai.InternalServerError) as exc:
            if nothing_sent(exc):
                raise
            try:
                found = _created_since(client, before, body)
            except openai.OpenAIError:
                raise maybe_done("creating the job", exc, "job", "the job may have been created") from None
            if found is None:
                on_status(f"{what_went_wrong(exc)}; the job was not created, sending it again")
                raise  # the policy sends it again
            on_status(f"the answer was lost, but the job was created: {found['id']}")
            return found
        created_id(created, "job", "POST /openai/fine_tuning/jobs")
        return created

    return ws.retries.run(attempt, again_for_sdk, "POST /openai/fine_tuning/jobs", ws.report_wait)


def _created_since(client: Any, before: set[str], body: dict[str, Any]) -> dict | None:
    """A job that appeared since `before` was read and matches the request (a field the service
    does not echo back matches anything)."""
    for job in client.fine_tuning.jobs.list(limit=RECENT_JOBS).data:
        if job.id in before:
            continue
        found = job.model_dump()
        same_files = all(found.get(key) == body.get(key) for key in ("model", "training_file", "validation_file"))
        if same_files and all(found.get(key) in (None, body[key]) for key in ("suffix", "seed") if key in body):
            return found
    return None


def cancel_job(ws: Workspace, job_id: str) -> dict:
    with calling():
        return ws.openai().fine_tuning.jobs.cancel(job_id).model_dump()


def pause_job(ws: Workspace, job_id: str) -> dict:
    with calling():
        return ws.openai().fine_tuning.jobs.pause(job_id, **ws.preview()).model_dump()


def resume_job(ws: Workspace, job_id: str) -> dict:
    with calling():
        return ws.openai().fine_tuning.jobs.resume(job_id, **ws.preview()).model_dump()


# Azure's v1 spec (azure-v1-v1-generated.yaml) has no DELETE /fine_tuning/jobs/{id}; the dated versions do.
NO_JOB_DELETE_ON_V1 = ("deleting a job is not part of Azure's v1 API: use a profile on a dated api-version to delete it "
                       "(api = \"versioned\", or OPENAI_API_VERSION=2024-10-21)")


def delete_job(ws: Workspace, job_id: str) -> Deletion:
    """"deleted", or "gone" when a retry found nothing after the first answer was lost."""
    import httpx

    if ws.profile.is_v1:  # its 404 would read as "already gone"
        raise FtdeckError(NO_JOB_DELETE_ON_V1, exit_code=2)

    with calling():  # the SDK has no method for it
        return deleted_or_gone(ws.calls, lambda: ws.openai().delete(f"/fine_tuning/jobs/{job_id}", cast_to=httpx.Response))


def list_checkpoints(ws: Workspace, job_id: str) -> list[dict]:
    with calling():
        return [c.model_dump() for c in ws.openai().fine_tuning.jobs.checkpoints.list(job_id, limit=100).data]


@dataclass
class EventTail:
    """A job's events, oldest first, read incrementally. The API lists newest first and can only page
    backwards, so each poll reads from the newest event back until it meets one it holds. Seeing
    where the new ones end takes one known event: the first page is sized for as many new ones
    as the last poll found (up to 4), plus that one; a second page is as small, then they double."""

    job_id: str
    events: list[dict] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)
    page_size: int = 50
    _last_new: int = 1  # events the last poll found: a job trains at a steady pace

    def poll(self, ws: Workspace) -> list[dict]:
        """Fetch and return the events that are new since the last poll (oldest first)."""
        fresh: list[dict] = []
        after = None
        pages = 0
        # Capped: a burst (a fast clock, a long pause) says little about the next poll.
        limit = min(max(self._last_new, 1), 4) + 1 if self._ids else self.page_size
        with calling():
            while True:
                page = ws.openai().fine_tuning.jobs.list_events(self.job_id, limit=limit, **({"after": after} if after else {}))
                known_reached = False
                for event in page.data:
                    if event.id in self._ids:
                        known_reached = True
                        break
                    fresh.append(event.model_dump())
                if known_reached or not page.has_more or not page.data:
                    break
                after = page.data[-1].id
                pages += 1
                if pages > 1:  # the second page is as small as the first; then they grow
                    limit = min(limit * 2, 100)
        fresh.reverse()
        self._last_new = len(fresh)
        self.events.extend(fresh)
        self._ids.update(e["id"] for e in fresh)
        return fresh

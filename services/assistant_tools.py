"""What the assistant's tools do (the registry's `tool=True` commands, tui/registry.py), without
Textual: the TUI's `/show`, `/compare`... and `ftdeck ask` use the same functions.

Reading tools answer at once with a dict whose "summary" already says the facts in sentences (a model,
or the emulator's quoting chooser, answers from it) and whose other keys hold the figures.
Changing tools are never run here on a model's word: `propose` says exactly what would be sent,
and only the caller, once the user confirmed, hands the proposal to `carry_out`.

Every string from the service or a file is data: it is quoted in the results, never obeyed.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from services.errors import FtdeckError
from services.wording import count
from services.workspace import Workspace

FINISHED = ("succeeded", "failed", "cancelled")
ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")
EVENTS_SHOWN = 12
COMPARED_AT_MOST = 10
NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}

# Why a job failed, in ftdeck's words, with the fix: matched on the error's message first (Azure
# puts RAI refusals under general codes), then its code. Spec section 5 "Failures users see".
FAILURE_EXPLANATIONS: tuple[tuple[str, str, str], ...] = (
    (r"failed RAI checks", "Azure's Responsible AI check refused the training data for the harm types it names",
     "remove or rewrite the flagged examples, validate the file again and start a new job (a job refused this way is not charged)"),
    (r"unable to be deployed|Model evaluation identified",
     "the trained model failed Azure's safety evaluation, so it cannot be deployed",
     "review the training data for the harms named, retrain on cleaned data (no charge for the refused model)"),
    (r"at least \d+ (are )?required|example\(s\), but at least",
     "the training file has too few examples (Azure needs at least 10; 50 or more is a good start)",
     "add examples, check it with `ftdeck data validate`, upload it and start a new job"),
    (r"does not support fine-tuning", "the base model cannot be fine-tuned",
     "start the job from a fine-tunable model (the create-job form lists them)"),
    (r"was deleted before training finished", "a file the job trained on was deleted while it ran",
     "upload the file again and start a new job"),
)
FAILURE_CODES = {
    "invalidTrainingFile": ("the training file was refused", "check it with `ftdeck data validate` and upload a fixed one"),
    "invalidValidationFile": ("the validation file was refused", "check it with `ftdeck data validate` and upload a fixed one"),
    "internalError": ("the service failed while training", "start the job again; if it fails again, report it to Azure support"),
    "quotaExceeded": ("the resource's quota was reached", "wait for running jobs to end or ask for more quota"),
}

# Approximate list prices in US dollars per 1M tokens, for estimates only (OpenAI's pricing page,
# fine-tuning training and standard inference; Azure's vary by region and deployment type).
TRAINING_PRICE = {"gpt-4.1-nano": 1.50, "gpt-4.1-mini": 5.00, "gpt-4.1": 25.00, "gpt-4o-mini": 3.00,
                  "gpt-4o": 25.00, "gpt-35-turbo": 8.00, "gpt-4": 25.00}


def explain_failure(error: dict | None) -> dict | None:
    """ftdeck's explanation of a failed job's error, with the fix; None without an error."""
    if not error or not (error.get("message") or error.get("code")):
        return None
    message, code = str(error.get("message") or ""), str(error.get("code") or "")
    for pattern, why, fix in FAILURE_EXPLANATIONS:
        if re.search(pattern, message, re.IGNORECASE):
            return {"explanation": why, "fix": fix}
    why, fix = FAILURE_CODES.get(code, ("the service ended the job with this error", "read the error, fix what it names and start a new job"))
    return {"explanation": why, "fix": fix}


def price_for(model: str | None, table: dict[str, float]) -> float | None:
    """The table's price for a model (the longest matching name: gpt-4.1-mini before gpt-4.1)."""
    if not model:
        return None
    model = model.lower()
    found = [name for name in table if model.startswith(name)]
    return table[max(found, key=len)] if found else None


# ---------------------------------------------------------------- reading tools


Selected = dict | None  # {"pane": "jobs", "id": "ftjob-...", "status": ...}: what "it" is


def read(ws: Workspace, command_id: str, args: dict, selected: Selected = None) -> dict:
    """Run a reading tool; a problem (no such job, an unreadable file) comes back as {"error": ...}."""
    reader = READERS.get(command_id)
    if reader is None:
        return {"error": f"{command_id} is not a reading tool"}
    try:
        return reader(ws, args, selected)
    except FtdeckError as exc:
        return {"error": str(exc), "summary": f"{command_id} failed: {exc}"}


def _job_id(ws: Workspace, args: dict, selected: Selected) -> str:
    """The job asked for, else the selected one, else the newest."""
    from services.jobs import list_jobs

    if args.get("job"):
        return str(args["job"])
    if selected and selected.get("pane") == "jobs" and selected.get("id"):
        return str(selected["id"])
    newest = list_jobs(ws, limit=1)
    if not newest:
        raise FtdeckError("there are no jobs yet")
    return newest[0]["id"]


def _latest_events(ws: Workspace, job_id: str, limit: int) -> list[dict]:
    from services.workspace import calling

    with calling():
        page = ws.openai().fine_tuning.jobs.list_events(job_id, limit=limit)
    return [{"created_at": e.created_at, "level": e.level, "message": e.message} for e in reversed(page.data)]


def show_job(ws: Workspace, args: dict, selected: Selected) -> dict:
    from services.jobs import get_job

    job = get_job(ws, _job_id(ws, args, selected))
    hp = job.get("hyperparameters") or {}
    facts: dict[str, Any] = {
        "id": job["id"], "status": job["status"], "model": job["model"], "fine_tuned_model": job.get("fine_tuned_model"),
        "training_file": job.get("training_file"), "validation_file": job.get("validation_file"),
        "hyperparameters": {k: hp.get(k) for k in ("n_epochs", "batch_size", "learning_rate_multiplier")},
        "trained_tokens": job.get("trained_tokens"), "error": job.get("error") if (job.get("error") or {}).get("message") else None,
    }
    text = [f"Job {job['id']} ({job['model']}) is {job['status']}."]
    if explained := explain_failure(facts["error"]):
        facts.update(explained)
        error = facts["error"]
        text.append(f"Its error ({error.get('code')}): {error.get('message')}")
        text.append(f"ftdeck's explanation: {explained['explanation']}. Fix: {explained['fix']}.")
    if job["status"] == "succeeded":
        text.append(f"It made {job.get('fine_tuned_model')}.")
        if summary := _results(ws, job):
            facts["results"] = summary
            text.append(_results_sentence(summary))
    events = _latest_events(ws, job["id"], 5)
    facts["latest_events"] = events
    if events:
        text.append("Latest events: " + " | ".join(e["message"] for e in events))
    facts["summary"] = " ".join(text)
    return facts


def show_events(ws: Workspace, args: dict, selected: Selected) -> dict:
    job_id = _job_id(ws, args, selected)
    events = _latest_events(ws, job_id, EVENTS_SHOWN)
    lines = [f"{e['level']}: {e['message']}" for e in events]
    return {"job": job_id, "events": events,
            "summary": f"The latest {len(events)} events of {job_id}, oldest first: " + " | ".join(lines) if lines else f"{job_id} has no events yet."}


def _results(ws: Workspace, job: dict) -> dict | None:
    """The summary of a succeeded job's results.csv (services/results.py), or None when unreadable."""
    from services.results import Curves, download_results

    try:
        summary = Curves.parse(download_results(ws, job["id"]), f"the results.csv of {job['id']}").summary()
    except FtdeckError:
        return None
    valid = summary.get("full_valid_loss") or summary.get("valid_loss")
    out = {"steps": summary["steps"],
           "validation_loss": valid["final"] if valid else None,
           "best_validation_loss": valid["best"] if valid else None,
           "training_loss": (summary.get("train_loss") or {}).get("final"),
           "accuracy": (summary.get("full_valid_mean_token_accuracy") or summary.get("train_mean_token_accuracy") or {}).get("final"),
           "overfitting": summary.get("overfitting")}
    return out


def _results_sentence(r: dict) -> str:
    parts = [f"{r['steps']} steps"]
    if r.get("validation_loss") is not None:
        parts.append(f"final validation loss {r['validation_loss']:.4f} (best {r['best_validation_loss']:.4f})")
    if r.get("training_loss") is not None:
        parts.append(f"final training loss {r['training_loss']:.4f}")
    if r.get("accuracy") is not None:
        parts.append(f"accuracy {r['accuracy']:.2%}")
    sentence = "Results: " + ", ".join(parts) + "."
    return sentence + (f" Warning: {r['overfitting']}." if r.get("overfitting") else "")


def _count(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    number = NUMBER_WORDS.get(text) if text in NUMBER_WORDS else int(text) if text.isdigit() else None
    if number is None or number < 1:
        raise FtdeckError(f"n must be a whole number, 1 or more, not {str(value)[:20]!r}")
    return number


def compare_jobs(ws: Workspace, args: dict, selected: Selected) -> dict:
    from services.jobs import list_jobs

    wanted = _count(args.get("n"))
    done = [j for j in list_jobs(ws, limit=50) if j["status"] == "succeeded"][: wanted or COMPARED_AT_MOST]
    if not done:
        return {"runs": [], "summary": "No job has succeeded yet: there are no results to compare."}
    runs = []
    for job in done:
        results = _results(ws, job) or {}
        runs.append({"job": job["id"], "model": job["model"], "fine_tuned_model": job.get("fine_tuned_model"),
                     "suffix": job.get("user_provided_suffix") or job.get("suffix"), **results})
    ranked = sorted(runs, key=lambda r: r["validation_loss"] if r.get("validation_loss") is not None else math.inf)
    lines = [f"Compared the {count(len(runs), 'newest succeeded job')}."]
    best = ranked[0]
    if best.get("validation_loss") is not None:
        lines.append(f"Lowest validation loss: {best['job']} ({best['validation_loss']:.4f}).")
    else:
        lines.append("None of them has a validation loss (they were trained without a validation file).")
    for run in ranked:
        figures = [f"validation loss {run['validation_loss']:.4f}" if run.get("validation_loss") is not None else "no validation loss"]
        if run.get("training_loss") is not None:
            figures.append(f"training loss {run['training_loss']:.4f}")
        if run.get("accuracy") is not None:
            figures.append(f"accuracy {run['accuracy']:.2%}")
        lines.append(f"- {run['job']} ({run['model']}): {', '.join(figures)}")
    return {"runs": ranked, "lowest_validation_loss": best["job"] if best.get("validation_loss") is not None else None,
            "summary": "\n".join(lines)}


def validate_data(ws: Workspace | None, args: dict, selected: Selected) -> dict:
    from services.datasets import DatasetUnreadable, validate_dataset

    path, model = str(args.get("path") or ""), args.get("model") or None
    if not path:
        raise FtdeckError("validate needs a path, such as ./train.jsonl")
    price = price_for(model, TRAINING_PRICE)
    try:
        report = validate_dataset(path, model=model, price_per_million=price)
    except DatasetUnreadable as exc:
        raise FtdeckError(str(exc)) from None
    except ValueError as exc:  # a model no rule knows
        raise FtdeckError(f"{model}: {exc}") from None
    data = report.to_json()
    target = f" for {model}" if model else ""
    tokens = data["tokens"]
    verdict = (f"{path} is ready{target}: {count(report.examples, 'example')}, no problems." if report.ok else
               f"{path} is NOT ready{target}: {count(len(report.listed_errors()), 'problem')} in {count(report.examples, 'example')}.")
    estimate = f"{tokens['total']:,} tokens, about {data['estimated_billed_tokens']:,} billed for {report.epochs} epochs"
    if report.estimated_cost is not None:
        estimate += f", about ${report.estimated_cost:,.2f} at ${price:.2f} per 1M training tokens (a list price)"
    lines = [f"{verdict} {estimate}."]  # the verdict and the estimate first: a short quote keeps them
    for problem in report.listed_errors()[:5]:
        lines.append(f"- {'line ' + str(problem.line) + ': ' if problem.line else ''}{problem.message}")
    for warning in report.warnings[:3]:
        lines.append(f"- warning{' (line ' + str(warning.line) + ')' if warning.line else ''}: {warning.message}")
    data.update(path=path, model=model, summary="\n".join(lines))
    return data


def suggest_training(ws: Workspace, args: dict, selected: Selected) -> dict:
    """Hyperparameters to try, from the data's size and the docs' defaults (spec section 5: auto
    epochs 3, learning_rate_multiplier 0.02-0.2 for experiments; larger batches take larger rates)."""
    from services.datasets import DatasetUnreadable, validate_dataset

    path = str(args.get("path") or "")
    source = path
    with tempfile.TemporaryDirectory() as folder:
        if not path:
            job_id = _job_id(ws, {}, selected)
            path, source = _download_training_file(ws, job_id, Path(folder)), f"the training file of {job_id}"
        try:
            report = validate_dataset(path)
        except DatasetUnreadable as exc:
            raise FtdeckError(str(exc)) from None
    n = report.examples
    if n == 0:
        return {"examples": 0, "summary": f"{source} has no examples to train on: nothing to suggest yet."}
    batch = max(1, min(256, round(n * 0.002)))  # the service's auto: about 0.2% of the examples
    rate = 0.05 if batch <= 2 else 0.1 if batch <= 16 else 0.2
    epochs = 3 if n >= 100 else 4
    text = (f"Suggestion for {source} ({n} examples, {report.total_tokens:,} tokens): start with the service's defaults "
            f"(auto), which for this size means about batch size {batch}; if you set them yourself, try "
            f"learning_rate_multiplier {rate} (the docs' range for experiments is 0.02 to 0.2; larger batches take larger rates) "
            f"and {epochs} epochs. If validation loss rises while training loss falls, lower the rate or the epochs; "
            f"if the model does not follow the data closely enough, add an epoch or two. A suggestion, not a rule.")
    if n < 50:
        text += f" With only {n} examples, adding more (50 or more) is likely to help more than any setting."
    return {"examples": n, "tokens": report.total_tokens, "learning_rate_multiplier": rate, "n_epochs": epochs,
            "batch_size": batch, "source": source, "summary": text}


def _download_training_file(ws: Workspace, job_id: str, folder: Path) -> str:
    from services.jobs import get_job
    from services.workspace import calling

    file_id = get_job(ws, job_id).get("training_file")
    if not file_id:
        raise FtdeckError(f"{job_id} names no training file")
    with calling():
        content = ws.openai().files.content(file_id).content
    path = folder / "training.jsonl"
    path.write_bytes(content)
    return str(path)


READERS: dict[str, Callable[[Workspace, dict, Selected], dict]] = {
    "job.show": show_job, "job.events": show_events, "jobs.compare": compare_jobs,
    "data.validate": validate_data, "training.suggest": suggest_training,
}


# ---------------------------------------------------------------- changing tools: proposed, then carried out


@dataclass
class Proposal:
    """A change exactly as it would be made: the command, its resolved arguments, and in words."""

    command: str  # the registry id: job.cancel, deploy, delete, job.pause-only, job.resume
    arguments: dict[str, str]
    question: str  # "Cancel job ftjob-...?"
    detail: str  # what happens, and what will be sent
    typed: str = ""  # what a production profile's dialog asks to type
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.command} " + " ".join(self.arguments.values())


DELETE_NOTES = {
    "job": "Its events and checkpoints go with it; a fine-tuned model it made stays.",
    "file": "Jobs that used it keep their results; new jobs cannot use it.",
    "deployment": "Hosting charges stop; the model stays and can be deployed again.",
    "model": "The fine-tuned model is gone for good; deployments of it must be deleted first.",
}
KINDS = {"jobs": "job", "files": "file", "deployments": "deployment", "checkpoints": "checkpoint"}


def propose(ws: Workspace, command_id: str, args: dict, selected: Selected = None) -> Proposal:
    """What a changing tool call would do, its defaults filled in (the selected row for "it", a
    job's best checkpoint for deploy). Raises FtdeckError when it cannot be made."""
    if command_id in ("job.cancel", "job.pause-only", "job.resume"):
        verb = {"job.cancel": "cancel", "job.pause-only": "pause", "job.resume": "resume"}[command_id]
        chosen = selected if selected and selected.get("pane") == "jobs" else {}
        job_id = args.get("job") or chosen.get("id")  # "cancel it": the selected job
        if not job_id:
            raise FtdeckError(f"{verb}: which job? Give its id (ftjob-...) or select it")
        detail = {"cancel": "Training stops; this cannot be undone.", "pause": "Training pauses at the next step; resume continues it.",
                  "resume": "Training continues from where it paused."}[verb]
        return Proposal(command_id, {"job": str(job_id)}, f"{verb.capitalize()} job {job_id}?",
                        f"{detail} Sends POST /fine_tuning/jobs/{job_id}/{verb}.", typed=str(job_id))
    if command_id == "deploy":
        name, target = str(args.get("name") or ""), str(args.get("model_or_checkpoint") or "")
        if not target and selected and selected.get("trained_model"):  # "deploy it": the selected job or checkpoint
            target = str(selected["trained_model"])
        if not name or not target:
            raise FtdeckError("deploy: give the model or checkpoint (or a job) and the deployment's name (as NAME)")
        model, notes = deploy_target(ws, target)
        return Proposal("deploy", {"name": name, "model_or_checkpoint": model}, f"Deploy {model} as {name}?",
                        f"Creates deployment {name} (standard, capacity 1): PUT .../deployments/{name}; hosting is billed by the hour.",
                        typed=name, notes=notes)
    if command_id == "delete":
        kind, name = str(args.get("kind") or ""), str(args.get("id") or "")
        if not name and selected:
            kind, name = KINDS.get(selected.get("pane", ""), ""), str(selected.get("id") or "")
        if kind not in DELETE_NOTES or not name:
            raise FtdeckError("delete: give what kind (job, file, deployment, model) and its id or name")
        return Proposal("delete", {"kind": kind, "id": name}, f"Delete {kind} {name}?",
                        f"{DELETE_NOTES[kind]} Sends DELETE for {kind} {name}.", typed=name)
    raise FtdeckError(f"{command_id} is not a change the assistant can propose")


def deploy_target(ws: Workspace, target: str) -> tuple[str, list[str]]:
    """What to deploy: a model or checkpoint as given, or a job's best checkpoint (lowest
    validation loss, else training loss; the last one when none has metrics)."""
    from services.jobs import list_checkpoints

    if not target.startswith("ftjob-"):
        return target, []
    checkpoints = list_checkpoints(ws, target)
    if not checkpoints:
        raise FtdeckError(f"{target} has no checkpoints yet: a job has them once an epoch ends")

    def loss(checkpoint: dict) -> float:
        metrics = checkpoint.get("metrics") or {}
        for key in ("full_valid_loss", "valid_loss", "train_loss"):
            if isinstance(metrics.get(key), (int, float)):
                return metrics[key]
        return math.inf

    best = min(checkpoints, key=lambda c: (loss(c), -c.get("step_number", 0)))
    which = f"step {best.get('step_number')}" + (f", loss {loss(best):.4f}" if loss(best) != math.inf else "")
    # Deployed by its id `ftchkpt-...`, as Azure deploys a checkpoint (fine-tuning-deploy).
    return best["id"], [f"the best checkpoint of {target} ({which}: {best['fine_tuned_model_checkpoint']})"]


def carry_out(ws: Workspace, proposal: Proposal, on_status: Callable[[str], None] = lambda s: None) -> dict:
    """Make a change the user confirmed; the result says what came of it."""
    from services import deployments, files, jobs, models

    args = proposal.arguments
    if proposal.command in ("job.cancel", "job.pause-only", "job.resume"):
        operation = {"job.cancel": jobs.cancel_job, "job.pause-only": jobs.pause_job, "job.resume": jobs.resume_job}[proposal.command]
        job = operation(ws, args["job"])
        return {"done": True, "summary": f"{proposal.command} {args['job']}: now {job['status']}.", "status": job["status"]}
    if proposal.command == "deploy":
        created = deployments.create_deployment(ws, args["name"], args["model_or_checkpoint"], wait=True, on_status=on_status, poll=1.0)
        state = (created.get("properties") or {}).get("provisioningState")
        return {"done": True, "summary": f"Deployed {args['model_or_checkpoint']} as {args['name']}: {state}.", "state": state}
    if proposal.command == "delete":
        operation = {"job": jobs.delete_job, "file": files.delete_file, "deployment": deployments.delete_deployment,
                     "model": models.delete_model}[args["kind"]]
        outcome = operation(ws, args["id"])
        return {"done": True, "summary": f"Deleted {args['kind']} {args['id']} ({outcome}).", "outcome": outcome}
    raise FtdeckError(f"{proposal.command} is not a change the assistant can make")

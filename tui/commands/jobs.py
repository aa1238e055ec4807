"""`ftdeck jobs list|show|create|cancel|pause|resume|delete|events|checkpoints|watch` and `ftdeck results`."""

from __future__ import annotations

import argparse
import sys
import time

from services.outside_text import inert_line
from services.timestamps import local_time
from tui.commands.output import add_action, print_deletion, print_json, print_table, progress, when


def register(commands: argparse._SubParsersAction) -> None:
    jobs = commands.add_parser("jobs", help="fine-tuning jobs")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = add_action(actions, "list", "list jobs, newest first", list_jobs)
    listing.add_argument("--limit", type=int, default=50)
    create = add_action(actions, "create", "start a fine-tuning job (local paths are validated and uploaded)", create_job)
    create.add_argument("--model", required=True, help="base model, fine-tuned model or checkpoint to continue from")
    create.add_argument("--training-file", required=True, help="a file id (file-...) or a local JSONL path")
    create.add_argument("--validation-file", help="a file id or a local JSONL path")
    create.add_argument("--epochs", type=int, help="n_epochs (default: auto)")
    create.add_argument("--batch-size", type=int, help="(default: auto)")
    create.add_argument("--lr-multiplier", type=float, help="learning_rate_multiplier (default: auto; 0.02-0.2 typical)")
    create.add_argument("--seed", type=int, help="same seed and data give the same training")
    create.add_argument("--suffix", help="up to 40 of a-z A-Z 0-9 - _, added to the model name")
    create.add_argument("--method", choices=("supervised", "dpo", "reinforcement"), default="supervised")
    create.add_argument("--beta", type=float, help="DPO beta (0.1-0.5 typical)")
    create.add_argument("--training-type", help="standard, globalstandard or developertier (its caveat is printed on stderr)")
    create.add_argument("--grader", metavar="GRADER_JSON", help="reinforcement: the grader configuration, a JSON file")
    create.add_argument("--reasoning-effort", choices=("low", "medium", "high"), help="reinforcement (default: medium)")
    create.add_argument("--compute-multiplier", type=float, help="reinforcement: compute spent exploring (default: auto)")
    create.add_argument("--eval-interval", type=int, help="reinforcement: training steps between evaluations (default: auto)")
    create.add_argument("--eval-samples", type=int, help="reinforcement: samples per evaluation (default: auto)")

    add_action(actions, "show", "one job's details", show_job, "job_id")
    add_action(actions, "cancel", "cancel a job", lambda ws, a: change(ws, a, "cancel_job"), "job_id")
    add_action(actions, "pause", "pause a running job", lambda ws, a: change(ws, a, "pause_job"), "job_id")
    add_action(actions, "resume", "resume a paused job", lambda ws, a: change(ws, a, "resume_job"), "job_id")
    add_action(actions, "delete", "delete a finished job", delete_job, "job_id")
    add_action(actions, "events", "a job's events, oldest first", list_events, "job_id")
    add_action(actions, "checkpoints", "a job's checkpoints", list_checkpoints, "job_id")
    watch = add_action(actions, "watch", "follow a job live; exit 0 on success, 1 on failure or cancel, 3 when the service cannot be reached", watch_job, "job_id")
    watch.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")

    results = add_action(commands, "results", "a finished job's training curves, summed up", show_results, "job_id")
    results.add_argument("--csv", metavar="PATH", help="also save results.csv here")


def list_jobs(ws, args) -> int:
    from services import jobs

    found = jobs.list_jobs(ws, args.limit)
    if args.json:
        print_json(found)
    else:
        print_table(("id", "model", "status", "fine-tuned model", "created"),
                    [(j["id"], j["model"], j["status"], j.get("fine_tuned_model") or "", when(j["created_at"])) for j in found])
    return 0


def show_job(ws, args) -> int:
    from services import jobs

    job = jobs.get_job(ws, args.job_id)
    if args.json:
        print_json(job)
        return 0
    hp = job.get("hyperparameters") or {}
    auto = lambda v: "auto" if v in (None, -1, "auto") else v  # noqa: E731
    for label, value in (
        ("id", job["id"]), ("status", job["status"]), ("model", job["model"]),
        ("fine-tuned model", job.get("fine_tuned_model") or "-"), ("training file", job["training_file"]),
        ("validation file", job.get("validation_file") or "-"),
        ("epochs", auto(hp.get("n_epochs"))), ("batch size", auto(hp.get("batch_size"))),
        ("lr multiplier", auto(hp.get("learning_rate_multiplier"))), ("seed", job.get("seed")),
        ("trained tokens", job.get("trained_tokens") or "-"), ("created", when(job["created_at"])),
        ("finished", when(job.get("finished_at"))),
    ):
        print(f"{label:17} {value}")
    if job.get("error") and job["error"].get("message"):
        print(f"{'error':17} {job['error']['message']}")
    return 0


def create_job(ws, args) -> int:
    from services import jobs, rft_rules
    from services.errors import FtdeckError
    from services.training_tiers import caveat

    try:
        grader = rft_rules.load_grader(args.grader) if args.grader else None
    except rft_rules.BadGrader as exc:
        raise FtdeckError(str(exc), exit_code=2) from None
    request = jobs.JobRequest(
        model=args.model, training_file=args.training_file, validation_file=args.validation_file,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate_multiplier=args.lr_multiplier,
        seed=args.seed, suffix=args.suffix, method=args.method, beta=args.beta, training_type=args.training_type,
        grader=grader, reasoning_effort=args.reasoning_effort, compute_multiplier=args.compute_multiplier,
        eval_interval=args.eval_interval, eval_samples=args.eval_samples,
    )
    for note in (caveat(args.training_type), rft_rules.AUTO_PAUSE if args.method == "reinforcement" else None):
        if note:  # said where the choice is made, before anything is sent
            print(f"ftdeck: note: {note}", file=sys.stderr)
    job = jobs.create_job(ws, request, on_status=progress(args))
    print_json(job) if args.json else print(f"created {job['id']} ({job['status']}); follow it with: ftdeck jobs watch {job['id']}")
    return 0


def change(ws, args, operation: str) -> int:
    from services import jobs

    job = getattr(jobs, operation)(ws, args.job_id)
    print_json(job) if args.json else print(f"{job['id']}: {job['status']}")
    return 0


def delete_job(ws, args) -> int:
    from services import jobs

    return print_deletion(args, "id", args.job_id, jobs.delete_job(ws, args.job_id))


def _event_line(event: dict) -> str:
    """One line per event, whatever newlines the service put in its message."""
    level = "" if event["level"] == "info" else f"[{event['level']}] "
    return f"{local_time(event.get('created_at'), '%H:%M:%S')}  {level}{inert_line(event['message'])}"


def list_events(ws, args) -> int:
    from services.jobs import EventTail

    tail = EventTail(args.job_id)
    tail.poll(ws)
    if args.json:
        print_json(tail.events)
    else:
        for event in tail.events:
            print(_event_line(event))
    return 0


def list_checkpoints(ws, args) -> int:
    from services import jobs

    found = jobs.list_checkpoints(ws, args.job_id)
    if args.json:
        print_json(found)
    else:
        print_table(("id", "step", "model checkpoint", "train loss", "valid loss"),
                    [(c["id"], c["step_number"], c["fine_tuned_model_checkpoint"],
                      _num((c.get("metrics") or {}).get("train_loss")), _num((c.get("metrics") or {}).get("full_valid_loss")))
                     for c in found])
    return 0


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def watch_job(ws, args) -> int:
    """Print new events as they come and status changes; the exit code says how the job ended."""
    from services import jobs

    tail = jobs.EventTail(args.job_id)
    status = None
    while True:
        for event in tail.poll(ws):
            print_json(event) if args.json else print(_event_line(event), flush=True)
        job = jobs.get_job(ws, args.job_id)
        if job["status"] != status:
            status = job["status"]
            if not args.json:
                print(f"status: {status}", flush=True)
        if status in jobs.FINISHED:
            for event in tail.poll(ws):  # the last words after the final status
                print_json(event) if args.json else print(_event_line(event), flush=True)
            if not args.json and job.get("fine_tuned_model"):
                print(f"fine-tuned model: {job['fine_tuned_model']}")
            return 0 if status == "succeeded" else 1
        time.sleep(args.interval)


def show_results(ws, args) -> int:
    from services.results import Curves, download_results

    text = download_results(ws, args.job_id)
    if args.csv:
        from services.atomic_write import write_atomically

        write_atomically(args.csv, text)
    curves = Curves.parse(text, f"the results.csv of {args.job_id}")
    if args.json:
        print_json(curves.summary())
        return 0
    print("\n".join(curves.readable()))
    return 0

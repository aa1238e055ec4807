"""Create a fine-tuning job: model, files, method and hyperparameters, checked as you type with
the same rules the CLI uses (JobRequest.problems()), and a token estimate of the training file.
Enter moves to the next field; F2 or ctrl+s (or Enter on the Create button) creates the job:
some terminals swallow ctrl+s (flow control); F2 gets through."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static

from services.wording import count
from tui.screens.form import FormScreen
from widgets.markup import lines, literal, literal_line, markup

if TYPE_CHECKING:
    from services.datasets import DatasetReport
    from services.jobs import JobRequest
    from services.workspace import Workspace

SUFFIX_WARN_LENGTH = 18  # the docs' older limit: accepted, but some places may still refuse it
ESTIMATE_MAX_BYTES = 64 * 2**20  # bigger files are not downloaded just for an estimate
NUMBER_FIELDS = {"epochs": int, "batch-size": int, "lr": float, "beta": float, "seed": int}
LABELS = {"epochs": "epochs", "batch-size": "batch size", "lr": "LR multiplier", "beta": "beta", "seed": "seed",
          "suffix": "suffix", "grader": "grader file"}
# JobRequest.problems() speak in CLI flags ("--batch-size must be..."): the form's field and words for each.
FIELD_OF_FLAG = {"--epochs": "epochs", "--batch-size": "batch-size", "--lr-multiplier": "lr",
                 "--seed": "seed", "--suffix": "suffix", "--beta": "beta", "--grader": "grader"}
TIERS = [("standard", "standard"), ("global", "globalstandard"), ("developer", "developertier")]


class CreateJobScreen(FormScreen[dict | None]):
    """Dismisses with the created job, or None."""

    DEFAULT_CSS = """
    CreateJobScreen .pair > .second { margin-left: 2; width: 12; }
    CreateJobScreen #beta-label, CreateJobScreen #beta, CreateJobScreen #grader-label, CreateJobScreen #grader { display: none; }
    CreateJobScreen.-dpo #beta-label, CreateJobScreen.-dpo #beta { display: block; }
    CreateJobScreen.-rft #grader-label, CreateJobScreen.-rft #grader { display: block; }
    CreateJobScreen #tier { width: 16; }
    CreateJobScreen #tier-note { width: 1fr; margin-left: 1; }
    """
    BINDINGS = [Binding("f2,ctrl+s", "submit", "Create the job", id="job.create")]

    def __init__(self, workspace: "Workspace", files: list[dict], models: list[str], start_from: str | None = None,
                 training: str | None = None) -> None:
        """`files`: the resource's files (only processed training files are offered); `models`:
        fine-tunable base models and fine-tuned models or checkpoints; `start_from` preselects one
        of those to continue fine-tuning it; `training` preselects a file (the one just uploaded)."""
        super().__init__()
        self.workspace = workspace
        self.files = sorted((f for f in files if f.get("purpose") == "fine-tune" and f.get("status") == "processed"),
                            key=lambda f: f.get("created_at") or 0, reverse=True)
        self.models = ([start_from] if start_from and start_from not in models else []) + list(models)
        self.start_from = start_from
        self.training = training if any(f["id"] == training for f in self.files) else None
        self.estimates: dict[tuple[str, str], DatasetReport | str] = {}  # (file, model) -> report or why not
        self.AUTO_FOCUS = "#training" if self.files else "#model"  # the model is usually chosen already

    def compose(self) -> ComposeResult:
        # A short id tells apart files of the same name and keeps the line within an 80-column dialog.
        file_options = [(literal_line(f"{f['filename']}  {f['id'][:13]}…"), f["id"]) for f in self.files]
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Create a fine-tuning job"
            yield self.row("Model", Select([(literal_line(m), m) for m in self.models], id="model", compact=True, allow_blank=not self.models,
                                           value=self.start_from or (self.models[0] if self.models else Select.NULL)))
            prompt = "choose a processed file" if self.files else "no processed training file yet: upload one first"
            yield self.row("Training", Select(file_options, prompt=prompt, id="training", compact=True,
                                              value=self.training or Select.NULL))
            yield self.row("Validation", Select(file_options, prompt="none", id="validation", compact=True))
            yield self.row("Method", Select([("supervised", "supervised"), ("dpo (preference)", "dpo"), ("reinforcement", "reinforcement")],
                                            value="supervised", allow_blank=False, id="method", compact=True),
                           Static("Beta", classes="label second", id="beta-label"), self.number("beta", "auto (0.1-0.5)"),
                           Static("Grader", classes="label second", id="grader-label"),
                           Input(placeholder="grader JSON file", id="grader", compact=True), classes="pair")
            yield self.pair("Epochs", self.number("epochs", "auto (1-50)"),
                            "Batch size", self.number("batch-size", "auto (1-256)"))
            yield self.pair("LR multiplier", self.number("lr", "auto (0.02-0.2)"), "Seed", self.number("seed", "random"))
            yield self.row("Suffix", Input(placeholder="optional: up to 40 of a-z A-Z 0-9 - _", id="suffix", compact=True))
            # The tier's caveat (services/training_tiers.py) shows beside it, where the choice is made.
            yield self.row("Training tier", Select(TIERS, prompt="default", id="tier", compact=True), Static(id="tier-note", classes="note"))
            yield Static("estimate: choose a training file", id="estimate", classes="note")
            yield from self.closing("F2/ctrl+s create · Esc cancel", Button("Create", variant="primary", compact=True, id="create"))

    def pair(self, label: str, field: Widget, second: str, second_field: Widget, second_id: str | None = None) -> Horizontal:
        return self.row(label, field, Static(second, classes="label second", id=second_id), second_field, classes="pair")

    def number(self, field_id: str, placeholder: str) -> Input:
        kind = "integer" if NUMBER_FIELDS[field_id] is int else "number"
        return Input(placeholder=placeholder, type=kind, id=field_id, compact=True)

    def on_mount(self) -> None:
        self.check()

    # ------------------------------------------------------------ the request, checked as you type

    def request(self) -> tuple[JobRequest, dict[str, str]]:
        """The job as filled in, and what is wrong with it, by field (nothing is sent while anything is)."""
        from services.jobs import JobRequest

        problems, numbers = {}, {}
        for field_id, kind in NUMBER_FIELDS.items():
            text = self.query_one(f"#{field_id}", Input).value.strip()
            try:
                numbers[field_id] = kind(text) if text else None  # blank = auto
            except ValueError:
                problems[field_id] = f"{LABELS[field_id]}: '{text}' is not a number"
        method = str(self.query_one("#method", Select).value)
        dpo = method == "dpo"
        grader = None
        grader_path = self.query_one("#grader", Input).value.strip()
        if method == "reinforcement" and grader_path:
            from services.rft_rules import BadGrader, load_grader

            try:
                grader = load_grader(Path(grader_path).expanduser())
            except BadGrader as exc:
                problems["grader"] = str(exc)
        request = JobRequest(
            model=_chosen(self.query_one("#model", Select)) or "",
            training_file=_chosen(self.query_one("#training", Select)) or "",
            validation_file=_chosen(self.query_one("#validation", Select)),
            epochs=numbers.get("epochs"), batch_size=numbers.get("batch-size"), learning_rate_multiplier=numbers.get("lr"),
            seed=numbers.get("seed"), suffix=self.query_one("#suffix", Input).value.strip() or None,
            method=method, beta=numbers.get("beta") if dpo else None, grader=grader,
            training_type=_chosen(self.query_one("#tier", Select)),
        )
        for problem in request.problems():
            if "grader" in problems and "needs --grader" in problem:
                continue  # the file's own problem says more
            flag = problem.split()[0]
            problems.setdefault(FIELD_OF_FLAG.get(flag, flag), _in_words(problem))
        return request, problems

    @on(Input.Changed)
    @on(Select.Changed)
    def check(self) -> None:
        from services.training_tiers import caveat

        self.set_class(self.query_one("#method", Select).value == "dpo", "-dpo")
        self.set_class(self.query_one("#method", Select).value == "reinforcement", "-rft")
        request, problems = self.request()
        from services.rft_rules import AUTO_PAUSE

        pause = f"{AUTO_PAUSE}." if request.method == "reinforcement" else None  # said where RFT is chosen
        self.query_one("#tier-note", Static).update(" ".join(filter(None, (caveat(request.training_type), pause))))
        for field_id in LABELS:
            self.query_one(f"#{field_id}", Input).set_class(field_id in problems, "-invalid")
        self.show_problems(list(problems.values()))
        if request.suffix and len(request.suffix) > SUFFIX_WARN_LENGTH and "suffix" not in problems:
            self.show_status(f"suffix over {SUFFIX_WARN_LENGTH} characters: fine on Azure today (the limit is 40), "
                             "older docs say 18")
        elif not self.busy:
            self.show_status("")
        self.show_estimate(request)

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    # ------------------------------------------------------------ the token estimate

    def show_estimate(self, request: JobRequest) -> None:
        from services.datasets import MINIMUM_EXAMPLES, too_few_for_training
        from services.model_families import PREFERENCE

        # DPO on a model the DPO page does not list is one of request.problems(), shown above.
        if not request.training_file or not request.model:
            self.query_one("#estimate", Static).update("estimate: choose a training file")
            return
        known = self.estimates.get((request.training_file, request.model))
        if known is None:
            self.estimates[(request.training_file, request.model)] = "estimating…"
            self.estimate(next(f for f in self.files if f["id"] == request.training_file), request.model)
            known = "estimating…"
        if isinstance(known, str):
            self.query_one("#estimate", Static).update(literal(f"estimate: {known}"))
            return
        epochs = request.epochs or known.epochs  # the report's: what "auto" usually comes to
        text = [markup(f"estimate: {known.examples:,} examples, {known.total_tokens:,} tokens × {count(epochs, 'epoch')}"
                       f"{' (auto: assumed)' if not request.epochs else ''} "
                       f"≈ [b]{known.total_tokens * epochs:,}[/b] billed training tokens")]
        if known.errors:  # e.g. the file's format does not suit this model
            text.append(markup("[$warning]the training file: $problem[/]", problem=known.errors[0].message))
        elif known.examples < MINIMUM_EXAMPLES:  # creating refuses it (services/jobs.py)
            text.append(markup("[$warning]the training file: $problem[/]", problem=too_few_for_training(known.examples)))
        elif request.method == "dpo" and known.format != PREFERENCE:
            text.append(markup("[$warning]dpo trains on preference data (input, preferred_output, non_preferred_output); "
                               "this file is $format[/]", format=known.format))
        self.query_one("#estimate", Static).update(lines(*text))

    @work(thread=True, group="estimate", exit_on_error=False)
    def estimate(self, file: dict, model: str) -> tuple[tuple[str, str], DatasetReport | str]:
        """Count the file's tokens: download it and check it as `ftdeck data validate` would."""
        from services.datasets import validate_dataset
        from services.files import download_file

        key = (file["id"], model)
        if file.get("bytes", 0) > ESTIMATE_MAX_BYTES:
            return key, f"skipped, the file is {file['bytes'] / 2**20:,.0f} MB (ftdeck data validate counts a local copy)"
        try:
            with tempfile.TemporaryDirectory(prefix="ftdeck-") as folder:
                copy = download_file(self.workspace, file["id"], Path(folder) / "training.jsonl")
                return key, validate_dataset(copy, model=model)
        except Exception as exc:  # an estimate is a nicety: say why there is none, keep the form usable
            return key, f"unavailable ({exc})"

    # ------------------------------------------------------------ creating

    @on(Button.Pressed, "#create")
    def action_submit(self) -> None:
        if self.busy:
            return
        request, problems = self.request()
        missing = [f"choose {what}" for what, chosen in (("a model", request.model), ("a training file", request.training_file))
                   if not chosen]
        if problems or missing:
            self.show_problems(missing + list(problems.values()))
            return
        self.start(self.create(request))
        self.show_status(f"creating a job on {request.model}…")

    @work(thread=True, exclusive=True, group="create", exit_on_error=False)
    def create(self, request: JobRequest) -> dict:
        from services.jobs import create_job

        return create_job(self.workspace, request, on_status=self.say_status)

    def finished(self, work: str, result: Any) -> None:
        if work == "create":
            self.dismiss(result)
        elif work == "estimate":
            key, report = result
            self.estimates[key] = report
            self.show_estimate(self.request()[0])


def _chosen(select: Select) -> str | None:
    return None if select.value == Select.NULL else str(select.value)


def _in_words(problem: str) -> str:
    return re.sub(r"--[a-z-]+", lambda m: LABELS.get(FIELD_OF_FLAG.get(m[0], ""), m[0][2:]), problem)

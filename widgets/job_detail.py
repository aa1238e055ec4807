"""The selected job: its facts, progress, error with a fix, loss and accuracy charts, event tail."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.content import Content
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from widgets.event_log import EventLog
from widgets.markup import lines, literal, markup

FIXES = {
    "invalidTrainingFile": "check the file with `ftdeck data validate` and upload a fixed one",
    "internalError": "retry the job; if it fails again, report it",
}


LOADING = "loading its events…"


def auto(value) -> str:
    return "auto" if value in (None, -1, "auto") else str(value)


def summary(job: dict, metrics: list[dict], as_of: float | None = None) -> Content:
    """The job's facts as a few readable lines; the ETA counts from `as_of`, the service's time of
    the latest event (the emulator's clock may run fast)."""
    hp = job.get("hyperparameters") or {}
    shown = [
        markup("[b]$id[/b]  [reverse] $status [/reverse]", id=job["id"], status=job["status"]),
        markup("model $model → $made", model=job["model"], made=job.get("fine_tuned_model") or "(fine-tuned model when it succeeds)"),
        markup("train $file", file=job["training_file"]),
    ]
    if job.get("validation_file"):
        shown.append(markup("valid $file", file=job["validation_file"]))
    shown.append(literal(f"epochs {auto(hp.get('n_epochs'))}  batch {auto(hp.get('batch_size'))}  "
                         f"lr× {auto(hp.get('learning_rate_multiplier'))}  seed {job.get('seed')}"))
    if metrics:
        last = metrics[-1]
        progress = f"step {last['step']}"
        if job["status"] in ("running", "pausing", "paused", "resuming") and job.get("estimated_finish"):
            eta = max(0, int(job["estimated_finish"] - (as_of or time.time())))
            progress += f"  ETA {eta // 60}m{eta % 60:02d}s"
        if "train_loss" in last:
            progress += f"  loss {last['train_loss']:.4f}"
        if "train_reward_mean" in last:  # reinforcement fine-tuning reports a reward, no loss (RFT doc)
            progress += f"  reward {last['train_reward_mean']:.4f}"
        if job.get("trained_tokens"):
            progress += f"  trained tokens {job['trained_tokens']:,}"
        shown.append(literal(progress))
    error = job.get("error") or {}
    if error.get("message"):
        shown.append(markup("[red]error $code: $message[/red]", code=error.get("code"), message=error["message"]))
        if fix := FIXES.get(error.get("code")):
            shown.append(literal(f"fix: {fix}"))
    return lines(*shown)


class JobDetail(Vertical):
    DEFAULT_CSS = """
    JobDetail { border: round $panel-lighten-2; height: 1fr; }
    JobDetail:focus-within { border: round $accent; }
    JobDetail #job-summary { height: auto; padding: 0 1; }
    /* The chart and the events share what the facts leave, 2 to 1, and no min-height: when
       the minimums add up to more than is left (a long summary at 80x24), Textual sizes the
       fractions from nothing and the chart fills the view, the Events box pushed off it. */
    JobDetail TabbedContent { height: 2fr; }
    /* The chart fills its tab, and no more (the tab's parts are sized by their content else). */
    JobDetail TabbedContent > ContentSwitcher, JobDetail TabPane { height: 1fr; }
    JobDetail EventLog { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        from widgets.loss_chart import LossChart  # plotext: not before the first frame

        self.border_title = "Job"
        yield Static("Select a job to see its details.", id="job-summary")
        with TabbedContent("Loss", "Accuracy"):
            yield LossChart("loss", id="loss-chart")
            yield LossChart("accuracy", id="accuracy-chart")
        yield EventLog(id="events")

    def show_job(self, job: dict, metrics: list[dict], as_of: float | None = None) -> None:
        self.query_one("#job-summary", Static).update(summary(job, metrics, as_of))
        for chart in self.query("LossChart"):
            chart.show(metrics)
        events = self.query_one(EventLog)
        if events.border_subtitle == LOADING:
            events.border_subtitle = ""

    def loading(self, job_id: str, job: dict | None) -> None:
        """Another job was selected: the title, and at once a body about it too (what the pane's
        listing knows), its events and charts emptied and marked loading until its own arrive. A
        slow service must not leave the previous job's body under the new job's title."""
        self.reset()
        self.border_title = markup("Job $id", id=job_id)
        known = summary(job, []) if job else markup("[b]$id[/b]", id=job_id)
        self.query_one("#job-summary", Static).update(lines(known, markup(f"[dim]{LOADING}[/dim]")))
        self.query_one(EventLog).border_subtitle = LOADING

    def reset(self) -> None:
        self.query_one(EventLog).clear()
        for chart in self.query("LossChart"):
            chart.show([])

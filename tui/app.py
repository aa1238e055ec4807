"""The ftdeck TUI: resource panes over one workspace, refreshed live, and the selected job followed.

The first frame is drawn before anything slow happens: connecting (which may start the built-in
emulator, and imports openai) runs in a worker after mount. Workers call services/ and post
messages; only the @on handlers touch widgets.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui.screens.confirm import Confirm
from widgets.console import Console
from widgets.job_detail import JobDetail
from widgets.resource_table import ResourceTable

if TYPE_CHECKING:
    from services.workspace import Workspace

REFRESH_SECONDS = 2.0
FOLLOW_SECONDS = 1.0
PANES = {
    "jobs": ("Jobs", ("id", "model", "status", "fine-tuned model")),
    "checkpoints": ("Checkpoints", ("step", "id", "train loss", "valid loss")),
    "files": ("Files", ("filename", "status", "id", "bytes")),
    "deployments": ("Deployments", ("name", "model", "sku", "state")),
}
ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")
COMMANDS = {
    "help": "list the commands",
    "refresh": "refresh every pane now",
    "cancel": "cancel a job: /cancel [JOB] (default: the selected one)",
    "pause": "pause a running job: /pause [JOB]",
    "resume": "resume a paused job: /resume [JOB]",
    "deploy": "deploy the selected job's fine-tuned model: /deploy NAME [MODEL_OR_CHECKPOINT]",
    "filter": "filter the jobs pane: /filter TEXT (no text clears it)",
    "quit": "leave ftdeck",
}


class Connected(Message):
    def __init__(self, workspace: "Workspace") -> None:
        super().__init__()
        self.workspace = workspace


class Loaded(Message):
    """Fresh rows for the resource panes, from a refresh worker."""

    def __init__(self, rows: dict[str, list[tuple[str, tuple]]]) -> None:
        super().__init__()
        self.rows = rows


class JobUpdate(Message):
    """The followed job's latest state, checkpoints and the events that are new (never coalesced)."""

    def __init__(self, job: dict, checkpoints: list[dict], new_events: list[dict], metrics: list[dict]) -> None:
        super().__init__()
        self.job, self.checkpoints, self.new_events, self.metrics = job, checkpoints, new_events, metrics


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


class FtdeckApp(App):
    TITLE = "ftdeck"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    CSS = """
    #status { height: 1; background: $panel; padding: 0 1; }
    #left { width: 1fr; }
    JobDetail { width: 1fr; }
    #filter { dock: bottom; display: none; }
    .-narrow Console { height: 5; }
    .-narrow #checkpoints { display: none; }
    #filter.-on { display: block; }
    .-narrow JobDetail { display: none; }
    .-narrow.-detail JobDetail { display: block; width: 100%; }
    .-narrow.-detail #left { display: none; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause refresh", id="pause-refresh"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("d", "toggle_detail", "Detail", id="detail"),
        Binding("colon", "console", "Console", id="console"),
        Binding("c", "cancel_job", "Cancel job", id="job.cancel"),
        Binding("s", "pause_or_resume_job", "Pause/resume job", id="job.pause"),
        Binding("1", "focus_pane('jobs')", "Jobs", show=False, id="pane.jobs"),
        Binding("2", "focus_pane('checkpoints')", "Checkpoints", show=False, id="pane.checkpoints"),
        Binding("3", "focus_pane('files')", "Files", show=False, id="pane.files"),
        Binding("4", "focus_pane('deployments')", "Deployments", show=False, id="pane.deployments"),
        Binding("5", "focus_pane('events')", "Events", show=False, id="pane.events"),
    ]

    def __init__(self, profile: str | None = None, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.workspace: Workspace | None = None
        self.last_refresh: float | None = None
        self.paused = False
        self.followed_job: str | None = None
        self.jobs: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status")
        with Horizontal():
            with Vertical(id="left"):
                for key, (title, columns) in PANES.items():
                    yield ResourceTable(title, columns, id=key)
            yield JobDetail(id="detail")
        yield Console([f"/{name}" for name in COMMANDS], id="console")
        yield Input(placeholder="filter the focused pane (Enter to keep, Esc to clear)", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#jobs", ResourceTable).focus()
        self.connect()

    # ------------------------------------------------------------ connecting and refreshing

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect(self) -> None:
        from services.workspace import open_workspace

        self.post_message(Connected(open_workspace(self.profile)))

    @on(Connected)
    def start_refreshing(self, message: Connected) -> None:
        self.workspace = message.workspace
        self.read_only = self.read_only or self.workspace.profile.read_only
        where = "the built-in emulator (demo workspace)" if self.workspace.is_emulator else self.workspace.endpoint
        self.say(f"Connected to {where} as profile '{self.workspace.profile_name}'. Type : then /help.")
        self.show_status()
        self.refresh_panes()
        self.set_interval(REFRESH_SECONDS, self.scheduled_refresh)
        self.set_interval(FOLLOW_SECONDS, self.follow_job)

    def scheduled_refresh(self) -> None:
        if not self.paused:
            self.refresh_panes()

    def action_refresh(self) -> None:
        self.refresh_panes()
        self.follow_job()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.show_status()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_panes(self) -> None:
        from services import deployments, files, jobs

        if self.workspace is None:
            return
        found_jobs = jobs.list_jobs(self.workspace)
        rows = {
            "jobs": [(j["id"], (j["id"], j["model"], j["status"], j.get("fine_tuned_model") or "")) for j in found_jobs],
            "files": [(f["id"], (f["filename"], f["status"], f["id"], f["bytes"])) for f in files.list_files(self.workspace)],
            "deployments": [
                (d["name"], (d["name"], d["model"], d["sku"], d["state"]))
                for d in map(deployments.describe, deployments.list_deployments(self.workspace))
            ],
        }
        self.post_message(Loaded(rows))

    def say(self, message: str, kind: str = "info") -> None:
        """Report in the console (App.console is Rich's, hence the name)."""
        self.query_one(Console).say(message, kind)

    @on(Loaded)
    def update_panes(self, message: Loaded) -> None:
        self.report_job_changes(message.rows["jobs"])
        for pane, rows in message.rows.items():
            self.query_one(f"#{pane}", ResourceTable).sync(rows)
        self.last_refresh = time.time()
        self.show_status()
        if self.followed_job is None:
            self.select_job(self.query_one("#jobs", ResourceTable).selected_id)

    def show_status(self) -> None:
        if self.workspace is None:
            return
        p = self.workspace.profile
        where = "built-in emulator" if self.workspace.is_emulator else p.endpoint
        refreshed = time.strftime("%H:%M:%S", time.localtime(self.last_refresh)) if self.last_refresh else "—"
        state = "[b]refresh paused[/b]" if self.paused else f"refresh {REFRESH_SECONDS:g}s, last {refreshed}"
        badge = " [reverse red] READ-ONLY [/]" if self.read_only else ""
        self.query_one("#status", Static).update(
            f"[b]{self.workspace.profile_name}[/b] · {where} · account {p.account or '-'} · api {p.api_version} · {state}{badge}"
        )

    def report_job_changes(self, rows: list[tuple[str, tuple]]) -> None:
        """Say in the console when a job appears or changes state (not on the first load)."""
        statuses = {job_id: values[2] for job_id, values in rows}
        known = getattr(self, "_statuses", None)
        self._statuses = statuses
        if known is None:
            return
        for job_id, status in statuses.items():
            if known.get(job_id) == status:
                continue
            kind = {"succeeded": "ok", "failed": "error", "cancelled": "warning"}.get(status, "info")
            self.say(f"{job_id} is {status}" if job_id in known else f"{job_id} created ({status})", kind)
            if status == "succeeded":
                self.say(f"Deploy it? /deploy NAME (select {job_id} first)", "ok")

    # ------------------------------------------------------------ the followed job

    @on(DataTable.RowHighlighted, "#jobs")
    def job_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.select_job(event.row_key.value if event.row_key else None)

    def select_job(self, job_id: str | None) -> None:
        if job_id == self.followed_job or job_id is None:
            return
        self.followed_job = job_id
        self.tails: dict = {}
        self.query_one(JobDetail).reset()
        self.query_one(JobDetail).border_title = f"Job {job_id}"
        self.follow_job()

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def follow_job(self) -> None:
        from services import jobs

        job_id = self.followed_job
        if self.workspace is None or job_id is None:
            return
        tail = self.tails.setdefault(job_id, jobs.EventTail(job_id))
        if tail.events and self.jobs.get(job_id, {}).get("status") not in ACTIVE:
            return  # a finished job has nothing new to say
        job = jobs.get_job(self.workspace, job_id)
        new_events = tail.poll(self.workspace)
        checkpoints = jobs.list_checkpoints(self.workspace, job_id)
        if get_current_worker().is_cancelled or job_id != self.followed_job:
            return
        metrics = [e["data"] for e in tail.events if e.get("type") == "metrics" and e.get("data")]
        self.post_message(JobUpdate(job, checkpoints, new_events, metrics))

    @on(JobUpdate)
    def show_job(self, message: JobUpdate) -> None:
        if message.job["id"] != self.followed_job:
            return
        self.jobs[message.job["id"]] = message.job
        detail = self.query_one(JobDetail)
        detail.show_job(message.job, message.metrics)
        if message.new_events:
            detail.query_one("#events").add(message.new_events)
        self.query_one("#checkpoints", ResourceTable).sync([
            (c["id"], (c["step_number"], c["id"], _num((c.get("metrics") or {}).get("train_loss")),
                       _num((c.get("metrics") or {}).get("full_valid_loss"))))
            for c in message.checkpoints
        ])

    # ------------------------------------------------------------ job actions

    def _writable(self) -> bool:
        if self.read_only:
            self.notify("Read-only: this profile does not change anything.", severity="warning")
            self.say("read-only: refused", "warning")
        return not self.read_only

    def action_cancel_job(self) -> None:
        job = self.jobs.get(self.followed_job or "")
        if not job or not self._writable():
            return
        if job["status"] not in ACTIVE:
            self.notify(f"{job['id']} is {job['status']}: nothing to cancel.")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change_job("cancel_job", job["id"])

        self.push_screen(Confirm(f"Cancel job {job['id']}?", "Training stops; this cannot be undone."), confirmed)

    def action_pause_or_resume_job(self) -> None:
        job = self.jobs.get(self.followed_job or "")
        if not job or not self._writable():
            return
        if job["status"] == "paused":
            self.change_job("resume_job", job["id"])
        elif job["status"] == "running":
            self.change_job("pause_job", job["id"])
        else:
            self.notify(f"{job['id']} is {job['status']}: only running jobs pause and paused jobs resume.")

    @work(thread=True, group="actions", exit_on_error=False)
    def change_job(self, operation: str, job_id: str) -> None:
        from services import jobs

        job = getattr(jobs, operation)(self.workspace, job_id)
        self.call_from_thread(self.say, f"{operation.removesuffix('_job')} {job_id}: now {job['status']}", "ok")
        self.call_from_thread(self.action_refresh)

    @work(thread=True, group="actions", exit_on_error=False)
    def deploy(self, name: str, model: str) -> None:
        from services import deployments

        self.call_from_thread(self.say, f"deploying {model} as {name}…")
        created = deployments.create_deployment(self.workspace, name, model, wait=True, poll=1.0)
        facts = deployments.describe(created)
        self.call_from_thread(self.say, f"{name} is {facts['state']}: chat with it, e.g. ftdeck chat {name} \"hello\"", "ok")
        for note in facts.get("notes", []):
            self.call_from_thread(self.say, f"note: {note}", "warning")
        self.call_from_thread(self.action_refresh)

    # ------------------------------------------------------------ console commands

    def action_console(self) -> None:
        self.query_one("#command", Input).focus()

    @on(Console.Command)
    def run_command(self, command: Console.Command) -> None:
        say = self.say
        target = command.args[0] if command.args else self.followed_job
        if command.name == "help":
            for name, text in COMMANDS.items():
                say(f"/{name:8} {text}")
        elif command.name == "refresh":
            self.action_refresh()
            say("refreshing")
        elif command.name in ("cancel", "pause", "resume"):
            if not target:
                say(f"/{command.name} needs a job: select one or give its id", "warning")
            elif self._writable():
                self.change_job(f"{command.name}_job", target)
        elif command.name == "deploy":
            job = self.jobs.get(self.followed_job or "")
            model = command.args[1] if len(command.args) > 1 else (job or {}).get("fine_tuned_model")
            if not command.args or not model:
                say("/deploy NAME [MODEL]: select a succeeded job, or name the model or checkpoint", "warning")
            elif self._writable():
                self.deploy(command.args[0], model)
        elif command.name == "filter":
            self.query_one("#jobs", ResourceTable).set_filter(" ".join(command.args))
        elif command.name == "quit":
            self.exit()
        else:
            say(f"unknown command /{command.name}; /help lists them", "error")

    # ------------------------------------------------------------ panes, filter, layout

    def action_focus_pane(self, pane: str) -> None:
        self.query_one(f"#{pane}").focus()

    def action_toggle_detail(self) -> None:
        self.screen.toggle_class("-detail")

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        self._filter_target = self.focused if isinstance(self.focused, ResourceTable) else self.query_one("#jobs", ResourceTable)
        box.value = self._filter_target.filter_text
        box.add_class("-on")
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self._filter_target.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def filter_done(self, event: Input.Submitted) -> None:
        event.input.remove_class("-on")
        self._filter_target.focus()

    def on_key(self, event) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_class("-on"):
            box.value = ""
            self._filter_target.set_filter("")
            box.remove_class("-on")
            self._filter_target.focus()
            event.stop()

    @on(Worker.StateChanged)
    def report_failure(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.group}: {event.worker.error}", severity="error", timeout=8)
            self.say(f"{event.worker.group} failed: {event.worker.error}", "error")

    def on_unmount(self) -> None:
        if self.workspace is not None:
            self.workspace.close()


def run_app(profile: str | None = None, read_only: bool = False) -> int:
    FtdeckApp(profile, read_only=read_only).run()
    return 0

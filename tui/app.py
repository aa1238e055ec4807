"""The ftdeck TUI: resource panes over one workspace, refreshed live, the selected row in detail.

The first frame is drawn before anything slow happens: connecting (which may start the built-in
emulator, and imports openai) runs in a worker after mount. Workers call services/ and post
messages; only the @on handlers touch widgets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import threading
import time
from typing import TYPE_CHECKING, Iterable

from textual import on, work
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Collapsible, ContentSwitcher, DataTable, Footer, Input, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from tui import actions
from tui.panes import PANES
from tui.slash_commands import COMMANDS, run_command
from services.outside_text import inert
from widgets.console import Console
from widgets.markup import markup
from widgets.resource_table import ResourceTable

if TYPE_CHECKING:
    from services.jobs import EventTail
    from services.workspace import Workspace
    from widgets.api_log import ApiLog
    from widgets.job_detail import JobDetail

# The panes are listed, then the selected job's new events read, this often: Azure reports a
# step every few seconds at best; polling faster only costs CPU.
REFRESH_SECONDS = 2.0
ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")
NEARLY_DELETED_DAYS = 3
WIDE = 100  # columns from which panes and detail sit side by side


class CannotStart(Message):
    def __init__(self, reason: str, exit_code: int) -> None:
        super().__init__()
        self.reason = reason
        self.exit_code = exit_code


class Connected(Message):
    def __init__(self, workspace: "Workspace") -> None:
        super().__init__()
        self.workspace = workspace


class Loaded(Message):
    """Fresh resources for the panes (jobs, files, deployments), from a refresh worker."""

    def __init__(self, resources: dict[str, list[dict]]) -> None:
        super().__init__()
        self.resources = resources


class RefreshFailed(Message):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class Trouble(Message):
    """A wait before a throttled, failed or unanswered request is sent again (services.retries.Wait),
    reported from whichever thread waits."""

    def __init__(self, wait) -> None:
        super().__init__()
        self.wait = wait


class Previewed(Message):
    def __init__(self, file_id: str, preview) -> None:
        super().__init__()
        self.file_id, self.preview = file_id, preview


class JobUpdate(Message):
    """The followed job's latest state, checkpoints and the events that are new (never coalesced)."""

    def __init__(self, job: dict, checkpoints: list[dict], new_events: list[dict], as_of: float | None) -> None:
        super().__init__()
        self.job, self.checkpoints, self.new_events = job, checkpoints, new_events
        self.as_of = as_of  # the service's time of the latest event


def while_open(handler):
    """For answers from workers and callbacks: one that lands while ftdeck is closing finds its
    widgets gone, and is dropped. Every handler that reaches the main screen's widgets wears it."""

    @functools.wraps(handler)
    def guarded(self, message):
        try:
            return handler(self, message)
        except (NoMatches, ScreenStackError):
            if self.is_running and not self._exit:
                raise

    return guarded


def set_aside_what_lasts() -> None:
    """Take what exists by now out of the garbage collector's full passes: those walk every object,
    about 100 ms with thousands of rows held, on whichever thread set them off, and the screen
    waits; afterwards they walk only what came since. Done once start-up has built the screen
    (the CLI turned collection off until then: it only cost time before the first frame) and again
    once the first listing is on screen (the SDK, the rows). The app gives it all back as it closes."""
    gc.freeze()
    gc.enable()


class FtdeckApp(actions.Actions, App):
    TITLE = "ftdeck"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    CSS = """
    #status { height: 1; background: $accent 35%; padding: 0 1; }
    #left { width: 1fr; }
    #detail { width: 1fr; }
    #filter { dock: bottom; display: none; }
    #filter.-on { display: block; }
    #pane-tabs { display: none; }
    .-narrow #pane-tabs { display: block; }
    .-narrow #left ResourceTable { display: none; }
    .-narrow #left ResourceTable.-current { display: block; }
    .-narrow Console { height: 6; }
    .-calls Console { height: 40%; }  /* the panes keep a row or two each */
    .-narrow.-calls Console { height: 1fr; }
    .-narrow #detail { display: none; }
    .-narrow.-detail #detail { display: block; width: 100%; }
    .-narrow.-detail #left { display: none; }
    .-narrow.-detail Console { display: none; }  /* 24 rows: the chart needs them more */
    """
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause refresh", show=False, id="pause-refresh"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("colon", "console", "Console", id="console"),
        Binding("escape", "back", "Back", show=False, id="back"),
        *(Binding(pane.key, f"focus_pane('{name}')", pane.title, show=False, id=f"pane.{name}") for name, pane in PANES.items()),
        Binding("5", "focus_pane('events')", "Events", show=False, id="pane.events"),
        *actions.BINDINGS,
    ]

    def __init__(self, profile: str | None = None, *, read_only: bool = False) -> None:
        super().__init__()
        self.animation_level = "none"  # calm over SSH; Textual's themes still apply
        self.now = time.time  # the wall clock, for the header and console; snapshot tests stop it
        self.profile = profile
        self.read_only = read_only
        self.workspace: Workspace | None = None
        self.models: list[dict] = []
        self.last_refresh: float | None = None
        self.paused = False
        self.offline: str | None = None
        self.cannot_start: str | None = None  # why the workspace could not be opened (printed on exit)
        self.current_pane = "jobs"
        self.followed_job: str | None = None
        # The last listed resources of each pane, by row id: details, raw JSON and actions use them.
        self.resources: dict[str, dict[str, dict]] = {name: {} for name in PANES}
        self.tail: "EventTail | None" = None  # the followed job's events
        self.metrics: list[dict] = []  # the followed job's metrics, oldest first, grown as events come
        self._polling = threading.Lock()  # one poll of the followed job at a time
        self._refreshing = threading.Lock()  # held by the refresh worker while it asks the service
        self._last_seen: tuple | None = None  # (job, checkpoints) last shown: unchanged ones aren't re-sent
        self._statuses: dict[str, str] | None = None
        self._warned_deployments: set[str] = set()
        self._shown_actions: frozenset[str] | None = None  # the row actions the footer shows

    @property
    def jobs(self) -> dict[str, dict]:
        return self.resources["jobs"]

    @property
    def job_detail(self) -> "JobDetail":
        return self.query_one("#jobs-detail")  # type: ignore[return-value]

    @property
    def api_log(self) -> "ApiLog":
        return self.query_one("#api-log")  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status")
        if self.size.width < WIDE:  # only a narrow screen shows them (else they come after the first frame)
            yield self.pane_tabs()
        with Horizontal():
            with Vertical(id="left"):
                for name, pane in PANES.items():
                    yield ResourceTable(f"{pane.key} {pane.title}", pane.columns, id=name, classes="-current" if name == "jobs" else "")
            yield ContentSwitcher(id="detail")  # the current pane's selected row: see add_details
        yield Console([f"/{name}" for name in COMMANDS], clock=lambda: self.now(), id="console")
        yield Footer()

    def pane_tabs(self) -> Tabs:
        """The panes as tabs, for narrow screens, where one pane shows at a time."""
        tabs = [Tab(f"{p.key} {p.title}", id=f"tab-{name}") for name, p in PANES.items()]
        return Tabs(*tabs, active=f"tab-{self.current_pane}", id="pane-tabs")

    def on_mount(self) -> None:
        from tui.daemon_threads import DaemonThreads

        asyncio.get_running_loop().set_default_executor(DaemonThreads())  # quitting never waits on a worker
        self.query_one("#jobs", ResourceTable).focus()
        self.call_after_refresh(self.add_details)

    async def add_details(self) -> None:
        """The first frame shows the panes; what it does not show (details, charts, the API log,
        the filter box, the tabs of a narrow screen) is mounted just after it, then we connect.
        Connecting imports openai and may start the emulator: a thread, but it holds the GIL a while."""
        from widgets.api_log import ApiLog
        from widgets.checkpoint_detail import CheckpointDetail
        from widgets.deployment_detail import DeploymentDetail
        from widgets.file_detail import FileDetail
        from widgets.job_detail import JobDetail

        details = [JobDetail(id="jobs-detail"), CheckpointDetail(id="checkpoints-detail"),
                   FileDetail(id="files-detail"), DeploymentDetail(id="deployments-detail")]
        for detail in details:
            detail.display = False  # ContentSwitcher hides only the children it has when it mounts
        await self.query_one("#detail", ContentSwitcher).mount_all(details)
        await self.query_one(Console).mount(ApiLog(id="api-log"), before="#command")
        box = Input(placeholder="filter the focused pane (Enter to keep, Esc to clear)", id="filter")
        box.cursor_blink = False
        await self.mount(box, before=self.query_one(Footer))
        if self.query_one_optional("#pane-tabs") is None:
            await self.mount(self.pane_tabs(), after="#status")
        self.show_detail()
        set_aside_what_lasts()
        self.connect()

    # ------------------------------------------------------------ connecting and refreshing

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect(self) -> None:
        from services.errors import FtdeckError
        from services.workspace import open_workspace

        try:
            workspace = open_workspace(self.profile)
        except FtdeckError as exc:  # a bad setting, an unusable emulator database: nothing to show
            self.post_message(CannotStart(str(exc), exc.exit_code))
            return
        except Exception as exc:  # the built-in emulator did not start...: said, rather than "connecting…" forever
            self.post_message(CannotStart(f"cannot open the workspace: {type(exc).__name__}: {exc}", 1))
            return
        self.post_message(Connected(workspace))

    @on(CannotStart)
    def leave(self, message: CannotStart) -> None:
        """Leave at once with the reason (run_app prints it), rather than wait on "connecting…"."""
        self.cannot_start = message.reason
        self.exit(return_code=message.exit_code)

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def load_models(self) -> None:
        """The models a new job can start from; the create-job form needs them, nothing else waits."""
        from services.models import list_models

        try:
            models = list_models(self.workspace)
        except Exception:
            return  # the refresh says the endpoint is unreachable; n asks again later
        self.call_from_thread(setattr, self, "models", models)

    @on(Connected)
    @while_open
    def start_refreshing(self, message: Connected) -> None:
        self.workspace = message.workspace
        self.workspace.calls.subscribe(self.api_log.record, replay=True)
        self.workspace.calls.subscribe(self.watch_for_silence)
        self.workspace.on_wait(self.watch_for_trouble)
        profile = self.workspace.profile
        self.read_only = self.read_only or profile.read_only
        self.apply_theme(profile.theme, profile.accent or ("red" if profile.production else None))
        where = "the built-in emulator (demo workspace)" if self.workspace.is_emulator else self.workspace.endpoint
        self.say(f"Connected to {where} as profile '{self.workspace.profile_name}'. Press ? for keys, : for /commands.")
        if not self.workspace.has_management_plane:
            from services.workspace import NO_MANAGEMENT_PLANE

            self.say(f"{NO_MANAGEMENT_PLANE}; jobs and files work without it", "warning")
        self.show_status()
        self.show_row_actions()
        self.refresh_panes()
        self.load_models()
        self.set_interval(REFRESH_SECONDS, self.scheduled_refresh)

    def apply_theme(self, theme: str | None, accent: str | None) -> None:
        """The profile's Textual theme, with its accent colour: production looks different."""
        if theme and theme in self.available_themes:
            self.theme = theme
        if accent:
            base = self.available_themes[self.theme]
            self.register_theme(dataclasses.replace(base, name=f"{base.name}-accented", accent=accent, primary=accent))
            self.theme = f"{base.name}-accented"

    def scheduled_refresh(self) -> None:
        if not self.paused and not self._refreshing.locked():  # one still waiting on the service: no pile-up
            self.refresh_panes()

    def action_refresh(self) -> None:
        self.refresh_panes()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.show_status()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_panes(self) -> None:
        from services.usage import last_calls

        if self.workspace is None or not self._refreshing.acquire(blocking=False):
            return
        try:
            self._refresh_panes(last_calls(self.workspace.endpoint))
        finally:
            self._refreshing.release()

    def _refresh_panes(self, called: dict) -> None:
        from services import deployments, files, jobs

        def described(deployment: dict) -> dict:
            """Flat facts for the pane and the detail, days left counted from ftdeck's last call too."""
            used = called.get(deployment["name"])
            return {**deployments.describe(deployment, now=self.now(), last_call=used), "raw": deployment, "last_call": used}

        try:
            found = {
                "jobs": jobs.list_jobs(self.workspace),
                "files": files.list_files(self.workspace),
                # Without the management plane, jobs and files still work: the pane stays empty.
                "deployments": [described(d) for d in deployments.list_deployments(self.workspace)]
                if self.workspace.has_management_plane else [],
            }
        except Exception as exc:  # offline: say so in the header, keep showing what we had
            self.post_message(RefreshFailed(exc))
            return
        self.post_message(Loaded(found))

    def say(self, message: str, kind: str = "info") -> None:
        """Report in the console (App.console is Rich's, hence the name); shown as it is."""
        self.query_one(Console).say(message, kind, self.now())

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every toast, the screens' and widgets' too (theirs come here): shown as it is, never read as
        markup, since most quote an id, a name or an error from the service."""
        super().notify(inert(message), title=inert(title), severity=severity, timeout=timeout, markup=False)

    @on(Loaded)
    @while_open
    def update_panes(self, message: Loaded) -> None:
        if self.offline:
            self.say("back online", "ok")
            self.offline = None
        self.report_job_changes(message.resources["jobs"])
        self.report_nearly_deleted(message.resources["deployments"])
        for name, items in message.resources.items():
            self.show_rows(name, items)
        if self.last_refresh is None:
            self.call_after_refresh(set_aside_what_lasts)
        self.last_refresh = self.now()
        self.show_status()
        if self.followed_job is None:
            self.select_job(self.query_one("#jobs", ResourceTable).selected_id)
        else:
            self.follow_job()  # its new events, with the job as just listed
        self.show_detail()

    def show_rows(self, pane: str, items: list[dict]) -> None:
        rows = [PANES[pane].row(item) for item in items]
        self.resources[pane] = {row_id: item for (row_id, _), item in zip(rows, items)}
        self.query_one(f"#{pane}", ResourceTable).sync(rows)

    @on(RefreshFailed)
    @while_open
    def went_offline(self, message: RefreshFailed) -> None:
        if not self.offline:
            self.say(f"cannot refresh: {message.error}; retrying every {REFRESH_SECONDS:g}s", "error")
        self.offline = str(message.error)
        self.show_status()

    def show_status(self) -> None:
        if self.workspace is None:
            return
        p = self.workspace.profile
        where = "built-in emulator" if self.workspace.is_emulator else p.endpoint
        refreshed = time.strftime("%H:%M:%S", time.localtime(self.last_refresh)) if self.last_refresh else "—"
        state = "[b]refresh paused[/b] (p)" if self.paused else f"refresh {REFRESH_SECONDS:g}s, last {refreshed}"
        if self.offline:  # paused or not, the endpoint is not answering
            retrying = "[b]refresh paused[/b] (p)" if self.paused else f"retrying every {REFRESH_SECONDS:g}s"
            state = f"[reverse red] OFFLINE [/] {retrying}, last ok {refreshed}"
        badge = " [reverse red] READ-ONLY [/]" if self.read_only else ""
        self.query_one("#status", Static).update(markup(
            f"[b]$profile[/b] · $where · account $account · api $api · {state}{badge}",
            profile=self.workspace.profile_name, where=where, account=p.account or "-", api=p.api_shown,
        ))

    def report_job_changes(self, found: list[dict]) -> None:
        """Say in the console when a job appears or changes state (not on the first load)."""
        statuses = {job["id"]: job["status"] for job in found}
        known, self._statuses = self._statuses, statuses
        if known is None:
            return
        for job in found:
            job_id, status = job["id"], job["status"]
            if known.get(job_id) == status:
                continue
            kind = {"succeeded": "ok", "failed": "error", "cancelled": "warning"}.get(status, "info")
            self.say(f"{job_id} is {status}" if job_id in known else f"{job_id} created ({status})", kind)
            error = job.get("error") or {}
            if status == "failed" and error.get("message"):
                self.say(f"{job_id}: {error.get('code')}: {error['message']}", "error")
            if status == "succeeded":
                self.say(f"{job_id} made {job.get('fine_tuned_model')}: deploy it? select it and press d, or /deploy NAME", "ok")

    def report_nearly_deleted(self, found: list[dict]) -> None:
        for facts in found:
            days = facts.get("days_left_at_most")
            if days is not None and days <= NEARLY_DELETED_DAYS and facts["name"] not in self._warned_deployments:
                self._warned_deployments.add(facts["name"])
                self.say(f"deployment {facts['name']} may be deleted for inactivity in {days:g} days or less: chat with it to keep it", "warning")

    # ------------------------------------------------------------ selection and the followed job

    @on(DataTable.RowHighlighted)
    @while_open
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        pane = event.data_table.id
        if pane == "jobs":
            self.select_job(event.row_key.value if event.row_key else None)
        if pane == self.current_pane:
            self.show_detail()

    def show_detail(self) -> None:
        """The detail of the current pane's selected row (jobs show the followed job)."""
        pane = self.current_pane
        switcher = self.query_one("#detail", ContentSwitcher)
        if not switcher.children:
            return  # not mounted yet (add_details)
        self.show_row_actions()
        switcher.current = f"{pane}-detail"
        chosen = self.selected()
        if chosen is None or pane == "jobs":
            return
        _, row_id, item = chosen
        if pane == "checkpoints":
            self.query_one("#checkpoints-detail").show(item)
        elif pane == "deployments":
            self.query_one("#deployments-detail").show(item, item["last_call"])
        elif pane == "files":
            detail = self.query_one("#files-detail")
            if getattr(detail, "shown", None) != (row_id, item["status"]):  # content only changes with status
                detail.shown = (row_id, item["status"])
                detail.show(item, None)
                if item["status"] in ("processed", "error"):
                    self.preview_file(row_id)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def preview_file(self, file_id: str) -> None:
        from services.files import preview_file

        self.post_message(Previewed(file_id, preview_file(self.workspace, file_id)))

    @on(Previewed)
    @while_open
    def show_preview(self, message: Previewed) -> None:
        chosen = self.selected()
        if chosen and chosen[0] == "files" and chosen[1] == message.file_id:
            self.query_one("#files-detail").show(chosen[2], message.preview)

    @on(DataTable.RowSelected)
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: on a narrow terminal the detail takes the screen (Esc comes back)."""
        if self.screen.has_class("-narrow"):
            self.screen.add_class("-detail")

    @while_open
    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, ResourceTable) and widget.id in PANES:
            self.current_pane = widget.id
            for table in self.query(ResourceTable):
                table.set_class(table is widget, "-current")
            tabs = self.query_one_optional("#pane-tabs", Tabs)  # mounted after the first frame when wide
            if tabs and tabs.active != f"tab-{widget.id}":
                tabs.active = f"tab-{widget.id}"
            self.show_detail()

    @on(Tabs.TabActivated, "#pane-tabs")
    def tab_chosen(self, event: Tabs.TabActivated) -> None:
        pane = event.tab.id.removeprefix("tab-")
        if pane != self.current_pane:
            self.action_focus_pane(pane)

    def selected(self) -> tuple[str, str, dict] | None:
        """(pane, id, resource) of the row under the cursor in the current pane."""
        table = self.query_one(f"#{self.current_pane}", ResourceTable)
        row_id = table.selected_id
        item = self.resources[self.current_pane].get(row_id or "")
        return (self.current_pane, row_id, item) if row_id and item else None

    def select_job(self, job_id: str | None) -> None:
        if job_id == self.followed_job or job_id is None:
            return
        self.followed_job = job_id
        self.tail = None
        self.metrics = []
        self._last_seen = None
        self.job_detail.reset()
        self.job_detail.border_title = markup("Job $id", id=job_id)
        self.resources["checkpoints"] = {}
        self.query_one("#checkpoints", ResourceTable).sync([])
        self.follow_job()

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def follow_job(self) -> None:
        from services import jobs

        job_id = self.followed_job
        if self.workspace is None or job_id is None:
            return
        # A poll still under way (a slow endpoint, a long first read) is not joined by another:
        # two would re-read the same events.
        if not self._polling.acquire(blocking=False):
            return
        try:
            if self.tail is None or self.tail.job_id != job_id:
                self.tail = jobs.EventTail(job_id)
            tail = self.tail
            if tail.events and self._last_seen and self._last_seen[0]["status"] not in ACTIVE:
                return  # polled since it finished: nothing new to say
            try:
                # Polls follow each listing of the panes, which has the job as fresh as can be.
                job = self.jobs.get(job_id) or jobs.get_job(self.workspace, job_id)
                new_events = tail.poll(self.workspace)
                # Checkpoints come at epoch ends, each with an event: ask only then (or first).
                last_checkpoints = self._last_seen[1] if self._last_seen else None
                if last_checkpoints is None or any(e["message"].startswith("Checkpoint created") for e in new_events) or job["status"] != self._last_seen[0]["status"]:
                    checkpoints = jobs.list_checkpoints(self.workspace, job_id)
                else:
                    checkpoints = last_checkpoints
            except Exception as exc:
                self.post_message(RefreshFailed(exc))
                return
            if job_id != self.followed_job or (not new_events and self._last_seen == (job, checkpoints)):
                return  # nothing to redraw
            self._last_seen = (job, checkpoints)
            as_of = tail.events[-1]["created_at"] if tail.events else None
            self.post_message(JobUpdate(job, checkpoints, new_events, as_of))
        finally:
            self._polling.release()

    @on(JobUpdate)
    @while_open
    def show_job(self, message: JobUpdate) -> None:
        if message.job["id"] != self.followed_job:
            return
        self.jobs[message.job["id"]] = message.job
        self.metrics += [e["data"] for e in message.new_events if e.get("type") == "metrics" and e.get("data")]
        detail = self.job_detail
        detail.show_job(message.job, self.metrics, message.as_of)
        if message.new_events:
            detail.query_one("#events").add(message.new_events)
        self.show_rows("checkpoints", message.checkpoints)
        if self.current_pane == "checkpoints":
            self.show_detail()
        self.show_row_actions()

    # ------------------------------------------------------------ console, panes, filter, layout

    def action_console(self) -> None:
        self.query_one("#command", Input).focus()

    @on(Console.Command)
    @while_open
    def console_command(self, command: Console.Command) -> None:
        run_command(self, command.name, command.args)

    def toggle_calls(self) -> None:
        log = self.api_log
        log.collapsed = not log.collapsed

    @on(Collapsible.Expanded, "#api-log")
    @on(Collapsible.Collapsed, "#api-log")
    def calls_shown(self) -> None:
        self.screen.set_class(not self.api_log.collapsed, "-calls")

    def watch_for_trouble(self, wait) -> None:
        """Waits before sending again are said in the console (any thread; at most one line in 5 s)."""
        if time.time() - getattr(self, "_last_trouble", 0) > 5:
            self._last_trouble = time.time()
            self.post_message(Trouble(wait))

    def watch_for_silence(self, call) -> None:
        """A request that got no answer in time, or whose connection was refused: the endpoint is
        not answering. OFFLINE now, not when the retries give up (any thread)."""
        kind = (call.error or "").split(":")[0]
        if call.status is None and ("Timeout" in kind or kind == "ConnectError"):
            self.post_message(RefreshFailed(ConnectionError(f"no answer to {call.method} {call.path} ({call.error})")))

    @on(Trouble)
    @while_open
    def say_trouble(self, message: Trouble) -> None:
        self.say(str(message.wait), "warning")

    def action_focus_pane(self, pane: str) -> None:
        if pane == "events" and self.query_one_optional("#events") is None:
            return  # the details are mounted just after the first frame
        if self.screen.has_class("-detail") and pane != "events":
            self.screen.remove_class("-detail")
        if pane == "events":  # the followed job's event tail
            self.screen.add_class("-detail")
            self.query_one("#detail", ContentSwitcher).current = "jobs-detail"
        self.query_one(f"#{pane}").focus()

    def action_back(self) -> None:
        """Esc: from the console or the full-screen detail (narrow) back to the panes."""
        if self.focused is not None and self.focused.id == "command":
            self.query_one(f"#{self.current_pane}").focus()
        elif self.screen.has_class("-detail"):
            self.screen.remove_class("-detail")
            self.query_one(f"#{self.current_pane}").focus()

    def action_filter(self) -> None:
        box = self.query_one_optional("#filter", Input)
        if box is None:
            return  # mounted just after the first frame
        self._filter_target = self.query_one(f"#{self.current_pane}", ResourceTable)
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
        box = self.query_one_optional("#filter", Input)
        if event.key == "escape" and box is not None and box.has_class("-on"):
            box.value = ""
            self._filter_target.set_filter("")
            box.remove_class("-on")
            self._filter_target.focus()
            event.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every ftdeck action the current row allows, in the command palette too."""
        yield from super().get_system_commands(screen)
        for binding in actions.BINDINGS:
            name = binding.action.split("(")[0]
            if self.check_action(name, ()):
                yield SystemCommand(binding.description, f"key {binding.key}", getattr(self, f"action_{name}"))

    @on(Worker.StateChanged)
    @while_open
    def report_failure(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.error}", title=event.worker.group, severity="error", timeout=8)
            self.say(f"{event.worker.group} failed: {event.worker.error}", "error")

    def on_unmount(self) -> None:
        gc.unfreeze()  # what was set aside is the collector's again (tests run many apps in one process)
        if self.workspace is not None:
            self.workspace.close()


def run_app(profile: str | None = None, read_only: bool = False) -> int:
    import sys

    from tui.hangup import run_until_hangup

    app = FtdeckApp(profile, read_only=read_only)
    code = run_until_hangup(app)  # exits when the terminal goes away
    if app.cannot_start:
        print(f"ftdeck: {app.cannot_start}", file=sys.stderr)
    return code

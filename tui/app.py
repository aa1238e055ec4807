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
import time
from typing import TYPE_CHECKING, Iterable

from textual import on, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Collapsible, ContentSwitcher, Footer, Input, Static, Tabs
from textual.worker import Worker, WorkerState

from tui import actions
from tui.assistant_console import AssistantConsole
from tui.main_screen import DECK_CSS, TALL, WIDE, MainScreen
from tui.panes import PANES
from tui.registry import BY_ID, COMMANDS, NOT_IN_PALETTE, bindings
from services.deck import REFRESH_SECONDS, Deck, JobUpdate, Listing, Notice
from services.outside_text import inert
from widgets.console import Console
from widgets.markup import markup
from widgets.resource_table import ResourceTable

if TYPE_CHECKING:
    from services.workspace import Workspace
    from widgets.api_log import ApiLog
    from widgets.job_detail import JobDetail



DETAILS_AT_LATEST = 1.0  # seconds after connecting: see add_details


class CannotStart(Message):
    def __init__(self, reason: str, exit_code: int) -> None:
        super().__init__()
        self.reason = reason
        self.exit_code = exit_code


class Connected(Message):
    def __init__(self, workspace: "Workspace", keymap: dict[str, str]) -> None:
        super().__init__()
        self.workspace = workspace
        self.keymap = keymap  # the config file's [keymap]


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


class JobPolled(Message):
    """The followed job's latest state (services.deck.JobUpdate); never coalesced."""

    def __init__(self, update: JobUpdate) -> None:
        super().__init__()
        self.update = update


def while_open(handler):
    """For answers from workers and callbacks: one that lands while ftdeck is closing finds its
    widgets gone, and is dropped. Every handler that reaches the main screen's widgets wears it."""

    def closing(self) -> bool:
        return not self.is_running or self.return_code is not None  # exit() sets the code

    if asyncio.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def guarded_async(self, *args):
            try:
                return await handler(self, *args)
            except (NoMatches, ScreenStackError):
                if not closing(self):
                    raise

        return guarded_async

    @functools.wraps(handler)
    def guarded(self, *args):
        try:
            return handler(self, *args)
        except (NoMatches, ScreenStackError):
            if not closing(self):
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


class FtdeckApp(actions.Actions, AssistantConsole, App):
    TITLE = "ftdeck"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]
    CSS = DECK_CSS
    BINDINGS = bindings(everywhere=True)

    def __init__(self, profile: str | None = None, *, read_only: bool = False, workspace: "Workspace | None" = None) -> None:
        """Build it with make_app()."""
        super().__init__()
        self.animation_level = "none"  # calm over SSH; Textual's themes still apply
        self.now = time.time  # the wall clock, for the header and console; snapshot tests stop it
        self.profile = profile
        self.read_only = read_only
        self.workspace: Workspace | None = None
        self._given = workspace  # opened by whoever built the app (tests, bench), else by connect()
        self.models: list[dict] = []
        self.deck = Deck(now=lambda: self.now())  # what the panes show, and what to report
        self.cannot_start: str | None = None  # why the workspace could not be opened (printed on exit)
        self.current_pane = "jobs"
        self._shown_actions: frozenset[str] | None = None  # the row actions the footer shows
        self._adding_details = False
        self.details_ready = False  # add_details has mounted the details and the API log
        self.last_upload: str | None = None  # the file uploaded last: the create form preselects it

    # What the deck holds, under the names the screens and tests know.
    jobs = property(lambda self: self.deck.jobs)
    resources = property(lambda self: self.deck.resources)
    followed_job = property(lambda self: self.deck.followed_job)
    tail = property(lambda self: self.deck.tail)
    metrics = property(lambda self: self.deck.metrics)
    offline = property(lambda self: self.deck.offline)
    last_refresh = property(lambda self: self.deck.last_refresh)
    paused = property(lambda self: self.deck.paused)

    @property
    def job_detail(self) -> "JobDetail":
        return self.query_one("#jobs-detail")  # type: ignore[return-value]

    @property
    def api_log(self) -> "ApiLog":
        return self.query_one("#api-log")  # type: ignore[return-value]

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "run":
            return self.can_run(BY_ID[parameters[0]])
        return True

    def action_run(self, command_id: str) -> None:
        self.run_command(BY_ID[command_id])

    def on_mount(self) -> None:
        from tui.daemon_threads import DaemonThreads

        asyncio.get_running_loop().set_default_executor(DaemonThreads())  # quitting never waits on a worker

    @while_open
    async def add_details(self) -> None:
        """The first frame shows the panes; what it does not show (details, charts, the API log,
        the filter box, the tabs of a narrow screen) is mounted once the first listing is on screen,
        or a second after connecting if that listing is slow. Mounted before, they would hold the
        interpreter lock while the connecting thread imports what it needs and lists (measured in
        bench/startup.py)."""
        if self._adding_details or self.workspace is None or not self.screen_stack:  # (none: closing)
            return
        self._adding_details = True
        from widgets.api_log import ApiLog
        from widgets.checkpoint_detail import CheckpointDetail
        from widgets.deployment_detail import DeploymentDetail
        from widgets.file_detail import FileDetail
        from widgets.job_detail import JobDetail

        details = [JobDetail(id="jobs-detail"), CheckpointDetail(id="checkpoints-detail"),
                   FileDetail(id="files-detail"), DeploymentDetail(id="deployments-detail")]
        for detail in details:
            detail.display = False  # ContentSwitcher hides only the children it has when it mounts
        main = self.screen_stack[0]  # a dialog or help may be open already
        await main.query_one(Console).add_transcript()
        await main.query_one("#detail", ContentSwitcher).mount_all(details)
        await main.query_one("#console-body").mount(ApiLog(id="api-log"))  # beside or under the transcript
        box = Input(placeholder="filter the focused pane (Enter to keep, Esc to clear)", id="filter")
        box.cursor_blink = False
        await main.mount(box, before=main.query_one(Footer))
        if main.query_one_optional("#pane-tabs") is None:
            await main.mount(main.pane_tabs(), after="#status")
        self.workspace.calls.subscribe(self.api_log.record, replay=True)  # the calls made so far too
        set_aside_what_lasts()
        self.call_after_refresh(self.show_selected)  # once their own parts (charts, events) are mounted too

    @while_open
    def show_selected(self) -> None:
        self.details_ready = True
        if self.deck.last_refresh is not None:
            self.select_job(self.query_one("#jobs", ResourceTable).selected_id)
        self.show_detail()

    # ------------------------------------------------------------ connecting and refreshing

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect(self) -> None:
        """Started once the first frame is drawn: open the workspace (which may start the emulator,
        unless tui.opening started it in a process of its own), say so, and list the panes."""
        from services.config import read_config_file
        from services.errors import FtdeckError
        from services.workspace import open_workspace

        try:
            workspace = self._given or open_workspace(self.profile)
            keymap = read_config_file().keymap
        except FtdeckError as exc:  # a bad setting, an unusable emulator database: nothing to show
            self.post_message(CannotStart(str(exc), exc.exit_code))
            return
        except Exception as exc:  # the built-in emulator did not start...: said, rather than "connecting…" forever
            self.post_message(CannotStart(f"cannot open the workspace: {type(exc).__name__}: {exc}", 1))
            return
        self.post_message(Connected(workspace, keymap))
        self.list_panes(workspace)  # at once, in this thread: no wait for another to start

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
        self.apply_keymap(message.keymap)
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
        self.set_interval(REFRESH_SECONDS, self.scheduled_refresh)
        self.set_timer(DETAILS_AT_LATEST, self.add_details)

    def apply_keymap(self, keymap: dict[str, str]) -> None:
        """The config file's [keymap]: remapped keys show as such in the footer, `?` and the palette."""
        unknown = sorted(set(keymap) - set(BY_ID))
        if unknown:
            self.say(f"[keymap]: no command {', '.join(unknown)}; the commands are {', '.join(BY_ID)}", "warning")
        self.set_keymap({name: keys for name, keys in keymap.items() if name in BY_ID})

    def apply_theme(self, theme: str | None, accent: str | None) -> None:
        """The profile's Textual theme, with its accent colour: production looks different."""
        if theme and theme in self.available_themes:
            self.theme = theme
        if accent:
            base = self.available_themes[self.theme]
            self.register_theme(dataclasses.replace(base, name=f"{base.name}-accented", accent=accent, primary=accent))
            self.theme = f"{base.name}-accented"

    def scheduled_refresh(self) -> None:
        if not self.deck.paused and not self.deck.refreshing:  # one still waiting on the service: no pile-up
            self.refresh_panes()

    def action_refresh(self) -> None:
        self.refresh_panes()

    def action_toggle_pause(self) -> None:
        self.deck.paused = not self.deck.paused
        self.show_status()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_panes(self) -> None:
        if self.workspace is not None:
            self.list_panes(self.workspace)

    def list_panes(self, workspace: "Workspace") -> None:
        """(A worker thread) every pane's resources, posted as Loaded, or RefreshFailed."""
        from services.usage import last_calls

        try:
            found = self.deck.list_resources(workspace, last_calls(workspace.endpoint))
        except Exception as exc:  # offline: say so in the header, keep showing what we had
            self.post_message(RefreshFailed(exc))
            return
        if found is not None:
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
        first = self.deck.last_refresh is None
        listing: Listing = self.deck.loaded(message.resources)
        self.tell(listing.notices)
        for name, items in listing.panes.items():
            self.show_rows(name, items)
        if first:
            self.call_after_refresh(set_aside_what_lasts)
            self.call_after_refresh(self.add_details)  # once the rows are drawn
            self.load_models()
        self.show_status()
        if not self.details_ready:
            return
        if self.followed_job is None:
            self.select_job(self.query_one("#jobs", ResourceTable).selected_id)
        else:
            self.follow_job()  # its new events, with the job as just listed
        self.show_detail()

    def tell(self, notices: Iterable[Notice]) -> None:
        for notice in notices:
            self.say(notice.text, notice.kind)

    def show_rows(self, pane: str, items: Iterable[dict]) -> None:
        self.query_one(f"#{pane}", ResourceTable).sync([PANES[pane].row(item, self.resources) for item in items])

    @on(RefreshFailed)
    @while_open
    def went_offline(self, message: RefreshFailed) -> None:
        self.tell(self.deck.failed(message.error))
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

    # ------------------------------------------------------------ selection and the followed job

    @on(ResourceTable.RowHighlighted)
    @while_open
    def row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        pane = event.table.id
        if pane == "jobs":
            self.select_job(event.row_id)
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

    @on(ResourceTable.RowSelected)
    def row_chosen(self, event: ResourceTable.RowSelected) -> None:
        """Enter on a row: on a narrow terminal the detail takes the screen (Esc comes back)."""
        if self.screen.has_class("-narrow"):
            self.screen.add_class("-detail")

    @while_open
    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        # A pane focused by a click or Tab. Focus moves after the key that asked for it: with `3`
        # then `5` typed quickly, the files pane's focus arrives once the events have it. A focus
        # already gone, or a pane its key has made current already, changes nothing.
        if isinstance(widget, ResourceTable) and widget.id in PANES and self.focused is widget \
                and widget.id != self.current_pane:
            self.make_current(widget.id)

    def make_current(self, pane: str) -> None:
        """The pane keys, actions and the detail are about (it has focus, or is about to)."""
        self.current_pane = pane
        for table in self.query(ResourceTable):
            table.set_class(table.id == pane, "-current")
        tabs = self.query_one_optional("#pane-tabs", Tabs)  # mounted after the first frame when wide
        if tabs and tabs.active != f"tab-{pane}":
            tabs.active = f"tab-{pane}"
        self.show_detail()

    @on(Tabs.TabActivated, "#pane-tabs")
    def tab_chosen(self, event: Tabs.TabActivated) -> None:
        """A tab clicked or chosen with the arrow keys (either gives the tabs focus first); not one
        the tabs activate as they mount, which may be a pane the user has just left."""
        pane = event.tab.id.removeprefix("tab-")
        if self.focused is event.tabs and pane != self.current_pane:
            self.action_focus_pane(pane)

    def selected(self) -> tuple[str, str, dict] | None:
        """(pane, id, resource) of the row under the cursor in the current pane."""
        table = self.query_one(f"#{self.current_pane}", ResourceTable)
        row_id = table.selected_id
        item = self.resources[self.current_pane].get(row_id or "")
        return (self.current_pane, row_id, item) if row_id and item else None

    def select_row(self, pane: str, row_id: str) -> None:
        """Put the pane's cursor on a row (one a filter hides stays hidden)."""
        if not self.query_one(f"#{pane}", ResourceTable).select(row_id):
            return
        if pane == "jobs":
            self.select_job(row_id)  # now, not when the highlight's message comes round

    def select_job(self, job_id: str | None) -> None:
        if not self.details_ready:
            return  # add_details selects it
        if not self.deck.follow(job_id):
            return
        self.job_detail.loading(job_id, self.jobs.get(job_id))  # the title and the body agree at once
        self.query_one("#checkpoints", ResourceTable).sync([])
        self.follow_job()

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def follow_job(self) -> None:
        if self.workspace is None:
            return
        try:
            update = self.deck.poll_followed(self.workspace)
        except Exception as exc:
            self.post_message(RefreshFailed(exc))
            return
        if update is not None:
            self.post_message(JobPolled(update))

    @on(JobPolled)
    @while_open
    def show_job(self, message: JobPolled) -> None:
        update = message.update
        if not self.deck.job_updated(update):
            return
        detail = self.job_detail
        detail.show_job(update.job, self.metrics, update.as_of)
        if update.new_events:
            detail.query_one("#events").add(list(update.new_events))
        self.show_rows("checkpoints", update.checkpoints)
        if self.current_pane == "checkpoints":
            self.show_detail()
        self.show_row_actions()

    # ------------------------------------------------------------ console, panes, filter, layout

    def action_console(self) -> None:
        self.query_one("#command", Input).focus()

    @on(Console.Command)
    @while_open
    def console_command(self, command: Console.Command) -> None:
        self.run_slash(command.name, command.args)

    def toggle_calls(self) -> None:
        log = self.query_one_optional("#api-log", Collapsible)
        if log is None:
            self.say("the API call log opens once connected", "warning")
            return
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
            return  # the details are mounted once the first rows are drawn (add_details)
        if self.screen.has_class("-detail") and pane != "events":
            self.screen.remove_class("-detail")
        owner = "jobs" if pane == "events" else pane  # the events are the followed job's: part of its detail
        if owner != self.current_pane:
            self.make_current(owner)  # now: a key typed before the focus lands is about this pane
        if pane == "events":
            self.screen.add_class("-detail")
            self.query_one("#detail", ContentSwitcher).current = "jobs-detail"
        self.query_one(f"#{pane}").focus()

    def action_back(self) -> None:
        """Esc: from the console or the full-screen detail (narrow) back to the panes."""
        self.screen.remove_class("-assistant")  # the console's room for answers goes back to the panes
        if self.focused is not None and self.focused.id == "command":
            self.query_one(f"#{self.current_pane}").focus()
        elif self.screen.has_class("-detail"):
            self.screen.remove_class("-detail")
            self.query_one(f"#{self.current_pane}").focus()

    def action_filter(self, text: str | None = None) -> None:
        """The filter box (/), or /filter TEXT at once (no text clears it)."""
        if text is not None:
            self.query_one(f"#{self.current_pane}", ResourceTable).set_filter(text)
            return
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
        """Every command of the registry that applies now, in the command palette too: its name,
        what it does, and its key (as remapped) or console form."""
        from tui.screens.help import key_name

        yield from super().get_system_commands(screen)
        keys = {b.id: b.key for _n, b, _e, _t in screen.active_bindings.values() if b.id}
        for command in COMMANDS:
            if command.id in NOT_IN_PALETTE or not (command.everywhere or isinstance(screen, MainScreen)):
                continue
            if self.offers(command):
                how = [f"key {key_name(keys[command.id])}"] if command.id in keys else []
                how += [command.usage] if command.slash else []
                # The palette reads help as markup: the usage's [ARGS] are text.
                text = f"{command.help} ({', '.join(how)})".replace("[", "\\[")
                yield SystemCommand(command.title, text, functools.partial(self.run_command, command))

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


def make_app(workspace: "Workspace | None" = None, *, profile: str | None = None, read_only: bool = False) -> FtdeckApp:
    """The one way to build the app (the CLI, tests, screenshots, benchmarks): on `workspace`
    when given, else on the profile's, opened after the first frame."""
    return FtdeckApp(profile, read_only=read_only, workspace=workspace)


def run_app(profile: str | None = None, read_only: bool = False) -> int:
    import sys

    from tui.hangup import run_until_hangup

    app = make_app(profile=profile, read_only=read_only)
    code = run_until_hangup(app)  # exits when the terminal goes away
    if app.cannot_start:
        print(f"ftdeck: {app.cannot_start}", file=sys.stderr)
    return code

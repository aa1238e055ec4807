"""The ftdeck TUI: resource panes over one workspace, refreshed live.

The first frame is drawn before anything slow happens: connecting (which may start the built-in
emulator and imports openai) runs in a worker after mount.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from services.workspace import Workspace

REFRESH_SECONDS = 2.0


class Loaded(Message):
    """Fresh rows for every pane, from a refresh worker."""

    def __init__(self, rows: dict[str, list[tuple[str, tuple]]]) -> None:
        super().__init__()
        self.rows = rows


class Connected(Message):
    def __init__(self, workspace: "Workspace") -> None:
        super().__init__()
        self.workspace = workspace


PANES = {
    "jobs": ("Jobs", ("id", "model", "status", "fine-tuned model")),
    "files": ("Files", ("id", "filename", "status", "bytes")),
    "deployments": ("Deployments", ("name", "model", "sku", "state")),
}


class FtdeckApp(App):
    TITLE = "ftdeck"
    CSS = """
    #status { height: 1; background: $panel; color: $text; padding: 0 1; }
    Grid { grid-size: 2 2; grid-columns: 1fr 1fr; }
    DataTable { border: round $panel-lighten-2; height: 1fr; }
    DataTable:focus { border: round $accent; }
    #jobs { column-span: 2; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh"),
        Binding("1", "focus_pane('files')", "Files", id="pane.files"),
        Binding("2", "focus_pane('jobs')", "Jobs", id="pane.jobs"),
        Binding("3", "focus_pane('deployments')", "Deployments", id="pane.deployments"),
    ]

    def __init__(self, profile: str | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.workspace: Workspace | None = None
        self.last_refresh: float | None = None

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status")
        with Grid():
            for key, (title, columns) in PANES.items():
                table: DataTable = DataTable(id=key, cursor_type="row")
                table.border_title = title
                table.add_columns(*columns)
                yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#jobs", DataTable).focus()
        self.connect()

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect(self) -> None:
        from services.workspace import open_workspace

        self.post_message(Connected(open_workspace(self.profile)))

    @on(Connected)
    def start_refreshing(self, message: Connected) -> None:
        self.workspace = message.workspace
        self.show_status()
        self.refresh_panes()
        self.set_interval(REFRESH_SECONDS, self.refresh_panes)

    def action_refresh(self) -> None:
        self.refresh_panes()

    def action_focus_pane(self, pane: str) -> None:
        self.query_one(f"#{pane}", DataTable).focus()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_panes(self) -> None:
        if self.workspace is None:
            return
        client = self.workspace.openai()
        rows = {
            "files": [(f.id, (f.id, f.filename, f.status, f.bytes)) for f in client.files.list()],
            "jobs": [(j.id, (j.id, j.model, j.status, j.fine_tuned_model or "")) for j in client.fine_tuning.jobs.list(limit=50)],
            "deployments": [
                (d["name"], (d["name"], d["properties"]["model"]["name"], d["sku"]["name"], d["properties"]["provisioningState"]))
                for d in self.workspace.list_deployments()
            ],
        }
        self.post_message(Loaded(rows))

    @on(Loaded)
    def update_panes(self, message: Loaded) -> None:
        for pane, rows in message.rows.items():
            table = self.query_one(f"#{pane}", DataTable)
            keys = {key for key, _ in rows}
            for row_key in [k for k in table.rows if k.value not in keys]:
                table.remove_row(row_key)
            for key, values in rows:
                if key in table.rows:
                    for column, value in zip(table.columns, values):
                        table.update_cell(key, column, value)
                else:
                    table.add_row(*values, key=key)
        self.last_refresh = time.time()
        self.show_status()

    def show_status(self) -> None:
        if self.workspace is None:
            return
        p = self.workspace.profile
        where = "built-in emulator" if self.workspace.is_emulator else p.endpoint
        refreshed = time.strftime("%H:%M:%S", time.localtime(self.last_refresh)) if self.last_refresh else "—"
        self.query_one("#status", Static).update(
            f"profile {self.workspace.profile_name} · {where} · api {p.api_version} · every {REFRESH_SECONDS:g}s, last {refreshed}"
        )

    @on(Worker.StateChanged)
    def report_failure(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.group}: {event.worker.error}", severity="error", timeout=8)

    def on_unmount(self) -> None:
        if self.workspace is not None:
            self.workspace.close()


def run_app(profile: str | None = None) -> int:
    FtdeckApp(profile).run()
    return 0

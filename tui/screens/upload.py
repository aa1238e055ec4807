"""Upload a training file: type a path (Tab completes it), Enter checks the file, Enter again
uploads it and waits until the service has processed it. A file with errors is not uploaded; a
file already uploaded byte for byte is offered for reuse instead. Or give a URL (an Azure Blob URL
with a SAS token, or one the resource reads with its identity): Enter has the service import it. The
URL box hides what is typed, and the URL is shown only without its query (services/file_import.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Static

from services.wording import count
from tui.screens.form import FormScreen
from widgets.markup import lines, literal, markup
from widgets.path_suggester import PathSuggester

if TYPE_CHECKING:
    from services.datasets import DatasetReport
    from services.workspace import Workspace

CHECK_FIRST = "Enter checks the file before anything is uploaded."


class UploadScreen(FormScreen[dict | None]):
    """Dismisses with the uploaded (or reused) file, or None."""

    DEFAULT_CSS = """
    UploadScreen #report { height: auto; max-height: 14; margin-top: 1; }
    UploadScreen.-short #report { max-height: 12; }
    UploadScreen #report:focus { background: $boost; }
    UploadScreen #reuse { display: none; }
    UploadScreen.-identical #reuse { display: block; }
    """
    BINDINGS = [
        Binding("tab", "complete", "Complete the path", show=False, id="upload.complete"),
        Binding("ctrl+s", "submit", "Check / upload", id="upload.submit"),
    ]

    def __init__(self, workspace: "Workspace", path: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.initial_path = path  # /upload PATH fills it in
        self.checked: tuple | None = None  # the file the report is about, as `_signature` gives it
        self.report: DatasetReport | None = None
        self.identical: dict | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Upload a training file"
            path = Input(placeholder="path to a .jsonl file (Tab completes)", suggester=PathSuggester((".jsonl",)),
                         compact=True, id="path", value=self.initial_path or "")
            yield self.row("File", path)
            url = Input(placeholder="or a URL to import: https://… blob URL (hidden as typed: a SAS token is a secret)",
                        password=True, compact=True, id="url")
            yield self.row("or URL", url)
            with VerticalScroll(id="report"):
                yield Static(CHECK_FIRST, id="report-text")
            yield from self.closing("Enter checks the file · Esc cancel",
                                    Button("Upload", variant="primary", compact=True, disabled=True, id="upload"),
                                    Button("Reuse it", compact=True, id="reuse"))

    @property
    def path(self) -> Path:
        return Path(os.path.expanduser(self.query_one("#path", Input).value.strip()))

    @property
    def ready(self) -> bool:
        """Checked, without errors, and still the same file: the upload skips validation."""
        return self.report is not None and self.report.ok and self.checked == _signature(self.path)

    def action_complete(self) -> None:
        """Tab completes the path when there is a completion, else moves on as usual."""
        box = self.query_one("#path", Input)
        before = box.value
        if self.focused is box:
            box.action_end()
            box.action_cursor_right()  # accepts the suggestion shown after the cursor
        if box.value == before:
            self.focus_next()

    @on(Input.Changed, "#path")
    def show_choices(self) -> None:
        """The buttons and the hint for where things stand."""
        ready = self.ready
        upload = self.query_one("#upload", Button)
        upload.disabled = not ready
        upload.label = "Upload a copy" if ready and self.identical else "Upload"
        # What Enter does is the primary button: reusing, when the very same file is already there.
        upload.variant = "default" if ready and self.identical else "primary"
        self.query_one("#reuse", Button).variant = "primary" if ready and self.identical else "default"
        self.set_class(ready and self.identical is not None, "-identical")
        if self.report and not self.report.ok and self.checked == _signature(self.path):
            hint = "fix it, then Enter checks again"
        elif not ready:
            hint = "Enter checks the file · Esc cancel"
        elif self.identical:
            hint = "Enter reuses it · Esc cancel"
        else:
            hint = "Enter uploads · Esc cancel"
        self.query_one("#hint", Static).update(hint)

    @on(Input.Submitted, "#url")
    def import_url(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        if url and not self.busy:
            self.start(self.import_from(url))

    @on(Input.Submitted, "#path")
    def action_submit(self) -> None:
        if not self.busy and not self.query_one("#path", Input).value.strip():
            self.import_url()
            return
        if self.busy:
            return
        if not self.ready:
            self.start(self.check(self.path))
        elif self.identical:
            self.dismiss(self.identical)
        else:
            self.start(self.upload(self.path))

    @on(Button.Pressed, "#upload")
    def upload_pressed(self) -> None:
        if self.ready and not self.busy:
            self.start(self.upload(self.path))

    @on(Button.Pressed, "#reuse")
    def reuse_pressed(self) -> None:
        if self.ready and self.identical:
            self.dismiss(self.identical)

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def check(self, path: Path) -> tuple[Path, DatasetReport, dict | None]:
        from services.datasets import validate_dataset
        from services.files import find_identical

        self.say_status(f"checking {path.name}…")
        signature = _signature(path)  # before reading: an edit while checking means checking again
        report = validate_dataset(path)
        identical = None
        if report.ok:
            self.say_status("looking for an identical file already uploaded…")
            identical = find_identical(self.workspace, path)
        return signature, report, identical

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def upload(self, path: Path) -> dict:
        from services.files import upload_file

        # Already checked in this dialog: validate=False; the identical-file question was asked too.
        return upload_file(self.workspace, path, validate=False, wait=True, on_status=self.say_status).file

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def import_from(self, url: str) -> dict:
        from services.file_import import import_file

        return import_file(self.workspace, url, wait=True, on_status=self.say_status)

    def finished(self, work: str, result: Any) -> None:
        if work in ("upload", "import_from"):
            self.dismiss(result)
            return
        self.checked, self.report, self.identical = result
        self.query_one("#report-text", Static).update(describe(self.report, self.identical))
        self.show_status("")
        self.show_choices()

    def failed(self, work: str, error: BaseException | None) -> None:
        super().failed(work, error)
        if work == "check":
            self.checked = self.report = self.identical = None
            self.query_one("#report-text", Static).update(CHECK_FIRST)
            self.show_choices()


def describe(report: "DatasetReport", identical: dict | None) -> Content:
    """The report as the dialog shows it: verdict, tokens, system messages, then every problem."""
    shown = []
    if report.ok:
        shown.append(markup(f"[b $success]✔ {count(report.examples, 'example')}[/], $format format: ready to upload", format=report.format))
    else:
        shown.append(markup(f"[b $error]✘ {count(len(report.errors) + report.more_errors, 'problem')}[/]: "
                            "nothing is uploaded until they are fixed"))
    stats = report.token_stats()
    if stats["total"]:
        shown.append(literal(f"tokens {stats['total']:,} · per example min {stats['min']:,}, mean {stats['mean']:,}, "
                             f"p95 {stats['p95']:,}, max {stats['max']:,}"))
        shown.append(literal(f"≈ {report.estimated_billed_tokens:,} billed training tokens at {count(report.epochs, 'epoch')}"))
    systems = report.system_message_summary()
    if systems["distinct"] == 1:
        shown.append(literal(f"system message in {count(systems['counts'][0][1], 'example')}: {_short(systems['most_common'])}"))
    elif systems["distinct"] > 1:
        shown.append(literal(f"{systems['distinct']} different system messages; most common: {_short(systems['most_common'])}"))
    if identical:
        shown.append(markup("[b $warning]already uploaded[/]: $id ($name, $status) has exactly these bytes",
                            id=identical["id"], name=identical["filename"], status=identical["status"]))
    shown += [markup("[$error]$problem[/]", problem=_where(p.line) + p.message) for p in report.listed_errors()]
    shown += [markup("[$warning]$problem[/]", problem=_where(p.line) + p.message) for p in report.warnings]
    return lines(*shown)


def _signature(path: Path) -> tuple | None:
    """Which file, and which version of it: a file edited after its check is checked again."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return path, stat.st_mtime_ns, stat.st_size


def _where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def _short(text: str | None, width: int = 50) -> str:
    text = " ".join((text or "").split())
    return f'"{text}"' if len(text) <= width else f'"{text[:width - 1]}…"'

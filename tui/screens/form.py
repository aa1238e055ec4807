"""What the upload, create-job and deploy dialogs share: a bordered dialog that fits 80x24, rows of
label + field, a busy bar and status line while a thread worker calls services/, errors shown
inside the dialog (a toast would cover it), and Esc to close with nothing returned."""

from __future__ import annotations

from typing import Any, Iterator, TypeVar

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, WorkerState

from widgets.markup import lines, literal, markup

T = TypeVar("T")


class FormScreen(ModalScreen[T]):
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen #dialog {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
        border-title-style: bold;
    }
    FormScreen .row { height: 1; margin-top: 1; }
    FormScreen.-short .row { margin-top: 0; }
    FormScreen .label { width: 15; color: $text-muted; }
    FormScreen .row:focus-within > .label { color: $accent; text-style: bold; }
    FormScreen .row Input, FormScreen .row Select { width: 1fr; }
    FormScreen .row Input:focus, FormScreen .row Select:focus-within SelectCurrent { background: $boost; }
    FormScreen .note { color: $text-muted; margin-top: 1; }
    FormScreen #problems { color: $error; height: auto; margin-top: 1; display: none; }
    FormScreen #busy { display: none; margin-top: 1; }
    FormScreen.-busy #busy { display: block; }
    FormScreen #status { color: $text-muted; height: auto; display: none; }
    FormScreen #buttons { height: 1; margin-top: 1; }
    FormScreen #buttons Button { margin-right: 2; width: auto; min-width: 10; }
    FormScreen #hint { color: $text-muted; width: 1fr; text-align: right; }
    """
    BINDINGS = [Binding("escape", "close", "Cancel", id="form.cancel")]
    # Under 32 rows the fields sit without gaps, so the whole form still fits a 24-row terminal.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    class Status(Message):
        """A progress line from a worker (posted from its thread)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    working: Worker | None = None  # the worker that creates something; one at a time

    @property
    def busy(self) -> bool:
        return self.working is not None and self.working.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @staticmethod
    def row(label: str, *fields: Widget, classes: str = "") -> Horizontal:
        """A label and its field(s) on one line; the label lights up while a field has focus."""
        return Horizontal(Static(label, classes="label"), *fields, classes=f"row {classes}")

    def closing(self, hint: str, *buttons: Button) -> Iterator[Widget]:
        """What ends every form, for the subclass's compose(): the problems line, the busy bar and
        status line, then its buttons, Cancel and the key hint."""
        yield Static(id="problems")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="busy")
        yield Static(id="status")
        yield Horizontal(*buttons, Button("Cancel", compact=True, id="cancel"), Static(hint, id="hint"), id="buttons")

    def start(self, worker: Worker) -> None:
        """Follow the worker that creates something: busy until it ends, earlier problems cleared."""
        self.working = worker
        self.add_class("-busy")
        self.show_problems([])

    def say_status(self, text: str) -> None:
        """Safe from worker threads: post_message is thread-safe, widgets are not."""
        self.post_message(self.Status(text))

    def show_problems(self, problems: list[str]) -> None:
        shown = self.query_one("#problems", Static)
        shown.update(lines(*(markup("✘ $problem", problem=p) for p in problems)))
        shown.display = bool(problems)

    def show_status(self, text: str | Content) -> None:
        """A line under the form, shown as it is (Content from widgets.markup for styles); empty hides it."""
        shown = self.query_one("#status", Static)
        shown.update(text if isinstance(text, Content) else literal(text))
        shown.display = bool(text)

    @on(Status)
    def _show_status(self, message: Status) -> None:
        self.show_status(message.text)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        event.stop()  # shown here, in the dialog; the app's toast would cover the form
        worker = event.worker
        if worker is self.working:
            self.set_class(self.busy, "-busy")
        if event.state == WorkerState.SUCCESS:
            self.finished(worker.name, worker.result)
        elif event.state == WorkerState.ERROR:
            self.failed(worker.name, worker.error)

    def finished(self, work: str, result: Any) -> None:
        """A worker (named after its method) returned `result`."""

    def failed(self, work: str, error: BaseException | None) -> None:
        """A worker raised: services raise FtdeckError with an actionable text."""
        self.show_status("")
        self.show_problems([str(error)])

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        if self.busy:  # the request is on its way and cannot be called back
            self.notify("It carries on in the background; the panes will show it.", title="Closed")
        self.dismiss(None)

"""A yes/no question that names what it is about to change.

On a production profile the answer is typed: the name of the thing, so a stray `y` can't
delete what matters."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class Confirm(ModalScreen[bool]):
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical { width: 64; max-width: 100%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    Confirm Input { margin-top: 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "", *, typed: str | None = None) -> None:
        super().__init__()
        self.question, self.detail, self.typed = question, detail, typed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.question}[/b]")
            if self.detail:
                yield Static(self.detail)
            if self.typed:
                yield Static(f"This is a production profile: type [b]{self.typed}[/b] and press Enter (Esc cancels).")
                yield Input(placeholder=self.typed, id="typed")
            else:
                yield Static("[b]y[/b] yes   [b]n[/b] no")

    def check_action(self, action: str, parameters: tuple) -> bool:
        return not (self.typed and action == "answer" and parameters == (True,))  # typing 'y' is just typing

    @on(Input.Submitted, "#typed")
    def typed_answer(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.typed:
            self.dismiss(True)
        else:
            self.notify(f"that is not '{self.typed}'; nothing deleted", severity="warning")
            event.input.value = ""

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

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

from services.outside_text import inert_line
from widgets.markup import literal, markup


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
            # The question names what it changes, often a name from the service: shown as it is.
            yield Static(markup("[b]$question[/b]", question=self.question))
            if self.detail:
                yield Static(literal(self.detail))
            if self.typed:
                yield Static(markup("This is a production profile: type [b]$name[/b] and press Enter (Esc cancels).", name=self.typed))
                yield Input(placeholder=inert_line(self.typed), id="typed")
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

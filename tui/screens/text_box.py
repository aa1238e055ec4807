"""A centred box of scrolling text over the screen below: help, raw JSON. Esc or q closes it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class TextBox(ModalScreen[None]):
    DEFAULT_CSS = """
    TextBox { align: center middle; }
    TextBox > VerticalScroll {
        width: 90%; max-width: 120; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="text-box.close")]
    box_title: str | Content = ""  # ftdeck's own markup, or Content (widgets.markup) quoting outside text
    box_subtitle = "Esc close"
    text_id = "text-box-text"  # the Static holding the text

    def text(self):
        """What the box shows (markup or any Rich renderable)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.box_title
            scroll.border_subtitle = self.box_subtitle
            yield Static(self.text(), id=self.text_id)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrows and PgUp/PgDn scroll at once

    def action_close(self) -> None:
        self.dismiss(None)

"""Any resource as the service returned it: pretty JSON, scrollable, copyable."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.highlight import highlight
from textual.screen import ModalScreen
from textual.widgets import Static


class RawJsonScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RawJsonScreen { align: center middle; }
    RawJsonScreen > VerticalScroll {
        width: 90%; max-width: 120; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="raw-json.close"),
        Binding("c", "copy", "Copy JSON", id="raw-json.copy"),
    ]

    def __init__(self, title: str, data: dict) -> None:
        super().__init__()
        self.title = title
        self.text = json.dumps(data, indent=2, ensure_ascii=False, default=str)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.title
            scroll.border_subtitle = "c copy · Esc close"
            yield Static(highlight(self.text, language="json"), id="raw-json")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrows and PgUp/PgDn scroll at once

    def action_copy(self) -> None:
        # OSC 52: the terminal sets its clipboard, which also works over SSH (where supported).
        self.app.copy_to_clipboard(self.text)
        self.notify(f"Copied {self.title} as JSON ({len(self.text):,} characters).")

    def action_close(self) -> None:
        self.dismiss(None)

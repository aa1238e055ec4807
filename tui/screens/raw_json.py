"""Any resource as the service returned it: pretty JSON, scrollable, copyable."""

from __future__ import annotations

from textual.binding import Binding
from textual.highlight import highlight

from services.outside_text import inert_json
from tui.screens.text_box import TextBox
from widgets.markup import literal


class RawJsonScreen(TextBox):
    BINDINGS = [Binding("c", "copy", "Copy JSON", id="raw-json.copy")]
    box_subtitle = "c copy · Esc close"
    text_id = "raw-json"

    def __init__(self, title: str, data: dict) -> None:
        super().__init__()
        self.title = title
        self.box_title = literal(title)
        self.json = inert_json(data)  # controls in the service's strings escaped, as JSON allows

    def text(self):
        return highlight(self.json, language="json")

    def action_copy(self) -> None:
        # OSC 52: the terminal sets its clipboard, which also works over SSH (where supported).
        self.app.copy_to_clipboard(self.json)
        self.notify(f"Copied {self.title} as JSON ({len(self.json):,} characters).")

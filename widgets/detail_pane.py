"""The frame the detail panes share: a bordered, scrollable pane whose title names the row, with
the keys that act on it in the bottom border, where they stay in sight however short the pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static


class DetailPane(VerticalScroll):
    DEFAULT_CSS = """
    DetailPane { border: round $panel-lighten-2; height: 1fr; }
    DetailPane:focus-within, DetailPane:focus { border: round $accent; }
    DetailPane Static { padding: 0 1; }
    """
    KIND = ""  # "checkpoint", "deployment": the title and the placeholder
    HINT = ""

    def compose(self) -> ComposeResult:
        self.border_title = self.KIND.capitalize()
        self.border_subtitle = self.HINT
        yield Static("Select a " + self.KIND + " to see its details.", id=f"{self.KIND}-summary")

    def show_summary(self, title: Content, text: Content) -> None:
        """`title` and `text` from widgets.markup: outside text in them is shown as it is."""
        self.border_title = title
        self.query_one(f"#{self.KIND}-summary", Static).update(text)

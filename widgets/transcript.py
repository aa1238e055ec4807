"""The console's transcript: what ftdeck said, wrapped to the width it has."""

from __future__ import annotations

from collections import deque

from textual.widgets import RichLog


class Transcript(RichLog):
    """What ftdeck said. A RichLog wraps a line once, as it is written: when the transcript
    changes width (the API calls opened beside it), the lines are wrapped again; when it is made
    shorter (opened under it), the newest lines stay in sight."""

    KEPT = 1000  # lines wrapped again on a change of width; older ones are dropped

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=self.KEPT, **kwargs)
        self.entries: deque = deque(maxlen=self.KEPT)  # Text lines and Markdown answers
        self.wrapped_at: int | None = None

    @property
    def line_width(self) -> int:
        """Where lines wrap: the transcript's width, less its scrollbar's even before there is one
        (lines written before it appears are not cut by it)."""
        return max(1, self.size.width - self.styles.scrollbar_size_vertical)

    def add(self, line) -> None:
        self.entries.append(line)
        # Wrapped to the transcript, not to the terminal (RichLog's default) nor unknown yet.
        if self.size.width:
            self.wrapped_at = self.size.width  # a resize to another width wraps it again
        self.write(line, width=self.line_width if self.size.width else None)

    def on_resize(self, event) -> None:  # RichLog's own on_resize runs too (Textual calls each class's)
        width = event.size.width
        if self.entries and width != self.wrapped_at:  # written at another width, or before it had one
            self.call_after_refresh(self.wrap_again)  # once the new width is laid out
        self.wrapped_at = width
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def wrap_again(self) -> None:
        self.clear()
        for line in self.entries:
            self.write(line, width=self.line_width, scroll_end=False)
        self.scroll_end(animate=False, immediate=False, x_axis=False)

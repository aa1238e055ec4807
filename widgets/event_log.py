"""A job's event log: levels coloured, follows the tail unless the reader scrolled up, in which
case the border counts what arrived meanwhile."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from services.outside_text import inert
from services.wording import count
from services.timestamps import local_time

LEVEL_STYLES = {"info": "", "warning": "yellow", "error": "bold red"}


class EventLog(RichLog):
    DEFAULT_CSS = """
    EventLog { border: round $panel-lighten-2; height: 1fr; }
    EventLog:focus { border: round $accent; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, auto_scroll=False, **kwargs)
        self.border_title = "Events"
        self.unseen = 0
        # Follow until the reader scrolls up; a flag, not the scroll position, because new lines
        # can arrive before the last batch's scroll to the end has happened.
        self.following = True

    def add(self, events: list[dict]) -> None:
        follow = self.following
        for event in events:
            stamp = local_time(event.get("created_at"), "%H:%M:%S")
            line = Text(f"{stamp} ", style="dim")
            line.append(inert(event["message"]), style=LEVEL_STYLES.get(event["level"], ""))
            self.write(line, scroll_end=False)
        if follow and events:  # once per batch: a job's history can be thousands of lines
            # After the refresh: lines written before the log knows its width are laid out later,
            # and a scroll now would stop short of them (a long history opened mid-way).
            self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)
        self.unseen = 0 if follow else self.unseen + len(events)
        self.border_subtitle = count(self.unseen, "new event") + " ↓" if self.unseen else ""

    def clear(self) -> "EventLog":
        """Empty it for another job, which is followed from its newest event."""
        self.following, self.unseen, self.border_subtitle = True, 0, ""
        return super().clear()

    def on_show(self) -> None:
        """Coming into view starts at the tail: nothing was scrolled away from while hidden."""
        self.call_after_refresh(self.scroll_end, animate=False)
        self.following = True
        self.unseen = 0
        self.border_subtitle = ""

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new >= self.max_scroll_y - 1:  # at the end (or emptied for another job: at the top of nothing)
            self.following = True
            if self.unseen:  # the count goes; another note (the detail's "loading") stays
                self.unseen = 0
                self.border_subtitle = ""
        elif new < old:  # only the reader scrolls up
            self.following = False

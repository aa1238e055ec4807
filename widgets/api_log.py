"""The API-call log: one line per HTTP request ftdeck made, in a section collapsed by default.

Lines are rendered only while the section is open: calls arriving while it is closed wait in a
bounded backlog, so thousands of calls cost a deque append each, and opening renders at most
`max_lines` of them."""

from __future__ import annotations

import re
import time
from collections import deque
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.widgets import Collapsible, RichLog

from services.outside_text import inert

if TYPE_CHECKING:  # services.api_calls imports httpx: not before the first frame
    from services.api_calls import Call

# ARM paths repeat /subscriptions/{id}/resourceGroups/{g}/providers/.../accounts/{a}: keep what differs.
ARM_PREFIX = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/accounts/[^/]+")


def status_style(call: Call) -> str:
    if call.status is None or call.status >= 500:
        return "bold red"
    if call.status >= 400:
        return "yellow"
    return "green"


def call_line(call: Call) -> Text:
    """`12:03:04 200 · 38 ms  GET /openai/fine_tuning/jobs`, coloured by outcome: the status and
    latency first and apart, where a narrow log that cuts long paths still shows them."""
    line = Text(time.strftime("%H:%M:%S ", time.localtime(call.when)), style="dim")
    line.append(str(call.status) if call.status is not None else "no answer", style=status_style(call))
    ms = call.seconds * 1000
    line.append(f" · {ms:.0f} ms" if ms < 10_000 else f" · {call.seconds:.1f} s", style="dim")
    line.append(inert(f"  {call.method} {ARM_PREFIX.sub('…', call.path)}"))
    if call.attempt:
        line.append(f" (retry {call.attempt})", style="dim")
    if call.retry_after is not None and call.status in (429, 503):
        line.append(f" retry in {call.retry_after:g} s", style="yellow")
    if call.error:
        line.append(inert(f" {call.error}"), style="red")
    return line


class CallLines(RichLog):
    """The log's lines: made shorter or narrower (the console's layout changes as it opens), it
    keeps the newest call in sight."""

    def on_resize(self, event) -> None:  # RichLog's own on_resize runs too
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=False, x_axis=False)


class ApiLog(Collapsible):
    DEFAULT_CSS = """
    ApiLog { padding: 0; border: none; height: 1fr; }
    ApiLog.-collapsed { height: auto; }
    ApiLog Contents { padding: 0; height: 1fr; }
    ApiLog RichLog { height: 1fr; }
    """

    class Recorded(Message):
        """A call made on some other thread, on its way to `add`."""

        def __init__(self, call: Call) -> None:
            super().__init__()
            self.call = call

    def __init__(self, max_lines: int = 500, **kwargs) -> None:
        self.lines = CallLines(max_lines=max_lines, markup=False, wrap=False)
        super().__init__(self.lines, title="API calls", collapsed=True, **kwargs)
        self.count = 0
        self.backlog: deque[Call] = deque(maxlen=max_lines)

    def add(self, call: Call) -> None:
        """Show one call (on the UI thread; from any other, use `record`)."""
        self.count += 1
        if self.collapsed:
            self.backlog.append(call)
        else:
            self.lines.write(call_line(call))

    def record(self, call: Call) -> None:
        """Thread-safe `add`, fit to be a CallLog listener: posting a message never blocks the caller."""
        self.post_message(self.Recorded(call))

    def on_api_log_recorded(self, event: Recorded) -> None:
        event.stop()
        self.add(event.call)

    def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        while self.backlog:
            self.lines.write(call_line(self.backlog.popleft()))

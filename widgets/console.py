"""The chat-style console: a transcript where ftdeck reports what happens, and a command line that
takes `/` commands and questions in plain words (the assistant's).

The widget only displays and collects: it posts `Console.Command` for each `/` line and
`Console.Question` for any other, and the app answers with `say()`, or streams the assistant's
answer with `stream()` and ends it with `answered()` (Markdown, its links shown, never followed)."""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, RichLog, Static

from services.outside_text import inert

if TYPE_CHECKING:
    from rich.markdown import Markdown

STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red", "you": "bold cyan", "tool": "magenta",
          "stats": "dim"}


def answer_markdown(text: str) -> Markdown:
    """The assistant's words as Markdown: controls removed, links shown as text (no OSC 8 link to open)."""
    from rich.markdown import Markdown  # markdown-it's import is for the first answer, not the first frame

    return Markdown(inert(text), hyperlinks=False)


class CommandLine(Input):
    """The `/` command line: Tab takes the grey completion (`/th` becomes `/theme `); with none
    to take, Tab moves focus on as anywhere else."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "complete":
            return len(self._suggestion) > len(self.value)
        return True

    def action_complete(self) -> None:
        self.value = self._suggestion + " "
        self.cursor_position = len(self.value)


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
        self.write(line, width=self.line_width if self.size.width else None)

    def on_resize(self, event) -> None:  # RichLog's own on_resize runs too (Textual calls each class's)
        width = event.size.width
        if self.wrapped_at is not None and width != self.wrapped_at:
            self.call_after_refresh(self.wrap_again)  # once the new width is laid out
        self.wrapped_at = width
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def wrap_again(self) -> None:
        self.clear()
        for line in self.entries:
            self.write(line, width=self.line_width, scroll_end=False)
        self.scroll_end(animate=False, immediate=False, x_axis=False)


class Console(Vertical):
    DEFAULT_CSS = """
    Console { height: 10; border: round $panel-lighten-2; }
    Console:focus-within { border: round $accent; }
    Console #console-body { height: 1fr; }
    Console #transcript { height: 1fr; width: 1fr; }
    Console #command { dock: bottom; border: none; height: 1; padding: 0 1; background: $boost; }
    Console #answer { height: auto; max-height: 50%; padding: 0 1; display: none; }
    Console #answer.-on { display: block; }
    """

    class Command(Message):
        def __init__(self, name: str, args: list[str]) -> None:
            super().__init__()
            self.name, self.args = name, args

    class Question(Message):
        """A line that is not a `/` command: a question for the assistant."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, commands: list[str], clock=time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands = commands
        self.clock = clock  # the app's clock: what the user typed is stamped like what ftdeck said
        self.said: list[str] = []  # every message, unwrapped (the transcript holds wrapped lines)

    def compose(self) -> ComposeResult:
        self.border_title = "Console"
        # The transcript, and whatever the app shows beside or under it (the API calls): the
        # command line is docked below them, in sight however little room they leave.
        with Container(id="console-body"):
            yield Transcript(wrap=True, markup=False, id="transcript")
        yield Static(id="answer")  # the assistant's answer while it streams
        command = CommandLine(placeholder="/help for commands", suggester=SuggestFromList(self.commands, case_sensitive=False), id="command")
        command.cursor_blink = False  # no animation: calm over SSH, and the same screen every time
        yield command

    def say(self, message: str, kind: str = "info", when: float | None = None) -> None:
        """Add a line to the transcript; it is shown as it is, whatever outside text it quotes."""
        message = inert(message)
        self.said.append(message)
        line = Text(time.strftime("%H:%M:%S ", time.localtime(when if when is not None else self.clock())), style="dim")
        line.append(message, style=STYLES.get(kind, ""))
        self.query_one("#transcript", Transcript).add(line)

    def stream(self, text: str) -> None:
        """The assistant's answer so far, rendered as Markdown under the transcript."""
        live = self.query_one("#answer", Static)
        live.update(answer_markdown(text))
        live.add_class("-on")

    def answered(self, text: str, when: float | None = None) -> None:
        """The whole answer goes into the transcript, as Markdown."""
        live = self.query_one("#answer", Static)
        live.remove_class("-on")
        live.update("")
        if not text.strip():
            return
        self.said.append(inert(text))
        log = self.query_one("#transcript", Transcript)
        log.add(Text(time.strftime("%H:%M:%S ", time.localtime(when if when is not None else self.clock())) + "assistant", style="dim"))
        log.add(answer_markdown(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        self.say(text, "you")
        if not text.startswith("/"):
            self.post_message(self.Question(text))
            return
        name, *args = text[1:].split()
        self.post_message(self.Command(name.lower(), args))

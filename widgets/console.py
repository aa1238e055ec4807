"""The chat-style console: a transcript where ftdeck reports what happens, and a command line that
takes `/` commands and questions in plain words (the assistant's).

The widget only displays and collects: it posts `Console.Command` for each `/` line and
`Console.Question` for any other, and the app answers with `say()`, or streams the assistant's
answer with `stream()` and ends it with `answered()` (Markdown, its links shown, never followed)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

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
        self.waiting: list | None = []  # lines said before the transcript is mounted (add_transcript)

    def compose(self) -> ComposeResult:
        self.border_title = "Console"
        # The transcript, and whatever the app shows beside or under it (the API calls): the
        # command line is docked below them, in sight however little room they leave.
        yield Container(id="console-body")  # the transcript comes with add_transcript
        yield Static(id="answer")  # the assistant's answer while it streams
        command = CommandLine(placeholder="/help for commands", suggester=SuggestFromList(self.commands, case_sensitive=False), id="command")
        command.cursor_blink = False  # no animation: calm over SSH, and the same screen every time
        yield command

    async def add_transcript(self) -> None:
        """Mount the transcript and write what was said so far. Not in the first frame, which has
        nothing to say yet: RichLog's import (rich.pretty, attrs) is a tenth of that frame."""
        from widgets.transcript import Transcript

        transcript = Transcript(wrap=True, markup=False, id="transcript")
        await self.query_one("#console-body").mount(transcript, before=0)
        for line in self.waiting or []:
            transcript.add(line)  # wrapped again once it has its width
        self.waiting = None

    def add(self, line) -> None:
        if self.waiting is not None:
            self.waiting.append(line)
        else:
            self.query_one("#transcript").add(line)

    def stamp(self, when: float | None) -> str:
        """The time a line is shown with: `when`, else the app's clock now."""
        return time.strftime("%H:%M:%S ", time.localtime(when if when is not None else self.clock()))

    def say(self, message: str, kind: str = "info", when: float | None = None) -> None:
        """Add a line to the transcript; it is shown as it is, whatever outside text it quotes."""
        message = inert(message)
        self.said.append(message)
        line = Text(self.stamp(when), style="dim")
        line.append(message, style=STYLES.get(kind, ""))
        self.add(line)

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
        self.add(Text(self.stamp(when) + "assistant", style="dim"))
        self.add(answer_markdown(text))

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

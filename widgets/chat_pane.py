"""One side of a playground conversation: prompts, replies streamed as Markdown token by token, and
a stats line under each reply. Follows the bottom while a reply streams unless the reader scrolled
up (Textual's anchor); a reply that Markdown cannot render is shown as plain text. Replies are the
model's: never a control character on screen, never a link that opens anything."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from services.outside_text import inert

if TYPE_CHECKING:
    from services.chat import Reply


# A line that Markdown turns into a block with no text: a bare list marker (`100.`, `-`, `1)`), a
# bare heading marker (`#`), an empty quote (`>`) or a thematic break (`---`, `***`). A reply made
# of one would vanish from the screen, so its first mark is escaped and shown as typed.
EMPTY_BLOCK = re.compile(r"^([ \t]{0,3})(\d{1,9}[.)]|[-*+#>]|#{2,6}|([-*_])(?:[ \t]*\3){2,})[ \t]*$", re.M)


def shown_as_typed(text: str) -> str:
    """The reply's text as Markdown source in which no line is a block with nothing to show."""
    def escape(match: re.Match[str]) -> str:
        indent, mark = match.group(1), match.group(2)
        at = next(i for i, c in enumerate(mark) if not c.isdigit())  # escape the punctuation itself
        return f"{indent}{mark[:at]}\\{mark[at:]}"

    return EMPTY_BLOCK.sub(escape, inert(text))


def reply_markdown(text: str) -> Markdown:
    """A model's reply as Markdown: its controls removed, no line that would vanish, and its links
    shown but not followed (a click on one must not open whatever the model wrote)."""
    return Markdown(shown_as_typed(text), open_links=False)


class ChatPane(VerticalScroll):
    DEFAULT_CSS = """
    ChatPane { border: round $panel-lighten-2; height: 1fr; padding: 0 1; }
    ChatPane:focus { border: round $accent; }
    ChatPane .prompt { color: $text-primary; text-style: bold; margin-top: 1; }
    ChatPane .prompt:first-child { margin-top: 0; }
    ChatPane Markdown { margin: 0; padding: 0; background: transparent; }
    ChatPane Markdown > *:last-child { margin-bottom: 0; }
    ChatPane .stats { color: $text-muted; }
    ChatPane .-error { color: $text-error; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._reply: Markdown | Static | None = None  # the last turn's reply and stats lines
        self._stats: Static | None = None
        self._stream: MarkdownStream | None = None

    @property
    def text(self) -> str:
        """Everything shown, as plain text (for tests and debugging)."""
        parts = []
        for child in self.children:
            parts.append(child.source if isinstance(child, Markdown) else str(child.render()))
        return "\n".join(parts)

    async def show(self, turns: list[tuple[str, Reply | None]]) -> None:
        """Redraw the whole transcript: (prompt, reply or None) per turn."""
        await self._stop()
        await self.remove_children()
        self._reply = self._stats = None
        widgets: list[Static | Markdown] = []
        for prompt, reply in turns:
            self._reply, self._stats = reply_markdown(reply.text if reply else ""), self._stats_line(reply)
            widgets += [Static(Text(inert(prompt)), classes="prompt"), self._reply, self._stats]
        await self.mount_all(widgets)
        self.scroll_end(animate=False, immediate=True)

    async def begin(self, prompt: str | None) -> None:
        """Start streaming a reply: to a new prompt, or (None) in place of the last reply."""
        await self._stop()
        if prompt is None and self._reply is not None and self._stats is not None:
            await self._reply.remove()
            await self._stats.remove()
        widgets: list[Static | Markdown] = [Static(Text(inert(prompt)), classes="prompt")] if prompt is not None else []
        self._reply, self._stats = reply_markdown(""), Static("…", classes="stats")
        await self.mount_all([*widgets, self._reply, self._stats])
        self.anchor()
        self._stream = Markdown.get_stream(self._reply)

    async def write(self, delta: str) -> None:
        if self._stream is not None:
            await self._stream.write(inert(delta))

    async def end(self, reply: Reply) -> None:
        """The reply is complete: render it once more in full (a stream can leave code fences
        half-parsed), falling back to plain text, and show its stats."""
        await self._stop()
        if isinstance(self._reply, Markdown):
            try:
                await self._reply.update(shown_as_typed(reply.text))
            except Exception:  # noqa: BLE001 - any Markdown failure: plain text beats no text
                plain = Static(Text(inert(reply.text)))
                await self.mount(plain, before=self._reply)
                await self._reply.remove()
                self._reply = plain
        if self._stats is not None:
            self._stats.update(self._stats_text(reply))
            self._stats.set_class(bool(reply.error), "-error")

    def note(self, message: str, error: bool = True) -> None:
        """A line at the bottom, e.g. why the last request failed."""
        self.mount(Static(Text(inert(message)), classes="stats -error" if error else "stats"))
        self.scroll_end(animate=False)

    async def _stop(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                await stream.stop()
            except Exception:  # noqa: BLE001 - the full text is rendered (or shown plain) by end()
                pass

    def _stats_line(self, reply: Reply | None) -> Static:
        line = Static(self._stats_text(reply) if reply else "no answer on this side", classes="stats")
        line.set_class(bool(reply and reply.error), "-error")
        return line

    @staticmethod
    def _stats_text(reply: Reply) -> Text:
        return Text(inert(reply.describe()))

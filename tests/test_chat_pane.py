"""A reply is shown with its text, whatever Markdown would make of it (issue 16 §2.3: a reply
`100.` is an ordered list item with nothing in it, and vanished)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from services.chat import Reply
from widgets.chat_pane import ChatPane

VANISHING = ["100.", "-", "1)", "#", "##", ">", "+", "---", "* * *", "   7."]


class OnePane(App):
    def compose(self) -> ComposeResult:
        yield ChatPane()


def screen_lines(app: App) -> list[str]:
    return ["".join(segment.text for segment in strip).strip(" │╭╮╰╯─▂▁▔") for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("reply", VANISHING)
async def test_a_streamed_reply_markdown_would_empty_is_shown_as_typed(reply):
    app = OnePane()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(ChatPane)
        await pane.begin("Say it")
        await pane.write(reply)
        await pane.end(Reply(text=reply))
        await pilot.pause()
        assert reply.strip() in screen_lines(app)


async def test_a_transcript_shows_each_reply_and_keeps_markdown_elsewhere():
    app = OnePane()
    async with app.run_test(size=(60, 24)) as pilot:
        await app.query_one(ChatPane).show([("Count", Reply(text="100.")), ("List", Reply(text="Two:\n\n- a\n- **b**"))])
        await pilot.pause()
        lines = screen_lines(app)
        assert "100." in lines
        assert "• a" in lines and "• b" in lines  # still Markdown: bullets, bold without its stars

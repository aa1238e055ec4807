"""The console on small terminals (issue 16, stumble 6): several lines of reports and the command
line stay in sight, with the API calls open too, and reports that arrive meanwhile are seen."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until
from tui.app import make_app
from widgets.console import Console


def screen_text(app) -> str:
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
async def test_the_console_shows_reports_and_its_command_line_with_the_api_calls_open(configured, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None and app.query_one_optional("#api-log") is not None)
        console = app.query_one(Console)
        transcript, command = app.query_one("#transcript"), app.query_one("#command")

        def in_sight(widget) -> bool:
            return widget.region.height >= 1 and console.content_region.contains_region(widget.region) \
                and app.screen.region.contains_region(widget.region)

        await pilot.pause()
        assert transcript.region.height >= 5 and in_sight(transcript) and in_sight(command)

        await pilot.press("colon", *"/calls", "enter")
        await wait_until(pilot, lambda: app.screen.has_class("-calls"))
        await wait_until(pilot, lambda: app.api_log.lines.lines)
        await pilot.pause()
        assert in_sight(command), "the command line is pushed off the console"
        assert transcript.region.height >= 4 and in_sight(transcript), "the reports are hidden by the calls"
        assert app.api_log.lines.region.height >= 4 and in_sight(app.api_log.lines)

        # A report arriving while the calls are open: seen at once, whole (wrapped to the transcript).
        for n in range(8):
            app.say(f"report {n}: ftjob-0123456789abcdef0123456789abcdef is running")
        await pilot.pause(0.2)
        assert "report 7:" in screen_text(app) and transcript.scroll_y == transcript.max_scroll_y
        assert in_sight(command)
        await pilot.press(*"/help", "enter")  # still typed into, with the calls open
        await pilot.pause()
        assert any("/deploy" in line for line in console.said)

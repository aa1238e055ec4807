"""The panes as a person scans them (issue 16 §2.12): what people look for in the columns, every
pane showing rows at common sizes, End on the last row, results files told apart, and the
checkpoints' valid loss being the valid loss. The real app on a frozen demo workspace."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wait_until
from tui.app import FtdeckApp, make_app

FROZEN_AT = 1_767_225_600.0
PANE_KEYS = {"jobs": "1", "checkpoints": "2", "files": "3", "deployments": "4"}


@pytest.fixture
def demo(monkeypatch, tmp_path):
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "FTDECK_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("FTDECK_EMULATOR_FROZEN_AT", str(FROZEN_AT))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def rows_drawn(app, pane: str) -> int:
    """How many of the pane's rows are on screen (its height less border and header)."""
    table = app.query_one(f"#{pane}")
    if not table.display or table.region.height == 0:
        return 0
    return min(table.row_count, table.scrollable_content_region.height - 1)


async def loaded(pilot) -> FtdeckApp:
    app = pilot.app
    await wait_until(pilot, lambda: app.workspace is not None and app.query_one("#deployments").row_count >= 2
                     and app.query_one("#files").row_count >= 4 and app.details_ready, timeout=60)
    return app


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (160, 50)])
async def test_every_pane_shows_its_rows_at_common_sizes(demo, size):
    async with make_app().run_test(size=size) as pilot:
        app = await loaded(pilot)
        for pane, key in PANE_KEYS.items():
            if pane == "checkpoints":
                continue  # the live job has none yet on a frozen clock
            await pilot.press(key)
            await pilot.pause()
            assert rows_drawn(app, pane) >= 2, f"{pane} at {size} shows {rows_drawn(app, pane)} rows"


async def test_default_columns_fit_without_scrolling_at_120x40(demo):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await loaded(pilot)
        for pane in PANE_KEYS:
            table = app.query_one(f"#{pane}")
            assert table.virtual_size.width <= table.scrollable_content_region.width, pane
        assert list(app.query_one("#jobs").column_names) == ["status", "name", "base model", "created"]
        jobs = app.query_one("#jobs")
        assert {jobs.get_row_at(i)[1].plain for i in range(jobs.row_count)} == {"pirate", "haiku"}  # the suffixes


async def test_end_and_home_go_to_the_last_and_first_row(demo):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await loaded(pilot)
        await pilot.press("3")
        files = app.query_one("#files")
        await pilot.press("end")
        assert files.cursor_row == files.row_count - 1
        await pilot.press("home")
        assert files.cursor_row == 0


async def test_results_files_say_whose_and_checkpoints_show_the_valid_loss(demo):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await loaded(pilot)
        app.workspace.emulator.emulator.advance_clock(600)  # the live job finishes: a second results.csv
        files = app.query_one("#files")
        await wait_until(pilot, lambda: sum("results.csv" in files.get_row_at(i)[0].plain for i in range(files.row_count)) == 2, timeout=60)
        names = {files.get_row_at(i)[0].plain for i in range(files.row_count)}
        assert {"results.csv · pirate", "results.csv · haiku"} <= names

        pirate = next(j for j in app.jobs.values() if j.get("suffix") == "pirate")  # trained with a validation file
        jobs = app.query_one("#jobs")
        jobs.focus()
        jobs.move_cursor(row=[k.value for k in jobs.rows].index(pirate["id"]))
        checkpoints = app.query_one("#checkpoints")
        listed = app.workspace.openai().fine_tuning.jobs.checkpoints.list(pirate["id"]).data

        def shown() -> dict[str, str]:
            return {checkpoints.get_row_at(i)[0].plain: checkpoints.get_row_at(i)[2].plain for i in range(checkpoints.row_count)}

        await wait_until(pilot, lambda: set(shown()) == {str(c.step_number) for c in listed})
        assert shown() == {str(c.step_number): f"{c.metrics.valid_loss:.4f}" for c in listed}


async def test_switching_jobs_and_back_follows_the_newest_event(demo):
    """Issue 16 §2.1: after the succeeded job and back, the tail stayed at "Job enqueued" with
    `245 new events ↓`, counting the other job's events: clearing the log read as scrolling up."""
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await loaded(pilot)
        app.workspace.emulator.emulator.advance_clock(100)  # the live job trains a while
        jobs = app.query_one("#jobs")
        live = next(j["id"] for j in app.jobs.values() if j.get("suffix") == "haiku")
        done = next(j["id"] for j in app.jobs.values() if j.get("suffix") == "pirate")
        events = app.query_one("#events")
        for job_id in (live, done, live):
            jobs.focus()
            jobs.move_cursor(row=[k.value for k in jobs.rows].index(job_id))
            await wait_until(pilot, lambda: app.tail is not None and app.tail.job_id == job_id and len(app.tail.events) > 3
                             and app.tail.events[-1]["message"].split(":")[0] in "".join(s.text for s in events.lines[-3:]), timeout=30)
            await wait_until(pilot, lambda: events.scroll_y >= events.max_scroll_y - 1)  # the newest event in view
            assert events.following and events.border_subtitle == "", (job_id, events.border_subtitle)


async def test_the_events_typed_for_from_another_pane_stay_through_refreshes(demo):
    """`3` then `5` typed at once: the followed job's events have focus, and the next refresh,
    which redraws the current pane's detail, leaves them there (the events are the jobs pane's)."""
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await loaded(pilot)
        events = app.query_one("#events")
        await pilot.press("3", "5")
        await wait_until(pilot, lambda: app.focused is events)
        refreshed = app.last_refresh
        app.action_refresh()
        await wait_until(pilot, lambda: app.last_refresh != refreshed)
        await pilot.pause(0.2)
        assert app.current_pane == "jobs" and app.query_one("#detail").current == "jobs-detail"
        assert app.focused is events and events.region.height > 2

"""Snapshot tests: the real app on the built-in emulator's demo workspace, with the emulator's clock
frozen and its ids seeded so every run draws the same screen. Update after a deliberate change
with `pytest tests/test_tui_snapshots.py --snapshot-update` and look at the report."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tui.app import FtdeckApp, make_app

FROZEN_AT = 1_767_225_600.0  # 2026-01-01 00:00 UTC


SNAPSHOT_DATA = Path(tempfile.gettempdir()) / "ftdeck-snapshot-data"  # a fixed path: the playground shows it
TRAINED_STEPS = 60  # into the live job's second epoch


def demo_environment(monkeypatch, data: Path, config: Path) -> None:
    """The demo workspace in `data` on a frozen, seeded emulator, shown in UTC."""
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "FTDECK_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("FTDECK_EMULATOR_FROZEN_AT", str(FROZEN_AT))
    monkeypatch.setenv("FTDECK_EMULATOR_SEED", "7")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def train_demo(data: Path, steps: int = TRAINED_STEPS) -> None:
    """Open the demo in `data` (set up by demo_environment) and let its live job train `steps` steps
    on the frozen clock; quit once the emulator has made them all. Its clock is stored with its
    data, so an app opened later on a copy stands at the same time and draws the same screen."""

    async def run() -> None:
        app = demo_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.workspace is not None and app.jobs, timeout=180)
            emulator = app.workspace.emulator.emulator
            job = app.query_one("#jobs").selected_id
            client = app.workspace.openai()
            emulator.advance_clock(4)  # validation (emulator.jobs.VALIDATION_SECONDS): the job starts
            await wait_until(pilot, lambda: client.fine_tuning.jobs.retrieve(job).status == "running")
            emulator.advance_clock(steps * 1.5)  # then the steps (STEP_SECONDS), on the job's schedule
            counts = [-1]
            while True:  # the runner catches up on the advanced clock; then, frozen, nothing more comes
                await pilot.pause(0.5)
                counts.append(len(client.fine_tuning.jobs.list_events(job, limit=1000).data))
                if counts[-1] == counts[-2] and counts[-1] >= 2 + steps // 10:  # a step event every 10 steps
                    break

    shutil.rmtree(data, ignore_errors=True)
    asyncio.run(run())


def copy_demo(trained: Path, data: Path) -> None:
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(trained, data, ignore=shutil.ignore_patterns("owner.*"))  # no process owns the copy yet


@pytest.fixture(scope="session")
def trained_demo(tmp_path_factory) -> Path:
    """The demo trained once per session (the slow part), kept aside for each test to copy."""
    kept = tmp_path_factory.mktemp("trained-demo") / "data"  # not the fixed path: trained out of others' way
    with pytest.MonkeyPatch.context() as monkeypatch:
        demo_environment(monkeypatch, kept, tmp_path_factory.mktemp("config") / "none.toml")
        train_demo(kept)
    time.tzset()
    return kept


@pytest.fixture
def demo(monkeypatch, tmp_path, trained_demo):
    """A copy of the trained demo workspace on a frozen, seeded emulator, shown in UTC."""
    copy_demo(trained_demo, SNAPSHOT_DATA)
    demo_environment(monkeypatch, SNAPSHOT_DATA, tmp_path / "none.toml")
    yield
    monkeypatch.undo()
    time.tzset()


def demo_app() -> FtdeckApp:
    app = make_app()
    app.now = lambda: FROZEN_AT + 60  # the header's "last refresh" and the console's times
    return app


async def trained(pilot) -> None:
    """Open on the trained demo: wait until the live job and its whole event tail are shown, then
    hold the screen still."""
    app = pilot.app
    # The first load on a loaded machine (-n 4 on two CPUs) can take more than half a minute: wait
    # for it, with a ceiling far above any real start.
    await wait_until(pilot, lambda: app.workspace is not None and app.jobs, timeout=180)
    job = app.query_one("#jobs").selected_id
    count = len(app.workspace.openai().fine_tuning.jobs.list_events(job, limit=1000).data)
    assert count >= 2 + TRAINED_STEPS // 10, "the demo was not trained"  # a step event every 10 steps (emulator.jobs)
    await wait_until(pilot, lambda: app.tail is not None and app.tail.job_id == job and len(app.tail.events) == count)
    await pilot.press("p")  # pause the refresh: the frozen clock makes every later refresh the same anyway
    app.action_refresh()
    await pilot.pause(0.8)  # charts redraw at most twice a second


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_main_screen_with_a_training_job(demo, snap_compare, size):
    assert snap_compare(demo_app(), terminal_size=size, run_before=trained)


def test_job_detail_on_a_narrow_terminal(demo, snap_compare):
    async def detail(pilot):
        await trained(pilot)
        await pilot.press("enter")
        await pilot.pause(0.8)

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=detail)


async def test_the_job_chart_fits_its_tab_on_a_narrow_terminal(demo):
    """Drawn taller than its tab leaves room for, the chart was cut off at the bottom, where the
    latest (lowest) losses are."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await trained(pilot)
        await pilot.press("enter")
        await pilot.pause(0.8)
        chart, tab = app.query_one("#loss-chart"), app.query_one("#jobs-detail TabbedContent")
        assert chart.region.bottom <= tab.region.bottom and chart.region.height >= 6
        assert app.query_one("#events").region.bottom <= app.query_one("#jobs-detail").region.bottom


def test_console_help_and_api_calls(demo, snap_compare):
    async def console(pilot):
        await trained(pilot)
        await pilot.press("colon", *"/help", "enter")
        await pilot.press(*"/calls", "enter")  # the API calls ftdeck made, under the help
        await wait_until(pilot, lambda: pilot.app.screen.has_class("-calls"))
        await pilot.pause(0.3)
        # Which calls the refreshes made, when and how fast, varies: show each kind once, at the
        # frozen time, taking a millisecond, so the panel is drawn the same every run.
        log = pilot.app.api_log
        calls = {(c.method, c.path, c.status): c for c in pilot.app.workspace.calls.recent()}
        log.lines.clear()
        for key in sorted(calls):
            log.add(dataclasses.replace(calls[key], when=FROZEN_AT + 60, seconds=0.001))
        await pilot.pause(0.3)

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=console)


def test_playground_opens_a_fine_tuned_deployment_against_its_base_with_the_training_system_message(demo, snap_compare):
    async def playground(pilot):
        await trained(pilot)
        await pilot.press("4", "g")  # the demo's pirate-support, against gpt-4o-mini
        screen = pilot.app.screen
        await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))
        await pilot.pause(0.5)

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=playground)


def test_playground_warns_when_the_system_message_differs_from_training(demo, snap_compare):
    async def edited(pilot):
        await trained(pilot)
        await pilot.press("4", "g")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))
        system = screen.query_one("#system-0")
        system.focus()
        system.move_cursor(system.document.end)  # typed at the end of the training system message
        await pilot.press(*" Be brief.")
        assert system.text.endswith(" Be brief.")
        await pilot.pause(0.5)

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=edited)

"""The job detail as people use it (issue 16): at 80x24 a job's chart keeps a small height and its
events stay in sight (stumble 2); under a slow service, selecting another job never leaves the
previous job's body under the new job's title (stumble 18)."""

from __future__ import annotations

import pytest

from tests.conftest import EmulatorProcess, chat_examples, upload, wait_for_job, wait_until
from tui.app import make_app
from widgets.event_log import EventLog
from widgets.resource_table import ResourceTable

BASE = "gpt-4o-mini-2024-07-18"


def text_of(widget) -> str:
    return str(widget.render())


@pytest.fixture(scope="module")
def two_finished_jobs(emulator):
    client = emulator.openai()
    data = upload(client, chat_examples(10)).id
    jobs = [client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=seed).id for seed in (1, 2)]
    return [wait_for_job(client, job) for job in jobs]


@pytest.mark.parametrize("key", ["enter", "5"])
async def test_at_80x24_a_job_shows_a_small_chart_and_its_events(configured, two_finished_jobs, key):
    job = two_finished_jobs[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#jobs", ResourceTable)
        await wait_until(pilot, lambda: job.id in table.rows_by_id and app.details_ready)
        table.move_cursor(row=[k.value for k in table.rows].index(job.id))
        events = app.query_one(EventLog)
        await wait_until(pilot, lambda: app.followed_job == job.id and app.metrics)  # polled (the detail is hidden)
        await pilot.press(key)
        await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in events.lines))
        await pilot.pause(0.5)
        detail, chart = app.query_one("#jobs-detail"), app.query_one("#loss-chart")
        assert app.screen.has_class("-detail") and detail.region.height > 0
        tab = app.query_one("#jobs-detail TabbedContent")
        assert 6 <= chart.region.height <= detail.region.height // 2, "the chart fills the view"
        assert chart.region.bottom <= tab.region.bottom, "the chart is cut off (no x axis)"
        # The Events box: inside the detail, on screen, with lines to read.
        assert events.region.height >= 4 and detail.region.contains_region(events.region)
        assert app.screen.region.contains_region(events.region)


async def test_under_a_slow_service_a_newly_selected_job_never_shows_the_previous_ones_body(
        configured, fresh_emulator, monkeypatch):
    calm = fresh_emulator()
    client = calm.openai()
    data = upload(client, chat_examples(10)).id
    first, second = (client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=seed).id for seed in (1, 2))
    wait_for_job(client, first), wait_for_job(client, second)
    calm.stop()
    with EmulatorProcess(calm.data_dir, "--faults", "slow=1") as slow:  # every request waits 3 s
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", slow.url)
        monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", slow.url)
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one("#jobs", ResourceTable)
            await wait_until(pilot, lambda: {first, second} <= set(table.rows_by_id), timeout=60)
            detail, summary, events = app.query_one("#jobs-detail"), app.query_one("#job-summary"), app.query_one(EventLog)
            shown, other = table.selected_id, ({first, second} - {table.selected_id}).pop()
            await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in events.lines), timeout=60)
            assert shown in text_of(summary)

            table.move_cursor(row=[k.value for k in table.rows].index(other))
            await pilot.pause()
            # The service takes 3 s to answer anything: what shows now is what ftdeck already had.
            assert other in str(detail.border_title)
            assert other in text_of(summary) and shown not in text_of(summary), "the previous job's body"
            assert "loading" in text_of(summary) and not events.lines and "loading" in str(events.border_subtitle)

            await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in events.lines), timeout=60)
            assert other in text_of(summary) and "loading" not in text_of(summary)
            assert "loading" not in str(events.border_subtitle)

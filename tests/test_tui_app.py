"""The TUI on a real emulator: panes fill, the selected job is followed live, actions ask first."""

from __future__ import annotations

import pytest

from tests.conftest import chat_examples, upload, wait_for_job, wait_until, workers_done
from tui.app import make_app
from tui.screens.confirm import Confirm
from widgets.event_log import EventLog
from widgets.resource_table import ResourceTable

BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture(scope="module")
def finished_job(emulator):
    """Trained once for the module's tests, which only read it."""
    client = emulator.openai()
    data = upload(client, chat_examples(10)).id
    return wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=2).id)


@pytest.fixture
def long_job(configured):
    """A job that trains long enough to be acted on (5,000 steps: over a minute at speed 100)."""
    data = upload(configured, chat_examples(100)).id
    return configured.fine_tuning.jobs.create(model=BASE, training_file=data, hyperparameters={"n_epochs": 50})


def calls(app, method: str, path_end: str) -> list:
    """The API calls ftdeck made: what it sent, not what the service shows later."""
    return [c for c in app.workspace.calls.recent() if c.method == method and c.path.endswith(path_end)]


def ids(table: ResourceTable) -> set[str]:
    return {key.value for key in table.rows}


async def test_panes_fill_and_the_selected_job_is_followed(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = app.query_one("#jobs", ResourceTable)
        await wait_until(pilot, lambda: finished_job.id in ids(jobs))
        assert "env" in str(app.query_one("#status").render()) and "api 2024-10-21" in str(app.query_one("#status").render())
        jobs.focus()
        jobs.move_cursor(row=[k.value for k in jobs.rows].index(finished_job.id))
        await wait_until(pilot, lambda: app.followed_job == finished_job.id and app.jobs.get(finished_job.id))
        events = app.query_one(EventLog)
        await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in events.lines))
        checkpoints = app.query_one("#checkpoints", ResourceTable)
        await wait_until(pilot, lambda: checkpoints.row_count == 3)
        summary = str(app.query_one("#job-summary").render())
        assert "succeeded" in summary and finished_job.fine_tuned_model in summary
        steps, _ = app.query_one("#loss-chart").series["train_loss"]
        assert steps[-1] == 30

        await pilot.press("3")
        assert app.focused is app.query_one("#files", ResourceTable)


async def test_filter_narrows_the_focused_pane_and_esc_clears_it(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        files = app.query_one("#files", ResourceTable)
        await wait_until(pilot, lambda: files.row_count >= 2)
        await pilot.press("3", "slash")
        await pilot.press(*"results")
        assert files.row_count >= 1 and all("results" in str(files.get_row(k)[0]) for k in files.rows)
        await pilot.press("escape")
        assert files.row_count == len(files.rows_by_id) and app.focused is files


async def test_cancel_asks_first_and_read_only_refuses(configured, long_job):
    client, job = configured, long_job
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = app.query_one("#jobs", ResourceTable)
        await wait_until(pilot, lambda: job.id in ids(jobs))
        jobs.move_cursor(row=[k.value for k in jobs.rows].index(job.id))
        await wait_until(pilot, lambda: app.jobs.get(job.id))
        await pilot.press("c")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert not isinstance(app.screen, Confirm)
        await workers_done(pilot, group="job")  # what the no started, if anything, has run
        assert not calls(app, "POST", f"{job.id}/cancel")
        await pilot.press("c")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_until(pilot, lambda: client.fine_tuning.jobs.retrieve(job.id).status == "cancelled")
        await wait_until(pilot, lambda: app.jobs[job.id]["status"] == "cancelled")

    read_only = make_app(read_only=True)
    async with read_only.run_test(size=(120, 40)) as pilot:
        jobs = read_only.query_one("#jobs", ResourceTable)
        await wait_until(pilot, lambda: job.id in ids(jobs))
        jobs.move_cursor(row=[k.value for k in jobs.rows].index(job.id))
        await wait_until(pilot, lambda: read_only.selected() and read_only.selected()[1] == job.id)
        assert "READ-ONLY" in str(read_only.query_one("#status").render())
        await pilot.press("x")  # the finished job could be deleted, were the profile writable
        assert not isinstance(read_only.screen, Confirm)
        assert not calls(read_only, "DELETE", job.id)


async def test_narrow_terminal_shows_detail_on_demand(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#jobs", ResourceTable).row_count > 0)
        detail = app.query_one("#detail")
        assert not detail.display or detail.size.width == 0
        assert app.query_one("#pane-tabs").display
        await pilot.press("enter")
        await pilot.pause()
        assert detail.size.width > 60
        await pilot.press("escape")
        await pilot.pause()
        assert not detail.display or detail.size.width == 0
        await pilot.press("3")
        await pilot.pause()
        assert app.query_one("#files").size.width > 60 and app.query_one("#jobs").size.width == 0


async def test_a_wide_terminal_made_narrow_gets_the_pane_tabs(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#jobs", ResourceTable).row_count > 0)
        await pilot.press("3")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        tabs = app.query_one("#pane-tabs")
        assert tabs.display and tabs.region.y == 1 and tabs.active == "tab-files"
        assert app.query_one("#files").size.width > 60 and app.query_one("#jobs").size.width == 0


async def test_with_only_the_data_plane_jobs_and_files_show_and_the_console_says_why_no_deployments(configured, monkeypatch):
    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZURE_OPENAI_ACCOUNT"):
        monkeypatch.delenv(name)
    file = upload(configured, chat_examples(10))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: file.id in app.query_one("#files", ResourceTable).rows_by_id)
        first = app.last_refresh
        await wait_until(pilot, lambda: app.last_refresh != first)  # a second refresh, listed
        assert app.offline is None and "OFFLINE" not in str(app.query_one("#status").render())
        assert app.query_one("#deployments", ResourceTable).row_count == 0
        assert any("deployments need the management plane" in line for line in app.query_one("#console").said)


async def test_with_the_api_calls_open_every_pane_still_shows_rows(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#files", ResourceTable).row_count >= 2)
        await pilot.press("colon", *"/calls", "enter")
        await wait_until(pilot, lambda: app.screen.has_class("-calls"))
        await pilot.pause()
        for table in app.query(ResourceTable):  # a header and at least one row above the scrollbar
            assert table.scrollable_content_region.height >= 2, table.id


async def test_answers_that_land_as_the_app_closes_are_dropped(configured):
    """A throttled call, a failed worker or a late connection reported while ftdeck closes finds the
    main screen's widgets gone: dropped, never a NoMatches out of the handler."""
    from textual.worker import Worker, WorkerState

    from services.api_calls import Call
    from tui.app import Trouble

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None)
        worker = app.run_worker(lambda: 1 / 0, thread=True, exit_on_error=False)
        await wait_until(pilot, lambda: worker.state == WorkerState.ERROR)
    app.say_trouble(Trouble(Call(0, "data", "GET", "/openai/files", None, 429, 0.1)))
    app.report_failure(Worker.StateChanged(worker, WorkerState.ERROR))


async def test_unreachable_endpoint_keeps_the_screen_responsive(monkeypatch, tmp_path):
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        status = lambda: str(app.query_one("#status").render())  # noqa: E731
        await wait_until(pilot, lambda: "OFFLINE" in status())
        assert app.offline and any("cannot refresh" in line for line in app.query_one("#console").said)
        await pilot.press("3")
        assert app.focused is app.query_one("#files")
        await pilot.press("p")
        assert app.paused


async def test_console_commands_act_and_report(configured, long_job):
    client, job = configured, long_job
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        said = lambda text: any(text in message for message in app.query_one("#console").said)  # noqa: E731
        await wait_until(pilot, lambda: said("Connected to"))
        await pilot.press("colon")
        await pilot.press(*"/help", "enter")
        assert said("/deploy") and said("/cancel")
        await pilot.press(*"/frobnicate", "enter")
        assert said("unknown command /frobnicate")
        await pilot.press(*f"/cancel {job.id}", "enter")
        await wait_until(pilot, lambda: said(f"cancel {job.id}: now cancelled"))
        assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
        await wait_until(pilot, lambda: said(f"{job.id} is cancelled"))


async def test_on_a_narrow_terminal_a_clicked_tab_shows_its_pane(configured, finished_job):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#jobs", ResourceTable).row_count > 0 and app.details_ready)
        await pilot.click("#tab-files")
        await wait_until(pilot, lambda: app.current_pane == "files")
        assert app.query_one("#files").size.width > 60 and app.query_one("#jobs").size.width == 0
        assert app.focused is app.query_one("#files")

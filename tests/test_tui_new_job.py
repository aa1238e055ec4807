"""Upload, create, watch (issue 16, stumble 11), through the keys a person presses: the create form
preselects the file just uploaded, F2 creates (ctrl+s is swallowed by some terminals), the new job
is selected and followed, and its creation is said once, in plain words."""

from __future__ import annotations

import uuid

from services.rft_rules import supports_reinforcement
from tests.conftest import chat_examples, jsonl, wait_until
from tui.app import make_app
from tui.main_screen import MainScreen
from tui.screens.create_job import CreateJobScreen
from tui.screens.upload import UploadScreen
from widgets.console import Console
from widgets.event_log import EventLog


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_an_upload_is_trained_on_with_n_and_f2_and_the_new_job_is_selected_and_followed(configured, tmp_path):
    client = configured
    path = tmp_path / "watch-train.jsonl"
    path.write_bytes(jsonl(chat_examples(10, system=f"You are test bot {uuid.uuid4().hex}.")))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        said = app.query_one(Console).said
        await wait_until(pilot, lambda: app.workspace is not None and app.last_refresh and app.models and app.details_ready)

        await pilot.press("u")
        upload = app.screen
        assert isinstance(upload, UploadScreen)
        upload.query_one("#path").value = str(path)
        await pilot.press("enter")  # checks it
        await wait_until(pilot, lambda: "ready to upload" in text(upload, "#report-text"))
        await pilot.press("enter")  # uploads it, and waits until it is processed
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=60)
        uploaded = [f for f in client.files.list() if f.filename == path.name]
        assert len(uploaded) == 1 and uploaded[0].id in app.resources["files"]  # listed at once

        await pilot.press("3", "n")  # from the Files pane, where the upload shows
        form = app.screen
        assert isinstance(form, CreateJobScreen)
        assert form.query_one("#training").value == uploaded[0].id, "the file just uploaded is preselected"
        assert "F2" in text(form, "#hint")
        assert not supports_reinforcement(str(form.query_one("#model").value))  # the form starts on "supervised"
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), timeout=60)

        job = next(j for j in client.fine_tuning.jobs.list(limit=100).data if j.training_file == uploaded[0].id)
        table = app.query_one("#jobs")
        assert app.focused is table and table.selected_id == job.id and app.followed_job == job.id
        assert job.id in str(app.query_one("#jobs-detail").border_title)
        events = app.query_one(EventLog)
        await wait_until(pilot, lambda: any("Job" in line.text for line in events.lines))  # its events, followed

        for _ in range(2):  # listings after the creation: they do not report it again
            last = app.last_refresh
            await wait_until(pilot, lambda: app.last_refresh != last)
        assert len([line for line in said if job.id in line and "created" in line]) == 1, said
        assert not [line for line in said if " is succeeded" in line or " is failed" in line]

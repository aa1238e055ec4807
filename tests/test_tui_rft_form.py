"""The create-job form offers reinforcement fine-tuning with a grader file, and shows a training
tier's caveat beside the choice (Pilot, the real app, a real emulator)."""

from __future__ import annotations

import json

from tests.conftest import chat_examples, upload, wait_until
from tests.test_emulator_rft import GRADER, RFT_MODEL, rft_examples
from tests.test_tui_forms import open_app, text
from tui.app import FtdeckApp
from tui.screens.create_job import CreateJobScreen


async def test_the_form_creates_a_reinforcement_job_from_a_grader_file(configured, tmp_path):
    training, validation = upload(configured, rft_examples(12)), upload(configured, rft_examples(4), "valid.jsonl")
    files = [training.model_dump(), validation.model_dump()]
    grader = tmp_path / "grader.json"
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, files, [RFT_MODEL]), done)
        assert not screen.query_one("#grader").display
        screen.query_one("#training").value = training.id
        screen.query_one("#validation").value = validation.id
        screen.query_one("#method").value = "reinforcement"
        await pilot.pause()
        assert screen.query_one("#grader").display and not screen.query_one("#beta").display
        assert "pauses a reinforcement fine-tuning job automatically once it has cost $5,000" in text(screen, "#tier-note")
        assert "needs grader file" in text(screen, "#problems")
        grader.write_text(json.dumps({**GRADER, "operation": "neq"}))
        screen.query_one("#grader").value = str(grader)
        await wait_until(pilot, lambda: "'operation' must be one of eq, ne, like, ilike" in text(screen, "#problems"))
        grader.write_text(json.dumps(GRADER))
        screen.query_one("#grader").value = ""
        screen.query_one("#grader").focus()
        await pilot.press(*str(grader))
        await wait_until(pilot, lambda: not text(screen, "#problems").strip())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: done)
    job = configured.fine_tuning.jobs.retrieve(done[0]["id"])
    assert job.method.type == "reinforcement" and job.method.reinforcement.grader.reference == "{{ item.answer }}"
    assert job.validation_file == validation.id


async def test_a_training_tier_shows_its_caveat_beside_the_choice(configured):
    training = upload(configured, chat_examples(10, system="tier test")).model_dump()
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [training], ["gpt-4.1-mini-2025-04-14"]), done)
        assert not text(screen, "#tier-note").strip()
        screen.query_one("#tier").value = "globalstandard"
        await wait_until(pilot, lambda: "no data residency" in text(screen, "#tier-note"))
        screen.query_one("#tier").value = "developertier"
        await wait_until(pilot, lambda: "preempted and resumed later" in text(screen, "#tier-note"))
        screen.query_one("#training").value = training["id"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: done)
    assert done[0]["status"] == "pending" and done[0]["model"] == "gpt-4.1-mini-2025-04-14"


async def test_the_form_with_reinforcement_and_a_tier_fits_80x24(configured):
    from tests.test_tui_forms import inside, tab_through

    training = upload(configured, rft_examples(12)).model_dump()
    app, done = FtdeckApp(), []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_app(pilot, app, lambda ws: CreateJobScreen(ws, [training], [RFT_MODEL]), done)
        screen.query_one("#method").value = "reinforcement"
        screen.query_one("#tier").value = "developertier"
        screen.query_one("#epochs").value = "99"
        await pilot.pause()
        dialog = screen.query_one("#dialog")
        assert inside(dialog, screen) and inside(screen.query_one("#hint"), dialog)
        reached = await tab_through(pilot, screen)
        assert all(inside(widget, dialog) for widget in reached), [(w, w.region) for w in reached if not inside(w, dialog)]

"""The TUI on a real emulator: it connects, fills its panes, and keeps the cursor across refreshes."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, upload, wait_for_job
from tui.app import FtdeckApp


async def wait_until(pilot, predicate, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def configured(emulator, monkeypatch, tmp_path):
    """An environment pointing ftdeck at the test emulator, like a user's exported variables."""
    client = emulator.openai()
    job = wait_for_job(client, client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=upload(client, chat_examples(10)).id).id)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", emulator.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_TOKEN", API_KEY)
    sub, rg, account = ARM_DEPLOYMENTS.split("/")[2], ARM_DEPLOYMENTS.split("/")[4], ARM_DEPLOYMENTS.split("/")[8]
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", sub)
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", rg)
    monkeypatch.setenv("AZURE_OPENAI_ACCOUNT", account)
    return job


async def test_panes_fill_from_the_configured_resource(configured):
    app = FtdeckApp()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = app.query_one("#jobs", DataTable)
        await wait_until(pilot, lambda: configured.id in {k.value for k in jobs.rows})
        assert "profile env" in str(app.query_one("#status").render())
        await pilot.press("1")
        assert app.focused is app.query_one("#files", DataTable)
        await pilot.press("ctrl+r")
        await asyncio.sleep(0)
        assert app.query_one("#files", DataTable).row_count >= 1

"""The assistant in the TUI's console (issue 17), through the keys a person presses: a question in
the console, the tool line and the answer; a changing call opens the dialog its key would, and
nothing changes when it is refused. Against the real emulator (its chooser), and a hostile model
(tests/model_stub.py)."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until, workers_done
from tests.model_stub import ModelStub, delete_once
from tests.test_assistant import deploy_base, deployment_exists
from tui.app import make_app
from tui.screens.confirm import Confirm


def said(app, text: str) -> bool:
    return any(text in message for message in app.query_one("#console").said)


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.workspace is not None and pilot.app.last_refresh is not None, timeout=60)


async def ask(pilot, question: str) -> None:
    await pilot.press("colon")
    pilot.app.query_one("#command").value = question
    await pilot.press("enter")


@pytest.fixture
def hostile(configured, emulator, monkeypatch):
    deploy_base(emulator, "keep-tui")
    stub = ModelStub(emulator.url, delete_once("keep-tui"))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", stub.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", stub.url)
    yield stub
    stub.stop()


async def test_a_hostile_models_delete_opens_the_keys_dialog_and_refusing_deletes_nothing(hostile, emulator):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("colon", *"/assistant stub-model", "enter")
        await ask(pilot, "how are my jobs doing?")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert app.screen.question == "Delete deployment keep-tui?" and "proposed" in app.screen.detail
        assert said(app, "→ delete deployment keep-tui")
        await pilot.press("n")
        await wait_until(pilot, lambda: said(app, "The user refused"))  # the model was told, and said so
        await workers_done(pilot, group="assistant")
        assert said(app, "refused: delete deployment keep-tui; nothing changed")
        assert any("tokens 200 in, 20 out" in m for m in app.query_one("#console").said)
    assert hostile.deleted() == [] and deployment_exists(emulator, "keep-tui")

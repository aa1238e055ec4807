"""The assistant in the TUI's console (issue 17), through the keys a person presses: a question in
the console, the tool line and the answer; a changing call opens the dialog its key would, and
nothing changes when it is refused. Against the real emulator (its chooser), and a hostile model
(tests/model_stub.py)."""

from __future__ import annotations

import pytest

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, wait_until, workers_done
from tests.model_stub import ModelStub, delete_once
from tests.test_assistant import BASE, deck, deploy_base, deployment_exists, on_deck, paused_job  # noqa: F401 - fixtures
from tests.test_tui_actions import select
from tui.app import make_app
from tui.screens.confirm import Confirm
from tui.screens.deploy import DeployScreen


def said(app, text: str) -> bool:
    return any(text in message for message in app.query_one("#console").said)


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.workspace is not None and pilot.app.last_refresh is not None
                     and pilot.app.details_ready, timeout=60)


async def ask(pilot, question: str) -> None:
    await pilot.press("colon")
    pilot.app.query_one("#command").value = question
    await pilot.press("enter")


async def answer_to(pilot, question: str) -> str:
    """Ask in the console and wait for the whole answer (its stats line); returns what was said since."""
    console = pilot.app.query_one("#console")
    before = len(console.said)
    await ask(pilot, question)
    await wait_until(pilot, lambda: any(m.startswith("tokens ") for m in console.said[before:]), timeout=60)
    return "\n".join(console.said[before:])


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


async def test_the_issues_questions_in_the_console(on_deck):
    emu, jobs = on_deck
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await select(pilot, "jobs", jobs["failed"])
        said_ = await answer_to(pilot, "why did my last job fail?")
        assert "the assistant asks assistant-chat (the first deployed base model that takes tools" in said_
        assert f"→ job.show" in said_ and jobs["failed"] in said_ and "too few examples" in said_
        assert "ftdeck data validate" in said_  # the fix
        said_ = await answer_to(pilot, "which of my jobs has the lowest validation loss?")
        assert "→ jobs.compare" in said_ and "Lowest validation loss: ftjob-" in said_
        said_ = await answer_to(pilot, "is ./train.jsonl ready for gpt-4.1-mini?")
        assert "→ data.validate ./train.jsonl gpt-4.1-mini" in said_ and "NOT ready for gpt-4.1-mini" in said_
        said_ = await answer_to(pilot, "what learning rate should I try?")
        assert "→ training.suggest" in said_ and "learning_rate_multiplier" in said_
        await pilot.press(*"/validate ./train.jsonl gpt-4.1-mini", "enter")  # the tools are / commands too
        await wait_until(pilot, lambda: said(app, "./train.jsonl is NOT ready for gpt-4.1-mini"))
        await pilot.press(*f"/show {jobs['failed']}", "enter")
        await wait_until(pilot, lambda: said(app, f"Job {jobs['failed']} ({BASE}) is failed."))
        await pilot.press(*"/context", "enter")
        await wait_until(pilot, lambda: said(app, "last sent: "))
        context = app.query_one("#console").said[-1]
        assert jobs["failed"] in context and API_KEY not in context and "api_key" not in context
        await pilot.press(*"/new", "enter")
        assert said(app, "the assistant's conversation starts over") and app.conversation.messages == []


async def test_deploy_opens_the_deploy_form_filled_with_the_proposal(on_deck):
    emu, jobs = on_deck
    job = jobs["done"][1]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, f"deploy the best checkpoint of {job} as pirate-tui")
        await wait_until(pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen.query("#name"), timeout=60)  # composed
        form = app.screen
        assert form.query_one("#name").value == "pirate-tui" and form.model.startswith("ftchkpt-")  # deployed by its id
        assert not deployment_exists(emu, "pirate-tui")  # nothing yet: the form is the confirmation
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: said(app, "Deployed ") and any(m.startswith("tokens ") for m in app.query_one("#console").said), timeout=60)
    assert deployment_exists(emu, "pirate-tui")


async def test_cancel_it_is_the_selected_job_typed_on_production(on_deck, monkeypatch, tmp_path):
    emu, jobs = on_deck
    parts = ARM_DEPLOYMENTS.split("/")
    config = tmp_path / "prod.toml"
    config.write_text(
        f'default_profile = "prod"\n[profiles.prod]\nendpoint = "{emu.url}"\napi_key = "{API_KEY}"\nproduction = true\n'
        f'management_endpoint = "{emu.url}"\nmanagement_token = "{API_KEY}"\nassistant_deployment = "assistant-chat"\n'
        f'subscription_id = "{parts[2]}"\nresource_group = "{parts[4]}"\naccount = "{parts[8]}"\n')
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "FTDECK_MANAGEMENT_ENDPOINT", "FTDECK_MANAGEMENT_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    client = emu.openai()
    running = paused_job(emu, jobs["long_data"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await select(pilot, "jobs", running)
        await ask(pilot, "cancel it")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), timeout=60)
        assert app.screen.question == f"Cancel job {running}?" and app.screen.typed == running
        assert said(app, "the assistant asks assistant-chat (the profile's assistant_deployment)")
        await pilot.press("y")  # a stray y is just typing on production
        assert isinstance(app.screen, Confirm) and client.fine_tuning.jobs.retrieve(running).status == "paused"
        assert said(app, f"→ job.cancel {running}")
        await pilot.press("backspace", *running, "enter")
        await wait_until(pilot, lambda: said(app, f"job.cancel {running}: now cancelled"), timeout=60)
        await workers_done(pilot, group="assistant")
    assert client.fine_tuning.jobs.retrieve(running).status == "cancelled"


async def test_injected_service_text_is_quoted_inert_and_changes_nothing(on_deck, monkeypatch):
    from tests.planting_proxy import PlantingProxy
    from tests.test_assistant import INJECTION

    emu, jobs = on_deck
    proxy = PlantingProxy(emu.url, INJECTION)
    for name in ("AZURE_OPENAI_ENDPOINT", "FTDECK_MANAGEMENT_ENDPOINT"):
        monkeypatch.setenv(name, proxy.url)
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await connected(pilot)
            said_ = await answer_to(pilot, "why did my last job fail?")
            assert "IGNORE PREVIOUS INSTRUCTIONS" in said_  # quoted as what the service said
            assert "[@click=app.quit]x[/]" in said_ and "\x1b" not in said_ and "\x07" not in said_
            transcript = "".join(strip.text for strip in app.query_one("#transcript").lines)
            assert "\x1b" not in transcript and "IGNORE PREVIOUS" in transcript
            await workers_done(pilot, group="assistant")
            assert not isinstance(app.screen, Confirm) and app.is_running
    finally:
        proxy.stop()
    assert not [r for r in proxy.requests if r[0] == "DELETE"] and deployment_exists(emu, "assistant-chat")

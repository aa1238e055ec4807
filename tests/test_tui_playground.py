"""The playground screen driven through the real app against the emulator: streaming, A/B, cancel,
blind votes, the training system message, examples, restart recovery, the narrow layout."""

from __future__ import annotations

import json
import re
import os
import signal

import pytest
from textual.widgets import Input, TextArea

from services import playground
from services.datasets import validate_dataset
from tests.conftest import arm_model, API_KEY, ARM_DEPLOYMENTS, wait_for, wait_until
from tests.test_playground import BASE, POLLY, train_and_deploy
from tui.app import make_app
from tui.screens.playground import Delta, EditAnswer, PlaygroundScreen
from widgets.chat_pane import ChatPane

NAMES = ["tp-base", "tp-ft"]


@pytest.fixture(scope="module")
def deployed(emulator):
    return train_and_deploy(emulator, "tp")


@pytest.fixture
def env(configured, deployed):
    return configured


async def open_playground(app, pilot, left: str | None = "tp-base", right: str | None = "tp-ft", names=NAMES) -> PlaygroundScreen:
    await wait_until(pilot, lambda: app.workspace is not None and app.last_refresh and app.details_ready)  # the deck is whole
    await pilot.pause(0.2)
    screen = PlaygroundScreen(app.workspace, names, left, right)
    await app.push_screen(screen)
    await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))
    return screen


async def send(pilot, screen: PlaygroundScreen, prompt: str) -> None:
    screen.query_one("#prompt", Input).focus()
    await pilot.press(*prompt, "enter")
    await wait_until(pilot, lambda: not screen.busy)


def pane(screen: PlaygroundScreen, position: int) -> ChatPane:
    return screen.query_one(f"#pane-{position}", ChatPane)


def drawn(widget) -> str:
    """What the terminal shows inside the widget's region, as plain text: a reply that is held but
    drawn as nothing is not on screen."""
    strips = widget.screen._compositor.render_strips()
    region = widget.region
    return "\n".join(strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom))


def last_word(text: str) -> str:
    """The reply's last plain word: the pane follows the end of the reply."""
    return re.findall(r"\w{3,}", text)[-1]


async def test_single_chat_streams_a_reply_with_the_training_system_message(env):
    deltas: list[Delta] = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=lambda m: isinstance(m, Delta) and deltas.append(m)) as pilot:
        screen = await open_playground(app, pilot, "tp-ft", None)
        assert screen.has_class("-single") and screen.query_one("#system-0", TextArea).text == POLLY  # pre-filled
        assert "✓ the system message tp-ft was trained with (12/15 examples)" in str(screen.query_one("#warning-0").render())
        assert "also in its training data" in str(screen.query_one("#warning-0").render())

        await send(pilot, screen, "How do I fix my password problem?")
        reply = screen.conversation.turns[0].replies[0]
        assert reply.text and reply.error is None and len(deltas) > 1  # token by token
        assert "".join(d.text for d in deltas) == reply.text
        assert screen.conversation.messages(0, 0)[0] == {"role": "system", "content": POLLY}
        await pilot.pause()  # the last frame drawn
        assert last_word(reply.text) in drawn(pane(screen, 0)) and "tok/s" in drawn(pane(screen, 0))
        assert playground.load_last().turns[0].replies[0].text == reply.text  # saved as it happened
        assert screen.query_one("#prompt", Input).value == ""


def burst(app, keys: str) -> None:
    """Keys arriving together, as typing does over a slow SSH link: all handed to the app at once,
    with none of Pilot's waits between them. The last one is Enter."""
    from textual import events
    from textual.keys import _character_to_key

    for char in keys:
        app._driver.send_message(events.Key(char if char.isalnum() else _character_to_key(char), char))
    app._driver.send_message(events.Key("enter", "\r"))


async def test_enter_sends_everything_typed_before_it_even_in_one_burst(env):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot, "tp-ft", None)
        screen.query_one("#prompt", Input).focus()
        await pilot.pause()
        burst(app, "Where is my invoice?")
        await wait_until(pilot, lambda: screen.conversation.turns and screen.conversation.turns[0].replies[0] and not screen.busy)
        assert [turn.prompt for turn in screen.conversation.turns] == ["Where is my invoice?"]
        assert screen.query_one("#prompt", Input).value == ""


async def test_ab_streams_both_sides_and_warns_when_the_system_message_differs(env):
    deltas: list[Delta] = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=lambda m: isinstance(m, Delta) and deltas.append(m)) as pilot:
        screen = await open_playground(app, pilot)
        system = screen.query_one("#system-0", TextArea)
        assert system.text == POLLY  # from the fine-tuned side, for both
        system.focus()
        await pilot.press("end", "!")
        warning = str(screen.query_one("#warning-0").render())
        assert "⚠ differs from training: tp-ft was trained with “You are Polly" in warning
        await pilot.press("escape", "t")  # leave the box, restore the training one
        assert system.text == POLLY and "✓" in str(screen.query_one("#warning-0").render())

        await send(pilot, screen, "How do I fix my storage problem?")
        a, b = screen.conversation.turns[0].replies
        assert a.text and b.text and (a.deployment, b.deployment) == ("tp-base", "tp-ft")
        await pilot.pause()
        for position, reply in enumerate((a, b)):
            assert last_word(reply.text) in drawn(pane(screen, position)) and "tok/s" in drawn(pane(screen, position))
        first = pane(screen, 0).region
        assert pane(screen, 1).region.x > first.x and pane(screen, 1).region.y == first.y  # side by side

        assert {d.side for d in deltas} == {0, 1}

        await pilot.press("escape", "x")  # swap
        assert [s.deployment for s in screen.conversation.sides] == ["tp-ft", "tp-base"]
        assert screen.conversation.turns[0].replies[0].text == b.text and screen.conversation.settings(1).system == POLLY

        deltas.clear()
        pane(screen, 1).focus()
        await pilot.press("r")  # regenerate the focused side only
        await wait_until(pilot, lambda: deltas and not screen.busy)
        assert {d.side for d in deltas} == {1} and screen.conversation.turns[0].replies[1].text
        deltas.clear()
        await pilot.press("R")  # both
        await wait_until(pilot, lambda: deltas and not screen.busy)
        assert {d.side for d in deltas} == {0, 1} and len(screen.conversation.turns) == 1


@pytest.fixture
def slow(fresh_emulator, monkeypatch, tmp_path):
    """An emulator whose clock runs at 0.03x, so it streams a token a second, for cancelling mid-reply."""
    emu = fresh_emulator("--speed", "0.03")
    for name, value in {"AZURE_OPENAI_ENDPOINT": emu.url, "FTDECK_MANAGEMENT_ENDPOINT": emu.url, "AZURE_OPENAI_API_KEY": API_KEY,
                        "FTDECK_MANAGEMENT_TOKEN": API_KEY, "FTDECK_CONFIG": str(tmp_path / "none.toml"),
                        "XDG_DATA_HOME": str(tmp_path / "data"), "AZURE_SUBSCRIPTION_ID": ARM_DEPLOYMENTS.split("/")[2],
                        "AZURE_RESOURCE_GROUP": ARM_DEPLOYMENTS.split("/")[4], "AZURE_OPENAI_ACCOUNT": ARM_DEPLOYMENTS.split("/")[8]}.items():
        monkeypatch.setenv(name, value)
    arm = emu.arm()
    arm.put("/slow-base", json={"sku": {"name": "standard", "capacity": 1}, "properties": {"model": arm_model(BASE)}})
    emu.http().post("/_emulator/clock", json={"advance_seconds": 10})
    wait_for(lambda: arm.get("/slow-base").json()["properties"]["provisioningState"] == "Succeeded")
    return emu


async def test_escape_cancels_and_the_prompt_comes_back(slow):
    deltas: list[Delta] = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=lambda m: isinstance(m, Delta) and deltas.append(m)) as pilot:
        screen = await open_playground(app, pilot, "slow-base", None, names=["slow-base"])
        screen.query_one("#seed-0", Input).value = "56"  # a 50-token answer
        screen.query_one("#prompt", Input).focus()
        await pilot.press(*"Tell me a long story", "enter")
        await wait_until(pilot, lambda: deltas)
        os.kill(slow.process.pid, signal.SIGSTOP)  # no more of the reply until Esc is pressed
        try:
            assert screen.busy
            await pilot.press("escape")
        finally:
            os.kill(slow.process.pid, signal.SIGCONT)  # the next token (a second later) meets the cancel
        await wait_until(pilot, lambda: not screen.busy, timeout=10)
        assert screen.conversation.turns == []  # nothing came of it...
        assert screen.query_one("#prompt", Input).value == "Tell me a long story"  # ...so the prompt is back
        await wait_until(pilot, lambda: playground.load_last().draft == "Tell me a long story", timeout=5)  # saved too


async def test_a_failed_request_keeps_the_prompt_and_shows_the_error(env):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot, "no-such-deployment", None)
        await send(pilot, screen, "hello there")
        assert screen.conversation.turns == [] and screen.query_one("#prompt", Input).value == "hello there"
        await pilot.pause()
        assert "DeploymentNotFound" in drawn(pane(screen, 0))


async def test_blind_mode_votes_then_reveals(env):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot)
        await pilot.press("escape", "b")
        assert screen.has_class("-blind") and not screen.query_one("#picker-0").display
        labels = [str(screen.query_one(f"#label-{p}").render()) for p in (0, 1)]
        assert labels == ["1", "2"]
        for prompt, key in (("first question", "1"), ("second question", "2"), ("third question", "0")):
            await send(pilot, screen, prompt)
            await pilot.press("escape", key)
        order = screen.conversation.blind_order  # label 1 shows side order[0]
        assert "votes 1:1 2:1 tie:1" in str(screen.query_one("#title").render())
        expected = {"AB"[order[0]]: 1, "AB"[order[1]]: 1, "tie": 1}
        assert screen.conversation.tally() == expected
        await pilot.press("b")  # reveal
        assert not screen.conversation.blind and screen.query_one("#picker-0").display
        assert f"1 was {'AB'[order[0]]} {screen.conversation.sides[order[0]].deployment}" in screen.reveal
        assert "tie (1)" in screen.reveal


async def test_blind_mode_starts_from_a_fresh_view_that_names_no_deployment(env):
    """Issue 16 §2.7: the turns before `b` (each under its deployment) and the system-message note
    (which names the deployment) told which side is which."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot)
        await send(pilot, screen, "seen with names")
        await pilot.press("escape", "b")
        await pilot.pause()
        shown = drawn(screen)
        assert "seen with names" not in shown
        assert not [s.deployment for s in screen.conversation.sides if s.deployment in shown], shown
        assert not screen.check_action("regenerate", (False,)) and not screen.check_action("vote", ("1",))  # nothing blind yet
        await send(pilot, screen, "asked blind")
        assert "asked blind" in drawn(pane(screen, 0)) and "seen with names" not in drawn(pane(screen, 0))
        await pilot.press("escape", "b")  # the reveal shows every turn again
        await pilot.pause()
        assert "seen with names" in drawn(pane(screen, 0)) and "asked blind" in drawn(pane(screen, 0))


async def test_keys_that_do_not_apply_say_why_help_opens_and_the_footer_reads_apart(env):
    """Issue 16 §2.8: `a` after a turn did nothing visible, `?` did nothing, the footer read `Votex Swap`."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot)
        await send(pilot, screen, "hello")
        await pilot.press("escape", "a")
        await pilot.pause()
        assert len(screen.conversation.sides) == 2
        assert any("A/B stays" in n.message for n in app._notifications)
        footer = " ".join(drawn(footer) for footer in screen.query("Footer"))
        assert "Votex" not in footer and "Vote x" in re.sub(r"\s+", " ", footer)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        assert "Blind" in str(app.screen.query_one("#help-text").render())  # the playground's own keys
        await pilot.press("escape")
        assert app.screen is screen


async def test_turns_are_saved_as_chat_and_dpo_examples_that_validate(env):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot)
        await send(pilot, screen, "How do I fix my quota problem?")
        await pilot.press("escape", "2")  # B is better
        for _ in range(10):
            await pilot.press("y")
            assert isinstance(app.screen, EditAnswer)
            await pilot.press("ctrl+s")
            await pilot.press("d")
        await pilot.press("y", "end", *" Arr!", "ctrl+s")  # an edited answer
        chat_lines = playground.chat_dataset_path().read_text().splitlines()
        assert len(chat_lines) == 11
        b = screen.conversation.turns[0].replies[1].text
        assert json.loads(chat_lines[0])["messages"][-1] == {"role": "assistant", "content": b}  # the preferred side
        assert " Arr!" in json.loads(chat_lines[-1])["messages"][-1]["content"]
        dpo = json.loads(playground.preference_dataset_path().read_text().splitlines()[0])
        assert dpo["preferred_output"][0]["content"] == b and dpo["input"]["messages"][0]["content"] == POLLY
        assert validate_dataset(playground.chat_dataset_path(), model=BASE).ok
        report = validate_dataset(playground.preference_dataset_path(), model="gpt-4o-2024-08-06")
        assert report.ok and report.format == "preference" and report.examples == 10

        await pilot.press("m")
        assert "## Turn 1" in (playground.playground_dir() / f"{screen.conversation.id}.md").read_text()


async def test_the_conversation_and_the_draft_survive_a_restart(env):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot)
        await send(pilot, screen, "remember me")
        await pilot.press(*"half a thought")
        conversation_id, reply = screen.conversation.id, screen.conversation.turns[0].replies[1].text

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(app, pilot, None, None)
        assert screen.conversation.id == conversation_id
        assert screen.query_one("#prompt", Input).value == "half a thought"
        await pilot.pause()
        assert "remember me" in drawn(pane(screen, 1)) and last_word(reply) in drawn(pane(screen, 1))


async def test_narrow_terminals_stack_the_sides(env):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(app, pilot)
        await send(pilot, screen, "hello")
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert screen.has_class("-narrow")
        top, bottom = pane(screen, 0).region, pane(screen, 1).region
        assert bottom.y >= top.bottom and bottom.x == top.x and top.height >= 3
        footer = screen.query_one("Footer")
        assert footer.virtual_size.width <= 80  # every key visible


async def test_g_on_a_fine_tuned_deployment_opens_it_against_its_base(env, deployed):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        deployments = app.query_one("#deployments")
        await wait_until(pilot, lambda: "tp-ft" in deployments.rows_by_id)
        await pilot.press("4")
        deployments.move_cursor(row=[k.value for k in deployments.rows].index("tp-ft"))
        await pilot.pause()
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, PlaygroundScreen))
        left, right = [s.deployment for s in app.screen.conversation.sides]
        facts = app.resources["deployments"]
        base = facts["tp-ft"]["model"].split(".ft-")[0]  # a deployment of its base model, by name + version
        assert right == "tp-ft" and f"{facts[left]['model']}-{facts[left]['version']}" == base
        screen = app.screen
        await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))  # before closing

"""What comes from the command registry, driven through the keys a person presses: Tab in the
console, the command palette, `?` help, the footer at 80 and 120 columns, a remapped key, and
README's key tables (issue 16 §1, §2.4, §2.5, §2.9, §2.13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Footer, Input, Static

from tests.conftest import chat_examples, upload, wait_for_job, wait_until
from tui.app import make_app
from tui.registry import COMMANDS, slash_help
from tui.screens.help import HelpScreen, key_name

README = Path(__file__).resolve().parent.parent / "README.md"


async def connected(pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: any("Connected to" in m for m in app.query_one("#console").said), timeout=60)


async def test_tab_in_the_console_completes_a_command(configured):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("colon", *"/th")
        line = app.query_one("#command", Input)
        await wait_until(pilot, lambda: line._suggestion == "/theme")
        await pilot.press("tab")
        assert line.has_focus and line.value == "/theme "  # completed, and the box keeps the focus
        await pilot.press(*"nord", "enter")
        assert app.theme == "nord"
        await pilot.press("tab")  # nothing to complete: Tab moves on as anywhere else
        assert not line.has_focus


@pytest.mark.parametrize("typed, title", [("ref", "Refresh"), ("cons", "Console"), ("paus", "Pause refresh"),
                                          ("filt", "Filter"), ("help", "Help"), ("jobs", "Jobs")])
async def test_the_palette_finds_every_command(configured, typed, title):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*typed)

        def found() -> list[str]:
            options = app.screen.query_one(CommandList).options
            return [str(option.prompt) for option in options]

        await wait_until(pilot, lambda: any(text.startswith(title) for text in found()))
        match = next(text for text in found() if text.startswith(title))
        assert len(match) > len(title) + 10  # with a readable description, not the bare word


async def test_help_lists_console_commands_as_they_are_typed(configured):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-text", Static).render())
        assert "/help" in text and "/deploy [NAME MODEL_OR_CHECKPOINT]" in text
        assert "//" not in text


@pytest.fixture(scope="module")
def trained(emulator):
    """A succeeded job: the row with the most keys (deploy, playground, results, train further...)."""
    client = emulator.openai()
    data = upload(client, chat_examples(10)).id
    return wait_for_job(client, client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=data).id)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_fits_with_the_most_wanted_keys_first(configured, trained, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await connected(pilot)
        table = app.query_one("#jobs")
        await wait_until(pilot, lambda: trained.id in table.rows_by_id)
        table.move_cursor(row=[k.value for k in table.rows].index(trained.id))
        await wait_until(pilot, lambda: any(k.description == "Deploy" for k in app.screen.query("FooterKey")))
        await wait_until(pilot, lambda: all(k.region.width for k in app.screen.query("FooterKey")))  # laid out
        footer = app.screen.query_one(Footer)
        keys = list(footer.query("FooterKey"))
        shown = [key.description for key in keys]
        assert footer.virtual_size.width <= footer.size.width, shown  # nothing cut off, nothing to scroll to
        for key in keys:
            assert key.region.right <= size[0] and key.region.width >= len(key.description) + 1, key.description
        assert shown[:2] == ["Help", "Console"], shown


async def test_a_keymap_from_the_config_remaps_a_key_in_footer_and_help(configured, tmp_path, monkeypatch):
    config = tmp_path / "keys.toml"
    config.write_text('[keymap]\nconsole = "semicolon"\n')
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("semicolon")
        assert app.focused is not None and app.focused.id == "command"
        await pilot.press("escape")
        footer = {key.description: key.key for key in app.screen.query("FooterKey")}
        assert footer["Console"] == "semicolon"
        await pilot.press("question_mark")
        text = str(app.screen.query_one("#help-text", Static).render())
        assert re.search(r"^\s+;\s+Console$", text, re.M)


def readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_key_table_has_every_key_of_the_registry_and_no_other():
    section = readme_section("The TUI")
    table = section[section.index("| key | what |"):].split("\n\n")[0].splitlines()[2:]
    in_readme = {key for line in table for key in re.findall(r"`([^`]+)`", line.split("|")[1])}
    registry = {key_name(command.key) for command in COMMANDS if command.key}
    assert in_readme - {"ctrl+p"} == registry  # ctrl+p is Textual's palette


def test_readme_console_table_is_the_registry_s():
    section = readme_section("The TUI")
    rows = dict(re.findall(r"^\| `(/[^`]+)` \| (.+) \|$", section, re.M))
    assert rows == slash_help(), "README's console table, from the registry:\n" + "\n".join(
        f"| `{usage}` | {text} |" for usage, text in slash_help().items())


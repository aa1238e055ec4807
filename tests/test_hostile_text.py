"""Text from outside is inert: what a service, a file or a model says is shown as it is, in the TUI
and the CLI alike. The real emulator (demo workspace) sits behind tests/planting_proxy.py, which
plants markup, click actions, unbalanced tags, a trailing backslash and terminal control sequences
(CSI colours, OSC 52 clipboard writes, OSC 0 title changes, BEL, a C1 CSI) in every name, error,
event and reply. Nothing may run, nothing may crash, the text must read literally, and no control
character may reach the terminal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from services.outside_text import inert, inert_line
from emulator.demo import ARM_ACCOUNT as DEMO_ACCOUNT
from tests.conftest import API_KEY, ARM_DEPLOYMENTS, EmulatorProcess, chat_examples, jsonl, wait_until
from tests.planting_proxy import PlantingProxy
from tui.app import make_app
from tui.panes import PANES
from tui.cli import main

ACTIONS = "[@click=app.deploy('pwned-dep','gpt-4o-mini-2024-07-18')]deploy me[/] [@click=app.quit]quit now[/]"
CONTROLS = "\x1b[31mred\x1b[0m \x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned title\x07 bell\x07 \x9b31m c1"
BROKEN = "[/] [/red] notes [draft] x[/]y.jsonl \\[b] C:\\"  # ends in a backslash: it would escape the next tag
HOSTILE = f"{ACTIONS}\n{CONTROLS} {BROKEN}"  # a newline too: a list shows it on one line
NAME = " [@click=app.quit]q \x1b]0;pwned title\x07\nfake row C:\\"  # planted in deployment names: no '/', they go into URLs
REPLY = f"Arr {ACTIONS} \x1b]52;c;cHduZWQ=\x07\x1b]0;pwned title\x07 see [the docs](https://example.invalid/docs)\n\n"
CONTROL_CHARS = ("\x1b", "\x07", "\x9b", "\x00", "\x7f")
# What must read as it is, wherever the payload is shown (long text wraps: pieces of it).
LITERAL = ("[@click=app.quit]quit now[/]", "deploy me[/]", "[/] [/red] notes [draft] x[/]y.jsonl \\[b] C:\\",
           "[31mred[0m ]52;c;cHduZWQ= ]0;pwned title bell 31m c1")
HOSTILE_FILE = "my notes [v2] x[/]final.jsonl"  # a real file's name, through the real emulator
UNKNOWN_KEY = "[@click=app.quit]\x1b]0;pwned title\x07[/]"  # a training file's key, quoted by validation


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The demo workspace, a file named with markup whose content quotes a hostile key, and the
    hostile server in front of it."""
    emulator = EmulatorProcess(tmp_path_factory.mktemp("hostile"), "--demo")
    records = chat_examples(12)
    records[0][UNKNOWN_KEY] = "x"
    emulator.openai().files.create(file=(HOSTILE_FILE, jsonl(records)), purpose="fine-tune")
    servers = {"hostile": PlantingProxy(emulator.url, HOSTILE, name_payload=NAME, reply=REPLY),
               "actions": PlantingProxy(emulator.url, ACTIONS)}
    yield servers
    for server in servers.values():
        server.stop()
    emulator.stop()


def point_at(server: PlantingProxy, monkeypatch, tmp_path) -> PlantingProxy:
    """ftdeck pointed at the hostile server the way a user points it at Azure: exported variables."""
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("AZURE_OPENAI_ENDPOINT", "FTDECK_MANAGEMENT_ENDPOINT"):
        monkeypatch.setenv(name, server.url)
    for name in ("AZURE_OPENAI_API_KEY", "FTDECK_MANAGEMENT_TOKEN"):
        monkeypatch.setenv(name, API_KEY)
    parts = DEMO_ACCOUNT.split("/")  # deployments belong to their account: the demo's are in the demo account
    for name, part in (("AZURE_SUBSCRIPTION_ID", 2), ("AZURE_RESOURCE_GROUP", 4), ("AZURE_OPENAI_ACCOUNT", 8)):
        monkeypatch.setenv(name, parts[part])
    return server


@pytest.fixture
def hostile(service, monkeypatch, tmp_path) -> PlantingProxy:
    return point_at(service["hostile"], monkeypatch, tmp_path)


# --- the TUI -----------------------------------------------------------------------------------


def screen_text(app) -> str:
    """What the terminal would be sent for the current screen, as text."""
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


def clicks_on_screen(app) -> list[str]:
    """Every action a click on the current screen would run."""
    found = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if segment.style and "@click" in segment.style.meta:
                found.add(str(segment.style.meta["@click"]))
    return sorted(found)


def assert_inert(app, *where: str) -> None:
    """Still running; no control character on screen, no planted action clickable."""
    assert app.is_running, "ftdeck stopped"
    shown = screen_text(app)
    assert not [c for c in CONTROL_CHARS if c in shown], where
    assert not [action for action in clicks_on_screen(app) if "pwned" in action or "quit" in action or "deploy" in action], where
    assert not [c for c in CONTROL_CHARS if c in app.export_screenshot()], where


def text_of(widget) -> str:
    return str(widget.render())


async def select(pilot, pane: str, row_id_start: str) -> str:
    app = pilot.app
    table = app.query_one(f"#{pane}")
    await wait_until(pilot, lambda: any(k.value.startswith(row_id_start) for k in table.rows))
    row_id = next(k.value for k in table.rows if k.value.startswith(row_id_start))
    table.focus()

    def there() -> bool:  # a refresh may move the rows meanwhile
        if table.selected_id != row_id:
            table.move_cursor(row=[k.value for k in table.rows].index(row_id))
        return table.selected_id == row_id

    await wait_until(pilot, there)
    await pilot.pause()
    return row_id


async def click_every(pilot, widget, words: tuple[str, ...]) -> int:
    """Click each place in `widget` where one of `words` is drawn; how many clicks."""
    clicked = 0
    for y in range(widget.size.height):
        line = widget.render_line(y).text
        for word in words:
            x = line.find(word)
            while x != -1:
                await pilot.click(widget, offset=(x + 1, y))
                clicked += 1
                x = line.find(word, x + 1)
    await pilot.pause(0.3)
    return clicked


async def test_clicking_a_service_string_runs_nothing(service, monkeypatch, tmp_path):
    """A model name holding [@click=app.deploy(...)] must not deploy on a click, nor [@click=app.quit] quit."""
    server = point_at(service["actions"], monkeypatch, tmp_path)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None and app.query_one("#jobs").row_count >= 2 and app.details_ready, timeout=60)
        job = next(j["id"] for j in app.jobs.values() if j["status"] == "succeeded")
        await select(pilot, "jobs", job)
        summary = app.query_one("#job-summary")
        await wait_until(pilot, lambda: any("deploy me" in summary.render_line(y).text for y in range(summary.size.height)))
        assert await click_every(pilot, summary, ("deploy me", "quit now")) >= 2
        assert app.is_running
        await select(pilot, "checkpoints", "ftchkpt")
        detail = app.query_one("#checkpoint-summary")
        await wait_until(pilot, lambda: "deploy me" in text_of(detail))
        assert await click_every(pilot, detail, ("deploy me", "quit now")) >= 1
        assert_inert(app, "checkpoint detail")
    assert not server.created("pwned-dep")
    assert not [r for r in server.requests if r[0] in ("PUT", "POST", "DELETE")]


async def test_every_pane_detail_dialog_and_report_shows_service_strings_as_they_are(hostile):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None and app.query_one("#deployments").row_count >= 2
                         and any(HOSTILE_FILE in f["filename"] for f in app.resources["files"].values())
                         and app.details_ready, timeout=60)
        assert_inert(app, "panes")
        files = app.query_one("#files")
        cells = " ".join(cell.plain for key in files.rows for cell in files.get_row(key))
        # Long names are cut to fit the pane (whole in the file detail, below): what shows reads as it is.
        assert "my notes […" in cells and "\\[b] C:\\" in cells
        assert all(cell.plain == str(value) for key in files.rows
                   for cell, value in zip(files.get_row(key), PANES["files"].row(app.resources["files"][key.value], app.resources)[1]))

        job = next(j["id"] for j in app.jobs.values() if j["status"] == "succeeded")
        await select(pilot, "jobs", job)
        summary = app.query_one("#job-summary")
        await wait_until(pilot, lambda: "deploy me" in text_of(summary) and app.query_one("#events").lines)
        assert all(text_of(summary).count(piece) >= 2 for piece in LITERAL)  # the fine-tuned model and the error
        events = "\n".join(line.text for line in app.query_one("#events").lines)
        assert all(piece in events for piece in LITERAL[:2])
        assert_inert(app, "job detail")

        await select(pilot, "checkpoints", "ftchkpt")
        await wait_until(pilot, lambda: "deploy me" in text_of(app.query_one("#checkpoint-summary")))
        assert all(piece in text_of(app.query_one("#checkpoint-summary")) for piece in LITERAL)
        assert_inert(app, "checkpoint detail")

        file_id = next(i for i, f in app.resources["files"].items() if HOSTILE_FILE in f["filename"])
        await select(pilot, "files", file_id)
        facts, validation = app.query_one("#file-facts"), app.query_one("#file-validation")
        await wait_until(pilot, lambda: "unknown key" in text_of(validation), timeout=30)
        assert HOSTILE_FILE in text_of(facts) and all(piece in text_of(facts) for piece in LITERAL)
        assert "unknown key '[@click=app.quit]]0;pwned title[/]'" in text_of(validation)
        assert_inert(app, "file detail")

        await pilot.press("x")  # the question names the file
        await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        assert HOSTILE_FILE in screen_text(app)
        assert_inert(app, "confirm")
        await pilot.press("n")
        await pilot.press("v")  # the raw JSON
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RawJsonScreen")
        assert json.loads(app.screen.json)["filename"].endswith(HOSTILE)  # every character kept, escaped
        assert_inert(app, "raw json")
        await pilot.press("escape")

        deployment = await select(pilot, "deployments", "pirate-support")
        assert deployment == "pirate-support" + NAME
        detail = app.query_one("#deployment-summary")
        await wait_until(pilot, lambda: "deploy me" in text_of(detail))
        assert inert(NAME) in text_of(detail) and all(piece in text_of(detail) for piece in LITERAL)
        assert_inert(app, "deployment detail")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        assert_inert(app, "help")
        await pilot.press("escape")

        await select(pilot, "jobs", job)
        await pilot.press("d")  # the deploy dialog names the model
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DeployScreen")
        assert "deploy me" in text_of(app.screen.query_one("#model"))
        assert_inert(app, "deploy dialog")
        await pilot.press("escape")
        await pilot.press("n")  # the create-job form lists the files by name
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CreateJobScreen")
        await pilot.click("#training")
        await pilot.pause(0.3)
        overlay = app.screen.query_one("#training SelectOverlay")
        offered = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert any("pirate-support.jsonl [@click=app.deploy(" in name and LITERAL[2] in name for name in offered)
        assert_inert(app, "create job")
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "CreateJobScreen")

        # The service's error for a refused request: in a toast and in the console.
        await pilot.press("colon", *f"/cancel {job}", "enter")
        console = app.query_one("#console")
        await wait_until(pilot, lambda: any("deploy me" in said for said in console.said))
        await pilot.pause(0.3)
        assert any(all(piece in said for piece in LITERAL) for said in console.said)
        assert_inert(app, "console and toast")
    assert not hostile.created("pwned-dep")


async def test_a_model_reply_in_the_playground_is_shown_as_it_is_and_its_links_open_nothing(hostile):
    app = make_app()
    opened: list[str] = []
    app.open_url = lambda url, **kwargs: opened.append(url)  # what a followed link would do
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None and app.query_one("#deployments").row_count >= 2 and app.details_ready, timeout=60)
        await select(pilot, "deployments", "pirate-support")
        await pilot.press("g")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PlaygroundScreen")
        screen = app.screen
        assert_inert(app, "playground")
        await pilot.press(*"Where be my invoice?", "enter")
        turns = screen.conversation.turns
        await wait_until(pilot, lambda: not screen.busy and turns and turns[-1].replies[0] is not None, timeout=60)
        assert not turns[-1].replies[0].error
        await pilot.pause(0.5)
        pane = screen.query_one("#pane-0")
        assert "Arr [@click=app.deploy('pwned-dep','gpt-4o-mini-2024-07-18')]deploy me[/]" in screen_text(app)
        assert "\x1b" not in pane.text and "]52;c;cHduZWQ=]0;pwned title" in pane.text
        assert_inert(app, "playground reply")
        reply = pane.query("Markdown").last()
        blocks = [block for block in reply.query("*") if hasattr(block, "render_line") and block.size.height]
        clicked = 0
        for block in blocks:
            clicked += await click_every(pilot, block, ("the docs", "deploy me", "quit now"))
        assert clicked >= 2
        assert app.is_running and not opened
    assert not hostile.created("pwned-dep")


# --- the CLI -----------------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def holds(data, text: str) -> bool:
    """Whether a string somewhere in JSON `data` holds `text`."""
    if isinstance(data, dict):
        return any(holds(v, text) for v in data.values())
    if isinstance(data, list):
        return any(holds(v, text) for v in data)
    return isinstance(data, str) and text in data


def assert_printed_as_is(printed: str) -> None:
    assert not [c for c in CONTROL_CHARS if c in printed], printed
    assert all(piece in printed for piece in LITERAL), printed


@pytest.mark.parametrize("command", [
    ("files", "list"), ("jobs", "list"), ("deployments", "list"),
    ("files", "show", "FILE"), ("jobs", "show", "JOB"), ("jobs", "events", "JOB"), ("jobs", "checkpoints", "JOB"),
    ("deployments", "show", "pirate-support"),
    ("jobs", "cancel", "JOB"),  # refused: the service's error line
])
def test_cli_prints_service_strings_without_controls(hostile, capsys, command):
    code, listed = run_cli(capsys, "files", "list", "--json")
    file_id = next(f["id"] for f in json.loads(listed) if HOSTILE_FILE in f["filename"])
    code, listed = run_cli(capsys, "jobs", "list", "--json")
    job_id = next(j["id"] for j in json.loads(listed) if j["status"] == "succeeded")
    argv = [{"FILE": file_id, "JOB": job_id}.get(word, word) for word in command]
    code, printed = run_cli(capsys, *argv)
    if command[:2] == ("jobs", "cancel"):
        assert code != 0 and "ftdeck: " in printed
    assert_printed_as_is(printed)
    if command == ("deployments", "list"):
        assert inert_line(NAME).strip() in printed

    lines = printed.splitlines()

    code, printed = run_cli(capsys, *argv, "--json")
    assert not [c for c in CONTROL_CHARS if c in printed], printed
    if code == 0:
        assert holds(json.loads(printed), HOSTILE)  # nothing lost: escaped, not dropped
    if command[:2] in (("jobs", "events"), ("files", "list"), ("jobs", "list")):  # one line each, the table's header too
        assert len(lines) == len(json.loads(printed)) + (command[1] == "list")


def test_cli_as_a_process_writes_no_control_byte(hostile):
    """The bytes a terminal would get from `ftdeck files list` and `ftdeck chat`."""
    for argv in (["files", "list"], ["chat", "gpt-4o-mini" + NAME, "Hi", "--no-system-from-training"]):
        done = subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        for stream in (done.stdout, done.stderr):
            assert not [b for b in (b"\x1b", b"\x07", b"\xc2\x9b", b"\x00") if b in stream], stream
        assert "deploy me[/]".encode() in done.stdout


def test_cli_table_rows_stay_one_line_each(hostile, capsys):
    code, printed = run_cli(capsys, "deployments", "list")
    assert code == 0
    rows = printed.strip().splitlines()
    assert len(rows) == 3 and all(row.startswith(("NAME", "pirate-support", "gpt-4o-mini")) for row in rows)


def test_cli_chat_streams_a_reply_without_controls(hostile, capsys):
    code, printed = run_cli(capsys, "chat", "gpt-4o-mini" + NAME, "Where be my invoice?", "--no-system-from-training")
    assert code == 0, printed
    assert not [c for c in CONTROL_CHARS if c in printed], printed
    assert f"Arr {ACTIONS} ]52;c;cHduZWQ=]0;pwned title see [the docs](https://example.invalid/docs)" in printed


def test_data_validate_quotes_a_hostile_key_without_controls(tmp_path, capsys):
    records = chat_examples(12)
    records[3][UNKNOWN_KEY] = 1
    path = tmp_path / "notes [draft] x[b].jsonl"
    path.write_bytes(jsonl(records))
    code, printed = run_cli(capsys, "data", "validate", str(path))
    assert code == 1
    assert "line 4: unknown key '[@click=app.quit]]0;pwned title[/]' next to 'messages'" in printed
    assert not [c for c in CONTROL_CHARS if c in printed], printed
    code, printed = run_cli(capsys, "data", "validate", str(path), "--json")
    assert not [c for c in CONTROL_CHARS if c in printed], printed
    assert holds(json.loads(printed), UNKNOWN_KEY)

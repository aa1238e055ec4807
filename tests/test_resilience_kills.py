"""Resilience to being killed: nothing the user typed is lost when ftdeck dies, and a service killed
mid-request comes back whole.

- The TUI, SIGKILLed in the playground after a reply with a prompt typed and not sent, then
  mid-reply: started again, the playground has the conversation and the prompt back, and every
  file it saved reads (written atomically: never half). Killed mid-reply with another prompt
  typed, it keeps both: the turn being answered, its replies marked interrupted for `R` to ask
  again, and the new prompt in the box. Its terminal closed under it with no SIGHUP, it exits
  (129), saving the prompt being typed.
- The emulator, SIGKILLed while `ftdeck files upload` sends a file (and `ftdeck jobs create`
  creates a job at about the same moment), then restarted on the same data dir and port: listing
  works, and ftdeck's retries end with the file whole and the job, once each.

The TUI runs as a user runs it: `python -m tui` on a pseudo-terminal of its own (bench/harness.py's
Terminal), keys written to it and what it draws read back without escape sequences.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bench.harness import Terminal
from services import playground
from tests.conftest import EmulatorProcess, chat_examples, jsonl, upload, wait_for
from tests.test_playground import train_and_deploy
from tests.test_resilience import BASE, cli_env

SPEED = 0.2  # the chat emulator's clock: 150 ms a streamed token, so a reply streams for two seconds or so
CONSOLE_FOCUSED = "/ Filter  ^r Refresh" + " " * 30  # the footer once the console has the keys: no letter keys


@pytest.fixture(scope="module")
def chat_emulator(tmp_path_factory):
    """A fine-tuned model deployed as kill-ft, its base as kill-base (trained at speed 100), served
    at a speed where replies take a while."""
    data_dir = tmp_path_factory.mktemp("chat")
    with EmulatorProcess(data_dir) as fast:
        train_and_deploy(fast, "kill")
    with EmulatorProcess(data_dir, speed=SPEED) as slow:
        yield slow


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """The user's home for ftdeck; this process reads what ftdeck saved there."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def ftdeck(emulator: EmulatorProcess, home: Path, *args: str) -> Terminal:
    return Terminal([sys.executable, "-m", "tui", *args], {**cli_env(emulator.url, home), "TERM": "xterm-256color"})


def type_in(terminal: Terminal, text: str) -> None:
    """Type, then wait until it is drawn (keys sent together with Enter would read as a paste)."""
    terminal.press(text.encode())
    terminal.wait_for([text])


def open_playground(terminal: Terminal, deployment: str) -> None:
    terminal.wait_for([deployment])  # the deck has listed it
    terminal.press(b":")
    terminal.wait_for([CONSOLE_FOCUSED])
    type_in(terminal, f"/chat {deployment}")
    terminal.press(b"\r")
    terminal.wait_for(["⏎ Send"])  # the playground's footer


@contextlib.contextmanager
def stopped(process_of) -> Iterator[None]:
    """The process stands still (SIGSTOP) inside the block: whatever it serves waits for the test,
    not for the machine's speed."""
    os.kill(process_of.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process_of.process.pid, signal.SIGCONT)


def kill(terminal: Terminal) -> None:
    os.kill(terminal.process.pid, signal.SIGKILL)
    terminal.process.wait(timeout=10)


def receiving_an_upload(emulator: EmulatorProcess) -> bool:
    """Whether the emulator is taking in a big request body: starlette spools one of over 1 MB to
    an unlinked temporary file, open until the request is answered."""
    for fd in Path(f"/proc/{emulator.process.pid}/fd").iterdir():
        try:
            if os.readlink(fd).endswith("(deleted)"):
                return True
        except OSError:  # closed meanwhile
            continue
    return False


def saved() -> playground.Conversation | None:
    """The conversation ftdeck saved last; every file it saved must read."""
    for path in playground.playground_dir().glob("*.json"):
        playground.load(path)  # raises on a half-written file
    return playground.load_last()


def test_killing_the_tui_mid_chat_loses_neither_the_conversation_nor_the_prompt_being_typed(chat_emulator, home):
    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        type_in(deck, "where be the treasure")
        deck.press(b"\r")
        answered = wait_for(lambda: (c := saved()) and c.turns and all(c.turns[0].replies) and c)  # both replies streamed
        type_in(deck, "half a thought")
        wait_for(lambda: saved().draft == "half a thought")  # saved as it is typed
        kill(deck)
    first_turn = answered.turns[0]
    shown = ["where be the treasure", *(" ".join(reply.text.split()[:3]) for reply in first_turn.replies)]

    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        deck.wait_for([*shown, "half a thought"])  # the conversation, and the prompt back in the box
        with stopped(chat_emulator):  # the replies cannot finish, however slow this machine is
            deck.press(b"\r")  # send it
            wait_for(lambda: len(saved().turns) == 2)
            kill(deck)  # while both replies are under way
    killed = saved()
    assert killed.turns[0] == first_turn and killed.turns[1].prompt == "half a thought"
    assert killed.turns[1].replies == [None, None], "the replies had finished: the kill was not mid-reply"

    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        deck.wait_for([*shown, "half a thought"])  # the prompt the reply never came for is back in the box
        restored = wait_for(lambda: (c := saved()) and len(c.turns) == 1 and c)  # the screen keeps what it restored
    assert restored.turns == [first_turn] and restored.draft == "half a thought" and restored.id == answered.id


def test_a_prompt_sent_and_another_typed_both_survive_a_kill_mid_reply(chat_emulator, home):
    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        type_in(deck, "what be yer name")
        with stopped(chat_emulator):  # the replies cannot finish, however slow this machine is
            deck.press(b"\r")
            wait_for(lambda: (c := saved()) and c.turns)
            type_in(deck, "and yer ship")  # while the replies are under way
            wait_for(lambda: saved().draft == "and yer ship")
            assert saved().turns[0].replies == [None, None], "the replies had finished: the kill was not mid-reply"
            kill(deck)

    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        # This process never typed the first prompt: it is on screen only if restored, as a turn
        # whose replies say what happened, with the second prompt still in the box.
        deck.wait_for(["what be yer name", "interrupted: ftdeck stopped", "and yer ship"])
        restored = saved()
        assert [t.prompt for t in restored.turns] == ["what be yer name"] and restored.draft == "and yer ship"
        assert all(r.error and r.error.startswith("interrupted") and not r.text for r in restored.turns[0].replies)
        deck.press(b"\x1b")  # leave the box for the keys
        deck.wait_for(["r R Regen"])  # the footer once the keys are free
        deck.press(b"R")  # ask again on both sides
        answered = wait_for(lambda: (c := saved()) and all(r.text and not r.error for r in c.turns[0].replies) and c)
    assert [t.prompt for t in answered.turns] == ["what be yer name"] and answered.draft == "and yer ship"


def hang_up(terminal: Terminal) -> None:
    """Close the terminal under the program, sending no SIGHUP (its own session has no controlling
    terminal to send one): /dev/null takes the pty master's descriptor, so the reader stops at its
    end of file and the master's last copy is gone."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, terminal.master)
    os.close(devnull)


def test_ftdeck_exits_saving_what_was_typed_when_its_terminal_goes_away(chat_emulator, home):
    """Textual alone would keep reading end-of-file at full CPU, drawing for nobody, forever."""
    with ftdeck(chat_emulator, home) as deck:
        open_playground(deck, "kill-ft")
        type_in(deck, "typed then hung up")
        hang_up(deck)  # most often before the draft's own save (0.4 s after the last key): leaving saves it
        assert deck.process.wait(timeout=60) == 129  # as a shell reports a hangup (128 + SIGHUP)
    assert saved().draft == "typed then hung up"


def test_killing_the_emulator_mid_upload_leaves_it_whole_and_ftdeck_finishes_through_its_retries(fresh_emulator, tmp_path):
    emu = fresh_emulator()
    training = upload(emu.openai(), chat_examples(10)).id
    port = emu.url.rsplit(":", 1)[1]
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(chat_examples(20_000)))  # about 5 MB: the service takes a moment over it
    with ftdeck(emu, tmp_path, "files", "upload", str(path), "--no-validate", "--reuse", "no") as uploading, \
            ftdeck(emu, tmp_path, "jobs", "create", "--model", BASE, "--training-file", training, "--suffix", "crash") as creating:
        wait_for(lambda: receiving_an_upload(emu), interval=0.005)
        # ftdeck stands still while the emulator dies and comes back, so its retries meet the new
        # one however long that takes here; resumed, it finds its connections cut.
        with stopped(uploading), stopped(creating):
            emu.kill()
            again = EmulatorProcess(emu.data_dir, "--port", port)
        with again:
            assert again.url == emu.url
            for command in (uploading, creating):
                command.process.wait(timeout=120)
            client = again.openai()
            stored = [f for f in client.files.list() if f.filename == path.name]
            jobs = [j for j in client.fine_tuning.jobs.list(limit=100).data if j.suffix == "crash"]
            events = [e.message for j in jobs for e in client.fine_tuning.jobs.list_events(j.id, limit=100)]
            content = client.files.content(stored[0].id).content if stored else None

    assert len(stored) == 1 and len(jobs) == 1  # once each: what was cut off was sent again, nothing twice
    assert stored[0].bytes == path.stat().st_size and content == path.read_bytes()  # never half a file
    assert any(m.startswith("Job enqueued") for m in events)  # never half a job
    for command, made, said in ((uploading, stored, "uploaded"), (creating, jobs, "created")):
        last = command.text().strip().splitlines()[-1]
        assert command.process.returncode == 0 and last.startswith(f"{said} {made[0].id}"), command.text()[-1000:]
    # Cut off as it arrived, the upload got no answer: ftdeck looked for it, then sent it again.
    assert "sending it again" in uploading.text() or "the answer was lost, but the file arrived" in uploading.text()

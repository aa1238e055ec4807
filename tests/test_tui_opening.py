"""The built-in emulator started in a process of its own while the TUI draws (tui/opening.py): only
when the TUI will use it, found by the TUI as its folder's owner, and gone when the TUI is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import wait_for
from emulator import owner
from services.paths import emulator_data_dir
from tui import opening


@pytest.fixture
def nothing_configured(monkeypatch, tmp_path):
    """A user with no Azure variables, no profile and no config file: the TUI opens on `local`."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "FTDECK_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_it_starts_only_when_the_tui_will_open_the_built_in_emulator(nothing_configured, monkeypatch):
    config = nothing_configured / "config.toml"
    assert opening._only_local(None) and opening._only_local("local")
    assert not opening._only_local("work")
    config.write_text('default_profile = "work"\n')
    assert not opening._only_local(None) and opening._only_local("local")
    config.write_text('default_profile = "local"\n')
    assert opening._only_local(None)
    config.write_text("not = [toml\n")  # the TUI says what is wrong with it; nothing is started meanwhile
    assert not opening._only_local(None)
    config.unlink()
    for name, value in (("AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com"), ("FTDECK_PROFILE", "work"),
                        ("FTDECK_EMULATOR_SPEED", "50")):
        with monkeypatch.context() as changed:
            changed.setenv(name, value)
            assert not opening._only_local(None), name
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com")
    assert opening._only_local("local")  # asked for by name, whatever the environment says


def test_the_workspace_finds_it_and_it_stops_when_its_pipe_closes(nothing_configured):
    from services import jobs
    from services.workspace import open_workspace

    child = opening.start_emulator_early(None)
    assert child is not None
    folder = emulator_data_dir()
    try:
        wait_for(lambda: owner.live_owner(folder), timeout=60)  # seeding the demo takes a while the first time
        ws = open_workspace()
        try:
            assert ws.is_emulator and not ws.emulator.owns_data  # the child serves the folder
            assert any(j.get("suffix") for j in jobs.list_jobs(ws))  # the demo's jobs
        finally:
            ws.close()
    finally:
        opening.stop(child)
    assert child.wait(timeout=15) == 0
    assert owner.live_owner(folder) is None


def test_it_stops_when_the_tui_is_killed(nothing_configured):
    """However the TUI ends (here SIGKILL: no cleanup at all), its pipe closes and the emulator goes."""
    tui = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time
        from tui import opening
        opening.start_emulator_early(None)
        time.sleep(600)
    """)])
    folder = emulator_data_dir()
    try:
        found = wait_for(lambda: owner.live_owner(folder), timeout=60)
    finally:
        tui.send_signal(signal.SIGKILL)
        tui.wait(timeout=10)

    def gone() -> bool:
        try:
            os.kill(found.pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone, timeout=15)
    assert owner.claim(folder) is not None  # the folder is free for the next ftdeck


def test_ftdeck_opens_the_demo_with_it(nothing_configured):
    """`ftdeck` as a user starts it: the emulator's process serves the TUI, and ends with it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from harness import Terminal

    with Terminal([sys.executable, "-m", "tui"], dict(os.environ)) as terminal:
        terminal.wait_for(("pirate-support.jsonl",), timeout=90)  # the demo's dataset, in the Files pane
        serving = owner.live_owner(emulator_data_dir())
        assert serving is not None and serving.pid != terminal.process.pid
        terminal.quit()
    wait_for(lambda: owner.live_owner(emulator_data_dir()) is None, timeout=15)

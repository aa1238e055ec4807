"""Secrets in the TUI: the built-in emulator's key (random, per run) never shows on screen, in the
console's API-call log, in a playground transcript or in anything ftdeck writes to disk but one
file: while ftdeck runs, the emulator's `owner.json` (0600, in its 0700 data folder, next to the data
the key guards) hands it to the other ftdeck processes of this user, which talk to this one's
emulator rather than open its data themselves; it is removed when ftdeck stops."""

from __future__ import annotations

import os
import stat

from tests.conftest import wait_until
from tui.app import make_app
from tui.screens.playground import PlaygroundScreen


async def test_the_key_never_shows_on_screen_in_the_call_log_or_on_disk(monkeypatch, tmp_path):
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("FTDECK_EMULATOR_SPEED", "50")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None and "pirate-support" in app.resources["deployments"], timeout=60)
        key = app.workspace.profile.api_key.get_secret_value()
        assert len(key) >= 16  # a real secret to look for
        owner = tmp_path / "data" / "ftdeck" / "emulator" / "owner.json"
        assert key in owner.read_text() and stat.S_IMODE(owner.stat().st_mode) == 0o600
        assert stat.S_IMODE(owner.parent.stat().st_mode) == 0o700
        await pilot.press("colon", *"/calls", "enter")
        await pilot.pause(0.3)
        screens = [app.export_screenshot()]
        log = app.api_log
        assert log.count > 0 and not log.collapsed

        await pilot.press("escape", "4")
        table = app.query_one("#deployments")
        table.move_cursor(row=[k.value for k in table.rows].index("pirate-support"))
        await pilot.pause()
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, PlaygroundScreen))
        screen = app.screen
        await wait_until(pilot, lambda: all(s.deployment in screen.training for s in screen.conversation.sides))
        await pilot.press(*"Where be my invoice?", "enter")
        await wait_until(pilot, lambda: not screen.busy, timeout=60)
        await pilot.press("escape", "m")  # the Markdown transcript
        await pilot.pause(0.3)
        screens.append(app.export_screenshot())

    assert all(key not in svg for svg in screens)
    written = [path for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert any(path.suffix == ".md" for path in written)  # the transcript was written, and is checked
    assert not owner.exists()
    for path in written:
        assert key.encode() not in path.read_bytes(), path

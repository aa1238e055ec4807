"""The built-in emulator, started in a process of its own while the TUI draws its first frame.

On the `local` profile the deck shows the built-in emulator's demo. Started inside the TUI, the
emulator (uvicorn, its database, the demo) shares one interpreter lock with Textual: its start-up
and every answer it gives wait on the screen, and the other way round. Started first, as
`ftdeck emulator --demo` in a child process, it gets ready on another CPU while Textual is imported
and the first frame drawn; it owns the emulator's data folder as the TUI would have, and the TUI
finds it there (emulator/owner.py) like any ftdeck process does. Its stdin is a pipe from the TUI:
when the TUI ends, however it ends, the pipe closes and the emulator stops.

Only when nothing else is configured (no --profile, FTDECK_PROFILE, AZURE_OPENAI_ENDPOINT nor default
profile; no FTDECK_EMULATOR_* setting, which the in-process start reads and checks). Whatever goes
wrong here only loses the head start: the TUI then starts the emulator itself, as before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STOP_WHEN_STDIN_CLOSES = "--stop-when-stdin-closes"  # `ftdeck emulator`'s hidden option for this
EMULATOR_NICENESS = 10


def start_emulator_early(profile: str | None) -> subprocess.Popen | None:
    """The emulator's process, or None when the TUI will not use the built-in emulator."""
    if not _only_local(profile):
        return None
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "tui", "emulator", "--demo", STOP_WHEN_STDIN_CLOSES],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # ctrl+c and the terminal's hangup are the TUI's to handle
            env={**os.environ, "FTDECK_EMULATOR_API_KEY": os.urandom(24).hex()},  # a key of its own, as secrets.token_hex makes it (secrets' import costs the first frame)
        )
    except OSError:
        return None
    try:  # the screen first: the emulator gets what CPU the TUI leaves (measured: both come sooner)
        os.setpriority(os.PRIO_PROCESS, child.pid, EMULATOR_NICENESS)
    except (AttributeError, OSError):
        pass
    return child


def stop(emulator: subprocess.Popen | None) -> None:
    """Close its pipe: it stops by itself (not waited for: quitting stays instant)."""
    if emulator is not None and emulator.stdin is not None:
        try:
            emulator.stdin.close()
        except OSError:
            pass


def _only_local(profile: str | None) -> bool:
    """Whether services.config.resolve_profile will choose `local` (--profile, else FTDECK_PROFILE,
    else the file's default, else the environment's endpoint), read without pydantic, whose import
    would come before the first frame; unsure means no."""
    if any(name.upper().startswith("FTDECK_EMULATOR_") for name in os.environ):
        return False
    name = profile or os.environ.get("FTDECK_PROFILE")
    if name is None:
        from services.paths import config_dir

        path = Path(os.environ.get("FTDECK_CONFIG") or config_dir() / "config.toml")
        try:
            text = path.read_text(encoding="utf-8") if path.exists() else None
        except OSError:
            return False
        if text is not None:
            import tomllib  # only when there is a file to read

            try:
                name = tomllib.loads(text).get("default_profile")
            except ValueError:
                return False
    if name is None:
        return os.environ.get("AZURE_OPENAI_ENDPOINT") is None
    return name == "local"

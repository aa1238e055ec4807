"""Where ftdeck keeps things on this machine (platformdirs' per-user folders)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "ftdeck"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def emulator_data_dir() -> Path:
    """The built-in emulator's state (the `local` profile)."""
    return data_dir() / "emulator"

"""When ftdeck last called each deployment. Azure does not say when a deployment was last used,
but deletes fine-tuned ones after 15 idle days; ftdeck remembers its own calls so it can say
how many days are left at most."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from services.atomic_write import write_atomically
from services.paths import data_dir

# Reading, changing and writing the file is one step: both playground sides record from their own
# threads, and other ftdeck processes (the CLI beside the TUI) share the file.
_in_this_process = threading.Lock()


def _path() -> Path:
    return data_dir() / "deployment-calls.json"


def _read() -> dict[str, float]:
    try:
        calls = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return calls if isinstance(calls, dict) else {}


@contextlib.contextmanager
def _one_writer() -> Iterator[Path]:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _in_this_process, FileLock(path.with_name(path.name + ".lock")):
        yield path


def record_call(endpoint: str, deployment: str, when: float | None = None) -> None:
    with _one_writer() as path:
        calls = _read()
        calls[f"{endpoint}|{deployment}"] = when or time.time()
        write_atomically(path, json.dumps(calls))


def last_call(endpoint: str, deployment: str) -> float | None:
    return _read().get(f"{endpoint}|{deployment}")


def last_calls(endpoint: str) -> dict[str, float]:
    """Every deployment of this endpoint ftdeck has called, and when: one read for a whole list."""
    prefix = f"{endpoint}|"
    return {key.removeprefix(prefix): when for key, when in _read().items() if key.startswith(prefix)}

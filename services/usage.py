"""When ftdeck last called each deployment. Azure does not say when a deployment was last used,
but deletes fine-tuned ones after 15 idle days; ftdeck remembers its own calls so it can say
how many days are left at most."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from services.paths import data_dir


def _path() -> Path:
    return data_dir() / "deployment-calls.json"


def _read() -> dict[str, float]:
    try:
        return json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_call(endpoint: str, deployment: str, when: float | None = None) -> None:
    calls = _read()
    calls[f"{endpoint}|{deployment}"] = when or time.time()
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".calls.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(calls, f)
    os.replace(tmp, path)


def last_call(endpoint: str, deployment: str) -> float | None:
    return _read().get(f"{endpoint}|{deployment}")


def last_calls(endpoint: str) -> dict[str, float]:
    """Every deployment of this endpoint ftdeck has called, and when: one read for a whole list."""
    prefix = f"{endpoint}|"
    return {key.removeprefix(prefix): when for key, when in _read().items() if key.startswith(prefix)}

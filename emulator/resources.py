"""Small pieces every resource shares: ids, timestamps and the private fields bodies carry."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone


_ids = random.Random()


def seed_ids(seed: int, after: int = 0) -> None:
    """Make ids repeat from run to run (screenshots, snapshot tests). `after` counts the rows a
    store ever held: a store that holds some gets a sequence of its own, not the one it used."""
    global _ids
    _ids = random.Random(seed if after == 0 else f"{seed}:{after}")


def request_id() -> str:
    """Ids of requests and replies: never seeded, so how many calls were made can't shift the resource ids."""
    return uuid.uuid4().hex


def new_id(prefix: str) -> str:
    """`file-`, `ftjob-`, `ftevent-`, `ftchkpt-`: the prefix then 32 hex digits, as Azure names them."""
    return f"{prefix}{_ids.getrandbits(128):032x}"


def public(body: dict) -> dict:
    """A stored body without the emulator's own bookkeeping (keys starting with `_`)."""
    return {k: v for k, v in body.items() if not k.startswith("_")}


def iso(timestamp: float) -> str:
    """ARM's timestamp format: `2024-10-21T09:30:00.000000Z`."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

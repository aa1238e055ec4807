"""Counts said as people say them: `1 example`, `3 examples`."""

from __future__ import annotations


def count(n: int, thing: str, things: str | None = None) -> str:
    """`n` with `thing`, plural unless n is 1 (`things` where adding an s is wrong)."""
    return f"{n:,} {thing}" if n == 1 else f"{n:,} {things or thing + 's'}"

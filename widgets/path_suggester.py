"""Completion of filesystem paths in an Input, the way a shell's Tab completes them: the typed
folder is listed and the last name is extended as far as the matches agree, else to the first
match. Folders end with "/" so the next completion goes inside them.

Textual 8.2.8 ships only `SuggestFromList`, hence this one."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester

from services.outside_text import inert


class PathSuggester(Suggester):
    def __init__(self, suffixes: tuple[str, ...] = ()) -> None:
        """`suffixes` ranks matching files (say `.jsonl`) first; others are still offered."""
        # No cache: files come and go while the dialog is open.
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = suffixes

    async def get_suggestion(self, value: str) -> str | None:
        # Listing a folder can block (network mounts, huge folders): not on the event loop.
        return await asyncio.to_thread(complete_path, value, self.suffixes)


def complete_path(value: str, suffixes: tuple[str, ...] = ()) -> str | None:
    """`value` extended to the next completion, or None when there is none. What was typed is
    kept as typed ("~" stays "~"), since the Input shows only the part after it."""
    if not value:
        return None
    if value == "~":
        return "~/"
    folder, _, partial = value.rpartition("/")
    where = os.path.expanduser(folder + "/") if (folder or value.startswith("/")) else "."
    try:
        with os.scandir(where) as entries:
            # A name holding control characters is not offered: an Input prints them to the terminal as they are.
            names = [(e.name, _is_folder(e)) for e in entries if e.name.startswith(partial) and inert(e.name) == e.name]
    except OSError:
        return None
    if not partial.startswith("."):
        names = [(name, is_folder) for name, is_folder in names if not name.startswith(".")]
    wanted = [(n, f) for n, f in names if f or n.endswith(suffixes)] if suffixes else names
    names = wanted or names
    if not names:
        return None
    common = os.path.commonprefix([name for name, _ in names])
    if len(names) > 1 and len(common) > len(partial):
        completion = common
    else:
        name, is_folder = min(names, key=lambda n: (len(n[0]), n[0]))  # "train.jsonl" before "train-2.jsonl"
        completion = name + ("/" if is_folder else "")
    return value + completion[len(partial):] if len(completion) > len(partial) else None


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False

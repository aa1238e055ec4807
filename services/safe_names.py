"""Names from outside (the file name a service gives, a job id) turned into a file name ftdeck can
write inside the folder the user chose: never a path that leads somewhere else.

Only the last part of a path is kept (a service may say `../../x` or `/abs/x`, with either
slash), a leading dot is dropped (a download should not make a hidden file such as `.bashrc`), and
what is left is refused when it cannot be a plain file name: empty, `.`, `..`, control or
text-direction characters, too long. Whenever the name changed, `note` says how, so the user
learns which file to look for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.errors import FtdeckError

SEPARATORS = re.compile(r"[\\/]")  # both: a Windows-style name must not become a path on Windows
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LONGEST = 255  # bytes: the limit of common file systems (ext4, APFS, NTFS counts characters)


class UnsafeName(FtdeckError):
    """An outside name that cannot be made into a file name; the message says which and why."""


@dataclass(frozen=True)
class SafeName:
    name: str  # a single path component, safe to join to the chosen folder
    note: str | None = None  # how and why it differs from the outside name; None when used as given


def safe_file_name(outside: str, named: str = "the service named it") -> SafeName:
    """A plain file name made from `outside`, or UnsafeName. `named` starts the note and the
    refusal ("the service named it '../../x'")."""
    changes = []
    name = SEPARATORS.split(outside)[-1]
    if name != outside:
        changes.append("only the last part of a path is used")
    if name not in (".", "..") and name.startswith("."):
        name = name.lstrip(".")
        changes.append("a leading dot would hide it")
    reason = _unusable(name)
    if reason:
        raise UnsafeName(f"{named} {_shown(outside)}, which cannot be a file name here ({reason}): nothing written")
    return SafeName(name, f"{named} {_shown(outside)}; {', '.join(changes)}" if changes else None)


def _shown(outside: str) -> str:
    """Quoted with its control characters escaped (repr), and not too long to read."""
    return repr(outside) if len(outside) <= 160 else repr(outside[:160]) + "…"


def _unusable(name: str) -> str | None:
    if name in (".", ".."):
        return f"{name!r} names a folder"
    if not name.strip():
        return "no name is left"
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI_CONTROLS:
            return f"it holds the control character {char!r}"
    if len(name.encode("utf-8", "surrogatepass")) > LONGEST:
        return f"longer than {LONGEST} bytes"
    return None

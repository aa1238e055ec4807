"""Text ftdeck did not write (service answers, file names, training data, model replies) made safe to
put on a terminal: without control characters, a string cannot move the cursor, recolour the
screen, retitle the window, ring the bell or write to the clipboard (OSC 52).

Plain str functions, for the CLI and the widgets alike; markup is the widgets' concern
(widgets/markup.py), since only Textual reads it."""

from __future__ import annotations

import json
import re
from typing import Any

# C0 (but newline and tab), DEL and C1: ESC starts CSI/OSC sequences, and some terminals read a
# lone C1 byte such as U+009B as CSI too. Carriage return goes as well: it lets a line overwrite itself.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What json.dumps(ensure_ascii=False) leaves raw: it escapes only C0.
RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def inert(text: object) -> str:
    """`text` as it may be printed: every control character removed but newline and tab."""
    return CONTROLS.sub("", str(text))


def inert_line(text: object) -> str:
    """`text` on one line (a table cell, a list row): newlines and tabs become spaces too, so a
    name cannot fake a row of its own."""
    return inert(text).replace("\n", " ").replace("\t", " ")


def inert_json(data: Any) -> str:
    """Pretty JSON whose strings keep every character, the control ones escaped (\\u009b)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return RAW_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)

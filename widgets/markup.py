"""Showing outside text (service answers, file names, training data) in the widgets: shown as it is,
never read as markup, control characters removed (services.outside_text).

Widgets never put outside text into a markup string themselves: a `[/]` in a job error would end
the app with MarkupError, a trailing backslash escapes the next tag, and an `[@click=...]` in a
model name would run an action when clicked. They pass `literal()` text, or `markup()` with the
outside values in `$name` slots, which Textual fills in as plain text."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from services.outside_text import inert, inert_line


def literal(text: object) -> Content:
    """Outside text as a widget shows it: as it is, controls removed."""
    return Content(inert(text))


def literal_line(text: object) -> Text:
    """Outside text for one line (a table cell, a choice in a list), as a Rich Text."""
    return Text(inert_line(text), end="")


def markup(template: str, **values: object) -> Content:
    """ftdeck's own `template` markup, with each `$name` in it filled in with `values[name]` shown
    literally: `markup("[b]$name[/b] $state", name=..., state=...)`."""
    return Content.from_markup(template, **{name: inert(value) for name, value in values.items()})


def lines(*parts: Content) -> Content:
    """Lines of Content joined into one."""
    return Content("\n").join(parts)

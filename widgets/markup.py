"""Showing text from the service or the user inside Textual markup."""


def plain(text: object) -> str:
    """Text shown as it is: textual.markup.escape lets tags like [JOB] or [PATH] through."""
    return str(text).replace("[", "\\[")

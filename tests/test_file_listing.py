"""Listing files from the JSON itself gives what the SDK's models gave, page after page."""

from __future__ import annotations

from services.files import list_files
from services.workspace import open_workspace
from tests.conftest import PREVIEW, chat_examples, upload


def test_files_are_listed_as_the_sdk_dumps_them_on_one_page_or_many(configured, monkeypatch):
    client = configured
    monkeypatch.setenv("OPENAI_API_VERSION", PREVIEW)  # Files_List pages from 2025-04-01-preview (2024-10-21 does not)
    for n in (3, 4, 5):
        upload(client, chat_examples(n))
    ws = open_workspace(None)
    try:
        everything = list_files(ws)
        assert len(everything) >= 3
        assert [list(f.items()) for f in everything] == [list(f.model_dump().items()) for f in client.files.list()]
        pages: list = []
        ws.calls.subscribe(pages.append)
        assert list_files(ws, page_size=2) == everything  # the SDK's paging: after the last id while has_more
        assert len(pages) >= len(everything) / 2
        assert list_files(ws, "fine-tune") == [f.model_dump() for f in client.files.list(purpose="fine-tune")]
    finally:
        ws.close()

"""Files API of the emulator, driven with the official openai SDK over real HTTP."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import API_KEY, chat_examples, jsonl, upload


def test_upload_answers_201_pending_then_processed(frozen_emulator):
    """On a frozen clock, so `pending` lasts until the test moves it on (at speed 100 it lasted 10 ms)."""
    client = frozen_emulator.openai(max_retries=0)
    raw = client.files.with_raw_response.create(file=("train.jsonl", jsonl(chat_examples(12))), purpose="fine-tune")
    assert raw.http_response.status_code == 201
    assert raw.headers["location"].startswith("/openai/files/file-")
    created = raw.parse()
    assert created.status == "pending"
    assert created.id.startswith("file-") and len(created.id) == len("file-") + 32
    frozen_emulator.advance(1.01)  # emulator.files.STAGE_SECONDS
    assert client.files.retrieve(created.id).status == "running"
    frozen_emulator.advance(1.0)
    processed = client.files.wait_for_processing(created.id, poll_interval=0.05)
    assert processed.status == "processed"
    assert processed.bytes == len(jsonl(chat_examples(12)))
    assert client.files.content(created.id).content == jsonl(chat_examples(12))


def test_bad_line_puts_file_in_error_naming_the_line(client):
    content = jsonl(chat_examples(3)) + b'{"messages": [{"role": "bot", "content": "hi"}]}\n'
    failed = upload(client, content)
    assert failed.status == "error"
    assert "Line 4" in failed.status_details
    assert "bot" in failed.status_details


def test_bom_is_accepted(client):
    assert upload(client, b"\xef\xbb\xbf" + jsonl(chat_examples(10))).status == "processed"


def test_list_pages_with_after_limit_order_and_purpose(emulator, client):
    http = emulator.http()
    ids = [upload(client, chat_examples(10), name=f"page-{i}.jsonl").id for i in range(5)]
    newest_first = [f["id"] for f in http.get("/openai/files", params={"purpose": "fine-tune"}).json()["data"]]
    assert newest_first[:5] == ids[::-1]

    page = http.get("/openai/files", params={"limit": 2, "purpose": "fine-tune"}).json()
    assert page["has_more"] is True and [f["id"] for f in page["data"]] == ids[::-1][:2]
    following = http.get("/openai/files", params={"limit": 2, "after": page["data"][-1]["id"], "purpose": "fine-tune"}).json()
    assert [f["id"] for f in following["data"]] == ids[::-1][2:4]

    oldest_first = [f["id"] for f in http.get("/openai/files", params={"order": "asc", "purpose": "fine-tune"}).json()["data"]]
    assert oldest_first.index(ids[0]) < oldest_first.index(ids[4])
    assert http.get("/openai/files", params={"purpose": "fine-tune-results"}).json()["has_more"] is False
    # The SDK walks every page by itself.
    assert set(ids) <= {f.id for f in client.files.list(purpose="fine-tune")}


def test_delete_then_gone(client):
    created = upload(client, chat_examples(10))
    deleted = client.files.delete(created.id)
    assert deleted.deleted is True and deleted.id == created.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


# Imports (from the operator's --import-dir only, or https with --allow-url-import): test_emulator_safety.py


def test_wrong_key_is_401_with_azure_body(emulator):
    from openai import AzureOpenAI

    bad = AzureOpenAI(azure_endpoint=emulator.url, api_key="nope", api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        bad.files.list()
    assert raised.value.status_code == 401
    assert "Access denied due to invalid subscription key" in raised.value.message


def test_bearer_token_is_accepted(emulator):
    response = emulator.http().get("/openai/files", headers={"api-key": "", "Authorization": "Bearer test-key"})
    assert response.status_code == 200


def test_missing_api_version_is_404_like_azure(emulator):
    response = httpx.get(emulator.url + "/openai/files", headers={"api-key": API_KEY})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_served_api_versions_are_accepted_and_others_refused(emulator):
    # Which ones, and why: emulator/api_versions.py; tests/test_emulator_api_versions.py covers each rule.
    for version in ("2023-05-15", "2024-10-21", "2025-04-01-preview"):
        assert emulator.http().get("/openai/files", params={"api-version": version}).status_code == 200
    for version in ("latest", "2099-01-01", "2023-12-01-preview"):
        assert emulator.http().get("/openai/files", params={"api-version": version}).status_code == 400

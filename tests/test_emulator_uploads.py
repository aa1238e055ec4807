"""The emulator's Uploads API (emulator/uploads.py), driven by the official openai SDK over HTTP."""

from __future__ import annotations

import hashlib

import openai
import pytest

from tests.conftest import chat_examples, jsonl


def _parts(content: bytes, size: int) -> list[bytes]:
    return [content[i:i + size] for i in range(0, len(content), size)]


def test_parts_sent_out_of_order_become_one_file_in_the_order_completed(frozen_emulator):
    client = frozen_emulator.openai(api_version="2024-10-21", max_retries=0)
    content = jsonl(chat_examples(12))
    upload = client.uploads.create(bytes=len(content), filename="big.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    assert (upload.object, upload.status, upload.bytes) == ("upload", "pending", len(content))
    assert upload.expires_at - upload.created_at == 2 * 3600  # the 2024-10-21 spec: two hours
    chunks = _parts(content, 700)
    sent = {i: client.uploads.parts.create(upload.id, data=chunk) for i, chunk in reversed(list(enumerate(chunks)))}
    assert all(part.upload_id == upload.id and part.object == "upload.part" for part in sent.values())
    done = client.uploads.complete(upload.id, part_ids=[sent[i].id for i in range(len(chunks))],
                                   md5=hashlib.md5(content).hexdigest())
    assert done.status == "completed" and done.file.filename == "big.jsonl" and done.file.bytes == len(content)
    assert client.files.content(done.file.id).content == content
    frozen_emulator.advance(2.01)
    assert client.files.retrieve(done.file.id).status == "processed"
    assert [f.id for f in client.files.list().data] == [done.file.id]  # one file, nothing else


def test_completing_checks_the_size_and_the_md5(frozen_emulator):
    client = frozen_emulator.openai(api_version="2024-10-21", max_retries=0)
    content = jsonl(chat_examples(10))
    upload = client.uploads.create(bytes=len(content), filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    first, rest = content[:500], content[500:]
    part = client.uploads.parts.create(upload.id, data=first)
    with pytest.raises(openai.BadRequestError, match="500 bytes; the upload was started for"):
        client.uploads.complete(upload.id, part_ids=[part.id])
    second = client.uploads.parts.create(upload.id, data=rest)
    with pytest.raises(openai.BadRequestError, match="MD5"):
        client.uploads.complete(upload.id, part_ids=[part.id, second.id], md5=hashlib.md5(b"other").hexdigest())
    with pytest.raises(openai.BadRequestError, match="not a part"):
        client.uploads.complete(upload.id, part_ids=[part.id, "uplprt-nope"])
    assert client.files.list().data == []
    assert client.uploads.complete(upload.id, part_ids=[part.id, second.id]).status == "completed"
    with pytest.raises(openai.ConflictError, match="completed"):
        client.uploads.parts.create(upload.id, data=b"more")


def test_an_upload_expires_after_two_hours_and_a_cancelled_one_takes_nothing(frozen_emulator):
    client = frozen_emulator.openai(api_version="2024-10-21", max_retries=0)
    upload = client.uploads.create(bytes=10, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    client.uploads.parts.create(upload.id, data=b"0123456789")
    frozen_emulator.advance(2 * 3600)
    with pytest.raises(openai.ConflictError, match="expired"):
        client.uploads.parts.create(upload.id, data=b"x")
    other = client.uploads.create(bytes=3, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    assert client.uploads.cancel(other.id).status == "cancelled"
    with pytest.raises(openai.ConflictError, match="cancelled"):
        client.uploads.complete(other.id, part_ids=["x"])
    with pytest.raises(openai.NotFoundError):
        client.uploads.parts.create("fine-tune-nope", data=b"x")


def test_the_start_is_checked_and_old_versions_have_no_uploads(frozen_emulator):
    client = frozen_emulator.openai(api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="9 GB"):
        client.uploads.create(bytes=10 * 1024**3, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    with pytest.raises(openai.BadRequestError, match="bytes"):
        client.uploads.create(bytes=0, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    old = frozen_emulator.openai(api_version="2024-02-01", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        old.uploads.create(bytes=3, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune")
    assert frozen_emulator.openai(api_version="2024-08-01-preview").uploads.create(
        bytes=3, filename="t.jsonl", mime_type="application/jsonl", purpose="fine-tune").status == "pending"

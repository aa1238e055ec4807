"""Large files in parts (services/uploads.py) against the real emulator: the real CLI killed between
parts and run again resumes the same upload; an expired upload starts over; nothing is duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import chat_examples, jsonl, wait_for
from tests.test_cli import as_json, env_for, ftdeck


def saved_uploads(home: Path) -> list[dict]:
    folder = home / "data" / "ftdeck" / "uploads"
    found = []
    for entry in folder.glob("*.json") if folder.is_dir() else []:
        try:
            found.append(json.loads(entry.read_text()))
        except ValueError:  # never half-written (atomic), but read while being replaced
            pass
    return found


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(chat_examples(120)))  # ~30 KB: 30 parts of 1 KB
    return path


def in_process(env: dict, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from services.workspace import open_workspace

    return open_workspace()


def test_killed_between_parts_the_next_run_resumes_the_same_upload(frozen_emulator, tmp_path, big, monkeypatch):
    env = env_for(frozen_emulator, tmp_path)
    cli = subprocess.Popen([sys.executable, "-m", "tui", "files", "upload", str(big), "--part-size", "1KB",
                            "--reuse", "no", "--no-wait", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: any(len(s["parts"]) >= 3 for s in saved_uploads(tmp_path)), timeout=60, interval=0.005)
    finally:
        os.kill(cli.pid, signal.SIGKILL)
        cli.communicate()
    [interrupted] = saved_uploads(tmp_path)
    total = -(-big.stat().st_size // 1024)
    assert 3 <= len(interrupted["parts"]) < total, "killed mid-way"
    client = frozen_emulator.openai(api_version="2024-10-21")
    assert client.files.list().data == []  # nothing made of the parts yet

    from services.files import upload_file

    heard: list[str] = []
    ws = in_process(env, monkeypatch)
    result = upload_file(ws, big, in_parts=True, part_bytes=1024, wait=False, on_status=heard.append)
    assert f"resuming upload {interrupted['upload_id']}: {len(interrupted['parts'])} part(s) already sent" in heard
    sent_now = [h for h in heard if h.startswith("part ")]
    assert len(sent_now) <= total - len(interrupted["parts"]) + 1  # only what was missing (one may have been in flight)
    assert [f.id for f in client.files.list().data] == [result.file["id"]]  # one file
    assert client.files.content(result.file["id"]).content == big.read_bytes()  # whole, each part once, in order
    assert saved_uploads(tmp_path) == []  # nothing left to resume


def test_an_expired_upload_starts_over(frozen_emulator, tmp_path, big, monkeypatch):
    from services.files import upload_file

    ws = in_process(env_for(frozen_emulator, tmp_path), monkeypatch)

    def interrupt(status: str) -> None:
        if status.startswith("part 2/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload_file(ws, big, in_parts=True, part_bytes=4096, wait=False, on_status=interrupt)
    [first] = saved_uploads(tmp_path)
    frozen_emulator.advance(2 * 3600)  # the upload's two hours are up on the service
    heard: list[str] = []
    result = upload_file(ws, big, in_parts=True, part_bytes=4096, wait=False, on_status=heard.append)
    assert any(h.startswith(f"upload {first['upload_id']} is expired: starting over") for h in heard), heard
    client = frozen_emulator.openai(api_version="2024-10-21")
    assert [f.id for f in client.files.list().data] == [result.file["id"]]
    assert client.files.content(result.file["id"]).content == big.read_bytes()


def test_the_cli_refuses_a_bad_part_size_and_an_api_version_without_uploads(frozen_emulator, tmp_path, big):
    env = env_for(frozen_emulator, tmp_path)
    bad = ftdeck(env, "files", "upload", str(big), "--part-size", "lots", check=False)
    assert bad.returncode == 2 and "'lots' is not a size" in bad.stderr
    old = ftdeck({**env, "OPENAI_API_VERSION": "2024-02-01"}, "files", "upload", str(big), "--in-parts", "--reuse", "no", check=False)
    assert old.returncode == 2 and "has no Uploads API" in old.stderr
    done = as_json(ftdeck(env, "files", "upload", str(big), "--part-size", "8KB", "--reuse", "no", "--no-wait", "--json"))
    assert done["bytes"] == big.stat().st_size and done["filename"] == "big.jsonl"


def test_a_file_changed_since_the_interruption_starts_over(frozen_emulator, tmp_path, big, monkeypatch):
    from services.files import upload_file

    ws = in_process(env_for(frozen_emulator, tmp_path), monkeypatch)

    def interrupt(status: str) -> None:
        if status.startswith("part 2/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload_file(ws, big, in_parts=True, part_bytes=4096, wait=False, on_status=interrupt)
    big.write_bytes(big.read_bytes() + jsonl(chat_examples(1, style="Changed")))
    heard: list[str] = []
    result = upload_file(ws, big, in_parts=True, part_bytes=4096, wait=False, on_status=heard.append)
    assert "the earlier upload of this file expired or the file changed: starting over" in heard
    client = frozen_emulator.openai(api_version="2024-10-21")
    assert [f.id for f in client.files.list().data] == [result.file["id"]]
    assert client.files.content(result.file["id"]).content == big.read_bytes()

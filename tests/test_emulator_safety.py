"""What the emulator must not serve: files of its machine through imports, requests a web page can
send (foreign Host or Origin, text/plain bodies), its data to other users, its key to `ps`, a
clock that is not a number; and a restart with the same --seed must not reuse ids."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import httpx
import pytest

from emulator.child import LISTENING
from tests.conftest import PREVIEW, chat_examples, jsonl, upload

IMPORT = "/openai/files/import"


def import_body(url: str) -> dict:
    return {"purpose": "fine-tune", "filename": "data.jsonl", "content_url": url}


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "fileImportFailed"
    return error["message"]


# ---------------------------------------------------------------- imports


def test_without_an_import_folder_nothing_on_the_machine_is_read(emulator, tmp_path):
    private = tmp_path / "private.jsonl"
    private.write_bytes(jsonl(chat_examples(10)))
    http = emulator.http()
    for source in (private.as_uri(), "file:///etc/passwd", "file:///dev/zero"):
        assert "--import-dir" in refusal(http.post(IMPORT, json=import_body(source)))
    assert "private.jsonl" not in {f["filename"] for f in http.get("/openai/files").json()["data"]}


def test_imports_read_regular_files_inside_the_import_folder_only(fresh_emulator, tmp_path):
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "data.jsonl").write_bytes(jsonl(chat_examples(11)))
    secret = tmp_path / "secret.jsonl"
    secret.write_bytes(jsonl(chat_examples(10)))
    (folder / "escape.jsonl").symlink_to(secret)
    (folder / "zero.jsonl").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.jsonl")
    emu = fresh_emulator("--import-dir", str(folder))
    http, client = emu.http(), emu.openai()

    imported = http.post(IMPORT, json=import_body((folder / "data.jsonl").as_uri()))
    assert imported.status_code == 201
    done = client.files.wait_for_processing(imported.json()["id"], poll_interval=0.05)
    assert done.status == "processed" and client.files.content(done.id).content == jsonl(chat_examples(11))

    outside = [f"file://{folder}/../secret.jsonl", (folder / "escape.jsonl").as_uri(), (folder / "zero.jsonl").as_uri(),
               secret.as_uri(), "file:///etc/passwd", "file:///dev/zero"]
    for source in outside:
        assert "outside the import folder" in refusal(http.post(IMPORT, json=import_body(source))), source
    assert "regular files" in refusal(http.post(IMPORT, json=import_body((folder / "pipe.jsonl").as_uri())))
    assert "cannot open" in refusal(http.post(IMPORT, json=import_body((folder / "missing.jsonl").as_uri())))
    assert "this machine only" in refusal(http.post(IMPORT, json=import_body(f"file://elsewhere{folder}/data.jsonl")))
    # Only the one good import was stored, and the emulator still answers.
    assert [f.filename for f in client.files.list()] == ["data.jsonl"]


def test_an_import_over_the_size_limit_is_refused_without_reading_it(fresh_emulator, tmp_path):
    folder = tmp_path / "imports"
    folder.mkdir()
    huge = folder / "huge.jsonl"
    with huge.open("wb") as f:
        f.truncate(512 * 1024 * 1024 + 1)  # sparse: one byte over Azure's 512 MB, taking no disk
    emu = fresh_emulator("--import-dir", str(folder))
    assert "512 MB" in refusal(emu.http().post(IMPORT, json=import_body(huge.as_uri())))
    assert emu.openai().files.list().data == []


def test_urls_are_imported_only_when_allowed_and_only_over_https(emulator, fresh_emulator):
    url = import_body("https://127.0.0.1:9/data.jsonl")  # nothing listens on port 9 (discard)
    assert "--allow-url-import" in refusal(emulator.http().post(IMPORT, json=url))
    allowing = fresh_emulator("--allow-url-import").http()
    assert "the download failed" in refusal(allowing.post(IMPORT, json=url))
    for other in (f"http://127.0.0.1:{allowing.base_url.port}/_emulator/health", "ftp://example.com/x.jsonl"):
        assert "only file://" in refusal(allowing.post(IMPORT, json=import_body(other))), other


def test_a_missing_import_folder_is_refused_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tui", "emulator", "--data-dir", str(tmp_path / "data"),
                             "--import-dir", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"ftdeck emulator: --import-dir {tmp_path / 'nowhere'} is not a folder."]


# ---------------------------------------------------------------- what a web page can send


def test_a_foreign_host_or_origin_is_refused_before_anything_is_done(emulator):
    port = httpx.URL(emulator.url).port
    body = jsonl(chat_examples(10))
    for headers in ({"Host": f"attacker.example:{port}"}, {"Host": "attacker.example"},
                    {"Origin": "http://attacker.example"}, {"Origin": "null"}):
        response = emulator.http().post("/openai/files", headers=headers, files={"file": ("web.jsonl", body)}, data={"purpose": "fine-tune"})
        assert response.status_code == 400, headers
        assert response.json()["error"]["code"] == "BadRequest"
    arm = emulator.arm().get("", headers={"Host": "attacker.example"})
    assert arm.status_code == 400 and arm.json()["error"]["details"] == []  # ARM's error shape
    assert "web.jsonl" not in {f.filename for f in emulator.openai().files.list()}
    # The names of this machine are served, whatever the port.
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert emulator.http().get("/openai/files", headers={"Host": host}).status_code == 200, host
    assert emulator.http().get("/openai/files", headers={"Origin": f"http://localhost:{port}"}).status_code == 200


def test_bodies_azure_takes_as_json_are_refused_in_any_other_type(emulator):
    http = emulator.http()
    job = '{"model": "gpt-4o-mini-2024-07-18", "training_file": "file-x"}'
    before = http.get("/openai/fine_tuning/jobs", params={"limit": 100}).json()["data"]
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"Content-Type": media} if media else {}
        for path, content in (("/openai/fine_tuning/jobs", job), (IMPORT, '{"purpose": "fine-tune"}'),
                              ("/openai/deployments/gpt-4o-mini/chat/completions", '{"messages": []}')):
            response = http.post(path, content=content, headers=headers)
            assert response.status_code == 415, (path, media)
            assert response.json()["error"]["code"] == "UnsupportedMediaType"
        arm = emulator.arm().put("/web-deployment", content='{"sku": {}}', headers=headers)
        assert arm.status_code == 415 and "Only 'application/json' is supported" in arm.json()["error"]["message"]
    assert http.get("/openai/fine_tuning/jobs", params={"limit": 100}).json()["data"] == before
    assert http.post("/openai/fine_tuning/jobs", content=job, headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 400  # read, then judged


# ---------------------------------------------------------------- its data and its key


def test_the_data_folder_and_every_file_in_it_are_private(fresh_emulator, tmp_path):
    folder = tmp_path / "data0"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)  # as an older version left it
    emu = fresh_emulator()
    upload(emu.openai(), chat_examples(10))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.name != "stderr.log"}
    assert {"emulator.sqlite3", "emulator.sqlite3-wal", "emulator.sqlite3-shm", "owner.lock", "owner.json"} <= set(written)
    assert set(written.values()) == {0o600}, written
    emu.stop()
    os.chmod(folder / "emulator.sqlite3", 0o644)  # as an older version left it
    emu.start()
    assert stat.S_IMODE((folder / "emulator.sqlite3").stat().st_mode) == 0o600


def start_with(tmp_path, *args: str, env: dict | None = None, stdin: str | None = None) -> tuple[subprocess.Popen, str]:
    environment = {k: v for k, v in os.environ.items() if k != "FTDECK_EMULATOR_API_KEY"} | (env or {})
    process = subprocess.Popen([sys.executable, "-m", "tui", "emulator", "--data-dir", str(tmp_path / "data"), *args],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    process.stdin.write(stdin or "")  # type: ignore[union-attr]
    process.stdin.close()  # type: ignore[union-attr]
    match = LISTENING.match(process.stdout.readline().strip())  # type: ignore[union-attr]
    assert match, process.stderr.read()  # type: ignore[union-attr]
    return process, match.group(1)


@pytest.mark.parametrize("how", ["stdin", "environment", "command line"])
def test_the_key_can_be_kept_out_of_ps_and_a_key_on_the_command_line_is_warned_about(tmp_path, how):
    args, env, stdin = {
        "stdin": (["--api-key-stdin"], None, "s3cret-key\n"),
        "environment": ([], {"FTDECK_EMULATOR_API_KEY": "s3cret-key"}, None),
        "command line": (["--api-key", "s3cret-key"], None, None),
    }[how]
    process, url = start_with(tmp_path, *args, env=env, stdin=stdin)
    try:
        files = url + "/openai/files?api-version=" + PREVIEW
        assert httpx.get(files).status_code == 401
        assert httpx.get(files, headers={"api-key": "s3cret-key"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    stderr = process.stderr.read()  # type: ignore[union-attr]
    warnings = [line for line in stderr.splitlines() if "warning" in line]
    if how == "command line":
        assert len(warnings) == 1 and "--api-key-stdin" in warnings[0] and "s3cret-key" not in warnings[0]
    else:
        assert warnings == []


# ---------------------------------------------------------------- the clock


@pytest.mark.parametrize("value", ["1e400", "-1e400", "NaN", "Infinity", '"60"', "true", "1" + "0" * 400, "1e300"])
def test_the_clock_takes_finite_numbers_only(fresh_emulator, value):
    emu = fresh_emulator()
    http = emu.http()
    before = http.get("/_emulator/clock").json()["now"]
    response = http.post("/_emulator/clock", content=f'{{"advance_seconds": {value}}}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalidPayload"
    assert before <= http.get("/_emulator/clock").json()["now"] < before + 60
    assert upload(emu.openai(), chat_examples(10)).status == "processed"  # uploads still work


def test_a_clock_stored_as_infinity_by_an_older_version_is_ignored(fresh_emulator):
    emu = fresh_emulator()
    emu.stop()
    with sqlite3.connect(emu.data_dir / "emulator.sqlite3") as db:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', 'inf')")
    emu.start()
    created = upload(emu.openai(), chat_examples(10))
    assert created.status == "processed" and created.created_at < 10**11
    assert emu.http().get("/_emulator/clock").json()["now"] < 10**11


# ---------------------------------------------------------------- ids


def test_a_restart_with_the_same_seed_carries_on_with_new_ids(fresh_emulator, tmp_path):
    first = fresh_emulator("--seed", "7")
    ids = [upload(first.openai(), chat_examples(10), wait=False).id for _ in range(3)]
    first.stop()
    first.start()  # the same data folder and seed
    again = [upload(first.openai(), chat_examples(10), wait=False).id for _ in range(3)]
    assert not set(again) & set(ids)
    first.stop()
    first.start()
    assert upload(first.openai(), chat_examples(10), wait=False).id not in ids + again
    # A new folder with that seed still gets the same ids as the first run: screenshots stay put.
    other = fresh_emulator("--seed", "7")
    assert upload(other.openai(), chat_examples(10), wait=False).id == ids[0]


def test_ftdecks_own_clients_name_an_accepted_host(configured, capsys):
    """ftdeck reaches the emulator by the URL it printed: the Host its clients (the openai SDK on the
    data plane, httpx on ARM) send is one the emulator serves."""
    from tui.cli import main

    assert main(["files", "list", "--json"]) == 0
    assert main(["deployments", "list", "--json"]) == 0
    assert "BadRequest" not in capsys.readouterr().out

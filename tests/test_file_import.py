"""`ftdeck files import URL [--name]`: the real CLI against the real emulator (--import-dir,
--allow-url-import), and a SAS token that never shows: not on screen, not in errors, not in the API-call log."""

from __future__ import annotations

import json

from tests.conftest import chat_examples, jsonl
from tests.hostile_server import HostileServer, json_answer, listing
from tests.test_cli import as_json, env_for, ftdeck

SAS = "sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=SECRETSIGNATURE%2Bxyz%3D"


def test_import_from_the_emulators_import_folder_waits_until_processed(fresh_emulator, tmp_path):
    folder = tmp_path / "blobs"
    folder.mkdir()
    (folder / "pirates.jsonl").write_bytes(jsonl(chat_examples(12)))
    emu = fresh_emulator("--import-dir", str(folder))
    env = env_for(emu, tmp_path)
    body = as_json(ftdeck(env, "files", "import", (folder / "pirates.jsonl").as_uri(), "--name", "crew.jsonl", "--json"))
    assert (body["filename"], body["status"], body["purpose"]) == ("crew.jsonl", "processed", "fine-tune")
    assert emu.openai().files.content(body["id"]).content == jsonl(chat_examples(12))
    # Without --name the URL's last segment names it; a plain run says so in words.
    shown = ftdeck(env, "files", "import", (folder / "pirates.jsonl").as_uri())
    assert shown.stdout.startswith("imported file-") and "(pirates.jsonl): processed" in shown.stdout


def test_a_sas_token_never_appears_in_the_emulators_refusal(fresh_emulator, tmp_path):
    emu = fresh_emulator()  # imports no URLs
    url = f"https://acct.blob.core.windows.net/data/train.jsonl?{SAS}"
    result = ftdeck(env_for(emu, tmp_path), "files", "import", url, check=False)
    assert result.returncode == 1
    assert "--allow-url-import" in result.stderr and "train.jsonl" in result.stderr
    assert "sig=" not in result.stderr + result.stdout and "SECRETSIGNATURE" not in result.stderr + result.stdout


def test_a_service_that_echoes_the_sas_url_has_it_hidden(tmp_path, monkeypatch, capsys):
    url = f"https://acct.blob.core.windows.net/data/train.jsonl?{SAS}"

    def answers(method: str, path: str):
        if method == "GET" and path == "/openai/files":
            return listing()
        return json_answer({"error": {"code": "fileImportFailed", "message": f"Could not read {url} (sig={SAS.split('sig=')[1]})"}}, 400)

    server = HostileServer(answers)
    try:
        class Emu:
            url = server.url
        env = env_for(Emu, tmp_path)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        from tui.cli import main

        assert main(["files", "import", url]) == 1
        out, err = capsys.readouterr()
        assert "SECRETSIGNATURE" not in out + err and SAS not in out + err
        assert "https://acct.blob.core.windows.net/data/train.jsonl?<SAS token hidden>" in err
        assert [p for m, p in server.requests if m == "POST"] == ["/openai/files/import"]
    finally:
        server.close()


def test_only_https_urls_are_sent(tmp_path, fresh_emulator):
    emu = fresh_emulator()
    result = ftdeck(env_for(emu, tmp_path), "files", "import", f"http://acct.blob.core.windows.net/t.jsonl?{SAS}", "--json", check=False)
    assert result.returncode == 2 and "not an https:// URL" in result.stderr and "SECRETSIGNATURE" not in result.stderr
    assert json.loads(result.stdout or "null") is None

"""The upload form's URL box: the real app on a real emulator imports from a URL; a SAS token typed
there is never drawn, nor put in the problem shown when the import is refused."""

from __future__ import annotations

from tests.conftest import API_KEY, chat_examples, jsonl, wait_until
from tests.test_file_import import SAS
from tests.test_tui_forms import open_app, text
from tui.app import FtdeckApp
from tui.screens.upload import UploadScreen


def point_at(emu, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emu.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)


async def type_url(pilot, screen: UploadScreen, url: str) -> None:
    screen.query_one("#url").focus()
    screen.query_one("#url").insert_text_at_cursor(url)
    await pilot.press("enter")


async def test_a_url_typed_in_the_upload_form_is_imported(fresh_emulator, monkeypatch, tmp_path):
    folder = tmp_path / "blobs"
    folder.mkdir()
    (folder / "crew.jsonl").write_bytes(jsonl(chat_examples(12)))
    emu = fresh_emulator("--import-dir", str(folder))
    point_at(emu, monkeypatch, tmp_path)
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, UploadScreen, done)
        await type_url(pilot, screen, (folder / "crew.jsonl").as_uri())
        await wait_until(pilot, lambda: done)
    assert done[0]["filename"] == "crew.jsonl" and done[0]["status"] == "processed"
    assert [f.id for f in emu.openai().files.list()] == [done[0]["id"]]


async def test_a_sas_token_is_never_drawn(fresh_emulator, monkeypatch, tmp_path):
    emu = fresh_emulator()  # imports no URLs: the refusal names the URL
    point_at(emu, monkeypatch, tmp_path)
    url = f"https://acct.blob.core.windows.net/data/train.jsonl?{SAS}"
    app, done = FtdeckApp(), []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_app(pilot, app, UploadScreen, done)
        await type_url(pilot, screen, url)
        await wait_until(pilot, lambda: "--allow-url-import" in text(screen, "#problems"))
        drawn = app.export_screenshot()
        assert "SECRETSIGNATURE" not in drawn and "sig=" not in drawn
        assert "<SAS token hidden>" in text(screen, "#problems") and "SECRETSIGNATURE" not in text(screen, "#problems")
    assert not done

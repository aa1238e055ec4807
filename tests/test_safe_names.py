"""Names from outside never decide where ftdeck writes: `files download` and the TUI's `o` against
an emulator holding hostile file names and a service whose job ids are paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.safe_names import UnsafeName, safe_file_name
from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, jsonl, wait_until
from tests.hostile_names import CONTENT, HostileService
from tui.cli import main


@pytest.mark.parametrize(("outside", "name"), [
    ("train.jsonl", "train.jsonl"),
    ("../../x.jsonl", "x.jsonl"),
    ("/etc/cron.d/x", "x"),
    ("..\\..\\win.jsonl", "win.jsonl"),
    ("a/b\\c", "c"),
    (".bashrc", "bashrc"),
    ("../.profile", "profile"),
    ("café 東京.jsonl", "café 東京.jsonl"),
])
def test_an_outside_name_becomes_a_plain_file_name_and_says_so(outside, name):
    safe = safe_file_name(outside)
    assert safe.name == name
    assert (safe.note is None) == (outside == name)
    if safe.note:
        assert repr(outside) in safe.note


@pytest.mark.parametrize("outside", ["", ".", "..", "...", "x/", "../..", "/", "  ", "a\x00b", "x\x1b]52;c;aGk=\x07",
                                     "tab\there", "new\nline", "del\x7f", "c1\x9b31m", "rtl\u202eLSJ.exe", "x" * 256])
def test_a_name_that_cannot_be_a_file_name_is_refused_in_one_readable_line(outside):
    with pytest.raises(UnsafeName) as refused:
        safe_file_name(outside)
    message = str(refused.value)
    assert "cannot be a file name here" in message and "nothing written" in message
    assert message.isprintable(), "control characters are shown escaped, never sent to the terminal"


# ---------------------------------------------------------------- ftdeck files download


def point_at(monkeypatch, url: str, tmp_path: Path) -> None:
    parts = ARM_DEPLOYMENTS.split("/")
    for name, value in {"FTDECK_CONFIG": str(tmp_path / "none.toml"), "XDG_DATA_HOME": str(tmp_path / "data"),
                        "AZURE_OPENAI_ENDPOINT": url, "AZURE_OPENAI_API_KEY": API_KEY,
                        "FTDECK_MANAGEMENT_ENDPOINT": url, "FTDECK_MANAGEMENT_TOKEN": API_KEY,
                        "AZURE_SUBSCRIPTION_ID": parts[2], "AZURE_RESOURCE_GROUP": parts[4],
                        "AZURE_OPENAI_ACCOUNT": parts[8]}.items():
        monkeypatch.setenv(name, value)


def everything_under(folder: Path) -> set[str]:
    """Every file the test wrote, leaving out the emulator's and ftdeck's own data folders."""
    found = {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}
    return {str(p) for p in found if not p.parts[0].startswith("data")}


def test_download_keeps_a_hostile_name_from_the_emulator_inside_the_folder(fresh_emulator, monkeypatch, tmp_path, capsys):
    """Another user of the service uploaded files named as paths; downloading them writes only here."""
    emu = fresh_emulator()
    client = emu.openai()
    outside = tmp_path / "outside"
    outside.mkdir()
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    content = jsonl(chat_examples(10))
    planted = {name: client.files.create(file=(name, content), purpose="fine-tune").id
               for name in ("../../up.jsonl", f"{outside}/abs.jsonl")}
    (outside / "abs.jsonl").write_text("mine")
    point_at(monkeypatch, emu.url, tmp_path)
    monkeypatch.chdir(here)

    for name, file_id in planted.items():
        for force in ([], ["--force"]):
            (here / Path(name).name).unlink(missing_ok=True)
            assert main(["files", "download", file_id, *force]) == 0
            said = capsys.readouterr().out
            assert f"saved as {Path(name).name} (the service named it {name[:20]!r}"[:-1] in said  # tmp paths are long
            assert (here / Path(name).name).read_bytes() == content
    assert (outside / "abs.jsonl").read_text() == "mine"
    assert everything_under(tmp_path) == {"a/b/up.jsonl", "a/b/abs.jsonl", "outside/abs.jsonl"}
    assert main(["files", "download", planted["../../up.jsonl"], "--json"]) == 2  # exists: --force needed
    assert "up.jsonl exists; pass --force" in capsys.readouterr().err


def test_download_refuses_a_name_that_cannot_be_a_file_and_never_escapes_with_force(monkeypatch, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("mine")
    here = tmp_path / "here"
    here.mkdir()
    names = {"file-dots": "..", "file-dot": ".", "file-empty": "", "file-slash": "x/", "file-osc": "n\x1b]0;pwned\x07",
             "file-abs": f"{outside}/victim", "file-up": "../outside/victim", "file-back": "..\\outside\\victim",
             "file-hidden": ".bashrc", "file-linked": "linked"}
    service = HostileService(files=names)
    try:
        point_at(monkeypatch, service.url, tmp_path)
        monkeypatch.chdir(here)
        for file_id in ("file-dots", "file-dot", "file-empty", "file-slash", "file-osc"):
            assert main(["files", "download", file_id, "--force"]) == 1
            err = capsys.readouterr().err
            assert err.startswith(f"ftdeck: {file_id}: the service named it ") and err.count("\n") == 1, err
            assert "cannot be a file name here" in err and "pass -o FILE" in err and "\x1b" not in err
        (here / "victim").write_text("old")
        for file_id in ("file-abs", "file-up", "file-back"):
            assert main(["files", "download", file_id, "--force"]) == 0
            assert "saved as " in capsys.readouterr().out
            assert (here / "victim").read_bytes() == CONTENT
        (here / "linked").symlink_to(outside / "victim")  # planted: --force replaces the link, not what it points to
        assert main(["files", "download", "file-linked", "--force"]) == 0
        assert not (here / "linked").is_symlink() and (here / "linked").read_bytes() == CONTENT
        assert main(["files", "download", "file-linked", "-o", str(here / "missing" / "x.jsonl")]) == 2
        assert "cannot be written (No such file or directory): nothing written" in capsys.readouterr().err
        assert main(["files", "download", "file-hidden", "--json"]) == 0
        assert '"renamed": "the service named it \'.bashrc\'; a leading dot would hide it"' in capsys.readouterr().out
        assert main(["files", "download", "file-dots", "-o", str(here / "chosen.jsonl")]) == 0  # the user names it
    finally:
        service.stop()
    assert (outside / "victim").read_text() == "mine"
    assert everything_under(tmp_path) == {"here/victim", "here/bashrc", "here/chosen.jsonl", "here/linked", "outside/victim"}


# ---------------------------------------------------------------- the TUI's `o`


async def test_results_of_a_job_whose_id_is_a_path_are_saved_here(monkeypatch, tmp_path):
    from tui.app import make_app
    from tests.test_tui_actions import said, select

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = tmp_path / "here"
    here.mkdir()
    jobs = [f"{elsewhere}/abs-job", "../up-job"]
    service = HostileService(jobs=jobs)
    try:
        point_at(monkeypatch, service.url, tmp_path)
        monkeypatch.chdir(here)
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            for job_id, saved in zip(jobs, ("abs-job-results.csv", "up-job-results.csv")):
                await select(pilot, "jobs", job_id)
                await pilot.press("o")
                await wait_until(pilot, lambda: said(app, f"saved {here / saved} (the job id made it"))
                assert (here / saved).read_text().startswith("step,train_loss")
    finally:
        service.stop()
    assert everything_under(tmp_path) == {"here/abs-job-results.csv", "here/up-job-results.csv"}

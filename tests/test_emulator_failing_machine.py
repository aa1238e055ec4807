"""The emulator keeps its promises on a failing machine.

- A full disk: a change answers 507 in the plane's error shape (nothing half-saved), the job runner
  survives, and once there is room the running job carries on and finishes. The disk is "filled"
  without filling it: SQLite's `PRAGMA max_page_count` on the emulator's own connection (the
  built-in emulator runs in this process) makes the next page it needs fail as a full disk does.
- A damaged database (garbage bytes, a truncated copy): `ftdeck emulator`, the CLI on the built-in
  emulator and the TUI each give one line naming the file and the `mv` that sets it aside, and that
  command really does let the emulator start afresh.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import started_app

from emulator.server import EmbeddedEmulator
from tests.conftest import PREVIEW, chat_examples, jsonl, wait_for
from tui.cli import main

FROZEN_AT = 1_767_225_600.0
BASE = "gpt-4o-mini-2024-07-18"
ANY_SIZE = 1_073_741_823  # pages: as good as no limit


@pytest.fixture
def embedded(tmp_path):
    emu = EmbeddedEmulator.start(tmp_path / "emulator", demo=False, frozen_at=FROZEN_AT)
    yield emu
    emu.stop()


def advance(emu: EmbeddedEmulator, seconds: float) -> int:
    """Move the frozen clock; the answer's status (a full disk may refuse to note the new time)."""
    response = httpx.post(emu.url + "/_emulator/clock", json={"advance_seconds": seconds}, headers={"api-key": emu.api_key})
    return response.status_code


def disk_full(emu: EmbeddedEmulator, full: bool) -> None:
    """No page more than the database has now (SQLite keeps it at least that big), or room again."""
    emu.emulator.store.db.execute(f"PRAGMA max_page_count = {1 if full else ANY_SIZE}")


def test_a_full_disk_answers_507_and_the_running_job_carries_on_once_there_is_room(embedded):
    client = openai.AzureOpenAI(azure_endpoint=embedded.url, api_key=embedded.api_key, api_version=PREVIEW, max_retries=0)
    training = client.files.create(file=("train.jsonl", jsonl(chat_examples(10))), purpose="fine-tune")
    advance(embedded, 3)
    job = client.fine_tuning.jobs.create(model=BASE, training_file=training.id, hyperparameters={"n_epochs": 30})
    advance(embedded, 10)
    wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).status == "running")

    disk_full(embedded, True)
    with pytest.raises(openai.APIStatusError) as refused:
        client.files.create(file=("more.jsonl", jsonl(chat_examples(200))), purpose="fine-tune")
    assert refused.value.status_code == 507
    assert refused.value.body["code"] == "InsufficientStorage" and "disk" in refused.value.body["message"]
    files_before = {f.id for f in client.files.list()}
    assert files_before == {training.id}  # nothing half-saved

    assert advance(embedded, 1000) in (200, 507)  # every step is due: the runner needs room it lacks
    wait_for(lambda: embedded.emulator.runner.stalled)
    stuck = client.fine_tuning.jobs.retrieve(job.id)
    assert stuck.status == "running" and stuck.error is None  # waiting, not failed

    disk_full(embedded, False)
    advance(embedded, 1000)
    done = wait_for(lambda: (j := client.fine_tuning.jobs.retrieve(job.id)).status != "running" and j)
    assert done.status == "succeeded" and done.fine_tuned_model
    steps = [e for e in client.fine_tuning.jobs.list_events(job.id, limit=1000).data if e.type == "metrics"]
    assert sorted(e.data["step"] for e in steps) == list(range(10, 301, 10))  # every 10th step once, none lost or doubled
    rows = client.files.content(done.result_files[0]).text.splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == list(range(1, 301))  # every step measured once
    assert embedded.emulator.runner.stalled is None
    assert client.files.create(file=("more.jsonl", jsonl(chat_examples(20))), purpose="fine-tune").id


# ---------------------------------------------------------------- a damaged database


def garbage(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "emulator.sqlite3"
    path.write_bytes(os.urandom(40_000))
    return path


def demo_database(folder: Path) -> Path:
    """A real emulator database with the demo workspace in it, all in the one file."""
    emu = EmbeddedEmulator.start(folder, demo=True)
    emu.stop()
    path = folder / "emulator.sqlite3"
    whole = sqlite3.connect(path)
    whole.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    whole.close()
    return path


def truncated(folder: Path) -> Path:
    """Cut to a third: a copy that stopped short."""
    path = demo_database(folder)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def scribbled(folder: Path) -> Path:
    """Pages in the middle overwritten, the header intact: only a check of the whole file finds it."""
    path = demo_database(folder)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16384] = os.urandom(16384)
    path.write_bytes(bytes(data))
    return path


def the_fix(line: str, path: Path) -> str:
    assert f"the emulator's database {path} is damaged" in line and "move it aside" in line, line
    return line.split("start afresh: ", 1)[1]


@pytest.mark.parametrize("damage", [garbage, truncated, scribbled])
def test_ftdeck_emulator_names_the_file_and_the_mv_that_fixes_it(tmp_path, damage):
    folder = tmp_path / "data"
    path = damage(folder)
    command = [sys.executable, "-m", "tui", "emulator", "--port", "0", "--data-dir", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "listening" not in done.stdout and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ftdeck emulator: ")
    fix = the_fix(lines[0], path)
    assert fix.startswith(f"mv {shlex.quote(str(path))} ")
    subprocess.run(fix, shell=True, check=True)  # the user's next step, as written
    started = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert started.stdout.readline().startswith("ftdeck emulator listening on")
    finally:
        started.kill()
        started.wait()
    assert (folder / "emulator.sqlite3.damaged").exists()  # set aside, not deleted


def test_a_database_that_cannot_be_opened_is_not_called_damaged(tmp_path):
    """Nothing is wrong with the file itself (here a folder stands in its place): no `mv` advice."""
    (tmp_path / "data" / "emulator.sqlite3").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "tui", "emulator", "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "cannot be opened" in done.stderr and "damaged" not in done.stderr and "mv " not in done.stderr


@pytest.fixture
def local_profile(monkeypatch, tmp_path) -> Path:
    """The built-in emulator, its data folder under the test's own XDG_DATA_HOME."""
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "ftdeck" / "emulator"


def test_the_cli_on_the_built_in_emulator_says_the_same(local_profile, capsys):
    path = garbage(local_profile)
    assert main(["jobs", "list"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    the_fix(err.strip().removeprefix("ftdeck: "), path)


async def test_the_tui_leaves_with_the_line_rather_than_connecting_forever(local_profile):
    path = garbage(local_profile)
    app = await started_app()
    assert app.return_code == 2 and app.cannot_start
    the_fix(app.cannot_start, path)


# ---------------------------------------------------------------- a big upload


def peak_kilobytes(pid: int) -> int:
    """The process's peak resident memory (Linux: VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def examples_of_size(megabytes: float) -> bytes:
    one = jsonl(chat_examples(50))
    return one * int(megabytes * 2**20 / len(one))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_a_big_upload_costs_the_emulator_about_what_a_small_one_does(fresh_emulator):
    peaks = []
    for megabytes in (5, 60):
        emu = fresh_emulator()
        client = emu.openai(max_retries=0)
        uploaded = client.files.create(file=("train.jsonl", examples_of_size(megabytes)), purpose="fine-tune")
        assert uploaded.bytes > megabytes * 0.9 * 2**20
        assert client.files.wait_for_processing(uploaded.id, poll_interval=0.05).status == "processed"
        peaks.append(peak_kilobytes(emu.process.pid))
        assert client.files.content(uploaded.id).content == examples_of_size(megabytes)  # stored whole
        emu.stop()
    small, large = peaks
    # 12 times the file: holding it and its parsed examples took ~6 times the memory; now about the same.
    assert large < 2 * small, peaks

"""Files ftdeck writes are whole or untouched, and the per-deployment call file loses no update when
threads and processes record at once."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import services.atomic_write
from services import playground, usage
from services.atomic_write import write_atomically


@pytest.fixture
def data_home(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "ftdeck"


def test_two_hundred_calls_recorded_at_once_from_threads_are_all_kept(data_home):
    """Both playground sides record from their own threads: every call lands."""
    start = threading.Barrier(8)

    def record(thread: int) -> None:
        start.wait()
        for n in range(25):
            usage.record_call("https://r.openai.azure.com", f"dep-{thread}-{n}", when=1000.0 + n)

    threads = [threading.Thread(target=record, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(usage.last_calls("https://r.openai.azure.com")) == 200


def test_calls_recorded_by_several_processes_at_once_are_all_kept(data_home):
    """The CLI beside the TUI: another process's read-change-write waits for this one's."""
    script = ("import sys; from services import usage\n"
              "for n in range(25): usage.record_call('https://r', f'dep-{sys.argv[1]}-{n}')\n")
    env = {**os.environ, "XDG_DATA_HOME": str(data_home.parent), "PYTHONPATH": str(Path(__file__).parent.parent)}
    processes = [subprocess.Popen([sys.executable, "-c", script, str(p)], env=env) for p in range(4)]
    assert [p.wait(60) for p in processes] == [0] * 4
    assert len(usage.last_calls("https://r")) == 100


@pytest.mark.parametrize("failing", ["fsync", "replace"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(data_home, monkeypatch, failing, error):
    usage.record_call("https://r", "kept", when=1.0)
    calls = data_home / "deployment-calls.json"
    before = calls.read_bytes()

    def refuse(*args):
        raise error

    monkeypatch.setattr(services.atomic_write.os, failing, refuse)
    with pytest.raises(type(error)):
        usage.record_call("https://r", "lost", when=2.0)
    conversation = playground.new_conversation(["a", "b"])
    with pytest.raises(type(error)):
        playground.save(conversation)
    assert calls.read_bytes() == before
    assert sorted(p.name for p in data_home.rglob("*") if p.is_file()) == ["deployment-calls.json", "deployment-calls.json.lock"]


def test_a_replaced_file_keeps_its_permissions_and_a_private_one_is_private(tmp_path):
    shared = tmp_path / "shared.csv"
    shared.write_text("old")
    shared.chmod(0o640)
    write_atomically(shared, "new")
    assert shared.read_text() == "new" and stat.S_IMODE(shared.stat().st_mode) == 0o640
    secret = tmp_path / "config.toml"
    secret.write_text("old")
    secret.chmod(0o644)
    write_atomically(secret, "key = 1", mode=0o600)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    umask = os.umask(0o022)
    try:
        fresh = write_atomically(tmp_path / "fresh.txt", b"bytes")
    finally:
        os.umask(umask)
    assert fresh.read_bytes() == b"bytes" and stat.S_IMODE(fresh.stat().st_mode) == 0o644  # an ordinary file


def test_a_new_file_never_replaces_one_that_is_there(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("earlier")
    with pytest.raises(FileExistsError):
        write_atomically(target, "later", overwrite=False)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")  # even a link to nothing is not written through
    with pytest.raises(FileExistsError):
        write_atomically(link, "later", overwrite=False)
    assert target.read_text() == "earlier" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "results.csv"]

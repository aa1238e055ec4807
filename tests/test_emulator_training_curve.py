"""Training that looks like training: a real job on the emulator (frozen clock, moved only by the
test) declines gradually from its first steps rather than memorising at the epoch boundary, and
many epochs on a tiny file overfit: validation loss turns up while training loss keeps falling."""

from __future__ import annotations

import csv
import io
import shutil
import statistics
from importlib import resources
from pathlib import Path

import pytest

from tests.conftest import wait_for

BASE = "gpt-4o-mini-2024-07-18"
FROZEN_AT = "1767225600"  # 2026-01-01 00:00 UTC


@pytest.fixture
def client(fresh_emulator):
    emu = fresh_emulator("--frozen-at", FROZEN_AT)
    return emu, emu.openai(max_retries=0)


def demo_file(tmp_path: Path, name: str) -> Path:
    """A demo dataset copied to the test's folder, uploaded from there as a user would."""
    copy = tmp_path / name
    with resources.as_file(resources.files("emulator").joinpath("demo", name)) as shipped:
        shutil.copyfile(shipped, copy)
    return copy


def upload(emu, client, path: Path, lines: slice = slice(None)) -> str:
    content = "".join(path.read_text().splitlines(keepends=True)[lines]).encode()
    created = client.files.create(file=(path.name, content), purpose="fine-tune")
    emu.http().post("/_emulator/clock", json={"advance_seconds": 60}).raise_for_status()  # processing takes a while
    return client.files.wait_for_processing(created.id, poll_interval=0.05, max_wait_seconds=30).id


def train(emu, client, **create) -> tuple[object, list[dict]]:
    """Run a job to the end by moving the frozen clock; its results.csv rows, as floats."""
    job = client.fine_tuning.jobs.create(model=BASE, seed=42, **create)
    clock = emu.http()

    def advanced() -> bool:  # a minute at a time: 40 steps, which the runner catches up on
        clock.post("/_emulator/clock", json={"advance_seconds": 60}).raise_for_status()
        return client.fine_tuning.jobs.retrieve(job.id).status in ("succeeded", "failed", "cancelled")

    wait_for(advanced, timeout=300, interval=0.2)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded", done.error
    rows = list(csv.DictReader(io.StringIO(client.files.content(done.result_files[0]).text)))
    return done, [{k: float(v) if v else None for k, v in row.items()} for row in rows]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def epochs_of(done, rows: list[dict]) -> list[list[dict]]:
    per_epoch = len(rows) // done.hyperparameters.n_epochs
    return [rows[i : i + per_epoch] for i in range(0, len(rows), per_epoch)]


def test_training_loss_declines_through_the_first_epoch_not_at_its_end(client, tmp_path):
    """The demo's pirate data: its replies share a voice and words, which epoch 1 can learn. (Over
    seeds 0-9 the first quarter of epoch 1 is 0.6 to 1.3 nats above the last; seed 42 gives 1.25.)"""
    emu, openai = client
    done, rows = train(emu, openai, training_file=upload(emu, openai, demo_file(tmp_path, "pirate-support.jsonl")))
    epochs = epochs_of(done, rows)
    assert len(epochs) == 3 and len(epochs[0]) == 60  # auto: 3 epochs of 60 one-example steps
    first = [r["train_loss"] for r in epochs[0]]
    quarter = len(first) // 4
    # Each step's loss is measured on its batch before learning from it, so epoch 1 is honest:
    # it falls as what the earlier examples share (the voice, its words) is learned...
    assert mean(first[:quarter]) > mean(first[-quarter:]) + 0.5
    slope = statistics.linear_regression(range(len(first)), first).slope
    assert slope * len(first) < -0.5  # a trend over the epoch, not noise around a flat line
    # ...and epoch 2 has not simply memorised epoch 1 (the cliff of a model that learns at once).
    second = [r["train_loss"] for r in epochs[1]]
    assert mean(second[:quarter]) > 0.6 * mean(first[-quarter:])
    # By the end the loss is well below where it started.
    last = [r["train_loss"] for r in epochs[-1]]
    assert mean(last[-quarter:]) < 0.6 * mean(first[:quarter])
    assert mean([r["train_mean_token_accuracy"] for r in epochs[-1]]) > mean([r["train_mean_token_accuracy"] for r in epochs[0]])


def test_many_epochs_on_a_tiny_file_overfit(client, tmp_path):
    emu, openai = client
    training = upload(emu, openai, demo_file(tmp_path, "pirate-support.jsonl"), slice(0, 10))
    validation = upload(emu, openai, demo_file(tmp_path, "pirate-support-valid.jsonl"))
    done, rows = train(emu, openai, training_file=training, validation_file=validation,
                       hyperparameters={"n_epochs": 30, "learning_rate_multiplier": 0.1})
    epochs = epochs_of(done, rows)
    full_valid = [epoch[-1]["full_valid_loss"] for epoch in epochs]
    train_loss = [mean([r["train_loss"] for r in epoch]) for epoch in epochs]
    best = full_valid.index(min(full_valid))
    assert 0 < best < 15  # validation first falls: what generalises is learned...
    assert full_valid[-1] > 1.05 * min(full_valid)  # ...then rises: the file is being memorised
    assert all(b > a for a, b in zip(full_valid[best + 3 :: 5], full_valid[best + 8 :: 5]))  # and keeps rising
    assert train_loss[-1] < 0.5 * train_loss[best]  # while training loss keeps falling

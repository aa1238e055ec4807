"""Reinforcement fine-tuning and training tiers from the real CLI, against the real emulator."""

from __future__ import annotations

import json

import pytest

from tests.conftest import chat_examples, jsonl
from tests.test_cli import as_json, env_for, ftdeck
from tests.test_emulator_rft import GRADER, RFT_MODEL, rft_examples


@pytest.fixture
def env(emulator, tmp_path):
    return env_for(emulator, tmp_path)


@pytest.fixture
def rft_data(tmp_path):
    train, valid, grader = tmp_path / "train.jsonl", tmp_path / "valid.jsonl", tmp_path / "grader.json"
    train.write_bytes(jsonl(rft_examples(12)))
    valid.write_bytes(jsonl(rft_examples(5)))
    grader.write_text(json.dumps(GRADER))
    return train, valid, grader


def test_data_validate_method_reinforcement(env, rft_data, tmp_path):
    train, _, grader = rft_data
    ok = as_json(ftdeck(env, "data", "validate", str(train), "--method", "reinforcement", "--model", RFT_MODEL,
                        "--grader", str(grader), "--json"))
    assert ok["ok"] and ok["format"] == "reinforcement" and ok["examples"] == 12

    records = rft_examples(12)
    records[2]["messages"][0]["role"] = "system"
    del records[4]["answer"]
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(records))
    found = as_json(ftdeck(env, "data", "validate", str(bad), "--method", "reinforcement", "--grader", str(grader), "--json", check=False))
    messages = {e["line"]: e["message"] for e in found["errors"]}
    assert "role 'developer'" in messages[3] and "item.answer" in messages[5]

    chat = tmp_path / "chat.jsonl"
    chat.write_bytes(jsonl(chat_examples(12)))
    refused = ftdeck(env, "data", "validate", str(chat), "--method", "reinforcement", check=False)
    assert refused.returncode == 1 and "reinforcement fine-tuning takes examples whose messages end with a user message" in refused.stdout
    wrong_method = ftdeck(env, "data", "validate", str(train), "--method", "supervised", check=False)
    assert wrong_method.returncode == 1 and "supervised fine-tuning trains on written replies" in wrong_method.stdout
    wrong_model = ftdeck(env, "data", "validate", str(train), "--model", "gpt-4o-mini-2024-07-18", check=False)
    assert wrong_model.returncode == 1 and "is trained on chat data, but this file is reinforcement" in wrong_model.stdout


def test_jobs_create_reinforcement_with_a_grader_file(env, emulator, rft_data):
    train, valid, grader = rft_data
    created = ftdeck(env, "jobs", "create", "--model", RFT_MODEL, "--training-file", str(train), "--validation-file", str(valid),
                     "--method", "reinforcement", "--grader", str(grader), "--reasoning-effort", "low", "--eval-interval", "2",
                     "--epochs", "1", "--json")
    job = as_json(created)
    assert job["method"]["type"] == "reinforcement"
    assert job["method"]["reinforcement"]["grader"] == GRADER
    assert job["method"]["reinforcement"]["hyperparameters"]["reasoning_effort"] == "low"
    assert "pauses a reinforcement fine-tuning job automatically once it has cost $5,000" in created.stderr
    watched = ftdeck(env, "jobs", "watch", job["id"], "--interval", "0.2", "--json")  # exit 0: succeeded
    decoder, text, events = json.JSONDecoder(), watched.stdout.strip(), []
    while text:
        event, end = decoder.raw_decode(text)
        events.append(event)
        text = text[end:].strip()
    rewards = [e["data"]["train_reward_mean"] for e in events if e.get("type") == "metrics"]
    assert rewards and all(0 <= r <= 1 for r in rewards)
    summary = as_json(ftdeck(env, "results", job["id"], "--json"))
    assert summary["train_reward_mean"]["final"] == pytest.approx(rewards[-1], abs=1e-5) and "train_loss" not in summary


@pytest.mark.parametrize("args, fragment", [
    (["--grader", "GRADER"], "needs --validation-file too"),
    (["--validation-file", "file-x"], "needs --grader GRADER_JSON"),
    (["--grader", "MISSING", "--validation-file", "file-x"], "no such file"),
    (["--grader", "BROKEN", "--validation-file", "file-x"], "'operation' must be one of eq, ne, like, ilike"),
])
def test_jobs_create_reinforcement_refuses_before_sending(env, rft_data, tmp_path, args, fragment):
    train, _, grader = rft_data
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**GRADER, "operation": "neq"}))
    swap = {"GRADER": str(grader), "MISSING": str(tmp_path / "nope.json"), "BROKEN": str(broken)}
    result = ftdeck(env, "jobs", "create", "--model", RFT_MODEL, "--training-file", "file-x", "--method", "reinforcement",
                    *[swap.get(a, a) for a in args], check=False)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr


@pytest.mark.parametrize("tier, fragment", [
    ("globalstandard", "no data residency"),
    ("developertier", "might be preempted and resumed later"),
])
def test_training_type_caveat_is_printed_on_stderr(env, tmp_path, tier, fragment):
    train = tmp_path / "train.jsonl"
    train.write_bytes(jsonl(chat_examples(10)))
    created = ftdeck(env, "jobs", "create", "--model", "gpt-4.1-mini-2025-04-14", "--training-file", str(train),
                     "--training-type", tier, "--json")
    assert as_json(created)["status"] == "pending"
    assert fragment in created.stderr

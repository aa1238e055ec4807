"""`ftdeck data validate`: every rule with its line number, exact token counts, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.training_data import check_training_file
from services.datasets import DatasetUnreadable, validate_dataset
from services.tokens import encoding
from tests.conftest import chat_examples, jsonl

SYSTEM = "You are a helpful assistant."


def write(tmp_path: Path, content: bytes | str, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def line(*messages: dict) -> str:
    return json.dumps({"messages": list(messages)}) + "\n"


def chat_line(user: str = "Hi", answer: str = "Hello!", **assistant_extra) -> str:
    return line({"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                {"role": "assistant", "content": answer, **assistant_extra})


def test_known_token_values():
    assert encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert encoding("cl100k_base").encode("hello world") == [15339, 1917]


def test_token_count_follows_the_recipe(tmp_path):
    enc = encoding("o200k_base")
    n = lambda text: len(enc.encode(text))  # noqa: E731
    report = validate_dataset(write(tmp_path, chat_line("What is 2+2?", "4.", weight=1) * 10), model="gpt-4o-mini-2024-07-18")
    expected = 3 + (3 + n("system") + n(SYSTEM)) + (3 + n("user") + n("What is 2+2?")) + (3 + n("assistant") + n("4."))
    assert report.ok
    assert report.token_stats() == {"total": expected * 10, "min": expected, "mean": expected, "p95": expected, "max": expected}
    assert report.estimated_billed_tokens == expected * 10 * 3


def test_name_adds_one_token_and_cl100k_for_older_models(tmp_path):
    enc = encoding("cl100k_base")
    n = lambda text: len(enc.encode(text))  # noqa: E731
    text = line({"role": "user", "content": "hey", "name": "bob"}, {"role": "assistant", "content": "yo"}) * 10
    report = validate_dataset(write(tmp_path, text), model="gpt-35-turbo-0125")
    assert report.token_stats()["min"] == 3 + (3 + n("user") + n("hey") + 1 + n("bob")) + (3 + n("assistant") + n("yo"))


def test_p95_and_stats_over_varied_sizes(tmp_path):
    lines = "".join(chat_line(answer="word " * i) for i in range(1, 101))
    stats = validate_dataset(write(tmp_path, lines)).token_stats()
    size_of_95th = validate_dataset(write(tmp_path, chat_line(answer="word " * 95), "one.jsonl")).token_stats()["max"]
    assert stats["min"] < stats["p95"] == size_of_95th < stats["max"]


@pytest.mark.parametrize(
    ("content", "line_no", "fragment"),
    [
        ('{"messages": [}\n', 1, "invalid JSON"),
        ("[1, 2]\n", 1, "expected a JSON object"),
        (line({"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}), 1, 'role "bot"'),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": "y", "weight": 2}), 1, "weight 2"),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": "y", "weight": True}), 1, "weight true"),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": "y", "weight": 0}), 1, "no assistant message to train on"),
        (line({"role": "user", "content": ""}, {"role": "assistant", "content": "y"}), 1, "empty content"),
        (line({"role": "user", "content": "x"}), 1, "no assistant message"),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}), 1, "images are allowed only in user"),
        (line({"role": "user", "content": "x", "mood": "happy"}, {"role": "assistant", "content": "y"}), 1, "unknown key 'mood'"),
        (chat_line() + '{"prompt": "a", "completion": "b"}\n', 2, "one format per file"),
        (chat_line() + b"\xff\xfe bad".decode("latin-1") + "\n", 2, ""),
    ],
)
def test_each_rule_names_the_line(tmp_path, content, line_no, fragment):
    report = validate_dataset(write(tmp_path, content))
    assert not report.ok
    assert any(e.line == line_no and fragment in e.message for e in report.errors), report.errors


def test_non_utf8_bytes_and_utf16_are_errors(tmp_path):
    report = validate_dataset(write(tmp_path, chat_line().encode() + b'{"messages": "\xff"}\n'))
    assert any(e.line == 2 and "not UTF-8" in e.message for e in report.errors)
    utf16 = validate_dataset(write(tmp_path, (chat_line() * 10).encode("utf-16")))
    assert not utf16.ok and "UTF-16" in utf16.errors[0].message


def test_every_error_is_reported_not_only_the_first(tmp_path):
    report = validate_dataset(write(tmp_path, "oops\n" + chat_line() * 10 + "nope\n"))
    assert [e.line for e in report.errors] == [1, 12]


def test_warnings(tmp_path):
    other = line({"role": "system", "content": "Different."}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"})
    report = validate_dataset(write(tmp_path, b"\xef\xbb\xbf" + (chat_line() * 12 + other + chat_line("unique", "x")).encode()))
    messages = " | ".join(w.message for w in report.warnings)
    assert report.ok
    assert "byte-order mark" in messages and "duplicate" in messages
    assert "recommended start" in messages and "2 different system messages" in messages
    assert report.system_message_summary()["most_common"] == SYSTEM
    assert report.system_message_summary()["counts"][0] == [SYSTEM, 13]


def test_over_the_token_limit_warns(tmp_path):
    long_answer = "token " * 5000
    report = validate_dataset(write(tmp_path, chat_line(answer=long_answer) * 10), model="gpt-35-turbo-0613")
    assert any("4096-token limit" in w.message for w in report.warnings)


def test_format_must_fit_the_model(tmp_path):
    completion = "".join(json.dumps({"prompt": f"p{i}", "completion": f"c{i}"}) + "\n" for i in range(10))
    assert validate_dataset(write(tmp_path, completion), model="babbage-002").ok
    report = validate_dataset(write(tmp_path, completion), model="gpt-4o-mini-2024-07-18")
    assert not report.ok and "prompt_completion" in report.errors[0].message


def test_too_few_examples_is_an_error(tmp_path):
    report = validate_dataset(write(tmp_path, chat_line() * 3))
    assert not report.ok and "at least 10" in report.errors[-1].message


def test_unreadable_files(tmp_path):
    with pytest.raises(DatasetUnreadable, match="no such file"):
        validate_dataset(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetUnreadable, match="directory"):
        validate_dataset(tmp_path)
    assert "no examples" in validate_dataset(write(tmp_path, b"")).errors[0].message


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", "data", "validate", *args], capture_output=True, text=True, timeout=60, env=env)


def test_cli_exit_codes_and_json(tmp_path):
    good = write(tmp_path, jsonl(chat_examples(12)), "good.jsonl")
    result = run_cli(str(good), "--json", "--epochs", "2", "--price-per-million", "3")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert set(data) >= {"ok", "format", "examples", "errors", "warnings", "tokens", "system_messages", "estimated_billed_tokens"}
    assert data["estimated_billed_tokens"] == data["tokens"]["total"] * 2
    assert data["estimated_cost"] == round(data["estimated_billed_tokens"] / 1e6 * 3, 2)
    bad = run_cli(str(write(tmp_path, "not json\n", "bad.jsonl")))
    assert bad.returncode == 1 and "line 1" in bad.stdout
    missing = run_cli(str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and missing.stderr.startswith("ftdeck: ") and "Traceback" not in missing.stderr


def test_counting_needs_no_network(tmp_path):
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    result = run_cli(str(write(tmp_path, jsonl(chat_examples(10)))), "--json", env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["tokens"]["total"] > 0


MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "bot"]), "content": st.one_of(st.text(max_size=20), st.none(), st.integers())},
    optional={"weight": st.one_of(st.integers(-1, 2), st.booleans(), st.floats(allow_nan=False))},
)
EXAMPLE = st.one_of(
    st.fixed_dictionaries({"messages": st.lists(MESSAGE, max_size=4)}),
    st.fixed_dictionaries({"prompt": st.one_of(st.text(max_size=10), st.none()), "completion": st.text(max_size=10)}),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(EXAMPLE.map(json.dumps), st.text(max_size=30)), min_size=1, max_size=12))
def test_never_crashes_and_agrees_with_the_emulator(tmp_path, lines):
    """Whatever the lines, ftdeck reports (never raises), and a file it passes the emulator accepts."""
    content = ("\n".join(lines) + "\n").encode()
    report = validate_dataset(write(tmp_path, content))
    emulator_check = check_training_file(content)
    line_errors = [e for e in report.errors if e.line is not None]
    if not line_errors and report.examples:
        assert emulator_check.ok, emulator_check.status_details
    if not emulator_check.ok and emulator_check.n_examples == 0 and "empty" not in (emulator_check.status_details or ""):
        assert report.errors

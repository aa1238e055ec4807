"""`ftdeck data validate`: every rule with its line number, exact token counts, offline."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import services.datasets as datasets
from emulator.training_data import check_training_file
from services.datasets import DatasetUnreadable, validate_dataset
from services.tokens import DEFINITIONS, TABLE_URLS, encoding, encoding_for_model, encoding_name_for_model, load_ranks, table_bytes

SYSTEM = "You are a helpful assistant."
O200K = "gpt-4o-mini-2024-07-18"


def write(tmp_path: Path, content: bytes | str, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def line(*messages: dict, **extra) -> str:
    return json.dumps({"messages": list(messages), **extra}) + "\n"


def chat_line(user: str = "Hi", answer: str = "Hello!", system: str | None = SYSTEM, **assistant_extra) -> str:
    head = [{"role": "system", "content": system}] if system is not None else []
    return line(*head, {"role": "user", "content": user}, {"role": "assistant", "content": answer, **assistant_extra})


def good_lines(n: int) -> str:
    return "".join(chat_line(f"question {i}", f"answer {i}") for i in range(n))


def tokens(text: str, name: str = "o200k_base") -> int:
    return len(encoding(name).encode(text))


def recipe(messages: list[dict], name: str = "o200k_base") -> int:
    """The spec's recipe, written out independently of ftdeck's implementation."""
    total = 3
    for m in messages:
        content = m["content"]
        parts = [content] if isinstance(content, str) else [p["text"] for p in content if p["type"] == "text"]
        total += 3 + tokens(m["role"], name) + sum(tokens(p, name) for p in parts)
        if "name" in m:
            total += 1 + tokens(m["name"], name)
    return total


def messages_of(path_line: str) -> list[dict]:
    return json.loads(path_line)["messages"]


# --- tokens -------------------------------------------------------------------------------------


def test_known_token_values():
    assert encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens("hello world") == 2


def test_definitions_match_tiktokens_own(monkeypatch, tmp_path):
    """tiktoken's own definitions, its tables read from its cache as after a download (the tables
    ftdeck ships, put where tiktoken keeps what it fetched from TABLE_URLS), are ours."""
    from tiktoken_ext import openai_public

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    for name, definition in DEFINITIONS.items():
        (tmp_path / hashlib.sha1(TABLE_URLS[name].encode()).hexdigest()).write_bytes(table_bytes(name))
        theirs = getattr(openai_public, name)()
        assert (theirs["pat_str"], theirs["special_tokens"]) == (definition.pat_str, definition.special_tokens)
        assert theirs["mergeable_ranks"] == load_ranks(name)
        assert encoding(name).n_vocab == max(definition.special_tokens.values()) + 1


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("gpt-4.1-2025-04-14", "o200k_base"),
        ("gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef", "o200k_base"),
        ("gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef:ckpt-step-10", "o200k_base"),
        ("gpt-35-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo-1106.ft-0123456789abcdef0123456789abcdef", "cl100k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("babbage-002", "cl100k_base"),
        ("davinci-002", "cl100k_base"),
        ("some-future-model", "o200k_base"),
        (None, "o200k_base"),
    ],
)
def test_encoding_for_model(model, name):
    assert encoding_name_for_model(model) == name
    assert encoding_for_model(model) is encoding(name)  # built once, then cached


def test_tiktoken_is_imported_only_when_counting():
    code = "import sys, services.datasets, tui.commands.data; print('tiktoken' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_counting_needs_no_network(tmp_path):
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    code = ("from services.tokens import encoding as e; print(e('o200k_base').encode('hello world'), "
            "e('cl100k_base').encode('hello world'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "[24912, 2375] [15339, 1917]", done.stderr
    result = run_cli(str(write(tmp_path, good_lines(12))), "--json", env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["tokens"]["total"] > 0
    assert list(cache.iterdir()) == []  # and nothing was written to a cache


# --- token counts -------------------------------------------------------------------------------


def test_token_count_follows_the_recipe(tmp_path):
    text = chat_line("What is 2+2?", "4.", weight=1)
    report = validate_dataset(write(tmp_path, text * 60), model=O200K)
    expected = 3 + (3 + tokens("system") + tokens(SYSTEM)) + (3 + tokens("user") + tokens("What is 2+2?")) + (3 + tokens("assistant") + tokens("4."))
    assert expected == recipe(messages_of(text))
    assert report.ok, report.errors
    assert report.token_stats() == {"total": expected * 60, "min": expected, "mean": expected, "p95": expected, "max": expected}
    assert report.estimated_billed_tokens == expected * 60 * 3  # auto epochs: 3


def test_a_fully_known_count(tmp_path):
    # 3 + (3 + "user" 1 + "hello world" 2) + (3 + "assistant" 1 + "hello world" 2)
    text = line({"role": "user", "content": "hello world"}, {"role": "assistant", "content": "hello world"})
    assert validate_dataset(write(tmp_path, text * 60)).token_stats()["max"] == 15


def test_weight_is_not_counted_and_name_adds_one(tmp_path):
    plain = validate_dataset(write(tmp_path, chat_line() * 60, "a.jsonl")).token_stats()["max"]
    weighted = validate_dataset(write(tmp_path, chat_line(weight=1) * 60, "b.jsonl")).token_stats()["max"]
    assert weighted == plain
    named = line({"role": "user", "content": "hey", "name": "bob"}, {"role": "assistant", "content": "yo"})
    report = validate_dataset(write(tmp_path, named * 60, "c.jsonl"), model="gpt-35-turbo-0125")
    n = lambda text: tokens(text, "cl100k_base")  # noqa: E731
    assert report.token_stats()["max"] == 3 + (3 + n("user") + n("hey") + 1 + n("bob")) + (3 + n("assistant") + n("yo"))


def test_list_content_counts_text_parts_only(tmp_path):
    parts = [{"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}]
    text = line({"role": "user", "content": parts}, {"role": "assistant", "content": "A cat."})
    report = validate_dataset(write(tmp_path, text * 60))
    assert report.ok, report.errors
    assert report.token_stats()["max"] == 3 + (3 + tokens("user") + tokens("What is in this picture?")) + (3 + tokens("assistant") + tokens("A cat."))


def test_prompt_completion_counts_and_uses_cl100k(tmp_path):
    text = "".join(json.dumps({"prompt": f"Translate {i}:", "completion": f" number {i}"}) + "\n" for i in range(60))
    report = validate_dataset(write(tmp_path, text), model="babbage-002")
    assert report.ok and report.format == "prompt_completion"
    n = lambda s: tokens(s, "cl100k_base")  # noqa: E731
    assert report.total_tokens == sum(n(f"Translate {i}:") + n(f" number {i}") for i in range(60))
    assert report.system_message_summary() == {"most_common": None, "distinct": 0, "missing": 0, "counts": []}


def test_preference_counts_input_and_preferred_answer(tmp_path):
    example = {
        "input": {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Capital of France?"}]},
        "preferred_output": [{"role": "assistant", "content": "Paris."}],
        "non_preferred_output": [{"role": "assistant", "content": "I think it might be Lyon, but I am not sure."}],
    }
    report = validate_dataset(write(tmp_path, (json.dumps(example) + "\n") * 60), model="gpt-4o-2024-08-06")
    assert report.ok and report.format == "preference"
    assert report.token_stats()["max"] == recipe(example["input"]["messages"] + example["preferred_output"])
    bad = validate_dataset(write(tmp_path, (json.dumps(example) + "\n") * 60, "dpo.jsonl"), model=O200K)
    assert not bad.ok and "preference" in bad.errors[0].message


def test_stats_p95_epochs_and_cost(tmp_path):
    texts = [chat_line(answer="word " * (i * 7 % 100 + 1)) for i in range(100)]
    sizes = sorted(recipe(messages_of(t)) for t in texts)
    report = validate_dataset(write(tmp_path, "".join(texts)), epochs=2, price_per_million=25.0)
    stats = report.token_stats()
    assert stats == {"total": sum(sizes), "min": sizes[0], "mean": round(sum(sizes) / 100, 1),
                     "p95": sizes[math.ceil(0.95 * 100) - 1], "max": sizes[-1]}
    assert stats["p95"] < stats["max"]
    data = report.to_json()
    assert data["estimated_billed_tokens"] == sum(sizes) * 2
    assert data["estimated_cost"] == round(sum(sizes) * 2 / 1e6 * 25.0, 4)


# --- errors, each with its line -----------------------------------------------------------------


def user_and(assistant: dict, **user_extra) -> str:
    return line({"role": "user", "content": "x", **user_extra}, assistant)


IMAGE = {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ('{"messages": [}\n', "invalid JSON: Expecting value"),
        ('{"messages": []\n', "invalid JSON"),
        ("[1, 2]\n", "expected a JSON object, found an array"),
        ('"just text"\n', "found a string"),
        ('{"text": "hi"}\n', "unrecognised example"),
        (line({"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}), 'role "bot"'),
        (line({"content": "x"}, {"role": "assistant", "content": "y"}), "role null"),
        (user_and({"role": "assistant", "content": "y", "weight": 2}), "weight 2;"),
        (user_and({"role": "assistant", "content": "y", "weight": 0.5}), "weight 0.5"),
        (user_and({"role": "assistant", "content": "y", "weight": True}), "weight true"),
        (user_and({"role": "assistant", "content": "y", "weight": "1"}), 'weight "1"'),
        (user_and({"role": "assistant", "content": "y"}, weight=1), "'weight' belongs only on assistant"),
        (user_and({"role": "assistant", "content": "y", "weight": 0}), "every assistant message has weight 0"),
        (line({"role": "user", "content": ""}, {"role": "assistant", "content": "y"}), "empty content"),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": "  \n"}), "empty content"),
        (line({"role": "user", "content": None}, {"role": "assistant", "content": "y"}), "needs 'content'"),
        (line({"role": "user", "content": "x"}), "no assistant message:"),
        (user_and({"role": "assistant", "content": [IMAGE]}), "images are allowed only in user messages"),
        (line({"role": "system", "content": [IMAGE]}, {"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}), "images are allowed only in user"),
        (line({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u", "detail": "max"}}]}, {"role": "assistant", "content": "y"}), "detail must be low, high or auto"),
        (line({"role": "user", "content": [IMAGE] * 33}, {"role": "assistant", "content": "y"},
              {"role": "user", "content": [IMAGE] * 32}, {"role": "assistant", "content": "z"}), "65 images; at most 64 per example"),
        (user_and({"role": "assistant", "content": "y"}, mood="happy"), "unknown key 'mood'"),
        (user_and({"role": "assistant", "content": "y"}, name=7), "'name' must be a string"),
        (line({"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}, extra=1), "unknown key 'extra'"),
        ('{"prompt": "a", "completion": "b"}\n', "one format per file"),
        ('{"messages": [' * 100_000 + "\n", "invalid JSON"),
        ('{"messages": ' + "9" * 5000 + "}\n", "invalid JSON"),
    ],
)
def test_each_error_names_its_line(tmp_path, bad_line, fragment):
    report = validate_dataset(write(tmp_path, good_lines(2) + bad_line + good_lines(60)))
    assert not report.ok
    assert [(e.line, fragment in e.message) for e in report.errors] == [(3, True)], report.errors
    assert report.examples == 62


def test_tool_calls_need_no_text_and_64_images_are_allowed(tmp_path):
    call = {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    images = line({"role": "user", "content": [IMAGE] * 64}, {"role": "assistant", "content": "y"})
    calls = line({"role": "user", "content": "x"}, call, {"role": "tool", "tool_call_id": "c1", "content": "ok"},
                 {"role": "assistant", "content": "done"})
    report = validate_dataset(write(tmp_path, images + calls + good_lines(60)))
    assert report.ok, report.errors


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', '{"a": 1}\r', ' {"a": 1}', '{"a": 1} \t\r\n ', '[1, 2]', '"x"', '3', 'null', '', '   ', '\ufeff{"a": 1}',
     '{"a": 1} x', '{"a": 1}{}', '{"a": 1}\x0b', '{"a": 1}\xa0', '{"a": ', '{"a": 1,}', "{'a': 1}", 'nul', '[' * 100_000, '9' * 5000],
)
def test_json_lines_read_as_json_loads_reads_them(text):
    """The scan calls json's scanner directly: values and errors (message and column) are json.loads'."""
    from services.dataset_scan import _json

    def outcome(read):
        try:
            return "value", read(text)
        except (ValueError, RecursionError) as exc:
            return type(exc), str(exc)

    assert outcome(_json) == outcome(json.loads)


def test_non_utf8_line(tmp_path):
    report = validate_dataset(write(tmp_path, good_lines(1).encode() + b'{"messages": "caf\xe9"}\n' + good_lines(60).encode()))
    assert [(e.line, "not UTF-8" in e.message) for e in report.errors] == [(2, True)]


@pytest.mark.parametrize(
    ("codec", "name"),
    [("utf-16", "UTF-16 LE"), ("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE"), ("utf-32", "UTF-32 LE")],
)
def test_utf16_and_utf32_say_which(tmp_path, codec, name):
    report = validate_dataset(write(tmp_path, good_lines(20).encode(codec)))
    assert not report.ok and report.examples == 0
    assert report.errors[0].line is None and f"is {name} encoded" in report.errors[0].message


def test_every_error_is_reported_up_to_a_cap(tmp_path):
    assert [e.line for e in validate_dataset(write(tmp_path, "oops\n" + good_lines(60) + "nope\n")).errors] == [1, 62]
    report = validate_dataset(write(tmp_path, "bad\n" * 250 + good_lines(60), "many.jsonl"))
    assert [e.line for e in report.errors] == list(range(1, 101))
    listed = report.to_json()["errors"]
    assert len(listed) == 101 and listed[-1] == {"line": None, "message": "and 150 more errors (only the first 100 are listed)"}
    few = validate_dataset(write(tmp_path, "bad\n" * 250 + good_lines(3), "few.jsonl"))
    assert few.warnings[-1] == datasets.Problem(None, "3 examples: a training file needs at least 10 (a job fails with fewer); fine as a validation file")  # never capped


def test_lone_surrogates_are_counted_and_printable(tmp_path):
    text = '{"messages":[{"role":"system","content":"\\ud800 sys"},{"role":"user","content":"\\udfff","\\ud801":1},{"role":"assistant","content":"y"}]}\n'
    bad = validate_dataset(write(tmp_path, text))
    assert "unknown key '?'" in bad.errors[0].message
    good = validate_dataset(write(tmp_path, text.replace(',"\\ud801":1', "") * 60, "ok.jsonl"))
    assert good.ok and good.token_stats()["max"] > 0
    assert good.system_message_summary()["most_common"] == "? sys"
    json.dumps(good.to_json(), ensure_ascii=False).encode()  # what --json prints


def test_file_level_errors(tmp_path):
    assert "no examples" in validate_dataset(write(tmp_path, b"", "empty.jsonl")).errors[0].message
    assert "no examples" in validate_dataset(write(tmp_path, "\n  \n\n", "blank.jsonl")).errors[0].message
    # 10 is the minimum of a *training* file: a file does not say which it is, so under 10 is a warning
    # (includes/fine-tuning-python.md: "will not proceed without at least 10 training examples").
    few = validate_dataset(write(tmp_path, good_lines(3), "few.jsonl"))
    assert few.ok and "3 examples: a training file needs at least 10 (a job fails with fewer); fine as a validation file" in [w.message for w in few.warnings]
    completion = "".join(json.dumps({"prompt": f"p{i}", "completion": f"c{i}"}) + "\n" for i in range(60))
    assert validate_dataset(write(tmp_path, completion, "pc.jsonl"), model="babbage-002").ok
    wrong = validate_dataset(write(tmp_path, completion, "pc.jsonl"), model=O200K)
    assert [e.message for e in wrong.errors] == [f"{O200K} is trained on chat data, but this file is prompt_completion"]
    chat_for_babbage = validate_dataset(write(tmp_path, good_lines(60), "chat.jsonl"), model="babbage-002")
    assert "prompt_completion data" in chat_for_babbage.errors[0].message


def test_unreadable_files(tmp_path):
    with pytest.raises(DatasetUnreadable, match="no such file"):
        validate_dataset(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetUnreadable, match="is a directory"):
        validate_dataset(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_permissions(tmp_path):
    path = write(tmp_path, good_lines(20))
    path.chmod(0)
    with pytest.raises(DatasetUnreadable, match="permission denied"):
        validate_dataset(path)


# --- warnings -----------------------------------------------------------------------------------


def warning_lines(report, fragment: str) -> list[int | None]:
    return [w.line for w in report.warnings if fragment in w.message]


def test_bom_and_few_examples(tmp_path):
    report = validate_dataset(write(tmp_path, b"\xef\xbb\xbf" + good_lines(20).encode()))
    assert report.ok and report.examples == 20
    assert warning_lines(report, "byte-order mark") == [1]
    assert warning_lines(report, "only 20 examples") == [None]
    assert not warning_lines(validate_dataset(write(tmp_path, good_lines(50), "fifty.jsonl")), "examples:")


def test_system_message_stats(tmp_path):
    other = chat_line("a", "b", system="Be brief.")
    content = good_lines(40) + other * 5 + chat_line("no system", "here", system=None) * 3 + good_lines(40)
    report = validate_dataset(write(tmp_path, content))
    assert report.ok
    assert report.to_json()["system_messages"] == {
        "most_common": SYSTEM, "distinct": 2, "missing": 3, "counts": [[SYSTEM, 80], ["Be brief.", 5]],
    }
    assert warning_lines(report, "3 examples have no system message while 85 have one") == [None]
    assert warning_lines(report, "2 different system messages") == [None]
    consistent = validate_dataset(write(tmp_path, good_lines(60), "same.jsonl"))
    assert not consistent.warnings
    none = validate_dataset(write(tmp_path, "".join(chat_line(f"q{i}", "a", system=None) for i in range(60)), "none.jsonl"))
    assert warning_lines(none, "no example has a system message") == [None]


def test_over_the_token_limit(tmp_path):
    long_answer = "token " * 5000
    content = good_lines(30) + chat_line(answer=long_answer) + good_lines(30)
    report = validate_dataset(write(tmp_path, content), model="gpt-35-turbo-0613")
    assert report.ok
    assert warning_lines(report, "over the 4096-token limit") == [31]
    assert not warning_lines(validate_dataset(write(tmp_path, content), model=O200K), "token limit")


def test_duplicates_ignore_whitespace_and_key_order(tmp_path):
    first = {"messages": [{"role": "user", "content": "same"}, {"role": "assistant", "content": "answer"}]}
    reordered = {"messages": [{"content": "same", "role": "user"}, {"content": "answer", "role": "assistant"}]}
    content = json.dumps(first) + "\n" + good_lines(60) + json.dumps(reordered, indent=None, separators=(",", ":")) + "\n" + json.dumps(first) + "\n"
    report = validate_dataset(write(tmp_path, content))
    assert report.ok
    assert warning_lines(report, "duplicate of an earlier example") == [62, 63]
    changed = content.replace('"answer"}]}\n', '"answer!"}]}\n', 1)
    assert warning_lines(validate_dataset(write(tmp_path, changed, "b.jsonl")), "duplicate") == [63]


def test_many_duplicates_are_summarised(tmp_path):
    report = validate_dataset(write(tmp_path, chat_line() * 100))
    assert warning_lines(report, "duplicate of an earlier example") == list(range(2, 22))
    assert "and 79 more duplicate examples" in [w.message for w in report.warnings]


def test_large_file_advises_blob_import(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "LARGE_FILE_BYTES", 1000)
    report = validate_dataset(write(tmp_path, good_lines(60)))
    assert report.ok and any("over 512 MB" in w.message and "blob" in w.message for w in report.warnings)


# --- streaming in ranges and in parallel ----------------------------------------------------------


def test_parallel_scan_matches_sequential(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MIN_CHUNK_BYTES", 700)
    monkeypatch.setattr(datasets, "CHUNK_BYTES", 700)
    rows = [chat_line(f"q{i % 70}", "a") if i % 17 else "not json\n" for i in range(300)]  # ~40 ranges
    path = write(tmp_path, b"\xef\xbb\xbf" + "".join(rows).encode() + b'{"prompt": "p", "completion": "c"}')
    one, two = validate_dataset(path, workers=1), validate_dataset(path, workers=2)
    assert one.to_json() == two.to_json()
    assert [e.line for e in one.errors][:3] == [1, 18, 35] and one.errors[-1].line == 301
    assert warning_lines(one, "duplicate of")[:2] == [72, 73]  # lines 2 and 3 again
    assert one.examples == 300 - 18


# --- the command --------------------------------------------------------------------------------


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", "data", "validate", *args], capture_output=True, text=True, timeout=120, env=env)


def test_cli_json_and_exit_codes(tmp_path):
    good = write(tmp_path, good_lines(60), "good.jsonl")
    result = run_cli(str(good), "--json", "--model", O200K, "--epochs", "2", "--price-per-million", "3")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["ok", "format", "examples", "errors", "warnings", "tokens", "system_messages", "estimated_billed_tokens", "estimated_cost"]
    assert data["ok"] is True and data["format"] == "chat" and data["examples"] == 60
    assert data["estimated_billed_tokens"] == data["tokens"]["total"] * 2
    assert data["estimated_cost"] == round(data["estimated_billed_tokens"] / 1e6 * 3, 4)
    assert "estimated_cost" not in json.loads(run_cli(str(good), "--json").stdout)

    bad = run_cli(str(write(tmp_path, good_lines(60) + "not json\n", "bad.jsonl")), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["errors"][0]["line"] == 61


def test_cli_human_report(tmp_path):
    content = "not json\n" + good_lines(20) + chat_line("q0", "a0", weight=3)
    result = run_cli(str(write(tmp_path, content)))
    assert result.returncode == 1 and result.stderr == ""
    out = result.stdout
    assert "1 error(s)" not in out and "2 error(s)" in out
    assert "format    chat, 20 examples" in out
    assert "line 1: invalid JSON" in out and "line 22: messages[2] has weight 3" in out
    assert "warning   only 20 examples" in out and "tokens    total" in out


@pytest.mark.parametrize("target", ["missing.jsonl", "."])
def test_cli_unreadable_is_exit_2_without_traceback(tmp_path, target):
    result = run_cli(str(tmp_path / target))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("ftdeck: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_rejects_bad_numbers(tmp_path):
    good = str(write(tmp_path, good_lines(20)))
    assert run_cli(good, "--epochs", "0").returncode == 2
    assert run_cli(good, "--price-per-million", "-1").returncode == 2


# --- never raises on arbitrary input ------------------------------------------------------------

MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool", "bot"]),
     "content": st.one_of(st.text(max_size=20), st.none(), st.integers(), st.lists(st.dictionaries(st.sampled_from(["type", "text"]), st.text(max_size=5)), max_size=2))},
    optional={"weight": st.one_of(st.integers(-1, 2), st.booleans(), st.floats(), st.none()), "name": st.one_of(st.text(max_size=5), st.integers())},
)
EXAMPLE = st.one_of(
    st.fixed_dictionaries({"messages": st.one_of(st.lists(MESSAGE, max_size=4), st.text(max_size=3))}),
    st.fixed_dictionaries({"prompt": st.one_of(st.text(max_size=10), st.none()), "completion": st.text(max_size=10)}),
    st.fixed_dictionaries({"input": st.fixed_dictionaries({"messages": st.lists(MESSAGE, max_size=3)}),
                           "preferred_output": st.lists(MESSAGE, max_size=2), "non_preferred_output": st.lists(MESSAGE, max_size=2)}),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
LINE = st.one_of(EXAMPLE.map(lambda e: json.dumps(e).encode()), st.text(max_size=30).map(str.encode), st.binary(max_size=30))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINE, min_size=0, max_size=12), st.sampled_from([None, O200K, "babbage-002", "gpt-4o-2024-08-06"]))
def test_never_raises_and_agrees_with_the_emulator(tmp_path, lines, model):
    """Whatever the lines, ftdeck reports (never raises), and a file it passes the emulator accepts."""
    content = b"\n".join(lines) + b"\n"
    report = validate_dataset(write(tmp_path, content), model=model)
    json.dumps(report.to_json())
    assert report.examples + len({e.line for e in report.errors if e.line}) <= content.count(b"\n")
    line_errors = [e for e in report.errors if e.line is not None]
    if not line_errors and report.examples:
        emulator_check = check_training_file(content)
        assert emulator_check.ok, emulator_check.status_details


def test_preference_data_only_for_the_models_the_dpo_page_lists(tmp_path):
    """gpt-4o-2024-08-06, gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14 (and models fine-tuned from them);
    not gpt-4.1-nano, which a prefix match on "gpt-4.1" let through."""
    example = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
               "preferred_output": [{"role": "assistant", "content": "Ahoy!"}],
               "non_preferred_output": [{"role": "assistant", "content": "Hello."}]}
    path = write(tmp_path, (json.dumps(example) + "\n") * 60, "dpo.jsonl")
    for model in ("gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", f"gpt-4.1-mini-2025-04-14.ft-{'0' * 32}"):
        assert validate_dataset(path, model=model).ok, model
    nano = validate_dataset(path, model="gpt-4.1-nano-2025-04-14")
    assert not nano.ok and "trained on chat data, but this file is preference" in nano.errors[0].message

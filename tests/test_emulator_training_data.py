"""The emulator's upload check of training files (spec section 3): each rule, with a small file."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.catalog import CHAT, COMPLETION, PREFERENCE
from emulator.training_data import MAX_IMAGES, check_training_file

SYSTEM = {"role": "system", "content": "You are terse."}
USER = {"role": "user", "content": "Capital of France?"}
ASSISTANT = {"role": "assistant", "content": "Paris."}
CHAT_LINE = {"messages": [SYSTEM, USER, ASSISTANT]}
COMPLETION_LINE = {"prompt": "2 + 2 =", "completion": " 4"}
PREFERENCE_LINE = {
    "input": {"messages": [USER]},
    "preferred_output": [{"role": "assistant", "content": "Paris."}],
    "non_preferred_output": [{"role": "assistant", "content": "Lyon, I think."}],
}


def jsonl(*records: object, newline: str = "\n") -> bytes:
    return "".join(json.dumps(r) + newline for r in records).encode()


def chat(*messages: dict) -> dict:
    return {"messages": [USER, *messages]}


def image(url: str = "https://example.com/cat.png", **extra: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def failure(data: bytes, line: int | None) -> str:
    """The status_details of a file that must fail, checked to name `line`."""
    check = check_training_file(data)
    assert not check.ok
    assert check.status_details
    assert check.records == [] and check.n_examples == 0
    if line is not None:
        assert check.status_details.startswith(f"Line {line}: "), check.status_details
    return check.status_details


# Files that pass


@pytest.mark.parametrize(
    ("data", "data_format", "n"),
    [
        (jsonl(CHAT_LINE, CHAT_LINE), CHAT, 2),
        (jsonl(chat(ASSISTANT, {"role": "user", "content": "And Spain?"}, {"role": "assistant", "content": "Madrid."})), CHAT, 1),
        (jsonl(COMPLETION_LINE, COMPLETION_LINE, COMPLETION_LINE), COMPLETION, 3),
        (jsonl(PREFERENCE_LINE), PREFERENCE, 1),
    ],
    ids=["chat", "multi-turn", "prompt-completion", "preference"],
)
def test_valid_files_pass_with_their_format_and_count(data, data_format, n):
    check = check_training_file(data)
    assert check.ok and check.status_details is None
    assert check.data_format == data_format
    assert check.n_examples == n == len(check.records)
    assert check.records[0] == json.loads(data.splitlines()[0])


def test_weight_zero_marks_context_when_another_assistant_message_trains():
    example = chat({**ASSISTANT, "weight": 0}, {"role": "user", "content": "Sure?"}, {**ASSISTANT, "weight": 1})
    assert check_training_file(jsonl(example)).ok


def test_weight_one_point_zero_counts_as_one():
    assert check_training_file(jsonl(chat({**ASSISTANT, "weight": 1.0}))).ok


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + jsonl(CHAT_LINE, CHAT_LINE),
        jsonl(CHAT_LINE, CHAT_LINE, newline="\r\n"),
        jsonl(CHAT_LINE, CHAT_LINE).rstrip(b"\n"),
        jsonl(CHAT_LINE, CHAT_LINE) + b"\n\n",
    ],
    ids=["bom", "crlf", "no-final-newline", "trailing-blank-lines"],
)
def test_bom_line_endings_and_trailing_newlines_are_accepted(data):
    check = check_training_file(data)
    assert check.ok, check.status_details
    assert check.n_examples == 2


def test_blank_lines_in_the_middle_are_skipped_but_still_numbered():
    good = jsonl(CHAT_LINE) + b"\n   \n" + jsonl(CHAT_LINE)
    assert check_training_file(good).n_examples == 2
    assert failure(good + jsonl(chat({"role": "bot", "content": "hi"})), 5)


def test_tool_calls_images_and_tool_roles_are_accepted():
    call = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    with_tools = {
        "messages": [
            USER,
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "assistant", "content": "It is sunny."},
        ],
        "tools": tools,
    }
    vision = chat(ASSISTANT)
    vision["messages"][0] = {"role": "user", "content": [{"type": "text", "text": "What is it?"}, image(detail="low")]}
    assert check_training_file(jsonl(with_tools, vision)).ok


# Files that fail, naming the first bad line


def test_invalid_json_names_the_line_and_the_parser_error():
    details = failure(jsonl(CHAT_LINE, CHAT_LINE) + b'{"prompt": "a" "completion": "b"}\n', 3)
    assert details == "Line 3: invalid JSON (Expecting ',' delimiter: line 1 column 16). Each line must be one JSON object."


def test_truncated_line_is_invalid_json():
    line = json.dumps(CHAT_LINE).encode()
    assert "invalid JSON" in failure(jsonl(CHAT_LINE) + line[:-9] + b"\n" + jsonl(CHAT_LINE), 2)


def test_a_json_array_line_is_not_an_example():
    assert "found an array" in failure(jsonl(CHAT_LINE, [CHAT_LINE]), 2)


def test_unknown_role_names_the_message_and_the_role():
    data = jsonl(*[CHAT_LINE] * 4, chat({"role": "bot", "content": "hi"}))
    assert failure(data, 5) == "Line 5: message 2 has an unknown role 'bot'; use system, user, assistant or tool."


@pytest.mark.parametrize(("weight", "shown"), [(2, "weight 2"), (True, "weight true"), (0.5, "weight 0.5"), ("1", "weight '1'")])
def test_weight_must_be_zero_or_one(weight, shown):
    assert shown in failure(jsonl(CHAT_LINE, chat({**ASSISTANT, "weight": weight})), 2)


def test_weight_on_a_user_message_is_an_error():
    assert "only on assistant" in failure(jsonl({"messages": [{**USER, "weight": 1}, ASSISTANT]}), 1)


@pytest.mark.parametrize(
    "example",
    [chat({**ASSISTANT, "weight": 0}), {"messages": [SYSTEM, USER]}],
    ids=["all-weight-zero", "no-assistant"],
)
def test_each_example_needs_a_trainable_assistant_message(example):
    assert "assistant" in failure(jsonl(CHAT_LINE, example), 2)


@pytest.mark.parametrize(
    "example",
    [chat({"role": "assistant", "content": ""}), {"messages": [{"role": "user", "content": "  "}, ASSISTANT]}],
    ids=["assistant", "user"],
)
def test_empty_content_is_an_error(example):
    assert "empty content" in failure(jsonl(example), 1)


def test_missing_content_is_an_error_unless_the_assistant_calls_a_tool():
    assert "needs 'content'" in failure(jsonl(chat({"role": "assistant"})), 1)


def test_mixed_formats_name_the_line_that_changes_format():
    details = failure(jsonl(CHAT_LINE, CHAT_LINE, COMPLETION_LINE), 3)
    assert "first example (line 1)" in details and "one format per file" in details


def test_bytes_that_are_not_utf8_name_the_line():
    assert "not UTF-8" in failure(jsonl(CHAT_LINE) + b'{"prompt": "caf\xe9", "completion": "x"}\n', 2)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["with-bom", "without-bom"])
def test_utf16_files_are_named_as_such(encoding):
    data = jsonl(CHAT_LINE).decode().encode(encoding)
    assert "UTF-16" in failure(data, None if encoding == "utf-16" else 1)


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"], ids=["zero-bytes", "whitespace", "bom-only"])
def test_empty_file(data):
    assert failure(data, None).startswith("The file is empty")


def test_images_are_not_allowed_in_assistant_messages():
    example = chat({"role": "assistant", "content": [image()]})
    assert "only in user messages" in failure(jsonl(example), 1)


def test_at_most_64_images_per_example():
    example = chat(ASSISTANT)
    example["messages"][0] = {"role": "user", "content": [image() for _ in range(MAX_IMAGES)]}
    assert check_training_file(jsonl(example)).ok
    example["messages"][0]["content"].append(image())
    assert "65 images" in failure(jsonl(example), 1)


def test_image_detail_must_be_low_high_or_auto():
    example = chat(ASSISTANT)
    example["messages"][0] = {"role": "user", "content": [image(detail="ultra")]}
    assert "low, high or auto" in failure(jsonl(example), 1)


def test_unknown_message_key_is_named():
    assert "unknown key 'speaker'" in failure(jsonl(chat({**ASSISTANT, "speaker": "me"})), 1)


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ({"prompt": "a", "completion": 4}, "'completion' must be a string"),
        ({"prompt": "a"}, "'completion' is missing"),
        ({**PREFERENCE_LINE, "preferred_output": [USER]}, "outputs hold only assistant or tool"),
        ({**PREFERENCE_LINE, "non_preferred_output": []}, "'non_preferred_output' must be a non-empty list"),
        ({"text": "hello"}, "unrecognised example"),
    ],
    ids=["completion-not-string", "completion-missing", "preference-user-output", "preference-empty-output", "unknown-format"],
)
def test_completion_and_preference_rules(example, expected):
    assert expected in failure(jsonl(example), 1)


def test_only_the_first_bad_line_is_reported():
    data = jsonl(CHAT_LINE) + b"not json\n" + jsonl(chat({"role": "bot", "content": "x"}))
    assert "invalid JSON" in failure(data, 2)


# Whatever arrives, the check answers (never raises), with text that can be sent as UTF-8

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(["user", "assistant", "bot", "image_url", "text"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["messages", "role", "content", "weight", "prompt", "completion", "input", "preferred_output",
                         "non_preferred_output", "type", "text", "image_url", "url", "detail", "tool_calls", "x"]),
        inner, max_size=5),
    max_leaves=20,
)
LINE = st.one_of(
    st.binary(max_size=40),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([json.dumps(r).encode() for r in (CHAT_LINE, COMPLETION_LINE, PREFERENCE_LINE)]),
)


def _answers(data: bytes) -> None:
    check = check_training_file(data)
    assert check.ok == (check.status_details is None)
    assert check.n_examples == len(check.records)
    if not check.ok:
        check.status_details.encode("utf-8")  # no lone surrogates in what the API will send


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(data):
    _answers(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=8), st.sampled_from([b"\n", b"\r\n"]))
def test_arbitrary_json_lines_never_raise(lines, newline):
    _answers(newline.join(lines))


def test_pathological_lines_are_reported_not_raised():
    for data in (b"[" * 100_000, b'{"a": ' + b"9" * 5000 + b"}", b'{"messages": [{"role": "\\ud800", "content": "x"}]}'):
        _answers(data)

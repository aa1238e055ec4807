"""Property tests: over generated training data, valid and broken, ftdeck's validator never crashes
and says ok exactly when the emulator's upload check (what the service would do) says ok.

A file ftdeck passes must be one the service accepts (or the user uploads for nothing), and a file
ftdeck refuses must be one the service refuses (or the user is blocked for nothing). The examples
are built from the pieces the rules talk about: roles, content shapes, weights, names, tool calls,
image parts, extra keys, and broken lines (truncated, not JSON, not an object, not UTF-8).
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emulator.training_data import check_training_file
from services.datasets import MINIMUM_EXAMPLES, validate_dataset

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Long texts too (hundreds to thousands of words), so token counts and limits are reached.
long_texts = st.builds(lambda word, n: " ".join([word] * n), st.sampled_from(["arr", "treasure", "東京", "ye-be"]), st.integers(100, 3000))
texts = st.one_of(
    st.sampled_from(["Paris.", "How do I reset my password?", "café 東京 ✓", "", "  ", "\n", "<|endoftext|>", "\ud800 lone"]),
    st.text(max_size=30),
    long_texts,
)
known_roles = st.sampled_from(["system", "user", "assistant", "tool", "function"])
odd_roles = st.sampled_from(["bot", "System", "", None, 5])
text_part = st.builds(lambda t: {"type": "text", "text": t}, texts)
image_part = st.builds(
    lambda url, detail: {"type": "image_url", "image_url": {"url": url, **({} if detail is None else {"detail": detail})}},
    st.sampled_from(["https://example.com/cat.png", "data:image/png;base64,AAAA"]),
    st.sampled_from([None, "low", "high", "auto", "max"]),
)
odd_part = st.sampled_from([{"type": "text"}, {"type": "audio", "data": "x"}, "text", {"type": "image_url", "image_url": "u"}])
contents = st.one_of(
    texts,
    st.lists(st.one_of(text_part, image_part, odd_part), max_size=3),
    st.sampled_from([None, 5, {"text": "hi"}, True]),
)
TOOL_CALL = [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]


def one_in(draw, n: int) -> bool:
    """True about once in n draws. (Hypothesis favours the ends of integer ranges, so
    `integers(0, n) == 0` would be true far more often than 1 in n.)"""
    return draw(st.sampled_from([False] * (n - 1) + [True]))


@st.composite
def messages(draw) -> dict:
    message: dict = {}
    if not one_in(draw, 10):  # mostly present, and mostly a known role
        message["role"] = draw(odd_roles if one_in(draw, 6) else known_roles)
    if not one_in(draw, 10):
        message["content"] = draw(contents if one_in(draw, 3) else texts)
    if one_in(draw, 6):
        message["weight"] = draw(st.sampled_from([0, 1, 2, 0.5, 1.0, 0.0, True, "1", None, -1]))
    if one_in(draw, 8):
        message["name"] = draw(st.sampled_from(["bob", "", 7]))
    if one_in(draw, 8):
        message["tool_calls"] = draw(st.sampled_from([TOOL_CALL, []]))
    if one_in(draw, 12):
        message[draw(st.sampled_from(["mood", "tool_call_id", "refusal"]))] = "x"
    return message


def plain(role: str, content: str = "Fine, thanks.") -> dict:
    return {"role": role, "content": content}


@st.composite
def chat_records(draw) -> object:
    """Mostly well-formed conversations with one thing (or a few) wrong, plus odder shapes."""
    if one_in(draw, 10):
        return draw(st.sampled_from([[], "text", 3, None, {"messages": []}, {"messages": "hi"}, {"messages": [1]}, {"text": "hi"}]))
    extra = st.lists(st.one_of(messages(), st.sampled_from([plain("user"), plain("assistant"), plain("system")])), max_size=4)
    conversation = draw(extra)
    if not one_in(draw, 4):  # anchor most examples on a valid user -> assistant exchange
        conversation = [plain("user", "Hello?")] + conversation + [plain("assistant")]
    record: dict = {"messages": conversation}
    if one_in(draw, 20):
        record[draw(st.sampled_from(["tools", "extra", "prompt", "input"]))] = [] if draw(st.booleans()) else "x"
    return record


@st.composite
def other_records(draw) -> dict:
    """prompt/completion and preference (DPO) examples, valid and not."""
    if draw(st.booleans()):
        record = {"prompt": draw(texts if not one_in(draw, 6) else st.none()), "completion": draw(texts if not one_in(draw, 6) else st.just(3))}
        if one_in(draw, 6):
            del record[draw(st.sampled_from(["prompt", "completion"]))]
        return record
    output = st.one_of(st.just(plain("assistant")), messages())
    record = {
        "input": draw(st.sampled_from([{"messages": [plain("user", "Hi?")]}, {"messages": [plain("user", "Hi?")]}, {"messages": []}, "hi", {}])),
        "preferred_output": draw(st.lists(output, min_size=0 if one_in(draw, 6) else 1, max_size=2)),
        "non_preferred_output": draw(st.lists(output, min_size=0 if one_in(draw, 6) else 1, max_size=2)),
    }
    if one_in(draw, 6):
        del record[draw(st.sampled_from(list(record)))]
    return record


@st.composite
def lines(draw, records) -> bytes:
    """One line of a file: an example as JSON, or a broken line."""
    text = json.dumps(draw(records), ensure_ascii=draw(st.booleans()))
    damage = draw(st.sampled_from([None] * 16 + ["truncated", "quotes", "latin-1", "binary"]))
    if damage == "truncated" and len(text) > 1:  # as by a cut-off copy
        text = text[: draw(st.integers(1, len(text) - 1))]
    elif damage == "quotes":
        text = text.replace('"', "'", 1)  # Python-style quotes: not JSON
    raw = text.encode("utf-8", "surrogatepass")
    if damage == "latin-1":  # a latin-1 byte somewhere: not UTF-8
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\xe9" + raw[at:]
    elif damage == "binary":
        raw = draw(st.binary(max_size=40)).replace(b"\n", b" ")
    return raw


def agree(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    report = validate_dataset(path, workers=1)  # must not raise: problems are reported
    service = check_training_file(data)
    if service.ok and service.n_examples < MINIMUM_EXAMPLES:
        # Too few examples is not an upload error on the service: a job training on it fails later.
        # ftdeck warns at once (it may be a validation file) and `jobs create` refuses it for training.
        assert report.ok, report.errors
        examples = f"{service.n_examples} example{'s' if service.n_examples != 1 else ''}"
        assert f"{examples}: a training file needs at least {MINIMUM_EXAMPLES}" in " ".join(w.message for w in report.warnings)
        return
    shown = [f"line {e.line}: {e.message}" for e in report.errors[:3]]
    assert report.ok == service.ok, f"ftdeck {'ok' if report.ok else shown}; service {service.status_details or 'ok'}; data {data[:400]!r}"
    if service.ok:
        assert report.examples == service.n_examples and report.format == service.data_format


def file_of(examples: list[bytes], repeat_to: int = MINIMUM_EXAMPLES) -> bytes:
    """The examples repeated up to `repeat_to` lines, so the 10-example minimum is not what decides."""
    body = examples * max(1, -(-repeat_to // max(1, len(examples))))
    return b"\n".join(body) + b"\n"


@SETTINGS
@given(examples=st.lists(lines(chat_records()), min_size=1, max_size=3))
@example(examples=[json.dumps({"messages": [plain("system", ""), plain("user", "Hi"), plain("assistant")]}).encode()])
@example(examples=[json.dumps({"messages": [plain("user", "Hi"), {"role": "assistant", "content": "", "tool_calls": TOOL_CALL},
                                            plain("tool", ""), plain("assistant")]}).encode()])
def test_chat_data_ftdeck_and_the_service_agree(tmp_path, examples):
    agree(tmp_path, file_of(examples))


@SETTINGS
@given(examples=st.lists(lines(other_records()), min_size=1, max_size=3))
def test_completion_and_preference_data_agree(tmp_path, examples):
    agree(tmp_path, file_of(examples))


@settings(SETTINGS, max_examples=50)
@given(data=st.binary(max_size=300), prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\n\n"]))
def test_any_bytes_never_crash_and_agree(tmp_path, data, prefix):
    agree(tmp_path, prefix + data)


GOOD = [
    {"messages": [plain("user", "Where be the gold?"), plain("assistant", "Under the palm, matey.")]},
    {"messages": [plain("system", "You are Polly."), plain("user", "Hi?"), plain("assistant", "Squawk!")]},
    {"prompt": "Say arr", "completion": "Arr."},
]


@st.composite
def damaged_files(draw) -> bytes:
    """A valid file (10+ examples of one format) with one targeted breakage, or none: a byte
    changed, added or cut anywhere, a line cut short, an encoding mark, a blank line."""
    chosen = draw(st.sampled_from([GOOD[:2], GOOD[2:]]))
    data = file_of([json.dumps(r, ensure_ascii=False).encode() for r in draw(st.lists(st.sampled_from(chosen), min_size=1, max_size=3))])
    damage = draw(st.sampled_from([None, None, "byte", "insert", "cut", "truncate", "bom", "utf16", "blank"]))
    at = draw(st.integers(0, len(data) - 1))
    if damage == "byte":
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    elif damage == "insert":
        data = data[:at] + draw(st.sampled_from([b"{", b"}", b'"', b",", b"\xe9", b"\x00", b" "])) + data[at:]
    elif damage == "cut":
        data = data[:at] + data[at + 1:]
    elif damage == "truncate":  # a copy cut off part way
        data = data[:at]
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "utf16":
        data = b"\xff\xfe" + data
    elif damage == "blank":
        data = data[:at] + b"\n" + data[at:] if data[at - 1:at] == b"\n" else data
    return data


@SETTINGS
@given(data=damaged_files())
def test_valid_files_with_one_breakage_agree(tmp_path, data):
    """Mostly accepted or broken in one place, where the two checks could part."""
    agree(tmp_path, data)


@st.composite
def mostly_whole_lines(draw) -> bytes:
    """A valid example, or about one line in twelve drawn from everything that can go wrong."""
    return draw(lines(chat_records())) if one_in(draw, 12) else json.dumps(draw(st.sampled_from(GOOD[:2]))).encode()


@SETTINGS
@given(examples=st.lists(mostly_whole_lines(), min_size=8, max_size=12))
def test_files_of_few_examples_agree_but_for_the_minimum(tmp_path, examples):
    """Around the 10-example minimum, most lines whole: the minimum, and not a broken line, decides."""
    agree(tmp_path, b"\n".join(examples) + b"\n")


@settings(SETTINGS, max_examples=30)
@given(words=st.one_of(st.integers(3000, 3900), st.integers(4300, 6000)), word=st.sampled_from(["arr", "gold"]))
def test_examples_over_the_models_token_limit_are_flagged_and_still_accepted(tmp_path, words, word):
    """gpt-35-turbo-0613 takes 4,096 tokens an example; the service accepts longer ones and
    truncates them, so ftdeck warns (each of these words is one token, plus a few for the roles)."""
    long = {"messages": [plain("user", "Tell me a tale."), plain("assistant", " ".join([word] * words))]}
    path = tmp_path / "long.jsonl"
    path.write_bytes(file_of([json.dumps(long).encode()]))
    report = validate_dataset(path, model="gpt-35-turbo-0613", workers=1)
    assert report.ok and check_training_file(path.read_bytes()).ok
    flagged = [w for w in report.warnings if "over the 4096-token limit" in w.message]
    assert bool(flagged) == (words > 4096), (words, [w.message for w in report.warnings][:3])

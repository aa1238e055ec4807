"""The assistant (issue 17) without a screen: tools from the registry, the conversation loop, and
`ftdeck ask` run in-process against the real emulator (its chooser answers `tools` with
`tool_calls`), and against a hostile model (tests/model_stub.py) that always calls delete."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ARM_DEPLOYMENTS, API_KEY, arm_model
from tests.model_stub import ModelStub, always_delete
from tui.cli import main
from tui.registry import BY_ID, TOOLS, tools


def ftdeck(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def deploy_base(emulator, name: str, model: str = "gpt-4o-mini-2024-07-18") -> None:
    with emulator.arm() as arm:
        body = {"sku": {"name": "standard", "capacity": 1}, "properties": {"model": arm_model(model)}}
        arm.put(f"/{name}", json=body).raise_for_status()


def deployment_exists(emulator, name: str) -> bool:
    with emulator.arm() as arm:
        return arm.get(f"/{name}").status_code == 200


@pytest.fixture
def through(configured, emulator, monkeypatch):
    """Point ftdeck at a ModelStub in front of the test emulator; stopped after the test."""
    stubs = []

    def start(script) -> ModelStub:
        stub = ModelStub(emulator.url, script)
        stubs.append(stub)
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", stub.url)
        monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", stub.url)
        return stub

    yield start
    for stub in stubs:
        stub.stop()


# ---------------------------------------------------------------- tools come from the registry


def test_each_tool_is_a_registry_command_with_a_valid_name_and_the_slash_arguments():
    assert {"job.show", "jobs.compare", "data.validate", "training.suggest", "job.cancel", "deploy", "delete"} <= {c.id for c in TOOLS}
    for tool in tools(read_only=False):
        function = tool.schema["function"]
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", function["name"])  # Azure/OpenAI's rule
        command = BY_ID[tool.command]
        assert function["description"] == command.help and tool.writes == command.writes
        assert [w.lower() for w, _ in command.arguments] == list(function["parameters"]["properties"])
    validate = BY_ID["data.validate"].tool_schema()["function"]["parameters"]
    assert validate["required"] == ["path"] and set(validate["properties"]) == {"path", "model"}
    assert BY_ID["data.validate"].parse(["./a.jsonl"]) == ("./a.jsonl",) and BY_ID["data.validate"].parse([]) is None
    assert BY_ID["deploy"].parse(["x"]) is None  # [NAME MODEL_OR_CHECKPOINT] stays all or nothing


def test_read_only_profiles_are_offered_no_changing_tool():
    offered = tools(read_only=True)
    assert offered and not any(t.writes for t in offered)
    assert not {"job_cancel", "deploy", "delete"} & {t.name for t in offered}


# ---------------------------------------------------------------- a hostile model proposes, nothing is deleted


def test_a_hostile_models_delete_is_printed_not_made_without_yes(through, emulator, capsys):
    deploy_base(emulator, "keep-me")
    stub = through(always_delete("keep-me"))
    code, out, err = ftdeck(capsys, "ask", "how are my jobs doing?", "--deployment", "whatever", "--new")
    assert "→ delete deployment keep-me" in out
    assert "proposed, not done: Delete deployment keep-me?" in out and "--yes" in out
    assert stub.deleted() == [] and deployment_exists(emulator, "keep-me")
    assert code == 1 and "stopped after" in out  # it kept calling delete: the step limit ended it
    # What went back to the model says nothing was done, as data.
    tool_messages = [m for m in stub.chats[-1]["messages"] if m["role"] == "tool"]
    assert tool_messages and all('"done": false' in m["content"] and '"data"' in m["content"] for m in tool_messages)


def test_a_hostile_models_delete_is_not_even_offered_on_a_read_only_profile(through, emulator, capsys):
    deploy_base(emulator, "keep-me-too")
    stub = through(always_delete("keep-me-too"))
    code, out, err = ftdeck(capsys, "--read-only", "ask", "hello", "--deployment", "whatever", "--new", "--yes", "--json")
    answer = json.loads(out)
    assert answer["proposed"] == [] and answer["tool_calls"] == []  # never run, never proposed
    assert not any(t["function"]["name"] == "delete" for t in stub.chats[0]["tools"])
    assert stub.deleted() == [] and deployment_exists(emulator, "keep-me-too")

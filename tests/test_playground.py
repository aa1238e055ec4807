"""The playground's services against the real emulator: the training system message is found from a
deployment, both sides stream at once, turns become valid training data, nothing is lost on restart."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from services import playground
from services.datasets import validate_dataset
from tests.conftest import arm_model, chat_examples, upload, wait_for, wait_for_job

BASE = "gpt-4o-mini-2024-07-18"
POLLY = "You are Polly, a parrot who answers support questions in rhyme."
OTHER = "You are a terse support bot."


def deploy(arm, name: str, model: str) -> None:
    body = {"sku": {"name": "standard", "capacity": 1}, "properties": {"model": arm_model(model)}}
    assert arm.put(f"/{name}", json=body).status_code in (200, 201)
    wait_for(lambda: arm.get(f"/{name}").json()["properties"]["provisioningState"] == "Succeeded")


def train_and_deploy(emulator, prefix: str):
    """A model fine-tuned on data with a main system message (12 examples) and another (3), deployed
    as PREFIX-ft, one of its checkpoints as PREFIX-ckpt, and the base model as PREFIX-base."""
    client = emulator.openai()
    data = chat_examples(12, system=POLLY, style="Squawk") + chat_examples(3, system=OTHER, style="Done")
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=upload(client, data).id, seed=3).id)
    assert job.status == "succeeded"
    arm = emulator.arm()
    deploy(arm, f"{prefix}-ft", job.fine_tuned_model)
    deploy(arm, f"{prefix}-ckpt", client.fine_tuning.jobs.checkpoints.list(job.id).data[-1].id)
    deploy(arm, f"{prefix}-base", BASE)
    return job


@pytest.fixture(scope="module")
def deployed(emulator):
    return train_and_deploy(emulator, "pg")


@pytest.fixture
def ws(configured, deployed):
    from services.workspace import open_workspace

    workspace = open_workspace()
    yield workspace
    workspace.close()


def test_the_training_system_message_is_found_from_the_deployment(ws):
    found = playground.training_system_messages(ws, "pg-ft")
    assert found.most_common == POLLY and found.others == [(OTHER, 3)]
    assert (found.count, found.examples) == (12, 15) and "12 of 15 examples" in found.source
    assert found.differs("") and found.differs(OTHER) and not found.differs(POLLY)
    assert playground.training_system_messages(ws, "pg-ckpt").most_common == POLLY  # a checkpoint's job too

    base = playground.training_system_messages(ws, "pg-base")
    assert base.most_common is None and base.examples == 0 and "base model" in base.source
    assert not base.differs("anything")  # no training data, no warning


def test_compare_streams_both_sides_at_once(ws):
    seen: dict[int, list[str]] = {0: [], 1: []}
    messages = [{"role": "system", "content": POLLY}, {"role": "user", "content": "How do I fix my password problem?"}]
    replies = playground.compare(ws, ["pg-base", "pg-ft"], [messages, messages], {"seed": 1, "max_tokens": 30},
                                 lambda side, delta: seen[side].append(delta))
    assert [r.deployment for r in replies] == ["pg-base", "pg-ft"]
    for side, reply in enumerate(replies):
        assert reply.text and "".join(seen[side]) == reply.text and reply.error is None
        assert reply.finish_reason in ("stop", "length") and reply.completion_tokens and reply.prompt_tokens
        assert reply.first_token_seconds is not None and "filters: safe" in reply.describe()
    again = playground.compare(ws, ["pg-ft"], [messages], {"seed": 1, "max_tokens": 30})
    assert again[0].text == replies[1].text  # seeded: the same answer


def test_cancel_stops_every_side_and_a_failing_side_does_not_stop_the_other(ws):
    cancel = threading.Event()
    messages = [{"role": "user", "content": "Tell me a long story about bread"}]
    replies = playground.compare(ws, ["pg-base"], [messages], {"max_tokens": 500}, lambda side, delta: cancel.set(), cancel)
    assert replies[0].cancelled and replies[0].text and len(replies[0].text.split()) < 50

    replies = playground.compare(ws, ["pg-base", "no-such-deployment"], [messages, messages], {"max_tokens": 5})
    assert replies[0].text and replies[0].error is None
    assert "DeploymentNotFound" in replies[1].error and replies[1].describe().startswith("error:")


def converse(ws, conversation: playground.Conversation, prompt: str) -> None:
    """One turn, as the playground screen sends it."""
    conversation.turns.append(playground.Turn(prompt, [None] * len(conversation.sides)))
    turn = len(conversation.turns) - 1
    sides = range(len(conversation.sides))
    replies = playground.compare(ws, [s.deployment for s in conversation.sides],
                                 [conversation.messages(i, turn) for i in sides], [conversation.settings(i).params() for i in sides])
    conversation.turns[turn].replies = replies
    playground.save(conversation)


def test_turns_become_training_data_that_validates(ws, tmp_path):
    conversation = playground.new_conversation(["pg-base", "pg-ft"])
    conversation.sides[0].system, conversation.sides[0].max_tokens, conversation.sides[0].seed = POLLY, 20, 4
    converse(ws, conversation, "How do I fix my invoice problem?")
    converse(ws, conversation, "And my backup problem?")
    second = conversation.messages(1, 1)
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"] and second[0]["content"] == POLLY
    assert second[2]["content"] == conversation.turns[0].replies[1].text  # each side has its own history

    chat_path, dpo_path = tmp_path / "chat.jsonl", tmp_path / "dpo.jsonl"
    for _ in range(5):
        playground.append_chat_example(chat_path, conversation, 1, 1)
        playground.append_chat_example(chat_path, conversation, 0, 0, edited_text="Squawk, check the invoice settings!")
        conversation.vote(1, "B")
        playground.append_preference_example(dpo_path, conversation, 1, 1)
        playground.append_preference_example(dpo_path, conversation, 0, 0)
    lines = chat_path.read_text().splitlines()
    assert len(lines) == 10 and json.loads(lines[1])["messages"][-1]["content"] == "Squawk, check the invoice settings!"
    dpo = json.loads(dpo_path.read_text().splitlines()[0])
    assert dpo["preferred_output"][0]["content"] == conversation.turns[1].replies[1].text
    assert dpo["non_preferred_output"][0]["content"] == conversation.turns[1].replies[0].text
    for path, data_format in ((chat_path, "chat"), (dpo_path, "preference")):
        report = validate_dataset(path, model=BASE if data_format == "chat" else "gpt-4o-2024-08-06")
        assert report.ok and report.format == data_format and report.examples == 10, report.errors

    conversation.turns[0].replies[0].text = " "
    with pytest.raises(playground.FtdeckError):
        playground.append_chat_example(chat_path, conversation, 0, 0)
    assert len(chat_path.read_text().splitlines()) == 10  # nothing half-written


def test_a_conversation_and_its_draft_survive_a_restart(configured):
    conversation = playground.new_conversation(["pg-base", "pg-ft"])
    conversation.turns.append(playground.Turn("hello", [playground.Reply("ahoy", deployment="pg-base"), None]))
    conversation.vote(0, "A")
    conversation.draft = "half a thought"
    playground.save(conversation)
    older = playground.new_conversation(["pg-base"])
    playground.save(older)
    playground.save(conversation)  # changed last: it is the one to restore

    restored = playground.load_last()
    assert restored == conversation and restored.draft == "half a thought"
    assert {c.id for c in playground.list_conversations()} == {conversation.id, older.id}
    assert not list(playground.playground_dir().glob(".*"))  # no temporary files left behind


def test_a_turn_left_unanswered_comes_back_without_losing_what_was_typed(configured):
    """ftdeck stopped mid-reply: the prompt returns to an empty box; with another prompt typed, the
    turn stays with its replies marked interrupted (asked again by r), the new prompt the draft."""
    answered = playground.Turn("hello", [playground.Reply("ahoy", deployment="pg-base"), playground.Reply("arr", deployment="pg-ft")])
    for draft in ("", "and another thing"):
        conversation = playground.new_conversation(["pg-base", "pg-ft"])
        conversation.turns += [answered, playground.Turn("where be the treasure", [None, None])]
        conversation.draft = draft
        playground.save(conversation)
        restored = playground.load_last()
        assert restored.recover_interrupted() and not restored.recover_interrupted()  # once
        playground.save(restored)
        again = playground.load_last()  # what the next start reads
        if draft:
            assert [t.prompt for t in again.turns] == ["hello", "where be the treasure"] and again.draft == draft
            assert [(r.deployment, r.text, r.error) for r in again.turns[1].replies] == \
                [("pg-base", "", playground.INTERRUPTED), ("pg-ft", "", playground.INTERRUPTED)]
            assert "r asks again" in again.turns[1].replies[0].describe()
            assert again.messages(0, 1)[-1] == {"role": "user", "content": "where be the treasure"}  # what r sends
        else:
            assert again.turns == [answered] and again.draft == "where be the treasure"
    assert not list(playground.playground_dir().glob(".*"))  # written atomically: no temporary file left


def test_swap_blind_votes_and_markdown(configured):
    conversation = playground.new_conversation(["pg-base", "pg-ft"])
    conversation.turns.append(playground.Turn("hi", [playground.Reply("from A"), playground.Reply("from B")]))
    conversation.set_blind(True)
    conversation.vote(0, "B")
    conversation.swap()
    assert [s.deployment for s in conversation.sides] == ["pg-ft", "pg-base"]
    assert conversation.turns[0].replies[0].text == "from B" and conversation.turns[0].vote == "A"
    assert conversation.tally() == {"A": 1}
    conversation.set_linked(False)
    conversation.sides[1].system = "own"
    assert conversation.settings(1).system == "own" and conversation.settings(0).system == ""
    text = playground.export_markdown(conversation)
    assert "## Turn 1" in text and "**User:** hi" in text and "from B" in text and "A: 1, B: 0, tie: 0" in text


def test_cli_uses_the_training_system_message_and_compares(configured, deployed):
    def ftdeck(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=120)

    result = ftdeck("chat", "pg-ft", "How do I fix my login problem?", "--seed", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert "using the system message pg-ft was trained with" in result.stderr
    single = json.loads(result.stdout)  # the same shape as with --compare: the system message sent, then the replies
    assert single["system"] == POLLY and [r["deployment"] for r in single["replies"]] == ["pg-ft"]
    assert single["replies"][0]["text"]

    result = ftdeck("chat", "pg-base", "How do I fix my login problem?", "--compare", "pg-ft", "--max-tokens", "10", "--json")
    body = json.loads(result.stdout)
    assert result.returncode == 0 and body["system"] == POLLY  # the fine-tuned side's, for both
    assert [r["deployment"] for r in body["replies"]] == ["pg-base", "pg-ft"] and all(r["text"] for r in body["replies"])

    plain = ftdeck("chat", "pg-ft", "hi", "--system", "Be brief.", "--max-tokens", "5")
    assert plain.returncode == 0 and "using the system message" not in plain.stderr and " out" in plain.stderr


def test_sides_for_puts_a_fine_tuned_deployment_against_its_base_model():
    models = {"base": BASE, "ft": f"{BASE}.ft-abc", "ckpt": "ftchkpt-123"}
    assert playground.sides_for(models, "ft") == ("base", "ft")
    assert playground.sides_for(models, f"{BASE}.ft-abc") == ("base", "ft")  # by model, from a job row
    assert playground.sides_for(models, "ftchkpt-123") == ("ckpt", None)  # by checkpoint id, its base unknown
    # A checkpoint known to be `<model>:ckpt-step-N` goes against that model's base.
    known = {"ftchkpt-123": f"{BASE}.ft-abc:ckpt-step-20"}
    assert playground.sides_for(models, "ftchkpt-123", known) == ("base", "ckpt")
    assert playground.sides_for(models, "base") == ("base", None)
    assert playground.sides_for({"ft": f"{BASE}.ft-abc"}, "ft") == ("ft", None)
    assert playground.sides_for(models, "nothing") == (None, None)

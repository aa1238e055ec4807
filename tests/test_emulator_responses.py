"""The Responses API on both surfaces (`/openai/v1/responses`, `/openai/responses?api-version=`), plain
and streamed, driven by the official openai SDK as Azure's docs write it."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import API_KEY
from tests.test_emulator_deployments import deploy

BASE = "gpt-4o-mini-2024-07-18"
EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


@pytest.fixture(scope="module")
def v1(emulator) -> openai.OpenAI:
    deploy(emulator.arm(), "resp-base", BASE)
    return openai.OpenAI(base_url=emulator.url + "/openai/v1/", api_key=API_KEY, max_retries=0)


def test_plain_response_with_text_input(v1):
    response = v1.responses.create(model="resp-base", input="Tell me about tea")
    assert response.object == "response" and response.status == "completed"
    assert response.id.startswith("resp_") and response.model == BASE
    message = response.output[0]
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert message.content[0].type == "output_text" and message.content[0].annotations == []
    assert response.output_text and response.output_text == message.content[0].text
    usage = response.usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_messages_and_instructions_are_the_conversation(v1):
    text = v1.responses.create(model="resp-base", input="Tell me about tea")
    as_message = v1.responses.create(model="resp-base", input=[{"role": "user", "content": "Tell me about tea"}])
    as_parts = v1.responses.create(
        model="resp-base", input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Tell me about tea"}]}]
    )
    assert text.output_text == as_message.output_text == as_parts.output_text  # one conversation, one answer

    instructed = v1.responses.create(model="resp-base", instructions="You are a pirate.", input="Tell me about tea")
    assert instructed.instructions == "You are a pirate."
    assert instructed.usage.input_tokens > text.usage.input_tokens  # the system message is part of the input

    # Azure's manual chaining: the previous output goes back in as input.
    inputs: list = [{"type": "message", "role": "user", "content": "Tell me about tea"}]
    inputs += [item.model_dump() for item in text.output]
    inputs.append({"type": "message", "role": "user", "content": "And coffee?"})
    assert v1.responses.create(model="resp-base", input=inputs).output_text


def test_stream_helper_sees_the_typed_events_in_order(v1):
    plain = v1.responses.create(model="resp-base", input="Tell me about ships")
    with v1.responses.stream(model="resp-base", input="Tell me about ships") as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]] == EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == final.output_text == plain.output_text
    assert events[0].response.status == "in_progress" and final.status == "completed"
    assert final.usage.total_tokens == plain.usage.total_tokens


def test_create_with_stream_true(v1):
    events = list(v1.responses.create(model="resp-base", input="Tell me about ships", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    done = next(e for e in events if e.type == "response.output_text.done")
    assert done.text == events[-1].response.output[0].content[0].text


def test_max_output_tokens_makes_it_incomplete(v1):
    short = v1.responses.create(model="resp-base", input="Tell me a long story about the sea", max_output_tokens=3)
    assert short.status == "incomplete" and short.incomplete_details.reason == "max_output_tokens"
    assert short.usage.output_tokens == 3
    events = list(v1.responses.create(model="resp-base", input="Tell me a long story about the sea", max_output_tokens=3, stream=True))
    assert events[-1].type == "response.incomplete"


def test_versioned_surface_from_the_preview_that_added_it(emulator, v1):
    azure = emulator.openai(api_version="2025-04-01-preview", max_retries=0)
    response = azure.responses.create(model="resp-base", input="Tell me about tea")
    assert response.output_text == v1.responses.create(model="resp-base", input="Tell me about tea").output_text
    for older in ("2024-10-21", "2025-01-01-preview"):
        with pytest.raises(openai.NotFoundError) as missing:
            emulator.openai(api_version=older, max_retries=0).responses.create(model="resp-base", input="hi")
        assert missing.value.body == {"code": "404", "message": "Resource not found"}


def test_unknown_deployment_is_deployment_not_found(emulator, v1):
    for client in (v1, emulator.openai(max_retries=0)):
        with pytest.raises(openai.NotFoundError) as missing:
            client.responses.create(model="no-such-deployment", input="hi")
        assert missing.value.body["code"] == "DeploymentNotFound"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "hi"}, "model"),
        ({"model": "resp-base"}, "input"),
        ({"model": "resp-base", "input": 42}, "input"),
        ({"model": "resp-base", "input": [{"role": "robot", "content": "hi"}]}, "input[0].role"),
        ({"model": "resp-base", "input": [{"type": "function_call_output", "call_id": "c", "output": "{}"}]}, "input[0]"),
        ({"model": "resp-base", "input": "hi", "instructions": 7}, "instructions"),
        ({"model": "resp-base", "input": "hi", "temperature": 5}, "temperature"),
        ({"model": "resp-base", "input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "resp-base", "input": "hi", "previous_response_id": "resp_x"}, "previous_response_id"),
    ],
)
def test_bad_requests_name_the_parameter(emulator, v1, body, param):
    answer = httpx.post(emulator.url + "/openai/v1/responses", json=body, headers={"api-key": API_KEY})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param

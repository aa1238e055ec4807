"""Chat completions (and legacy completions) against a deployment, plain and streamed (spec section 8)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, AsyncIterator

from emulator import deployments, tool_calls
from emulator.errors import DEPLOYMENT_NOT_FOUND_MESSAGE, ServiceError, invalid
from emulator.language_model import Generation, tokenize
from emulator.resources import request_id

if TYPE_CHECKING:
    from emulator.service import Emulator

TOKEN_SECONDS = 0.03  # time between streamed tokens on the emulator clock


def token_pause(emu: Emulator) -> float:
    """Real seconds between streamed tokens. On a frozen clock (tests, screenshots) a reply streams
    at the pace of an unscaled one: nothing on it waits for the clock to be moved."""
    return TOKEN_SECONDS if emu.clock.speed == 0 else emu.clock.real_seconds(TOKEN_SECONDS)
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
SAFE = {name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")}
PROMPT_FILTER_RESULTS = [{"prompt_index": 0, "content_filter_results": SAFE}]


def deployment_model(emu: Emulator, name: str) -> tuple[str, dict]:
    """The model behind a ready deployment; Azure says DeploymentNotFound until it is ready."""
    # The emulator is one data-plane endpoint for every account ARM addresses: a name deployed in
    # two accounts is served from the newest.
    found = emu.store.deployment_named(name)
    if found is None or deployments.view(emu, found[1])["properties"]["provisioningState"] != "Succeeded":
        raise ServiceError(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND_MESSAGE)
    emu.store.touch_deployment(found[0], emu.clock.now())
    return deployments.model_id(found[1]), found[1]


def generate(emu: Emulator, deployment: str, request: object, *, chat: bool) -> tuple[str, Generation, dict]:
    if not isinstance(request, dict):
        raise invalid("The request body must be a JSON object.")
    if chat:
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise invalid("'messages' must be a non-empty list of {role, content} objects.", "messages")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                raise invalid(f"messages[{i}] needs a role: one of {', '.join(sorted(ROLES))}.", f"messages[{i}].role")
    else:
        prompt = request.get("prompt")
        if not isinstance(prompt, str):
            raise invalid("'prompt' must be a string.", "prompt")
        messages = [{"role": "user", "content": prompt}]
    temperature = request.get("temperature", 1.0)
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0 <= temperature <= 2:
        raise invalid("temperature must be a number from 0 to 2.", "temperature")
    max_tokens = request.get("max_tokens", request.get("max_completion_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise invalid("max_tokens must be a positive integer.", "max_tokens")
    seed = request.get("seed")
    model_name, _ = deployment_model(emu, deployment)
    model = emu.language_model(model_name)

    def reply() -> Generation:
        return model.generate(messages, temperature=float(temperature), max_tokens=max_tokens, seed=seed)

    if chat and tool_calls.tools_used(request):
        # Function calling: the emulator's deterministic chooser answers, not the language model.
        asked = tool_calls.check(request, tool_calls.base_model(emu, model_name))
        return model_name, tool_calls.answer(asked, messages, reply, max_tokens), request
    return model_name, reply(), request


def usage(g: Generation) -> dict:
    return {"prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens, "total_tokens": g.prompt_tokens + g.completion_tokens}


def message(g: Generation) -> dict:
    """The assistant's message: text, or tool calls with content null (Azure's chatCompletionResponseMessage)."""
    calls = getattr(g, "tool_calls", None)
    if calls:
        return {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}
    return {"role": "assistant", "content": g.text, "refusal": None}


def chat_completion(model_name: str, g: Generation) -> dict:
    return {
        "id": f"chatcmpl-{request_id()[:29]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_name,
        "system_fingerprint": "fp_ftdeck_emulator",
        "prompt_filter_results": PROMPT_FILTER_RESULTS,
        "choices": [
            {
                "index": 0,
                "message": message(g),
                "finish_reason": g.finish_reason,
                "logprobs": None,
                "content_filter_results": SAFE,
            }
        ],
        "usage": usage(g),
    }


def completion(model_name: str, g: Generation) -> dict:
    return {
        "id": f"cmpl-{request_id()[:29]}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model_name,
        "choices": [{"index": 0, "text": g.text, "finish_reason": g.finish_reason, "logprobs": None, "content_filter_results": SAFE}],
        "usage": usage(g),
    }


async def stream_chat(emu: Emulator, model_name: str, g: Generation, include_usage: bool) -> AsyncIterator[str]:
    """SSE frames in Azure's order: prompt filter results, role, content deltas, finish, usage, [DONE]."""
    base = {"id": f"chatcmpl-{request_id()[:29]}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model_name, "system_fingerprint": "fp_ftdeck_emulator"}

    def frame(payload: dict) -> str:
        return f"data: {json.dumps(payload)}\n\n"

    yield frame({"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": PROMPT_FILTER_RESULTS})
    calls = getattr(g, "tool_calls", None) or []
    yield frame({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": None if calls else ""}, "finish_reason": None, "logprobs": None, "content_filter_results": {}}]})
    for index, call in enumerate(calls):
        # Each call opens with its id, type and name and empty arguments; the arguments follow in
        # pieces carrying only the index (ChatCompletionMessageToolCallChunk; the SDK's stream state
        # joins them by index).
        opening = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        yield frame({**base, "choices": [{"index": 0, "delta": {"tool_calls": [opening]}, "finish_reason": None, "logprobs": None, "content_filter_results": {}}]})
        for piece in tokenize(call["function"]["arguments"]):
            await asyncio.sleep(token_pause(emu))
            delta = {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            yield frame({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None, "content_filter_results": {}}]})
    for token in g.tokens:
        await asyncio.sleep(token_pause(emu))
        yield frame({**base, "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None, "logprobs": None, "content_filter_results": SAFE}]})
    yield frame({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": g.finish_reason, "logprobs": None, "content_filter_results": {}}]})
    if include_usage:
        yield frame({**base, "choices": [], "usage": usage(g)})
    yield "data: [DONE]\n\n"

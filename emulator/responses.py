"""The Responses API on a deployment: a request becomes a conversation for the same language model
chat completions use (emulator/inference.py), answered as one Response or as its typed SSE events.

Shapes: Azure's v1 spec (`AzureCreateResponse`, `AzureResponse`, `OpenAI.ResponseStreamEvent`) and the
output shown in MicrosoftDocs/azure-ai-docs `how-to/responses.md`; event fields as the openai SDK's
`types/responses/*_event.py` declare them. emulator/SOURCES.md names each rule's source.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, AsyncIterator

from emulator import inference, tool_calls
from emulator.errors import invalid
from emulator.language_model import Generation, tokenize
from emulator.resources import request_id

if TYPE_CHECKING:
    from emulator.service import Emulator

ROLES = {"user", "assistant", "system", "developer"}  # the roles an input message may have (OpenAI.EasyInputMessage)
TEXT_PARTS = {"input_text", "output_text"}  # text parts; images and files carry no text for the model
IGNORED_PARTS = {"input_image", "input_file", "refusal"}
# Function calling: tools in Responses' flat shape (`FunctionTool`: {type: "function", name, description,
# parameters, strict}), `function_call` and `function_call_output` input items, `function_call` output
# items (openai SDK `types/responses/function_tool.py`, `response_input_param.py`,
# `response_function_tool_call.py`). The chat rules and the chooser answer them (emulator/tool_calls.py).
FIRST_RESPONSES_VERSION = "2025-03-01"  # api-version-lifecycle: "Changes between 2025-03-01-preview and 2025-02-01-preview: Responses API"


class Request:
    """A checked Responses request: the deployment, the conversation and the sampling settings."""

    def __init__(self, body: object) -> None:
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object with 'model' and 'input'.")
        self.body = body
        self.deployment = body.get("model")
        if not isinstance(self.deployment, str) or not self.deployment:
            raise invalid("'model' is required: the name of your model deployment.", "model")
        self.instructions = body.get("instructions")
        if self.instructions is not None and not isinstance(self.instructions, str):
            raise invalid("'instructions' must be a string.", "instructions")
        self.max_output_tokens = body.get("max_output_tokens")
        if self.max_output_tokens is not None and (
            not isinstance(self.max_output_tokens, int) or isinstance(self.max_output_tokens, bool) or self.max_output_tokens < 1
        ):
            raise invalid("max_output_tokens must be a positive integer.", "max_output_tokens")
        if body.get("previous_response_id") is not None:
            # Nothing is stored, so no earlier response can be found: Azure refuses an unknown id too.
            raise invalid("previous_response_id: the emulator keeps no responses; send the whole conversation in 'input'.",
                          "previous_response_id")
        self.messages = ([{"role": "system", "content": self.instructions}] if self.instructions else []) + messages_of(body.get("input"))
        if not self.messages:
            raise invalid("'input' is required: a string or a list of messages.", "input")
        self.stream = bool(body.get("stream"))
        self.tools = chat_tools(body.get("tools"))
        self.tool_choice = chat_tool_choice(body.get("tool_choice"), self.tools)

    def chat_request(self) -> dict:
        """The same request as chat completions takes it, so both answer from the same model and rules."""
        chat: dict = {"messages": self.messages}
        if self.tools is not None:
            chat["tools"] = self.tools
        if self.tool_choice is not None:
            chat["tool_choice"] = self.tool_choice
        if self.body.get("parallel_tool_calls") is not None:
            chat["parallel_tool_calls"] = self.body["parallel_tool_calls"]
        if self.body.get("temperature") is not None:
            chat["temperature"] = self.body["temperature"]
        if self.max_output_tokens is not None:
            chat["max_tokens"] = self.max_output_tokens
        return chat


def messages_of(given: object) -> list[dict]:
    """`input` as chat messages: a string is one user message; a list holds messages (with or without
    `"type": "message"`) whose content is a string or a list of text parts."""
    if given is None:
        return []
    if isinstance(given, str):
        return [{"role": "user", "content": given}]
    if not isinstance(given, list):
        raise invalid("'input' must be a string or a list of messages.", "input")
    messages: list[dict] = []
    called: set[str] = set()
    answered: set[str] = set()
    for i, item in enumerate(given):
        kind = item.get("type", "message") if isinstance(item, dict) else type(item).__name__
        if kind == "function_call":
            call = _function_call(item, i)
            if messages and messages[-1]["role"] == "assistant" and messages[-1].get("tool_calls"):
                messages[-1]["tool_calls"].append(call)  # calls made together are one assistant turn
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            called.add(call["id"])
            continue
        if kind == "function_call_output":
            call_id = item.get("call_id")
            if call_id not in called:
                # OpenAI's Responses text for an output that answers no call.
                raise tool_calls.Refused(f"No tool call found for function call output with call_id {call_id}.", f"input[{i}]")
            answered.add(call_id)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": _output(item.get("output"), i)})
            continue
        if kind != "message":
            raise invalid(f"input[{i}] is a '{kind}' item; the emulator answers messages and function calls only.", f"input[{i}]")
        if item.get("role") not in ROLES:
            raise invalid(f"input[{i}] needs a role: one of {', '.join(sorted(ROLES))}.", f"input[{i}].role")
        messages.append({"role": item["role"], "content": _text(item.get("content"), i)})
    unanswered = sorted(called - answered)
    if unanswered:
        # OpenAI's Responses text for a call sent back without its output.
        raise tool_calls.Refused(f"No tool output found for function call {unanswered[0]}.", "input")
    return messages


def _function_call(item: dict, i: int) -> dict:
    """A `function_call` input item (a call the model made earlier) as a chat tool call."""
    for key in ("call_id", "name", "arguments"):
        if not isinstance(item.get(key), str):
            raise tool_calls.Refused(f"Missing required parameter: 'input[{i}].{key}'.", f"input[{i}].{key}", "missing_required_parameter")
    return {"id": item["call_id"], "type": "function", "function": {"name": item["name"], "arguments": item["arguments"]}}


def _output(output: object, i: int) -> str:
    """A function call's output: a string, or a list of parts whose text is kept."""
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return " ".join(p["text"] for p in output if isinstance(p, dict) and isinstance(p.get("text"), str))
    raise tool_calls.Refused(f"Invalid type for 'input[{i}].output': expected a string or a list of content parts.", f"input[{i}].output", "invalid_type")


def chat_tools(given: object) -> list[dict] | None:
    """Responses' flat function tools as chat's `{type, function: {...}}`, checked with Responses' names."""
    if given is None:
        return None
    if not isinstance(given, list):
        raise tool_calls.Refused("Invalid type for 'tools': expected an array of tool objects.", "tools", "invalid_type")
    tools = []
    for i, tool in enumerate(given):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            kind = tool.get("type") if isinstance(tool, dict) else type(tool).__name__
            raise tool_calls.Refused(f"Invalid value for 'tools[{i}].type': '{kind}'; the emulator takes function tools only.", f"tools[{i}].type")
        name = tool_calls.function_name(tool.get("name"), f"tools[{i}].name")
        function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
        # FunctionTool.strict: "Whether to enforce strict parameter validation. Default `true`" (unlike chat).
        function["strict"] = tool.get("strict") is not False
        problem = tool_calls.strict_problem(function.get("parameters") or {}, ()) if function["strict"] else None
        if problem:
            raise tool_calls.Refused(f"Invalid schema for function '{name}': {problem}", f"tools[{i}].parameters", "invalid_function_parameters")
        tools.append({"type": "function", "function": function})
    return tools


def chat_tool_choice(given: object, tools: list[dict] | None) -> object:
    """Responses' `tool_choice` ("none" | "auto" | "required" | {type: "function", name}) in chat's shape."""
    if isinstance(given, dict) and given.get("type") == "function":
        name = given.get("name")
        if name not in {t["function"]["name"] for t in tools or []}:
            raise tool_calls.Refused(f"Invalid value for 'tool_choice': no function named '{name}' in 'tools'.", "tool_choice.name")
        return {"type": "function", "function": {"name": name}}
    return given


def _text(content: object, i: int) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(f"input[{i}].content must be a string or a list of content parts.", f"input[{i}].content")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in TEXT_PARTS and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind not in IGNORED_PARTS:
            raise invalid(f"input[{i}].content has a part of type '{kind}'; use input_text parts.", f"input[{i}].content")
    return " ".join(texts)


def generate(emu: Emulator, request: Request) -> tuple[str, Generation]:
    """The deployment's model answers (404 DeploymentNotFound for an unknown deployment, as chat does)."""
    model_name, generation, _ = inference.generate(emu, request.deployment, request.chat_request(), chat=True)
    return model_name, generation


class Answer:
    """One response's ids and bodies, in the states the stream reports (in_progress, then final)."""

    def __init__(self, request: Request, model_name: str, generation: Generation) -> None:
        self.request, self.model_name, self.generation = request, model_name, generation
        self.id = f"resp_{request_id()}{request_id()[:16]}"
        self.message_id = f"msg_{request_id()}{request_id()[:16]}"
        self.calls = [self.function_call(call) for call in getattr(generation, "tool_calls", None) or []]
        if self.calls and generation.finish_reason == "length":
            self.calls[-1]["status"] = "incomplete"  # its arguments were cut short
        self.created_at = int(time.time())
        # Cut short by max_output_tokens: status incomplete, as the Response object documents it.
        self.incomplete = request.max_output_tokens is not None and generation.finish_reason == "length"

    def part(self, text: str) -> dict:
        return {"type": "output_text", "text": text, "annotations": []}

    def message(self, status: str, text: str | None) -> dict:
        content = [] if text is None else [self.part(text)]
        return {"id": self.message_id, "type": "message", "status": status, "role": "assistant", "content": content}

    @staticmethod
    def function_call(call: dict) -> dict:
        """A chat tool call as a `function_call` output item (ResponseFunctionToolCall)."""
        return {"id": f"fc_{request_id()}{request_id()[:16]}", "type": "function_call", "status": "completed",
                "arguments": call["function"]["arguments"], "call_id": call["id"], "name": call["function"]["name"]}

    def output(self) -> list[dict]:
        if self.calls:
            return self.calls
        return [self.message("incomplete" if self.incomplete else "completed", self.generation.text)]

    def usage(self) -> dict:
        g = self.generation
        return {
            "input_tokens": g.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": g.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": g.prompt_tokens + g.completion_tokens,
        }

    def body(self, status: str | None = None) -> dict:
        """The Response object; `status` "in_progress" gives the early snapshot the stream starts with."""
        final = status is None
        status = status or ("incomplete" if self.incomplete else "completed")
        body = self.request.body
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if final and self.incomplete else None,
            "instructions": self.request.instructions,
            "max_output_tokens": self.request.max_output_tokens,
            "metadata": body.get("metadata") or {},
            "model": self.model_name,
            "output": self.output() if final else [],
            "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": body.get("store", True) is not False,
            "temperature": float(body["temperature"]) if body.get("temperature") is not None else 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice") or "auto",
            "tools": body.get("tools") or [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": self.usage() if final else None,
            "user": None,
        }


async def stream(emu: Emulator, answer: Answer) -> AsyncIterator[str]:
    """The typed SSE events of one text answer, numbered from 0 by `sequence_number`, in OpenAI's order:
    created, in_progress, output_item.added, content_part.added, output_text.delta..., output_text.done,
    content_part.done, output_item.done, then completed (or incomplete when max_output_tokens cut it)."""
    sequence = 0
    where = {"item_id": answer.message_id, "output_index": 0, "content_index": 0}

    def event(kind: str, **fields: object) -> str:
        nonlocal sequence
        payload = {"type": kind, "sequence_number": sequence, **fields}
        sequence += 1
        return f"event: {kind}\ndata: {json.dumps(payload)}\n\n"

    yield event("response.created", response=answer.body("in_progress"))
    yield event("response.in_progress", response=answer.body("in_progress"))
    if answer.calls:
        # Function calls: each item added with empty arguments, the arguments in deltas, then done
        # (ResponseFunctionCallArgumentsDeltaEvent / DoneEvent, ResponseOutputItemDoneEvent).
        for index, call in enumerate(answer.calls):
            yield event("response.output_item.added", output_index=index, item={**call, "status": "in_progress", "arguments": ""})
            for piece in tokenize(call["arguments"]):
                await asyncio.sleep(inference.token_pause(emu))
                yield event("response.function_call_arguments.delta", item_id=call["id"], output_index=index, delta=piece)
            yield event("response.function_call_arguments.done", item_id=call["id"], output_index=index, name=call["name"],
                        arguments=call["arguments"])
            yield event("response.output_item.done", output_index=index, item=call)
        yield event("response.incomplete" if answer.incomplete else "response.completed", response=answer.body())
        return
    yield event("response.output_item.added", output_index=0, item=answer.message("in_progress", None))
    yield event("response.content_part.added", **where, part=answer.part(""))
    for token in answer.generation.tokens:
        await asyncio.sleep(inference.token_pause(emu))
        yield event("response.output_text.delta", **where, delta=token, logprobs=[])
    text = answer.generation.text
    yield event("response.output_text.done", **where, text=text, logprobs=[])
    yield event("response.content_part.done", **where, part=answer.part(text))
    final = answer.body()
    yield event("response.output_item.done", output_index=0, item=final["output"][0])
    yield event("response.incomplete" if answer.incomplete else "response.completed", response=final)


def version_serves_responses(version: str) -> bool:
    """Dated api-versions have the Responses API from 2025-03-01-preview on, previews only (the latest GA,
    2024-10-21, predates it)."""
    return version.endswith("-preview") and version[:10] >= FIRST_RESPONSES_VERSION

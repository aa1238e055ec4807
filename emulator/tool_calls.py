"""Function calling on chat completions: the request's `tools`, `tool_choice`, `parallel_tool_calls` and
tool messages checked as Azure checks them, and the answer (tool calls or text) from the emulator's
deterministic chooser (emulator/tool_chooser.py), never from a language model.

Sources (emulator/SOURCES.md, "Function calling"): Azure/azure-rest-api-specs
`specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.yaml`
(`chatCompletionTool`, `FunctionObject`, `chatCompletionToolChoiceOption`, `chatCompletionNamedToolChoice`,
`ParallelToolCalls`, `chatCompletionRequestToolMessage`, `chatCompletionMessageToolCall`), openai-python's
types (`shared_params/function_definition.py`, `chat/chat_completion_*tool*`), and the texts of OpenAI's
400s as users report them; which models take tools: MicrosoftDocs "How to use function calling"
(function-calling.md, "Function calling support").
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Callable

from starlette.responses import JSONResponse

from emulator import catalog
from emulator.errors import ServiceError
from emulator.language_model import Generation, chat_tokens, count_tokens, tokenize
from emulator.tool_chooser import Call, Tool, choose

# FunctionObject.name: "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MOST_TOOLS = 128  # OpenAI: "Invalid 'tools': array too long. Expected an array with maximum length 128"
TOOL_CHOICES = ("none", "auto", "required")

MOST_DESCRIPTION = 1024  # function-calling docs: "Tool/function descriptions are currently limited to 1,024 characters"

# Function-calling docs, "Function calling support" (MicrosoftDocs/azure-ai-docs function-calling.md,
# 2025-11-14): "Parallel function calling", and "Basic function calling with tools" (every parallel
# model, and these). Only base models the emulator serves are named. gpt-4-0613 and gpt-35-turbo-0613,
# listed by older versions of the page, are gone from it: no tools (the stricter reading). babbage-002
# and davinci-002 were never listed. A fine-tuned model (or checkpoint) takes what its base takes:
# fine-tuning-functions.md trains "tool calling" on those chat models; it says nothing of parallel calls.
PARALLEL = {
    "gpt-35-turbo-1106", "gpt-35-turbo-0125", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20",
    "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
}
ONE_AT_A_TIME = {"gpt-4.1-nano-2025-04-14", "o4-mini-2025-04-16"}


class Refused(ServiceError):
    """A 400 in the envelope OpenAI's checks answer with on Azure: {error: {message, type, param, code}}."""

    def __init__(self, message: str, param: str | None, code: str = "invalid_value") -> None:
        super().__init__(400, code, message, param)

    def data_plane_response(self) -> JSONResponse:
        error = {"message": self.message, "type": "invalid_request_error", "param": self.param, "code": self.code}
        return JSONResponse({"error": error}, status_code=self.status)


@dataclass
class Answer(Generation):
    """A reply that may be tool calls: `tool_calls` in the chat shape, empty for a text reply."""

    tool_calls: list[dict] = field(default_factory=list)


@dataclass
class ToolRequest:
    tools: list[Tool]
    choice: object  # "none" | "auto" | "required" | {"type": "function", "function": {"name": ...}}
    parallel: bool


def base_model(emu: object, model: str) -> str:
    """The base model a deployment's model descends from: a fine-tuned model or a checkpoint's."""
    if model.startswith("ftchkpt-"):
        found = emu.store.checkpoint_weights(model)  # type: ignore[attr-defined]
        model = str(found[0].get("fine_tuned_model_checkpoint") or "") if found else model
    return catalog.base_model_of(model)


def takes_tools(base: str) -> bool:
    return base in PARALLEL or base in ONE_AT_A_TIME


def tools_used(request: dict) -> bool:
    """Whether a request uses function calling at all (else chat answers as before)."""
    return any(k in request for k in ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call")) or any(
        isinstance(m, dict) and (m.get("role") == "tool" or m.get("tool_calls")) for m in request.get("messages") or []
    )


def check(request: dict, base: str) -> ToolRequest:
    """The function-calling parts of a chat request, or a 400 naming the first thing wrong."""
    for legacy in ("functions", "function_call"):
        if legacy in request:
            # Deprecated since 2023-12-01-preview ("The replacement for functions is the tools parameter"):
            # the emulator's limit, said plainly rather than ignored.
            raise Refused(f"'{legacy}' is deprecated: the emulator takes 'tools' and 'tool_choice' instead.", legacy, "unsupported_parameter")
    tools = _tools(request.get("tools"))
    if tools and not takes_tools(base):
        raise Refused(f"'tools' is not supported with the model '{base}': function calling needs a model Azure's "
                      "function-calling docs list (gpt-4o, gpt-4o-mini, gpt-4.1 and others) or one fine-tuned from it.",
                      "tools", "unsupported_parameter")
    choice = request.get("tool_choice")
    if choice is not None and not tools:
        raise Refused("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice")
    parallel = request.get("parallel_tool_calls")
    if parallel is not None:
        if not isinstance(parallel, bool):
            raise Refused("Invalid type for 'parallel_tool_calls': expected a boolean.", "parallel_tool_calls", "invalid_type")
        if not tools:
            raise Refused("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
                          "parallel_tool_calls")
    choice = _choice(choice, tools)
    _messages(request["messages"])
    # Models the docs list only under basic function calling make one call per answer.
    return ToolRequest(tools, choice, parallel is not False and base in PARALLEL)


def _tools(given: object) -> list[Tool]:
    if given is None:
        return []
    if not isinstance(given, list):
        raise Refused("Invalid type for 'tools': expected an array of tool objects.", "tools", "invalid_type")
    if len(given) > MOST_TOOLS:
        raise Refused(f"Invalid 'tools': array too long. Expected an array with maximum length {MOST_TOOLS}, but got an array "
                      f"with length {len(given)} instead.", "tools", "array_above_max_length")
    tools, names = [], set()
    for i, tool in enumerate(given):
        where = f"tools[{i}]"
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise Refused(f"Invalid value for '{where}.type': the emulator takes tools of type 'function'.", f"{where}.type")
        function = tool.get("function")
        if not isinstance(function, dict):
            raise Refused(f"Missing required parameter: '{where}.function'.", f"{where}.function", "missing_required_parameter")
        name = function_name(function.get("name"), f"{where}.function.name")
        if name in names:
            # Sources silent on duplicate names; a model could not tell them apart: refused (stricter).
            raise Refused(f"Invalid 'tools': the function name '{name}' is used twice.", f"{where}.function.name")
        names.add(name)
        description = function.get("description", "")
        if not isinstance(description, str):
            raise Refused(f"Invalid type for '{where}.function.description': expected a string.", f"{where}.function.description", "invalid_type")
        if len(description) > MOST_DESCRIPTION:
            raise Refused(f"Invalid '{where}.function.description': string too long. Expected a string with maximum length "
                          f"{MOST_DESCRIPTION}, but got a string with length {len(description)} instead.",
                          f"{where}.function.description", "string_above_max_length")
        parameters = function.get("parameters", {})
        if not isinstance(parameters, dict):
            # FunctionParameters: "described as a JSON Schema object".
            raise Refused(f"Invalid type for '{where}.function.parameters': expected a JSON Schema object.", f"{where}.function.parameters", "invalid_type")
        if function.get("strict") is not None and not isinstance(function["strict"], bool):
            raise Refused(f"Invalid type for '{where}.function.strict': expected a boolean.", f"{where}.function.strict", "invalid_type")
        if function.get("strict"):
            problem = strict_problem(parameters, ())
            if problem:
                raise Refused(f"Invalid schema for function '{name}': {problem}", f"{where}.function.parameters", "invalid_function_parameters")
        tools.append(Tool(name, description, parameters))
    return tools


def strict_problem(schema: object, context: tuple) -> str | None:
    """What `strict: true` refuses in a schema: every object must set `additionalProperties: false` and
    list every property in `required` (OpenAI's structured-outputs rules, in its error's words)."""
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") or {}
        missing = [k for k in properties if k not in (schema.get("required") or [])]
        if missing:
            return (f"In context={context}, 'required' is required to be supplied and to be an array including every key in "
                    f"properties. Missing '{missing[0]}'.")
        for key, sub in properties.items():
            found = strict_problem(sub, (*context, "properties", key))
            if found:
                return found
    nested = [((*context, "items"), schema.get("items"))]
    nested += [((*context, "anyOf", i), sub) for i, sub in enumerate(schema.get("anyOf") or [])]
    for key in ("$defs", "definitions"):
        nested += [((*context, key, name), sub) for name, sub in (schema.get(key) or {}).items()]
    return next((found for where, sub in nested if (found := strict_problem(sub, where))), None)


def function_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise Refused(f"Invalid '{where}': string does not match pattern. Expected a string that matches the pattern "
                      "'^[a-zA-Z0-9_-]{1,64}$'.", where)
    return name


def _choice(choice: object, tools: list[Tool]) -> object:
    if choice is None:
        return "auto"  # chatCompletionToolChoiceOption: "auto is the default if tools are present"
    if isinstance(choice, str):
        if choice not in TOOL_CHOICES:
            raise Refused(f"Invalid value for 'tool_choice': '{choice}'. Supported values are: 'none', 'auto' and 'required'.", "tool_choice")
        return choice
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or not isinstance(function, dict):
        raise Refused("Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
                      "{\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice")
    name = function.get("name")
    if name not in {t.name for t in tools}:
        raise Refused(f"Invalid value for 'tool_choice': no function named '{name}' in 'tools'.", "tool_choice.function.name")
    return {"type": "function", "function": {"name": name}}


def _messages(messages: list[dict]) -> None:
    """Each tool message answers a call of the assistant message before it, and each call is answered
    before the conversation goes on (OpenAI's "messages with role 'tool' must be a response to a
    preceding message with 'tool_calls'" and "An assistant message with 'tool_calls' must be followed by
    tool messages responding to each 'tool_call_id'")."""
    waiting: dict[str, int] = {}  # call id -> the assistant message that made it
    opened = None
    for i, m in enumerate(messages):
        role = m["role"]
        if role == "tool":
            call_id = m.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise Refused(f"Missing required parameter: 'messages[{i}].tool_call_id'.", f"messages[{i}].tool_call_id",
                              "missing_required_parameter")
            if call_id not in waiting:
                raise Refused("Invalid parameter: messages with role 'tool' must be a response to a preceding message with "
                              f"'tool_calls' (no call '{call_id}' is waiting for an answer).", f"messages[{i}].role", "invalid_request_error")
            del waiting[call_id]
            continue
        if waiting:
            raise Refused("An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                          f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(waiting)}",
                          f"messages[{opened}].role", "invalid_request_error")
        if role == "assistant" and m.get("tool_calls") is not None:
            opened = i
            waiting = {call_id: i for call_id in _calls(m["tool_calls"], i)}
    # Calls still unanswered at the end: the next answer cannot come before their results.
    if waiting:
        raise Refused("An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                      f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(waiting)}",
                      f"messages[{opened}].role", "invalid_request_error")


def _calls(calls: object, i: int) -> list[str]:
    """An assistant message's `tool_calls`: [{id, type: "function", function: {name, arguments}}]."""
    if not isinstance(calls, list):
        raise Refused(f"Invalid type for 'messages[{i}].tool_calls': expected an array.", f"messages[{i}].tool_calls", "invalid_type")
    ids = []
    for j, call in enumerate(calls):
        where = f"messages[{i}].tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(call.get("id"), str) or call.get("type") != "function" or not isinstance(function, dict):
            raise Refused(f"Invalid '{where}': expected {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", where)
        function_name(function.get("name"), f"{where}.function.name")
        if not isinstance(function.get("arguments"), str):
            raise Refused(f"Invalid type for '{where}.function.arguments': expected a string (JSON).", f"{where}.function.arguments", "invalid_type")
        ids.append(call["id"])
    return ids


# ---------------------------------------------------------------- the answer


def answer(asked: ToolRequest, messages: list[dict], fallback: Callable[[], Generation], max_tokens: int | None = None) -> Generation:
    """The chooser's reply: tool calls (finish_reason "tool_calls"), or text; `fallback` (the language
    model's reply) when it has nothing to say (tool_choice "none" before any result). `max_tokens`
    cuts either, as it cuts any reply: finish_reason "length", the last call's arguments left unfinished."""
    choice = choose(asked.tools, messages, tool_choice=asked.choice, parallel=asked.parallel)
    prompt = prompt_tokens(asked, messages)
    if choice.calls:
        calls, spoken, cut = [], 0, False
        for call in map(call_shape, choice.calls):
            name, arguments = count_tokens(call["function"]["name"]), tokenize(call["function"]["arguments"])
            room = None if max_tokens is None else max_tokens - spoken - name
            if room is not None and room < len(arguments):
                cut = True
                if room > 0:
                    calls.append({**call, "function": {**call["function"], "arguments": "".join(arguments[:room])}})
                    spoken += name + room
                break
            calls.append(call)
            spoken += name + len(arguments)
        return Answer("", [], "length" if cut else "tool_calls", prompt, spoken, tool_calls=calls)
    if choice.text is None:
        said = fallback()
        return Answer(said.text, said.tokens, said.finish_reason, prompt, said.completion_tokens)
    tokens = tokenize(choice.text)
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens = tokens[:max_tokens]
        return Answer("".join(tokens), tokens, "length", prompt, len(tokens))
    return Answer(choice.text, tokens, "stop", prompt, len(tokens))


ID_LETTERS = string.ascii_letters + string.digits


def call_shape(call: Call) -> dict:
    """A chat tool call with a fresh id (`call_` and 24 letters or digits, as Azure's look)."""
    call_id = "call_" + "".join(secrets.choice(ID_LETTERS) for _ in range(24))
    return {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}


def prompt_tokens(asked: ToolRequest, messages: list[dict]) -> int:
    """The conversation's tokens plus the tools' definitions and earlier calls (a model reads them all)."""
    tools = sum(count_tokens(json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters})) for t in asked.tools)
    calls = sum(count_tokens(json.dumps(c)) for m in messages for c in m.get("tool_calls") or [])
    return chat_tokens(messages) + tools + calls

"""A model that answers what the test says, for the assistant's tests: the real emulator behind a
proxy whose chat completions come from `script(body)` instead (a hostile model that always calls
delete, say). Everything else goes to the emulator as it is; every request is recorded, so a test can
check that nothing was deleted behind the user's back.

`script(body)` returns ("text", "...") or ("tool", name, arguments): answered streamed, in Azure's
shape (`delta.tool_calls[] = {index, id, type, function}`, `finish_reason: "tool_calls"`)."""

from __future__ import annotations

import json
import time
from typing import Callable
from urllib.parse import quote, unquote

import httpx
from starlette.requests import Request
from starlette.responses import Response

from tests.local_server import LocalServer

Script = Callable[[dict], tuple]


def always_delete(name: str) -> Script:
    """The hostile model: whatever it is asked, it calls delete on deployment `name`."""
    return lambda body: ("tool", "delete", {"kind": "deployment", "id": name})


def delete_once(name: str) -> Script:
    """The hostile model, once: it calls delete, then answers with what the tool said."""
    def script(body: dict) -> tuple:
        results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
        return ("text", f"Tool said: {results[-1]}") if results else ("tool", "delete", {"kind": "deployment", "id": name})
    return script


class ModelStub:
    def __init__(self, upstream: str, script: Script) -> None:
        self.upstream, self.script = upstream, script
        self.requests: list[tuple[str, str]] = []
        self.chats: list[dict] = []  # the chat completion bodies, as sent
        self.served = LocalServer(self.app)
        self.url = self.served.url

    def stop(self) -> None:
        self.served.stop()

    def deleted(self) -> list[str]:
        return [path for method, path in self.requests if method == "DELETE"]

    async def app(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        path = unquote(request.url.path)
        self.requests.append((request.method, path))
        body = await request.body()
        if request.method == "POST" and path.endswith("/chat/completions"):
            response = self.answer(json.loads(body))
        else:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "accept-encoding")}
            async with httpx.AsyncClient(timeout=60) as client:
                answer = await client.request(request.method, self.upstream + quote(path), params=request.query_params,
                                              headers=headers, content=body)
            # As one host, like a real service: links in answers (nextLink) name the stub, not the emulator.
            response = Response(answer.content.replace(self.upstream.encode(), self.url.encode()), status_code=answer.status_code,
                                headers={k: v for k, v in answer.headers.items() if k in ("content-type", "retry-after")})
        await response(scope, receive, send)

    def answer(self, body: dict) -> Response:
        self.chats.append(body)
        said = self.script(body)
        base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": "stub"}
        chunks = []
        if said[0] == "tool":
            call = {"index": 0, "id": f"call_{len(self.chats)}", "type": "function",
                    "function": {"name": said[1], "arguments": json.dumps(said[2])}}
            chunks.append({"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}, "finish_reason": None}]})
            chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        else:
            for word in said[1].split(" "):
                chunks.append({"choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]})
            chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
        text = "".join(f"data: {json.dumps({**base, **c})}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return Response(text, media_type="text/event-stream")

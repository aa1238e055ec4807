"""A hostile service for the tests: the real emulator behind a proxy that plants a hostile string in
everything a real service could put one in (file names, job errors and models, event messages,
checkpoint models, deployment names and models, chat replies). Azure would refuse some of these
strings at creation; a compromised or buggy service, or a man in the middle, would not.

Answers keep the emulator's shapes; only the planted strings differ. Every request is recorded, so
a test can check that nothing was created behind the user's back. Deployment names go into URLs:
their planted part holds no '/', and it is taken out of the paths of requests coming back."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

import httpx
from starlette.requests import Request
from starlette.responses import Response

from tests.local_server import LocalServer

# Keys whose string values get the payload added; the others (ids, statuses, times) are left as they are.
PLANTED = ("filename", "message", "fine_tuned_model", "fine_tuned_model_checkpoint", "status_details")
KEPT_HEADERS = ("content-type", "retry-after", "x-ms-region", "apim-request-id")


def plant(value, payload: str, name_payload: str):
    """The answer with the payload planted where outside text goes."""
    if isinstance(value, list):
        return [plant(v, payload, name_payload) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: plant(v, payload, name_payload) for k, v in value.items()}
    for key in PLANTED:
        if isinstance(out.get(key), str):
            out[key] = f"{out[key]} {payload}"
    if out.get("object") == "fine_tuning.job":  # every job carries an error, whatever its status
        out["error"] = {"code": "invalidTrainingFile", "message": payload, "param": "training_file"}
    if isinstance(out.get("properties"), dict) and "id" in out and "/deployments/" in str(out["id"]):  # an ARM deployment
        out["name"] = f"{out['name']}{name_payload}"
        model = out["properties"].get("model")
        if isinstance(model, dict) and isinstance(model.get("name"), str):
            model["name"] = f"{model['name']} {payload}"
    return out


class PlantingProxy:
    """The proxy, on a free loopback port, in a thread: `url`, `requests`, `stop()`."""

    def __init__(self, upstream: str, payload: str, *, name_payload: str = "", reply: str = "") -> None:
        assert "/" not in name_payload, "a deployment name goes into URL paths"
        self.upstream, self.payload, self.name_payload = upstream, payload, name_payload
        self.reply = reply  # put before every chat reply (the model's words)
        self.requests: list[tuple[str, str]] = []  # (method, path as the service would see it)
        self.served = LocalServer(self.app)
        self.url = self.served.url

    def stop(self) -> None:
        self.served.stop()

    def created(self, name: str) -> bool:
        """Whether a deployment called `name` was asked for (a PUT on the management plane)."""
        return any(method == "PUT" and path.endswith(f"/deployments/{name}") for method, path in self.requests)

    async def app(self, scope, receive, send) -> None:
        """Every request forwarded: no routing, which would refuse a path holding a newline."""
        response = await self.forward(Request(scope, receive))
        await response(scope, receive, send)

    async def forward(self, request: Request) -> Response:
        path = unquote(request.url.path)
        for planted in {self.name_payload, self.name_payload.replace("\n", "")} - {""}:  # httpx drops a URL's newlines
            path = path.replace(planted, "")
        self.requests.append((request.method, path))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "accept-encoding")}
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.request(request.method, self.upstream + quote(path), params=request.query_params,
                                          headers=headers, content=await request.body())
        kind = answer.headers.get("content-type", "")
        body = answer.content
        if kind.startswith("application/json"):
            data = plant(answer.json(), self.payload, self.name_payload)
            if "/chat/completions" in path:
                for choice in data.get("choices", []):
                    choice["message"]["content"] = self.reply + (choice["message"].get("content") or "")
            body = json.dumps(data).encode()
        elif kind.startswith("text/event-stream"):
            body = self.stream(answer.text).encode()
        return Response(body, status_code=answer.status_code, headers={k: v for k, v in answer.headers.items() if k in KEPT_HEADERS})

    def stream(self, text: str) -> str:
        """A streamed chat reply: the hostile words come first, then the model's."""
        out, said = [], False
        for line in text.split("\n"):
            if line.startswith("data: {"):
                chunk = json.loads(line[len("data: "):])
                for choice in chunk.get("choices", []):
                    delta = choice.get("delta") or {}
                    if not said and delta.get("content") is not None:
                        delta["content"] = self.reply + delta["content"]
                        said = True
                line = "data: " + json.dumps(chunk)
            out.append(line)
        return "\n".join(out)

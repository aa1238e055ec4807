"""Azure's GA v1 surface, `{endpoint}/openai/v1/...` (what `OpenAI(base_url=".../openai/v1/")` calls), and
the Responses API, which both surfaces serve.

The v1 routes are the versioned surface's own endpoints (faults, keys, request ids and handlers alike)
at a new path, with no api-version; only chat completions (deployment in `model`) and responses are
new. Sources: Azure/azure-rest-api-specs `specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.yaml`
(paths, `AzureAIFoundryModelsApiVersion`, `securitySchemes`) and MicrosoftDocs/azure-ai-docs
`api-version-lifecycle.md`; emulator/SOURCES.md names each rule's source.
"""

from __future__ import annotations

from typing import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from emulator import app as versioned
from emulator import responses
from emulator.errors import RESOURCE_NOT_FOUND, ServiceError, invalid
from emulator.service import Emulator

PREFIX = "/openai/v1"
# The same surface under a Foundry project's endpoint: azure-ai-projects' `get_openai_client()` calls
# `{project endpoint}/openai/v1`, its README giving that endpoint as
# `https://<account>.services.ai.azure.com/api/projects/<project>` (Azure/azure-sdk-for-python
# sdk/ai/azure-ai-projects: README.md, azure/ai/projects/_patch.py). The project's data is the account's
# here: the sources do not say how Azure scopes files and jobs to a project (the fine-tuning samples
# use one project alone), so the emulator keeps one store.
PROJECT_PREFIX = "/api/projects/{project_name}/openai/v1"
# The spec's AzureAIFoundryModelsApiVersion: optional, "v1" when left out, else "v1" or "preview".
API_VERSIONS = ("v1", "preview")
# What the shared handlers see as the api-version: v1 documents pause/resume and `method` (DPO) on
# fine-tuning jobs, which the versioned surface serves from this preview on.
SERVES_AS = "2025-04-01-preview"
# The operations the v1 spec lists on files, fine-tuning jobs and models, served by the versioned
# handlers. Not there, so not here: /files/import and DELETE /fine_tuning/jobs/{id}.
SHARED = {
    ("POST", "/openai/files"),
    ("GET", "/openai/files"),
    ("GET", "/openai/files/{file_id}"),
    ("DELETE", "/openai/files/{file_id}"),
    ("GET", "/openai/files/{file_id}/content"),
    ("POST", "/openai/fine_tuning/jobs"),
    ("GET", "/openai/fine_tuning/jobs"),
    ("GET", "/openai/fine_tuning/jobs/{job_id}"),
    ("POST", "/openai/fine_tuning/jobs/{job_id}/cancel"),
    ("POST", "/openai/fine_tuning/jobs/{job_id}/pause"),
    ("POST", "/openai/fine_tuning/jobs/{job_id}/resume"),
    ("GET", "/openai/fine_tuning/jobs/{job_id}/events"),
    ("GET", "/openai/fine_tuning/jobs/{job_id}/checkpoints"),
    ("GET", "/openai/models"),
    ("GET", "/openai/models/{model_id:path}"),
}

Endpoint = Callable[[Request], Awaitable[Response]]
DataPlane = Callable[..., Endpoint]  # app.build_app's `data(handler)`: a handler behind the data plane's checks


def routes(versioned_routes: list[Route], data: DataPlane) -> list[Route]:
    """The routes this module adds to the versioned ones: `/openai/responses` and all of `/openai/v1`."""
    served = [Route("/openai/responses", data(create_response), methods=["POST"])]
    found = set()
    for route in versioned_routes:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if (method, route.path) in SHARED:
                found.add((method, route.path))
                path = PREFIX + route.path.removeprefix("/openai")
                served.append(Route(path, without_api_version(route.endpoint), methods=[method]))
    if found != SHARED:  # a versioned route renamed or gone: fail at start-up, not as a quiet 404
        raise RuntimeError(f"v1 has no versioned route for {sorted(SHARED - found)}")
    # DELETE /models/{model} exists only here: no versioned authoring spec has it (emulator/SOURCES.md,
    # "API versions"); issue 14 ("which exists only there"). The v1 spec snapshots read list only GET.
    served.append(Route(PREFIX + "/models/{model_id:path}", without_api_version(data(versioned.delete_model)), methods=["DELETE"]))
    served.append(Route(PREFIX + "/chat/completions", without_api_version(data(chat_completions)), methods=["POST"]))
    served.append(Route(PREFIX + "/responses", without_api_version(data(create_response)), methods=["POST"]))
    projects = [Route(PROJECT_PREFIX + r.path.removeprefix(PREFIX), r.endpoint, methods=r.methods)
                for r in served if r.path.startswith(PREFIX)]
    return served + projects


def without_api_version(endpoint: Endpoint) -> Endpoint:
    """A versioned endpoint served at /openai/v1: api-version optional ("v1" or "preview"), creations
    answered 200 as the v1 spec declares them (createFile, createFineTuningJob), not 201."""

    async def serve(request: Request) -> Response:
        given = request.query_params.getlist("api-version")
        wrong = [v for v in given if v not in API_VERSIONS]
        if wrong:
            # The spec's enum; what Azure answers past it is not documented: refuse, the stricter reading.
            return ServiceError(
                400, "BadRequest", f"API version '{wrong[0]}' is not supported on /openai/v1: use 'v1' or 'preview', or leave it out."
            ).data_plane_response()
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "api-version"]
        scope = {**request.scope, "query_string": urlencode([*query, ("api-version", SERVES_AS)]).encode()}
        response = await endpoint(Request(scope, request.receive))
        if response.status_code == 201:
            response.status_code = 200
        return response

    return serve


# ---------------------------------------------------------------- handlers only these routes have


async def chat_completions(request: Request, emu: Emulator) -> Response:
    """`POST /openai/v1/chat/completions`: the deployment is the body's `model` (no /deployments/ path)."""
    data = await versioned._json(request)
    deployment = data.get("model") if isinstance(data, dict) else None
    if not isinstance(deployment, str) or not deployment:
        raise invalid("'model' is required: the name of your model deployment.", "model")
    request.scope["path_params"] = {"name": deployment}
    return await versioned.chat_completions(request, emu)


async def create_response(request: Request, emu: Emulator) -> Response:
    """`POST /openai/responses` (previews from 2025-03-01-preview) and `POST /openai/v1/responses`."""
    if not responses.version_serves_responses(request.query_params["api-version"]):
        raise RESOURCE_NOT_FOUND  # an operation this api-version lacks, as pause/resume on a GA version
    asked = responses.Request(await versioned._json(request))
    answer = responses.Answer(asked, *responses.generate(emu, asked))
    if asked.stream:
        return StreamingResponse(responses.stream(emu, answer), media_type="text/event-stream")
    return JSONResponse(answer.body())

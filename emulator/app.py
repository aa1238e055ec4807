"""The emulator's HTTP surface: the data plane under /openai, ARM deployments, and /_emulator controls.

Handlers only translate HTTP to the domain modules (files, jobs, deployments, inference) and back;
`ServiceError`s become the error body of the plane that was called.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import secrets
import sqlite3
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from emulator import api_versions, deployments, files, inference, jobs, uploads
from emulator.errors import DATA_PLANE_UNAUTHORIZED, DISK_FULL, MISSING_API_VERSION, RESOURCE_NOT_FOUND, ServiceError, invalid, unknown_route
from emulator.faults import RETRY_AFTER_SECONDS, SLOW_SECONDS
from emulator.guards import LocalCallersOnly, accepted_hosts
from emulator.resources import request_id
from emulator.service import Emulator
from emulator.store import disk_full, paginate

ARM_PREFIX = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{account}/deployments"

Handler = Callable[[Request, Emulator], Awaitable[Response]]


def build_app(emu: Emulator) -> Starlette:
    """The ASGI app serving both planes for one emulator."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        emu.runner.resume_after_restart()
        task = asyncio.create_task(emu.runner.run_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def data(handler: Handler, since: tuple | None = None) -> Callable[[Request], Awaitable[Response]]:
        # since: (first GA, first preview) that has the operation (emulator/api_versions.py); None: every served version
        return functools.partial(_data_plane, handler, emu, since)

    def arm(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        return functools.partial(_management_plane, handler, emu)

    routes = [
        Route("/openai/files", data(upload_file), methods=["POST"]),
        Route("/openai/files", data(list_files), methods=["GET"]),
        Route("/openai/files/import", data(import_file), methods=["POST"]),
        Route("/openai/files/{file_id}", data(get_file), methods=["GET"]),
        Route("/openai/files/{file_id}", data(delete_file), methods=["DELETE"]),
        Route("/openai/files/{file_id}/content", data(file_content), methods=["GET"]),
        Route("/openai/uploads", data(start_upload), methods=["POST"]),
        Route("/openai/uploads/{upload_id}/parts", data(add_upload_part), methods=["POST"]),
        Route("/openai/uploads/{upload_id}/complete", data(complete_upload), methods=["POST"]),
        Route("/openai/uploads/{upload_id}/cancel", data(cancel_upload), methods=["POST"]),
        Route("/openai/fine_tuning/jobs", data(create_job, api_versions.FINE_TUNING), methods=["POST"]),
        Route("/openai/fine_tuning/jobs", data(list_jobs, api_versions.FINE_TUNING), methods=["GET"]),
        Route("/openai/fine_tuning/jobs/{job_id}", data(get_job, api_versions.FINE_TUNING), methods=["GET"]),
        Route("/openai/fine_tuning/jobs/{job_id}", data(delete_job, api_versions.FINE_TUNING), methods=["DELETE"]),
        Route("/openai/fine_tuning/jobs/{job_id}/cancel", data(cancel_job, api_versions.FINE_TUNING), methods=["POST"]),
        Route("/openai/fine_tuning/jobs/{job_id}/pause", data(pause_job, api_versions.PAUSE), methods=["POST"]),
        Route("/openai/fine_tuning/jobs/{job_id}/resume", data(resume_job, api_versions.PAUSE), methods=["POST"]),
        Route("/openai/fine_tuning/jobs/{job_id}/events", data(list_events, api_versions.FINE_TUNING), methods=["GET"]),
        Route("/openai/fine_tuning/jobs/{job_id}/checkpoints", data(list_checkpoints, api_versions.CHECKPOINTS), methods=["GET"]),
        Route("/openai/models", data(list_models), methods=["GET"]),
        Route("/openai/models/{model_id:path}", data(get_model), methods=["GET"]),
        Route("/openai/deployments/{name}/chat/completions", data(chat_completions), methods=["POST"]),
        Route("/openai/deployments/{name}/completions", data(completions), methods=["POST"]),
        Route(ARM_PREFIX, arm(list_deployments), methods=["GET"]),
        Route(ARM_PREFIX + "/{name}", arm(put_deployment), methods=["PUT"]),
        Route(ARM_PREFIX + "/{name}", arm(get_deployment), methods=["GET"]),
        Route(ARM_PREFIX + "/{name}", arm(update_deployment), methods=["PATCH"]),
        Route(ARM_PREFIX + "/{name}", arm(delete_deployment), methods=["DELETE"]),
        Route(
            "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{location}/operationResults/{op}",
            arm(get_operation),
            methods=["GET"],
        ),
        Route("/_emulator/clock", functools.partial(_controls, advance_clock, emu), methods=["POST", "GET"]),
        Route("/_emulator/health", lambda request: JSONResponse({"status": "ok"}), methods=["GET"]),
    ]
    from emulator import v1  # the v1 surface and the Responses API, built on this module's handlers

    routes += v1.routes(routes, data)
    guard = Middleware(LocalCallersOnly, hosts=accepted_hosts(emu.settings.host))
    return Starlette(routes=routes, lifespan=lifespan, middleware=[guard], exception_handlers={404: unknown_route, 405: unknown_route, sqlite3.OperationalError: _storage_failed})


async def _storage_failed(request: Request, exc: Exception) -> Response:
    """A write the disk had no room for: 507 in the plane's error shape, not a 500 with a traceback."""
    if not disk_full(exc):
        raise exc
    if request.url.path.startswith("/subscriptions/"):
        return DISK_FULL.management_response()
    return DISK_FULL.data_plane_response()


# ---------------------------------------------------------------- plane wrappers

# What `--faults` answers on each plane, in its own error shape (spec sections 9 and 7).
DATA_PLANE_FAULTS = {
    "429": ServiceError(
        429,
        "429",
        "Requests to the Azure OpenAI API have exceeded the call rate limit of your current pricing tier. "
        f"Please retry after {RETRY_AFTER_SECONDS} second.",
        headers={"retry-after": str(RETRY_AFTER_SECONDS), "retry-after-ms": str(RETRY_AFTER_SECONDS * 1000)},
    ),
    "500": ServiceError(500, "InternalServerError", "The server had an error while processing your request."),
}
MANAGEMENT_PLANE_FAULTS = {
    "429": ServiceError(
        429,
        "TooManyRequests",
        f"The request was throttled: too many requests for this subscription. Please try again after {RETRY_AFTER_SECONDS} second.",
        headers={"retry-after": str(RETRY_AFTER_SECONDS)},
    ),
    "500": ServiceError(500, "InternalServerError", "Encountered internal server error. Please retry the request."),
}


async def _fault_before(fault: str | None, errors: dict[str, ServiceError], request: Request) -> bool:
    """The faults that strike before the request is handled (so nothing is done): a delay, an
    error answer (raised), or a dropped connection (True: there is nothing left to answer)."""
    if fault == "slow":
        await asyncio.sleep(SLOW_SECONDS)
    elif fault in errors:
        raise errors[fault]
    elif fault == "reset":
        _drop_connection(request)
        return True
    return False


async def _data_plane(handler: Handler, emu: Emulator, since: tuple | None, request: Request) -> Response:
    headers = {"apim-request-id": request_id(), "x-request-id": request_id(), "x-ms-region": "Emulator"}
    fault = emu.settings.faults.pick()
    try:
        if await _fault_before(fault, DATA_PLANE_FAULTS, request):
            return Response(status_code=500)
        if emu.settings.api_key is not None and not _has_key(request, emu.settings.api_key):
            raise DATA_PLANE_UNAUTHORIZED
        version = request.query_params.get("api-version")
        if version is None:
            raise MISSING_API_VERSION
        api_versions.check(version)  # retired, unknown or malformed: Azure's 400 "API version not supported"
        if since is not None and not api_versions.has(version, since):
            raise RESOURCE_NOT_FOUND  # an operation this version's spec lacks (pause on 2024-10-21): no such route there
        response = await handler(request, emu)
    except ServiceError as error:
        response = error.data_plane_response()
    if fault == "lost":
        _drop_connection(request)  # the work is done; the answer never leaves
    response.headers.update(headers)
    return response


async def _management_plane(handler: Handler, emu: Emulator, request: Request) -> Response:
    fault = emu.settings.faults.pick()
    try:
        if await _fault_before(fault, MANAGEMENT_PLANE_FAULTS, request):
            return Response(status_code=500)
        key = emu.settings.api_key
        auth = request.headers.get("authorization")
        if key is not None and auth is None:
            raise ServiceError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        if key is not None and not secrets.compare_digest((auth or "").encode("latin-1", "replace"), f"Bearer {key}".encode("latin-1", "replace")):
            raise ServiceError(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if "api-version" not in request.query_params:
            raise ServiceError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        emu.sweep()
        response = await handler(request, emu)
    except ServiceError as error:
        response = error.management_response()
    if fault == "lost":
        _drop_connection(request)
    return response


async def _controls(handler: Handler, emu: Emulator, request: Request) -> Response:
    if emu.settings.api_key is not None and not _has_key(request, emu.settings.api_key):
        return DATA_PLANE_UNAUTHORIZED.data_plane_response()
    try:
        return await handler(request, emu)
    except ServiceError as error:
        return error.data_plane_response()


def _has_key(request: Request, key: str) -> bool:
    given = request.headers.get("api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
    # Compared as bytes: a non-ASCII header (decoded as latin-1) is a wrong key, answered 401 as Azure
    # answers any wrong key (spec section 9), not a TypeError from compare_digest.
    return secrets.compare_digest(given.encode("latin-1", "replace"), key.encode("latin-1", "replace"))


def _drop_connection(request: Request) -> None:
    """Close the socket without an answer, as a network fault would (uvicorn keeps it on `receive`)."""
    cycle = getattr(request.receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()


def _unsupported_media_type(request: Request) -> ServiceError | None:
    """Azure takes these bodies as JSON only. Refusing other types also keeps out the "simple
    requests" (text/plain, forms) a browser sends from any page without asking first. ARM answers
    415 UnsupportedMediaType with this text; the sources are silent on the data plane's answer, so
    it gets the same in its own error shape."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return None
    shown = media or "none"
    return ServiceError(415, "UnsupportedMediaType", f"The content media type '{shown}' is not supported. Only 'application/json' is supported.")


async def _json(request: Request) -> Any:
    refusal = _unsupported_media_type(request)
    if refusal is not None:
        raise refusal
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("The request body is not valid JSON.") from None


def _limit(request: Request, default: int, most: int = 10_000) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:  # "²".isdigit(), yet int() refuses it
        raise invalid(f"limit must be a whole number from 1 to {most}.", "limit")
    return int(raw)


def _page(items: list[dict], request: Request, default_limit: int) -> JSONResponse:
    page, has_more = paginate(items, request.query_params.get("after"), _limit(request, default_limit))
    return JSONResponse({"object": "list", "data": page, "has_more": has_more})


# ---------------------------------------------------------------- files


async def upload_file(request: Request, emu: Emulator) -> Response:
    form = await request.form()
    upload = form.get("file")
    purpose = form.get("purpose")
    if upload is None or isinstance(upload, str):
        raise invalid("A 'file' part is required (multipart/form-data).", "file")
    if not isinstance(purpose, str):
        raise invalid("A 'purpose' field is required, e.g. 'fine-tune'.", "purpose")
    # Checking a big training file takes seconds: off the event loop, so other requests are answered
    # meanwhile. The upload stays spooled on disk (Starlette), read a line and a megabyte at a time.
    checked = await asyncio.to_thread(files.check, purpose, upload.file)
    body = files.create(emu, upload.filename or "upload.jsonl", purpose, upload.file, checked=checked)
    return JSONResponse(body, status_code=201, headers={"Location": f"/openai/files/{body['id']}"})


async def import_file(request: Request, emu: Emulator) -> Response:
    data = await _json(request)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("purpose", "filename", "content_url")):
        raise invalid("The body needs 'purpose', 'filename' and 'content_url' strings.")
    body = await files.import_from_url(emu, data["filename"], data["purpose"], data["content_url"])
    return JSONResponse(body, status_code=201, headers={"Location": f"/openai/files/{body['id']}"})


async def list_files(request: Request, emu: Emulator) -> Response:
    version = request.query_params["api-version"]
    if not api_versions.has(version, api_versions.FILE_PAGING):
        # Files_List in this version's spec (stable/2024-10-21, preview/2025-03-01-preview) takes only
        # `purpose` and answers FileList {object, data}, with no has_more. What Azure does with an undeclared
        # `after` is not documented; ignoring it makes any client that pages loop for ever, so it is
        # refused, the stricter reading.
        for name in ("after", "limit", "order"):
            if name in request.query_params:
                raise invalid(f"Files_List takes only 'purpose' in api-version {version}: '{name}' is not a parameter "
                              "of this version (paging starts with 2025-04-01-preview).", name)
        listed = emu.store.list_files(request.query_params.get("purpose"), newest_first=True)
        return JSONResponse({"object": "list", "data": [files.view(emu, f) for f in listed]})
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid("order must be 'asc' or 'desc'.", "order")
    listed = emu.store.list_files(request.query_params.get("purpose"), newest_first=order == "desc")
    return _page([files.view(emu, f) for f in listed], request, 10_000)


async def get_file(request: Request, emu: Emulator) -> Response:
    return JSONResponse(files.view(emu, files.get(emu, request.path_params["file_id"])))


async def delete_file(request: Request, emu: Emulator) -> Response:
    return JSONResponse(files.delete(emu, request.path_params["file_id"]))


async def file_content(request: Request, emu: Emulator) -> Response:
    file_id = request.path_params["file_id"]
    files.get(emu, file_id)
    return Response(emu.store.file_content(file_id), media_type="application/octet-stream")


# ---------------------------------------------------------------- uploads (emulator/uploads.py)


async def start_upload(request: Request, emu: Emulator) -> Response:
    uploads.refuse_unless_served(request.query_params["api-version"])
    body = uploads.start(emu, await _json(request))
    # The 2024-10-21 spec answers 200 (not 201) with a Location header.
    return JSONResponse(body, headers={"Location": f"/openai/uploads/runs/{body['id']}"})


async def add_upload_part(request: Request, emu: Emulator) -> Response:
    uploads.refuse_unless_served(request.query_params["api-version"])
    form = await request.form()
    part = form.get("data")
    if part is None or isinstance(part, str):
        raise invalid("A 'data' part is required (multipart/form-data): the part's bytes.", "data")
    return JSONResponse(uploads.add_part(emu, request.path_params["upload_id"], part.file))


async def complete_upload(request: Request, emu: Emulator) -> Response:
    uploads.refuse_unless_served(request.query_params["api-version"])
    data = await _json(request)
    return JSONResponse(uploads.complete(emu, request.path_params["upload_id"], data))


async def cancel_upload(request: Request, emu: Emulator) -> Response:
    uploads.refuse_unless_served(request.query_params["api-version"])
    return JSONResponse(uploads.cancel(emu, request.path_params["upload_id"]))


# ---------------------------------------------------------------- jobs


async def create_job(request: Request, emu: Emulator) -> Response:
    data = await _json(request)
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object with at least 'model' and 'training_file'.")
    _objects_where_objects_are_due(data)
    version = request.query_params["api-version"]
    _only_where_documented(data, version)
    return JSONResponse(jobs.create(emu, data, preview=api_versions.has(version, api_versions.METHOD)), status_code=201)


def _only_where_documented(data: dict, version: str) -> None:
    """`method` (DPO) and `trainingType` only from the versions whose spec has them (by date,
    emulator/api_versions.py). What Azure answers for them on an older version is not documented: a 400
    naming the field, the stricter reading, rather than a job quietly trained another way."""
    for field, since, first in (("method", api_versions.METHOD, "2025-02-01-preview"),
                                ("trainingType", api_versions.TRAINING_TYPE, "2025-04-01-preview")):
        if data.get(field) is not None and not api_versions.has(version, since):
            raise invalid(f"'{field}' is not available in api-version {version}; it is documented from {first} on.", field)


def _objects_where_objects_are_due(data: dict) -> None:
    """`hyperparameters`, `method` and `method.<type>` (and its `hyperparameters`) are objects in the
    REST spec (FineTuningJobCreate); a string there is a 400 invalidPayload naming the field. Azure's
    docs are silent on the exact text: the stricter reading, refused before anything is done."""
    method = data.get("method")
    fields = {"hyperparameters": data.get("hyperparameters"), "method": method}
    if isinstance(method, dict):
        for kind in ("supervised", "dpo"):
            fields[f"method.{kind}"] = method.get(kind)
            if isinstance(method.get(kind), dict):
                fields[f"method.{kind}.hyperparameters"] = method[kind].get("hyperparameters")
    for name, value in fields.items():
        if value is not None and not isinstance(value, dict):
            raise invalid(f"'{name}' must be an object; got {type(value).__name__}.", name)


async def list_jobs(request: Request, emu: Emulator) -> Response:
    return _page(emu.store.list_jobs(), request, 20)


async def get_job(request: Request, emu: Emulator) -> Response:
    return JSONResponse(jobs.get(emu, request.path_params["job_id"]))


async def cancel_job(request: Request, emu: Emulator) -> Response:
    return JSONResponse(jobs.cancel(emu, request.path_params["job_id"]))


async def pause_job(request: Request, emu: Emulator) -> Response:
    return JSONResponse(jobs.pause(emu, request.path_params["job_id"]))


async def resume_job(request: Request, emu: Emulator) -> Response:
    return JSONResponse(jobs.resume(emu, request.path_params["job_id"]))


async def delete_job(request: Request, emu: Emulator) -> Response:
    jobs.delete(emu, request.path_params["job_id"])
    return Response(status_code=204)


async def list_events(request: Request, emu: Emulator) -> Response:
    job_id = request.path_params["job_id"]
    jobs.get(emu, job_id)
    page, has_more = emu.store.list_events(job_id, request.query_params.get("after"), _limit(request, 20))
    return JSONResponse({"object": "list", "data": page, "has_more": has_more})


async def list_checkpoints(request: Request, emu: Emulator) -> Response:
    job_id = request.path_params["job_id"]
    jobs.get(emu, job_id)
    return _page([_measured_only(c) for c in emu.store.list_checkpoints(job_id)], request, 10)


def _measured_only(checkpoint: dict) -> dict:
    """FineTuningJobCheckpoint.metrics is a dictionary of doubles in every authoring spec (e.g.
    stable/2024-10-21/azureopenai.json: additionalProperties {type: number, format: double}): a metric
    not measured (no validation file, not an epoch end) is left out, never null."""
    metrics = {k: v for k, v in (checkpoint.get("metrics") or {}).items() if v is not None}
    return {**checkpoint, "metrics": metrics}


# ---------------------------------------------------------------- models and inference


async def list_models(request: Request, emu: Emulator) -> Response:
    return JSONResponse({"object": "list", "data": emu.list_models()})


async def get_model(request: Request, emu: Emulator) -> Response:
    return JSONResponse(emu.get_model(request.path_params["model_id"]))


async def delete_model(request: Request, emu: Emulator) -> Response:
    return JSONResponse(emu.delete_model(request.path_params["model_id"]))


async def chat_completions(request: Request, emu: Emulator) -> Response:
    data = await _json(request)
    model_name, generation, data = inference.generate(emu, request.path_params["name"], data, chat=True)
    if data.get("stream_options") is not None and not isinstance(data["stream_options"], dict):
        # ChatCompletionStreamOptions is an object in the REST spec; anything else is a 400.
        raise invalid("'stream_options' must be an object, e.g. {\"include_usage\": true}.", "stream_options")
    if data.get("stream"):
        include_usage = bool((data.get("stream_options") or {}).get("include_usage"))
        frames = inference.stream_chat(emu, model_name, generation, include_usage)
        return StreamingResponse(frames, media_type="text/event-stream")
    return JSONResponse(inference.chat_completion(model_name, generation))


async def completions(request: Request, emu: Emulator) -> Response:
    data = await _json(request)
    model_name, generation, _ = inference.generate(emu, request.path_params["name"], data, chat=False)
    return JSONResponse(inference.completion(model_name, generation))


# ---------------------------------------------------------------- management plane


# 201/202 and operations still in progress carry a short Retry-After: without one the SDK pollers
# wait their 30 s default (azure-core's polling). Azure's own value is not documented.
RETRY_AFTER = {"Retry-After": "1"}


def _account(request: Request) -> str:
    """The account a deployment belongs to: its resource id, from the URL."""
    p = request.path_params
    return f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/Microsoft.CognitiveServices/accounts/{p['account']}"


async def list_deployments(request: Request, emu: Emulator) -> Response:
    """The account's deployments, a page at a time: `nextLink` while more are left (spec section 7)."""
    token = request.query_params.get("$skipToken", "0")
    if not token.isdigit():
        raise ServiceError(400, "InvalidSkipToken", "The $skipToken is not one this service gave.")
    page, after = deployments.list_page(emu, _account(request), int(token))
    body: dict = {"value": page}
    if after is not None:
        body["nextLink"] = str(request.url.include_query_params(**{"$skipToken": str(after)}))
    return JSONResponse(body)


async def _deployment_body(request: Request) -> Any:
    refusal = _unsupported_media_type(request)
    if refusal is not None:
        raise refusal
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise deployments.bad_request("The request body is not valid JSON.", "body") from None


async def put_deployment(request: Request, emu: Emulator) -> Response:
    data = await _deployment_body(request)
    body, created = deployments.put(
        emu, _account(request), request.path_params["name"], data, api_version=request.query_params["api-version"],
        auxiliary_token=request.headers.get("x-ms-authorization-auxiliary"),
    )
    operation = _operation(request, emu, body["name"], ready_at=emu.clock.now() + deployments.PROVISION_SECONDS)
    return JSONResponse(body, status_code=201 if created else 200, headers={"Azure-AsyncOperation": operation, **RETRY_AFTER})


async def update_deployment(request: Request, emu: Emulator) -> Response:
    """Deployments_Update: 202 with an async operation, and `Location` the deployment itself (the
    SDK reads the result there: final-state-via location)."""
    data = await _deployment_body(request)
    body = deployments.update(emu, _account(request), request.path_params["name"], data, api_version=request.query_params["api-version"])
    operation = _operation(request, emu, body["name"], ready_at=emu.clock.now() + deployments.UPDATE_SECONDS)
    location = str(request.url)
    return JSONResponse(body, status_code=202, headers={"Azure-AsyncOperation": operation, "Location": location, **RETRY_AFTER})


async def get_deployment(request: Request, emu: Emulator) -> Response:
    return JSONResponse(deployments.get(emu, _account(request), request.path_params["name"]))


async def delete_deployment(request: Request, emu: Emulator) -> Response:
    """A long-running delete: 202 and an async operation; the deployment says `Deleting`, then is gone."""
    gone_at = deployments.delete(emu, _account(request), request.path_params["name"])
    if gone_at is None:
        return Response(status_code=204)
    operation = _operation(request, emu, request.path_params["name"], ready_at=gone_at)
    return Response(status_code=202, headers={"Azure-AsyncOperation": operation, "Location": operation, **RETRY_AFTER})


def _operation(request: Request, emu: Emulator, name: str, ready_at: float) -> str:
    op_id = request_id()
    emu.store.put_operation(op_id, {"name": name, "ready_at": ready_at})
    sub = request.path_params["sub"]
    path = f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/emulator/operationResults/{op_id}"
    return str(request.base_url).rstrip("/") + path + f"?api-version={request.query_params['api-version']}"


async def get_operation(request: Request, emu: Emulator) -> Response:
    op = emu.store.get_operation(request.path_params["op"])
    if op is None:
        raise ServiceError(404, "NotFound", f"Operation '{request.path_params['op']}' not found.")
    status = "Succeeded" if emu.clock.now() >= op["ready_at"] else "InProgress"
    headers = RETRY_AFTER if status == "InProgress" else {}
    return JSONResponse({"id": request.path_params["op"], "name": op["name"], "status": status}, headers=headers)


# ---------------------------------------------------------------- emulator controls


async def advance_clock(request: Request, emu: Emulator) -> Response:
    """`POST /_emulator/clock {"advance_days": 16}` (or `advance_seconds`); GET reads the clock."""
    if request.method == "POST":
        data = await _json(request)
        if not isinstance(data, dict):
            raise invalid("Send {\"advance_days\": N} or {\"advance_seconds\": N}.")
        seconds = 0.0
        for name, scale in (("advance_seconds", 1), ("advance_days", 86400)):
            value = data.get(name, 0)
            # JSON numbers only: a string, true, or the 1e400 / NaN Python's json reads as inf / nan
            # would be stored as the clock and break every later timestamp.
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(_as_float(value)):
                raise invalid(f"{name} must be a finite number of {name.removeprefix('advance_')}.", name)
            seconds += float(value) * scale
        if seconds < 0:
            raise invalid("The emulator clock only moves forward.")
        try:
            emu.advance_clock(seconds)
        except ValueError as exc:
            raise invalid(f"The emulator clock cannot move that far: {exc}.") from None
    return JSONResponse({"now": emu.clock.now(), "speed": emu.clock.speed})


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # a JSON integer with hundreds of digits
        return math.inf

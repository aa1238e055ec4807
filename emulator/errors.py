"""Error answers in the shapes Azure uses (spec section 9 for the data plane, 7 for ARM)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse


class ServiceError(Exception):
    """Raised by handlers; the app turns it into the plane's error body."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}

    def data_plane_response(self) -> JSONResponse:
        error: dict = {"code": self.code, "message": self.message}
        if self.param:
            error["param"] = self.param
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)

    def management_response(self) -> JSONResponse:
        error = {"code": self.code, "message": self.message, "target": self.param, "details": []}
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)


def invalid(message: str, param: str | None = None) -> ServiceError:
    return ServiceError(400, "invalidPayload", message, param)


def not_found(kind: str, resource_id: str) -> ServiceError:
    return ServiceError(404, "notFound", f"{kind} with id '{resource_id}' not found.")


def wrong_state(message: str) -> ServiceError:
    return ServiceError(409, "unexpectedEntityState", message)


# Azure's exact texts, so clients can be tested against what users really see.
DATA_PLANE_UNAUTHORIZED = ServiceError(
    401,
    "401",
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource.",
)
MISSING_API_VERSION = ServiceError(404, "404", "Resource not found")
RESOURCE_NOT_FOUND = MISSING_API_VERSION  # the same answer for any path or operation Azure does not serve
DEPLOYMENT_NOT_FOUND_MESSAGE = (
    "The API deployment for this resource does not exist. If you created the deployment within the last "
    "5 minutes, please wait a moment and try again."
)


async def unknown_route(request: Request, exc: HTTPException) -> JSONResponse:
    """No route, or not this method: Azure's JSON error, never starlette's plain text. The data plane
    answers both with its 404 "Resource not found" (spec section 2: the body Azure sends for a path it
    does not serve; for a wrong method the sources are silent, and Azure's gateway matches an operation
    by method and path, so it is the same not-found). ARM paths get ARM's error shape (spec section 7)."""
    if not request.url.path.startswith("/subscriptions/"):
        return RESOURCE_NOT_FOUND.data_plane_response()
    if exc.status_code == 405:
        # No Allow header: starlette knows only the first matching route's methods, not the path's.
        return ServiceError(405, "MethodNotAllowed", f"The {request.method} method is not allowed on this resource.").management_response()
    return ServiceError(404, "NotFound", f"The resource path '{request.url.path}' was not found.").management_response()
# A full disk: Azure documents no answer for it (its storage does not fill up), so the emulator
# answers as HTTP does for storage a server lacks (507, RFC 4918), in the plane's error shape. The
# change was not made; sending it again once there is room makes it.
DISK_FULL = ServiceError(
    507,
    "InsufficientStorage",
    "The emulator cannot save this change: the disk holding its data is full. Free some space and send the "
    "request again.",
)

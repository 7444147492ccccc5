"""HTTP plumbing shared by both APIs: the error type, each API's error envelope, body reading.

``ApiError`` is raised anywhere in a handler and rendered in the envelope of the API it belongs to:

    Nara:       {"error": {"code": "invalid_request", "message": "...", "details": {"field": ...}}}
    Navigable:  {"success": false, "message": "BAD_REQUEST", "errors": {"<field>": "<reason>"}}
                {"success": false, "message": "UNAUTHORIZED"}   (and the other statuses alike)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from chatgate.apis import ApiName

__all__ = ["ApiError", "error_response", "media_type", "read_body"]

_NARA_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
}
_NAVIGABLE_MESSAGES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "UNEXPECTED_ERROR",
}


class ApiError(Exception):
    """An error answer: ``status``, a readable ``message``, the offending ``field`` when known."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


def error_response(api: ApiName | None, err: ApiError) -> JSONResponse:
    """``err`` in the envelope of ``api`` (Nara's envelope for paths outside both APIs, ``None``)."""
    body: dict[str, Any]
    if api == "navigable":
        body = {"success": False, "message": _NAVIGABLE_MESSAGES.get(err.status, "ERROR")}
        if err.status == 400:
            body["errors"] = {err.field or "body": err.message}
        elif err.status >= 500:
            body["error"] = err.message
    else:
        error: dict[str, Any] = {"code": _NARA_CODES.get(err.status, "error"), "message": err.message}
        if err.field is not None:
            error["details"] = {"field": err.field}
        body = {"error": error}
    return JSONResponse(body, status_code=err.status, headers=err.headers or None)


def media_type(request: Request) -> str:
    """The request body's media type, lower-cased, without parameters ("" when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it is known to exceed ``limit`` bytes: from
    ``Content-Length`` before reading, and by counting while reading (chunked uploads)."""
    declared = request.headers.get("content-length", "")
    too_large = ApiError(413, f"Request body exceeds {limit} bytes.")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)

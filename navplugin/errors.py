"""Errors that carry their HTTP meaning, so the core never imports Flask.

The web layer turns any ``NavpluginError`` into one problem+json shape
(RFC 9457): type, title, status, detail, plus ``parameter`` or ``report``.
"""
from __future__ import annotations

from typing import Any


class NavpluginError(Exception):
    status = 500
    code = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://navplugin.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body


class BadParameter(NavpluginError):
    status = 400
    code = "bad-parameter"
    title = "Bad parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail, parameter=parameter)
        self.parameter = parameter


class Unauthorized(NavpluginError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"
    challenge = 'Bearer realm="navplugin-admin"'  # WWW-Authenticate: what to send instead


class ClientKeyRequired(Unauthorized):
    """A navigation request without a valid client key, where keys are required."""

    challenge = 'ApiKey realm="navplugin", header="X-API-Key"'


class TooManyRequests(NavpluginError):
    """A client over its quota; the answer says when the next window opens."""

    status = 429
    code = "too-many-requests"
    title = "Too many requests"


class Forbidden(NavpluginError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(NavpluginError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(NavpluginError):
    """The request contradicts the current state (revoking a revoked shop)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(NavpluginError):
    """What was asked for existed once and is no longer kept."""

    status = 410
    code = "gone"
    title = "Gone"


class PayloadTooLarge(NavpluginError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedFile(NavpluginError):
    status = 415
    code = "unsupported-file"
    title = "Unsupported file"


class InvalidUpload(NavpluginError):
    """The file was readable but its rows did not pass validation."""

    status = 422
    code = "invalid-upload"
    title = "Invalid upload"


class NotReady(NavpluginError):
    status = 503
    code = "not-ready"
    title = "Service not ready"


class Unavailable(NavpluginError):
    """Something the request needs is down or busy for now (the database, the queue): retry after a while."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class DeadlineExceeded(Unavailable):
    """The request would take longer than the service gives any one request."""

    code = "deadline-exceeded"
    title = "Deadline exceeded"

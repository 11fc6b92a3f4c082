"""Domain errors: every refusal the platform makes has a stable code and an HTTP status, both
declared in the catalogue (kiemdich.core.error_codes) with the code's message, which a raise
says: `Invalid(code="staff_limit", params={"n": 20})` fills a message that is a template
(a limit, the missing columns) with `params`.

Services raise these; the API turns them into `{"error": {"code", "message"}}` and the pages
show the message in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from kiemdich.core.error_codes import CATALOGUE


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: StrOrPromise = "",
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        extra: dict | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        if code:
            self.code = code
        if not message and self.code in CATALOGUE:
            message = CATALOGUE[self.code].message
            if params is not None:
                # Filled in the language active now, as the request's own text would be.
                message = str(message) % params
        super().__init__(str(message))
        self.message = message
        if status:
            self.status = status
        self.field = field
        self.extra = extra or {}

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return {"error": body}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RetryLater(DomainError):
    """A refusal for now, not for good: the answer carries `Retry-After` (seconds)."""

    def __init__(self, message: StrOrPromise = "", *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = max(1, int(retry_after))


class RateLimited(RetryLater):
    status = 429
    code = "rate_limited"


class Busy(RetryLater):
    """A bounded resource of this server is all in use for a moment (503, ours)."""

    status = 503
    code = "busy"


class TooLarge(DomainError):
    status = 413
    code = "too_large"

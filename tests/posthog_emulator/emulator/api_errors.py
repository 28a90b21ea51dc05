"""PostHog's error bodies: ``{"type", "code", "detail", "attr"}`` with the status PostHog uses.

PostHog renders every API error through drf-exceptions-hog; the ``type`` follows the DRF
exception class (authentication_error, invalid_request, throttled_error, validation_error,
server_error). The constructors below name the cases the emulator can produce.
"""

from dataclasses import dataclass
from typing import Optional


@dataclass
class ApiError(Exception):
    """An error answered as a PostHog error body."""

    status: int
    type: str
    code: str
    detail: str
    attr: Optional[str] = None
    retry_after: Optional[int] = None

    def body(self) -> dict:
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}


def not_authenticated() -> ApiError:
    return ApiError(401, "authentication_error", "not_authenticated", "Authentication credentials were not provided.")


def invalid_personal_api_key() -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        "authentication_failed",
        "Personal API key found in request Authorization header is invalid.",
    )


def permission_denied(detail: str) -> ApiError:
    return ApiError(403, "authentication_error", "permission_denied", detail)


def missing_scope(scope: str) -> ApiError:
    return permission_denied(f"API key missing required scope '{scope}'")


def project_not_in_key_scope(team_id: int) -> ApiError:
    return permission_denied(f"API key does not have access to the requested project: ID {team_id}.")


def organization_not_in_key_scope(organization_id: str) -> ApiError:
    return permission_denied(f"API key does not have access to the requested organization: ID {organization_id}.")


def personal_keys_forbidden(organization_name: str) -> ApiError:
    return permission_denied(
        f"Organization '{organization_name}' does not allow using personal API keys. "
        "Contact an admin to enable personal API keys for this organization."
    )


def project_not_found() -> ApiError:
    return ApiError(404, "invalid_request", "not_found", "Project not found.")


def not_found() -> ApiError:
    return ApiError(404, "invalid_request", "not_found", "Not found.")


def method_not_allowed(method: str) -> ApiError:
    return ApiError(405, "invalid_request", "method_not_allowed", f'Method "{method}" not allowed.')


def parse_error(detail: str) -> ApiError:
    return ApiError(400, "invalid_request", "parse_error", detail)


def validation_error(detail: str, code: str = "invalid_input", attr: Optional[str] = None) -> ApiError:
    return ApiError(400, "validation_error", code, detail, attr)


def throttled(wait_seconds: int) -> ApiError:
    unit = "second" if wait_seconds == 1 else "seconds"
    return ApiError(
        429,
        "throttled_error",
        "throttled",
        f"Request was throttled. Expected available in {wait_seconds} {unit}.",
        retry_after=wait_seconds,
    )


def concurrency_throttled(limit: int, org_id: str, task_id: str) -> ApiError:
    """PostHog turns its ConcurrencyLimitExceeded into a DRF Throttled without a wait time."""
    return ApiError(
        429,
        "throttled_error",
        "throttled",
        f"Exceeded maximum concurrency limit: {limit} for key: api:query:per-org:{org_id} and task: {task_id}",
    )


def query_timeout() -> ApiError:
    return ApiError(
        504,
        "server_error",
        "error",
        "Query has hit the max execution time before completing. See our docs for how to improve your query "
        "performance. You may need to materialize.",
    )


def clickhouse_internal_error() -> ApiError:
    return ApiError(500, "server_error", "error", "ClickHouse error while executing query.")


def server_error() -> ApiError:
    return ApiError(500, "server_error", "error", "A server error occurred.")

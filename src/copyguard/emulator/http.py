"""Plain request/response values for the emulator's own service layers (no moto here)."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from copyguard.records import field, record

_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


@record(frozen=True)
class SigV4Scope:
    access_key: str
    region: str
    service: str


def parse_authorization(header: str | None) -> SigV4Scope | None:
    """The access key, Region and service of a SigV4 ``Authorization`` header."""
    if not header:
        return None
    match = _CREDENTIAL_RE.search(header)
    if not match:
        return None
    return SigV4Scope(match.group(1), match.group(3), match.group(4))


def scope_from_query(query: dict[str, list[str]]) -> SigV4Scope | None:
    """Presigned URLs carry the scope in ``X-Amz-Credential``."""
    values = query.get("X-Amz-Credential") or []
    cred = values[0] if values else None
    if not cred:
        return None
    parts = cred.split("/")
    if len(parts) < 5:
        return None
    return SigV4Scope(parts[0], parts[2], parts[3])


@record
class ApiRequest:
    method: str
    raw_path: str  # still percent-encoded, so "%2F" inside a label is not a separator
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    scope: SigV4Scope
    account: str
    caller_arn: str
    caller_session_arn: str
    segments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        path = self.raw_path.split("?", 1)[0]
        parts = path.split("/")
        if parts and parts[0] == "":
            parts = parts[1:]
        if parts and parts[-1] == "":
            parts = parts[:-1]
        self.segments = [urllib.parse.unquote(p) for p in parts]

    @property
    def region(self) -> str:
        return self.scope.region

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise ValueError(f"request body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("request body must be a JSON object")
        return data

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@record
class ApiResponse:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> ApiResponse:
        payload = b"" if data is None else json.dumps(data, default=str).encode()
        return cls(status, payload, [("Content-Type", "application/json")])


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}

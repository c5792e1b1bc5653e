"""Fault injection: make chosen API calls fail, for testing how clients cope.

A fault matches calls by service (the SigV4 scope name: ``kms``, ``backup``, ``iam`` ...),
operation (``GetKeyPolicy``, ``DescribeCopyJob`` ...; None for any) and optionally the
calling account, and answers with an AWS error in the service's own protocol. ``times``
limits how often it fires (None: until cleared).

    emu.faults.add("kms", "PutKeyPolicy", "AccessDeniedException", "denied by test")
    emu.faults.add("backup", "DescribeCopyJob", "ThrottlingException", times=2)

The same is available over HTTP: ``POST /copyguard/faults`` with a JSON object of these
fields, ``GET`` lists them, ``DELETE`` clears them.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from typing import Any

from copyguard.emulator import surface
from copyguard.emulator.http import ApiResponse
from copyguard.records import asdict, record

QUERY_SERVICES = frozenset(
    {"iam", "sts", "rds", "sns", "sqs", "cloudformation", "autoscaling", "elasticache"}
)
FIELDS = ("service", "operation", "code", "message", "status", "times", "account")
MAX_TIMES = 1_000_000
MAX_MESSAGE = 2048
_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,127}$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")


class FaultError(ValueError):
    """A fault definition the emulator cannot use; ``field`` names the bad field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def _int_field(data: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultError(name, f"expected an integer from {low} to {high}, got {value!r}")
    return value


def validate_fault(data: Any) -> dict[str, Any]:
    """The keyword arguments of ``Faults.add`` for one fault definition, checked.

    ``service`` must be one the emulator serves, ``operation`` (or null: any) one of its
    operations in botocore's model, ``code`` one of the service's errors or a common AWS
    error; ``status`` 400-599, ``times`` 1 or more (or null: until cleared), ``account`` a
    12-digit account ID (or null: any caller).
    """
    if not isinstance(data, dict):
        raise FaultError("", f"a fault is a JSON object, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise FaultError(unknown[0], f"unknown field; expected some of {', '.join(FIELDS)}")
    service = data.get("service")
    if not isinstance(service, str) or service not in surface.SERVICES:
        raise FaultError(
            "service",
            f"expected one of {', '.join(sorted(surface.SERVICES))}, got {service!r}",
        )
    operation = data.get("operation")
    if operation is not None and (
        not isinstance(operation, str) or operation not in surface.operations(service)
    ):
        raise FaultError(
            "operation",
            f"{operation!r} is not an operation of {service} (use null for any operation)",
        )
    code = data.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise FaultError(
            "code", f"expected an AWS error code such as ThrottlingException, got {code!r}"
        )
    if code not in surface.errors(service) and code not in surface.COMMON_ERRORS:
        raise FaultError(
            "code",
            f"{code!r} is neither an error of {service} nor a common AWS error "
            "(AccessDeniedException, ThrottlingException, ServiceUnavailable, ...)",
        )
    message = data.get("message", "Injected fault")
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise FaultError("message", f"expected a string of at most {MAX_MESSAGE} characters")
    status = _int_field(data, "status", 400, 599)
    times = _int_field(data, "times", 1, MAX_TIMES)
    account = data.get("account")
    if account is not None and not (isinstance(account, str) and _ACCOUNT_RE.match(account)):
        raise FaultError("account", f"expected a 12-digit account ID, got {account!r}")
    return {
        "service": service,
        "operation": operation,
        "code": code,
        "message": message,
        "status": 400 if status is None else status,
        "times": times,
        "account": account,
    }


def parse_faults(text: str | bytes) -> list[dict[str, Any]]:
    """Fault definitions from JSON text: one object or a list of them (FaultError if bad)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FaultError("", f"not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(validate_fault(item))
        except FaultError as exc:
            if isinstance(data, list):
                raise FaultError(
                    f"[{i}].{exc.field}" if exc.field else f"[{i}]", str(exc).split(": ", 1)[-1]
                ) from None
            raise
    return out


@record
class Fault:
    service: str
    operation: str | None
    code: str
    message: str = "Injected fault"
    status: int = 400
    times: int | None = None
    account: str | None = None
    id: str = ""

    def matches(self, service: str, operation: str | None, account: str) -> bool:
        return (
            self.service.lower() == service.lower()
            and (self.operation is None or self.operation == operation)
            and (self.account is None or self.account == account)
        )


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        service: str,
        operation: str | None,
        code: str,
        message: str = "Injected fault",
        status: int = 400,
        times: int | None = None,
        account: str | None = None,
    ) -> Fault:
        """Add a fault (FaultError if the definition is not usable)."""
        checked = validate_fault(
            {
                "service": service,
                "operation": operation,
                "code": code,
                "message": message,
                "status": status,
                "times": times,
                "account": account,
            }
        )
        fault = Fault(**checked, id=str(uuid.uuid4()))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, service: str, operation: str | None, account: str) -> Fault | None:
        """The first fault matching this call (spending one of its ``times``), if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation, account):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def handle_http(self, method: str, body: bytes) -> ApiResponse:
        if method == "GET":
            return ApiResponse.json({"faults": self.list()})
        if method == "DELETE":
            self.clear()
            return ApiResponse.json({"faults": []})
        if method in ("POST", "PUT"):
            try:
                definitions = parse_faults(body or b"{}")
            except FaultError as exc:
                return ApiResponse.json({"error": f"bad fault: {exc}", "field": exc.field}, 400)
            faults = [asdict(self.add(**d)) for d in definitions]
            return ApiResponse.json(faults[0] if len(faults) == 1 else {"faults": faults})
        return ApiResponse.json({"error": "use GET, POST or DELETE"}, 405)


def error_in_protocol(
    service: str, json_protocol: bool, code: str, message: str, status: int
) -> ApiResponse:
    """An AWS error response as ``service``'s protocol spells it."""
    proto = "json" if json_protocol else surface.protocol(service)
    if service == "s3":
        proto = "rest-xml"
    return surface.aws_error(proto, code, message, status)

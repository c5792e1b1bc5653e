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
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from copyguard.emulator.http import ApiResponse

QUERY_SERVICES = frozenset(
    {"iam", "sts", "rds", "sns", "sqs", "cloudformation", "autoscaling", "elasticache"}
)


@dataclass
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
        fault = Fault(service, operation, code, message, status, times, account, str(uuid.uuid4()))
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
                data = json.loads(body or b"{}")
                fault = self.add(
                    str(data["service"]),
                    data.get("operation"),
                    str(data["code"]),
                    str(data.get("message", "Injected fault")),
                    int(data.get("status", 400)),
                    data.get("times"),
                    data.get("account"),
                )
            except (ValueError, KeyError, TypeError) as exc:
                return ApiResponse.json({"error": f"bad fault: {exc}"}, 400)
            return ApiResponse.json(asdict(fault))
        return ApiResponse.json({"error": "use GET, POST or DELETE"}, 400)


def error_in_protocol(
    service: str, json_protocol: bool, code: str, message: str, status: int
) -> ApiResponse:
    """An AWS error response as ``service``'s protocol spells it."""
    request_id = str(uuid.uuid4())
    if json_protocol:
        return ApiResponse(
            status,
            json.dumps({"__type": code, "message": message}).encode(),
            [("Content-Type", "application/x-amz-json-1.1")],
        )
    if service == "ec2":
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
            f"<Code>{code}</Code><Message>{_xml(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return ApiResponse(status, body.encode(), [("Content-Type", "text/xml")])
    if service in QUERY_SERVICES:
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return ApiResponse(status, body.encode(), [("Content-Type", "text/xml")])
    if service == "s3":
        body = f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
        return ApiResponse(status, body.encode(), [("Content-Type", "application/xml")])
    return ApiResponse(
        status,
        json.dumps({"Code": code, "Message": message, "message": message}).encode(),
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)],
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

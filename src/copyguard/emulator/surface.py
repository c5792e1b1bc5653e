"""The AWS API surface the emulator serves, and AWS's errors in each service's protocol.

The services, their protocols and their operations come from botocore's service models (the
same ones the clients use), so an operation name is checked against what AWS defines.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from copyguard.emulator import sigv4
from copyguard.emulator.http import ApiResponse

#: SigV4 signing names the emulator answers for; everything else moto could serve is off.
SERVICES = frozenset(
    {"backup", "kms", "sts", "iam", "organizations", "ec2", "rds", "elasticfilesystem"}
)
#: botocore's model name where it differs from the signing name
_MODEL_NAMES = {"elasticfilesystem": "efs"}

#: errors any AWS service may answer with (botocore's retry rules and the common errors of the
#: AWS API reference), accepted in fault definitions besides the service's own errors
COMMON_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InvalidClientTokenId",
        "InvalidParameterCombination",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidSignatureException",
        "LimitExceededException",
        "MalformedQueryString",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "MissingParameter",
        "NotAuthorized",
        "OptInRequired",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestExpired",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestTimeTooSkewed",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "SignatureDoesNotMatch",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionInProgressException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "ValidationError",
        "ValidationException",
    }
)


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    session = botocore.session.get_session()
    return session.get_service_model(_MODEL_NAMES.get(service, service))


def protocol(service: str | None) -> str:
    """``json``, ``query``, ``ec2``, ``rest-json`` or ``rest-xml`` (rest-json if unknown)."""
    if service not in SERVICES:
        return "rest-json"
    return str(_model(service).protocol)


def operations(service: str) -> frozenset[str]:
    return frozenset(_model(service).operation_names)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}


def check_json_input(service: str, operation: str, data: dict[str, Any]) -> str | None:
    """What is wrong with the top level of a JSON request body, as AWS words it (None: ok)."""
    shape = _model(service).operation_model(operation).input_shape
    if shape is None:
        return None
    for name in shape.required_members:
        if data.get(name) is None:
            return (
                f"1 validation error detected: Value null at '{name}' failed to satisfy "
                "constraint: Member must not be null"
            )
    for name, value in data.items():
        member = shape.members.get(name)
        if member is None or value is None:
            continue  # AWS ignores members it does not know
        wanted = _JSON_TYPES.get(member.type_name)
        if wanted is None:
            continue
        if not isinstance(value, wanted) or (bool not in wanted and isinstance(value, bool)):
            return f"Unexpected value for '{name}': expected a {member.type_name}"
    return None


def check_query_input(service: str, operation: str, form: dict[str, list[str]]) -> str | None:
    """The first required parameter a query-protocol request lacks (None: none lacks)."""
    shape = _model(service).operation_model(operation).input_shape
    if shape is None:
        return None
    for name in shape.required_members:
        member = shape.members[name]
        key = str(member.serialization.get("name", name))
        if not any(k == key or k.startswith(key + ".") for k in form):
            return key
    return None


def errors(service: str) -> frozenset[str]:
    names = {shape.name for shape in _model(service).error_shapes}
    for shape in _model(service).error_shapes:
        code = shape.metadata.get("error", {}).get("code")
        if code:
            names.add(str(code))
    return frozenset(names)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def aws_error(proto: str, code: str, message: str, status: int) -> ApiResponse:
    """An AWS error response as protocol ``proto`` spells it."""
    request_id = str(uuid.uuid4())
    if proto == "json":
        return ApiResponse(
            status,
            json.dumps({"__type": code, "message": message}).encode(),
            [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)],
        )
    if proto == "ec2":
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
            f"<Code>{_xml(code)}</Code><Message>{_xml(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return ApiResponse(status, body.encode(), [("Content-Type", "text/xml")])
    if proto == "query":
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{_xml(code)}</Code>"
            f"<Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return ApiResponse(status, body.encode(), [("Content-Type", "text/xml")])
    if proto == "rest-xml":
        body = f"<Error><Code>{_xml(code)}</Code><Message>{_xml(message)}</Message></Error>"
        return ApiResponse(status, body.encode(), [("Content-Type", "application/xml")])
    return ApiResponse(
        status,
        json.dumps({"Code": code, "Message": message, "message": message}).encode(),
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)],
    )


#: (code, HTTP status) of each authentication failure, per protocol, as AWS answers them
_AUTH_ERRORS: dict[str, dict[str, tuple[str, int]]] = {
    "json": {
        sigv4.MISSING: ("MissingAuthenticationTokenException", 400),
        sigv4.INCOMPLETE: ("IncompleteSignatureException", 400),
        sigv4.UNKNOWN_KEY: ("UnrecognizedClientException", 400),
        sigv4.MISMATCH: ("InvalidSignatureException", 400),
    },
    "query": {
        sigv4.MISSING: ("MissingAuthenticationToken", 403),
        sigv4.INCOMPLETE: ("IncompleteSignature", 400),
        sigv4.UNKNOWN_KEY: ("InvalidClientTokenId", 403),
        sigv4.MISMATCH: ("SignatureDoesNotMatch", 403),
    },
    "ec2": {
        sigv4.MISSING: ("MissingAuthenticationToken", 401),
        sigv4.INCOMPLETE: ("IncompleteSignature", 400),
        sigv4.UNKNOWN_KEY: ("AuthFailure", 401),
        sigv4.MISMATCH: ("AuthFailure", 401),
    },
    "rest-json": {
        sigv4.MISSING: ("MissingAuthenticationTokenException", 403),
        sigv4.INCOMPLETE: ("IncompleteSignatureException", 403),
        sigv4.UNKNOWN_KEY: ("UnrecognizedClientException", 403),
        sigv4.MISMATCH: ("InvalidSignatureException", 403),
    },
}
_AUTH_MESSAGES = {
    sigv4.MISSING: "Missing Authentication Token",
    sigv4.UNKNOWN_KEY: "The security token included in the request is invalid.",
}


def auth_error(proto: str, failure: sigv4.AuthFailure) -> ApiResponse:
    code, status = _AUTH_ERRORS.get(proto, _AUTH_ERRORS["rest-json"])[failure.kind]
    message = failure.message or _AUTH_MESSAGES.get(failure.kind, "")
    if proto == "ec2" and failure.kind == sigv4.UNKNOWN_KEY:
        message = "AWS was not able to validate the provided access credentials"
    return aws_error(proto, code, message, status)


#: malformed requests: (json code, query/ec2 code, rest code)
_MALFORMED = {
    "serialization": ("SerializationException", "MalformedQueryString", "SerializationException"),
    "unknown_operation": (
        "UnknownOperationException",
        "InvalidAction",
        "UnknownOperationException",
    ),
    "missing_action": ("UnknownOperationException", "MissingAction", "UnknownOperationException"),
    "too_large": (
        "RequestEntityTooLargeException",
        "RequestEntityTooLarge",
        "RequestEntityTooLargeException",
    ),
    "bad_request": ("ValidationException", "InvalidRequest", "ValidationException"),
    "timeout": ("RequestTimeoutException", "RequestTimeout", "RequestTimeoutException"),
}


def malformed(proto: str, kind: str, message: str, status: int = 400) -> ApiResponse:
    json_code, query_code, rest_code = _MALFORMED[kind]
    code = json_code if proto == "json" else query_code if proto in ("query", "ec2") else rest_code
    return aws_error(proto, code, message, status)

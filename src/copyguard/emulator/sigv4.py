"""Check an incoming request's AWS Signature Version 4, as AWS does.

The signature is recomputed with botocore's own signer from what arrived on the wire (method,
raw path and query, the headers the client says it signed, the body) and the secret of the
access key the emulator issued; the request's time must be within 15 minutes of ours.
Both forms are understood: the ``Authorization`` header and a presigned query string.

Pure apart from botocore: the caller looks the secret up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from copyguard.records import record

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
_HEADER_NAME_RE = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
UNSIGNED_PAYLOADS = frozenset({"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})

#: why a request is refused; the front end spells each one in the service's protocol
MISSING = "missing"  # no signature at all
INCOMPLETE = "incomplete"  # a signature we cannot read
UNKNOWN_KEY = "unknown_key"  # an access key the emulator never issued (or a bad token)
MISMATCH = "mismatch"  # wrong signature, expired, or a body that is not what was signed


@record(frozen=True)
class AuthFailure:
    kind: str
    message: str


@record(frozen=True)
class Signature:
    """The parts of a SigV4 signature, as the client sent them."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date
    presigned: bool = False
    expires: int | None = None
    security_token: str | None = None


def _incomplete(message: str) -> AuthFailure:
    return AuthFailure(INCOMPLETE, message)


def _scope(credential: str) -> tuple[str, str, str, str] | AuthFailure:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        return _incomplete(
            f"Credential should be scoped to a valid Region, not '{credential}'. "
            "Expected ACCESS_KEY/DATE/REGION/SERVICE/aws4_request."
        )
    access_key, date, region, service, _ = parts
    if not (len(date) == 8 and date.isdigit()):
        return _incomplete(f"Credential should be scoped to a valid date, not '{date}'.")
    return access_key, date, region, service


def _signed_headers(text: str) -> tuple[str, ...] | AuthFailure:
    names = tuple(text.split(";"))
    if not text or any(not _HEADER_NAME_RE.match(n) for n in names):
        return _incomplete(f"SignedHeaders must be lower-case header names, not '{text}'.")
    if "host" not in names:
        return _incomplete("'Host' must be a signed header.")
    return names


def parse_header(header: str, headers: dict[str, str]) -> Signature | AuthFailure:
    """The signature of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        return _incomplete(f"Unsupported authorization type '{algorithm[:40]}'.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name in fields:
            return _incomplete(f"Authorization header requires a valid '{name[:40]}' entry.")
        fields[name] = value.strip()
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in fields:
            return _incomplete(
                f"Authorization header requires '{required}' parameter. "
                f"Authorization={header[:200]}"
            )
    scope = _scope(fields["Credential"])
    if isinstance(scope, AuthFailure):
        return scope
    names = _signed_headers(fields["SignedHeaders"])
    if isinstance(names, AuthFailure):
        return names
    signature = fields["Signature"]
    if not _SIGNATURE_RE.match(signature):
        return _incomplete("Signature must be 64 lower-case hexadecimal digits.")
    timestamp = headers.get("x-amz-date", "")
    if not timestamp:
        return _incomplete("Authorization header requires existence of an 'X-Amz-Date' header.")
    return Signature(
        *scope,
        signed_headers=names,
        signature=signature,
        timestamp=timestamp,
        security_token=headers.get("x-amz-security-token"),
    )


def parse_query(query: list[tuple[str, str]]) -> Signature | AuthFailure | None:
    """The signature of a presigned URL (None: the query carries none)."""
    values: dict[str, str] = {}
    for name, value in query:
        if name.startswith("X-Amz-"):
            if name in values:
                return _incomplete(f"Query parameter {name} is repeated.")
            values[name] = value
    if "X-Amz-Signature" not in values and "X-Amz-Credential" not in values:
        return None
    for required in (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    ):
        if required not in values:
            return _incomplete(f"A presigned request requires the query parameter {required}.")
    if values["X-Amz-Algorithm"] != ALGORITHM:
        return _incomplete(f"Unsupported algorithm '{values['X-Amz-Algorithm'][:40]}'.")
    scope = _scope(values["X-Amz-Credential"])
    if isinstance(scope, AuthFailure):
        return scope
    names = _signed_headers(values["X-Amz-SignedHeaders"])
    if isinstance(names, AuthFailure):
        return names
    if not _SIGNATURE_RE.match(values["X-Amz-Signature"]):
        return _incomplete("X-Amz-Signature must be 64 lower-case hexadecimal digits.")
    expires = values["X-Amz-Expires"]
    if not expires.isdigit() or not 0 < int(expires) <= MAX_PRESIGNED_EXPIRES:
        return _incomplete(
            f"X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGNED_EXPIRES}."
        )
    return Signature(
        *scope,
        signed_headers=names,
        signature=values["X-Amz-Signature"],
        timestamp=values["X-Amz-Date"],
        presigned=True,
        expires=int(expires),
        security_token=values.get("X-Amz-Security-Token"),
    )


def _check_time(sig: Signature, now: datetime) -> AuthFailure | None:
    try:
        when = datetime.strptime(sig.timestamp, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return _incomplete(
            f"X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z', "
            f"not '{sig.timestamp[:40]}'."
        )
    if sig.timestamp[:8] != sig.date:
        return AuthFailure(
            MISMATCH,
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{sig.date}' != '{sig.timestamp[:8]}', from '{sig.timestamp}'.",
        )
    stamp = now.strftime(_TIMESTAMP_FORMAT)
    if sig.presigned:
        assert sig.expires is not None
        if when - now > MAX_SKEW:
            return AuthFailure(MISMATCH, f"Request is not yet valid ({sig.timestamp} > {stamp}).")
        if now > when + timedelta(seconds=sig.expires):
            return AuthFailure(MISMATCH, f"Request has expired (signed {sig.timestamp}).")
        return None
    if now - when > MAX_SKEW:
        earliest = (now - MAX_SKEW).strftime(_TIMESTAMP_FORMAT)
        return AuthFailure(
            MISMATCH,
            f"Signature expired: {sig.timestamp} is now earlier than {earliest} "
            f"({stamp} - 15 min.)",
        )
    if when - now > MAX_SKEW:
        latest = (now + MAX_SKEW).strftime(_TIMESTAMP_FORMAT)
        return AuthFailure(
            MISMATCH,
            f"Signature not yet current: {sig.timestamp} is still later than {latest} "
            f"({stamp} + 15 min.)",
        )
    return None


def _payload_line(sig: Signature, headers: dict[str, str], body: bytes) -> str | AuthFailure:
    actual = hashlib.sha256(body).hexdigest()
    if sig.service != "s3":  # every other service signs the body itself
        return actual
    if sig.presigned:
        return "UNSIGNED-PAYLOAD"
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        return actual
    if declared in UNSIGNED_PAYLOADS:
        return declared
    if declared != actual:
        return AuthFailure(
            MISMATCH, "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return declared


def _without_signature(raw_query: str) -> str:
    return "&".join(
        pair for pair in raw_query.split("&") if pair.partition("=")[0] != "X-Amz-Signature"
    )


def expected_signature(
    sig: Signature,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    payload: str,
    secret: str,
) -> str:
    """The signature the holder of ``secret`` would have sent for this request.

    botocore's signer recomputes it from what arrived: the raw path and query as sent, only
    the headers the client listed as signed, and the payload line decided by the caller.
    """
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    base = S3SigV4Auth if sig.service == "s3" else SigV4Auth
    signed = sig.signed_headers

    class Recompute(base):  # type: ignore[misc,valid-type]
        def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
            out = HTTPHeaders()
            for name in signed:
                out[name] = headers.get(name, "")
            return out

        def payload(self, request: AWSRequest) -> str:
            return payload

    query = _without_signature(raw_query) if sig.presigned else raw_query
    url = "http://emulator" + (raw_path or "/") + (f"?{query}" if query else "")
    request = AWSRequest(method=method.upper(), url=url)
    request.context["timestamp"] = sig.timestamp
    signer = Recompute(Credentials(sig.access_key, secret), sig.service, sig.region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def verify(
    sig: Signature,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    secret: str,
    now: datetime | None = None,
) -> AuthFailure | None:
    """None if ``sig`` is a valid signature of this request made with ``secret``."""
    problem = _check_time(sig, now or datetime.now(UTC))
    if problem is not None:
        return problem
    if list(sig.signed_headers) != sorted(set(sig.signed_headers)):
        return AuthFailure(MISMATCH, "SignedHeaders must be sorted and without repeats.")
    payload = _payload_line(sig, headers, body)
    if isinstance(payload, AuthFailure):
        return payload
    expected = expected_signature(sig, method, raw_path, raw_query, headers, payload, secret)
    if not hmac.compare_digest(expected, sig.signature):
        return AuthFailure(
            MISMATCH,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
    return None

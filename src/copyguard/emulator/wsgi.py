"""The emulator's single WSGI application: copyguard's Backup and KMS layers in front of
moto's server app.

- Only the AWS API of the services in ``surface.SERVICES`` and copyguard's own control
  endpoints (``/copyguard/health``, ``/copyguard/faults``, with the control token) are
  served; moto's ``/moto-api`` (dashboard, reset, state, recorder, seeding), its instance
  metadata and CORS are off.
- Every AWS request must carry a valid SigV4 signature made with credentials the emulator
  issued (the profiles' keys, or keys moto's STS handed out); the access key decides the
  calling account, so each account sees only what it may see.
- Malformed requests get AWS's 4xx errors in the service's protocol, never a 500.
- The body is read, and the signature checked, before any lock is taken. moto's state is
  guarded by a readers-writer lock: reads run side by side, writes one at a time.
- ``backup`` requests are handled by ``BackupService``; ``kms`` requests are authorized by
  ``KmsFront`` and then served by moto (as the key owner for a cross-account key use);
  everything else goes to moto unchanged.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from copyguard.emulator import bootstrap, moto_view, org_front, sigv4, surface
from copyguard.emulator.backup_service import BackupService
from copyguard.emulator.faults import Faults, error_in_protocol
from copyguard.emulator.http import REASONS, ApiRequest, ApiResponse, SigV4Scope
from copyguard.emulator.kms_front import Forward, KmsFront
from copyguard.emulator.locks import ReadWriteLock
from copyguard.records import record

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
_FIXUP_SERVICES = frozenset({"kms", "ec2", "rds", "elasticfilesystem"})
#: the largest request body accepted (AWS's own limits are far lower for these services)
MAX_BODY_BYTES = 8 * 1024 * 1024
CONTROL_PREFIX = "/copyguard/"
#: moto's own endpoints (dashboard, reset, state, recorder, seeding, instance metadata)
_MOTO_PATHS = ("/moto-api", "/favicon.ico", "/latest/")
_READ_PREFIXES = ("Describe", "Get", "List")
#: reads that change state in moto (new credentials, import tokens)
_WRITING_READS = frozenset(
    {
        ("sts", "GetSessionToken"),
        ("sts", "GetFederationToken"),
        ("kms", "GetParametersForImport"),
        ("iam", "GetCredentialReport"),
    }
)


class RequestError(Exception):
    """A request refused before it reaches a service layer."""

    def __init__(self, response: ApiResponse) -> None:
        super().__init__(response.status)
        self.response = response


@record
class Incoming:
    """What arrived, read once: method, raw path and query, headers, body."""

    method: str
    path: str
    raw_path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = str(environ["CONTENT_LENGTH"])
    return headers


def _raw_target(environ: dict[str, Any]) -> tuple[str, str]:
    """The request target as sent (still percent-encoded): path and query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        raw = urllib.parse.quote(environ.get("PATH_INFO", "") or "/")
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].split("/", 1)[-1]
    path, _, query = raw.partition("?")
    return path, query


def _discard(stream: Any, limit: int) -> None:
    """Read and drop up to ``limit`` bytes (in small pieces, never buffered whole)."""
    if stream is None:
        return
    left = limit
    while left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            return
        left -= len(chunk)


def _too_large(proto: str) -> RequestError:
    """The answer to a request body over ``MAX_BODY_BYTES``."""
    return RequestError(
        surface.malformed(
            proto, "too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes.", 413
        )
    )


def _guess_protocol(incoming: Incoming) -> str:
    """The protocol of a request whose service is not known (unsigned, or unreadable)."""
    if incoming.headers.get("x-amz-target"):
        return "json"
    if "x-www-form-urlencoded" in incoming.headers.get("content-type", ""):
        return "query"
    return "rest-json"


def _is_read(service: str, operation: str | None) -> bool:
    return bool(operation) and (
        str(operation).startswith(_READ_PREFIXES) and (service, operation) not in _WRITING_READS
    )


class FrontApp:
    def __init__(
        self,
        moto_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        backup: BackupService,
        kms: KmsFront,
        info: Callable[[], dict[str, Any]],
        control_token: str = "",
    ) -> None:
        self.moto_app = moto_app
        self.backup = backup
        self.kms = kms
        self.info = info
        self.faults = Faults()
        self.control_token = control_token
        #: moto's backends are not thread-safe: reads share, writes are exclusive
        #: (``with app.lock:`` takes it exclusively)
        self.lock = ReadWriteLock()
        #: seconds each AWS request waits before it is served, no lock held (``--latency``):
        #: the network round trip of a real endpoint, so a client's concurrency shows
        self.latency = 0.0

    # -- entry point -----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._serve(environ, start_response)
        except RequestError as exc:
            return self._send(exc.response, start_response)
        except Exception:  # never a traceback, never a bare 500 for what a client sent
            log.exception("request failed in the emulator")
            return self._send(
                surface.aws_error(
                    "rest-json",
                    "InternalFailure",
                    "The emulator could not process the request",
                    500,
                ),
                start_response,
            )

    def _serve(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # nobody may pick an account, or steer moto, by header: the access key decides
        for key in [k for k in environ if k.startswith("HTTP_X_MOTO_")]:
            environ.pop(key)
        path = environ.get("PATH_INFO", "") or ""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if path.startswith(_MOTO_PATHS) or path == "/moto-api":
            return self._send(
                surface.aws_error("rest-json", "NotFound", "Not Found", 404), start_response
            )
        if method == "OPTIONS":  # no CORS: a browser page may not call the emulator
            return self._send(
                surface.aws_error(
                    "rest-json", "MethodNotAllowed", "CORS preflight is not supported", 405
                ),
                start_response,
            )
        incoming = self._incoming(environ, method, path)
        if path.startswith(CONTROL_PREFIX):
            return self._send(self._control(incoming), start_response)
        if self.latency > 0:
            time.sleep(self.latency)
        return self._aws(environ, incoming, start_response)

    # -- reading the request ---------------------------------------------------------------------

    def _incoming(self, environ: dict[str, Any], method: str, path: str) -> Incoming:
        raw_path, raw_query = _raw_target(environ)
        headers = _headers(environ)
        proto = "json" if headers.get("x-amz-target") else "rest-json"
        try:
            query = urllib.parse.parse_qs(
                raw_query, keep_blank_values=True, errors="strict", max_num_fields=1000
            )
        except (ValueError, UnicodeDecodeError):
            raise RequestError(
                surface.malformed("query", "serialization", "The query string is malformed.")
            ) from None
        body = self._read_body(environ, proto)
        return Incoming(method, path, raw_path, raw_query, query, headers, body)

    @staticmethod
    def _read_body(environ: dict[str, Any], proto: str) -> bytes:
        """The whole body, at most MAX_BODY_BYTES; read before any lock is taken."""
        stream = environ.get("wsgi.input")
        raw_length = environ.get("CONTENT_LENGTH")
        chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
        try:
            if raw_length not in (None, ""):
                text = str(raw_length).strip()
                if not text.isdigit():
                    raise RequestError(
                        surface.malformed(proto, "bad_request", "Content-Length is not a number.")
                    )
                length = int(text)
                if length > MAX_BODY_BYTES:
                    _discard(
                        stream, min(length, 2 * MAX_BODY_BYTES)
                    )  # so the client sees the answer
                    raise _too_large(proto)
                body = stream.read(length) if stream is not None and length else b""
                if len(body) != length:
                    raise RequestError(
                        surface.malformed(
                            proto, "bad_request", "The request body is shorter than Content-Length."
                        )
                    )
            elif chunked and stream is not None:
                body = stream.read(MAX_BODY_BYTES + 1)
                if len(body) > MAX_BODY_BYTES:
                    raise _too_large(proto)
            else:
                body = b""
        except (TimeoutError, OSError, ValueError) as exc:
            raise RequestError(
                surface.malformed(proto, "timeout", f"The request body could not be read: {exc}")
            ) from None
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return body

    # -- copyguard's control endpoints -----------------------------------------------------------

    def _authorized(self, incoming: Incoming) -> bool:
        if not self.control_token:
            return False
        offered = incoming.headers.get("x-copyguard-token", "")
        auth = incoming.headers.get("authorization", "")
        if not offered and auth.lower().startswith("bearer "):
            offered = auth[7:].strip()
        return hmac.compare_digest(offered.encode(), self.control_token.encode())

    def _control(self, incoming: Incoming) -> ApiResponse:
        if incoming.path not in ("/copyguard/health", "/copyguard/faults"):
            return ApiResponse.json({"error": f"no such endpoint: {incoming.path}"}, 404)
        if not self._authorized(incoming):
            return ApiResponse.json(
                {
                    "error": "the control endpoints need the emulator's control token "
                    "(header 'Authorization: Bearer TOKEN' or 'X-Copyguard-Token: TOKEN')"
                },
                403,
            )
        if incoming.path == "/copyguard/health":
            if incoming.method not in ("GET", "HEAD"):
                return ApiResponse.json({"error": "use GET"}, 405)
            return ApiResponse.json(self.info())
        return self.faults.handle_http(incoming.method, incoming.body)

    # -- the AWS API -----------------------------------------------------------------------------

    def _signature(self, incoming: Incoming) -> sigv4.Signature:
        """The request's parsed signature (RequestError when missing or unreadable)."""
        auth = incoming.headers.get("authorization")
        parsed: sigv4.Signature | sigv4.AuthFailure | None
        if auth:
            parsed = sigv4.parse_header(auth, incoming.headers)
        else:
            pairs = urllib.parse.parse_qsl(incoming.raw_query, keep_blank_values=True)
            parsed = sigv4.parse_query(pairs)
        if parsed is None:
            parsed = sigv4.AuthFailure(sigv4.MISSING, "")
        if isinstance(parsed, sigv4.AuthFailure):
            raise RequestError(surface.auth_error(_guess_protocol(incoming), parsed))
        return parsed

    def _authenticate(self, incoming: Incoming, sig: sigv4.Signature, proto: str) -> Any:
        """The caller behind a valid signature; RequestError otherwise."""
        with self.lock.read():
            issued = moto_view.issued_key(sig.access_key)
        if issued is None or not issued.active:
            raise RequestError(surface.auth_error(proto, sigv4.AuthFailure(sigv4.UNKNOWN_KEY, "")))
        if issued.session_token is not None and not hmac.compare_digest(
            (sig.security_token or "").encode(), issued.session_token.encode()
        ):
            raise RequestError(surface.auth_error(proto, sigv4.AuthFailure(sigv4.UNKNOWN_KEY, "")))
        problem = sigv4.verify(
            sig,
            incoming.method,
            incoming.raw_path,
            incoming.raw_query,
            incoming.headers,
            incoming.body,
            issued.secret,
        )
        if problem is not None:
            raise RequestError(surface.auth_error(proto, problem))
        return issued.caller

    def _operation(
        self, incoming: Incoming, service: str, proto: str
    ) -> tuple[str | None, dict[str, Any] | None]:
        """The operation a request names, and its JSON body; RequestError if malformed."""
        if proto == "json":
            target = incoming.headers.get("x-amz-target", "")
            if not target or "." not in target:
                raise RequestError(
                    surface.malformed(proto, "missing_action", "Missing or malformed X-Amz-Target.")
                )
            operation = target.rsplit(".", 1)[-1]
            if operation not in surface.operations(service):
                raise RequestError(
                    surface.malformed(
                        proto, "unknown_operation", f"Unknown operation {operation[:100]!r}."
                    )
                )
            try:
                data = json.loads(incoming.body.decode("utf-8")) if incoming.body else {}
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise RequestError(
                    surface.malformed(proto, "serialization", f"The body is not JSON: {exc}")
                ) from None
            if not isinstance(data, dict):
                raise RequestError(
                    surface.malformed(proto, "serialization", "The body must be a JSON object.")
                )
            problem = surface.check_json_input(service, operation, data)
            if problem is not None:
                kind = "bad_request" if "validation error" in problem else "serialization"
                raise RequestError(surface.malformed(proto, kind, problem))
            return operation, data
        if proto in ("query", "ec2"):
            form: dict[str, list[str]] = dict(incoming.query)
            if incoming.body:
                try:
                    form.update(
                        urllib.parse.parse_qs(
                            incoming.body.decode("utf-8"),
                            keep_blank_values=True,
                            errors="strict",
                            max_num_fields=10000,
                        )
                    )
                except (UnicodeDecodeError, ValueError):
                    raise RequestError(
                        surface.malformed(proto, "serialization", "The form body is malformed.")
                    ) from None
            action = (form.get("Action") or [""])[0]
            if not action:
                raise RequestError(
                    surface.malformed(proto, "missing_action", "The request has no Action.")
                )
            if action not in surface.operations(service):
                raise RequestError(
                    surface.malformed(
                        proto,
                        "unknown_operation",
                        f"The action {action[:100]} is not valid for this web service.",
                    )
                )
            if proto == "query":  # ec2 spells its parameter names differently
                missing = surface.check_query_input(service, action, form)
                if missing is not None:
                    raise RequestError(
                        surface.aws_error(
                            proto,
                            "MissingParameter",
                            f"The request must contain the parameter {missing}",
                            400,
                        )
                    )
            return action, None
        return None, None  # REST protocols: the path names the operation

    def _aws(
        self, environ: dict[str, Any], incoming: Incoming, start_response: StartResponse
    ) -> Iterable[bytes]:
        sig = self._signature(incoming)
        service = sig.service.lower()
        if service not in surface.SERVICES:
            raise RequestError(
                surface.aws_error(
                    _guess_protocol(incoming),
                    "UnknownServiceException",
                    f"The copyguard emulator does not serve {service[:60]!r}; it serves "
                    f"{', '.join(sorted(surface.SERVICES))}.",
                    400,
                )
            )
        proto = surface.protocol(service)
        caller = self._authenticate(incoming, sig, proto)
        if sig.presigned:  # moto finds the service and account in the Authorization header
            environ["HTTP_AUTHORIZATION"] = (
                f"{sigv4.ALGORITHM} Credential={sig.access_key}/{sig.date}/{sig.region}/"
                f"{sig.service}/aws4_request, SignedHeaders={';'.join(sig.signed_headers)}, "
                f"Signature={sig.signature}"
            )
        operation, data = self._operation(incoming, service, proto)
        scope = SigV4Scope(sig.access_key, sig.region, service)
        req: ApiRequest | None = None
        if service in ("backup", "kms"):
            req = ApiRequest(
                method=incoming.method,
                raw_path=incoming.raw_path,
                query=incoming.query,
                headers=incoming.headers,
                body=incoming.body,
                scope=scope,
                account=caller.account,
                caller_arn=caller.arn,
                caller_session_arn=caller.session_arn,
            )
            if service == "backup":
                found = self.backup.route(req)
                operation = found[0] if found else None
        json_protocol = proto == "json"
        fault = self.faults.take(service, operation, caller.account)
        if fault is not None:
            return self._send(
                error_in_protocol(service, json_protocol, fault.code, fault.message, fault.status),
                start_response,
            )
        read_only = _is_read(service, operation)
        if service == "sts" and operation == "AssumeRole":
            with self.lock.read():
                refusal = self._contain(
                    proto,
                    lambda: (
                        org_front.check_assume_role(
                            caller, incoming.body, incoming.query, self.backup.authz
                        )
                        or ApiResponse(0, b"")
                    ),
                )
            if refusal.status:
                return self._send(refusal, start_response)
        if service == "organizations" and operation == "DescribeEffectivePolicy":
            with self.lock.read():
                response = self._contain(
                    proto, lambda: org_front.describe_effective_policy(caller.account, data or {})
                )
            return self._send(response, start_response)
        if service == "kms" and read_only:
            # a KMS read naming an alias may create an AWS managed key in moto
            read_only = not any(isinstance(v, str) and "alias/" in v for v in (data or {}).values())
        if service == "backup":
            assert req is not None
            with self.lock.read() if read_only else self.lock.write():
                response = self._contain(proto, lambda: self.backup.handle(req))
            return self._send(response, start_response)
        if req is None:
            after = None
            if service == "organizations" and operation == "CreateAccount":
                role_name = str((data or {}).get("RoleName") or bootstrap.ORG_ACCESS_ROLE)

                def after(response: ApiResponse) -> None:
                    if response.status == 200:
                        org_front.after_create_account(response.body, caller.account, role_name)

            return self._moto(
                environ, start_response, None, caller.account, service, read_only, after=after
            )
        with self.lock.read() if read_only else self.lock.write():
            decision = self.kms.handle(req, operation or "")
            if isinstance(decision, ApiResponse):
                return self._send(decision, start_response)
            assert isinstance(decision, Forward)
            if decision.body is not None:
                environ["wsgi.input"] = io.BytesIO(decision.body)
                environ["CONTENT_LENGTH"] = str(len(decision.body))
            return self._moto(
                environ,
                start_response,
                decision.account,
                caller.account,
                service,
                read_only,
                take_lock=False,  # held already
            )

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _contain(proto: str, call: Callable[[], ApiResponse]) -> ApiResponse:
        try:
            return call()
        except NotImplementedError:
            return surface.malformed(
                proto, "unknown_operation", "The copyguard emulator does not implement this call."
            )
        except Exception as exc:
            log.exception("the emulator failed on a request")
            return surface.malformed(
                proto,
                "bad_request",
                f"The copyguard emulator could not process this request ({type(exc).__name__}).",
            )

    def _moto(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        as_account: str | None,
        caller_account: str,
        service: str,
        read_only: bool,
        take_lock: bool = True,
        after: Callable[[ApiResponse], None] | None = None,
    ) -> Iterable[bytes]:
        # the account is the caller's, already known from the access key: moto's own lookup
        # (every partition's IAM backend of every account, created on the way) is not needed
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = as_account or caller_account
        proto = surface.protocol(service)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        def dispatch() -> ApiResponse:
            result = self.moto_app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status = int(str(captured.get("status", "500")).split(" ", 1)[0])
            headers = [
                (k, v)
                for k, v in captured.get("headers", [])
                if not k.lower().startswith("access-control-")
                and k.lower() not in ("content-length", "x-amzn-requestid")
            ]
            if status >= 500:  # moto trips over input it does not understand
                log.warning("moto answered %s to a %s request: %r", status, service, body[:500])
                return surface.malformed(
                    proto, "bad_request", "The copyguard emulator could not process this request."
                )
            return ApiResponse(status, body, headers)

        def run() -> ApiResponse:
            response = self._contain(proto, dispatch)
            if after is not None:
                after(response)
            if service in _FIXUP_SERVICES and not read_only:
                moto_view.fix_aws_managed_keys(caller_account)
                if as_account:
                    moto_view.fix_aws_managed_keys(as_account)
            return response

        if not take_lock:
            return self._send(run(), start_response)
        with self.lock.read() if read_only else self.lock.write():
            response = run()
        return self._send(response, start_response)

    @staticmethod
    def _send(response: ApiResponse, start_response: StartResponse) -> Iterable[bytes]:
        headers = [
            (k, v)
            for k, v in response.headers
            if k.lower() not in ("content-length", "x-amzn-requestid")
            and not k.lower().startswith("access-control-")
        ]
        headers.append(("Content-Length", str(len(response.body))))
        headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
        start_response(f"{response.status} {REASONS.get(response.status, 'Error')}", headers)
        return [response.body]

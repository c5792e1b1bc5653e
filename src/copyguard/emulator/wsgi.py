"""The emulator's single WSGI application: copyguard's Backup and KMS layers in front of
moto's server app.

- Callers are identified by the access key in the SigV4 credential scope; an access key no
  emulated account owns is refused, so each account sees only what it may see.
- ``backup`` requests are handled by ``BackupService``; ``kms`` requests are authorized by
  ``KmsFront`` and then served by moto (as the key owner for a cross-account key use);
  everything else goes to moto unchanged.
"""

from __future__ import annotations

import io
import logging
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from copyguard.emulator import moto_view
from copyguard.emulator.backup_service import BackupService, error_response
from copyguard.emulator.faults import QUERY_SERVICES, Faults, error_in_protocol
from copyguard.emulator.http import (
    REASONS,
    ApiRequest,
    ApiResponse,
    parse_authorization,
    scope_from_query,
)
from copyguard.emulator.kms_front import Forward, KmsFront

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
_FIXUP_SERVICES = frozenset({"kms", "ec2", "rds", "elasticfilesystem"})


_AUTH_CODES = {"ec2": ("AuthFailure", 401), "s3": ("InvalidAccessKeyId", 403)}


def _auth_failure(service: str, json_protocol: bool) -> ApiResponse:
    """AWS's answer to an unknown access key, in the protocol of ``service``."""
    if json_protocol:
        code, status = "UnrecognizedClientException", 400
    elif service in QUERY_SERVICES:
        code, status = "InvalidClientTokenId", 403
    else:
        code, status = _AUTH_CODES.get(service, ("UnrecognizedClientException", 403))
    message = (
        "AWS was not able to validate the provided access credentials"
        if service == "ec2"
        else "The security token included in the request is invalid."
    )
    return error_in_protocol(service, json_protocol, code, message, status)


class FrontApp:
    def __init__(
        self,
        moto_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        backup: BackupService,
        kms: KmsFront,
        info: Callable[[], dict[str, Any]],
    ) -> None:
        self.moto_app = moto_app
        self.backup = backup
        self.kms = kms
        self.info = info
        self.faults = Faults()
        #: moto's backends are not thread-safe; requests are served one at a time
        self.lock = threading.RLock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # nobody may pick an account by header: the access key decides
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        path = environ.get("PATH_INFO", "") or ""
        if path == "/copyguard/health":
            return self._send(ApiResponse.json(self.info()), start_response)
        if path == "/copyguard/faults":
            body = self._read_body(environ)
            method = environ.get("REQUEST_METHOD", "GET").upper()
            return self._send(self.faults.handle_http(method, body), start_response)
        if path.startswith("/moto-api/reset"):
            return self._send(
                ApiResponse.json({"message": "reset is disabled in the copyguard emulator"}, 403),
                start_response,
            )
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        scope = parse_authorization(environ.get("HTTP_AUTHORIZATION")) or scope_from_query(query)
        with self.lock:
            if scope is None:
                return self._moto(environ, start_response, None, None)
            service = scope.service.lower()
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            json_protocol = bool(target)
            caller = moto_view.caller_for_access_key(scope.access_key)
            if caller is None:
                return self._send(_auth_failure(service, json_protocol), start_response)
            operation: str | None = target.rsplit(".", 1)[-1] if target else None
            req: ApiRequest | None = None
            if service in ("backup", "kms"):
                req = self._api_request(environ, path, query, scope, caller)
                if service == "backup":
                    found = self.backup.route(req)
                    operation = found[0] if found else None
            elif not json_protocol and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
                # query and ec2 protocols name the operation in the form body
                form = urllib.parse.parse_qs(self._read_body(environ).decode("utf-8", "replace"))
                operation = (form.get("Action") or query.get("Action") or [None])[0]
            fault = self.faults.take(service, operation, caller.account)
            if fault is not None:
                return self._send(
                    error_in_protocol(
                        service, json_protocol, fault.code, fault.message, fault.status
                    ),
                    start_response,
                )
            if req is None:
                return self._moto(environ, start_response, None, caller.account, service)
            if service == "backup":
                try:
                    response = self.backup.handle(req)
                except Exception:
                    log.exception("backup request failed")
                    response = error_response(
                        "ServiceUnavailableException", "Internal error in the emulator", 500
                    )
                return self._send(response, start_response)
            decision = self.kms.handle(req, operation or "")
            if isinstance(decision, ApiResponse):
                return self._send(decision, start_response)
            assert isinstance(decision, Forward)
            if decision.body is not None:
                environ["wsgi.input"] = io.BytesIO(decision.body)
                environ["CONTENT_LENGTH"] = str(len(decision.body))
            return self._moto(environ, start_response, decision.account, caller.account, service)

    def _api_request(
        self,
        environ: dict[str, Any],
        path: str,
        query: dict[str, list[str]],
        scope: Any,
        caller: moto_view.Caller,
    ) -> ApiRequest:
        body = self._read_body(environ)
        headers = {
            k[5:].replace("_", "-").lower(): str(v)
            for k, v in environ.items()
            if k.startswith("HTTP_")
        }
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or urllib.parse.quote(path)
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].split("/", 1)[-1]
        return ApiRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            raw_path=raw_path,
            query=query,
            headers=headers,
            body=body,
            scope=scope,
            account=caller.account,
            caller_arn=caller.arn,
            caller_session_arn=caller.session_arn,
        )

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        body = stream.read(length) if stream is not None and length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def _moto(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        as_account: str | None,
        caller_account: str | None,
        service: str | None = None,
    ) -> Iterable[bytes]:
        if as_account:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = as_account
        result = self.moto_app(environ, start_response)
        # materialize now, while the lock is held, then fix up lazily created AWS keys
        chunks = list(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        if service in _FIXUP_SERVICES and caller_account:
            moto_view.fix_aws_managed_keys(caller_account)
            if as_account:
                moto_view.fix_aws_managed_keys(as_account)
        return chunks

    @staticmethod
    def _send(response: ApiResponse, start_response: StartResponse) -> Iterable[bytes]:
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
        start_response(f"{response.status} {REASONS.get(response.status, 'Error')}", headers)
        return [response.body]

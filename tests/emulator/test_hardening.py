"""The emulator is safe to run: only the AWS API (SigV4-checked against the credentials it
issued) and its own control endpoints (with the control token); moto's /moto-api, CORS and
other services are off; malformed requests get AWS-shaped 4xx errors; a stalled client does
not block the others; fault definitions are validated.

Everything goes over real HTTP on loopback: raw requests (http.client, sockets) signed with
botocore's signer, and boto3 clients.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from copyguard.emulator.faults import FaultError, parse_faults
from copyguard.emulator.locks import ReadWriteLock

pytestmark = pytest.mark.emulator

REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from copyguard.emulator import Emulator

    with Emulator(port=0) as emulator:
        emulator.write_aws_config(tmp_path_factory.mktemp("aws"))
        yield emulator


# -- raw HTTP ---------------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def code(self) -> str | None:
        """The AWS error code, from whichever protocol the answer is in."""
        text = self.body.decode("utf-8", "replace")
        if text.lstrip().startswith("{"):
            data = json.loads(text)
            return data.get("__type") or data.get("Code")
        start = text.find("<Code>")
        return text[start + 6 : text.find("</Code>")] if start >= 0 else None


def send(
    emu: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


def signed_headers(
    emu: Any,
    service: str,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    profile: str = "source",
    secret: str | None = None,
    when: dt.datetime | None = None,
) -> dict[str, str]:
    """Headers of a request signed with botocore's SigV4 signer (as a boto3 client would)."""
    key, real_secret = emu.credentials(profile)
    request = AWSRequest(
        method=method,
        url=f"http://127.0.0.1:{emu.port}{path}",
        data=body,
        headers=dict(headers),
    )
    signer = SigV4Auth(Credentials(key, secret or real_secret), service, REGION)
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
    return dict(request.headers.items())


def signed(
    emu: Any,
    service: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Answer:
    all_headers = signed_headers(emu, service, method, path, body, headers or {}, **kwargs)
    return send(emu, method, path, body, all_headers)


KMS_JSON = {"Content-Type": "application/x-amz-json-1.1"}
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def kms_target(op: str) -> dict[str, str]:
    return {**KMS_JSON, "X-Amz-Target": f"TrentService.{op}"}


def assert_aws_4xx(answer: Answer, code: str | None = None) -> None:
    assert 400 <= answer.status < 500, (answer.status, answer.body)
    assert b"Traceback" not in answer.body
    assert answer.code, answer.body  # AWS-shaped: a code in the protocol's format
    if code is not None:
        assert answer.code == code, answer.body


# -- moto's own endpoints and CORS ----------------------------------------------------------


MOTO_PATHS = [
    ("GET", "/moto-api/"),
    ("GET", "/moto-api/data.json"),
    ("POST", "/moto-api/reset"),
    ("POST", "/moto-api/reset-auth"),
    ("GET", "/moto-api/state-manager/get-transition?model_name=x"),
    ("POST", "/moto-api/recorder/start-recording"),
    ("GET", "/moto-api/recorder/download-recording"),
    ("POST", "/moto-api/seed?a=42"),
    ("POST", "/moto-api/config"),
    ("GET", "/latest/meta-data/iam/security-credentials/"),
    ("GET", "/favicon.ico"),
]


@pytest.mark.parametrize(("method", "path"), MOTO_PATHS)
def test_moto_endpoints_are_off(emu: Any, method: str, path: str) -> None:
    kms = emu.client("source", "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    plain = send(emu, method, path)
    assert plain.status == 404, plain.body
    # signing the request changes nothing: they are not part of any AWS API
    with_sig = signed(emu, "sts", method, path)
    assert with_sig.status == 404, with_sig.body
    assert b"moto" not in plain.body.lower() and b"moto" not in with_sig.body.lower()
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key  # nothing was reset


def test_no_cors(emu: Any) -> None:
    preflight = send(
        emu,
        "OPTIONS",
        "/",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-amz-target",
        },
    )
    assert preflight.status >= 400
    assert not [h for h in preflight.headers if h.startswith("access-control-")]
    answer = signed(
        emu, "kms", "POST", "/", b"{}", {**kms_target("ListKeys"), "Origin": "http://evil.example"}
    )
    assert answer.status == 200, answer.body
    assert not [h for h in answer.headers if h.startswith("access-control-")]
    answer = signed(emu, "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", FORM)
    assert answer.status == 200, answer.body
    assert not [h for h in answer.headers if h.startswith("access-control-")]


def test_other_moto_services_are_off(emu: Any) -> None:
    answer = signed(
        emu,
        "lambda",
        "GET",
        "/2015-03-31/functions/",
    )
    assert_aws_4xx(answer, "UnknownServiceException")
    answer = signed(emu, "sqs", "POST", "/", b"Action=ListQueues&Version=2012-11-05", FORM)
    assert_aws_4xx(answer, "UnknownServiceException")


# -- the control endpoints -------------------------------------------------------------------


def test_control_endpoints_need_the_token(emu: Any) -> None:
    emu.faults.clear()
    fault = json.dumps({"service": "kms", "operation": "ListKeys", "code": "ThrottlingException"})
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Copyguard-Token": ""}):
        assert send(emu, "GET", "/copyguard/health", headers=headers).status == 403
        answer = send(emu, "POST", "/copyguard/faults", fault.encode(), headers)
        assert answer.status == 403
        assert send(emu, "DELETE", "/copyguard/faults", headers=headers).status == 403
    assert emu.faults.list() == []
    # SigV4 credentials of an account are not the control token either
    assert signed(emu, "sts", "GET", "/copyguard/health").status == 403

    health = send(emu, "GET", "/copyguard/health", headers=emu.control_headers())
    assert health.status == 200 and json.loads(health.body)["accounts"] == emu.accounts
    other_form = {"X-Copyguard-Token": emu.control_token}
    added = send(emu, "POST", "/copyguard/faults", fault.encode(), other_form)
    assert added.status == 200, added.body
    assert [f["operation"] for f in emu.faults.list()] == ["ListKeys"]
    assert send(emu, "DELETE", "/copyguard/faults", headers=other_form).status == 200
    assert emu.faults.list() == []
    assert send(emu, "GET", "/copyguard/nope", headers=emu.control_headers()).status == 404


def test_the_token_is_written_with_the_profiles(emu: Any, tmp_path: Path) -> None:
    emu.write_aws_config(tmp_path)
    token = (tmp_path / "emulator-token").read_text().strip()
    assert token == emu.control_token and len(token) >= 32
    assert (tmp_path / "emulator-token").stat().st_mode & 0o077 == 0


# -- SigV4 -----------------------------------------------------------------------------------


def test_unsigned_requests_are_refused(emu: Any) -> None:
    answer = send(emu, "POST", "/", b"{}", kms_target("ListKeys"))
    assert (answer.status, answer.code) == (400, "MissingAuthenticationTokenException")
    answer = send(emu, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", FORM)
    assert (answer.status, answer.code) == (403, "MissingAuthenticationToken")
    assert b"<ErrorResponse>" in answer.body
    answer = send(emu, "GET", "/backup-vaults/")
    assert (answer.status, answer.code) == (403, "MissingAuthenticationTokenException")
    assert answer.headers.get("x-amzn-errortype") == "MissingAuthenticationTokenException"


def _client(emu: Any, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=NO_RETRY,
    )


def test_a_wrong_secret_is_refused(emu: Any) -> None:
    key, secret = emu.credentials("source")
    calls = {
        "kms": (lambda c: c.list_keys(), "InvalidSignatureException"),
        "sts": (lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
        "backup": (lambda c: c.list_backup_vaults(), "InvalidSignatureException"),
        "ec2": (lambda c: c.describe_volumes(), "AuthFailure"),
        "iam": (lambda c: c.list_roles(), "SignatureDoesNotMatch"),
    }
    for service, (call, code) in calls.items():
        with pytest.raises(ClientError) as info:
            call(_client(emu, service, key, secret[:-1] + ("x" if secret[-1] != "x" else "y")))
        assert info.value.response["Error"]["Code"] == code, service
        call(_client(emu, service, key, secret))  # the issued secret works


def test_the_issued_secrets_are_random_and_written(emu: Any, tmp_path: Path) -> None:
    secrets_ = {emu.credentials(name)[1] for name in emu.accounts}
    assert len(secrets_) == 3
    assert not any(emu.accounts[name] in emu.credentials(name)[1] for name in emu.accounts)
    emu.write_aws_config(tmp_path)
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("config_file", str(tmp_path / "config"))
    core.set_config_variable("credentials_file", str(tmp_path / "credentials"))
    session = boto3.Session(botocore_session=core, profile_name="destination")
    ident = session.client("sts", config=NO_RETRY).get_caller_identity()
    assert ident["Account"] == emu.accounts["destination"]


def test_a_tampered_request_is_refused(emu: Any) -> None:
    body = b'{"Limit": 5}'
    headers = signed_headers(emu, "kms", "POST", "/", body, kms_target("ListKeys"))
    assert send(emu, "POST", "/", body, headers).status == 200
    tampered = send(emu, "POST", "/", b'{"Limit": 6}', headers)
    assert_aws_4xx(tampered, "InvalidSignatureException")
    # a different operation under the same signature
    other = dict(headers, **{"X-Amz-Target": "TrentService.ListAliases"})
    assert_aws_4xx(send(emu, "POST", "/", body, other), "InvalidSignatureException")
    # the path of a REST call
    path = "/backup-vaults/"
    headers = signed_headers(emu, "backup", "GET", path, b"", {})
    assert send(emu, "GET", path, b"", headers).status == 200
    assert_aws_4xx(send(emu, "GET", "/backup-jobs/", b"", headers), "InvalidSignatureException")


def test_malformed_signatures(emu: Any) -> None:
    key, _ = emu.credentials("source")
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for auth in (
        "AWS AKIA:abc",  # SigV2
        f"AWS4-HMAC-SHA256 Credential={key}/{today}/{REGION}/kms/aws4_request",
        f"AWS4-HMAC-SHA256 Credential={key}/{today}/kms/aws4_request, SignedHeaders=host, "
        f"Signature={'0' * 64}",
        f"AWS4-HMAC-SHA256 Credential={key}/{today}/{REGION}/kms/aws4_request, "
        f"SignedHeaders=x-amz-date, Signature={'0' * 64}",
        f"AWS4-HMAC-SHA256 Credential={key}/{today}/{REGION}/kms/aws4_request, "
        "SignedHeaders=host, Signature=xyz",
        "AWS4-HMAC-SHA256 " + "Credential=" * 5000,
    ):
        answer = send(
            emu,
            "POST",
            "/",
            b"{}",
            {**kms_target("ListKeys"), "Authorization": auth, "X-Amz-Date": stamp},
        )
        assert_aws_4xx(answer, "IncompleteSignatureException")
    unknown = f"AWS4-HMAC-SHA256 Credential=AKIAUNKNOWNUNKNOWN00/{today}/{REGION}/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
    answer = send(
        emu,
        "POST",
        "/",
        b"{}",
        {**kms_target("ListKeys"), "Authorization": unknown, "X-Amz-Date": stamp},
    )
    assert_aws_4xx(answer, "UnrecognizedClientException")


def test_clock_skew_of_15_minutes(emu: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    for minutes, ok in ((-20, False), (-10, True), (10, True), (20, False)):
        answer = signed(
            emu,
            "kms",
            "POST",
            "/",
            b"{}",
            kms_target("ListKeys"),
            when=now + dt.timedelta(minutes=minutes),
        )
        if ok:
            assert answer.status == 200, (minutes, answer.body)
        else:
            assert_aws_4xx(answer, "InvalidSignatureException")
            assert b"Signature expired" in answer.body or b"not yet current" in answer.body


def test_assumed_role_credentials_from_moto_sts(emu: Any) -> None:
    sts = emu.client("management", "sts")
    role = f"arn:aws:iam::{emu.accounts['source']}:role/OrganizationAccountAccessRole"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="hardening")["Credentials"]
    key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ident = _client(emu, "sts", key, secret, token).get_caller_identity()
    assert ident["Account"] == emu.accounts["source"]
    assert ":assumed-role/OrganizationAccountAccessRole/hardening" in ident["Arn"]
    for bad_secret, bad_token, code in (
        (secret, None, "InvalidClientTokenId"),  # the session token is part of the credentials
        (secret, token[:-2] + "zz", "InvalidClientTokenId"),
        (secret[:-2] + "zz", token, "SignatureDoesNotMatch"),
    ):
        with pytest.raises(ClientError) as info:
            _client(emu, "sts", key, bad_secret, bad_token).get_caller_identity()
        assert info.value.response["Error"]["Code"] == code


def test_presigned_urls_are_checked(emu: Any) -> None:
    kms = emu.client("source", "kms")
    url = kms.generate_presigned_url("list_keys", Params={})
    parsed = urllib.parse.urlsplit(url)
    target = f"{parsed.path}?{parsed.query}"
    headers = {"X-Amz-Target": "TrentService.ListKeys", **KMS_JSON}
    assert send(emu, "POST", target, b"", headers).status == 200
    forged = target.replace("X-Amz-Signature=", "X-Amz-Signature=0")[: len(target)]
    assert_aws_4xx(send(emu, "POST", forged, b"", headers), "InvalidSignatureException")


# -- malformed requests ------------------------------------------------------------------------

MALFORMED: list[tuple[str, str, str, str, bytes, dict[str, str], str | None]] = [
    # (name, service, method, path, body, headers, expected code)
    (
        "json not json",
        "kms",
        "POST",
        "/",
        b"{not json",
        kms_target("ListKeys"),
        "SerializationException",
    ),
    ("json array", "kms", "POST", "/", b"[1, 2]", kms_target("ListKeys"), "SerializationException"),
    (
        "json invalid utf-8",
        "kms",
        "POST",
        "/",
        b'{"KeyId": "\xff\xfe"}',
        kms_target("DescribeKey"),
        "SerializationException",
    ),
    ("json no target", "kms", "POST", "/", b"{}", KMS_JSON, "UnknownOperationException"),
    (
        "json unknown target",
        "kms",
        "POST",
        "/",
        b"{}",
        kms_target("StealKeys"),
        "UnknownOperationException",
    ),
    (
        "json wrong types",
        "kms",
        "POST",
        "/",
        b'{"KeyId": 5, "PolicyName": ["x"]}',
        kms_target("GetKeyPolicy"),
        None,
    ),
    (
        "json wrong types put",
        "kms",
        "POST",
        "/",
        b'{"KeyId": {}, "Policy": 7}',
        kms_target("PutKeyPolicy"),
        None,
    ),
    (
        "json create key junk",
        "kms",
        "POST",
        "/",
        b'{"Policy": {"a": 1}, "Tags": 5}',
        kms_target("CreateKey"),
        None,
    ),
    (
        "query unknown action",
        "sts",
        "POST",
        "/",
        b"Action=StealCredentials&Version=2011-06-15",
        FORM,
        "InvalidAction",
    ),
    ("query no action", "sts", "POST", "/", b"Version=2011-06-15", FORM, "MissingAction"),
    (
        "query bad utf-8",
        "iam",
        "POST",
        "/",
        b"Action=GetRole&RoleName=%ff%fe&Version=2010-05-08",
        FORM,
        "MalformedQueryString",
    ),
    (
        "query missing params",
        "iam",
        "POST",
        "/",
        b"Action=CreateRole&Version=2010-05-08",
        FORM,
        None,
    ),
    (
        "query junk params",
        "iam",
        "POST",
        "/",
        b"Action=PutRolePolicy&RoleName=x&PolicyDocument=%7B&Version=2010-05-08",
        FORM,
        None,
    ),
    (
        "ec2 unknown action",
        "ec2",
        "POST",
        "/",
        b"Action=Explode&Version=2016-11-15",
        FORM,
        "InvalidAction",
    ),
    (
        "ec2 junk params",
        "ec2",
        "POST",
        "/",
        b"Action=CreateVolume&Size=lots&AvailabilityZone=&Version=2016-11-15",
        FORM,
        None,
    ),
    ("rest bad json", "backup", "PUT", "/backup-vaults/hardening-v", b"{oops", {}, None),
    (
        "rest json types",
        "backup",
        "PUT",
        "/backup-vaults/hardening-v",
        b'{"BackupVaultTags": 5, "EncryptionKeyArn": [1]}',
        {},
        None,
    ),
    ("rest unknown path", "backup", "GET", "/no/such/thing", b"", {}, None),
    ("rest bad copy", "backup", "PUT", "/copy-jobs", b'{"RecoveryPointArn": 1}', {}, None),
    ("rest efs junk", "elasticfilesystem", "POST", "/2015-02-01/file-systems", b"{nope", {}, None),
    (
        "orgs bad json",
        "organizations",
        "POST",
        "/",
        b"{",
        {**KMS_JSON, "X-Amz-Target": "AWSOrganizationsV20161128.DescribeOrganization"},
        "SerializationException",
    ),
]


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "headers", "code"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_requests_get_aws_4xx(
    emu: Any,
    service: str,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    code: str | None,
) -> None:
    answer = signed(emu, service, method, path, body, headers)
    assert_aws_4xx(answer, code)


def _raw(emu: Any, data: bytes, read_timeout: float = 30) -> bytes:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=read_timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def test_body_size_and_length_problems(emu: Any) -> None:
    headers = signed_headers(emu, "kms", "POST", "/", b"{}", kms_target("ListKeys"))
    head = "".join(
        f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length"
    ).encode()
    # a huge declared body is refused without reading it
    huge = _raw(emu, b"POST / HTTP/1.1\r\n" + head + b"Content-Length: 999999999\r\n\r\n{}")
    assert _status(huge) == 413 and b"RequestEntityTooLarge" in huge
    # a body shorter than its Content-Length
    short = _raw(emu, b"POST / HTTP/1.1\r\n" + head + b"Content-Length: 50\r\n\r\n{}")
    assert 400 <= _status(short) < 500 and b"Traceback" not in short
    # a Content-Length that is not a number
    bad = _raw(emu, b"POST / HTTP/1.1\r\n" + head + b"Content-Length: two\r\n\r\n{}")
    assert 400 <= _status(bad) < 500 and b"Traceback" not in bad
    # a real body over the cap, signed
    from copyguard.emulator.wsgi import MAX_BODY_BYTES

    big = b'{"Limit": 5, "pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    answer = signed(emu, "kms", "POST", "/", big, kms_target("ListKeys"))
    assert_aws_4xx(answer, "RequestEntityTooLargeException")
    assert answer.status == 413


# -- concurrency -------------------------------------------------------------------------------


def test_a_stalled_body_does_not_block_other_requests(emu: Any) -> None:
    kms = emu.client("source", "kms")
    kms.list_keys()
    key, _ = emu.credentials("source")
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    stalled = socket.create_connection(("127.0.0.1", emu.port))
    try:
        stalled.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\n"
            + f"Authorization: AWS4-HMAC-SHA256 Credential={key}/{today}/{REGION}/kms/"
            f"aws4_request, SignedHeaders=host, Signature={'0' * 64}\r\n".encode()
            + b"Content-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.5)  # the server is now reading the stalled body
        done: list[float] = []

        def call() -> None:
            start = time.monotonic()
            for _ in range(3):
                kms.list_keys()
                emu.client("destination", "backup").list_backup_vaults()
            done.append(time.monotonic() - start)

        worker = threading.Thread(target=call)
        worker.start()
        worker.join(timeout=20)
        assert done and done[0] < 20, "requests waited for a stalled client"
    finally:
        stalled.close()


def test_reads_share_the_lock_and_writes_exclude() -> None:
    lock = ReadWriteLock()
    inside = threading.Barrier(2, timeout=5)
    order: list[str] = []

    def reader() -> None:
        with lock.read():
            inside.wait()  # both readers are inside at once, or this times out
            time.sleep(0.2)
            order.append("read")

    def writer() -> None:
        time.sleep(0.05)
        with lock.write():
            order.append("write")

    threads = [threading.Thread(target=reader) for _ in range(2)] + [
        threading.Thread(target=writer)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert order == ["read", "read", "write"]
    # the write lock is reentrant for its holder, and covers reads
    with lock, lock.write(), lock.read():
        pass


# -- fault definitions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"service": "kms", "code": "ThrottlingException", "colour": "red"}, "colour"),
        ({"service": "lambda", "code": "ThrottlingException"}, "service"),
        ({"service": "KMS", "code": "ThrottlingException"}, "service"),
        (
            {"service": "kms", "operation": "GetKeyPolicyy", "code": "ThrottlingException"},
            "operation",
        ),
        ({"service": "kms", "operation": 5, "code": "ThrottlingException"}, "operation"),
        ({"service": "kms", "code": "NoSuchThingException"}, "code"),
        ({"service": "kms", "code": "<script>"}, "code"),
        ({"service": "kms"}, "code"),
        ({"service": "kms", "code": "ThrottlingException", "status": 200}, "status"),
        ({"service": "kms", "code": "ThrottlingException", "status": "400"}, "status"),
        ({"service": "kms", "code": "ThrottlingException", "times": 0}, "times"),
        ({"service": "kms", "code": "ThrottlingException", "times": True}, "times"),
        ({"service": "kms", "code": "ThrottlingException", "account": "123"}, "account"),
        ({"service": "kms", "code": "ThrottlingException", "message": ["x"]}, "message"),
    ],
)
def test_bad_fault_definitions(emu: Any, fault: dict[str, Any], field: str) -> None:
    with pytest.raises(FaultError) as info:
        parse_faults(json.dumps(fault))
    assert info.value.field == field
    if set(fault) <= {"service", "operation", "code", "message", "status", "times", "account"}:
        with pytest.raises((FaultError, TypeError)):  # the Python API checks the same
            emu.faults.add(**fault)
    answer = send(
        emu, "POST", "/copyguard/faults", json.dumps(fault).encode(), emu.control_headers()
    )
    assert answer.status == 400
    assert json.loads(answer.body)["field"] == field
    assert emu.faults.list() == []


def test_good_fault_definitions(emu: Any) -> None:
    emu.faults.clear()
    text = json.dumps(
        [
            {"service": "kms", "operation": "ListKeys", "code": "ThrottlingException", "times": 1},
            {"service": "iam", "operation": "GetRole", "code": "NoSuchEntity", "status": 404},
            {
                "service": "backup",
                "code": "ServiceUnavailableException",
                "status": 503,
                "account": emu.accounts["destination"],
            },
        ]
    )
    answer = send(emu, "POST", "/copyguard/faults", text.encode(), emu.control_headers())
    assert answer.status == 200, answer.body
    assert len(emu.faults.list()) == 3
    with pytest.raises(ClientError) as info:
        emu.session("source").client("kms", config=NO_RETRY).list_keys()
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    emu.faults.clear()
    with pytest.raises(FaultError, match=r"\[1\]\.code"):
        parse_faults(
            '[{"service": "kms", "code": "ThrottlingException"}, '
            '{"service": "kms", "code": "Nope"}]'
        )
    with pytest.raises(FaultError, match="not JSON"):
        parse_faults(b"\xff{")


# -- the command line --------------------------------------------------------------------------


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copyguard", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_cli_refuses_bad_faults_file(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps([{"service": "kms", "code": "ThrottlingException", "oops": 1}]))
    result = _cli("--port", "0", "--faults", str(path))
    assert result.returncode == 2, result
    assert str(path) in result.stderr and "[0].oops" in result.stderr
    assert "Traceback" not in result.stderr
    path.write_text("{")
    result = _cli("--port", "0", "--faults", str(path))
    assert result.returncode == 2 and "not JSON" in result.stderr


def test_warning_when_not_bound_to_loopback() -> None:
    from copyguard.emulator.core import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.1.2.3")
    # hold the port (bound, never listening: nothing is exposed) so the emulator cannot start
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("0.0.0.0", 0))
        port = holder.getsockname()[1]
        result = _cli("--host", "0.0.0.0", "--port", str(port))
    assert "warning" in result.stderr and "not on a loopback address" in result.stderr
    assert result.returncode == 2  # and the port was busy


def test_a_policy_with_5000_wildcards_does_not_hang_the_emulator(tmp_path: Path) -> None:
    """The emulator's authorizer is copyguard's evaluator; its wildcard matching must be
    linear. Run in a child process, so a hang is killed with it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "aws"
    log = tmp_path / "emulator.log"
    args = ["emulator", "--port", str(port), "--write-aws-config", str(config)]
    with open(log, "w", encoding="utf-8") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "copyguard", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 90
        while "Ctrl-C" not in log.read_text(encoding="utf-8"):  # the summary's last line
            assert child.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        import botocore.session

        core = botocore.session.Session()
        core.set_config_variable("config_file", str(config / "config"))
        core.set_config_variable("credentials_file", str(config / "credentials"))
        session = boto3.Session(botocore_session=core, profile_name="source")
        kms = session.client(
            "kms", config=Config(read_timeout=30, retries={"total_max_attempts": 1})
        )
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        account = session.client("sts").get_caller_identity()["Account"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "root",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "stars",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:" + "*" * 5000 + "Z",
                    "Resource": "*",
                    "Condition": {"StringLike": {"aws:PrincipalArn": "arn:" + "*a" * 2500}},
                },
            ],
        }
        start = time.monotonic()
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
        assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
        kms.describe_key(KeyId=key)
        assert time.monotonic() - start < 30
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def test_only_copyguards_evaluator_decides_key_use(emu: Any) -> None:
    """moto's own KMS check (a Deny statement naming the action denies, whatever its
    condition) is off: a Deny whose condition does not match denies nothing, as in AWS."""
    kms = emu.session("source").client("kms", config=NO_RETRY)
    account = emu.accounts["source"]
    key = kms.create_key()["KeyMetadata"]["KeyId"]

    def policy(denied_account: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": ["kms:DescribeKey"],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalAccount": denied_account}},
                    },
                ],
            }
        )

    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy("123456789012"))
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(account))
    with pytest.raises(ClientError) as info:
        kms.describe_key(KeyId=key)
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"

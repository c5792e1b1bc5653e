"""Fault injection on real HTTP: botocore event hooks on the sessions copyguard uses make one
call throttle, be denied, fail to connect or answer something else; everything not injected
goes to the in-process emulator. For each case: the exit code of the spec, a clear message,
no traceback, and the key policy afterwards is what it must be."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import (
    LIVE_FLAGS,
    PROFILES,
    CliResult,
    Lab,
    Seed,
    canonical,
    profile_session,
    run_main,
)

pytestmark = pytest.mark.emulator

DENIED = "AccessDeniedException"


# -- hooks -------------------------------------------------------------------------------------


class FakeRaw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def http_error(status: int, code: str, message: str, protocol: str = "json") -> Any:
    """A raw HTTP error answer, as AWS sends it (parsed by botocore, retried if retryable)."""
    from botocore.awsrequest import AWSResponse

    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1"}
    else:  # rest-json (backup)
        body = json.dumps({"Code": code, "Message": message}).encode()
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return AWSResponse("https://fault.invalid/", status, headers, FakeRaw(body))


def parsed_error(code: str, message: str, status: int = 400) -> tuple[Any, dict[str, Any]]:
    """A ``before-call`` answer: the call fails with ``code`` without reaching AWS."""
    from botocore.awsrequest import AWSResponse

    http = AWSResponse("https://fault.invalid/", status, {}, FakeRaw(b""))
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return http, parsed


def first(n: int, answer: Callable[[], Any]) -> Callable[..., Any]:
    """A hook that answers ``answer()`` to the first ``n`` attempts, then lets them through."""
    seen = Counter[str]()

    def hook(**_: Any) -> Any:
        seen["n"] += 1
        return answer() if seen["n"] <= n else None

    return hook


class Faults:
    """Sessions for the three profiles, with hooks; counts the HTTP attempts per operation."""

    def __init__(self, config_dir: Path) -> None:
        self.sessions = {p: profile_session(config_dir, p) for p in PROFILES}
        self.attempts: Counter[tuple[str, str]] = Counter()
        for role, session in self.sessions.items():
            session.events.register(
                "before-send", lambda role=role, **kw: self._count(role, **kw), unique_id="count"
            )

    def _count(self, role: str, event_name: str = "", **_: Any) -> None:
        self.attempts[(role, event_name.rsplit(".", 1)[-1])] += 1

    def on(self, role: str, event: str, handler: Callable[..., Any]) -> None:
        self.sessions[role].events.register(event, handler)

    def deny(self, role: str, service_id: str, operation: str) -> None:
        self.on(
            role,
            f"before-call.{service_id}.{operation}",
            lambda **_: parsed_error(
                DENIED,
                f"User: copyguard-test is not authorized to perform: {operation} "
                "(injected by the test)",
            ),
        )


@pytest.fixture
def faults(local: tuple[Any, Lab], monkeypatch: pytest.MonkeyPatch) -> Faults:
    _, lab = local
    assert lab.config_dir is not None
    injected = Faults(lab.config_dir)
    monkeypatch.setattr(
        "copyguard.sources.aws.sessions_from", lambda *a, **k: dict(injected.sessions)
    )
    return injected


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retries still run; only their sleeping is skipped."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliResult:
    result = run_main(list(argv), capsys)
    assert result.code in (0, 1, 2, 3), result
    assert "Traceback" not in result.err and "copyguard: internal error" not in result.err, (
        result.err
    )
    return result


def unread(result: CliResult) -> list[dict[str, Any]]:
    """The CG902 findings of reads that failed (they name a permission)."""
    return [
        f
        for f in result.json()["findings"]
        if f["code"] == "CG902" and "permission" in f["evidence"]
    ]


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    return cli(capsys, "scan", *LIVE_FLAGS, *args, "--format", "json")


@pytest.fixture(scope="module")
def passing(local: tuple[Any, Lab]) -> dict[str, Any]:
    """A copy job that completed: its diagnosis passes, so any unread fact shows."""
    _, lab = local
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    job = lab.copy(rp, vault, lab.destination_vault())
    assert job["State"] == "COMPLETED"
    return job


# -- reads ---------------------------------------------------------------------------------------

#: every read a --job-id scan of an EBS copy makes: (profile, service, botocore operation)
JOB_READS = [
    ("source", "sts", "GetCallerIdentity"),
    ("source", "backup", "DescribeCopyJob"),
    ("source", "ec2", "DescribeSnapshots"),
    ("source", "kms", "DescribeKey"),
    ("source", "kms", "ListAliases"),
    ("source", "kms", "GetKeyPolicy"),
    ("source", "organizations", "DescribeOrganization"),
    ("destination", "sts", "GetCallerIdentity"),
    ("destination", "backup", "DescribeBackupVault"),
    ("destination", "backup", "GetBackupVaultAccessPolicy"),
    ("destination", "kms", "DescribeKey"),
    ("destination", "kms", "ListAliases"),
    ("destination", "kms", "GetKeyPolicy"),
    ("destination", "iam", "GetRole"),
    ("destination", "organizations", "DescribeOrganization"),
    ("management", "sts", "GetCallerIdentity"),
    ("management", "backup", "DescribeGlobalSettings"),
]


def test_job_reads_are_the_listed_ones(
    faults: Faults, passing: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = scan_json(capsys, "--job-id", passing["CopyJobId"])
    assert result.code == 0, result
    assert set(faults.attempts) == {(role, op) for role, _, op in JOB_READS}
    assert all(n == 1 for n in faults.attempts.values()), faults.attempts


@pytest.mark.parametrize(("role", "service", "op"), JOB_READS, ids=lambda x: str(x))
def test_each_denied_read(
    role: str,
    service: str,
    op: str,
    faults: Faults,
    passing: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    faults.deny(role, service, op)
    result = scan_json(capsys, "--job-id", passing["CopyJobId"])
    permission = f"{service}:{op}"
    if op == "GetCallerIdentity":  # (needs no permission in AWS; a failure means bad credentials)
        assert result.code == 2, result
        assert f"the {role} credentials do not work" in result.err
        return
    if op == "DescribeCopyJob":
        assert result.code == 2, result
        assert f"cannot read copy job {passing['CopyJobId']}" in result.err
        assert DENIED in result.err and "(needs backup:DescribeCopyJob)" in result.err
        assert result.out == ""
        return
    assert result.code == 3, result
    data = result.json()
    assert data["verdict"] == "unknown"
    unread = [f for f in data["findings"] if f["code"] == "CG902" and "permission" in f["evidence"]]
    assert [f["evidence"]["permission"] for f in unread] == [permission] * len(unread), unread
    assert unread and all(permission in f["message"] for f in unread)
    assert all(DENIED in f["message"] for f in unread)


@pytest.mark.parametrize(
    ("args", "role", "service", "op", "code"),
    [
        (("--failed-since", "1d"), "source", "backup", "ListCopyJobs", 2),
        (("--all-plans",), "source", "backup", "ListBackupPlans", 2),
        (("--all-plans",), "source", "backup", "GetBackupPlan", 3),
        (("--all-plans",), "source", "backup", "ListRecoveryPointsByBackupVault", 3),
    ],
)
def test_denied_list_reads(
    args: tuple[str, ...],
    role: str,
    service: str,
    op: str,
    code: int,
    faults: Faults,
    local: tuple[Any, Lab],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, lab = local
    if "--all-plans" in args:
        _, vault = lab.ebs_recovery_point(lab.shared_key())
        lab.client("source", "backup").create_backup_plan(
            BackupPlan={
                "BackupPlanName": "denied-reads",
                "Rules": [
                    {
                        "RuleName": "r",
                        "TargetBackupVaultName": vault,
                        "CopyActions": [{"DestinationBackupVaultArn": lab.destination_vault()}],
                    }
                ],
            }
        )
    faults.deny(role, service, op)
    result = scan_json(capsys, *args)
    assert result.code == code, result
    if code == 2:
        assert f"(needs backup:{op})" in result.err and DENIED in result.err
    else:
        data = result.json()
        assert data["verdict"] == "unknown"
        assert any(f["evidence"].get("permission") == f"backup:{op}" for f in data["findings"])


def test_throttled_reads_are_retried_by_botocore(
    faults: Faults,
    passing: dict[str, Any],
    no_backoff: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from copyguard import api

    faults.on(
        "source",
        "before-send.kms.GetKeyPolicy",
        first(3, lambda: http_error(400, "ThrottlingException", "Rate exceeded")),
    )
    faults.on(
        "destination",
        "before-send.backup.DescribeBackupVault",
        first(2, lambda: http_error(429, "ThrottlingException", "Rate exceeded", "rest-json")),
    )
    report, live = api.scan(faults.sessions, job_id=passing["CopyJobId"], region="us-east-1")
    assert report.verdict == "pass", [f.code for f in report.findings]
    # botocore retried (4 and 3 HTTP attempts); copyguard asked once
    assert faults.attempts[("source", "GetKeyPolicy")] == 4
    assert faults.attempts[("destination", "DescribeBackupVault")] == 3
    assert live.reader.calls[("source", "kms", "get_key_policy")] == 1
    assert live.reader.calls[("destination", "backup", "describe_backup_vault")] == 1
    # the reader sees the same HTTP requests the hooks saw
    assert live.reader.requests[("source", "GetKeyPolicy")] == 4
    assert live.reader.requests[("destination", "DescribeBackupVault")] == 3
    assert len(live.reader.log) == len(set(live.reader.log))


def test_throttling_that_never_ends_is_unknown(
    faults: Faults,
    passing: dict[str, Any],
    no_backoff: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    faults.on(
        "source",
        "before-send.kms.GetKeyPolicy",
        lambda **_: http_error(400, "ThrottlingException", "Rate exceeded"),
    )
    result = scan_json(capsys, "--job-id", passing["CopyJobId"])
    assert result.code == 3, result
    (cg902,) = unread(result)
    assert "ThrottlingException" in cg902["message"] and "kms:GetKeyPolicy" in cg902["message"]
    assert faults.attempts[("source", "GetKeyPolicy")] == 5  # botocore: 1 + 4 retries


def test_unreachable_endpoint_is_unknown_not_pass(
    faults: Faults,
    passing: dict[str, Any],
    no_backoff: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from botocore.exceptions import EndpointConnectionError

    def refuse(request: Any = None, **_: Any) -> Any:
        raise EndpointConnectionError(endpoint_url=request.url)

    faults.on("destination", "before-send.backup.GetBackupVaultAccessPolicy", refuse)
    result = scan_json(capsys, "--job-id", passing["CopyJobId"])
    assert result.code == 3, result
    (cg902,) = unread(result)
    assert "backup:GetBackupVaultAccessPolicy" in cg902["message"]
    assert "Could not connect" in cg902["message"]


# -- the live fix ---------------------------------------------------------------------------------


@pytest.fixture
def seed(local: tuple[Any, Lab]) -> Seed:
    _, lab = local
    return lab.seed()


def apply(capsys: pytest.CaptureFixture[str], seed: Seed, backups: Path, *extra: str) -> CliResult:
    return cli(
        capsys,
        "fix",
        "--live",
        *LIVE_FLAGS,
        "--job-id",
        seed.job_id,
        "--apply",
        "--yes",
        "--backup-dir",
        str(backups),
        *extra,
    )


def backups_of(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]


def test_apply_then_rollback_in_process(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    before = lab.key_policy(seed.key)
    done = apply(capsys, seed, tmp_path)
    assert done.code == 0, done
    assert faults.attempts[("source", "PutKeyPolicy")] == 1
    assert canonical(lab.key_policy(seed.key)) != canonical(before)
    (backup,) = tmp_path.glob("*.json")
    back = cli(capsys, "fix", "--rollback", str(backup), "--source-profile", "source", "--yes")
    assert back.code == 0, back
    assert canonical(lab.key_policy(seed.key)) == canonical(before)


def test_invalid_principal_is_rejected_by_kms(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    """--principal slr while the destination has no AWSServiceRoleForBackup."""
    _, lab = local
    before = lab.key_policy(seed.key)
    iam = lab.client("destination", "iam")
    iam.delete_service_linked_role(RoleName="AWSServiceRoleForBackup")
    try:
        diagnosis = scan_json(capsys, "--job-id", seed.job_id, "--principal", "slr")
        assert {"CG101", "CG205"} <= {f["code"] for f in diagnosis.json()["findings"]}
        result = apply(capsys, seed, tmp_path, "--principal", "slr")
    finally:
        iam.create_service_linked_role(AWSServiceName="backup.amazonaws.com")
    assert result.code == 1, result
    assert "KMS rejected the new key policy" in result.err
    assert "MalformedPolicyDocumentException" in result.err
    assert "invalid principals" in result.err and "--principal root" in result.err
    assert "The key policy is unchanged." in result.err
    assert lab.key_policy(seed.key) == before
    (saved,) = backups_of(tmp_path)
    assert saved["policy"] == before


def test_lockout_is_never_bypassed(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    before = lab.key_policy(seed.key)
    sent: list[dict[str, Any]] = []

    def lockout(**_: Any) -> Any:
        return parsed_error(
            "MalformedPolicyDocumentException",
            "The new key policy will not allow you to update the key policy in the future.",
        )

    faults.on("source", "before-call.kms.PutKeyPolicy", lockout)
    faults.on(
        "source",
        "before-parameter-build.kms.PutKeyPolicy",
        lambda params, **_: sent.append(dict(params)),
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 1, result
    assert "lockout safety check" in result.err and "never bypasses" in result.err
    assert [p["BypassPolicyLockoutSafetyCheck"] for p in sent] == [False]
    assert lab.key_policy(seed.key) == before
    assert [b["policy"] for b in backups_of(tmp_path)] == [before]


def test_put_denied(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    before = lab.key_policy(seed.key)
    faults.deny("source", "kms", "PutKeyPolicy")
    result = apply(capsys, seed, tmp_path)
    assert result.code == 1, result
    assert "kms:PutKeyPolicy" in result.err and "unchanged" in result.err
    assert lab.key_policy(seed.key) == before


def test_connection_error_on_write(
    faults: Faults,
    seed: Seed,
    local: tuple[Any, Lab],
    tmp_path: Path,
    no_backoff: None,
    capsys: Any,
) -> None:
    from botocore.exceptions import EndpointConnectionError

    _, lab = local
    before = lab.key_policy(seed.key)
    tries = Counter[str]()

    def refuse(request: Any = None, **_: Any) -> Any:
        tries["n"] += 1  # (a raising hook stops the counting one: count here)
        raise EndpointConnectionError(endpoint_url=request.url)

    faults.on("source", "before-send.kms.PutKeyPolicy", refuse)
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "Could not connect" in result.err
    assert "a re-read shows it is unchanged" in result.err
    assert tries["n"] == 5  # retried by botocore
    assert lab.key_policy(seed.key) == before
    assert [b["policy"] for b in backups_of(tmp_path)] == [before]


def test_write_that_went_through_but_lost_its_answer(
    faults: Faults,
    seed: Seed,
    local: tuple[Any, Lab],
    tmp_path: Path,
    no_backoff: None,
    capsys: Any,
) -> None:
    from botocore.exceptions import ConnectionClosedError

    _, lab = local

    def deliver_then_drop(request: Any = None, **_: Any) -> Any:
        body = json.loads(request.body)
        lab.put_key_policy(body["KeyId"], body["Policy"])  # it reached KMS...
        raise ConnectionClosedError(endpoint_url=request.url)  # ...the answer did not come back

    faults.on("source", "before-send.kms.PutKeyPolicy", deliver_then_drop)
    result = apply(capsys, seed, tmp_path)
    assert result.code == 0, result
    assert "applied" in result.err
    report = scan_json(capsys, "--job-id", seed.job_id)
    # the cause is gone; the job itself stays FAILED, which the scan says (unknown, not pass)
    assert report.code == 3 and not report.error_codes, report
    assert [f["copy"] for f in report.json()["findings"] if f["code"] == "CG902"] == [seed.job_id]


def test_kms_internal_error_on_write(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    before = lab.key_policy(seed.key)
    faults.on(
        "source",
        "before-call.kms.PutKeyPolicy",
        lambda **_: parsed_error("KMSInternalException", "internal error", 500),
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "KMSInternalException" in result.err and "unchanged" in result.err
    assert lab.key_policy(seed.key) == before


def test_throttled_write_is_retried(
    faults: Faults,
    seed: Seed,
    local: tuple[Any, Lab],
    tmp_path: Path,
    no_backoff: None,
    capsys: Any,
) -> None:
    _, lab = local
    faults.on(
        "source",
        "before-send.kms.PutKeyPolicy",
        first(2, lambda: http_error(400, "ThrottlingException", "Rate exceeded")),
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 0, result
    assert faults.attempts[("source", "PutKeyPolicy")] == 3
    assert f"arn:aws:iam::{lab.destination}:root" in lab.key_policy(seed.key)


def _nth_get_key_policy(n: int, action: Callable[[], Any]) -> Callable[..., Any]:
    seen = Counter[str]()

    def hook(**_: Any) -> Any:
        seen["n"] += 1
        return action() if seen["n"] == n else None

    return hook


def test_policy_changed_between_diagnosis_and_write(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    theirs = lab.key_policy_doc(seed.key)
    theirs["Statement"].append(
        {
            "Sid": "Added by a colleague meanwhile",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{lab.source}:root"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        }
    )

    # the 1st GetKeyPolicy is the diagnosis; before the 2nd (the re-read before writing),
    # another session changes the policy
    faults.on(
        "source",
        "before-call.kms.GetKeyPolicy",
        _nth_get_key_policy(2, lambda: lab.put_key_policy(seed.key, theirs)),
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "changed since the diagnosis; nothing was written" in result.err
    assert "--- the policy diagnosed:" in result.err and "--- the policy now:" in result.err
    assert faults.attempts[("source", "PutKeyPolicy")] == 0
    assert lab.key_policy_doc(seed.key) == theirs
    assert backups_of(tmp_path) == []


def _theirs(lab: Lab, key: str) -> dict[str, Any]:
    """The key policy as a colleague changes it meanwhile (one more statement)."""
    theirs = lab.key_policy_doc(key)
    theirs["Statement"].append(
        {
            "Sid": "Added by a colleague meanwhile",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{lab.source}:root"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        }
    )
    return theirs


def test_read_back_mismatch_is_reported_never_restored(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    """The read-back answers another policy: copyguard stops and shows both; it does not write
    the backup over it (that policy could be someone else's)."""
    _, lab = local
    before = lab.key_policy(seed.key)
    odd = json.dumps({"Version": "2012-10-17", "Statement": []})
    # 1: diagnosis, 2: re-read before writing, 3: read-back after writing (answered wrongly)
    faults.on(
        "source",
        "before-call.kms.GetKeyPolicy",
        _nth_get_key_policy(3, lambda: (parsed_error("x", "x", 200)[0], {"Policy": odd})),
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "reading it back shows a different policy" in result.err
    assert "did not write over that change" in result.err
    assert "--- the policy copyguard wrote:" in result.err
    assert "--- the policy now:" in result.err
    assert faults.attempts[("source", "PutKeyPolicy")] == 1  # no restore
    after = lab.key_policy_doc(seed.key)
    assert after != canonical(before)  # the fix copyguard wrote stays
    assert f"arn:aws:iam::{lab.destination}:root" in json.dumps(after)
    assert [b["policy"] for b in backups_of(tmp_path)] == [before]


def test_change_right_after_the_write_is_not_overwritten(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    """A colleague writes between copyguard's PutKeyPolicy and its read-back: their policy
    stays, and both documents are reported."""
    _, lab = local
    theirs = _theirs(lab, seed.key)
    faults.on(
        "source", "after-call.kms.PutKeyPolicy", lambda **_: lab.put_key_policy(seed.key, theirs)
    )
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "reading it back shows a different policy" in result.err
    assert "Added by a colleague meanwhile" in result.err  # the policy now, shown in full
    assert f"arn:aws:iam::{lab.destination}:root" in result.err  # what copyguard wrote
    assert faults.attempts[("source", "PutKeyPolicy")] == 1
    assert lab.key_policy_doc(seed.key) == theirs


@pytest.mark.parametrize("landed", [True, False], ids=["write-landed", "write-lost"])
def test_throttled_write_then_a_concurrent_change_is_not_overwritten(
    landed: bool,
    faults: Faults,
    seed: Seed,
    local: tuple[Any, Lab],
    tmp_path: Path,
    no_backoff: None,
    capsys: Any,
) -> None:
    """PutKeyPolicy is answered with ThrottlingException (after KMS stored it, or not), and a
    colleague changes the policy before the retry: a retry would write over their change, so
    copyguard re-reads first and stops."""
    _, lab = local
    theirs = _theirs(lab, seed.key)

    puts = Counter[str]()

    def throttle_once(request: Any = None, **_: Any) -> Any:
        puts["n"] += 1
        if puts["n"] > 1:
            return None
        if landed:
            lab.put_key_policy(seed.key, json.loads(request.body)["Policy"])
        lab.put_key_policy(seed.key, theirs)
        return http_error(400, "ThrottlingException", "Rate exceeded")

    faults.on("source", "before-send.kms.PutKeyPolicy", throttle_once)
    result = apply(capsys, seed, tmp_path)
    assert result.code == 3, result
    assert "someone else has changed it meanwhile" in result.err
    assert "did not write over that change" in result.err
    assert "Added by a colleague meanwhile" in result.err
    assert faults.attempts[("source", "PutKeyPolicy")] == 1
    assert lab.key_policy_doc(seed.key) == theirs


def test_each_retry_of_the_write_reads_the_policy_first(
    faults: Faults,
    seed: Seed,
    local: tuple[Any, Lab],
    tmp_path: Path,
    no_backoff: None,
    capsys: Any,
) -> None:
    """botocore never retries PutKeyPolicy on its own: between two attempts there is a
    GetKeyPolicy (the compare before the retry)."""
    _, lab = local
    sent: list[str] = []

    def record_and_throttle(event_name: str = "", **_: Any) -> Any:
        op = event_name.rsplit(".", 1)[-1]
        sent.append(op)
        if op == "PutKeyPolicy" and sent.count(op) <= 2:
            return http_error(400, "ThrottlingException", "Rate exceeded")
        return None

    faults.on("source", "before-send.kms", record_and_throttle)
    result = apply(capsys, seed, tmp_path)
    assert result.code == 0, result
    writes = [i for i, op in enumerate(sent) if op == "PutKeyPolicy"]
    assert len(writes) == 3
    for a, b in itertools.pairwise(writes):
        assert "GetKeyPolicy" in sent[a + 1 : b], sent
    assert sent[writes[-1] + 1 :] == ["GetKeyPolicy"]  # the read-back
    assert f"arn:aws:iam::{lab.destination}:root" in lab.key_policy(seed.key)


def test_unwritable_backup_dir_writes_nothing(
    faults: Faults, seed: Seed, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    _, lab = local
    before = lab.key_policy(seed.key)
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = apply(capsys, seed, blocker)
    assert result.code == 2, result
    assert (
        "cannot save the current key policy" in result.err and "nothing was written" in result.err
    )
    assert faults.attempts[("source", "PutKeyPolicy")] == 0
    assert lab.key_policy(seed.key) == before


def test_rollback_of_a_bad_file(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "backup.json"
    bad.write_text('{"kind": "something else"}', encoding="utf-8")
    result = cli(capsys, "fix", "--rollback", str(bad), "--source-profile", "source")
    assert result.code == 2 and "not a copyguard key-policy backup" in result.err, result


@pytest.mark.parametrize("variant", ["slr-principal", "default-key-policy", "efs-vault-key"])
def test_apply_variants_then_copy_completes(
    variant: str, faults: Faults, local: tuple[Any, Lab], tmp_path: Path, capsys: Any
) -> None:
    """The fix for other key policies and principals, then the copy completes."""
    _, lab = local
    if variant == "efs-vault-key":
        rp, vault = lab.efs_recovery_point(lab.seed_key())
    else:
        key = lab.seed_key() if variant == "slr-principal" else lab.cmk("source")
        rp, vault = lab.ebs_recovery_point(key)
    dest = lab.destination_vault()
    job = lab.failed_copy(rp, vault, dest)
    extra = ("--principal", "slr") if variant == "slr-principal" else ()
    done = cli(
        capsys,
        "fix",
        "--live",
        *LIVE_FLAGS,
        "--job-id",
        job["CopyJobId"],
        "--apply",
        "--yes",
        "--backup-dir",
        str(tmp_path),
        *extra,
    )
    assert done.code == 0, done
    assert len(backups_of(tmp_path)) == 1
    again = lab.copy(rp, vault, dest)
    assert again["State"] == "COMPLETED", again.get("StatusMessage")

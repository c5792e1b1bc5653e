"""End to end over loopback: ``copyguard emulator --members 30`` (a child process) and
``copyguard scan --organization`` (the real command line) against it.

The organization (``org_world``): 30 member accounts copying into the central backup
account, with a few source keys that do not name it, one member copying into a vault whose
access policy denies, a ``Legacy`` OU whose backup policy copies into a vault with a
disabled key, and one member whose OrganizationAccountAccessRole was deleted. The
emulator's start-up line says which; the scan must report exactly those, and nothing for
the rest. The copy jobs are started here, through each member's assumed role, so the
failed ones are AWS Backup's own answers for ``--failed-since`` to find.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator_fixtures import CliResult, assert_clean, clean_env, copyguard_cmd, run_cli

pytestmark = pytest.mark.emulator

MEMBERS = 30
SEED = 11
ROLE = "OrganizationAccountAccessRole"
ORG_SCAN = ("scan", "--organization", "--management-profile", "management", "--format", "json")


@dataclass
class Org:
    proc: subprocess.Popen[str]
    summary: dict[str, Any]
    env: dict[str, str]
    jobs: dict[str, tuple[str, str]]  # copy job ID -> (account, state)

    @property
    def organization(self) -> dict[str, Any]:
        return self.summary["organization"]  # type: ignore[no-any-return]

    def broken(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.organization["broken"] if b["kind"] == kind]

    @property
    def unreadable(self) -> str:
        return str(self.broken("missing-role")[0]["account"])


def _member(summary: dict[str, Any], account: str) -> boto3.Session:
    mgmt = summary["profiles"]["management"]
    sts = boto3.client(
        "sts",
        endpoint_url=summary["endpoint_url"],
        region_name=summary["region"],
        aws_access_key_id=mgmt["aws_access_key_id"],
        aws_secret_access_key=mgmt["aws_secret_access_key"],
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="e2e-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=summary["region"],
    )


def _start_copy_jobs(summary: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each reachable member copies its latest recovery point as its plan says, and the
    Legacy members as their effective backup policy says."""
    org = summary["organization"]
    endpoint = summary["endpoint_url"]
    unreachable = {b["account"] for b in org["broken"] if b["kind"] == "missing-role"}
    mgmt = summary["profiles"]["management"]
    orgs = boto3.client(
        "organizations",
        endpoint_url=endpoint,
        region_name=summary["region"],
        aws_access_key_id=mgmt["aws_access_key_id"],
        aws_secret_access_key=mgmt["aws_secret_access_key"],
    )
    jobs: dict[str, tuple[str, str]] = {}
    for member in org["member_accounts"]:
        account = member["account"]
        if account in unreachable:
            continue
        session = _member(summary, account)
        backup = session.client("backup", endpoint_url=endpoint)
        plans = backup.list_backup_plans()["BackupPlansList"]
        targets: list[tuple[str, str]] = []
        for plan in plans:
            doc = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]
            for rule in doc["Rules"]:
                for action in rule.get("CopyActions", []):
                    targets.append(
                        (rule["TargetBackupVaultName"], action["DestinationBackupVaultArn"])
                    )
        if member["ou"] == "Legacy":
            content = json.loads(
                orgs.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=account)[
                    "EffectivePolicy"
                ]["PolicyContent"]
            )
            for plan in content["plans"].values():
                for rule in plan["rules"].values():
                    for action in rule["copy_actions"].values():
                        dest = action["target_backup_vault_arn"].replace("$account", account)
                        targets.append((rule["target_backup_vault_name"], dest))
        assert targets, account
        for vault, dest in targets:
            points = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)
            point = points["RecoveryPoints"][0]["RecoveryPointArn"]
            job_id = backup.start_copy_job(
                RecoveryPointArn=point,
                SourceBackupVaultName=vault,
                DestinationBackupVaultArn=dest,
                IamRoleArn=f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
            )["CopyJobId"]
            state = backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]["State"]
            jobs[job_id] = (account, state)
    return jobs


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    config_dir: Path = tmp_path_factory.mktemp("org") / "aws"
    proc = subprocess.Popen(
        [
            *copyguard_cmd(),
            "emulator",
            "--port",
            "0",
            "--format",
            "json",
            "--members",
            str(MEMBERS),
            "--seed",
            str(SEED),
            "--write-aws-config",
            str(config_dir),
        ],
        env=clean_env(config_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "the emulator did not start"
        summary = json.loads(line)
        jobs = _start_copy_jobs(summary)
        yield Org(proc, summary, clean_env(config_dir), jobs)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _scan(org: Org, *args: str) -> CliResult:
    result = run_cli(org.env, *ORG_SCAN, *args, timeout=600)
    assert_clean(result)
    return result


def _expected_errors(org: Org) -> set[tuple[str, str]]:
    """(code, resource) of every error finding the organization's breakage must give."""
    return {(b["code"], b["resource"]) for b in org.organization["broken"] if b["code"] != "CG902"}


def _account_of_copy(copy: str) -> str:
    return copy.split(" ", 1)[0]


def test_the_start_up_line_names_the_breakage(org: Org) -> None:
    organization = org.organization
    assert organization["members"] == MEMBERS
    kinds = {b["kind"]: 0 for b in organization["broken"]}
    for b in organization["broken"]:
        kinds[b["kind"]] += 1
    assert kinds == {"source-key": 3, "vault-policy": 1, "org-policy": 2, "missing-role": 1}


def test_all_plans_reports_exactly_the_broken_members(org: Org) -> None:
    result = _scan(org, "--all-plans")
    assert result.code == 1, result.err
    report = result.json()
    assert report["verdict"] == "fail"
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert {(f["code"], f["resource"]) for f in errors} == _expected_errors(org)
    # every error is on a broken member's copy; nothing on anyone else's
    broken = {b["account"] for b in org.organization["broken"]}
    for finding in errors:
        copy = str(finding["copy"])
        account = (
            _account_of_copy(copy)
            if not copy.startswith("backup policy")
            else copy.split("[", 1)[1].split(" ", 1)[0]
        )
        assert account in broken, finding
    # the vault-policy member is the one whose copy hits the restricted vault
    (vault_member,) = org.broken("vault-policy")
    cg201 = [f for f in errors if f["code"] == "CG201"]
    assert {_account_of_copy(f["copy"]) for f in cg201} == {vault_member["account"]}
    # the organization backup policy's broken copies are the Legacy members'
    cg203 = [f for f in errors if f["code"] == "CG203"]
    assert {f["copy"].split("[", 1)[1].split(" ", 1)[0] for f in cg203} == {
        b["account"] for b in org.broken("org-policy")
    }
    assert all(b["policy_id"] in f["copy"] for f in cg203 for b in org.broken("org-policy"))


def test_an_unreadable_account_is_a_cg902_and_the_rest_is_scanned(org: Org) -> None:
    result = _scan(org, "--all-plans")
    report = result.json()
    unknown = [f for f in report["findings"] if f["code"] == "CG902"]
    assert len(unknown) == 1
    assert org.unreadable in unknown[0]["message"]
    assert ROLE in unknown[0]["message"]
    # every other member's copies were found and checked
    accounts = {_account_of_copy(c) for c in report["copies"] if not c.startswith("backup")}
    members = {m["account"] for m in org.organization["member_accounts"]}
    assert accounts == members - {org.unreadable}


def test_failed_since_finds_the_failed_jobs(org: Org) -> None:
    failed = {job for job, (_, state) in org.jobs.items() if state == "FAILED"}
    failed_accounts = {org.jobs[j][0] for j in failed}
    assert failed_accounts == {
        b["account"] for b in org.organization["broken"] if b["kind"] != "missing-role"
    }
    result = _scan(org, "--failed-since", "1d")
    assert result.code == 1, result.err
    report = result.json()
    assert set(report["copies"]) == failed
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert {(f["code"], f["resource"]) for f in errors} == _expected_errors(org)
    assert {f["copy"] for f in errors} == failed
    unknown = [f for f in report["findings"] if f["code"] == "CG902"]
    assert [org.unreadable in f["message"] for f in unknown] == [True]


def test_accounts_option_limits_the_scan_to_healthy_members(org: Org) -> None:
    broken = {b["account"] for b in org.organization["broken"]}
    healthy = [
        m["account"] for m in org.organization["member_accounts"] if m["account"] not in broken
    ][:4]
    result = _scan(org, "--all-plans", "--accounts", ",".join(healthy))
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["verdict"] == "pass"
    assert report["findings"] == []
    assert {_account_of_copy(c) for c in report["copies"] if not c.startswith("backup")} == set(
        healthy
    )

"""``Emulator(members=N)`` / ``copyguard emulator --members N``: an organization set up at
start, deterministic by seed, with the broken members it lists really broken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

ROLE = "OrganizationAccountAccessRole"


def _stable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without what differs from run to run (job IDs)."""
    data = json.loads(json.dumps(summary))
    for job in data.get("copy_jobs", []):
        job.pop("copy_job_id", None)
    return data


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    from copyguard.emulator import Emulator

    with Emulator(port=0, members=24, seed=7, copy_jobs=True) as emu:
        yield emu


def _member_session(emu: Any, account: str) -> boto3.Session:
    creds = emu.client("management", "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="org-test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=emu.region,
    )


def test_the_organization_has_every_member_in_its_ou(org: Any) -> None:
    summary = org.org.summary()
    client = org.client("management", "organizations")
    accounts = client.get_paginator("list_accounts").paginate().build_full_result()["Accounts"]
    ids = {a["Id"] for a in accounts}
    members = {m["account"] for m in summary["member_accounts"]}
    assert len(members) == 24
    assert members | {org.accounts["management"], org.accounts["destination"]} == ids
    ous = summary["organizational_units"]
    for member in summary["member_accounts"]:
        parents = client.list_parents(ChildId=member["account"])["Parents"]
        assert parents == [{"Id": ous[member["ou"]], "Type": "ORGANIZATIONAL_UNIT"}]
    # Payments sits inside Production
    parent = client.list_parents(ChildId=ous["Payments"])["Parents"][0]
    assert parent["Id"] == ous["Production"]


def test_the_broken_members_are_broken_as_listed(org: Any) -> None:
    summary = org.org.summary()
    broken = summary["broken"]
    kinds = sorted({b["kind"] for b in broken})
    assert kinds == ["missing-role", "org-policy", "source-key", "vault-policy"]
    assert len({b["account"] for b in broken}) == len(broken)  # one way each
    assert org.accounts["source"] not in {b["account"] for b in broken}
    central = summary["central_backup_account"]
    management = org.client("management", "organizations")
    for item in broken:
        account, kind = item["account"], item["kind"]
        if kind == "missing-role":
            with pytest.raises(ClientError) as err:
                _member_session(org, account)
            assert err.value.response["Error"]["Code"] == "AccessDenied"
            continue
        session = _member_session(org, account)
        backup = session.client("backup", endpoint_url=org.endpoint_url)
        if kind == "source-key":
            kms = session.client("kms", endpoint_url=org.endpoint_url)
            policy = kms.get_key_policy(KeyId=item["resource"], PolicyName="default")["Policy"]
            assert central not in policy
            assert item["code"] == "CG101"
        elif kind == "vault-policy":
            plan_id = backup.list_backup_plans()["BackupPlansList"][0]["BackupPlanId"]
            plan = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
            dest = plan["Rules"][0]["CopyActions"][0]["DestinationBackupVaultArn"]
            assert dest == item["resource"]
            central_backup = org.client("destination", "backup")
            doc = central_backup.get_backup_vault_access_policy(
                BackupVaultName=dest.rsplit(":", 1)[1]
            )["Policy"]
            assert json.loads(doc)["Statement"][0]["Effect"] == "Deny"
        elif kind == "org-policy":
            effective = management.describe_effective_policy(
                PolicyType="BACKUP_POLICY", TargetId=account
            )["EffectivePolicy"]["PolicyContent"]
            assert item["vault"].split(":")[-1] in effective
            central_kms = org.client("destination", "kms")
            state = central_kms.describe_key(KeyId=item["resource"])["KeyMetadata"]["KeyState"]
            assert state == "Disabled"
    # every other member: reachable, with a key shared with the central account
    healthy = [
        m["account"]
        for m in summary["member_accounts"]
        if m["account"] not in {b["account"] for b in broken}
    ]
    assert len(healthy) == 24 - len(broken)
    for account in healthy[:5]:
        session = _member_session(org, account)
        kms = session.client("kms", endpoint_url=org.endpoint_url)
        keys = kms.list_keys()["Keys"]
        assert keys
        policy = kms.get_key_policy(KeyId=keys[0]["KeyId"], PolicyName="default")["Policy"]
        assert f"arn:aws:iam::{central}:role/aws-service-role" in policy


def test_copy_jobs_fail_exactly_for_the_broken_members(org: Any) -> None:
    summary = org.org.summary()
    failed = {j["account"] for j in summary["copy_jobs"] if j["state"] == "FAILED"}
    expected = {b["account"] for b in summary["broken"] if b["kind"] != "missing-role"}
    assert failed == expected
    # and the management account sees them organization-wide, with AWS's messages
    management = org.client("management", "backup")
    jobs = management.list_copy_jobs(ByState="FAILED", ByAccountId="ANY")["CopyJobs"]
    assert {j["AccountId"] for j in jobs} == expected
    assert {j["StatusMessage"] for j in jobs} >= {"Access Denied trying to call AWS Backup service"}

"""OrganizationAccountAccessRole: what CreateAccount makes, AssumeRole enforcing the trust
policy, and the assumed-role credentials acting as the member account in every service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from copyguard.emulator import Emulator

    with Emulator(port=0) as running:
        yield running


def _assume(emu: Any, who: str, account: str, role: str = ROLE) -> boto3.Session:
    creds = emu.client(who, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="copyguard-test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=emu.region,
    )


def _client(emu: Any, session: boto3.Session, service: str) -> Any:
    return session.client(service, endpoint_url=emu.endpoint_url)


def _create_account(emu: Any, name: str, **extra: Any) -> str:
    org = emu.client("management", "organizations")
    status = org.create_account(AccountName=name, Email=f"{name}@example.com", **extra)
    account = status["CreateAccountStatus"]["AccountId"]
    assert org.describe_account(AccountId=account)["Account"]["Name"] == name
    return str(account)


def _denied(call: Any) -> str:
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return str(err.value.response["Error"]["Code"])


def test_create_account_gives_an_admin_role_the_management_account_can_assume(emu: Any) -> None:
    account = _create_account(emu, "workload-a")
    session = _assume(emu, "management", account)
    ident = _client(emu, session, "sts").get_caller_identity()
    assert ident["Account"] == account
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{ROLE}/copyguard-test"
    iam = _client(emu, session, "iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account}:role/{ROLE}"
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    principals = [s["Principal"]["AWS"] for s in trust["Statement"]]
    assert principals == [f"arn:aws:iam::{emu.accounts['management']}:root"]
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    # AWS Backup's roles are there too, as in the emulator's other accounts
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert {"AWSServiceRoleForBackup", "AWSBackupDefaultServiceRole"} <= names


def test_a_custom_role_name_is_honoured(emu: Any) -> None:
    account = _create_account(emu, "workload-custom", RoleName="OrgAdmin")
    session = _assume(emu, "management", account, role="OrgAdmin")
    assert _client(emu, session, "sts").get_caller_identity()["Account"] == account
    assert _denied(lambda: _assume(emu, "management", account)) == "AccessDenied"


def test_assumed_role_acts_as_the_member_in_every_service(emu: Any) -> None:
    account = _create_account(emu, "workload-b")
    session = _assume(emu, "management", account)
    kms = _client(emu, session, "kms")
    key = kms.create_key(Description="member key")["KeyMetadata"]
    assert key["Arn"].split(":")[4] == account
    backup = _client(emu, session, "backup")
    vault = backup.create_backup_vault(BackupVaultName="member-vault", EncryptionKeyArn=key["Arn"])
    assert vault["BackupVaultArn"].split(":")[4] == account
    ec2 = _client(emu, session, "ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{emu.region}a", Size=1)
    assert ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"]
    rds = _client(emu, session, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="member-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
    )
    db = rds.describe_db_instances(DBInstanceIdentifier="member-db")["DBInstances"][0]
    assert db["DBInstanceArn"].split(":")[4] == account
    iam = _client(emu, session, "iam")
    iam.create_role(RoleName="made-by-member", AssumeRolePolicyDocument=json.dumps({}))
    # none of it is the management account's
    mgmt = emu.session("management")
    assert key["KeyId"] not in {k["KeyId"] for k in mgmt.client("kms").list_keys()["Keys"]}
    assert "member-vault" not in {
        v["BackupVaultName"] for v in mgmt.client("backup").list_backup_vaults()["BackupVaultList"]
    }
    assert mgmt.client("ec2").describe_volumes()["Volumes"] == []
    assert "made-by-member" not in {r["RoleName"] for r in mgmt.client("iam").list_roles()["Roles"]}
    # and a second session in the same member sees it
    again = _assume(emu, "management", account)
    assert _client(emu, again, "backup").describe_backup_vault(BackupVaultName="member-vault")


def test_a_deleted_role_cannot_be_assumed(emu: Any) -> None:
    account = _create_account(emu, "workload-c")
    iam = _client(emu, _assume(emu, "management", account), "iam")
    iam.detach_role_policy(RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.delete_role(RoleName=ROLE)
    with pytest.raises(ClientError) as err:
        _assume(emu, "management", account)
    error = err.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:iam::{emu.accounts['management']}:user/copyguard-admin is not "
        f"authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/{ROLE}"
    )


def test_the_trust_policy_decides_who_gets_in(emu: Any) -> None:
    account = _create_account(emu, "workload-d")
    iam = _client(emu, _assume(emu, "management", account), "iam")
    # another member account is not trusted
    assert _denied(lambda: _assume(emu, "source", account)) == "AccessDenied"
    # trust the source account instead of the management account
    source_root = f"arn:aws:iam::{emu.accounts['source']}:root"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": source_root}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))
    assert (
        _client(emu, _assume(emu, "source", account), "sts").get_caller_identity()["Account"]
        == account
    )
    assert _denied(lambda: _assume(emu, "management", account)) == "AccessDenied"
    # an explicit Deny for the source account wins over the Allow
    trust["Statement"].append(
        {"Effect": "Deny", "Principal": {"AWS": source_root}, "Action": "sts:AssumeRole"}
    )
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))
    assert _denied(lambda: _assume(emu, "source", account)) == "AccessDenied"


def test_the_callers_own_policies_must_allow_the_call_too(emu: Any) -> None:
    account = _create_account(emu, "workload-e")
    admin_iam = emu.client("management", "iam")
    admin_iam.create_user(UserName="limited")
    admin_iam.put_user_policy(
        UserName="limited",
        PolicyName="no-sts",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    key = admin_iam.create_access_key(UserName="limited")["AccessKey"]
    limited = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=emu.region,
    )
    sts = limited.client("sts", endpoint_url=emu.endpoint_url)
    with pytest.raises(ClientError) as err:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="limited-user"
        )
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_a_role_in_an_account_nobody_has_is_refused(emu: Any) -> None:
    code = _denied(lambda: _assume(emu, "management", "123456789012"))
    assert code == "AccessDenied"

"""Logically air-gapped vaults in the emulator: created and described as AWS does, copies into
them refused for AWS's reasons with AWS's messages, and copyguard's live scan diagnosing the
failed job with the LAG codes (end to end over loopback)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from copyguard import api
from emulator_fixtures import REGION, World

pytestmark = pytest.mark.emulator

LAG = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
MSG_AWS_MANAGED = (
    "Backup job completed successfully to the target backup vault. This resource is encrypted "
    "with an AWS managed key and cannot be copied to a logically air-gapped backup vault."
)
MSG_LIFECYCLE = (
    "Backup job failed because the lifecycle is outside the valid range for backup vault."
)


def lag_vault(
    world: World,
    profile: str = "destination",
    key_arn: str | None = None,
    allow_source: bool = True,
    min_days: int = 7,
) -> str:
    backup = world.client(profile, "backup")
    name = f"lag-{uuid.uuid4().hex[:10]}"
    kwargs: dict[str, Any] = {
        "BackupVaultName": name,
        "MinRetentionDays": min_days,
        "MaxRetentionDays": 365,
    }
    if key_arn:
        kwargs["EncryptionKeyArn"] = key_arn
    created = backup.create_logically_air_gapped_backup_vault(**kwargs)
    assert created["VaultState"] == "CREATING"
    if allow_source and profile == "destination":
        backup.put_backup_vault_access_policy(
            BackupVaultName=name, Policy=json.dumps(world.vault_policy())
        )
    return str(created["BackupVaultArn"])


def test_create_describe_and_list_lag_vaults(world: World) -> None:
    backup = world.client("destination", "backup")
    arn = lag_vault(world)
    name = arn.rsplit(":", 1)[-1]
    described = backup.describe_backup_vault(BackupVaultName=name)
    assert described["VaultType"] == LAG
    assert described["EncryptionKeyType"] == "AWS_OWNED_KMS_KEY"
    assert "EncryptionKeyArn" not in described
    assert described["Locked"] is True
    assert (described["MinRetentionDays"], described["MaxRetentionDays"]) == (7, 365)
    only = backup.list_backup_vaults(ByVaultType=LAG)["BackupVaultList"]
    assert arn in [v["BackupVaultArn"] for v in only]
    assert all(v["VaultType"] == LAG for v in only)
    standard = backup.list_backup_vaults(ByVaultType="BACKUP_VAULT")["BackupVaultList"]
    assert arn not in [v["BackupVaultArn"] for v in standard]


def test_lag_vault_minimum_retention_is_seven_days(world: World) -> None:
    with pytest.raises(ClientError) as err:
        lag_vault(world, min_days=3)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_lag_vault_with_customer_managed_key(world: World) -> None:
    key = world.cmk("destination")
    arn = lag_vault(world, key_arn=key["Arn"])
    described = world.client("destination", "backup").describe_backup_vault(
        BackupVaultName=arn.rsplit(":", 1)[-1]
    )
    assert described["EncryptionKeyType"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert described["EncryptionKeyArn"] == key["Arn"]


def test_ebs_on_aws_managed_key_is_refused_even_in_the_same_account(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None, default_key=True)
    dest = lag_vault(world, profile="source")
    job = world.copy(rp, vault, dest)
    assert job["State"] == "FAILED"
    assert job["StatusMessage"] == MSG_AWS_MANAGED


def test_lifecycle_below_the_lag_minimum_fails(world: World) -> None:
    key = world.cmk()
    rp, vault = world.ebs_recovery_point(key["Arn"])
    dest = lag_vault(world, profile="source")
    job = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 3})
    assert job["State"] == "FAILED"
    assert job["StatusMessage"] == MSG_LIFECYCLE
    done = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 30})
    assert done["State"] == "COMPLETED", done.get("StatusMessage")
    # whatever the type, a recovery point in a LAG vault has a backup recovery point ARN
    assert done["DestinationRecoveryPointArn"].startswith(f"arn:aws:backup:{REGION}:")
    assert ":recovery-point:" in done["DestinationRecoveryPointArn"]
    assert done["DestinationVaultType"] == LAG


def test_lag_key_without_the_copy_role_fails_and_scan_diagnoses_cg207(world: World) -> None:
    source_key = world.cmk()
    world.share_key(source_key, "slr")
    rp, vault = world.ebs_recovery_point(source_key["Arn"])
    lag_key = world.cmk("destination")  # default key policy: the destination account only
    dest = lag_vault(world, key_arn=lag_key["Arn"])
    role = world.role()

    job = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 30})
    assert job["State"] == "FAILED"
    assert job["StatusMessage"] == (
        f"User: {role} is not authorized to perform: kms:DescribeKey on this resource because "
        "the resource does not exist in this Region, no resource-based policies allow access, "
        "or a resource-based policy explicitly denies access"
    )

    # copyguard reads the job, the LAG vault (VaultType, EncryptionKeyType) and its key
    report, live = api.scan(world.sessions, job_id=job["CopyJobId"], region=REGION)
    scanned = live.scenario.vault(dest)
    assert scanned is not None and scanned.vault_type == LAG and scanned.key == lag_key["Arn"]
    codes = {f.code for f in report.findings}
    assert "CG207" in codes, [(f.code, f.message.en) for f in report.findings]
    cg207 = next(f for f in report.findings if f.code == "CG207")
    assert cg207.evidence["principal"] == role and "kms:DescribeKey" in cg207.evidence["actions"]
    assert report.verdict == "fail"

    # the proven fix, applied to the key, makes the copy complete and the scan pass CG207
    fix = next(
        fx for fx in report.fixes if fx.kind == "key-policy" and fx.resource == lag_key["Arn"]
    )
    kms = world.client("destination", "kms")
    kms.put_key_policy(KeyId=lag_key["KeyId"], PolicyName="default", Policy=json.dumps(fix.policy))
    done = world.copy(rp, vault, dest, {"DeleteAfterDays": 30})
    assert done["State"] == "COMPLETED", done.get("StatusMessage")
    again, _ = api.scan(world.sessions, job_id=done["CopyJobId"], region=REGION)
    assert "CG207" not in {f.code for f in again.findings}


def test_aws_owned_lag_copy_completes_and_scan_reads_aws_owned(world: World) -> None:
    source_key = world.cmk()
    world.share_key(source_key, "slr")
    rp, vault = world.ebs_recovery_point(source_key["Arn"])
    dest = lag_vault(world)
    job = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 30})
    assert job["State"] == "COMPLETED", job.get("StatusMessage")
    report, live = api.scan(world.sessions, job_id=job["CopyJobId"], region=REGION)
    scanned = live.scenario.vault(dest)
    assert scanned is not None and scanned.key == "aws-owned" and scanned.logically_air_gapped
    assert not {f.code for f in report.findings} & {"CG206", "CG207", "CG208", "CG209", "CG210"}


def _primary_backup(
    world: World, key_arn: str | None, lag: str, **lifecycle: Any
) -> dict[str, Any]:
    """An EBS volume backed up with a LAG vault as the primary target (same account)."""
    ec2 = world.client("source", "ec2")
    kwargs: dict[str, Any] = {"Size": 8, "AvailabilityZone": f"{REGION}a", "Encrypted": True}
    if key_arn:
        kwargs["KmsKeyId"] = key_arn
    volume = ec2.create_volume(**kwargs)["VolumeId"]
    vault = world.vault("source", None).rsplit(":", 1)[-1]
    backup = world.client("source", "backup")
    job = backup.start_backup_job(
        BackupVaultName=vault,
        LogicallyAirGappedBackupVaultArn=lag,
        ResourceArn=f"arn:aws:ec2:{REGION}:{world.source}:volume/{volume}",
        IamRoleArn=world.role(),
        **({"Lifecycle": lifecycle} if lifecycle else {}),
    )
    return dict(backup.describe_backup_job(BackupJobId=job["BackupJobId"]))


def test_primary_backup_of_an_aws_managed_ebs_volume_stays_in_the_backup_vault(
    world: World,
) -> None:
    lag = lag_vault(world, profile="source")
    job = _primary_backup(world, None, lag, DeleteAfterDays=30)
    assert job["State"] == "COMPLETED"
    assert job["StatusMessage"] == MSG_AWS_MANAGED
    assert job["BackupVaultArn"] != lag
    points = world.client("source", "backup").list_recovery_points_by_backup_vault(
        BackupVaultName=lag.rsplit(":", 1)[-1]
    )["RecoveryPoints"]
    assert points == []


def test_primary_backup_on_a_customer_managed_key_reaches_the_lag_vault(world: World) -> None:
    lag = lag_vault(world, profile="source")
    key = world.cmk()
    job = _primary_backup(world, key["Arn"], lag, DeleteAfterDays=30)
    assert job["State"] == "COMPLETED" and "StatusMessage" not in job
    points = world.client("source", "backup").list_recovery_points_by_backup_vault(
        BackupVaultName=lag.rsplit(":", 1)[-1]
    )["RecoveryPoints"]
    assert len(points) == 1 and ":recovery-point:" in points[0]["RecoveryPointArn"]
    assert points[0]["EncryptionKeyType"] == "AWS_OWNED_KMS_KEY"


def test_primary_backup_needs_a_lag_vault_of_the_same_account(world: World) -> None:
    other = lag_vault(world)  # the destination account's
    with pytest.raises(ClientError) as err:
        _primary_backup(world, None, other)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_copy_out_of_a_cmk_lag_vault_needs_the_destination_slr(world: World) -> None:
    lag_key = world.cmk()  # the source account's default policy: its own account only
    lag = lag_vault(world, profile="source", key_arn=lag_key["Arn"])
    lag_name = lag.rsplit(":", 1)[-1]
    _primary_backup(world, world.cmk()["Arn"], lag, DeleteAfterDays=30)
    backup = world.client("source", "backup")
    (point,) = backup.list_recovery_points_by_backup_vault(BackupVaultName=lag_name)[
        "RecoveryPoints"
    ]
    dest = world.destination_vault()
    job = world.copy(point["RecoveryPointArn"], lag_name, dest, {"DeleteAfterDays": 30})
    assert job["State"] == "FAILED"

    # the recovery point's ARN says "backup" whatever the type: the scan reads the vault
    report, live = api.scan(world.sessions, job_id=job["CopyJobId"], region=REGION)
    source = live.scenario.vault(lag)
    assert source is not None and source.logically_air_gapped and source.key == lag_key["Arn"]
    codes = {f.code for f in report.findings}
    assert "CG208" in codes and "CG101" not in codes, sorted(codes)
    cg208 = next(f for f in report.findings if f.code == "CG208")
    assert cg208.evidence["principal"] == world.slr()

    fix = next(
        fx for fx in report.fixes if fx.kind == "key-policy" and fx.resource == lag_key["Arn"]
    )
    world.client("source", "kms").put_key_policy(
        KeyId=lag_key["KeyId"], PolicyName="default", Policy=json.dumps(fix.policy)
    )
    done = world.copy(point["RecoveryPointArn"], lag_name, dest, {"DeleteAfterDays": 30})
    assert done["State"] == "COMPLETED", done.get("StatusMessage")

"""The AWS Backup API shapes: vaults, access policies, Vault Lock, global settings, plans,
backup jobs and recovery points."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import REGION, World

pytestmark = pytest.mark.emulator


def test_vault_crud(world: World) -> None:
    backup = world.client("source", "backup")
    key = world.cmk("source")
    created = backup.create_backup_vault(
        BackupVaultName="crud-vault", EncryptionKeyArn=key["Arn"], BackupVaultTags={"a": "b"}
    )
    arn = f"arn:aws:backup:{REGION}:{world.source}:backup-vault:crud-vault"
    assert created["BackupVaultArn"] == arn
    described = backup.describe_backup_vault(BackupVaultName="crud-vault")
    assert described["EncryptionKeyArn"] == key["Arn"]
    assert described["VaultType"] == "BACKUP_VAULT"
    assert described["NumberOfRecoveryPoints"] == 0
    assert described["Locked"] is False
    assert "crud-vault" in {
        v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]
    }
    assert backup.list_tags(ResourceArn=arn)["Tags"] == {"a": "b"}
    with pytest.raises(backup.exceptions.AlreadyExistsException):
        backup.create_backup_vault(BackupVaultName="crud-vault")
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.create_backup_vault(BackupVaultName="bad name!")
    backup.delete_backup_vault(BackupVaultName="crud-vault")
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.describe_backup_vault(BackupVaultName="crud-vault")


def test_vault_default_key_is_aws_managed_backup_key(world: World) -> None:
    backup = world.client("source", "backup")
    backup.create_backup_vault(BackupVaultName="default-key-vault")
    key_arn = backup.describe_backup_vault(BackupVaultName="default-key-vault")["EncryptionKeyArn"]
    kms = world.client("source", "kms")
    assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyManager"] == "AWS"
    aliases = kms.list_aliases(KeyId=key_arn)["Aliases"]
    assert "alias/aws/backup" in {a["AliasName"] for a in aliases}


def test_vault_with_recovery_points_cannot_be_deleted(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    backup = world.client("source", "backup")
    assert backup.describe_backup_vault(BackupVaultName=vault)["NumberOfRecoveryPoints"] == 1
    with pytest.raises(backup.exceptions.InvalidRequestException):
        backup.delete_backup_vault(BackupVaultName=vault)
    backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=rp)
    backup.delete_backup_vault(BackupVaultName=vault)


def test_access_policy_and_lock(world: World) -> None:
    backup = world.client("destination", "backup")
    arn = world.vault("destination", None, allow_source=False)
    name = arn.rsplit(":", 1)[-1]
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_vault_access_policy(BackupVaultName=name)
    policy = json.dumps(world.vault_policy())
    backup.put_backup_vault_access_policy(BackupVaultName=name, Policy=policy)
    got = backup.get_backup_vault_access_policy(BackupVaultName=name)
    assert json.loads(got["Policy"]) == world.vault_policy()
    assert got["BackupVaultArn"] == arn
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.put_backup_vault_access_policy(BackupVaultName=name, Policy="{not json")
    backup.delete_backup_vault_access_policy(BackupVaultName=name)
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_vault_access_policy(BackupVaultName=name)

    backup.put_backup_vault_lock_configuration(
        BackupVaultName=name, MinRetentionDays=7, MaxRetentionDays=3650
    )
    described = backup.describe_backup_vault(BackupVaultName=name)
    assert (described["Locked"], described["MinRetentionDays"], described["MaxRetentionDays"]) == (
        True,
        7,
        3650,
    )
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.put_backup_vault_lock_configuration(
            BackupVaultName=name, MinRetentionDays=10, MaxRetentionDays=5
        )
    backup.delete_backup_vault_lock_configuration(BackupVaultName=name)
    assert backup.describe_backup_vault(BackupVaultName=name)["Locked"] is False


def test_describe_vault_of_another_account(world: World) -> None:
    arn = world.vault("destination", None, allow_source=False)
    name = arn.rsplit(":", 1)[-1]
    source = world.client("source", "backup")
    with pytest.raises(ClientError) as info:
        source.describe_backup_vault(BackupVaultName=name, BackupVaultAccountId=world.destination)
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    readable = world.vault_policy()
    readable["Statement"][0]["Action"] = [
        "backup:CopyIntoBackupVault",
        "backup:DescribeBackupVault",
    ]
    world.client("destination", "backup").put_backup_vault_access_policy(
        BackupVaultName=name, Policy=json.dumps(readable)
    )
    described = source.describe_backup_vault(
        BackupVaultName=name, BackupVaultAccountId=world.destination
    )
    assert described["BackupVaultArn"] == arn


def test_global_settings(world: World) -> None:
    member = world.client("source", "backup").describe_global_settings()
    assert member["GlobalSettings"]["isCrossAccountBackupEnabled"] == "true"
    mgmt = world.client("management", "backup")
    with pytest.raises(mgmt.exceptions.InvalidParameterValueException):
        mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "yes"})
    with pytest.raises(ClientError) as info:
        world.client("source", "backup").update_global_settings(
            GlobalSettings={"isCrossAccountBackupEnabled": "false"}
        )
    assert info.value.response["Error"]["Code"] == "InvalidRequestException"
    mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "false"})
    try:
        seen = world.client("destination", "backup").describe_global_settings()
        assert seen["GlobalSettings"]["isCrossAccountBackupEnabled"] == "false"
        assert "LastUpdateTime" in seen
    finally:
        mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "true"})


def test_backup_plan_with_copy_actions(world: World) -> None:
    backup = world.client("source", "backup")
    dest = world.destination_vault()
    plan = {
        "BackupPlanName": "daily-with-copy",
        "Rules": [
            {
                "RuleName": "daily",
                "TargetBackupVaultName": "local",
                "ScheduleExpression": "cron(0 5 ? * * *)",
                "Lifecycle": {"DeleteAfterDays": 35},
                "CopyActions": [
                    {"DestinationBackupVaultArn": dest, "Lifecycle": {"DeleteAfterDays": 35}}
                ],
            }
        ],
    }
    created = backup.create_backup_plan(BackupPlan=plan)
    plan_id = created["BackupPlanId"]
    assert (
        created["BackupPlanArn"] == f"arn:aws:backup:{REGION}:{world.source}:backup-plan:{plan_id}"
    )
    got = backup.get_backup_plan(BackupPlanId=plan_id)
    rule = got["BackupPlan"]["Rules"][0]
    assert rule["CopyActions"][0]["DestinationBackupVaultArn"] == dest
    assert rule["RuleId"]
    assert got["VersionId"] == created["VersionId"]
    listed = backup.list_backup_plans()["BackupPlansList"]
    assert plan_id in {p["BackupPlanId"] for p in listed}
    assert world.client("destination", "backup").list_backup_plans()["BackupPlansList"] == []

    selection = backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": "volumes",
            "IamRoleArn": world.role(),
            "Resources": [f"arn:aws:ec2:{REGION}:{world.source}:volume/*"],
        },
    )
    sels = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [s["SelectionId"] for s in sels] == [selection["SelectionId"]]
    got_sel = backup.get_backup_selection(
        BackupPlanId=plan_id, SelectionId=selection["SelectionId"]
    )
    assert got_sel["BackupSelection"]["IamRoleArn"] == world.role()
    with pytest.raises(backup.exceptions.InvalidRequestException):
        backup.delete_backup_plan(BackupPlanId=plan_id)
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    deleted = backup.delete_backup_plan(BackupPlanId=plan_id)
    assert deleted["BackupPlanId"] == plan_id
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_plan(BackupPlanId=plan_id)
    bad = dict(plan)
    bad["Rules"] = [dict(plan["Rules"][0], CopyActions=[{"DestinationBackupVaultArn": "nope"}])]
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.create_backup_plan(BackupPlan=bad)


def test_backup_job_and_recovery_point(world: World) -> None:
    key = world.cmk("source")
    rp, vault = world.ebs_recovery_point(key["Arn"])
    backup = world.client("source", "backup")
    jobs = backup.list_backup_jobs(ByBackupVaultName=vault)["BackupJobs"]
    assert len(jobs) == 1 and jobs[0]["State"] == "COMPLETED"
    job = backup.describe_backup_job(BackupJobId=jobs[0]["BackupJobId"])
    assert job["RecoveryPointArn"] == rp
    assert job["ResourceType"] == "EBS"
    point = backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=rp)
    assert point["EncryptionKeyArn"] == key["Arn"]  # the snapshot's key, not the vault's
    assert point["Status"] == "COMPLETED"
    snap = world.client("source", "ec2").describe_snapshots(SnapshotIds=[rp.rsplit("/", 1)[-1]])
    assert snap["Snapshots"][0]["KmsKeyId"] == key["Arn"]
    by_resource = backup.list_recovery_points_by_resource(ResourceArn=point["ResourceArn"])
    assert [p["RecoveryPointArn"] for p in by_resource["RecoveryPoints"]] == [rp]
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.start_backup_job(
            BackupVaultName=vault,
            ResourceArn=f"arn:aws:ec2:{REGION}:{world.source}:volume/vol-0000000000000000",
            IamRoleArn=world.role(),
        )


def test_backup_job_with_disabled_key_fails(world: World) -> None:
    key = world.cmk("source")
    ec2 = world.client("source", "ec2")
    volume = ec2.create_volume(
        Size=1, AvailabilityZone=f"{REGION}a", Encrypted=True, KmsKeyId=key["Arn"]
    )
    world.client("source", "kms").disable_key(KeyId=key["KeyId"])
    vault = world.vault("source", None).rsplit(":", 1)[-1]
    backup = world.client("source", "backup")
    job_id = backup.start_backup_job(
        BackupVaultName=vault,
        ResourceArn=f"arn:aws:ec2:{REGION}:{world.source}:volume/{volume['VolumeId']}",
        IamRoleArn=world.role(),
    )["BackupJobId"]
    job = backup.describe_backup_job(BackupJobId=job_id)
    assert job["State"] == "FAILED"
    assert "KMS key" in job["StatusMessage"]

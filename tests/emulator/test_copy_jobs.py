"""Copy jobs: every failure the emulator produces, with AWS's exact status message, and the
copies that complete once the set-up is right."""

from __future__ import annotations

import json

import pytest

from emulator_fixtures import REGION, World

pytestmark = pytest.mark.emulator

MSG_XACCT = (
    "Copy job failed. Cross-account copy feature is not enabled for the current organization."
)
MSG_ACCESS = "Access Denied trying to call AWS Backup service"
MSG_DEFAULT_VAULT_KEY = (
    "Copy job failed because the destination Backup vault is encrypted with the default Backup "
    "service managed key. The contents of this vault cannot be copied. Only the contents of a "
    "Backup vault encrypted by an AWS KMS key may be copied."
)
MSG_EBS_DEFAULT = "Encrypted snapshots with Amazon EBS default key cannot be shared"
MSG_AWS_MANAGED = (
    "Snapshots encrypted with the AWS managed key can't be shared. Specify another snapshot."
)
MSG_KEY = "Given key ID is not accessible"
MSG_RETENTION = (
    "Copy job failed. The retention specified in the job is not within the range specified "
    "for the target Backup Vault."
)


def rds_message(key_arn: str) -> str:
    return (
        f"The source snapshot KMS key [{key_arn}] does not exist, is not enabled or you do not "
        "have permissions to access it."
    )


def test_source_key_policy_without_destination_fails_then_fix_completes(world: World) -> None:
    key = world.cmk()
    rp, vault = world.ebs_recovery_point(key["Arn"])
    dest = world.destination_vault()
    job = world.copy(rp, vault, dest)
    assert job["State"] == "FAILED"
    assert job["StatusMessage"] == MSG_KEY
    assert job["AccountId"] == world.source
    assert job["ResourceType"] == "EBS"

    world.share_key(key)  # put_key_policy from the source profile
    job = world.copy(rp, vault, dest)
    assert job["State"] == "COMPLETED", job.get("StatusMessage")
    assert "StatusMessage" not in job
    dest_rp = job["DestinationRecoveryPointArn"]
    assert dest_rp.startswith(f"arn:aws:ec2:{REGION}::snapshot/snap-")

    # the destination account sees its new recovery point, under its vault's key
    backup = world.client("destination", "backup")
    vault_name = dest.rsplit(":", 1)[-1]
    described = backup.describe_recovery_point(BackupVaultName=vault_name, RecoveryPointArn=dest_rp)
    vault_key = backup.describe_backup_vault(BackupVaultName=vault_name)["EncryptionKeyArn"]
    assert described["EncryptionKeyArn"] == vault_key
    assert described["IsEncrypted"] is True
    assert described["SourceBackupVaultArn"].endswith(f":{world.source}:backup-vault:{vault}")
    listed = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault_name)
    assert [p["RecoveryPointArn"] for p in listed["RecoveryPoints"]] == [dest_rp]
    # ... and a real EC2 snapshot in the destination account, encrypted with that key
    snap_id = dest_rp.rsplit("/", 1)[-1]
    snaps = world.client("destination", "ec2").describe_snapshots(SnapshotIds=[snap_id])
    assert snaps["Snapshots"][0]["KmsKeyId"] == vault_key
    assert snaps["Snapshots"][0]["OwnerId"] == world.destination
    # the source account cannot see it
    with pytest.raises(Exception, match="InvalidSnapshot"):
        world.client("source", "ec2").describe_snapshots(SnapshotIds=[snap_id])


def test_key_policy_naming_the_destination_slr_is_enough(world: World) -> None:
    key = world.cmk()
    world.share_key(key, principal="slr")
    rp, vault = world.ebs_recovery_point(key["Arn"])
    job = world.copy(rp, vault, world.destination_vault())
    assert job["State"] == "COMPLETED", job.get("StatusMessage")


def test_explicit_deny_for_the_destination_blocks_the_copy(world: World) -> None:
    key = world.cmk()
    world.share_key(key)
    kms = world.client("source", "kms")
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "DenyGrants",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": world.destination}},
        }
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    rp, vault = world.ebs_recovery_point(key["Arn"])
    job = world.copy(rp, vault, world.destination_vault())
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_KEY)


def test_disabled_source_key(world: World) -> None:
    key = world.cmk()
    world.share_key(key)
    rp, vault = world.ebs_recovery_point(key["Arn"])
    world.client("source", "kms").disable_key(KeyId=key["KeyId"])
    job = world.copy(rp, vault, world.destination_vault())
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_KEY)


def test_ebs_default_key_cannot_be_shared(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None, default_key=True)
    point = world.client("source", "backup").describe_recovery_point(
        BackupVaultName=vault, RecoveryPointArn=rp
    )
    meta = world.client("source", "kms").describe_key(KeyId=point["EncryptionKeyArn"])
    assert meta["KeyMetadata"]["KeyManager"] == "AWS"
    job = world.copy(rp, vault, world.destination_vault())
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_EBS_DEFAULT)


def test_unencrypted_volume_copies(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    job = world.copy(rp, vault, world.destination_vault())
    assert job["State"] == "COMPLETED", job.get("StatusMessage")


def test_destination_vault_without_access_policy(world: World) -> None:
    key = world.cmk()
    world.share_key(key)
    rp, vault = world.ebs_recovery_point(key["Arn"])
    dest = world.destination_vault(allow_source=False)
    assert world.copy(rp, vault, dest)["StatusMessage"] == MSG_ACCESS
    # a policy for another account does not help; one for the organization does
    backup = world.client("destination", "backup")
    name = dest.rsplit(":", 1)[-1]
    other = world.vault_policy()
    other["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::123456789012:root"}
    backup.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(other))
    assert world.copy(rp, vault, dest)["StatusMessage"] == MSG_ACCESS
    org_id = world.client("source", "organizations").describe_organization()["Organization"]["Id"]
    by_org = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }
    backup.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(by_org))
    assert world.copy(rp, vault, dest)["State"] == "COMPLETED"


def test_destination_vault_that_does_not_exist(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    missing = f"arn:aws:backup:{REGION}:{world.destination}:backup-vault:no-such-vault"
    job = world.copy(rp, vault, missing)
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_ACCESS)


def test_copy_role_without_copy_permission(world: World) -> None:
    iam = world.client("source", "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "backup.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName="narrow-backup-role", AssumeRolePolicyDocument=json.dumps(trust)
    )
    iam.put_role_policy(
        RoleName="narrow-backup-role",
        PolicyName="only-describe",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "backup:DescribeBackupVault", "Resource": "*"}
                ],
            }
        ),
    )
    rp, vault = world.ebs_recovery_point(None)
    job = world.copy(rp, vault, world.destination_vault(), role=role["Role"]["Arn"])
    assert job["StatusMessage"] == MSG_ACCESS


def test_destination_vault_with_the_default_backup_key(world: World) -> None:
    key = world.cmk()
    world.share_key(key)
    rp, vault = world.ebs_recovery_point(key["Arn"])
    dest = world.vault("destination", None)  # aws/backup
    job = world.copy(rp, vault, dest)
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_DEFAULT_VAULT_KEY)


def test_vault_lock_retention(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    dest = world.destination_vault()
    world.client("destination", "backup").put_backup_vault_lock_configuration(
        BackupVaultName=dest.rsplit(":", 1)[-1], MinRetentionDays=7, MaxRetentionDays=365
    )
    too_short = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 1})
    assert (too_short["State"], too_short["StatusMessage"]) == ("FAILED", MSG_RETENTION)
    forever = world.copy(rp, vault, dest)
    assert forever["StatusMessage"] == MSG_RETENTION
    ok = world.copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 30})
    assert ok["State"] == "COMPLETED"
    assert ok["DestinationVaultLockState"] == "LOCKED"
    assert ok["DestinationRecoveryPointLifecycle"] == {"DeleteAfterDays": 30}


def test_cross_account_disabled_in_the_organization(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    dest = world.destination_vault()
    mgmt = world.client("management", "backup")
    mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "false"})
    try:
        job = world.copy(rp, vault, dest)
        assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_XACCT)
    finally:
        mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "true"})
    assert world.copy(rp, vault, dest)["State"] == "COMPLETED"


def test_rds_copy_fails_on_key_policy_then_completes(world: World) -> None:
    key = world.cmk()
    rp, vault = world.rds_recovery_point(key["Arn"])
    assert rp.startswith(f"arn:aws:rds:{REGION}:{world.source}:snapshot:awsbackup:job-")
    dest = world.destination_vault()
    job = world.copy(rp, vault, dest)
    assert (job["State"], job["StatusMessage"]) == ("FAILED", rds_message(key["Arn"]))
    world.share_key(key)
    job = world.copy(rp, vault, dest)
    assert job["State"] == "COMPLETED", job.get("StatusMessage")
    dest_rp = job["DestinationRecoveryPointArn"]
    assert dest_rp.startswith(f"arn:aws:rds:{REGION}:{world.destination}:snapshot:awsbackup:")
    snapshot_id = dest_rp.split(":snapshot:", 1)[1]
    snaps = world.client("destination", "rds").describe_db_snapshots(
        DBSnapshotIdentifier=snapshot_id
    )
    assert snaps["DBSnapshots"][0]["KmsKeyId"] == job["DestinationEncryptionKeyArn"]


def test_rds_with_the_aws_managed_key(world: World) -> None:
    rp, vault = world.rds_recovery_point(None)  # StorageEncrypted without a key: aws/rds
    job = world.copy(rp, vault, world.destination_vault())
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_AWS_MANAGED)


def test_rds_cross_region_and_cross_account_in_one_job(world: World) -> None:
    # AWS Backup now copies RDS across Regions and accounts in one job (feature availability
    # table, re-read December 2026); the emulator follows the knowledge data.
    key = world.cmk()
    world.share_key(key)
    rp, vault = world.rds_recovery_point(key["Arn"])
    dest = world.destination_vault(region="us-west-2")
    job = world.copy(rp, vault, dest)
    assert job["State"] == "COMPLETED", job.get("StatusMessage")
    assert job["DestinationBackupVaultArn"] == dest
    assert job["DestinationRecoveryPointArn"].split(":")[3] == "us-west-2"


def test_efs_copy_fully_managed(world: World) -> None:
    efs = world.client("source", "efs")
    fs = efs.create_file_system(CreationToken="efs-copy-test", Encrypted=True)
    resource = f"arn:aws:elasticfilesystem:{REGION}:{world.source}:file-system/{fs['FileSystemId']}"
    backup = world.client("source", "backup")

    # source vault under aws/backup: fully managed types may be copied
    vault_arn = world.vault("source", None)
    vault = vault_arn.rsplit(":", 1)[-1]
    job = backup.start_backup_job(
        BackupVaultName=vault, ResourceArn=resource, IamRoleArn=world.role()
    )
    rp = job["RecoveryPointArn"]
    assert rp.startswith(f"arn:aws:backup:{REGION}:{world.source}:recovery-point:")
    point = backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=rp)
    assert (
        point["EncryptionKeyArn"]
        == backup.describe_backup_vault(BackupVaultName=vault)["EncryptionKeyArn"]
    )
    assert point["ResourceType"] == "EFS"
    dest_default = world.vault("destination", None)  # aws/backup is fine for EFS
    copied = world.copy(rp, vault, dest_default)
    assert copied["State"] == "COMPLETED", copied.get("StatusMessage")
    assert copied["DestinationRecoveryPointArn"].startswith(
        f"arn:aws:backup:{REGION}:{world.destination}:recovery-point:"
    )

    # source vault under a CMK that does not include the destination: the copy fails
    key = world.cmk()
    cmk_vault = world.vault("source", key["Arn"]).rsplit(":", 1)[-1]
    job = backup.start_backup_job(
        BackupVaultName=cmk_vault, ResourceArn=resource, IamRoleArn=world.role()
    )
    failed = world.copy(job["RecoveryPointArn"], cmk_vault, world.destination_vault())
    assert failed["State"] == "FAILED"
    assert failed["StatusMessage"] == (
        "KMS key is either disabled or pending deletion or access to KMS key is denied"
    )
    world.share_key(key)
    again = world.copy(job["RecoveryPointArn"], cmk_vault, world.destination_vault())
    assert again["State"] == "COMPLETED", again.get("StatusMessage")


def test_list_copy_jobs_filters_and_pagination(world: World) -> None:
    rp, vault = world.ebs_recovery_point(None)
    dest = world.destination_vault()
    jobs = [world.copy(rp, vault, dest) for _ in range(3)]
    backup = world.client("source", "backup")
    by_dest = backup.list_copy_jobs(ByDestinationVaultArn=dest)["CopyJobs"]
    assert {j["CopyJobId"] for j in by_dest} == {j["CopyJobId"] for j in jobs}
    resource = jobs[0]["ResourceArn"]
    assert len(backup.list_copy_jobs(ByResourceArn=resource)["CopyJobs"]) == 3
    assert all(j["State"] == "FAILED" for j in backup.list_copy_jobs(ByState="FAILED")["CopyJobs"])
    first = backup.list_copy_jobs(ByDestinationVaultArn=dest, MaxResults=2)
    assert len(first["CopyJobs"]) == 2 and first["NextToken"]
    second = backup.list_copy_jobs(
        ByDestinationVaultArn=dest, MaxResults=2, NextToken=first["NextToken"]
    )
    assert len(second["CopyJobs"]) == 1 and "NextToken" not in second
    paginated = [
        j["CopyJobId"]
        for page in backup.get_paginator("list_copy_jobs").paginate(
            ByDestinationVaultArn=dest, PaginationConfig={"PageSize": 1}
        )
        for j in page["CopyJobs"]
    ]
    assert sorted(paginated) == sorted(j["CopyJobId"] for j in jobs)
    created = jobs[0]["CreationDate"]
    assert (
        backup.list_copy_jobs(ByDestinationVaultArn=dest, ByCreatedBefore=created)["CopyJobs"] == []
    )
    # the destination does not list the source's jobs, but can describe one into its vault;
    # the management account lists them with ByAccountId
    dest_backup = world.client("destination", "backup")
    assert dest_backup.list_copy_jobs(ByDestinationVaultArn=dest)["CopyJobs"] == []
    described = dest_backup.describe_copy_job(CopyJobId=jobs[0]["CopyJobId"])["CopyJob"]
    assert described["CopyJobId"] == jobs[0]["CopyJobId"]
    mgmt = world.client("management", "backup").list_copy_jobs(
        ByAccountId=world.source, ByDestinationVaultArn=dest
    )
    assert len(mgmt["CopyJobs"]) == 3


def test_start_copy_job_errors(world: World) -> None:
    backup = world.client("source", "backup")
    rp, vault = world.ebs_recovery_point(None)
    dest = world.destination_vault()
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.start_copy_job(
            RecoveryPointArn=rp,
            SourceBackupVaultName="no-such-vault",
            DestinationBackupVaultArn=dest,
            IamRoleArn=world.role(),
        )
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.start_copy_job(
            RecoveryPointArn=rp.replace("snap-", "snap-0"),
            SourceBackupVaultName=vault,
            DestinationBackupVaultArn=dest,
            IamRoleArn=world.role(),
        )
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.start_copy_job(
            RecoveryPointArn=rp,
            SourceBackupVaultName=vault,
            DestinationBackupVaultArn="not-an-arn",
            IamRoleArn=world.role(),
        )
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.describe_copy_job(CopyJobId="00000000-0000-0000-0000-000000000000")

"""The way back, end to end: a copy reaches the destination, copying it back fails with AWS's
messages, copyguard's round-trip check (--round-trip, CG211) predicted each failure from the
set-up, and its proven fix lets the copy come back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from copyguard import api
from copyguard.checks import Options
from copyguard.scenario import build_scenario
from emulator_fixtures import REGION, World

pytestmark = pytest.mark.emulator

MSG_ACCESS = "Access Denied trying to call AWS Backup service"
MSG_KEY = "Given key ID is not accessible"


def _key_entry(world: World, profile: str, arn: str) -> dict[str, Any]:
    kms = world.client(profile, "kms")
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
    return {"arn": arn, "manager": meta["KeyManager"], "state": meta["KeyState"], "policy": policy}


def _vault_entry(world: World, profile: str, arn: str) -> dict[str, Any]:
    backup = world.client(profile, "backup")
    name = arn.rsplit(":", 1)[-1]
    described = backup.describe_backup_vault(BackupVaultName=name)
    try:
        policy: Any = json.loads(
            backup.get_backup_vault_access_policy(BackupVaultName=name)["Policy"]
        )
    except backup.exceptions.ResourceNotFoundException:
        policy = None
    return {
        "arn": arn,
        "key": described["EncryptionKeyArn"],
        "access_policy": policy,
        "lock": None,
    }


def _scenario(
    world: World, forward: dict[str, Any], keys: dict[str, str], resource_key: str
) -> dict[str, Any]:
    """The set-up as copyguard reads it: keys and vaults from the emulator, one EBS copy."""
    org = world.client("management", "organizations").describe_organization()["Organization"]
    return {
        "version": 1,
        "organization": {
            "id": org["Id"],
            "accounts": [world.management, world.source, world.destination],
            "cross_account_backup_enabled": True,
        },
        "keys": [_key_entry(world, profile, arn) for arn, profile in keys.items()],
        "vaults": [
            _vault_entry(world, "source", forward["SourceBackupVaultArn"]),
            _vault_entry(world, "destination", forward["DestinationBackupVaultArn"]),
        ],
        "copies": [
            {
                "name": "ebs-round-trip",
                "resource_type": "EBS",
                "resource_arn": forward["ResourceArn"],
                "resource_key": resource_key,
                "source_vault": forward["SourceBackupVaultArn"],
                "destination_vault": forward["DestinationBackupVaultArn"],
            }
        ],
    }


def _legs(doc: dict[str, Any]) -> dict[str, Any]:
    report = api.check_scenario(build_scenario(doc), Options(round_trip=True))
    assert report.verdict == "pass", [f.message.en for f in report.findings]
    return {f.evidence["leg"]: f for f in report.findings if f.code == "CG211"}


def _copy_back(world: World, dest_rp: str, dest_vault: str, src_vault: str) -> dict[str, Any]:
    backup = world.client("destination", "backup")
    job_id = backup.start_copy_job(
        RecoveryPointArn=dest_rp,
        SourceBackupVaultName=dest_vault.rsplit(":", 1)[-1],
        DestinationBackupVaultArn=src_vault,
        IamRoleArn=world.role(world.destination),
    )["CopyJobId"]
    return dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])


def test_copy_arrives_copy_back_fails_as_predicted_then_fix_brings_it_back(world: World) -> None:
    # forward set-up: the resource's key shared with the destination, a source vault with its
    # own CMK (an EBS copy can come back only into a vault that is not on aws/backup)
    resource_key = world.cmk()
    world.share_key(resource_key)
    src_vault_key = world.cmk()
    src_vault = world.vault("source", src_vault_key["Arn"])
    ec2 = world.client("source", "ec2")
    volume = ec2.create_volume(
        Size=8, AvailabilityZone=f"{REGION}a", Encrypted=True, KmsKeyId=resource_key["Arn"]
    )
    backup = world.client("source", "backup")
    rp = backup.start_backup_job(
        BackupVaultName=src_vault.rsplit(":", 1)[-1],
        ResourceArn=f"arn:aws:ec2:{REGION}:{world.source}:volume/{volume['VolumeId']}",
        IamRoleArn=world.role(),
    )["RecoveryPointArn"]
    dest_vault = world.destination_vault()
    forward = world.copy(rp, src_vault.rsplit(":", 1)[-1], dest_vault)
    assert forward["State"] == "COMPLETED", forward.get("StatusMessage")
    dest_rp = forward["DestinationRecoveryPointArn"]
    dest_key = world.client("destination", "backup").describe_backup_vault(
        BackupVaultName=dest_vault.rsplit(":", 1)[-1]
    )["EncryptionKeyArn"]
    keys = {resource_key["Arn"]: "source", src_vault_key["Arn"]: "source", dest_key: "destination"}

    def scenario() -> dict[str, Any]:  # read again after every change
        return _scenario(world, forward, keys, resource_key["Arn"])

    # copyguard predicts both blocked legs of the way back, from the set-up alone
    legs = _legs(scenario())
    assert set(legs) == {"source-vault-access-policy", "destination-vault-key-policy"}
    assert legs["destination-vault-key-policy"].resource == dest_key

    # AWS checks the vault access policy first: the copy back fails on it
    back = _copy_back(world, dest_rp, dest_vault, src_vault)
    assert back["State"] == "FAILED"
    assert back["StatusMessage"] == MSG_ACCESS

    # copyguard's fix --round-trip: the source vault policy and the destination key policy
    report = api.check_scenario(build_scenario(scenario()), Options(round_trip=True))
    fixes = {(f.kind, f.resource): f for f in report.fixes}
    vault_fix = fixes[("vault-access-policy", src_vault)]
    key_fix = fixes[("key-policy", dest_key)]
    assert vault_fix.codes == ["CG211"] and key_fix.codes == ["CG211"]

    world.client("source", "backup").put_backup_vault_access_policy(
        BackupVaultName=src_vault.rsplit(":", 1)[-1], Policy=json.dumps(vault_fix.policy)
    )
    assert set(_legs(scenario())) == {"destination-vault-key-policy"}
    back = _copy_back(world, dest_rp, dest_vault, src_vault)
    assert back["State"] == "FAILED"
    assert back["StatusMessage"] == MSG_KEY  # the source account cannot use the copy's key

    world.client("destination", "kms").put_key_policy(
        KeyId=dest_key, PolicyName="default", Policy=json.dumps(key_fix.policy)
    )
    assert _legs(scenario()) == {}
    back = _copy_back(world, dest_rp, dest_vault, src_vault)
    assert back["State"] == "COMPLETED", back.get("StatusMessage")
    assert back["DestinationBackupVaultArn"] == src_vault

"""The emulator seen from outside: a ``World`` drives one running emulator over loopback HTTP
with plain boto3 clients built from the AWS profiles it writes (shared by the test modules)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config

REGION = "us-east-1"
_NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


class World:
    """The running emulator, seen from outside through its written AWS profiles."""

    def __init__(self, emu: Any, config_dir: Path) -> None:
        self.emu = emu
        self.config_dir = config_dir
        self.config_file = config_dir / "config"
        self.credentials_file = config_dir / "credentials"
        self.accounts: dict[str, str] = dict(emu.accounts)
        self.source = self.accounts["source"]
        self.destination = self.accounts["destination"]
        self.management = self.accounts["management"]
        self._sessions: dict[str, Any] = {}

    # -- clients from the written profiles --------------------------------------------------

    def session(self, profile: str) -> Any:
        if profile not in self._sessions:
            core = botocore.session.Session()
            core.set_config_variable("config_file", str(self.config_file))
            core.set_config_variable("credentials_file", str(self.credentials_file))
            self._sessions[profile] = boto3.Session(botocore_session=core, profile_name=profile)
        return self._sessions[profile]

    def client(self, profile: str, service: str, region: str | None = None) -> Any:
        kwargs: dict[str, Any] = {"config": _NO_RETRY}
        if region:
            kwargs["region_name"] = region
        return self.session(profile).client(service, **kwargs)

    # -- building blocks ------------------------------------------------------------------------

    def role(self, account: str | None = None) -> str:
        acct = account or self.source
        return f"arn:aws:iam::{acct}:role/service-role/AWSBackupDefaultServiceRole"

    def slr(self, account: str | None = None) -> str:
        acct = account or self.destination
        return f"arn:aws:iam::{acct}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"

    def cmk(self, profile: str = "source", region: str | None = None) -> dict[str, Any]:
        kms = self.client(profile, "kms", region)
        return dict(kms.create_key(Description=f"test key {uuid.uuid4()}")["KeyMetadata"])

    def share_key(
        self, key: dict[str, Any], principal: str = "root", region: str | None = None
    ) -> None:
        """Add AWS's two cross-account statements for the destination to a source key."""
        kms = self.client("source", "kms", region)
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        who = f"arn:aws:iam::{self.destination}:root" if principal == "root" else self.slr()
        policy["Statement"] += [
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": who},
                "Action": [
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
            },
            {
                "Sid": "Allow attachment of persistent resources",
                "Effect": "Allow",
                "Principal": {"AWS": who},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))

    def vault(
        self,
        profile: str,
        key_arn: str | None,
        region: str | None = None,
        allow_source: bool = True,
    ) -> str:
        backup = self.client(profile, "backup", region)
        name = f"v-{uuid.uuid4().hex[:12]}"
        kwargs: dict[str, Any] = {"BackupVaultName": name}
        if key_arn:
            kwargs["EncryptionKeyArn"] = key_arn
        arn = str(backup.create_backup_vault(**kwargs)["BackupVaultArn"])
        if allow_source and profile == "destination":
            backup.put_backup_vault_access_policy(
                BackupVaultName=name, Policy=json.dumps(self.vault_policy())
            )
        return arn

    def vault_policy(self) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.source}:root"},
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ],
        }

    def destination_vault(self, region: str | None = None, **kwargs: Any) -> str:
        key = self.cmk("destination", region)
        return self.vault("destination", key["Arn"], region, **kwargs)

    def ebs_recovery_point(self, key_arn: str | None, default_key: bool = False) -> tuple[str, str]:
        """An EBS volume (encrypted with ``key_arn``) backed up into a new source vault."""
        ec2 = self.client("source", "ec2")
        kwargs: dict[str, Any] = {"Size": 8, "AvailabilityZone": f"{REGION}a"}
        if key_arn or default_key:
            kwargs["Encrypted"] = True
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        volume = ec2.create_volume(**kwargs)
        vault_arn = self.vault("source", None)
        name = vault_arn.rsplit(":", 1)[-1]
        job = self.client("source", "backup").start_backup_job(
            BackupVaultName=name,
            ResourceArn=f"arn:aws:ec2:{REGION}:{self.source}:volume/{volume['VolumeId']}",
            IamRoleArn=self.role(),
        )
        return str(job["RecoveryPointArn"]), name

    def rds_recovery_point(self, key_arn: str | None) -> tuple[str, str]:
        rds = self.client("source", "rds")
        name = f"db-{uuid.uuid4().hex[:8]}"
        kwargs: dict[str, Any] = {
            "DBInstanceIdentifier": name,
            "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres",
            "AllocatedStorage": 20,
            "MasterUsername": "admin",
            "MasterUserPassword": "password-1234",
            "StorageEncrypted": True,
        }
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        rds.create_db_instance(**kwargs)
        vault_arn = self.vault("source", None)
        vault = vault_arn.rsplit(":", 1)[-1]
        job = self.client("source", "backup").start_backup_job(
            BackupVaultName=vault,
            ResourceArn=f"arn:aws:rds:{REGION}:{self.source}:db:{name}",
            IamRoleArn=self.role(),
        )
        return str(job["RecoveryPointArn"]), vault

    def copy(
        self,
        rp: str,
        source_vault: str,
        destination_vault_arn: str,
        lifecycle: dict[str, Any] | None = None,
        role: str | None = None,
    ) -> dict[str, Any]:
        backup = self.client("source", "backup")
        kwargs: dict[str, Any] = {
            "RecoveryPointArn": rp,
            "SourceBackupVaultName": source_vault,
            "DestinationBackupVaultArn": destination_vault_arn,
            "IamRoleArn": role or self.role(),
        }
        if lifecycle:
            kwargs["Lifecycle"] = lifecycle
        job_id = backup.start_copy_job(**kwargs)["CopyJobId"]
        return dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])


def start_world(tmp_path_factory: pytest.TempPathFactory, **kwargs: Any) -> Iterator[World]:
    from copyguard.emulator import Emulator

    with Emulator(port=0, **kwargs) as emu:
        config_dir = tmp_path_factory.mktemp("aws")
        emu.write_aws_config(config_dir)
        yield World(emu, config_dir)

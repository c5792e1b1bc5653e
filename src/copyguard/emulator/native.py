"""Recovery points that are real moto resources: EBS snapshots and RDS DB snapshots."""

from __future__ import annotations

import copy as _copy
import uuid
from typing import Any

from moto.ec2.models import ec2_backends
from moto.efs.models import efs_backends
from moto.rds.models import DBSnapshot, rds_backends

from copyguard.emulator import moto_view
from copyguard.records import record

#: AWS reports AWS Backup's DB snapshots as SnapshotType "awsbackup"; moto's
#: DescribeDBSnapshots only finds automated/manual ones by identifier, so they are "manual".
_SNAPSHOT_TYPE = "manual"


class NativeError(Exception):
    """A resource named in a request does not exist (or cannot be backed up)."""


@record
class Protected:
    """What a backup of one resource produced."""

    recovery_point_arn: str
    key_arn: str | None
    storage: str
    native_id: str | None
    size: int
    resource_name: str | None = None


def _resolve_key(ref: str | None, account: str, region: str, default_alias: str) -> str | None:
    """A resource's key reference (ID, alias, ARN or moto's placeholder) as a key ARN."""
    if not ref:
        return None
    key = None
    if ref != "default_kms_key_id":
        key = moto_view.find_key(ref, account, region)
    if key is None:
        key = moto_view.aws_managed_key(account, region, default_alias)
    return str(key.arn)


def ebs_volume_key(account: str, region: str, volume_id: str) -> tuple[Any, str | None]:
    backend = ec2_backends[account][region]
    volume = backend.volumes.get(volume_id)
    if volume is None:
        raise NativeError(f"Volume {volume_id} does not exist in account {account}")
    key = (
        _resolve_key(volume.kms_key_id, account, region, "alias/aws/ebs")
        if (volume.encrypted)
        else None
    )
    return volume, key


def backup_ebs(account: str, region: str, volume_id: str, job_id: str) -> Protected:
    backend = ec2_backends[account][region]
    volume, key = ebs_volume_key(account, region, volume_id)
    snapshot = backend.create_snapshot(
        volume_id, f"This snapshot is created by the AWS Backup service. Job {job_id}"
    )
    snapshot.encrypted = key is not None
    snapshot.kms_key_id = key
    return Protected(
        f"arn:aws:ec2:{region}::snapshot/{snapshot.id}",
        key,
        "ebs-snapshot",
        snapshot.id,
        int(volume.size or 0) * 1024**3,
    )


def copy_ebs(
    source_account: str,
    source_region: str,
    snapshot_id: str,
    dest_account: str,
    dest_region: str,
    key_arn: str | None,
) -> Protected:
    from moto.ec2.models.elastic_block_store import Snapshot
    from moto.ec2.utils import random_snapshot_id

    source = ec2_backends[source_account][source_region].snapshots.get(snapshot_id)
    if source is None:
        raise NativeError(f"Snapshot {snapshot_id} does not exist")
    backend = ec2_backends[dest_account][dest_region]
    new_id = random_snapshot_id()
    snapshot = Snapshot(
        backend,
        new_id,
        source.volume,
        "This snapshot is created by the AWS Backup service.",
        encrypted=key_arn is not None,
        kms_key_id=key_arn,
        owner_id=dest_account,
    )
    backend.snapshots[new_id] = snapshot
    size = int(getattr(source.volume, "size", 0) or 0) * 1024**3
    return Protected(
        f"arn:aws:ec2:{dest_region}::snapshot/{new_id}", key_arn, "ebs-snapshot", new_id, size
    )


def rds_instance_key(account: str, region: str, name: str) -> tuple[Any, str | None]:
    backend = rds_backends[account][region]
    database = backend.databases.get(name)
    if database is None:
        raise NativeError(f"DB instance {name} does not exist in account {account}")
    key = None
    if getattr(database, "storage_encrypted", False) or getattr(database, "kms_key_id", None):
        key = _resolve_key(
            database.kms_key_id or "default_kms_key_id", account, region, "alias/aws/rds"
        )
    return database, key


def backup_rds(account: str, region: str, name: str, job_id: str) -> Protected:
    backend = rds_backends[account][region]
    database, key = rds_instance_key(account, region, name)
    ident = f"awsbackup:job-{job_id.lower()}"
    snapshot = DBSnapshot(backend, database, ident, snapshot_type=_SNAPSHOT_TYPE, kms_key_id=key)
    snapshot.kms_key_id = key
    snapshot.storage_encrypted = key is not None
    snapshot.encrypted = key is not None
    backend.database_snapshots[snapshot.db_snapshot_identifier] = snapshot
    size = int(getattr(database, "allocated_storage", 0) or 0) * 1024**3
    return Protected(snapshot.arn, key, "rds-snapshot", snapshot.db_snapshot_identifier, size, name)


def copy_rds(
    source_account: str,
    source_region: str,
    snapshot_ident: str,
    dest_account: str,
    dest_region: str,
    key_arn: str | None,
) -> Protected:
    source = rds_backends[source_account][source_region].database_snapshots.get(snapshot_ident)
    if source is None:
        raise NativeError(f"DB snapshot {snapshot_ident} does not exist")
    backend = rds_backends[dest_account][dest_region]
    ident = f"awsbackup:copyjob-{uuid.uuid4()}"
    database = _copy.copy(source.database)
    snapshot = DBSnapshot(
        backend, database, ident, snapshot_type=_SNAPSHOT_TYPE, kms_key_id=key_arn
    )
    snapshot.kms_key_id = key_arn
    snapshot.storage_encrypted = key_arn is not None
    snapshot.encrypted = key_arn is not None
    backend.database_snapshots[snapshot.db_snapshot_identifier] = snapshot
    return Protected(
        snapshot.arn,
        key_arn,
        "rds-snapshot",
        snapshot.db_snapshot_identifier,
        0,
        getattr(source, "db_instance_identifier", None),
    )


def efs_exists(account: str, region: str, fs_id: str) -> bool:
    return fs_id in efs_backends[account][region].file_systems_by_id


def native_snapshot_key(account: str, region: str, storage: str, native_id: str) -> str | None:
    """The key a native recovery point is encrypted with now (None: unencrypted)."""
    if storage == "ebs-snapshot":
        ebs = ec2_backends[account][region].snapshots.get(native_id)
        return ebs.kms_key_id if ebs is not None else None
    if storage == "rds-snapshot":
        rds = rds_backends[account][region].database_snapshots.get(native_id)
        return rds.kms_key_id if rds is not None else None
    return None


def delete_native(account: str, region: str, storage: str, native_id: str | None) -> None:
    if not native_id:
        return
    if storage == "ebs-snapshot":
        ec2_backends[account][region].snapshots.pop(native_id, None)
    elif storage == "rds-snapshot":
        rds_backends[account][region].database_snapshots.pop(native_id, None)

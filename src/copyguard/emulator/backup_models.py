"""The AWS Backup layer's state: vaults, plans, selections, jobs and recovery points."""

from __future__ import annotations

import threading
import time
from typing import Any

from copyguard.records import field, record


def now() -> float:
    """Epoch seconds at millisecond precision, as AWS reports them."""
    return round(time.time(), 3)


@record
class VaultLock:
    min_retention_days: int | None = None
    max_retention_days: int | None = None
    changeable_for_days: int | None = None
    lock_date: float | None = None  # compliance mode: immutable after this date

    def allows(self, retention_days: int | None) -> bool:
        """Whether a recovery point kept ``retention_days`` (None: forever) fits the lock."""
        if retention_days is None:
            return self.max_retention_days is None
        if self.min_retention_days is not None and retention_days < self.min_retention_days:
            return False
        return not (
            self.max_retention_days is not None and retention_days > self.max_retention_days
        )


@record
class Vault:
    name: str
    account: str
    region: str
    key_arn: str
    creation_date: float = field(default_factory=now)
    creator_request_id: str | None = None
    access_policy: str | None = None
    lock: VaultLock | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: BACKUP_VAULT or LOGICALLY_AIR_GAPPED_BACKUP_VAULT (whose key_arn "" is AWS owned)
    vault_type: str = "BACKUP_VAULT"

    @property
    def arn(self) -> str:
        return f"arn:aws:backup:{self.region}:{self.account}:backup-vault:{self.name}"

    @property
    def logically_air_gapped(self) -> bool:
        return self.vault_type == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


@record
class RecoveryPoint:
    arn: str
    account: str
    region: str
    vault_name: str
    resource_arn: str
    resource_type: str
    iam_role_arn: str
    encryption_key_arn: str | None
    creation_date: float = field(default_factory=now)
    completion_date: float | None = None
    status: str = "COMPLETED"
    size: int = 0
    lifecycle: dict[str, Any] | None = None
    source_vault_arn: str | None = None
    created_by: dict[str, Any] | None = None
    resource_name: str | None = None
    #: how the recovery point is stored: "ebs-snapshot", "rds-snapshot" or "backup"
    storage: str = "backup"
    #: the moto object behind it (snapshot ID / DB snapshot identifier), if any
    native_id: str | None = None


@record
class BackupJob:
    id: str
    account: str
    region: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_type: str
    iam_role_arn: str
    creation_date: float = field(default_factory=now)
    completion_date: float | None = None
    state: str = "CREATED"
    status_message: str | None = None
    recovery_point_arn: str | None = None
    encryption_key_arn: str | None = None
    lifecycle: dict[str, Any] | None = None
    size: int = 0
    message_category: str | None = None


@record
class CopyJob:
    id: str
    account: str
    region: str
    source_vault_arn: str
    source_recovery_point_arn: str
    destination_vault_arn: str
    resource_arn: str
    resource_type: str
    iam_role_arn: str
    lifecycle: dict[str, Any] | None
    creation_date: float = field(default_factory=now)
    completion_date: float | None = None
    state: str = "CREATED"
    status_message: str | None = None
    destination_recovery_point_arn: str | None = None
    destination_encryption_key_arn: str | None = None
    destination_vault_lock_state: str | None = None
    size: int = 0
    message_category: str | None = None
    idempotency_token: str | None = None
    resource_name: str | None = None
    created_by: dict[str, Any] | None = None

    @property
    def destination_account(self) -> str:
        return self.destination_vault_arn.split(":")[4]


@record
class Plan:
    id: str
    account: str
    region: str
    document: dict[str, Any]
    version_id: str
    creation_date: float = field(default_factory=now)
    creator_request_id: str | None = None
    deletion_date: float | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:backup:{self.region}:{self.account}:backup-plan:{self.id}"


@record
class Selection:
    id: str
    plan_id: str
    account: str
    region: str
    document: dict[str, Any]
    creation_date: float = field(default_factory=now)
    creator_request_id: str | None = None


@record
class GlobalSettings:
    settings: dict[str, str]
    last_update: float | None = None


class BackupState:
    """All Backup-layer state, for every emulated account and Region."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.vaults: dict[tuple[str, str, str], Vault] = {}
        self.recovery_points: dict[tuple[str, str, str], RecoveryPoint] = {}
        self.backup_jobs: dict[str, BackupJob] = {}
        self.copy_jobs: dict[str, CopyJob] = {}
        self.plans: dict[tuple[str, str, str], Plan] = {}
        self.selections: dict[tuple[str, str, str, str], Selection] = {}
        #: keyed by organization ID; accounts outside an organization have none
        self.global_settings: dict[str, GlobalSettings] = {}
        self.default_cross_account_enabled = True

    def settings_for_org(self, org_id: str) -> GlobalSettings:
        if org_id not in self.global_settings:
            self.global_settings[org_id] = GlobalSettings(
                {
                    "isCrossAccountBackupEnabled": "true"
                    if self.default_cross_account_enabled
                    else "false",
                    "isMpaEnabled": "false",
                    "isDelegatedAdministratorEnabled": "false",
                }
            )
        return self.global_settings[org_id]

    def vault(self, account: str, region: str, name: str) -> Vault | None:
        return self.vaults.get((account, region, name))

    def vault_by_arn(self, arn: str) -> Vault | None:
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "backup" or parts[5] != "backup-vault":
            return None
        return self.vaults.get((parts[4], parts[3], parts[6]))

    def recovery_points_in(self, vault: Vault) -> list[RecoveryPoint]:
        return [
            rp
            for (acct, region, _), rp in self.recovery_points.items()
            if acct == vault.account and region == vault.region and rp.vault_name == vault.name
        ]

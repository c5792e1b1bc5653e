"""Load a scenario file (spec section 3) into a running emulator.

Keys keep their ARNs (IDs, policies, states, aliases; AWS managed keys get KeyManager AWS),
vaults their names, keys, access policies and locks, and every copy gets its resource and
a completed backup in its source vault: a recovery point ready for ``start_copy_job``.
What the scenario leaves unknown is filled with the AWS default (default key policy, no
vault access policy, ``aws/backup`` for a source vault with no key, cross-account backup as
the emulator was started with).
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copyguard.emulator import constants as c
from copyguard.emulator import moto_view, native
from copyguard.emulator.backup_models import RecoveryPoint, Vault, VaultLock, now
from copyguard.emulator.resource_types import resource_type_of_arn, type_info
from copyguard.records import field, record

if TYPE_CHECKING:
    from copyguard.emulator.core import Emulator

log = logging.getLogger(__name__)


class ScenarioLoadError(ValueError):
    """The scenario cannot be represented in the emulator."""


@record
class LoadedCopy:
    name: str
    resource_type: str
    resource_arn: str
    recovery_point_arn: str
    source_vault_name: str
    source_account: str
    destination_vault_arn: str
    iam_role_arn: str
    lifecycle: dict[str, Any] | None

    def start_copy_job_args(self) -> dict[str, Any]:
        """Keyword arguments for ``backup.start_copy_job`` in the source account."""
        args: dict[str, Any] = {
            "RecoveryPointArn": self.recovery_point_arn,
            "SourceBackupVaultName": self.source_vault_name,
            "DestinationBackupVaultArn": self.destination_vault_arn,
            "IamRoleArn": self.iam_role_arn,
        }
        if self.lifecycle:
            args["Lifecycle"] = self.lifecycle
        return args

    def cli_command(self, profile: str = "source") -> str:
        parts = [
            f"aws backup start-copy-job --profile {profile}",
            f"--recovery-point-arn {self.recovery_point_arn}",
            f"--source-backup-vault-name {self.source_vault_name}",
            f"--destination-backup-vault-arn {self.destination_vault_arn}",
            f"--iam-role-arn {self.iam_role_arn}",
        ]
        if self.lifecycle:
            parts.append(f"--lifecycle '{json.dumps(self.lifecycle)}'")
        return " ".join(parts)


@record
class LoadedScenario:
    keys: list[str] = field(default_factory=list)
    vaults: list[str] = field(default_factory=list)
    copies: list[LoadedCopy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _known(value: Any) -> bool:
    from copyguard.scenario import known

    return bool(known(value))


def read_scenario(scenario: Any) -> Any:
    if isinstance(scenario, (str, Path)):
        from copyguard.scenario import load_scenario

        return load_scenario(scenario)
    return scenario


def emulator_settings(scenario: Any) -> dict[str, Any]:
    """Emulator constructor arguments that reproduce a scenario's accounts and organization."""
    sc = read_scenario(scenario)
    sources = {cp.source_account for cp in sc.copies if cp.source_account}
    dests = {cp.destination_account for cp in sc.copies if cp.destination_account}
    accounts: dict[str, str] = {}
    if len(sources) > 1 or len(dests) > 1:
        raise ScenarioLoadError(
            "the emulator has one source and one destination account; the scenario's copies "
            f"use sources {sorted(sources)} and destinations {sorted(dests)}"
        )
    if sources:
        accounts["source"] = sources.pop()
    if dests:
        accounts["destination"] = dests.pop()
    settings: dict[str, Any] = {}
    org = sc.organization
    if _known(org):
        if _known(org.management_account) and org.management_account:
            accounts["management"] = org.management_account
        if _known(org.id) and org.id:
            settings["organization_id"] = org.id
        if _known(org.accounts):
            settings["members"] = list(org.accounts)
        if _known(org.cross_account_backup_enabled):
            settings["cross_account_backup_enabled"] = bool(org.cross_account_backup_enabled)
    if accounts:
        merged = dict(c.DEFAULT_ACCOUNTS)
        merged.update(accounts)
        if merged["management"] in (merged["source"], merged["destination"]):
            for candidate in ("999988887777", "999999999999", "888888888888"):
                if candidate not in (merged["source"], merged["destination"]):
                    merged["management"] = candidate
                    break
        settings["accounts"] = merged
    return settings


def load_into(emu: Emulator, scenario: Any) -> LoadedScenario:
    sc = read_scenario(scenario)
    result = LoadedScenario()
    accounts = set(emu.accounts.values())
    state = emu.backup_state
    service = emu.backup_service

    org = sc.organization
    if _known(org) and _known(org.cross_account_backup_enabled) and emu.organization_id:
        settings = state.settings_for_org(emu.organization_id)
        settings.settings["isCrossAccountBackupEnabled"] = (
            "true" if org.cross_account_backup_enabled else "false"
        )
        settings.last_update = now()

    for key in sc.keys.values():
        if key.account not in accounts:
            result.warnings.append(f"{key.path}: account {key.account} is not emulated; skipped")
            continue
        _ensure_key(key.arn, key, result)

    for vault in sc.vaults.values():
        if vault.account not in accounts:
            result.warnings.append(
                f"{vault.path}: account {vault.account} is not emulated; skipped"
            )
            continue
        key_arn = None
        lag = vault.logically_air_gapped
        if _known(vault.key) and vault.key and vault.key != "aws-owned":
            key_arn = _ensure_key(vault.key, None, result)
        elif lag:
            key_arn = ""  # a logically air-gapped vault's AWS owned key
        v = _ensure_vault(state, vault.account, vault.region, vault.name, key_arn)
        if _known(vault.access_policy) and vault.access_policy is not None:
            v.access_policy = json.dumps(vault.access_policy.document)
        if _known(vault.lock) and vault.lock is not None:
            v.lock = VaultLock(vault.lock.min_retention_days, vault.lock.max_retention_days)
        if lag:  # always locked in compliance mode, at least 7 days (facts 9)
            v.vault_type = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
            low = v.lock.min_retention_days if v.lock else None
            high = v.lock.max_retention_days if v.lock else None
            v.lock = VaultLock(max(low or 7, 7), high, None, v.lock.lock_date if v.lock else None)
        result.vaults.append(v.arn)

    for cp in sc.copies:
        try:
            loaded = _load_copy(emu, service, state, cp, accounts, result)
        except (ScenarioLoadError, native.NativeError) as exc:
            result.warnings.append(f"{cp.path}: {exc}")
            continue
        if loaded is not None:
            result.copies.append(loaded)
    moto_view.fix_aws_managed_keys()
    return result


def _ensure_key(ref: str, spec: Any | None, result: LoadedScenario) -> str:
    """Create (or update) the key named by ``ref`` as the scenario describes it."""
    from moto.kms.models import kms_backends

    parts = ref.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith(("key/", "alias/")):
        raise ScenarioLoadError(f"not a KMS key ARN: {ref}")
    region, account, resource = parts[3], parts[4], parts[5]
    backend = kms_backends[account][region]
    if resource.startswith("alias/"):
        existing = moto_view.find_key(ref, account, region)
        if existing is not None:
            return str(existing.arn)
        if resource.startswith("alias/aws/"):
            return str(moto_view.aws_managed_key(account, region, resource).arn)
        created = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
        backend.create_alias(created.id, resource)
        return str(created.arn)
    key_id = resource.split("/", 1)[1]
    key: Any = backend.keys.get(key_id)
    if key is None:
        key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
        backend.keys.pop(key.id)
        key.id = key_id
        key.arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
        backend.keys[key_id] = key
        result.keys.append(key.arn)
    if spec is None:
        return str(key.arn)
    manager = spec.manager if _known(spec.manager) else "CUSTOMER"
    aliases = list(spec.aliases) if _known(spec.aliases) and spec.aliases else []
    for alias in aliases:
        name = alias if alias.startswith("alias/") else f"alias/{alias}"
        if moto_view.find_key(name, account, region) is None:
            backend.create_alias(key.id, name)
    if manager == "AWS":
        key.key_manager = "AWS"
        aws_alias = next((a for a in aliases if a.startswith("alias/aws/")), "alias/aws/backup")
        key.policy = moto_view.aws_managed_key_policy(aws_alias, account, region)
    if _known(spec.policy) and spec.policy is not None:
        key.policy = json.dumps(spec.policy.document, indent=2)
    if _known(spec.state) and spec.state:
        key.key_state = spec.state
        key.enabled = spec.state == "Enabled"
        if spec.state == "PendingDeletion" and key.deletion_date is None:
            from datetime import timedelta

            from moto.core.utils import utcnow

            key.deletion_date = utcnow() + timedelta(days=30)
    return str(key.arn)


def _ensure_vault(state: Any, account: str, region: str, name: str, key_arn: str | None) -> Vault:
    vault: Vault | None = state.vault(account, region, name)
    if vault is None:
        if key_arn is None:
            key_arn = moto_view.aws_managed_key(account, region, "alias/aws/backup").arn
        vault = Vault(name, account, region, key_arn)
        state.vaults[(account, region, name)] = vault
    elif key_arn is not None:
        vault.key_arn = key_arn
    return vault


def _load_copy(
    emu: Emulator,
    service: Any,
    state: Any,
    cp: Any,
    accounts: set[str],
    result: LoadedScenario,
) -> LoadedCopy | None:
    if not (_known(cp.source_vault) and _known(cp.destination_vault)):
        raise ScenarioLoadError("source_vault and destination_vault are needed to emulate a copy")
    src_parts = cp.source_vault.split(":", 6)
    dst_parts = cp.destination_vault.split(":", 6)
    src_account, src_region, src_name = src_parts[4], src_parts[3], src_parts[6]
    dst_account, dst_region, dst_name = dst_parts[4], dst_parts[3], dst_parts[6]
    if src_account not in accounts or dst_account not in accounts:
        raise ScenarioLoadError("its accounts are not the emulator's")
    resource_arn = cp.resource_arn if _known(cp.resource_arn) else None
    rtype = cp.resource_type if _known(cp.resource_type) else None
    if rtype is None and resource_arn:
        rtype = resource_type_of_arn(resource_arn)
    if rtype is None:
        raise ScenarioLoadError("resource_type is unknown")
    info = type_info(rtype)
    key_arn: str | None = None
    if _known(cp.resource_key) and cp.resource_key:
        key_arn = _ensure_key(cp.resource_key, None, result)
    elif not _known(cp.resource_key) and not info.fully_managed:
        # unknown resource key: a fresh customer managed key with the default policy
        key_arn = _ensure_key(
            f"arn:aws:kms:{src_region}:{src_account}:key/{uuid.uuid4()}", None, result
        )
    source_vault = _ensure_vault(state, src_account, src_region, src_name, None)
    if state.vault(dst_account, dst_region, dst_name) is None:
        # a destination vault the scenario does not describe: a CMK, no access policy
        new_key = _ensure_key(
            f"arn:aws:kms:{dst_region}:{dst_account}:key/{uuid.uuid4()}", None, result
        )
        _ensure_vault(state, dst_account, dst_region, dst_name, new_key)
    role = cp.iam_role_arn if _known(cp.iam_role_arn) else c.default_backup_role_arn(src_account)
    lifecycle: dict[str, Any] | None = None
    if _known(cp.lifecycle) and cp.lifecycle is not None:
        days = {
            "DeleteAfterDays": cp.lifecycle.delete_after_days,
            "MoveToColdStorageAfterDays": cp.lifecycle.move_to_cold_storage_after_days,
        }
        lifecycle = {k: v for k, v in days.items() if v is not None} or None
    if resource_arn is None:
        resource_arn = _default_resource_arn(rtype, src_account, src_region)
    rp_arn = _make_recovery_point(
        service,
        state,
        rtype,
        info,
        resource_arn,
        key_arn,
        source_vault,
        role,
        src_account,
        src_region,
    )
    return LoadedCopy(
        cp.name,
        rtype,
        resource_arn,
        rp_arn,
        src_name,
        src_account,
        cp.destination_vault,
        role,
        lifecycle,
    )


def _default_resource_arn(rtype: str, account: str, region: str) -> str:
    token = uuid.uuid4().hex[:17]
    if rtype == "EBS":
        return f"arn:aws:ec2:{region}:{account}:volume/vol-{token}"
    if rtype == "RDS":
        return f"arn:aws:rds:{region}:{account}:db:db-{token[:8]}"
    if rtype == "EFS":
        return f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{token[:8]}"
    return f"arn:aws:backup:{region}:{account}:resource/{rtype.lower()}-{token[:8]}"


def _make_recovery_point(
    service: Any,
    state: Any,
    rtype: str,
    info: Any,
    resource_arn: str,
    key_arn: str | None,
    vault: Vault,
    role: str,
    account: str,
    region: str,
) -> str:
    from moto.ec2.models import ec2_backends
    from moto.efs.models import efs_backends
    from moto.rds.models import rds_backends

    resource = resource_arn.split(":", 5)[5]
    if rtype == "EBS" and resource.startswith("volume/"):
        volume_id = resource.split("/", 1)[1]
        ec2 = ec2_backends[account][region]
        if volume_id not in ec2.volumes:
            volume = ec2.create_volume(
                size=8,
                zone_name=f"{region}a",
                encrypted=key_arn is not None,
                kms_key_id=key_arn,
            )
            ec2.volumes.pop(volume.id)
            volume.id = volume_id
            ec2.volumes[volume_id] = volume
        job = service.backup(account, region, vault, resource_arn, role, None)
        return str(job.recovery_point_arn)
    if rtype == "RDS" and resource.startswith("db:"):
        name = resource.split(":", 1)[1]
        rds = rds_backends[account][region]
        if name not in rds.databases:
            rds.create_db_instance(
                {
                    "db_instance_identifier": name,
                    "engine": "postgres",
                    "db_instance_class": "db.t3.micro",
                    "allocated_storage": 20,
                    "storage_encrypted": key_arn is not None,
                    "kms_key_id": key_arn,
                    "master_username": "admin",
                    "master_user_password": "emulator-password",
                }
            )
        job = service.backup(account, region, vault, resource_arn, role, None)
        return str(job.recovery_point_arn)
    if rtype == "EFS" and resource.startswith("file-system/"):
        fs_id = resource.split("/", 1)[1]
        efs = efs_backends[account][region]
        if fs_id not in efs.file_systems_by_id:
            no_value: Any = None
            fs = efs.create_file_system(
                f"copyguard-{fs_id}",
                "generalPurpose",
                True,
                no_value,
                "bursting",
                0,
                no_value,
                False,
                [],
            )
            efs.file_systems_by_id.pop(fs.file_system_id)
            fs.file_system_id = fs_id
            fs.file_system_arn = resource_arn
            efs.file_systems_by_id[fs_id] = fs
        job = service.backup(account, region, vault, resource_arn, role, None)
        return str(job.recovery_point_arn)
    # any other type: a recovery point without a moto resource behind it
    from copyguard.emulator.backup_service import synthetic_recovery_point_arn

    arn = synthetic_recovery_point_arn(rtype, info.fully_managed, account, region)
    rp = RecoveryPoint(
        arn,
        account,
        region,
        vault.name,
        resource_arn,
        rtype,
        role,
        vault.key_arn if info.fully_managed else key_arn,
        completion_date=now(),
        size=1024**3,
    )
    state.recovery_points[(account, region, arn)] = rp
    return arn

"""copyguard's AWS Backup layer: the REST-JSON API of AWS Backup, in front of moto.

Request and response shapes follow botocore's ``backup`` service model, so an unmodified
boto3 client or the AWS CLI can drive it. Copy jobs are decided by ``copy_rules``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from copyguard.emulator import constants as c
from copyguard.emulator import moto_view, native
from copyguard.emulator.authz import ALLOWED, Authorizer
from copyguard.emulator.backup_models import (
    BackupJob,
    BackupState,
    CopyJob,
    Plan,
    RecoveryPoint,
    Selection,
    Vault,
    VaultLock,
    now,
)
from copyguard.emulator.copy_rules import (
    CopyInputs,
    KeyFacts,
    OrgFacts,
    Outcome,
    VaultFacts,
    evaluate_copy,
)
from copyguard.emulator.http import ApiRequest, ApiResponse
from copyguard.emulator.resource_types import resource_type_of_arn, type_info
from copyguard.knowledge.lag import lag_facts

log = logging.getLogger(__name__)

_VAULT_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_]{2,50}$")
_VAULT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d{12}):backup-vault:(.+)$")
_GLOBAL_SETTING_KEYS = {
    "isCrossAccountBackupEnabled",
    "isMpaEnabled",
    "isDelegatedAdministratorEnabled",
}
_ANY = {"ANY", "AGGREGATE_ALL"}


class BackupError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def error_response(code: str, message: str, status: int = 400) -> ApiResponse:
    body = {"Code": code, "Message": message, "Type": "User" if status < 500 else "Server"}
    return ApiResponse(
        status,
        json.dumps(body).encode(),
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazonaws.backup/"),
        ],
    )


def _missing(name: str) -> BackupError:
    return BackupError("MissingParameterValueException", f"Missing required parameter: {name}")


def _invalid(message: str) -> BackupError:
    return BackupError("InvalidParameterValueException", message)


def _not_found(message: str) -> BackupError:
    return BackupError("ResourceNotFoundException", message)


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise _missing(name)
    return value


def _parse_time(value: str | None, name: str) -> float | None:
    """A query-string timestamp (ISO 8601 or epoch seconds), at millisecond precision."""
    if value is None:
        return None
    try:
        return round(float(value), 3)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _invalid(f"Invalid timestamp for {name}: {value}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp(), 3)


def _int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"{name} must be a number") from exc


def _paginate(
    items: list[Any], req: ApiRequest, default_max: int = 1000
) -> tuple[list[Any], str | None]:
    max_results = _int(req.q("maxResults"), "MaxResults") or default_max
    if max_results < 1 or max_results > 1000:
        raise _invalid("MaxResults must be between 1 and 1000")
    token = req.q("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError as exc:
            raise _invalid("Invalid NextToken") from exc
    page = items[start : start + max_results]
    end = start + len(page)
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return page, next_token


def _lifecycle_out(lifecycle: dict[str, Any] | None, created: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if lifecycle:
        out["Lifecycle"] = lifecycle
        calc: dict[str, Any] = {}
        if lifecycle.get("DeleteAfterDays") is not None:
            calc["DeleteAt"] = created + int(lifecycle["DeleteAfterDays"]) * 86400
        if lifecycle.get("MoveToColdStorageAfterDays") is not None:
            calc["MoveToColdStorageAt"] = (
                created + int(lifecycle["MoveToColdStorageAfterDays"]) * 86400
            )
        if calc:
            out["CalculatedLifecycle"] = calc
    return out


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


Handler = Callable[..., ApiResponse]

#: method, path (labels in braces), AWS operation name, handler method
_ROUTES = """
    GET    backup-vaults                                  ListBackupVaults                   list_backup_vaults
    PUT    backup-vaults/{name}                           CreateBackupVault                  create_backup_vault
    PUT    logically-air-gapped-backup-vaults/{name}      CreateLogicallyAirGappedBackupVault create_lag_vault
    GET    backup-vaults/{name}                           DescribeBackupVault                describe_backup_vault
    DELETE backup-vaults/{name}                           DeleteBackupVault                  delete_backup_vault
    PUT    backup-vaults/{name}/access-policy             PutBackupVaultAccessPolicy         put_access_policy
    GET    backup-vaults/{name}/access-policy             GetBackupVaultAccessPolicy         get_access_policy
    DELETE backup-vaults/{name}/access-policy             DeleteBackupVaultAccessPolicy      delete_access_policy
    PUT    backup-vaults/{name}/vault-lock                PutBackupVaultLockConfiguration    put_vault_lock
    DELETE backup-vaults/{name}/vault-lock                DeleteBackupVaultLockConfiguration delete_vault_lock
    GET    backup-vaults/{name}/recovery-points           ListRecoveryPointsByBackupVault    list_recovery_points
    GET    backup-vaults/{name}/recovery-points/{arn}     DescribeRecoveryPoint              describe_recovery_point
    DELETE backup-vaults/{name}/recovery-points/{arn}     DeleteRecoveryPoint                delete_recovery_point
    GET    resources/{arn}/recovery-points                ListRecoveryPointsByResource       list_recovery_points_by_resource
    GET    global-settings                                DescribeGlobalSettings             describe_global_settings
    PUT    global-settings                                UpdateGlobalSettings               update_global_settings
    GET    account-settings                               DescribeRegionSettings             describe_region_settings
    PUT    backup/plans                                   CreateBackupPlan                   create_backup_plan
    GET    backup/plans                                   ListBackupPlans                    list_backup_plans
    GET    backup/plans/{plan}                            GetBackupPlan                      get_backup_plan
    POST   backup/plans/{plan}                            UpdateBackupPlan                   update_backup_plan
    DELETE backup/plans/{plan}                            DeleteBackupPlan                   delete_backup_plan
    PUT    backup/plans/{plan}/selections                 CreateBackupSelection              create_backup_selection
    GET    backup/plans/{plan}/selections                 ListBackupSelections               list_backup_selections
    GET    backup/plans/{plan}/selections/{sel}           GetBackupSelection                 get_backup_selection
    DELETE backup/plans/{plan}/selections/{sel}           DeleteBackupSelection              delete_backup_selection
    PUT    backup-jobs                                    StartBackupJob                     start_backup_job
    GET    backup-jobs                                    ListBackupJobs                     list_backup_jobs
    GET    backup-jobs/{job}                              DescribeBackupJob                  describe_backup_job
    PUT    copy-jobs                                      StartCopyJob                       start_copy_job
    GET    copy-jobs                                      ListCopyJobs                       list_copy_jobs
    GET    copy-jobs/{job}                                DescribeCopyJob                    describe_copy_job
    GET    tags/{arn}                                     ListTags                           list_tags
    POST   tags/{arn}                                     TagResource                        tag_resource
    POST   untag/{arn}                                    UntagResource                      untag_resource
"""


class BackupService:
    """Routes and handles AWS Backup API requests for every emulated account."""

    def __init__(self, state: BackupState, authz: Authorizer) -> None:
        self.state = state
        self.authz = authz
        self._routes: list[tuple[str, tuple[str, ...], str, Handler]] = []
        for line in _ROUTES.strip().splitlines():
            method, pattern, op, handler = line.split()
            self._routes.append((method, tuple(pattern.split("/")), op, getattr(self, handler)))

    # -- dispatch ----------------------------------------------------------------------------

    def route(self, req: ApiRequest) -> tuple[str, Handler, dict[str, str]] | None:
        """The operation name, handler and path parameters of a request (None: unknown)."""
        for method, pattern, op, handler in self._routes:
            if method != req.method or len(pattern) != len(req.segments):
                continue
            params: dict[str, str] = {}
            for part, seg in zip(pattern, req.segments):
                if part.startswith("{"):
                    params[part[1:-1]] = seg
                elif part != seg:
                    break
            else:
                return op, handler, params
        return None

    def handle(self, req: ApiRequest) -> ApiResponse:
        found = self.route(req)
        if found is None:
            return error_response(
                "UnsupportedOperation",
                f"The copyguard emulator does not implement {req.method} /{'/'.join(req.segments)}",
            )
        _, handler, params = found
        try:
            with self.state.lock:
                return handler(req, **params)
        except BackupError as exc:
            return error_response(exc.code, exc.message, exc.status)
        except ValueError as exc:
            return error_response("InvalidParameterValueException", str(exc))

    # -- shared helpers ----------------------------------------------------------------------

    def _own_vault(self, req: ApiRequest, name: str) -> Vault:
        vault = self.state.vault(req.account, req.region, name)
        if vault is None:
            raise _not_found(f"Backup vault {name} does not exist in account {req.account}")
        return vault

    def _readable_vault(self, req: ApiRequest, name: str, action: str) -> Vault:
        """A vault of the caller, or of ``backupVaultAccountId`` if its policy lets them read."""
        account = req.q("backupVaultAccountId") or req.account
        vault = self.state.vault(account, req.region, name)
        if account == req.account:
            if vault is None:
                raise _not_found(f"Backup vault {name} does not exist in account {account}")
            return vault
        arn = f"arn:aws:backup:{req.region}:{account}:backup-vault:{name}"
        if vault is not None and self._vault_policy_allows(vault, req, action):
            return vault
        raise BackupError(
            "AccessDeniedException",
            f"User: {req.caller_session_arn} is not authorized to perform: {action} on "
            f"resource: {arn}",
            403,
        )

    def _vault_policy_allows(self, vault: Vault, req: ApiRequest, action: str) -> bool:
        if vault.access_policy is None:
            return False
        org = moto_view.org_of(req.account)
        ctx: dict[str, Any] = {
            "aws:PrincipalAccount": req.account,
            "aws:PrincipalArn": req.caller_arn,
        }
        if org is not None:
            ctx["aws:PrincipalOrgID"] = org.id
            if req.account in org.paths:
                ctx["aws:PrincipalOrgPaths"] = [org.paths[req.account]]
        identity = moto_view.identity_policies(req.caller_arn) or []
        try:
            decision = self.authz.resource(
                req.caller_arn, action, vault.arn, ctx, vault.access_policy, identity
            )
        except Exception:  # never let an evaluator fault grant access
            log.exception("vault policy evaluation failed")
            return False
        return decision == ALLOWED

    def _resolve_key_arn(self, ref: str, req: ApiRequest) -> str:
        key = moto_view.find_key(ref, req.account, req.region)
        if key is None:
            raise _invalid(f"Invalid EncryptionKeyArn: KMS key {ref} was not found")
        return str(key.arn)

    def _key_of(self, arn: str | None, account: str, region: str) -> Any | None:
        if not arn:
            return None
        return moto_view.find_key(arn, account, region)

    # -- vaults ------------------------------------------------------------------------------

    def _vault_out(self, vault: Vault) -> dict[str, Any]:
        key = self._key_of(vault.key_arn, vault.account, vault.region)
        out: dict[str, Any] = {
            "BackupVaultName": vault.name,
            "BackupVaultArn": vault.arn,
            "VaultType": vault.vault_type,
            "VaultState": "AVAILABLE",
            "EncryptionKeyArn": vault.key_arn,
            "CreationDate": vault.creation_date,
            "NumberOfRecoveryPoints": len(self.state.recovery_points_in(vault)),
            "Locked": vault.lock is not None,
        }
        if key is not None and key.key_manager == "CUSTOMER":
            out["EncryptionKeyType"] = "CUSTOMER_MANAGED_KMS_KEY"
        if vault.logically_air_gapped and not vault.key_arn:
            del out["EncryptionKeyArn"]  # an AWS owned key has no ARN in the customer's view
            out["EncryptionKeyType"] = "AWS_OWNED_KMS_KEY"
        if vault.creator_request_id:
            out["CreatorRequestId"] = vault.creator_request_id
        if vault.lock is not None:
            if vault.lock.min_retention_days is not None:
                out["MinRetentionDays"] = vault.lock.min_retention_days
            if vault.lock.max_retention_days is not None:
                out["MaxRetentionDays"] = vault.lock.max_retention_days
            if vault.lock.lock_date is not None:
                out["LockDate"] = vault.lock.lock_date
        return out

    def _check_new_vault_name(self, req: ApiRequest, name: str) -> None:
        """The checks of CreateBackupVault and CreateLogicallyAirGappedBackupVault on the
        name: its shape, then that no vault of the account and Region has it."""
        if not _VAULT_NAME_RE.match(name):
            raise _invalid(
                f"Invalid backup vault name {name}: use 2 to 50 letters, digits, - and _"
            )
        if self.state.vault(req.account, req.region, name) is not None:
            raise BackupError(
                "AlreadyExistsException", f"Backup vault with the same name {name} already exists"
            )

    def create_backup_vault(self, req: ApiRequest, name: str) -> ApiResponse:
        body = req.json()
        self._check_new_vault_name(req, name)
        key_ref = body.get("EncryptionKeyArn")
        if key_ref:
            key_arn = self._resolve_key_arn(key_ref, req)
        else:
            key_arn = moto_view.aws_managed_key(req.account, req.region, "alias/aws/backup").arn
        vault = Vault(
            name,
            req.account,
            req.region,
            key_arn,
            creator_request_id=body.get("CreatorRequestId"),
            tags=dict(body.get("BackupVaultTags") or {}),
        )
        self.state.vaults[(req.account, req.region, name)] = vault
        return ApiResponse.json(
            {
                "BackupVaultName": name,
                "BackupVaultArn": vault.arn,
                "CreationDate": vault.creation_date,
            }
        )

    def create_lag_vault(self, req: ApiRequest, name: str) -> ApiResponse:
        """CreateLogicallyAirGappedBackupVault: always locked in compliance mode, at least 7
        days; an AWS owned key unless a customer managed key is given (facts 9)."""
        body = req.json()
        self._check_new_vault_name(req, name)
        min_days = _int(_required(body, "MinRetentionDays"), "MinRetentionDays")
        max_days = _int(_required(body, "MaxRetentionDays"), "MaxRetentionDays")
        floor = lag_facts().min_retention_days
        if min_days is None or min_days < floor:
            raise _invalid(f"MinRetentionDays must be at least {floor}")
        if max_days is None or max_days > 36500 or max_days < min_days:
            raise _invalid("MaxRetentionDays must be at most 36500 and at least MinRetentionDays")
        key_arn = ""
        if body.get("EncryptionKeyArn"):
            key_arn = self._resolve_key_arn(str(body["EncryptionKeyArn"]), req)
            key = moto_view.find_key(key_arn, req.account, req.region)
            if key is None or key.key_manager != "CUSTOMER":
                raise _invalid("EncryptionKeyArn must be a customer managed KMS key")
        vault = Vault(
            name,
            req.account,
            req.region,
            key_arn,
            creator_request_id=body.get("CreatorRequestId"),
            tags=dict(body.get("BackupVaultTags") or {}),
            lock=VaultLock(min_days, max_days, None, now()),
            vault_type="LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
        )
        self.state.vaults[(req.account, req.region, name)] = vault
        return ApiResponse.json(
            {
                "BackupVaultName": name,
                "BackupVaultArn": vault.arn,
                "CreationDate": vault.creation_date,
                "VaultState": "CREATING",
            }
        )

    def describe_backup_vault(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._readable_vault(req, name, "backup:DescribeBackupVault")
        return ApiResponse.json(self._vault_out(vault))

    def list_backup_vaults(self, req: ApiRequest) -> ApiResponse:
        vaults = sorted(
            (
                v
                for (a, r, _), v in self.state.vaults.items()
                if a == req.account and r == req.region
            ),
            key=lambda v: v.name,
        )
        vault_type = req.q("vaultType")
        if vault_type:
            vaults = [v for v in vaults if v.vault_type == vault_type]
        page, token = _paginate(vaults, req)
        return ApiResponse.json(
            _drop_none({"BackupVaultList": [self._vault_out(v) for v in page], "NextToken": token})
        )

    def delete_backup_vault(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        points = self.state.recovery_points_in(vault)
        if points:
            raise BackupError(
                "InvalidRequestException",
                f"Backup vault cannot be deleted (contains {len(points)} recovery points)",
            )
        if vault.lock and vault.lock.lock_date is not None and vault.lock.lock_date <= now():
            raise BackupError(
                "InvalidRequestException", "Backup vault is locked in compliance mode"
            )
        del self.state.vaults[(req.account, req.region, name)]
        return ApiResponse.json(None)

    def put_access_policy(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        policy = _required(req.json(), "Policy")
        if not isinstance(policy, str):
            raise _invalid("Policy must be a JSON string")
        from copyguard.policy import PolicyError

        try:
            self.authz.parse(policy, "resource", f"access policy of backup vault {name}")
        except PolicyError as exc:
            raise _invalid(f"Invalid backup vault access policy: {exc}") from exc
        vault.access_policy = policy
        return ApiResponse.json(None)

    def get_access_policy(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        if vault.access_policy is None:
            raise _not_found(f"Backup vault {name} does not have an access policy")
        return ApiResponse.json(
            {
                "BackupVaultName": vault.name,
                "BackupVaultArn": vault.arn,
                "Policy": vault.access_policy,
            }
        )

    def delete_access_policy(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        vault.access_policy = None
        return ApiResponse.json(None)

    def put_vault_lock(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        body = req.json()
        if vault.lock and vault.lock.lock_date is not None and vault.lock.lock_date <= now():
            raise BackupError(
                "InvalidRequestException",
                "Vault Lock configuration cannot be changed: the vault is locked in compliance mode",
            )
        min_days = _int(body.get("MinRetentionDays"), "MinRetentionDays")
        max_days = _int(body.get("MaxRetentionDays"), "MaxRetentionDays")
        changeable = _int(body.get("ChangeableForDays"), "ChangeableForDays")
        if min_days is not None and min_days < 1:
            raise _invalid("MinRetentionDays must be at least 1")
        if max_days is not None and max_days > 36500:
            raise _invalid("MaxRetentionDays must be at most 36500")
        if min_days is not None and max_days is not None and max_days < min_days:
            raise _invalid("MaxRetentionDays must be greater than or equal to MinRetentionDays")
        if changeable is not None and changeable < 3:
            raise _invalid("ChangeableForDays must be at least 3")
        lock_date = now() + changeable * 86400 if changeable is not None else None
        vault.lock = VaultLock(min_days, max_days, changeable, lock_date)
        return ApiResponse.json(None)

    def delete_vault_lock(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        if vault.lock and vault.lock.lock_date is not None and vault.lock.lock_date <= now():
            raise BackupError(
                "InvalidRequestException",
                "Vault Lock cannot be deleted: the vault is locked in compliance mode",
            )
        vault.lock = None
        return ApiResponse.json(None)

    # -- recovery points ---------------------------------------------------------------------

    def _rp_out(self, rp: RecoveryPoint, short: bool = False) -> dict[str, Any]:
        vault_arn = f"arn:aws:backup:{rp.region}:{rp.account}:backup-vault:{rp.vault_name}"
        key_arn = rp.encryption_key_arn
        if rp.storage != "backup" and rp.native_id:
            key_arn = native.native_snapshot_key(rp.account, rp.region, rp.storage, rp.native_id)
        key = self._key_of(key_arn, rp.account, rp.region) if key_arn else None
        out: dict[str, Any] = {
            "RecoveryPointArn": rp.arn,
            "BackupVaultName": rp.vault_name,
            "BackupVaultArn": vault_arn,
            "SourceBackupVaultArn": rp.source_vault_arn,
            "ResourceArn": rp.resource_arn,
            "ResourceType": rp.resource_type,
            "CreatedBy": rp.created_by,
            "IamRoleArn": rp.iam_role_arn,
            "Status": rp.status,
            "CreationDate": rp.creation_date,
            "InitiationDate": rp.creation_date,
            "CompletionDate": rp.completion_date,
            "BackupSizeInBytes": rp.size,
            "EncryptionKeyArn": key_arn,
            "IsEncrypted": key_arn is not None,
            "IsParent": False,
            "ResourceName": rp.resource_name,
            "VaultType": "BACKUP_VAULT",
        }
        if key is not None and key.key_manager == "CUSTOMER":
            out["EncryptionKeyType"] = "CUSTOMER_MANAGED_KMS_KEY"
        home = self.state.vault(rp.account, rp.region, rp.vault_name)
        if home is not None and home.logically_air_gapped:
            out["VaultType"] = home.vault_type
            if not key_arn:  # stored by AWS Backup under the vault's AWS owned key
                out["IsEncrypted"] = True
                out["EncryptionKeyType"] = "AWS_OWNED_KMS_KEY"
        if not short:
            out["StorageClass"] = "WARM"
        out.update(_lifecycle_out(rp.lifecycle, rp.creation_date))
        return _drop_none(out)

    def _find_rp(self, account: str, region: str, arn: str) -> RecoveryPoint | None:
        return self.state.recovery_points.get((account, region, arn))

    def describe_recovery_point(self, req: ApiRequest, name: str, arn: str) -> ApiResponse:
        vault = self._readable_vault(req, name, "backup:DescribeRecoveryPoint")
        rp = self._find_rp(vault.account, vault.region, arn)
        if rp is None or rp.vault_name != vault.name:
            raise _not_found(f"Recovery point {arn} not found in backup vault {name}")
        return ApiResponse.json(self._rp_out(rp))

    def delete_recovery_point(self, req: ApiRequest, name: str, arn: str) -> ApiResponse:
        vault = self._own_vault(req, name)
        rp = self._find_rp(req.account, req.region, arn)
        if rp is None or rp.vault_name != vault.name:
            raise _not_found(f"Recovery point {arn} not found in backup vault {name}")
        if vault.lock is not None:
            raise BackupError(
                "InvalidRequestException",
                "Recovery point cannot be deleted: the backup vault is locked",
            )
        del self.state.recovery_points[(req.account, req.region, arn)]
        native.delete_native(rp.account, rp.region, rp.storage, rp.native_id)
        return ApiResponse.json(None)

    def list_recovery_points(self, req: ApiRequest, name: str) -> ApiResponse:
        vault = self._readable_vault(req, name, "backup:ListRecoveryPointsByBackupVault")
        points = sorted(self.state.recovery_points_in(vault), key=lambda p: -p.creation_date)
        by_arn = req.q("resourceArn")
        by_type = req.q("resourceType")
        by_plan = req.q("backupPlanId")
        before = _parse_time(req.q("createdBefore"), "ByCreatedBefore")
        after = _parse_time(req.q("createdAfter"), "ByCreatedAfter")
        points = [
            p
            for p in points
            if (not by_arn or p.resource_arn == by_arn)
            and (not by_type or p.resource_type == by_type)
            and (not by_plan or (p.created_by or {}).get("BackupPlanId") == by_plan)
            and (before is None or p.creation_date < before)
            and (after is None or p.creation_date > after)
        ]
        page, token = _paginate(points, req)
        return ApiResponse.json(
            _drop_none(
                {"RecoveryPoints": [self._rp_out(p, True) for p in page], "NextToken": token}
            )
        )

    def list_recovery_points_by_resource(self, req: ApiRequest, arn: str) -> ApiResponse:
        points = sorted(
            (
                p
                for (a, r, _), p in self.state.recovery_points.items()
                if a == req.account and r == req.region and p.resource_arn == arn
            ),
            key=lambda p: -p.creation_date,
        )
        page, token = _paginate(points, req)
        out = []
        for p in page:
            full = self._rp_out(p, True)
            out.append(
                _drop_none(
                    {
                        "RecoveryPointArn": p.arn,
                        "CreationDate": p.creation_date,
                        "Status": p.status,
                        "EncryptionKeyArn": full.get("EncryptionKeyArn"),
                        "BackupSizeBytes": p.size,
                        "BackupVaultName": p.vault_name,
                        "IsParent": False,
                        "ResourceName": p.resource_name,
                        "VaultType": "BACKUP_VAULT",
                    }
                )
            )
        return ApiResponse.json(_drop_none({"RecoveryPoints": out, "NextToken": token}))

    # -- global and Region settings ----------------------------------------------------------

    def describe_global_settings(self, req: ApiRequest) -> ApiResponse:
        org = moto_view.org_of(req.account)
        if org is None:
            raise BackupError(
                "InvalidRequestException",
                f"Account {req.account} is not a member of an AWS Organizations organization",
            )
        settings = self.state.settings_for_org(org.id)
        return ApiResponse.json(
            _drop_none(
                {"GlobalSettings": dict(settings.settings), "LastUpdateTime": settings.last_update}
            )
        )

    def update_global_settings(self, req: ApiRequest) -> ApiResponse:
        body = req.json()
        org = moto_view.org_of(req.account)
        if org is None:
            raise BackupError(
                "InvalidRequestException",
                f"Account {req.account} is not a member of an AWS Organizations organization",
            )
        if org.management_account != req.account:
            raise BackupError(
                "InvalidRequestException",
                "Global settings can only be updated from the management account of the "
                f"organization ({org.id})",
            )
        new = body.get("GlobalSettings")
        if not isinstance(new, dict) or not new:
            raise _missing("GlobalSettings")
        for key, value in new.items():
            if key not in _GLOBAL_SETTING_KEYS:
                raise _invalid(f"Unsupported global setting: {key}")
            if value not in ("true", "false"):
                raise _invalid(f"Global setting {key} must be the string 'true' or 'false'")
        settings = self.state.settings_for_org(org.id)
        settings.settings.update(new)
        settings.last_update = now()
        return ApiResponse.json(None)

    def describe_region_settings(self, req: ApiRequest) -> ApiResponse:
        types = [
            "Aurora",
            "CloudFormation",
            "DocumentDB",
            "DynamoDB",
            "EBS",
            "EC2",
            "EFS",
            "FSx",
            "Neptune",
            "RDS",
            "Redshift",
            "S3",
            "SAP HANA on Amazon EC2",
            "Storage Gateway",
            "Timestream",
            "VirtualMachine",
        ]
        return ApiResponse.json(
            {
                "ResourceTypeOptInPreference": dict.fromkeys(types, True),
                "ResourceTypeManagementPreference": {"DynamoDB": True, "EFS": True},
            }
        )

    # -- plans and selections ----------------------------------------------------------------

    def _plan_document(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _missing("BackupPlan")
        name = _required(raw, "BackupPlanName")
        rules = raw.get("Rules")
        if not isinstance(rules, list) or not rules:
            raise _missing("BackupPlan.Rules")
        out_rules = []
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                raise _invalid(f"BackupPlan.Rules[{i}] must be an object")
            _required(rule, "RuleName")
            _required(rule, "TargetBackupVaultName")
            for j, action in enumerate(rule.get("CopyActions") or []):
                arn = _required(action, "DestinationBackupVaultArn")
                if not _VAULT_ARN_RE.match(str(arn)):
                    raise _invalid(
                        f"BackupPlan.Rules[{i}].CopyActions[{j}].DestinationBackupVaultArn "
                        f"is not a backup vault ARN: {arn}"
                    )
            new_rule = dict(rule)
            new_rule.setdefault("RuleId", str(uuid.uuid4()))
            new_rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
            new_rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
            new_rule.setdefault("StartWindowMinutes", 480)
            new_rule.setdefault("CompletionWindowMinutes", 10080)
            out_rules.append(new_rule)
        doc = {"BackupPlanName": name, "Rules": out_rules}
        if raw.get("AdvancedBackupSettings"):
            doc["AdvancedBackupSettings"] = raw["AdvancedBackupSettings"]
        return doc

    def _plan(self, req: ApiRequest, plan_id: str) -> Plan:
        plan = self.state.plans.get((req.account, req.region, plan_id))
        if plan is None or plan.deletion_date is not None:
            raise _not_found(f"Failed reading Backup plan with provided version or id {plan_id}")
        return plan

    def create_backup_plan(self, req: ApiRequest) -> ApiResponse:
        body = req.json()
        doc = self._plan_document(body.get("BackupPlan"))
        request_id = body.get("CreatorRequestId")
        if request_id:
            for plan in self.state.plans.values():
                if plan.account == req.account and plan.creator_request_id == request_id:
                    raise BackupError(
                        "AlreadyExistsException",
                        f"A backup plan with CreatorRequestId {request_id} already exists",
                    )
        plan_id = str(uuid.uuid4())
        plan = Plan(
            plan_id,
            req.account,
            req.region,
            doc,
            secrets.token_urlsafe(36)[:48],
            creator_request_id=request_id,
            tags=dict(body.get("BackupPlanTags") or {}),
        )
        self.state.plans[(req.account, req.region, plan_id)] = plan
        return ApiResponse.json(
            {
                "BackupPlanId": plan.id,
                "BackupPlanArn": plan.arn,
                "CreationDate": plan.creation_date,
                "VersionId": plan.version_id,
            }
        )

    def get_backup_plan(self, req: ApiRequest, plan: str) -> ApiResponse:
        p = self._plan(req, plan)
        return ApiResponse.json(
            _drop_none(
                {
                    "BackupPlan": p.document,
                    "BackupPlanId": p.id,
                    "BackupPlanArn": p.arn,
                    "VersionId": p.version_id,
                    "CreatorRequestId": p.creator_request_id,
                    "CreationDate": p.creation_date,
                    "AdvancedBackupSettings": p.document.get("AdvancedBackupSettings"),
                }
            )
        )

    def list_backup_plans(self, req: ApiRequest) -> ApiResponse:
        plans = sorted(
            (
                p
                for (a, r, _), p in self.state.plans.items()
                if a == req.account and r == req.region and p.deletion_date is None
            ),
            key=lambda p: p.creation_date,
        )
        page, token = _paginate(plans, req)
        items = [
            _drop_none(
                {
                    "BackupPlanArn": p.arn,
                    "BackupPlanId": p.id,
                    "CreationDate": p.creation_date,
                    "VersionId": p.version_id,
                    "BackupPlanName": p.document["BackupPlanName"],
                    "CreatorRequestId": p.creator_request_id,
                    "AdvancedBackupSettings": p.document.get("AdvancedBackupSettings"),
                }
            )
            for p in page
        ]
        return ApiResponse.json(_drop_none({"BackupPlansList": items, "NextToken": token}))

    def update_backup_plan(self, req: ApiRequest, plan: str) -> ApiResponse:
        p = self._plan(req, plan)
        p.document = self._plan_document(req.json().get("BackupPlan"))
        p.version_id = secrets.token_urlsafe(36)[:48]
        return ApiResponse.json(
            {
                "BackupPlanId": p.id,
                "BackupPlanArn": p.arn,
                "CreationDate": p.creation_date,
                "VersionId": p.version_id,
            }
        )

    def delete_backup_plan(self, req: ApiRequest, plan: str) -> ApiResponse:
        p = self._plan(req, plan)
        if any(
            s.plan_id == p.id
            for (a, r, _, _), s in self.state.selections.items()
            if a == req.account
        ):
            raise BackupError(
                "InvalidRequestException",
                "Related backup plan selections must be deleted prior to backup plan deletion",
            )
        p.deletion_date = now()
        del self.state.plans[(req.account, req.region, p.id)]
        return ApiResponse.json(
            {
                "BackupPlanId": p.id,
                "BackupPlanArn": p.arn,
                "DeletionDate": p.deletion_date,
                "VersionId": p.version_id,
            }
        )

    def create_backup_selection(self, req: ApiRequest, plan: str) -> ApiResponse:
        p = self._plan(req, plan)
        body = req.json()
        selection = body.get("BackupSelection")
        if not isinstance(selection, dict):
            raise _missing("BackupSelection")
        _required(selection, "SelectionName")
        _required(selection, "IamRoleArn")
        sel = Selection(
            str(uuid.uuid4()),
            p.id,
            req.account,
            req.region,
            selection,
            creator_request_id=body.get("CreatorRequestId"),
        )
        self.state.selections[(req.account, req.region, p.id, sel.id)] = sel
        return ApiResponse.json(
            {"SelectionId": sel.id, "BackupPlanId": p.id, "CreationDate": sel.creation_date}
        )

    def _selection(self, req: ApiRequest, plan: str, sel: str) -> Selection:
        found = self.state.selections.get((req.account, req.region, plan, sel))
        if found is None:
            raise _not_found(f"Backup selection {sel} not found in backup plan {plan}")
        return found

    def get_backup_selection(self, req: ApiRequest, plan: str, sel: str) -> ApiResponse:
        s = self._selection(req, plan, sel)
        return ApiResponse.json(
            _drop_none(
                {
                    "BackupSelection": s.document,
                    "SelectionId": s.id,
                    "BackupPlanId": s.plan_id,
                    "CreationDate": s.creation_date,
                    "CreatorRequestId": s.creator_request_id,
                }
            )
        )

    def list_backup_selections(self, req: ApiRequest, plan: str) -> ApiResponse:
        self._plan(req, plan)
        sels = sorted(
            (
                s
                for (a, r, pid, _), s in self.state.selections.items()
                if a == req.account and r == req.region and pid == plan
            ),
            key=lambda s: s.creation_date,
        )
        page, token = _paginate(sels, req)
        items = [
            _drop_none(
                {
                    "SelectionId": s.id,
                    "SelectionName": s.document.get("SelectionName"),
                    "BackupPlanId": s.plan_id,
                    "CreationDate": s.creation_date,
                    "CreatorRequestId": s.creator_request_id,
                    "IamRoleArn": s.document.get("IamRoleArn"),
                }
            )
            for s in page
        ]
        return ApiResponse.json(_drop_none({"BackupSelectionsList": items, "NextToken": token}))

    def delete_backup_selection(self, req: ApiRequest, plan: str, sel: str) -> ApiResponse:
        self._selection(req, plan, sel)
        del self.state.selections[(req.account, req.region, plan, sel)]
        return ApiResponse.json(None)

    # -- backup jobs -------------------------------------------------------------------------

    def start_backup_job(self, req: ApiRequest) -> ApiResponse:
        body = req.json()
        vault_name = _required(body, "BackupVaultName")
        resource_arn = _required(body, "ResourceArn")
        role_arn = _required(body, "IamRoleArn")
        vault = self._own_vault(req, vault_name)
        token = body.get("IdempotencyToken")
        lag_arn = body.get("LogicallyAirGappedBackupVaultArn")
        lag_vault = self._primary_lag_vault(req, lag_arn) if lag_arn else None
        job = self.backup(
            req.account,
            req.region,
            vault,
            resource_arn,
            role_arn,
            body.get("Lifecycle"),
            idempotency_token=token,
        )
        if lag_vault is not None and job.state == "COMPLETED":
            self._to_lag_vault(job, vault, lag_vault)
        return ApiResponse.json(
            _drop_none(
                {
                    "BackupJobId": job.id,
                    "RecoveryPointArn": job.recovery_point_arn,
                    "CreationDate": job.creation_date,
                    "IsParent": False,
                }
            )
        )

    def _primary_lag_vault(self, req: ApiRequest, arn: str) -> Vault:
        """The LAG vault of a primary backup: same account and Region (facts 9)."""
        vault = self.state.vault_by_arn(str(arn))
        if vault is None or vault.account != req.account or vault.region != req.region:
            raise _invalid(
                "LogicallyAirGappedBackupVaultArn must name a logically air-gapped vault of "
                "the same account and Region"
            )
        if not vault.logically_air_gapped:
            raise _invalid(f"{arn} is not a logically air-gapped backup vault")
        return vault

    def _to_lag_vault(self, job: BackupJob, vault: Vault, lag_vault: Vault) -> None:
        """A primary backup to a LAG vault: fully managed types go straight in; the others
        are copied from the backup vault, unless their key is AWS managed (the job then
        completes in the backup vault only, with AWS's message)."""
        rp = self.state.recovery_points.get((job.account, job.region, job.recovery_point_arn or ""))
        if rp is None:
            return
        info = type_info(rp.resource_type)
        facts = lag_facts()
        if info.fully_managed:
            rp.vault_name = lag_vault.name
            rp.encryption_key_arn = lag_vault.key_arn or None
            job.vault_name, job.vault_arn = lag_vault.name, lag_vault.arn
            return
        key_arn = rp.encryption_key_arn
        if rp.storage != "backup" and rp.native_id:
            key_arn = native.native_snapshot_key(rp.account, rp.region, rp.storage, rp.native_id)
        key = self._key_of(key_arn, rp.account, rp.region) if key_arn else None
        if key is not None and key.key_manager == "AWS":
            job.status_message = facts.messages["aws_managed_key"]
            return
        copied = self.copy(
            job.account,
            job.region,
            vault.name,
            rp.arn,
            lag_vault.arn,
            job.iam_role_arn,
            job.lifecycle,
        )
        if copied.state != "COMPLETED":
            job.status_message = copied.status_message

    def backup(
        self,
        account: str,
        region: str,
        vault: Vault,
        resource_arn: str,
        role_arn: str,
        lifecycle: dict[str, Any] | None,
        idempotency_token: str | None = None,
    ) -> BackupJob:
        """Back up one resource into ``vault`` now; the job completes (or fails) at once."""
        rtype = resource_type_of_arn(resource_arn)
        parts = resource_arn.split(":", 5)
        if rtype is None or len(parts) != 6:
            raise _invalid(f"Invalid resource ARN or unsupported resource type: {resource_arn}")
        if parts[4] and parts[4] != account:
            raise _invalid(f"Resource {resource_arn} is not in account {account}")
        if parts[3] and parts[3] != region:
            raise _invalid(f"Resource {resource_arn} is not in Region {region}")
        job_id = str(uuid.uuid4()).upper()
        job = BackupJob(
            job_id,
            account,
            region,
            vault.name,
            vault.arn,
            resource_arn,
            rtype,
            role_arn,
            lifecycle=lifecycle,
        )
        resource = parts[5]
        try:
            if rtype == "EBS":
                protected = native.backup_ebs(account, region, resource.split("/", 1)[1], job_id)
            elif rtype == "RDS":
                protected = native.backup_rds(account, region, resource.split(":", 1)[1], job_id)
            elif rtype == "EFS":
                fs_id = resource.split("/", 1)[1]
                if not native.efs_exists(account, region, fs_id):
                    raise native.NativeError(f"File system {fs_id} does not exist")
                protected = native.Protected(
                    f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}",
                    vault.key_arn,
                    "backup",
                    None,
                    6144,
                )
            else:
                raise _invalid(
                    "The copyguard emulator backs up EBS volumes, RDS DB instances and EFS file "
                    f"systems; {rtype} resources are not supported by start_backup_job"
                )
        except native.NativeError as exc:
            raise _invalid(str(exc)) from exc
        key = self._key_of(protected.key_arn, account, region) if protected.key_arn else None
        self.state.backup_jobs[job_id] = job
        job.encryption_key_arn = protected.key_arn
        if key is not None and key.key_state != "Enabled":
            native.delete_native(account, region, protected.storage, protected.native_id)
            job.state = "FAILED"
            job.status_message = c.MSG_KMS_GENERIC
            job.message_category = "AccessDenied"
            job.completion_date = now()
            return job
        rp = RecoveryPoint(
            protected.recovery_point_arn,
            account,
            region,
            vault.name,
            resource_arn,
            rtype,
            role_arn,
            protected.key_arn,
            completion_date=now(),
            size=protected.size,
            lifecycle=lifecycle,
            resource_name=protected.resource_name,
            storage=protected.storage,
            native_id=protected.native_id,
        )
        self.state.recovery_points[(account, region, rp.arn)] = rp
        job.recovery_point_arn = rp.arn
        job.size = protected.size
        job.state = "COMPLETED"
        job.message_category = "SUCCESS"
        job.completion_date = rp.completion_date
        del idempotency_token
        return job

    def _backup_job_out(self, job: BackupJob) -> dict[str, Any]:
        return _drop_none(
            {
                "AccountId": job.account,
                "BackupJobId": job.id,
                "BackupVaultName": job.vault_name,
                "BackupVaultArn": job.vault_arn,
                "VaultType": "BACKUP_VAULT",
                "RecoveryPointArn": job.recovery_point_arn,
                "RecoveryPointLifecycle": job.lifecycle,
                "EncryptionKeyArn": job.encryption_key_arn,
                "IsEncrypted": job.encryption_key_arn is not None,
                "ResourceArn": job.resource_arn,
                "CreationDate": job.creation_date,
                "CompletionDate": job.completion_date,
                "State": job.state,
                "StatusMessage": job.status_message,
                "PercentDone": "100.0" if job.state == "COMPLETED" else "0.0",
                "BackupSizeInBytes": job.size,
                "IamRoleArn": job.iam_role_arn,
                "ResourceType": job.resource_type,
                "BackupType": "",
                "IsParent": False,
                "InitiationDate": job.creation_date,
                "MessageCategory": job.message_category,
            }
        )

    def describe_backup_job(self, req: ApiRequest, job: str) -> ApiResponse:
        found = self.state.backup_jobs.get(job)
        if found is None or found.account != req.account:
            raise _not_found(f"Backup job {job} not found")
        out = self._backup_job_out(found)
        out.pop("BackupType", None)
        return ApiResponse.json(out)

    def list_backup_jobs(self, req: ApiRequest) -> ApiResponse:
        jobs = [
            j
            for j in self.state.backup_jobs.values()
            if j.account == req.account and j.region == req.region
        ]
        state = req.q("state")
        by_arn = req.q("resourceArn")
        by_vault = req.q("backupVaultName")
        by_type = req.q("resourceType")
        jobs = [
            j
            for j in jobs
            if (not state or state in _ANY or j.state == state)
            and (not by_arn or j.resource_arn == by_arn)
            and (not by_vault or j.vault_name == by_vault)
            and (not by_type or j.resource_type == by_type)
        ]
        jobs.sort(key=lambda j: -j.creation_date)
        page, token = _paginate(jobs, req)
        items = []
        for j in page:
            item = self._backup_job_out(j)
            item.pop("BackupType", None)
            items.append(item)
        return ApiResponse.json(_drop_none({"BackupJobs": items, "NextToken": token}))

    # -- copy jobs ---------------------------------------------------------------------------

    def start_copy_job(self, req: ApiRequest) -> ApiResponse:
        body = req.json()
        rp_arn = _required(body, "RecoveryPointArn")
        source_name = _required(body, "SourceBackupVaultName")
        dest_arn = _required(body, "DestinationBackupVaultArn")
        role_arn = _required(body, "IamRoleArn")
        lifecycle = body.get("Lifecycle")
        token = body.get("IdempotencyToken")
        job = self.copy(
            req.account, req.region, source_name, rp_arn, dest_arn, role_arn, lifecycle, token
        )
        return ApiResponse.json(
            {"CopyJobId": job.id, "CreationDate": job.creation_date, "IsParent": False}
        )

    def copy(
        self,
        account: str,
        region: str,
        source_vault_name: str,
        rp_arn: str,
        dest_vault_arn: str,
        role_arn: str,
        lifecycle: dict[str, Any] | None = None,
        idempotency_token: str | None = None,
    ) -> CopyJob:
        """Start a copy job and run it to COMPLETED or FAILED before returning."""
        source_vault = self.state.vault(account, region, source_vault_name)
        if source_vault is None:
            raise _not_found(f"Backup vault {source_vault_name} does not exist")
        rp = self._find_rp(account, region, rp_arn)
        if rp is None or rp.vault_name != source_vault_name:
            raise _not_found(
                f"Recovery point {rp_arn} not found in backup vault {source_vault_name}"
            )
        match = _VAULT_ARN_RE.match(dest_vault_arn)
        if not match:
            raise _invalid(f"Invalid DestinationBackupVaultArn: {dest_vault_arn}")
        dest_account = match.group(2)
        if lifecycle is not None and not isinstance(lifecycle, dict):
            raise _invalid("Lifecycle must be an object")
        if idempotency_token:
            for existing in self.state.copy_jobs.values():
                if existing.account == account and existing.idempotency_token == idempotency_token:
                    return existing
        if dest_account == account and self.state.vault_by_arn(dest_vault_arn) is None:
            raise _not_found(f"Backup vault {dest_vault_arn} does not exist")
        job = CopyJob(
            str(uuid.uuid4()).upper(),
            account,
            region,
            source_vault.arn,
            rp.arn,
            dest_vault_arn,
            rp.resource_arn,
            rp.resource_type,
            role_arn,
            lifecycle,
            idempotency_token=idempotency_token,
            resource_name=rp.resource_name,
        )
        self.state.copy_jobs[job.id] = job
        job.state = "RUNNING"
        try:
            outcome = evaluate_copy(self._copy_inputs(job, rp, source_vault), self.authz)
        except Exception:
            log.exception("copy job %s: check failed", job.id)
            outcome = Outcome(
                False, "Copy job encountered a fatal error.", "InternalFailure", "internal"
            )
        dest_vault = self.state.vault_by_arn(dest_vault_arn)
        if dest_vault is not None:
            job.destination_vault_lock_state = "LOCKED" if dest_vault.lock else "UNLOCKED"
        if outcome.ok and dest_vault is not None:
            try:
                new_rp = self._materialize_copy(job, rp, source_vault, dest_vault)
            except native.NativeError as exc:
                log.warning("copy job %s: %s", job.id, exc)
                outcome = Outcome(
                    False, "Copy job encountered a fatal error.", "InternalFailure", "internal"
                )
            else:
                job.destination_recovery_point_arn = new_rp.arn
                job.destination_encryption_key_arn = new_rp.encryption_key_arn
                job.size = new_rp.size
        if outcome.ok:
            job.state = "COMPLETED"
            job.message_category = "SUCCESS"
        else:
            job.state = "FAILED"
            job.status_message = outcome.message
            job.message_category = outcome.category
        job.completion_date = now()
        log.info("copy job %s %s (%s)", job.id, job.state, outcome.rule)
        return job

    def _copy_inputs(self, job: CopyJob, rp: RecoveryPoint, source_vault: Vault) -> CopyInputs:
        info = type_info(rp.resource_type)
        dest_account, dest_region = job.destination_account, job.destination_vault_arn.split(":")[3]
        src_org = moto_view.org_of(job.account)
        dst_org = moto_view.org_of(dest_account)
        enabled = False
        if src_org is not None:
            enabled = (
                self.state.settings_for_org(src_org.id).settings.get("isCrossAccountBackupEnabled")
                == "true"
            )
        dest_vault = self.state.vault_by_arn(job.destination_vault_arn)
        vault_facts = None
        if dest_vault is not None:
            lock = dest_vault.lock
            vault_facts = VaultFacts(
                dest_vault.arn,
                dest_vault.access_policy,
                lock.min_retention_days if lock else None,
                lock.max_retention_days if lock else None,
            )
        role_policies = moto_view.identity_policies(job.iam_role_arn)
        if role_policies is None:  # role not created in the emulator: assume AWS's default
            doc = moto_view.aws_managed_policy_document(c.BACKUP_ROLE_MANAGED_POLICY)
            role_policies = [doc] if doc else []
        # the source key: the snapshot's key, or the source vault's key when fully managed
        key_ref: str | None
        if source_vault.logically_air_gapped:
            # every recovery point in a LAG vault is AWS Backup's, under the vault's key
            key_ref = source_vault.key_arn or None
        elif info.fully_managed:
            key_ref = source_vault.key_arn
        elif rp.storage != "backup" and rp.native_id:
            key_ref = native.native_snapshot_key(rp.account, rp.region, rp.storage, rp.native_id)
        else:
            key_ref = rp.encryption_key_arn
        source_key = None
        missing = False
        if key_ref:
            key = moto_view.find_key(key_ref, rp.account, rp.region)
            if key is None:
                missing = True
            else:
                source_key = self._facts(key)
        dest_key = None
        if dest_vault is not None and dest_vault.key_arn:
            key = moto_view.find_key(dest_vault.key_arn, dest_vault.account, dest_vault.region)
            dest_key = self._facts(key) if key is not None else None
        dest_lag = dest_vault is not None and dest_vault.logically_air_gapped
        key_org = moto_view.org_of(source_key.arn.split(":")[4]) if source_key else None
        retention = None
        if job.lifecycle and job.lifecycle.get("DeleteAfterDays") is not None:
            retention = int(job.lifecycle["DeleteAfterDays"])
        return CopyInputs(
            source_account=job.account,
            source_region=job.region,
            destination_account=dest_account,
            destination_region=dest_region,
            type=info,
            role_arn=job.iam_role_arn,
            role_policies=role_policies,
            source_org=OrgFacts(src_org.id, src_org.paths.get(job.account)) if src_org else None,
            destination_org=OrgFacts(dst_org.id, dst_org.paths.get(dest_account))
            if dst_org
            else None,
            cross_account_enabled=enabled,
            destination_vault=vault_facts,
            source_key=source_key,
            source_key_missing=missing,
            source_key_ref=key_ref,
            destination_key=dest_key,
            retention_days=retention,
            source_scps=src_org.scps.get(job.account, []) if src_org else [],
            source_key_rcps=key_org.rcps.get(source_key.arn.split(":")[4], [])
            if key_org and source_key
            else [],
            destination_vault_rcps=dst_org.rcps.get(dest_account, []) if dst_org else [],
            slr_policy=moto_view.slr_identity_policy(),
            destination_lag=dest_lag,
            source_lag=source_vault.logically_air_gapped,
            destination_lag_key=dest_key if dest_lag else None,
        )

    @staticmethod
    def _facts(key: Any) -> KeyFacts:
        return KeyFacts(
            arn=key.arn,
            manager=key.key_manager,
            state=key.key_state,
            policy=key.policy,
            aliases=tuple(sorted(key.aliases)),
        )

    def _materialize_copy(
        self, job: CopyJob, rp: RecoveryPoint, source_vault: Vault, dest_vault: Vault
    ) -> RecoveryPoint:
        """Create the destination's recovery point, encrypted with its vault's key."""
        da, dr = dest_vault.account, dest_vault.region
        key = moto_view.find_key(dest_vault.key_arn, da, dr) if dest_vault.key_arn else None
        key_arn = key.arn if key is not None else (dest_vault.key_arn or None)
        info = type_info(rp.resource_type)
        if dest_vault.logically_air_gapped:
            # stored by AWS Backup whatever the type: a backup recovery point ARN (facts 9)
            made = native.Protected(
                synthetic_recovery_point_arn(rp.resource_type, True, da, dr),
                key_arn,
                "backup",
                None,
                rp.size,
            )
        elif rp.storage == "ebs-snapshot" and rp.native_id:
            made = native.copy_ebs(rp.account, rp.region, rp.native_id, da, dr, key_arn)
        elif rp.storage == "rds-snapshot" and rp.native_id:
            made = native.copy_rds(rp.account, rp.region, rp.native_id, da, dr, key_arn)
        else:
            made = native.Protected(
                synthetic_recovery_point_arn(rp.resource_type, info.fully_managed, da, dr),
                key_arn,
                "backup",
                None,
                rp.size,
            )
        new_rp = RecoveryPoint(
            made.recovery_point_arn,
            da,
            dr,
            dest_vault.name,
            rp.resource_arn,
            rp.resource_type,
            job.iam_role_arn,
            key_arn,
            completion_date=now(),
            size=made.size or rp.size,
            lifecycle=job.lifecycle,
            source_vault_arn=source_vault.arn,
            resource_name=rp.resource_name,
            storage=made.storage,
            native_id=made.native_id,
        )
        self.state.recovery_points[(da, dr, new_rp.arn)] = new_rp
        return new_rp

    def _vault_type_of(self, arn: str) -> str:
        vault = self.state.vault_by_arn(arn)
        return vault.vault_type if vault is not None else "BACKUP_VAULT"

    def _copy_job_out(self, job: CopyJob) -> dict[str, Any]:
        return _drop_none(
            {
                "AccountId": job.account,
                "CopyJobId": job.id,
                "SourceBackupVaultArn": job.source_vault_arn,
                "SourceRecoveryPointArn": job.source_recovery_point_arn,
                "DestinationBackupVaultArn": job.destination_vault_arn,
                "DestinationVaultType": self._vault_type_of(job.destination_vault_arn),
                "DestinationVaultLockState": job.destination_vault_lock_state,
                "DestinationRecoveryPointArn": job.destination_recovery_point_arn,
                "DestinationEncryptionKeyArn": job.destination_encryption_key_arn,
                "DestinationRecoveryPointLifecycle": job.lifecycle,
                "ResourceArn": job.resource_arn,
                "CreationDate": job.creation_date,
                "CompletionDate": job.completion_date,
                "State": job.state,
                "StatusMessage": job.status_message,
                "BackupSizeInBytes": job.size,
                "IamRoleArn": job.iam_role_arn,
                "CreatedBy": job.created_by,
                "ResourceType": job.resource_type,
                "IsParent": False,
                "ResourceName": job.resource_name,
                "MessageCategory": job.message_category,
            }
        )

    def _can_see_job(self, job: CopyJob, account: str) -> bool:
        if account in (job.account, job.destination_account):
            return True
        org = moto_view.org_of(job.account)
        return org is not None and org.management_account == account

    def describe_copy_job(self, req: ApiRequest, job: str) -> ApiResponse:
        found = self.state.copy_jobs.get(job)
        if found is None or not self._can_see_job(found, req.account):
            raise _not_found(f"Copy job {job} not found")
        return ApiResponse.json({"CopyJob": self._copy_job_out(found)})

    def list_copy_jobs(self, req: ApiRequest) -> ApiResponse:
        by_account = req.q("accountId")
        accounts: set[str] | None
        if by_account and by_account != req.account:
            org = moto_view.org_of(req.account)
            if org is None or org.management_account != req.account:
                accounts = set()
            elif by_account in ("*", "ANY"):
                accounts = set(org.members)
            else:
                accounts = {by_account} & set(org.members)
        else:
            accounts = {req.account}
        jobs = [
            j
            for j in self.state.copy_jobs.values()
            if j.account in accounts and j.region == req.region
        ]
        state = req.q("state")
        category = req.q("messageCategory")
        filters: dict[str, Callable[[CopyJob], Any]] = {
            "resourceArn": lambda j: j.resource_arn,
            "resourceType": lambda j: j.resource_type,
            "destinationVaultArn": lambda j: j.destination_vault_arn,
            "sourceRecoveryPointArn": lambda j: j.source_recovery_point_arn,
        }
        for name, getter in filters.items():
            wanted = req.q(name)
            if wanted:
                jobs = [j for j in jobs if getter(j) == wanted]
        if state and state not in _ANY:
            jobs = [j for j in jobs if j.state == state]
        if category and category not in _ANY:
            jobs = [j for j in jobs if (j.message_category or "") == category]
        if req.q("parentJobId"):
            jobs = []
        before = _parse_time(req.q("createdBefore"), "ByCreatedBefore")
        after = _parse_time(req.q("createdAfter"), "ByCreatedAfter")
        cbefore = _parse_time(req.q("completeBefore"), "ByCompleteBefore")
        cafter = _parse_time(req.q("completeAfter"), "ByCompleteAfter")
        jobs = [
            j
            for j in jobs
            if (before is None or j.creation_date < before)
            and (after is None or j.creation_date > after)
            and (cbefore is None or (j.completion_date is not None and j.completion_date < cbefore))
            and (cafter is None or (j.completion_date is not None and j.completion_date > cafter))
        ]
        jobs.sort(key=lambda j: (-j.creation_date, j.id))
        page, token = _paginate(jobs, req)
        return ApiResponse.json(
            _drop_none({"CopyJobs": [self._copy_job_out(j) for j in page], "NextToken": token})
        )

    # -- tags --------------------------------------------------------------------------------

    def _taggable(self, req: ApiRequest, arn: str) -> dict[str, str]:
        vault = self.state.vault_by_arn(arn)
        if vault is not None and vault.account == req.account:
            return vault.tags
        for plan in self.state.plans.values():
            if plan.arn == arn and plan.account == req.account:
                return plan.tags
        raise _not_found(f"Resource {arn} not found")

    def list_tags(self, req: ApiRequest, arn: str) -> ApiResponse:
        return ApiResponse.json({"Tags": dict(self._taggable(req, arn))})

    def tag_resource(self, req: ApiRequest, arn: str) -> ApiResponse:
        tags = _required(req.json(), "Tags")
        if not isinstance(tags, dict):
            raise _invalid("Tags must be a map")
        self._taggable(req, arn).update({str(k): str(v) for k, v in tags.items()})
        return ApiResponse.json(None)

    def untag_resource(self, req: ApiRequest, arn: str) -> ApiResponse:
        keys = _required(req.json(), "TagKeyList")
        tags = self._taggable(req, arn)
        for key in keys:
            tags.pop(key, None)
        return ApiResponse.json(None)


def synthetic_recovery_point_arn(rtype: str, fully_managed: bool, account: str, region: str) -> str:
    """A recovery point ARN in the format AWS uses for ``rtype`` (facts 2.2)."""
    token = secrets.token_hex(8)
    if fully_managed:
        return f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}"
    if rtype in ("EBS", "Storage Gateway"):
        return f"arn:aws:ec2:{region}::snapshot/snap-{token}0"
    if rtype == "EC2":
        return f"arn:aws:ec2:{region}::image/ami-{token}0"
    if rtype == "RDS":
        return f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{uuid.uuid4()}"
    if rtype in ("Aurora", "DocumentDB", "Neptune"):
        return f"arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{uuid.uuid4()}"
    if rtype == "FSx":
        return f"arn:aws:fsx:{region}:{account}:backup/backup-{token}0"
    if rtype == "Redshift":
        return f"arn:aws:redshift:{region}:{account}:snapshot:resource/awsbackup:{uuid.uuid4()}"
    return f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}"

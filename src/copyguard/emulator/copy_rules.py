"""What AWS Backup checks before a copy job may complete, in AWS's order, with AWS's messages.

Pure logic over resolved inputs (no moto): the backup layer gathers the facts, this module
decides. Decisions about policies are made by copyguard's evaluator through ``Authorizer``.
"""

from __future__ import annotations

from typing import Any

from copyguard.emulator import constants as c
from copyguard.emulator.authz import ALLOWED, Authorizer
from copyguard.emulator.resource_types import TypeInfo
from copyguard.records import field, record

#: KMS actions the destination's AWSServiceRoleForBackup performs on the source key of a
#: type that is not fully managed (facts 1.3, 1.6). kms:Decrypt is left out on purpose: the
#: SLR's own policy never allows it, so requiring it would fail every copy; the cryptography
#: runs under grants created through EC2/RDS/FSx.
SOURCE_KEY_ACTIONS = (
    "kms:DescribeKey",
    "kms:CreateGrant",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKeyWithoutPlaintext",
)
#: For fully managed types the source key is the source vault's key and AWS Backup itself
#: does the work; which principal calls KMS is not documented (facts 1.3, UNCONFIRMED), so
#: only the key policy side is modelled, for the destination's SLR.
FULLY_MANAGED_SOURCE_KEY_ACTIONS = ("kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt")
GRANT_ACTIONS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})

_ALLOW_ALL_KMS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
}


@record(frozen=True)
class KeyFacts:
    arn: str
    manager: str  # CUSTOMER | AWS
    state: str
    policy: str
    aliases: tuple[str, ...] = ()

    @property
    def is_backup_default(self) -> bool:
        return self.manager == "AWS" and "alias/aws/backup" in self.aliases

    @property
    def is_ebs_default(self) -> bool:
        return self.manager == "AWS" and "alias/aws/ebs" in self.aliases


@record(frozen=True)
class OrgFacts:
    id: str
    path: str | None = None


@record(frozen=True)
class VaultFacts:
    arn: str
    access_policy: str | None
    lock_min: int | None = None
    lock_max: int | None = None


@record
class CopyInputs:
    source_account: str
    source_region: str
    destination_account: str
    destination_region: str
    type: TypeInfo
    role_arn: str
    role_policies: list[Any]
    source_org: OrgFacts | None
    destination_org: OrgFacts | None
    cross_account_enabled: bool
    destination_vault: VaultFacts | None
    #: the key of the recovery point's data: the snapshot's key (not fully managed) or the
    #: source vault's key (fully managed); None when the data is not encrypted
    source_key: KeyFacts | None
    #: True when the recovery point names a key that no longer exists
    source_key_missing: bool = False
    source_key_ref: str | None = None
    destination_key: KeyFacts | None = None
    retention_days: int | None = None
    source_scps: list[Any] = field(default_factory=list)
    source_key_rcps: list[Any] = field(default_factory=list)
    destination_vault_rcps: list[Any] = field(default_factory=list)
    #: the identity policy of the destination's AWSServiceRoleForBackup
    slr_policy: dict[str, Any] = field(default_factory=dict)
    #: logically air-gapped vaults (facts 9): the destination's, the source's, and the
    #: destination LAG vault's customer managed key (None: an AWS owned key)
    destination_lag: bool = False
    source_lag: bool = False
    destination_lag_key: KeyFacts | None = None


@record(frozen=True)
class Outcome:
    ok: bool
    message: str | None = None
    category: str = "SUCCESS"
    #: which rule decided (for logs and tests), e.g. "organization", "source-key"
    rule: str = "passed"


def _fail(rule: str, message: str, category: str = "AccessDenied") -> Outcome:
    return Outcome(False, message, category, rule)


def _key_message(inputs: CopyInputs) -> str:
    family = inputs.type.key_family
    if inputs.type.fully_managed or inputs.source_lag:
        return c.MSG_KMS_GENERIC
    if family == "ebs":
        return c.MSG_KEY_NOT_ACCESSIBLE
    if family == "rds":
        key = inputs.source_key.arn if inputs.source_key else (inputs.source_key_ref or "None")
        return c.MSG_RDS_KEY.format(key=key)
    return c.MSG_KMS_GENERIC


def slr_context(inputs: CopyInputs, action: str, via: str, region: str) -> dict[str, Any]:
    """The request context of a KMS call made by the destination's AWSServiceRoleForBackup."""
    dest = inputs.destination_account
    slr = c.slr_arn(dest)
    ctx: dict[str, Any] = {
        "kms:CallerAccount": dest,
        "aws:PrincipalAccount": dest,
        "aws:PrincipalArn": slr,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "true",
        "kms:ViaService": f"{via}.{region}.amazonaws.com",
    }
    if inputs.destination_org is not None:
        ctx["aws:PrincipalOrgID"] = inputs.destination_org.id
        if inputs.destination_org.path:
            ctx["aws:PrincipalOrgPaths"] = [inputs.destination_org.path]
    if action in GRANT_ACTIONS:
        ctx["kms:GrantIsForAWSResource"] = "true"
    return ctx


def required_source_key_actions(resource_type: str) -> tuple[str, ...]:
    """The evidenced minimum of copyguard.knowledge for the type, else SOURCE_KEY_ACTIONS."""
    try:
        from copyguard.knowledge import copy_requirements

        found = tuple(a.action for a in copy_requirements().minimum_actions(resource_type))
    except Exception:  # knowledge data unavailable: keep the built-in list
        found = ()
    return found or SOURCE_KEY_ACTIONS


def _source_key_allows(inputs: CopyInputs, authz: Authorizer, key: KeyFacts) -> bool:
    slr = c.slr_arn(inputs.destination_account)
    actions: tuple[str, ...]
    # a recovery point in a logically air-gapped vault is AWS Backup's whatever its type
    backup_owned = inputs.type.fully_managed or inputs.source_lag
    if backup_owned:
        actions = FULLY_MANAGED_SOURCE_KEY_ACTIONS
        identity = [_ALLOW_ALL_KMS]
    else:
        actions = required_source_key_actions(inputs.type.name)
        identity = [inputs.slr_policy]
    via = "backup" if inputs.source_lag else inputs.type.via_service
    for action in actions:
        decision = authz.kms(
            slr,
            action,
            key.arn,
            slr_context(inputs, action, via, inputs.source_region),
            key.policy,
            identity,
            scps=[],  # SCPs do not apply to service-linked roles
            rcps=inputs.source_key_rcps,
        )
        if decision != ALLOWED:
            return False
    return True


def _destination_key_usable(inputs: CopyInputs, authz: Authorizer, key: KeyFacts) -> bool:
    if key.state != "Enabled":
        return False
    if key.manager == "AWS":
        return True  # AWS managed keys always serve their own account
    slr = c.slr_arn(inputs.destination_account)
    actions = ["kms:DescribeKey"]
    if not inputs.type.fully_managed:
        actions.append("kms:CreateGrant")
    for action in actions:
        decision = authz.kms(
            slr,
            action,
            key.arn,
            slr_context(inputs, action, inputs.type.via_service, inputs.destination_region),
            key.policy,
            [inputs.slr_policy],
            scps=[],
            rcps=inputs.destination_vault_rcps,
        )
        if decision != ALLOWED:
            return False
    return True


def vault_policy_allows(inputs: CopyInputs, authz: Authorizer) -> bool:
    vault = inputs.destination_vault
    if vault is None:
        return False
    ctx: dict[str, Any] = {
        "aws:PrincipalAccount": inputs.source_account,
        "aws:PrincipalArn": inputs.role_arn,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
    }
    if inputs.source_org is not None:
        ctx["aws:PrincipalOrgID"] = inputs.source_org.id
        if inputs.source_org.path:
            ctx["aws:PrincipalOrgPaths"] = [inputs.source_org.path]
    decision = authz.resource(
        inputs.role_arn,
        "backup:CopyIntoBackupVault",
        vault.arn,
        ctx,
        vault.access_policy,
        inputs.role_policies,
        scps=inputs.source_scps,
        rcps=inputs.destination_vault_rcps,
    )
    return decision == ALLOWED


def _lag_messages() -> Any:
    from copyguard.knowledge.lag import lag_facts

    return lag_facts()


def copy_role_context(inputs: CopyInputs, action: str, region: str) -> dict[str, Any]:
    """The context of a KMS call AWS Backup makes for the copy job's role (LAG keys)."""
    account = inputs.role_arn.split(":")[4] if inputs.role_arn.count(":") >= 5 else ""
    ctx: dict[str, Any] = {
        "kms:CallerAccount": account,
        "aws:PrincipalAccount": account,
        "aws:PrincipalArn": inputs.role_arn,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "true",
        "kms:ViaService": f"backup.{region}.amazonaws.com",
    }
    if inputs.source_org is not None:
        ctx["aws:PrincipalOrgID"] = inputs.source_org.id
    if action in GRANT_ACTIONS:
        ctx["kms:GrantIsForAWSResource"] = "true"
    return ctx


#: what the copy role itself calls on a LAG vault's customer managed key (AWS's
#: least-privilege IAM policy for the role names exactly these two)
LAG_COPY_ROLE_ACTIONS = ("kms:DescribeKey", "kms:CreateGrant")


def _copy_role_denied(
    inputs: CopyInputs, authz: Authorizer, key: KeyFacts, region: str
) -> str | None:
    """The first action the copy role may not perform on a LAG key (key policy and its own
    IAM policies), or None."""
    for action in LAG_COPY_ROLE_ACTIONS:
        decision = authz.kms(
            inputs.role_arn,
            action,
            key.arn,
            copy_role_context(inputs, action, region),
            key.policy,
            inputs.role_policies,
            scps=inputs.source_scps,
            rcps=[],
        )
        if decision != ALLOWED:
            return action
    return None


def _lag_outcome(inputs: CopyInputs, authz: Authorizer) -> Outcome | None:
    """AWS Backup's checks for logically air-gapped vaults (facts 9), or None if they pass."""
    if not (inputs.destination_lag or inputs.source_lag):
        return None
    facts = _lag_messages()
    info = inputs.type
    if inputs.destination_lag and not info.fully_managed:
        key = inputs.source_key
        if key is not None and key.manager == "AWS":
            return _fail(
                "lag-aws-managed-key", facts.messages["aws_managed_key"], "InvalidParameters"
            )
        unsupported = {t.lower() for t in facts.unencrypted_not_supported}
        if key is None and not inputs.source_key_missing and info.name.lower() in unsupported:
            return _fail("lag-type", facts.messages["type_not_supported"], "InvalidParameters")
    checks: list[tuple[KeyFacts, str]] = []
    if inputs.destination_lag and inputs.destination_lag_key is not None:
        checks.append((inputs.destination_lag_key, inputs.destination_region))
    if (
        inputs.source_lag
        and inputs.source_key is not None
        and inputs.source_key.manager == "CUSTOMER"
    ):
        checks.append((inputs.source_key, inputs.source_region))
    for key, region in checks:
        if key.state != "Enabled":
            return _fail("lag-key", c.MSG_KMS_GENERIC)
        denied = _copy_role_denied(inputs, authz, key, region)
        if denied is not None:
            return _fail(
                "lag-key",
                facts.messages["kms_denied"].format(principal=inputs.role_arn, action=denied),
            )
    return None


def evaluate_copy(inputs: CopyInputs, authz: Authorizer) -> Outcome:
    """Run AWS Backup's copy checks in order; the first failure decides the status message."""
    cross_account = inputs.source_account != inputs.destination_account
    cross_region = inputs.source_region != inputs.destination_region
    info = inputs.type

    if cross_account:
        # 1. organization membership
        src, dst = inputs.source_org, inputs.destination_org
        if src is None or dst is None or src.id != dst.id:
            return _fail("organization", c.MSG_NOT_SAME_ORG)
        # 2. the organization's cross-account setting
        if not inputs.cross_account_enabled:
            return _fail("cross-account-setting", c.MSG_XACCT_DISABLED)
        # 3. the destination vault's access policy (and the copy role's own policy)
        if not vault_policy_allows(inputs, authz):
            return _fail("vault-access-policy", c.MSG_ACCESS_DENIED)
        # 4. resource type support
        if not info.cross_account:
            return _fail(
                "resource-type",
                c.MSG_FEATURE_NOT_SUPPORTED_ACCOUNTS.format(label=info.label),
                "InvalidParameters",
            )
        if cross_region and not info.cross_region_and_account:
            return _fail(
                "resource-type",
                c.MSG_FEATURE_NOT_SUPPORTED_REGIONS.format(
                    source=inputs.source_region,
                    destination=inputs.destination_region,
                    label=info.label,
                ),
                "InvalidParameters",
            )
        # 4b. logically air-gapped vaults: what they accept, and their keys
        lag = _lag_outcome(inputs, authz)
        if lag is not None:
            return lag
        # 5. the destination vault's key type
        if (
            not info.fully_managed
            and inputs.destination_key is not None
            and inputs.destination_key.is_backup_default
        ):
            return _fail("destination-vault-key", c.MSG_DEFAULT_VAULT_KEY, "InvalidParameters")
        # 6. the source key
        key = inputs.source_key
        if inputs.source_key_missing:
            return _fail("source-key", _key_message(inputs))
        if key is not None:
            if key.manager == "AWS":
                if not info.fully_managed:
                    if info.key_family == "ebs" and key.is_ebs_default:
                        return _fail("source-key", c.MSG_EBS_DEFAULT_KEY, "InvalidParameters")
                    return _fail("source-key", c.MSG_AWS_MANAGED_SNAPSHOT, "InvalidParameters")
            elif key.state != "Enabled" or not _source_key_allows(inputs, authz, key):
                return _fail("source-key", _key_message(inputs))
        # 7. the destination vault's key must be usable by the destination's Backup role
        if inputs.destination_key is not None and not _destination_key_usable(
            inputs, authz, inputs.destination_key
        ):
            return _fail("destination-key", c.MSG_KMS_GENERIC)
    else:
        if inputs.destination_vault is None:
            return _fail("destination-vault", c.MSG_ACCESS_DENIED)
        lag = _lag_outcome(inputs, authz)
        if lag is not None:
            return lag
        if inputs.source_key is not None and inputs.source_key.state != "Enabled":
            return _fail("source-key", _key_message(inputs))
        if inputs.destination_key is not None and inputs.destination_key.state != "Enabled":
            return _fail("destination-key", c.MSG_KMS_GENERIC)

    # 8. Vault Lock retention range
    vault = inputs.destination_vault
    if vault is not None and (vault.lock_min is not None or vault.lock_max is not None):
        from copyguard.emulator.backup_models import VaultLock

        lock = VaultLock(vault.lock_min, vault.lock_max)
        if not lock.allows(inputs.retention_days):
            if inputs.destination_lag:
                message = _lag_messages().messages["lifecycle_out_of_range"]
                return _fail("vault-lock", message, "InvalidParameters")
            return _fail("vault-lock", c.MSG_RETENTION, "InvalidParameters")
    return Outcome(True)

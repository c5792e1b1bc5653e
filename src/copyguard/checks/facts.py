"""The knowledge the checks need, in the shape they need it (one adapter over knowledge/)."""

from __future__ import annotations

from functools import cache

from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SLR_TEMPLATE = (
    "arn:aws:iam::{account}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
)

# The seed article's list (ListGrant read as ListGrants) plus kms:GenerateDataKey.
USE_ACTIONS: tuple[str, ...] = (
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
)
GRANT_ACTIONS: tuple[str, ...] = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
REQUIRED_ACTIONS: tuple[str, ...] = USE_ACTIONS + GRANT_ACTIONS

# The seed article's statements, as AWS writes them.
SEED_USE_ACTIONS = [
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
]
SEED_GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
SEED_USE_SID = "Allow use of the key"
SEED_GRANT_SID = "Allow attachment of persistent resources"

# Condition keys KMS puts only in the requests of some actions (the knowledge layer's
# kms.yaml says the same; a test keeps the two in agreement). A copy's request for any other
# action never carries them. Consulted before the knowledge layer, to keep the quick form fast.
ACTION_SPECIFIC_KEYS: dict[str, frozenset[str]] = {
    "kms:grantisforawsresource": frozenset(
        {"kms:creategrant", "kms:listgrants", "kms:revokegrant"}
    ),
    "kms:grantoperations": frozenset({"kms:creategrant"}),
    "kms:granteeprincipal": frozenset({"kms:creategrant"}),
    "kms:retiringprincipal": frozenset({"kms:creategrant"}),
    "kms:grantconstrainttype": frozenset({"kms:creategrant"}),
}

# Cross-account-capable KMS actions a copy does not need (CG107 probes these).
EXTRA_CROSS_ACCOUNT_ACTIONS: tuple[str, ...] = (
    "kms:Sign",
    "kms:Verify",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:GetPublicKey",
    "kms:DeriveSharedSecret",
    "kms:RetireGrant",
    "kms:GetKeyRotationStatus",
)
ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:CreateAlias",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
)

# Fallback when a type is not in the knowledge base: the service whose kms:ViaService the
# copy's calls carry (facts 1.6: the destination SLR policy allows ec2, rds, fsx).
_VIA = {
    "ebs": "ec2",
    "ec2": "ec2",
    "rds": "rds",
    "aurora": "rds",
    "documentdb": "rds",
    "neptune": "rds",
    "fsx": "fsx",
    "storage gateway": "ec2",
}


# The quick form without --key-arn: the key's ID (and its Region) is not known. Checks and
# the evaluator still need an ARN in the source account; renderers print KEY_ARN instead.
PLACEHOLDER_KEY_ID = "KEY_ID"
PLACEHOLDER_KEY_ARN = "KEY_ARN"
PLACEHOLDER_REGION = "REGION"


def placeholder_key_arn(account: str, region: str = PLACEHOLDER_REGION) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{PLACEHOLDER_KEY_ID}"


def is_placeholder_key(arn: object) -> bool:
    return isinstance(arn, str) and arn.endswith(f":key/{PLACEHOLDER_KEY_ID}")


def slr_arn(account: str) -> str:
    return SLR_TEMPLATE.format(account=account)


@record(frozen=True, slots=True)
class TypeFacts:
    name: str
    known: bool
    fully_managed: Any  # True | False | "depends" | "unconfirmed"
    cross_account_copy: Any  # True | False | "unconfirmed"
    single_cross_region_account: Any
    aws_managed_alias: str | None
    via_service: str | None
    note: str
    sources: tuple[str, ...]


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


@cache
def type_facts(name: str) -> TypeFacts:
    info: Any = None
    try:
        from copyguard.knowledge import resource_type

        info = resource_type(name)
    except ImportError:  # knowledge layer not installed: fall back to what the checks know
        info = None
    if info is None:
        return TypeFacts(
            name,
            False,
            "unconfirmed",
            "unconfirmed",
            "unconfirmed",
            None,
            _VIA.get(name.lower()),
            "",
            (),
        )
    return TypeFacts(
        name=str(_get(info, "name", default=name)),
        known=True,
        # a composite whose own recovery point the vault key encrypts (CloudFormation) has no
        # full-management tick, but its source key is the vault's, as for a fully managed type
        fully_managed=True
        if _get(info, "composite", default=False) and _get(info, "source_key") == "vault"
        else _get(info, "fully_managed", default="unconfirmed"),
        cross_account_copy=_get(info, "cross_account_copy", default="unconfirmed"),
        single_cross_region_account=_get(
            info, "cross_region_and_account_single_copy", default="unconfirmed"
        ),
        aws_managed_alias=_get(info, "aws_managed_key_alias", default=None),
        via_service=_get(info, "via_service", default=_VIA.get(name.lower())),
        note=str(_get(info, "note", default="") or ""),
        sources=tuple(_get(info, "sources", default=()) or ()),
    )

"""Read-side helpers over moto's in-process backends: who is calling, what IAM, KMS and
Organizations say about an account. Every function here reads moto state directly."""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from typing import Any

from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.organizations.models import organizations_backends

from copyguard.emulator.constants import SLR_MANAGED_POLICY
from copyguard.records import field, record

PARTITION = "aws"

_AWS_MANAGED_KEY_SERVICES = {
    "aws/ebs": "ec2",
    "aws/rds": "rds",
    "aws/backup": "backup",
    "aws/elasticfilesystem": "elasticfilesystem",
    "aws/s3": "s3",
    "aws/dynamodb": "dynamodb",
    "aws/fsx": "fsx",
    "aws/redshift": "redshift",
    "aws/lambda": "lambda",
    "aws/secretsmanager": "secretsmanager",
    "aws/sns": "sns",
    "aws/sqs": "sqs",
}


@record(frozen=True)
class Caller:
    """The principal behind an access key."""

    account: str
    arn: str  # IAM user or role ARN (for a role session: the role's ARN)
    session_arn: str  # what STS GetCallerIdentity would say
    access_key: str


# --- callers and IAM ------------------------------------------------------------------------


def caller_for_access_key(access_key: str) -> Caller | None:
    """The account and principal that own ``access_key``, or None if no account knows it."""
    for account_id, by_partition in list(iam_backends.items()):
        backend = by_partition.get(PARTITION, None)
        if backend is None:
            continue
        key = backend.access_keys.get(access_key)
        if key is None:
            continue
        if key.user_name:
            try:
                user = backend.get_user(key.user_name)
                arn = user.arn
            except Exception:
                arn = f"arn:aws:iam::{account_id}:user/{key.user_name}"
            return Caller(account_id, arn, arn, access_key)
        role_arn = getattr(key, "role_arn", None)
        if role_arn:
            name = role_arn.rsplit("/", 1)[-1]
            session = f"arn:aws:sts::{account_id}:assumed-role/{name}/session"
            return Caller(account_id, role_arn, session, access_key)
        root = f"arn:aws:iam::{account_id}:root"
        return Caller(account_id, root, root, access_key)
    return None


@record(frozen=True)
class IssuedKey:
    """An access key the emulator (or moto's STS on its behalf) issued, with its secret."""

    caller: Caller
    secret: str
    session_token: str | None  # temporary credentials only
    active: bool


def issued_key(access_key: str) -> IssuedKey | None:
    """The principal, secret and session token of ``access_key`` (None: never issued).

    The profiles' static keys and every key moto's IAM or STS handed out live in the IAM
    backend of their account; an assumed role's session token lives with moto's STS.
    """
    caller = caller_for_access_key(access_key)
    if caller is None:
        return None
    key = _iam(caller.account).access_keys.get(access_key)
    secret = getattr(key, "secret_access_key", None)
    if not isinstance(secret, str) or not secret:
        return None
    token: str | None = None
    if getattr(key, "role_arn", None) or access_key.startswith("ASIA"):
        from moto.sts.models import sts_backends

        assumed = sts_backends[caller.account][PARTITION].get_assumed_role_from_access_key(
            access_key
        )
        # a temporary key without its session is unusable, as in AWS
        token = getattr(assumed, "session_token", None) or ""
    return IssuedKey(caller, secret, token, getattr(key, "status", "Active") == "Active")


def _iam(account: str) -> Any:
    return iam_backends[account][PARTITION]


def _doc(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return raw
    text = str(raw)
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except ValueError:
        try:
            return json.loads(urllib.parse.unquote(text))  # type: ignore[no-any-return]
        except ValueError:
            return None


def _managed_document(policy: Any) -> dict[str, Any] | None:
    versions = getattr(policy, "versions", []) or []
    for version in versions:
        if getattr(version, "version_id", None) == getattr(policy, "default_version_id", None):
            return _doc(version.document)
    for version in versions:
        if getattr(version, "is_default", False):
            return _doc(version.document)
    return None


def aws_managed_policy_document(name: str) -> dict[str, Any] | None:
    """An AWS managed policy's document, from the copy moto ships."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    entry = data.get(name)
    if not entry:
        return None
    return entry.get("Document")  # type: ignore[no-any-return]


_SLR_POLICY: dict[str, Any] | None = None


def slr_identity_policy() -> dict[str, Any]:
    """AWSBackupServiceLinkedRolePolicyForBackup, the identity policy of the Backup SLR."""
    global _SLR_POLICY
    if _SLR_POLICY is None:
        doc = aws_managed_policy_document(SLR_MANAGED_POLICY)
        if doc is None:  # pragma: no cover - moto ships it; keep the KMS part if not
            doc = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": [
                            "kms:ListGrants",
                            "kms:ReEncryptFrom",
                            "kms:GenerateDataKeyWithoutPlaintext",
                        ],
                        "Resource": "*",
                        "Condition": {
                            "StringLike": {
                                "kms:ViaService": [
                                    "ec2.*.amazonaws.com",
                                    "rds.*.amazonaws.com",
                                    "fsx.*.amazonaws.com",
                                ]
                            }
                        },
                    },
                    {
                        "Effect": "Allow",
                        "Action": "kms:CreateGrant",
                        "Resource": "*",
                        "Condition": {
                            "Bool": {"kms:GrantIsForAWSResource": "true"},
                            "StringLike": {
                                "kms:ViaService": [
                                    "ec2.*.amazonaws.com",
                                    "rds.*.amazonaws.com",
                                    "fsx.*.amazonaws.com",
                                ]
                            },
                        },
                    },
                ],
            }
        _SLR_POLICY = doc
    return _SLR_POLICY


def find_role(arn: str) -> Any | None:
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    if account not in iam_backends:
        return None
    try:
        return _iam(account).get_role_by_arn(arn)
    except Exception:
        return None


def find_user(arn: str) -> Any | None:
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    if account not in iam_backends:
        return None
    name = arn.rsplit("/", 1)[-1]
    try:
        user = _iam(account).get_user(name)
    except Exception:
        return None
    return user if user.arn == arn else None


def identity_policies(principal_arn: str) -> list[dict[str, Any]] | None:
    """The identity policies of an IAM user or role (inline, attached, via groups).

    None when the principal does not exist in moto's IAM.
    """
    entity = find_role(principal_arn) if ":role/" in principal_arn else find_user(principal_arn)
    if entity is None:
        return None
    docs: list[dict[str, Any]] = []
    holders = [entity]
    if ":user/" in principal_arn:
        account = principal_arn.split(":")[4]
        with contextlib.suppress(Exception):
            holders.extend(_iam(account).get_groups_for_user(entity.name))
    for holder in holders:
        for raw in (getattr(holder, "policies", {}) or {}).values():
            doc = _doc(raw)
            if doc is not None:
                docs.append(doc)
        for policy in (getattr(holder, "managed_policies", {}) or {}).values():
            doc = _managed_document(policy)
            if doc is not None:
                docs.append(doc)
    return docs


def iam_principal_exists(arn: str) -> bool | None:
    """Whether an IAM principal ARN names something that exists.

    None when the account is not one moto knows (cannot tell); True for forms that need no
    entity (account root, sessions, federated users).
    """
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return False
    _, _, service, _, account, resource = parts
    if account not in iam_backends:
        return None
    if service == "sts" or resource == "root":
        return True
    if service != "iam":
        return False
    if resource.startswith("role/"):
        return find_role(arn) is not None
    if resource.startswith("user/"):
        return find_user(arn) is not None
    return True


# --- Organizations --------------------------------------------------------------------------


@record(frozen=True)
class OrgView:
    id: str
    management_account: str
    members: frozenset[str]
    paths: dict[str, str] = field(default_factory=dict)
    scps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rcps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _org_backend(account: str) -> Any | None:
    if account in organizations_backends.master_accounts:
        master, partition = organizations_backends.master_accounts[account]
        return organizations_backends[master][partition]
    if account in organizations_backends:
        backend = organizations_backends[account][PARTITION]
        if backend.org is not None:
            return backend
    return None


#: the last view of each organization, with the signature of the state it was made from
_ORG_VIEWS: dict[int, tuple[Any, OrgView]] = {}


def _org_signature(backend: Any) -> Any:
    """What an OrgView depends on: accounts, OUs, attachments, policy texts, enabled types.
    Cheap next to building the view (an organization of hundreds of accounts is asked on
    every copy job and every cross-account key use)."""
    return (
        id(backend.org),
        backend.org.id,
        tuple(
            (a.id, a.parent_id, getattr(a, "status", "ACTIVE"), tuple(map(id, a.attached_policies)))
            for a in backend.accounts
        ),
        tuple(
            (
                ou.id,
                ou.parent_id,
                tuple(map(id, ou.attached_policies)),
                repr(getattr(ou, "policy_types", None)),
            )
            for ou in backend.ou
        ),
        tuple((id(p), p.type, p.content) for p in backend.policies),
    )


def forget_org_views() -> None:
    _ORG_VIEWS.clear()


def org_of(account: str) -> OrgView | None:
    """The organization ``account`` is an active member of (or manages), else None."""
    backend = _org_backend(account)
    if backend is None or backend.org is None:
        return None
    signature = _org_signature(backend)
    cached = _ORG_VIEWS.get(id(backend))
    if cached is not None and cached[0] == signature:
        view = cached[1]
    else:
        view = _org_view(backend)
        _ORG_VIEWS[id(backend)] = (signature, view)
    return view if account in view.members else None


def ou_chain(units: dict[str, Any], account: Any) -> list[Any]:
    """The root and OUs above ``account`` in moto's organization, root first (``units``: OU
    and root ID -> unit; at most 10 levels, as AWS allows 5 below the root)."""
    chain: list[Any] = []
    parent = units.get(account.parent_id)
    guard = 0
    while parent is not None and guard < 10:
        chain.append(parent)
        parent = units.get(parent.parent_id) if parent.type != "ROOT" else None
        guard += 1
    chain.reverse()
    return chain


def _org_view(backend: Any) -> OrgView:
    org = backend.org
    active = {a.id for a in backend.accounts if getattr(a, "status", "ACTIVE") == "ACTIVE"}
    active.add(org.master_account_id)
    units = {ou.id: ou for ou in backend.ou}
    root = units.get(org.root_id)
    enabled = {
        t.get("Type")
        for t in (getattr(root, "policy_types", []) or [])
        if t.get("Status") == "ENABLED"
    }
    paths: dict[str, str] = {}
    scps: dict[str, list[dict[str, Any]]] = {}
    rcps: dict[str, list[dict[str, Any]]] = {}
    for acct in backend.accounts:
        chain = ou_chain(units, acct)
        paths[acct.id] = org.id + "/" + "".join(f"{u.id}/" for u in chain)
        if acct.id == org.master_account_id:
            continue  # SCPs and RCPs never apply to the management account
        for kind, target in (
            ("SERVICE_CONTROL_POLICY", scps),
            ("RESOURCE_CONTROL_POLICY", rcps),
        ):
            if kind not in enabled:
                continue
            levels: list[dict[str, Any]] = []
            for holder in [*chain, acct]:
                statements: list[Any] = []
                for policy in holder.attached_policies:
                    if policy.type != kind:
                        continue
                    doc = _doc(policy.content) or {}
                    stmts = doc.get("Statement", [])
                    statements.extend(stmts if isinstance(stmts, list) else [stmts])
                levels.append({"Version": "2012-10-17", "Statement": statements})
            target[acct.id] = levels
    return OrgView(
        id=org.id,
        management_account=org.master_account_id,
        members=frozenset(active),
        paths=paths,
        scps=scps,
        rcps=rcps,
    )


# --- KMS ------------------------------------------------------------------------------------


@record(frozen=True)
class KeyView:
    arn: str
    account: str
    region: str
    key_id: str
    manager: str
    state: str
    policy: str
    aliases: tuple[str, ...]

    @property
    def is_backup_default(self) -> bool:
        return self.manager == "AWS" and "alias/aws/backup" in self.aliases


def _kms(account: str, region: str) -> Any:
    return kms_backends[account][region]


def find_key(ref: str, account: str, region: str) -> Any | None:
    """Resolve a key ARN, alias ARN, key ID or alias name to a moto Key (or None).

    A bare key ID or alias name is resolved in ``account``/``region``, as KMS does.
    """
    if ref.startswith("arn:"):
        parts = ref.split(":", 5)
        if len(parts) != 6:
            return None
        region, account, resource = parts[3], parts[4], parts[5]
        ref = resource if resource.startswith("alias/") else resource.split("/", 1)[-1]
    if not account or not account.isdigit():
        return None
    by_region = kms_backends[account]
    if region not in by_region.regions:
        return None
    backend = by_region[region]
    if ref.startswith("alias/"):
        key_id = None
        for key in backend.keys.values():
            if ref in key.aliases:
                key_id = key.id
                break
        if key_id is None:
            return None
        ref = key_id
    return backend.keys.get(ref)


def key_view(key: Any) -> KeyView:
    return KeyView(
        arn=key.arn,
        account=key.account_id,
        region=key.region,
        key_id=key.id,
        manager=key.key_manager,
        state=key.key_state,
        policy=key.policy,
        aliases=tuple(sorted(key.aliases)),
    )


def aws_managed_key_policy(alias: str, account: str, region: str) -> str:
    service = _AWS_MANAGED_KEY_SERVICES.get(alias.removeprefix("alias/"), alias.split("/")[-1])
    label = service.upper() if len(service) <= 3 else service.capitalize()
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{alias.split('/')[-1]}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {label} for all principals in the account "
                    f"that are authorized to use {label}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        },
        indent=2,
    )


def mark_aws_managed(key: Any, alias: str) -> None:
    """Make a moto key look like an AWS managed key (KeyManager AWS, AWS's policy shape)."""
    if key.key_manager == "AWS":
        return
    key.key_manager = "AWS"
    key.policy = aws_managed_key_policy(alias, key.account_id, key.region)
    if not key.description or key.description == "Default key":
        service = alias.split("/")[-1]
        key.description = (
            f"Default key that protects my {service.upper()} data when no other key is defined"
        )


def fix_aws_managed_keys(account: str | None = None) -> None:
    """Moto creates ``alias/aws/*`` keys lazily as customer managed keys; fix them up."""
    for acct, by_region in list(kms_backends.items()):
        if account is not None and acct != account:
            continue
        for backend in list(by_region.values()):
            for key in list(backend.keys.values()):
                if key.key_manager == "AWS":
                    continue
                for alias in key.aliases:
                    if alias.startswith("alias/aws/"):
                        mark_aws_managed(key, alias)
                        break


def aws_managed_key(account: str, region: str, alias: str) -> Any:
    """The AWS managed key behind ``alias`` (``alias/aws/backup`` ...), created if needed."""
    backend = _kms(account, region)
    key_id = backend.get_key_id_from_alias(alias)
    if key_id is None:  # not a reserved alias: create it ourselves
        key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
        backend.create_alias(key.id, alias)
        key_id = key.id
    key = backend.keys[key_id]
    mark_aws_managed(key, alias)
    return key

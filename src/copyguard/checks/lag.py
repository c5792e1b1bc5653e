"""CG206-CG210: copies into and out of logically air-gapped (LAG) vaults (facts section 9).

A LAG vault is recognised by the vault, never by a recovery point ARN: every recovery point
in one has an ``arn:aws:backup:...:recovery-point:...`` ARN, whatever the resource type. A
vault whose ``vault_type`` is omitted reads as a standard vault unless its key is
``aws-owned`` (only LAG vaults have one); a failed job whose message speaks of a logically
air-gapped vault then makes the omitted type a CG902.

Copies into a LAG vault also run in the same account, so these checks do not stop at
"not cross-account" as the CG1xx/CG2xx ones do.
"""

from __future__ import annotations

from copyguard.checks.analysis import allow_all_identity
from copyguard.checks.base import CheckContext, unknown
from copyguard.checks.facts import slr_arn, type_facts
from copyguard.checks.model import Finding, FixRef, Text, tr
from copyguard.checks.source_key import key_is_aws_managed
from copyguard.evaluate import Request, evaluate_kms
from copyguard.knowledge.lag import LagFacts, LagKeyStatement, lag_facts
from copyguard.policy import Policy
from copyguard.records import record
from copyguard.scenario import (
    AWS_OWNED_KEY,
    UNKNOWN,
    Key,
    Lifecycle,
    Organization,
    Vault,
    VaultLock,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

CODES = ("CG206", "CG207", "CG208", "CG209", "CG210")  # and CG204 for the LAG lock minimum
_LAG_WORDS = ("logically air-gapped", "logically air gapped", "air-gapped")


@record(frozen=True, slots=True)
class KeyRequest:
    """One request a LAG copy makes on a LAG vault's customer managed key."""

    principal: str
    action: str
    context: dict[str, str | list[str]]
    who: str  # "copy-role" | "destination-slr"


def via_backup(region: str) -> str:
    return f"backup.{region}.amazonaws.com"


def key_requests(
    principal: str,
    who: str,
    statements: Iterable[LagKeyStatement],
    key_region: str,
    org_id: str | None,
) -> list[KeyRequest]:
    """The requests ``principal`` makes on a LAG key: AWS Backup calls KMS for it, so each
    request carries ``kms:ViaService = backup.REGION.amazonaws.com`` (the key's Region)."""
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    out: list[KeyRequest] = []
    for st in statements:
        for action in st.actions:
            ctx: dict[str, str | list[str]] = {
                "kms:CallerAccount": account,
                "aws:PrincipalAccount": account,
                "aws:PrincipalArn": principal,
                "aws:PrincipalType": "AssumedRole",
                "aws:PrincipalIsAWSService": "false",
                "aws:ViaAWSService": "true",
                "kms:ViaService": via_backup(key_region),
            }
            if action in ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"):
                ctx["kms:GrantIsForAWSResource"] = "true"
            if org_id:
                ctx["aws:PrincipalOrgID"] = org_id
            out.append(KeyRequest(principal, action, ctx, who))
    return out


def judge_requests(key_arn: str, policy: Policy, requests: Iterable[KeyRequest]) -> dict[str, str]:
    """action -> decision for every request that the key policy does not allow (the caller's
    own IAM side is assumed to allow: it is the user's role, not the key policy)."""
    identity = [allow_all_identity()]
    failing: dict[str, str] = {}
    for r in requests:
        d = evaluate_kms(Request(r.principal, r.action, key_arn, r.context), policy, identity)
        if not d.allowed:
            failing[r.action] = d.decision
    return failing


def _org_id(ctx: CheckContext) -> str | None:
    org = ctx.scenario.organization
    return org.id if isinstance(org, Organization) and isinstance(org.id, str) else None


def _mentions_lag(message: str | None) -> bool:
    low = (message or "").lower()
    return any(w in low for w in _LAG_WORDS)


def check_lag(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    sc = ctx.scenario
    dest = sc.vault(copy.destination_vault)
    src = sc.vault(copy.source_vault)
    into = dest is not None and dest.logically_air_gapped
    out = src is not None and src.logically_air_gapped
    if not into and not out:
        if _mentions_lag(copy.status_message):
            # the job's message speaks of a LAG vault, but no vault says it is one
            for vault, field in ((dest, "destination_vault"), (src, "source_vault")):
                if vault is None or vault.vault_type is UNKNOWN:
                    yield unknown(
                        ctx,
                        tr(
                            "The copy job's message is about a logically air-gapped vault, but the "
                            f"type of its {field.replace('_', ' ')} is not given (vault_type).",
                            "复制作业的消息涉及逻辑隔离保管库,但未提供其"
                            f"{'目标' if field == 'destination_vault' else '源'}保管库的类型(vault_type)。",
                        ),
                        "CG206",
                        f"{vault.path}.vault_type" if vault is not None else f"{copy.path}.{field}",
                        vault.arn if vault is not None else None,
                    )
        return
    facts = lag_facts()
    if into and dest is not None:
        yield from _copy_in(ctx, dest, facts, from_lag=out)
    if out and src is not None:
        yield from _copy_out(ctx, src, dest, facts)


# -- into a LAG vault ---------------------------------------------------------------------------


def _copy_in(
    ctx: CheckContext, vault: Vault, facts: LagFacts, from_lag: bool = False
) -> Iterable[Finding]:
    yield from _regions(ctx, vault, facts)
    if not from_lag:  # out of a LAG vault, the data is already AWS Backup's, under its key
        yield from _resource_encryption(ctx, vault, facts)
    yield from _lag_key_for_copy_role(ctx, vault, facts, "destination")
    yield from _lag_retention(ctx, vault, facts)


def _regions(ctx: CheckContext, vault: Vault, facts: LagFacts) -> Iterable[Finding]:
    copy = ctx.copy
    region = vault.region
    src_region = copy.source_region
    refs = list(facts.urls("regions"))
    missing = facts.region_without_lag(region)
    if missing is not None:
        yield _cg209(
            ctx,
            vault,
            tr(
                f"Logically air-gapped vaults are not available in {missing.name} ({region}), so "
                f"{vault.arn} cannot receive copies there.",
                f"{missing.name}({region})不提供逻辑隔离保管库,{vault.arn} 无法在该区域接收副本。",
            ),
            {"region": region, "reason": "no-lag-vaults", "references": refs},
        )
        return
    crossing = (src_region is not None and src_region != region) or ctx.cross_account
    blocked = facts.region_without_cross_copies(region)
    if crossing and blocked is not None:
        yield _cg209(
            ctx,
            vault,
            tr(
                f"Cross-Region and cross-account copies to a logically air-gapped vault are not "
                f"available in {blocked.name} ({region}); copy within the account and Region, or "
                "to a LAG vault in another Region.",
                f"在 {blocked.name}({region})无法向逻辑隔离保管库进行跨区域或跨账户复制;"
                "请在同一账户和区域内复制,或复制到其他区域的逻辑隔离保管库。",
            ),
            {"region": region, "reason": "no-cross-copies", "references": refs},
        )
    yield from _cross_region_type(ctx, vault, facts, src_region, region)


def _cross_region_type(
    ctx: CheckContext, vault: Vault, facts: LagFacts, src_region: str | None, dst_region: str | None
) -> Iterable[Finding]:
    copy = ctx.copy
    if src_region is None or dst_region is None or src_region == dst_region:
        return
    rt = copy.resource_type
    if not isinstance(rt, str):
        yield unknown(
            ctx,
            tr(
                "The resource type is unknown (resource_type); cross-Region copies to or from a "
                "logically air-gapped vault are unavailable for some types.",
                "资源类型未知(resource_type);某些资源类型无法跨区域复制到逻辑隔离保管库或从中复制。",
            ),
            "CG209",
            f"{copy.path}.resource_type",
        )
        return
    name = type_facts(rt).name
    if name.lower() in {t.lower() for t in facts.no_cross_region}:
        yield _cg209(
            ctx,
            vault,
            tr(
                f"Cross-Region copies to or from a logically air-gapped vault are not available for "
                f"{name} ({src_region} to {dst_region}).",
                f"{name} 无法跨区域复制到逻辑隔离保管库或从中复制({src_region} 到 {dst_region})。",
            ),
            {
                "resource_type": name,
                "source_region": src_region,
                "destination_region": dst_region,
                "reason": "type-no-cross-region",
            },
        )


def _cg209(ctx: CheckContext, vault: Vault, message: Text, evidence: dict[str, Any]) -> Finding:
    return _vault_finding(
        "CG209", ctx, vault, message, evidence, f"{ctx.copy.path}.destination_vault"
    )


def _resource_encryption(ctx: CheckContext, vault: Vault, facts: LagFacts) -> Iterable[Finding]:
    copy = ctx.copy
    rt = copy.resource_type
    if not isinstance(rt, str):
        yield unknown(
            ctx,
            tr(
                f"The resource type is unknown (resource_type), so whether it can be copied into "
                f"the logically air-gapped vault {vault.arn} is unknown.",
                f"资源类型未知(resource_type),无法判断它能否复制到逻辑隔离保管库 {vault.arn}。",
            ),
            "CG206",
            f"{copy.path}.resource_type",
        )
        return
    tf = type_facts(rt)
    if tf.fully_managed is True:
        return  # backed by the vault's key: any key the source vault has will do
    key_arn = copy.resource_key
    if key_arn is UNKNOWN:
        if tf.fully_managed is False or tf.name.lower() in _lower(facts.unencrypted_not_supported):
            yield unknown(
                ctx,
                tr(
                    f"The resource's key (resource_key) is unknown: {tf.name} is not fully managed "
                    "by AWS Backup, and a logically air-gapped vault refuses copies of such "
                    "resources on an AWS managed key.",
                    f"资源的密钥(resource_key)未知:{tf.name} 不受 AWS Backup 全面管理,"
                    "逻辑隔离保管库不接受使用 AWS 托管密钥的此类资源的副本。",
                ),
                "CG206",
                f"{copy.path}.resource_key",
            )
        return
    if key_arn is None:
        if tf.name.lower() in _lower(facts.unencrypted_not_supported):
            yield _vault_finding(
                "CG206",
                ctx,
                vault,
                tr(
                    f"The {tf.name} cluster is not encrypted; logically air-gapped vaults do not "
                    f"accept copies of unencrypted {tf.name} clusters.",
                    f"该 {tf.name} 集群未加密;逻辑隔离保管库不接受未加密 {tf.name} 集群的副本。",
                ),
                {"resource_type": tf.name, "resource_key": None, "reason": "unencrypted"},
                f"{copy.path}.resource_key",
            )
        return
    if not isinstance(key_arn, str):
        return
    key = ctx.scenario.key(key_arn)
    managed = key_is_aws_managed(key, key_arn)
    if managed is True:
        if tf.fully_managed is False:
            yield _vault_finding(
                "CG206",
                ctx,
                vault,
                tr(
                    f"{tf.name} is not fully managed by AWS Backup and the resource is encrypted "
                    f"with the AWS managed key {key_arn}: AWS Backup does not copy it into a "
                    "logically air-gapped vault, even in the same account. The job reports "
                    '"... This resource is encrypted with an AWS managed key and cannot be copied '
                    'to a logically air-gapped backup vault."',
                    f"{tf.name} 不受 AWS Backup 全面管理,且该资源使用 AWS 托管密钥 {key_arn} 加密:"
                    "即使在同一账户中,AWS Backup 也不会将其复制到逻辑隔离保管库。作业消息为"
                    '"... This resource is encrypted with an AWS managed key and cannot be copied '
                    'to a logically air-gapped backup vault."',
                ),
                {"resource_type": tf.name, "resource_key": key_arn, "reason": "aws-managed-key"},
                f"{copy.path}.resource_key",
            )
        else:  # "depends" (DynamoDB) or unconfirmed: the answer turns on a setting
            yield unknown(
                ctx,
                tr(
                    f"Whether {tf.name} is fully managed by AWS Backup here is unknown; if it is "
                    f"not, its AWS managed key {key_arn} keeps it out of the logically air-gapped "
                    "vault.",
                    f"无法确定此处的 {tf.name} 是否受 AWS Backup 全面管理;若不是,"
                    f"其 AWS 托管密钥 {key_arn} 会使其无法复制到逻辑隔离保管库。",
                ),
                "CG206",
                f"{copy.path}.resource_type",
                notes=[tr(tf.note, tf.note)] if tf.note else [],
            )
    elif managed is UNKNOWN and tf.fully_managed is False:
        yield unknown(
            ctx,
            tr(
                f"Whether the resource's key {key_arn} is customer managed or AWS managed is "
                "unknown; a logically air-gapped vault refuses the copy if it is AWS managed.",
                f"无法确定资源的密钥 {key_arn} 是客户托管还是 AWS 托管;"
                "若为 AWS 托管,逻辑隔离保管库会拒绝该副本。",
            ),
            "CG206",
            f"{key.path}.manager" if key is not None else f"{copy.path}.resource_key",
            key_arn,
        )


def _lower(items: Iterable[str]) -> set[str]:
    return {i.lower() for i in items}


def _vault_finding(
    code: str, ctx: CheckContext, vault: Vault, message: Text, evidence: dict[str, Any], path: str
) -> Finding:
    """An error about a LAG vault, fixed by a playbook on the vault."""
    return Finding(
        code=code,
        severity="error",
        message=message,
        copy=ctx.copy.name,
        resource=vault.arn,
        path=path,
        evidence={"vault": vault.arn, **evidence},
        fix=FixRef("playbook", vault.arn, "display-only"),
    )


def _lag_key(ctx: CheckContext, vault: Vault, code: str) -> tuple[Key | None, list[Finding]]:
    """The customer managed key of a LAG vault (None: AWS owned, or not judgeable)."""
    if vault.key is UNKNOWN:
        return None, [
            unknown(
                ctx,
                tr(
                    f"The key of the logically air-gapped vault {vault.arn} is unknown: give "
                    f"'{AWS_OWNED_KEY}' or the customer managed key's ARN (key).",
                    f"逻辑隔离保管库 {vault.arn} 的密钥未知:请提供 '{AWS_OWNED_KEY}' 或客户托管密钥的 ARN(key)。",
                ),
                code,
                f"{vault.path}.key",
                vault.arn,
            )
        ]
    if not isinstance(vault.key, str) or vault.key == AWS_OWNED_KEY:
        return None, []  # an AWS owned key: AWS Backup's own, nothing to allow
    key = ctx.scenario.key(vault.key)
    if key is None:
        return None, [
            unknown(
                ctx,
                tr(
                    f"The customer managed key {vault.key} of the logically air-gapped vault "
                    f"{vault.arn} is not described (keys[]), so its policy is unknown.",
                    f"未描述逻辑隔离保管库 {vault.arn} 的客户托管密钥 {vault.key}(keys[]),其策略未知。",
                ),
                code,
                f"{vault.path}.key",
                vault.key,
            )
        ]
    if key.policy is UNKNOWN:
        found = []
        if not key.policy_issues:
            found.append(
                unknown(
                    ctx,
                    tr(
                        f"The key policy of {key.arn} (the key of the logically air-gapped vault "
                        f"{vault.arn}) is unknown.",
                        f"{key.arn}(逻辑隔离保管库 {vault.arn} 的密钥)的密钥策略未知。",
                    ),
                    code,
                    key.policy_path or f"{key.path}.policy",
                    key.arn,
                )
            )
        return None, found
    return key, []


def _policy_failing(key: Key, requests: list[KeyRequest]) -> dict[str, str]:
    if key.policy is None:
        return {r.action: "implicit_deny" for r in requests}
    assert isinstance(key.policy, Policy)
    return judge_requests(key.arn, key.policy, requests)


def _lag_key_for_copy_role(
    ctx: CheckContext, vault: Vault, facts: LagFacts, side: str
) -> Iterable[Finding]:
    """CG207: the LAG vault's customer managed key must allow the copy job's role, through
    backup.REGION.amazonaws.com ("for all copy scenarios")."""
    copy = ctx.copy
    key, found = _lag_key(ctx, vault, "CG207")
    yield from found
    if key is None:
        return
    role = copy.iam_role_arn
    if not isinstance(role, str):
        yield unknown(
            ctx,
            tr(
                f"The copy job's IAM role (iam_role_arn) is unknown; the customer managed key "
                f"{key.arn} of the logically air-gapped vault must allow it.",
                f"复制作业的 IAM 角色(iam_role_arn)未知;逻辑隔离保管库的客户托管密钥 {key.arn} 必须允许该角色。",
            ),
            "CG207",
            f"{copy.path}.iam_role_arn",
            key.arn,
        )
        return
    requests = key_requests(role, "copy-role", facts.copy_role_statements, key.region, _org_id(ctx))
    failing = _policy_failing(key, requests)
    if not failing:
        return
    deny = "explicit_deny" in failing.values()
    shown = ", ".join(sorted(failing))
    where = "destination" if side == "destination" else "source"
    yield Finding(
        code="CG207",
        severity="error",
        message=tr(
            f"The key policy of {key.arn}, the customer managed key of the {where} logically "
            f"air-gapped vault {vault.arn}, does not allow the copy role {role} {shown} through "
            f"{via_backup(key.region)}"
            + (" (an explicit Deny blocks it)." if deny else ".")
            + " The copy fails with KMS's access denied error for that role.",
            f"{('目标' if side == 'destination' else '源')}逻辑隔离保管库 {vault.arn} 的客户托管密钥 "
            f"{key.arn} 的密钥策略不允许复制角色 {role} 经由 {via_backup(key.region)} 执行 {shown}"
            + ("(被显式拒绝阻止)。" if deny else "。")
            + "复制会因该角色的 KMS 访问被拒绝而失败。",
        ),
        copy=copy.name,
        resource=key.arn,
        path=key.policy_path or f"{key.path}.policy",
        evidence={
            "actions": dict(sorted(failing.items())),
            "principal": role,
            "via_service": via_backup(key.region),
            "vault": vault.arn,
        },
        fix=FixRef("key-policy", key.arn, "unsafe" if deny else "safe"),
        notes=[
            tr(
                "The copy role's own IAM policies must allow these actions on the key too "
                "(not judged here).",
                "复制角色自身的 IAM 策略也必须允许对该密钥执行这些操作(此处未判断)。",
            )
        ],
    )


def _lag_retention(ctx: CheckContext, vault: Vault, facts: LagFacts) -> Iterable[Finding]:
    """A LAG vault's compliance lock keeps copies at least 7 days, whether or not the
    scenario gives its lock (CG204 judges the lock when it is given)."""
    copy = ctx.copy
    lock = vault.lock
    if isinstance(lock, VaultLock) and lock.min_retention_days is not None:
        return  # CG204 compares the copy with the lock AWS reported
    if not isinstance(copy.lifecycle, Lifecycle):
        return
    days = copy.lifecycle.delete_after_days
    low = facts.min_retention_days
    if days is None or days >= low:
        return
    msg = facts.messages["lifecycle_out_of_range"]
    yield Finding(
        code="CG204",
        severity="error",
        message=tr(
            f"The copy keeps recovery points {days} days, but {vault.arn} is a logically "
            f"air-gapped vault, always locked in compliance mode with a minimum retention of at "
            f'least {low} days. The job fails with "{msg}"',
            f"复制的恢复点保留期为 {days} 天,但 {vault.arn} 是逻辑隔离保管库,始终以合规模式锁定,"
            f'最短保留期至少为 {low} 天。作业会失败,报错"{msg}"',
        ),
        copy=copy.name,
        resource=vault.arn,
        path=f"{copy.path}.lifecycle",
        evidence={
            "delete_after_days": days,
            "min_retention_days": low,
            "vault_type": "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
        },
        fix=FixRef("playbook", vault.arn, "display-only"),
    )


# -- out of a LAG vault -------------------------------------------------------------------------


def _copy_out(
    ctx: CheckContext, src: Vault, dest: Vault | None, facts: LagFacts
) -> Iterable[Finding]:
    copy = ctx.copy
    role = copy.iam_role_arn
    role_account = role.split(":")[4] if isinstance(role, str) and role.count(":") >= 5 else None
    if role_account and role_account != src.account and not facts.shared_accounts_can_copy:
        yield Finding(
            code="CG210",
            severity="error",
            message=tr(
                f"The copy runs as {role} in account {role_account}, but {src.arn} belongs to "
                f"account {src.account}. Accounts a logically air-gapped vault is shared with "
                "(AWS RAM or multi-party approval) can view and restore its backups, not copy them.",
                f"复制以账户 {role_account} 中的 {role} 运行,但 {src.arn} 属于账户 {src.account}。"
                "逻辑隔离保管库共享给的账户(AWS RAM 或多方审批)可以查看和还原其中的备份,但不能复制。",
            ),
            copy=copy.name,
            resource=src.arn,
            path=f"{copy.path}.iam_role_arn",
            evidence={"vault_account": src.account, "copy_account": role_account, "role": role},
            fix=FixRef("playbook", src.arn, "display-only"),
        )
        return
    if dest is not None and dest.logically_air_gapped:
        # LAG to LAG: on demand only; the destination side was judged above
        yield from _lag_key_for_copy_role(ctx, src, facts, "source")
        return
    yield from _lag_key_for_copy_role(ctx, src, facts, "source")
    if dest is None:
        if isinstance(copy.destination_vault, str) and not ctx.cross_account:
            yield unknown(
                ctx,
                tr(
                    f"The destination vault {copy.destination_vault} is not described (vaults[]); "
                    "a copy out of a logically air-gapped vault needs one with a customer managed key.",
                    f"未描述目标保管库 {copy.destination_vault}(vaults[]);"
                    "从逻辑隔离保管库复制出的副本需要使用客户托管密钥的保管库。",
                ),
                "CG208",
                f"{copy.path}.destination_vault",
                copy.destination_vault,
            )
        return
    yield from _destination_key_customer_managed(ctx, src, dest, facts)
    yield from _destination_slr_on_lag_key(ctx, src, dest, facts)
    yield from _cross_region_type(ctx, src, facts, copy.source_region, copy.destination_region)


def _destination_key_customer_managed(
    ctx: CheckContext, src: Vault, dest: Vault, facts: LagFacts
) -> Iterable[Finding]:
    if not facts.copy_out_needs_customer_managed_destination_key:
        return
    copy = ctx.copy
    if dest.key is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                f"The key of destination vault {dest.arn} is unknown; a copy out of a logically "
                "air-gapped vault must be encrypted with a customer managed key.",
                f"目标保管库 {dest.arn} 的密钥未知;从逻辑隔离保管库复制出的副本必须使用客户托管密钥加密。",
            ),
            "CG208",
            f"{dest.path}.key",
            dest.arn,
        )
        return
    key_arn = dest.key
    key = ctx.scenario.key(key_arn) if isinstance(key_arn, str) else None
    managed: Any = True if key_arn is None else key_is_aws_managed(key, key_arn)
    if managed is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                f"Whether {key_arn}, the key of destination vault {dest.arn}, is customer managed "
                "is unknown; a copy out of a logically air-gapped vault needs a customer managed key.",
                f"无法确定目标保管库 {dest.arn} 的密钥 {key_arn} 是否为客户托管密钥;"
                "从逻辑隔离保管库复制出的副本需要客户托管密钥。",
            ),
            "CG208",
            f"{key.path}.manager" if key is not None else f"{dest.path}.key",
            key_arn if isinstance(key_arn, str) else None,
        )
        return
    if managed is not True:
        return
    tf = type_facts(copy.resource_type) if isinstance(copy.resource_type, str) else None
    if ctx.cross_account and tf is not None and tf.fully_managed is False:
        return  # CG202 already says the aws/backup vault key cannot hold this copy
    shown = key_arn or "aws/backup (the vault has no customer managed key)"
    yield _cg208(
        ctx,
        dest.arn,
        f"{dest.path}.key",
        tr(
            f"The copy out of the logically air-gapped vault {src.arn} would be encrypted with "
            f"{shown}, the AWS managed key of {dest.arn}; AWS Backup copies out of a logically "
            "air-gapped vault only into a vault with a customer managed key (INFERENCE from "
            '"as long as the copy is encrypted with a customer managed key").',
            f"从逻辑隔离保管库 {src.arn} 复制出的副本将使用 {dest.arn} 的 AWS 托管密钥 {shown} 加密;"
            "AWS Backup 仅将逻辑隔离保管库中的备份复制到使用客户托管密钥的保管库"
            '(INFERENCE,依据"as long as the copy is encrypted with a customer managed key")。',
        ),
        {"requirement": "customer-managed-destination-key", "destination_key": shown},
        FixRef("playbook", dest.arn, "display-only"),
    )


def _destination_slr_on_lag_key(
    ctx: CheckContext, src: Vault, dest: Vault, facts: LagFacts
) -> Iterable[Finding]:
    key, found = _lag_key(ctx, src, "CG208")
    if key is None:
        return  # AWS owned (nothing to allow) or already reported as unknown by CG207
    del found
    slr = slr_arn(dest.account)
    requests = key_requests(
        slr, "destination-slr", facts.destination_slr_statements, key.region, _org_id(ctx)
    )
    failing = _policy_failing(key, requests)
    if not failing:
        return
    deny = "explicit_deny" in failing.values()
    shown = ", ".join(sorted(failing))
    yield _cg208(
        ctx,
        key.arn,
        key.policy_path or f"{key.path}.policy",
        tr(
            f"The key policy of {key.arn}, the customer managed key of the logically air-gapped "
            f"vault {src.arn}, does not allow the destination's AWSServiceRoleForBackup ({slr}) "
            f"{shown}" + (" (an explicit Deny blocks it)" if deny else "") + "; copying out to "
            "a standard vault needs it.",
            f"逻辑隔离保管库 {src.arn} 的客户托管密钥 {key.arn} 的密钥策略不允许目标账户的 "
            f"AWSServiceRoleForBackup({slr})执行 {shown}"
            + ("(被显式拒绝阻止)" if deny else "")
            + ";复制到标准保管库需要此权限。",
        ),
        {
            "requirement": "destination-slr-on-lag-key",
            "actions": dict(sorted(failing.items())),
            "principal": slr,
            "vault": src.arn,
        },
        FixRef("key-policy", key.arn, "unsafe" if deny else "safe"),
    )


def _cg208(
    ctx: CheckContext,
    resource: str,
    path: str,
    message: Text,
    evidence: dict[str, Any],
    fix: FixRef,
) -> Finding:
    return Finding(
        code="CG208",
        severity="error",
        message=message,
        copy=ctx.copy.name,
        resource=resource,
        path=path,
        evidence=evidence,
        fix=fix,
    )

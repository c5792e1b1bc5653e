"""CG201-CG205: the destination vault, its key, its lock, and the principals a fix names."""

from __future__ import annotations

from copyguard.checks.analysis import allow_all_identity
from copyguard.checks.base import CheckContext, source_unknown, unknown
from copyguard.checks.facts import slr_arn
from copyguard.checks.model import Finding, FixRef, tr
from copyguard.evaluate import Request, evaluate_kms, evaluate_resource_policy
from copyguard.policy import Policy
from copyguard.scenario import AWS_OWNED_KEY, UNKNOWN, Lifecycle, Organization, VaultLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

COPY_ROLE_PLACEHOLDER = "arn:aws:iam::{account}:role/copyguard-unknown-copy-role"


def check_vault_access_policy(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    if ctx.source is None and ctx.destination is not None:
        yield source_unknown(ctx, "CG201")
        return
    if not ctx.cross_account:
        return
    vault = ctx.scenario.vault(copy.destination_vault)
    path = f"{copy.path}.destination_vault"
    if vault is None:
        yield unknown(
            ctx,
            tr(
                f"The destination vault {copy.destination_vault} is not described (vaults[]), "
                "so its access policy is unknown.",
                f"未描述目标保管库 {copy.destination_vault}(vaults[]),其访问策略未知。",
            ),
            "CG201",
            path,
            copy.destination_vault if isinstance(copy.destination_vault, str) else None,
        )
        return
    if vault.access_policy is UNKNOWN:
        if not vault.access_policy_issues:
            yield unknown(
                ctx,
                tr(
                    f"The access policy of {vault.arn} is unknown.", f"{vault.arn} 的访问策略未知。"
                ),
                "CG201",
                f"{vault.path}.access_policy",
                vault.arn,
            )
        return
    src = ctx.source or ""
    if vault.access_policy is None:
        yield _cg201(
            ctx,
            vault.arn,
            f"{vault.path}.access_policy",
            tr(
                f"{vault.arn} has no access policy, so account {src} cannot copy into it.",
                f"{vault.arn} 没有访问策略,因此账户 {src} 无法向其中复制。",
            ),
            {},
        )
        return
    policy = vault.access_policy
    if not isinstance(policy, Policy):
        return
    role = (
        copy.iam_role_arn
        if isinstance(copy.iam_role_arn, str)
        else COPY_ROLE_PLACEHOLDER.format(account=src)
    )
    org = ctx.scenario.organization
    base: dict[str, str | list[str]] = {"aws:PrincipalAccount": src, "aws:PrincipalArn": role}
    org_id = org.id if isinstance(org, Organization) else UNKNOWN
    if isinstance(org_id, str):
        base["aws:PrincipalOrgID"] = org_id
    if isinstance(org, Organization) and src in org.paths:
        base["aws:PrincipalOrgPaths"] = org.paths[src]
    # the decision reads the policy, the vault, the role and the context built above from the
    # source account and the organization: the copies into one vault from one account share it
    d = ctx.analyses.shared(
        "vault-access-policy",
        (policy, org),
        (vault.arn, role, src),
        lambda: evaluate_resource_policy(
            Request(role, "backup:CopyIntoBackupVault", vault.arn, base),
            policy,
            identity_known=False,
        ),
    )
    if d.allowed:
        return
    refs = {c.key.lower() for st in policy.statements for c in st.conditions}
    # unknown inputs that could change the answer
    missing = []
    if "aws:principalorgid" in refs and not isinstance(org_id, str):
        missing.append("the organization ID")
    if "aws:principalorgpaths" in refs and "aws:PrincipalOrgPaths" not in base:
        missing.append(f"the organization path of account {src}")
    names_role = any(
        v.startswith(f"arn:aws:iam::{src}:role/")
        for st in policy.statements
        if st.principal
        for _k, v in st.principal.entries
    )
    if not isinstance(copy.iam_role_arn, str) and names_role:
        missing.append("the copy job's IAM role")
    if missing and d.decision == "implicit_deny":
        yield unknown(
            ctx,
            tr(
                f"Whether {vault.arn}'s access policy allows account {src} depends on "
                f"{', '.join(missing)}, which the scenario does not give.",
                f"{vault.arn} 的访问策略是否允许账户 {src} 取决于场景未提供的信息:{', '.join(missing)}。",
            ),
            "CG201",
            f"{vault.path}.access_policy",
            vault.arn,
        )
        return
    statements = [r.to_dict() for r in d.statements()]
    why = tr(
        "an explicit Deny blocks it" if d.decision == "explicit_deny" else "no statement allows it",
        "显式拒绝阻止了它" if d.decision == "explicit_deny" else "没有语句允许它",
    )
    yield _cg201(
        ctx,
        vault.arn,
        f"{vault.path}.access_policy",
        tr(
            f"The access policy of {vault.arn} does not allow backup:CopyIntoBackupVault from "
            f'account {src} ({why.en}). The copy fails with "Access Denied trying to call AWS '
            'Backup service".',
            f"{vault.arn} 的访问策略不允许来自账户 {src} 的 backup:CopyIntoBackupVault({why.zh})。"
            "复制会失败,报错“Access Denied trying to call AWS Backup service”。",
        ),
        {"decision": d.decision, "principal": role, "statements": statements},
        "unsafe" if d.decision == "explicit_deny" else "safe",
    )


def _cg201(
    ctx: CheckContext,
    vault_arn: str,
    path: str,
    message: object,
    evidence: dict[str, object],
    applicability: str = "safe",
) -> Finding:
    return Finding(
        code="CG201",
        severity="error",
        message=message,  # type: ignore[arg-type]
        copy=ctx.copy.name,
        resource=vault_arn,
        path=path,
        evidence={"action": "backup:CopyIntoBackupVault", **evidence},
        fix=FixRef("vault-access-policy", vault_arn, applicability),  # type: ignore[arg-type]
    )


def _is_backup_managed_key(ctx: CheckContext, arn: object) -> object:
    """True / False / UNKNOWN: is this the AWS managed key aws/backup?"""
    if arn is None:
        return True  # a vault without an explicit key uses aws/backup
    if not isinstance(arn, str):
        return UNKNOWN
    if arn == AWS_OWNED_KEY:
        return False  # a logically air-gapped vault's AWS owned key (the LAG check judges it)
    if arn.endswith(":alias/aws/backup"):
        return True
    key = ctx.scenario.key(arn)
    if key is None:
        return UNKNOWN
    if isinstance(key.aliases, tuple) and "alias/aws/backup" in key.aliases:
        return True
    if key.manager == "CUSTOMER":
        return False
    if isinstance(key.aliases, tuple) and key.manager == "AWS":
        return False  # another service's AWS managed key
    return UNKNOWN


def check_destination_key(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    vault = ctx.scenario.vault(copy.destination_vault)
    if ctx.source is None and vault is not None:
        yield source_unknown(ctx, "CG202")
        return
    if vault is None or not ctx.cross_account:
        return  # reported by CG201 as unknown
    facts = ctx.facts
    if vault.key is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                f"The key of destination vault {vault.arn} is unknown.",
                f"目标保管库 {vault.arn} 的密钥未知。",
            ),
            "CG202",
            f"{vault.path}.key",
            vault.arn,
        )
        return
    backup_key = _is_backup_managed_key(ctx, vault.key)
    if facts is not None and facts.fully_managed is False:
        if backup_key is True:
            yield Finding(
                code="CG202",
                severity="error",
                message=tr(
                    f"{vault.arn} is encrypted with the AWS managed key aws/backup, which cannot hold "
                    f"copies of {copy.resource_type} (not fully managed by AWS Backup). The copy fails "
                    'with "Copy job failed because the destination Backup vault is encrypted with the '
                    'default Backup service managed key."',
                    f"{vault.arn} 使用 AWS 托管密钥 aws/backup 加密,无法保存 {copy.resource_type}"
                    "(不受 AWS Backup 全面管理)的副本。复制会失败,报错“Copy job failed because the destination "
                    "Backup vault is encrypted with the default Backup service managed key.”",
                ),
                copy=copy.name,
                resource=vault.arn,
                path=f"{vault.path}.key",
                evidence={
                    "vault_key": vault.key or "alias/aws/backup",
                    "resource_type": copy.resource_type,
                },
                fix=FixRef("playbook", vault.arn, "display-only"),
            )
            return
        if backup_key is UNKNOWN:
            yield unknown(
                ctx,
                tr(
                    f"Whether {vault.arn}'s key is the AWS managed aws/backup key is unknown.",
                    f"无法确定 {vault.arn} 的密钥是否为 AWS 托管密钥 aws/backup。",
                ),
                "CG202",
                f"{vault.path}.key",
                vault.arn,
            )
    if not isinstance(vault.key, str) or vault.key == AWS_OWNED_KEY:
        return
    key = ctx.scenario.key(vault.key)
    if key is None:
        if backup_key is not True:
            yield unknown(
                ctx,
                tr(
                    f"The destination vault key {vault.key} is not described (keys[]).",
                    f"未描述目标保管库密钥 {vault.key}(keys[])。",
                ),
                "CG203",
                f"{vault.path}.key",
                vault.key,
            )
        return
    if key.state is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                f"The state of destination key {key.arn} is unknown.",
                f"目标密钥 {key.arn} 的状态未知。",
            ),
            "CG203",
            f"{key.path}.state",
            key.arn,
        )
    elif key.state != "Enabled":
        yield Finding(
            code="CG203",
            severity="error",
            message=tr(
                f"The destination vault key {key.arn} is {key.state}; copies cannot be encrypted with it.",
                f"目标保管库密钥 {key.arn} 的状态为 {key.state};无法用它加密副本。",
            ),
            copy=copy.name,
            resource=key.arn,
            path=f"{key.path}.state",
            evidence={"state": key.state},
            fix=FixRef("playbook", key.arn, "display-only"),
        )
    if key.manager == "AWS" or backup_key is True or key.policy is None:
        return
    if not isinstance(key.policy, Policy):
        if not key.policy_issues:
            yield unknown(
                ctx,
                tr(
                    f"The key policy of destination key {key.arn} is unknown, so whether it lets "
                    "the destination's AWSServiceRoleForBackup use it is unknown.",
                    f"目标密钥 {key.arn} 的密钥策略未知,无法判断它是否允许目标账户的 "
                    "AWSServiceRoleForBackup 使用它。",
                ),
                "CG203",
                key.policy_path or f"{key.path}.policy",
                key.arn,
            )
        return
    dest = ctx.destination or ""
    slr = slr_arn(dest)
    policy = key.policy
    # the probes read the key's ARN and policy and the destination account only: the copies
    # into one vault (or into vaults sharing a key) share them
    shared: dict[str, str] = ctx.analyses.shared(
        "destination-key",
        (policy,),
        (key.arn, dest),
        lambda: destination_key_blocked(key.arn, policy, dest),
    )
    blocked = dict(shared)  # the finding's own
    if blocked:
        yield Finding(
            code="CG203",
            severity="error",
            message=tr(
                f"The key policy of {key.arn} does not let the destination's AWSServiceRoleForBackup "
                f"use it: {', '.join(f'{a} {v}' for a, v in sorted(blocked.items()))}.",
                f"{key.arn} 的密钥策略不允许目标账户的 AWSServiceRoleForBackup 使用它:"
                f"{', '.join(f'{a} {v}' for a, v in sorted(blocked.items()))}。",
            ),
            copy=copy.name,
            resource=key.arn,
            path=key.policy_path,
            evidence={"actions": blocked, "caller": slr},
            fix=FixRef("playbook", key.arn, "display-only"),
        )


#: what the destination's AWSServiceRoleForBackup does with the destination vault's key
DESTINATION_KEY_ACTIONS = (
    "kms:DescribeKey",
    "kms:GenerateDataKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:CreateGrant",
)


def destination_key_blocked(key_arn: str, policy: Policy, dest: str) -> dict[str, str]:
    """{action: decision} for each of :data:`DESTINATION_KEY_ACTIONS` the key policy does not
    allow the destination's AWSServiceRoleForBackup (CG203); empty when it allows them all."""
    slr = slr_arn(dest)
    base: dict[str, str | list[str]] = {
        "kms:CallerAccount": dest,
        "aws:PrincipalAccount": dest,
        "aws:PrincipalArn": slr,
    }
    blocked: dict[str, str] = {}
    for action in DESTINATION_KEY_ACTIONS:
        c = dict(base)
        if action == "kms:CreateGrant":
            c["kms:GrantIsForAWSResource"] = "true"
        d = evaluate_kms(Request(slr, action, key_arn, c), policy, [allow_all_identity()])
        if not d.allowed:
            blocked[action] = d.decision
    return blocked


def check_vault_lock(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    vault = ctx.scenario.vault(copy.destination_vault)
    if vault is None:
        return
    if vault.lock is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                f"Whether {vault.arn} has a Vault Lock is unknown (lock).",
                f"无法确定 {vault.arn} 是否启用了保管库锁(lock)。",
            ),
            "CG204",
            f"{vault.path}.lock",
            vault.arn,
        )
        return
    lock = vault.lock
    if not isinstance(lock, VaultLock) or (
        lock.min_retention_days is None and lock.max_retention_days is None
    ):
        return
    if not isinstance(copy.lifecycle, Lifecycle) and copy.lifecycle is not None:
        yield unknown(
            ctx,
            tr(
                f"{vault.arn} has a Vault Lock but the copy's retention (lifecycle) is unknown.",
                f"{vault.arn} 启用了保管库锁,但复制的保留期(lifecycle)未知。",
            ),
            "CG204",
            f"{copy.path}.lifecycle",
            vault.arn,
        )
        return
    days = copy.lifecycle.delete_after_days if copy.lifecycle is not None else None
    lo, hi = lock.min_retention_days, lock.max_retention_days
    bad = (days is None and hi is not None) or (
        days is not None and ((lo is not None and days < lo) or (hi is not None and days > hi))
    )
    if not bad:
        return
    shown = "forever (no delete_after_days)" if days is None else f"{days} days"
    shown_zh = "永久(未设置 delete_after_days)" if days is None else f"{days} 天"
    yield Finding(
        code="CG204",
        severity="error",
        message=tr(
            f"The copy keeps recovery points {shown}, but {vault.arn} is locked to "
            f"{lo if lo is not None else 0}..{hi if hi is not None else '∞'} days. The copy fails with "
            '"Copy job failed. The retention specified in the job is not within the range specified '
            'for the target Backup Vault."',
            f"复制的恢复点保留期为{shown_zh},但 {vault.arn} 的保管库锁限定为 "
            f"{lo if lo is not None else 0}..{hi if hi is not None else '∞'} 天。复制会失败。",
        ),
        copy=copy.name,
        resource=vault.arn,
        path=f"{copy.path}.lifecycle",
        evidence={"delete_after_days": days, "min_retention_days": lo, "max_retention_days": hi},
        fix=FixRef("playbook", vault.arn, "display-only"),
        notes=[RETENTION_ASSUMPTION] + ([FOREVER_ASSUMPTION] if days is None else []),
    )


# What AWS does not document about the lock's comparison (facts 9), shown with every CG204.
RETENTION_ASSUMPTION = tr(
    "copyguard compares the copy's own retention (the job's DeleteAfterDays) with the lock's "
    "range. A copy keeps its source's creation date, so its expiry may come sooner than "
    "DeleteAfterDays after the copy; whether the lock compares that inherited expiry instead is "
    "not documented by AWS (UNCONFIRMED).",
    "copyguard 用副本自身的保留期(作业的 DeleteAfterDays)与保管库锁的范围比较。副本沿用源恢复点的"
    "创建日期,因此其到期时间可能早于复制后 DeleteAfterDays 天;保管库锁是否改为比较这一继承的到期时间,"
    "AWS 未作说明(未确认)。",
)
FOREVER_ASSUMPTION = tr(
    "No delete_after_days (or 'always', or lifecycle: null) is read as kept for ever. A copy "
    "action given no lifecycle at all keeps the source recovery point's lifecycle instead: "
    "describe that retention in the scenario if it is what the plan does.",
    "没有 delete_after_days(或为 'always',或 lifecycle: null)视为永久保留。完全未给出生命周期的复制操作"
    "会沿用源恢复点的生命周期:如果计划是这样做的,请在场景中写明该保留期。",
)


def check_fix_principal(ctx: CheckContext) -> Iterable[Finding]:
    """CG205: the principal the key-policy fix would name must exist, or KMS rejects the policy."""
    if not ctx.cross_account or ctx.options.principal == "root":
        return
    principal = ctx.fix_principal()
    exists = ctx.scenario.principals.get(principal)
    if exists is not False:
        return
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    yield Finding(
        code="CG205",
        severity="error",
        message=tr(
            f"{principal} does not exist, so KMS would reject a key policy naming it "
            "(MalformedPolicyDocumentException: Policy contains a statement with one or more invalid "
            "principals). Create it first, or name the account root (--principal root).",
            f"{principal} 不存在,因此 KMS 会拒绝引用它的密钥策略(MalformedPolicyDocumentException)。"
            "请先创建它,或改为引用账户根用户(--principal root)。",
        ),
        copy=ctx.copy.name,
        resource=principal,
        path=None,
        evidence={"principal": principal, "account": account},
        fix=FixRef("playbook", principal, "display-only"),
    )
